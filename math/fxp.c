/*
 * math/fxp.c -- cleartext fixed-point block semantics (see fxp.h).
 */
#include "math/fxp.h"

__extension__ typedef unsigned __int128 sr_u128;
__extension__ typedef __int128 sr_i128;

uint64_t
sr_fxp_sat(int64_t v, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    if (v > sr_fxp_smax(bw))
        v = sr_fxp_smax(bw);
    if (v < sr_fxp_smin(bw))
        v = sr_fxp_smin(bw);
    return (uint64_t)v & sr_mask(bw);
}

uint64_t
sr_fxp_zext(uint64_t x, unsigned m, unsigned n)
{
    SR_REQUIRE(m >= 1 && m <= n && n <= 64);
    return x & sr_mask(m);
}

uint64_t
sr_fxp_sext_to(uint64_t x, unsigned m, unsigned n)
{
    SR_REQUIRE(m >= 1 && m <= n && n <= 64);
    return (uint64_t)sr_fxp_sext(x, m) & sr_mask(n);
}

uint64_t
sr_fxp_reduce(uint64_t x, unsigned l, unsigned n)
{
    SR_REQUIRE(n >= 1 && n <= l && l <= 64);
    return x & sr_mask(n);
}

uint64_t
sr_fxp_tr(uint64_t x, unsigned l, unsigned s)
{
    SR_REQUIRE(l >= 1 && l <= 64 && s < l);
    return (x & sr_mask(l)) >> s;
}

uint64_t
sr_fxp_lrs(uint64_t x, unsigned l, unsigned s)
{
    SR_REQUIRE(l >= 1 && l <= 64 && s < l);
    return (x & sr_mask(l)) >> s;
}

uint64_t
sr_fxp_ars(uint64_t x, unsigned l, unsigned s)
{
    SR_REQUIRE(l >= 1 && l <= 64 && s < l);
    /* >> on a negative int64_t is arithmetic with gcc (floor). */
    return (uint64_t)(sr_fxp_sext(x, l) >> s) & sr_mask(l);
}

uint64_t
sr_fxp_divpow2(uint64_t x, unsigned l, unsigned s)
{
    SR_REQUIRE(l >= 1 && l <= 64 && s < l);
    int64_t v = sr_fxp_sext(x, l);
    int64_t q;
    if (v >= 0) {
        q = v >> s;
    } else {
        /* -v may be 2^63: do the magnitude in 128 bits. */
        sr_i128 mag = -(sr_i128)v;
        q = (int64_t)(-(mag >> s));
    }
    return (uint64_t)q & sr_mask(l);
}

uint64_t
sr_fxp_umult(uint64_t x, unsigned m, uint64_t y, unsigned n, unsigned l)
{
    SR_REQUIRE(m >= 1 && m <= 64 && n >= 1 && n <= 64 && l >= 1 && l <= 64);
    sr_u128 p = (sr_u128)(x & sr_mask(m)) * (sr_u128)(y & sr_mask(n));
    return (uint64_t)p & sr_mask(l);
}

uint64_t
sr_fxp_smult(uint64_t x, unsigned m, uint64_t y, unsigned n, unsigned l)
{
    SR_REQUIRE(m >= 1 && m <= 64 && n >= 1 && n <= 64 && l >= 1 && l <= 64);
    sr_i128 p = (sr_i128)sr_fxp_sext(x, m) * (sr_i128)sr_fxp_sext(y, n);
    return (uint64_t)p & sr_mask(l);
}

uint64_t
sr_fxp_umult_tr(uint64_t x, unsigned m, uint64_t y, unsigned n, unsigned l,
                unsigned s)
{
    return sr_fxp_tr(sr_fxp_umult(x, m, y, n, l), l, s);
}

uint64_t
sr_fxp_smult_tr(uint64_t x, unsigned m, uint64_t y, unsigned n, unsigned l,
                unsigned s)
{
    return sr_fxp_tr(sr_fxp_smult(x, m, y, n, l), l, s);
}

unsigned
sr_fxp_digdec(uint64_t *digits, uint64_t x, unsigned l, unsigned d)
{
    SR_REQUIRE(l >= 1 && l <= 64 && d >= 1 && d <= 64);
    unsigned k = (l + d - 1) / d;
    x &= sr_mask(l);
    for (unsigned j = 0; j < k; j++) {
        unsigned w = (j + 1 == k) ? l - j * d : d;
        digits[j] = (x >> (j * d)) & sr_mask(w);
    }
    return k;
}

int
sr_fxp_msnzb(uint64_t x, unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    x &= sr_mask(l);
    if (x == 0)
        return -1;
    return 63 - __builtin_clzll(x);
}

void
sr_fxp_msnzb_onehot(uint8_t *onehot, uint64_t x, unsigned l)
{
    int k = sr_fxp_msnzb(x, l);
    for (unsigned j = 0; j < l; j++)
        onehot[j] = (uint8_t)((int)j == k);
}
