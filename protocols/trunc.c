/*
 * protocols/trunc.c -- TR, LRS, ARS, DivPow2 (SIRNN Sec. IV-B, App. C).
 *
 * Write each share as x_b = u_b * 2^s + v_b with v_b < 2^s.  Over the
 * integers (Lemma 1):
 *   x_A + x_B = (v_A + v_B - c 2^s) + 2^s (u_A + u_B + c) - w 2^bw (mod ...)
 * where c = carry(v_A + v_B >= 2^s) and w = wrap(x_A, x_B, 2^bw).  Hence
 *   floor(x / 2^s) = u_A + u_B + c - 2^(bw-s) w,
 * and w = d XOR (c AND e) with d = carry of the upper parts and
 * e = [u_A + u_B = 2^(bw-s) - 1], both from one Mill&Eq on bw - s bits.
 * TR keeps only bw - s bits, where the 2^(bw-s) w term vanishes.
 *
 * All sub-protocols do their own role dispatch; the only role-dependent
 * step here is which share gets the complement for Mill&Eq, which goes
 * through upper_operand().
 */
#include "protocols/trunc.h"

#include <string.h>

#include "protocols/and.h"
#include "protocols/b2a.h"
#include "protocols/mill.h"
#include "protocols/share.h"

static void
copy_shares(uint64_t *y, const uint64_t *x, size_t n)
{
    if (y != x)
        memmove(y, x, n * sizeof *y);
}

/*
 * Mill&Eq operand for the upper parts: Alice inputs u_A, Bob inputs
 * 2^k - 1 - u_B, so [A > B] is the carry and [A = B] the all-ones test.
 */
static void
upper_operand(const sr_lane *L, size_t n, uint64_t *t, const uint64_t *x,
              unsigned s, unsigned k)
{
    const uint64_t mk = sr_mask(k);
    for (size_t i = 0; i < n; i++) {
        uint64_t u = (x[i] >> s) & mk;
        t[i] = L->role == SR_ALICE ? u : (mk - u) & mk;
    }
}

/* see trunc.h */
int
sr_trunc_reduce(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                unsigned bw, unsigned s)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && s < bw);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    if (n == 0)
        return SR_OK;
    if (s == 0) {
        copy_shares(y, x, n);
        return SR_OK;
    }
    const unsigned k = bw - s;
    const uint64_t ms = sr_mask(s), mk = sr_mask(k);
    uint64_t *v = sr_scratch_u64(L, n);
    uint8_t *c = sr_scratch_u8(L, n);
    uint64_t *ca = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (v == NULL || c == NULL || ca == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        v[i] = x[i] & ms;
    rc = sr_wrap(L, n, c, v, s); /* c = carry of low s */
    if (rc == SR_OK)
        rc = sr_b2a(L, n, ca, c, k);
    if (rc == SR_OK)
        for (size_t i = 0; i < n; i++)
            y[i] = ((x[i] >> s) + ca[i]) & mk;
out:
    sr_scratch_release(L, ca);
    sr_scratch_release(L, c);
    sr_scratch_release(L, v);
    return rc;
}

/*
 * LRS core; flags may carry SR_MSB_FLIP (from ARS, where x is offset by
 * 2^(bw-1) and msb is the MSB of the signed input).
 */
