/*
 * protocols/digdec.c -- digit decomposition (SIRNN Algorithm 6).
 *
 * With x_b = sum_i y_(b,i) 2^(i d), digit i of x is
 * y_(A,i) + y_(B,i) + carry_i mod 2^(d_i), where carry_i is the carry out
 * of the lower i digits of x_A + x_B.  Per digit, w = [y_A + y_B >= 2^d]
 * and e = [y_A + y_B = 2^d - 1]; the carry ripples as
 * carry_(i+1) = w_i XOR (e_i AND carry_i) (w and e exclude each other).
 */
#include "protocols/digdec.h"

#include <string.h>

#include "protocols/and.h"
#include "protocols/b2a.h"
#include "protocols/mill.h"

/* see digdec.h */
int
sr_digdec(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x, unsigned bw,
          unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= 64);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL));
    const unsigned c = sr_digdec_count(bw, d);
    const unsigned dl = bw - (c - 1) * d; /* last digit width */
    const uint64_t md = sr_mask(d), ml = sr_mask(dl);
    if (n == 0)
        return SR_OK;
    /* local digit parts */
    for (unsigned i = 0; i < c; i++)
        for (size_t j = 0; j < n; j++)
            z[i * n + j] = (x[j] >> (i * d)) & (i == c - 1 ? ml : md);
    if (c == 1)
        return SR_OK;

    const size_t nl = (size_t)(c - 1) * n; /* lower digits */
    uint64_t *t = sr_scratch_u64(L, nl);
    uint8_t *w = sr_scratch_u8(L, nl);
    uint8_t *e = sr_scratch_u8(L, nl);
    uint8_t *u = sr_scratch_u8(L, nl); /* u[(i-1) n + j] */
    uint64_t *ua = sr_scratch_u64(L, nl);
    int rc = SR_ENOMEM;
    if (t == NULL || w == NULL || e == NULL || u == NULL || ua == NULL)
        goto out;

    /* 1. (w_i, e_i) for the c - 1 lower digits in one Mill&Eq. */
    for (size_t q = 0; q < nl; q++)
        t[q] = L->role == SR_ALICE ? z[q] : (md - z[q]) & md;
    rc = sr_mill_eq(L, nl, w, e, t, d);
    if (rc != SR_OK)
        goto out;

    /* 2. Carries: u_1 = w_0; u_i = w_(i-1) XOR (e_(i-1) AND u_(i-1)). */
    memcpy(u, w, n);
    for (unsigned i = 2; i < c && rc == SR_OK; i++) {
        uint8_t *ui = u + (size_t)(i - 1) * n;
        rc = sr_and(L, n, ui, e + (size_t)(i - 1) * n, u + (size_t)(i - 2) * n);
        for (size_t j = 0; j < n; j++)
            ui[j] ^= w[(size_t)(i - 1) * n + j];
    }
    if (rc != SR_OK)
        goto out;

    /* 3. B2A to the digit widths; full digits in one call. */
    if (c > 2)
        rc = sr_b2a(L, (size_t)(c - 2) * n, ua, u, d);
    if (rc == SR_OK)
        rc =
            sr_b2a(L, n, ua + (size_t)(c - 2) * n, u + (size_t)(c - 2) * n, dl);
    if (rc != SR_OK)
        goto out;
    for (unsigned i = 1; i < c; i++)
        for (size_t j = 0; j < n; j++)
            z[i * n + j] = (z[i * n + j] + ua[(size_t)(i - 1) * n + j]) &
                           (i == c - 1 ? ml : md);
out:
    sr_scratch_release(L, ua);
    sr_scratch_release(L, u);
    sr_scratch_release(L, e);
    sr_scratch_release(L, w);
    sr_scratch_release(L, t);
    return rc;
}