static int
lrs(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, const uint8_t *msb,
    unsigned bw, unsigned s, unsigned flags)
{
    const unsigned k = bw - s;
    const uint64_t ms = sr_mask(s), mb = sr_mask(bw), mk = sr_mask(k);
    uint64_t *t = sr_scratch_u64(L, n);
    uint8_t *c = sr_scratch_u8(L, n);
    uint8_t *w = sr_scratch_u8(L, n);
    uint8_t *e = sr_scratch_u8(L, 2 * n);
    uint64_t *ca = sr_scratch_u64(L, n);
    uint64_t *wa = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (t == NULL || c == NULL || w == NULL || e == NULL || ca == NULL ||
        wa == NULL)
        goto out;

    /* 1. c = carry(v_A + v_B >= 2^s). */
    for (size_t i = 0; i < n; i++)
        t[i] = x[i] & ms;
    rc = sr_wrap(L, n, c, t, s);
    if (rc != SR_OK)
        goto out;

    /* 2. w = wrap(x_A, x_B, 2^bw). */
    if ((flags & ~SR_MSB_FLIP) == SR_MSB_NONE) {
        upper_operand(L, n, t, x, s, k);
        rc = sr_mill_eq(L, n, w, e, t, k); /* w = d, e = all ones */
        if (rc == SR_OK)
            rc = sr_and(L, n, e + n, e, c); /* e AND c */
        if (rc != SR_OK)
            goto out;
        for (size_t i = 0; i < n; i++)
            w[i] ^= e[n + i];
    } else {
        rc = sr_ext_wrap(L, n, w, x, msb, bw, flags);
        if (rc != SR_OK)
            goto out;
    }

    /* 3. Arithmetic c over bw bits, w over the s bits that matter. */
    rc = sr_b2a(L, n, ca, c, bw);
    if (rc == SR_OK)
        rc = sr_b2a(L, n, wa, w, s);
    if (rc != SR_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        y[i] = (((x[i] >> s) & mk) + ca[i] - (wa[i] << k)) & mb;
out:
    sr_scratch_release(L, wa);
    sr_scratch_release(L, ca);
    sr_scratch_release(L, e);
    sr_scratch_release(L, w);
    sr_scratch_release(L, c);
    sr_scratch_release(L, t);
    return rc;
}

/* see trunc.h */
int
sr_trunc_lrs(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
             const uint8_t *msb, unsigned bw, unsigned s, unsigned flags)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && s < bw);
    SR_REQUIRE(sr_msb_flags_ok(flags));
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    SR_REQUIRE(flags == SR_MSB_NONE || n == 0 || msb != NULL);
    if (n == 0)
        return SR_OK;
    if (s == 0) {
        copy_shares(y, x, n);
        return SR_OK;
    }
    return lrs(L, n, y, x, msb, bw, s, flags);
}

/* see trunc.h */
int
sr_trunc_ars(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
             const uint8_t *msb, unsigned bw, unsigned s, unsigned flags)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && s < bw);
    SR_REQUIRE(sr_msb_flags_ok(flags));
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    SR_REQUIRE(flags == SR_MSB_NONE || n == 0 || msb != NULL);
    if (n == 0)
        return SR_OK;
    if (s == 0) {
        copy_shares(y, x, n);
        return SR_OK;
    }
    /* floor((x + 2^(bw-1)) / 2^s) - 2^(bw-1-s) = floor(x / 2^s). */
    uint64_t *t = sr_scratch_u64(L, n);
    if (t == NULL)
        return SR_ENOMEM;
    sr_share_add_const(L, n, t, x, (uint64_t)1 << (bw - 1), bw);
    unsigned f = flags == SR_MSB_NONE ? flags : flags | SR_MSB_FLIP;
    int rc = lrs(L, n, y, t, msb, bw, s, f);
    if (rc == SR_OK)
        sr_share_add_const(L, n, y, y,
                           (uint64_t)0 - ((uint64_t)1 << (bw - 1 - s)), bw);
    sr_scratch_release(L, t);
    return rc;
}

/*
 * DivPow2 (Appendix C-2 with the MSB taken from the same decomposition,
 * as the reference code does).  With x' = x + 2^(bw-1) (Alice) and
 * x'_b = top_b 2^(bw-1) + u_b 2^s + v_b (u of k = bw - s - 1 bits):
 *  - one Mill&Eq_s on (v_A, -v_B mod 2^s) gives e = [v = 0 mod 2^s] and
 *    g = [v_A > -v_B]; the low carry is c = (g XOR e) AND [v_B != 0]
 *    (Bob's private bit as a share);
 *  - one Mill&Eq_k on the middle parts gives the carry into the top bit,
 *    kappa = d XOR (e' AND c), so MSB(x') = top_A XOR top_B XOR kappa;
 *  - MSB-to-wrap (shared) gives the full wrap w;
 *  - floor(x / 2^s) = (x' >> s)_A + (x' >> s)_B + c - 2^(bw-s) w
 *    - 2^(bw-1-s), and toward zero adds [x < 0] AND [v != 0] =
 *    NOT MSB(x') AND NOT e.
 * With a known MSB (public or shared) the middle Mill&Eq and its AND are
 * skipped, and with a public one the correction is local.
 */
static int
divpow2(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
        const uint8_t *msb, unsigned bw, unsigned s, unsigned flags)
{
    const unsigned k = bw - s - 1;
    const uint64_t ms = sr_mask(s), mb = sr_mask(bw);
    const int alice = L->role == SR_ALICE;
    uint64_t *xp = sr_scratch_u64(L, n);
    uint64_t *t = sr_scratch_u64(L, n);
    uint8_t *g = sr_scratch_u8(L, n);
    uint8_t *e = sr_scratch_u8(L, n);
    uint8_t *nz = sr_scratch_u8(L, n);
    uint8_t *cc = sr_scratch_u8(L, 2 * n); /* c, then the correction */
    uint8_t *m = sr_scratch_u8(L, n);
    uint64_t *ca = sr_scratch_u64(L, 2 * n);
    uint64_t *wa = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (xp == NULL || t == NULL || g == NULL || e == NULL || nz == NULL ||
        cc == NULL || m == NULL || ca == NULL || wa == NULL)
        goto out;
    sr_share_add_const(L, n, xp, x, (uint64_t)1 << (bw - 1), bw);

    /* 1. Low part: zero test e and carry c. */
    for (size_t i = 0; i < n; i++) {
        t[i] = alice ? xp[i] & ms : ((uint64_t)0 - xp[i]) & ms;
        nz[i] = alice ? 0 : (uint8_t)((xp[i] & ms) != 0);
    }
    rc = sr_mill_eq(L, n, g, e, t, s);
    if (rc != SR_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        g[i] ^= e[i];
    rc = sr_and(L, n, cc, g, nz); /* c */
    if (rc != SR_OK)
        goto out;

    /* 2. MSB(x') = NOT MSB(x): given, or from the carry into the top bit. */
    if (flags != SR_MSB_NONE) {
        for (size_t i = 0; i < n; i++)
            m[i] = msb[i] & 1;
        if (flags == SR_MSB_PUBLIC) /* public: both flip */
            for (size_t i = 0; i < n; i++)
                m[i] ^= 1;
        else
            sr_bits_xor_const(L, n, m, m, 1);
    } else if (k > 0) {
        upper_operand(L, n, t, xp, s, k);
        rc = sr_mill_eq(L, n, g, nz, t, k); /* g = d, nz = e' */
        if (rc == SR_OK)
            rc = sr_and(L, n, nz, nz, cc);
        if (rc != SR_OK)
            goto out;
        for (size_t i = 0; i < n; i++)
            m[i] = g[i] ^ nz[i];
    } else {
        memcpy(m, cc, n);
    }
    if (flags == SR_MSB_NONE)
        for (size_t i = 0; i < n; i++)
            m[i] ^= (uint8_t)((xp[i] >> (bw - 1)) & 1);

    /* 3. Full wrap from MSB(x'); the toward-zero correction
     *    [x < 0] AND [v != 0] (local for a public MSB). */
    rc = sr_msb_to_wrap(L, n, g, xp, m, bw,
                        flags == SR_MSB_PUBLIC ? SR_MSB_PUBLIC : SR_MSB_SHARED);
    if (rc != SR_OK)
        goto out;
    sr_bits_xor_const(L, n, e, e, 1); /* [v != 0] */
    if (flags == SR_MSB_PUBLIC) {
        for (size_t i = 0; i < n; i++)
            cc[n + i] = (uint8_t)(e[i] & (msb[i] & 1));
    } else {
        sr_bits_xor_const(L, n, m, m, 1); /* [x < 0] */
        rc = sr_and(L, n, cc + n, m, e);
        if (rc != SR_OK)
            goto out;
    }

    /* 4. Arithmetic c and correction over bw bits, w over s bits. */
    rc = sr_b2a(L, 2 * n, ca, cc, bw);
    if (rc == SR_OK)
        rc = sr_b2a(L, n, wa, g, s);
    if (rc != SR_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        y[i] = ((xp[i] >> s) + ca[i] + ca[n + i] - (wa[i] << (bw - s))) & mb;
    sr_share_add_const(L, n, y, y, (uint64_t)0 - ((uint64_t)1 << (bw - 1 - s)),
                       bw);
out:
    sr_scratch_release(L, wa);
    sr_scratch_release(L, ca);
    sr_scratch_release(L, m);
    sr_scratch_release(L, cc);
    sr_scratch_release(L, nz);
    sr_scratch_release(L, e);
    sr_scratch_release(L, g);
    sr_scratch_release(L, t);
    sr_scratch_release(L, xp);
    return rc;
}

/* see trunc.h */
int
sr_trunc_divpow2(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                 const uint8_t *msb, unsigned bw, unsigned s, unsigned flags)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && s < bw);
    SR_REQUIRE(sr_msb_flags_ok(flags));
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    SR_REQUIRE(flags == SR_MSB_NONE || n == 0 || msb != NULL);
    if (n == 0)
        return SR_OK;
    if (s == 0) {
        copy_shares(y, x, n);
        return SR_OK;
    }
    return divpow2(L, n, y, x, msb, bw, s, flags);
}
