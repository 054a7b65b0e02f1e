/*
 * protocols/matmul.c -- matrix multiplication with input reuse (SIRNN
 * Appendix D-2, Algorithm 5; the clear-weights case of every linear
 * layer).
 *
 * A "fan" names which operand is bit-decomposed: left (entry s = (i, k)
 * of the d1 x d2 operand multiplies row k of the right operand: fan-out
 * t = j < d3) or right (entry s = (k, j) of the d2 x d3 operand multiplies
 * column k of the left operand: t = i < d1).  One choice s carries K
 * values; product (s, t) adds into Z[i][j].
 */
#include "protocols/matmul.h"

#include <string.h>

#include "protocols/ext.h"
#include "protocols/mill.h"
#include "protocols/ot.h"
#include "protocols/share.h"

typedef struct fan {
    size_t d1, d2, d3;
    int left;
} fan;

static size_t
fan_ns(const fan *f)
{
    return f->left ? f->d1 * f->d2 : f->d2 * f->d3;
}

static size_t
fan_k(const fan *f)
{
    return f->left ? f->d3 : f->d1;
}

/* Index into Z of product (s, t). */
static size_t
fan_z(const fan *f, size_t s, size_t t)
{
    return f->left ? (s / f->d2) * f->d3 + t : t * f->d3 + s % f->d3;
}

/* Index into the other operand of product (s, t). */
static size_t
fan_o(const fan *f, size_t s, size_t t)
{
    return f->left ? (s % f->d2) * f->d3 + t : t * f->d2 + s / f->d3;
}

/*
 * vals[s K + t] = other[fan_o(s, t)], negated where flip[s] (the
 * (1 - 2 b) factor of a bit product); flip may be NULL.
 */
static void
fan_vals(const fan *f, uint64_t *vals, const uint64_t *other,
         const uint8_t *flip, unsigned bw)
{
    const size_t ns = fan_ns(f), K = fan_k(f);
    for (size_t s = 0; s < ns; s++)
        for (size_t t = 0; t < K; t++) {
            uint64_t v = other[fan_o(f, s, t)];
            if (flip != NULL && flip[s])
                v = (uint64_t)0 - v;
            vals[s * K + t] = v & sr_mask(bw);
        }
}

/* Z[fan_z(s, t)] -= z[s K + t] << sh  (or += when sh is add-mode). */
static void
fan_acc(const fan *f, uint64_t *Z, const uint64_t *z, unsigned sh, int neg)
{
    const size_t ns = fan_ns(f), K = fan_k(f);
    for (size_t s = 0; s < ns; s++)
        for (size_t t = 0; t < K; t++) {
            uint64_t v = z[s * K + t] << sh;
            size_t q = fan_z(f, s, t);
            Z[q] = neg ? Z[q] - v : Z[q] + v;
        }
}

/* Z += own-share product sum_k A[i][k] B[k][j] (local). */
static void
local_mm(size_t d1, size_t d2, size_t d3, uint64_t *Z, const uint64_t *A,
         const uint64_t *B)
{
    for (size_t i = 0; i < d1; i++)
        for (size_t k = 0; k < d2; k++) {
            uint64_t a = A[i * d2 + k];
            if (a == 0)
                continue;
            for (size_t j = 0; j < d3; j++)
                Z[i * d3 + j] += a * B[k * d3 + j];
        }
}

/* Estimated CrossTerm bits (mult.h formulas) to pick the cheaper fan. */
static double
cross_est(size_t nc, size_t K, unsigned mx, unsigned bw)
{
    unsigned B = mx < bw ? mx : bw;
    double b = 0, lam = SR_OT_LAMBDA;
    for (unsigned t = 0; t < B; t++)
        b += (double)nc * (lam * (K < 2 ? K : 2) + (double)K * (bw - t));
    return b;
}

static uint64_t
pow2(unsigned e)
{
    return e >= 64 ? 0 : (uint64_t)1 << e;
}

/*
 * Bit-matrix product for one side: G = W_bits (fan f's choice shape,
 * boolean shares) times the other operand V (arithmetic shares over bw
 * bits), G = sum of w V = w_own V_own + cross terms with 1-bit choices.
 * Subtracts G << sh from Z.
 */
static int
bitmm(sr_lane *L, const fan *f, uint64_t *Z, const uint8_t *w,
      const uint64_t *V, unsigned bw, unsigned sh)
{
    const size_t ns = fan_ns(f), K = fan_k(f);
    uint64_t *bits = sr_scratch_u64(L, ns);
    uint64_t *vals = sr_scratch_u64(L, ns * K);
    uint64_t *z = sr_scratch_u64(L, ns * K);
    int rc = SR_ENOMEM;
    if (bits == NULL || vals == NULL || z == NULL)
        goto out;
    for (size_t s = 0; s < ns; s++)
        bits[s] = w[s];
    fan_vals(f, vals, V, w, bw);
    rc = sr_cross_pair(L, ns, K, z, bits, vals, 1, bw);
    if (rc != SR_OK)
        goto out;
    for (size_t s = 0; s < ns; s++) /* local w_own V_own */
        for (size_t t = 0; t < K && w[s]; t++)
            z[s * K + t] += V[fan_o(f, s, t)];
    fan_acc(f, Z, z, sh, 1);
out:
    sr_scratch_release(L, z);
    sr_scratch_release(L, vals);
    sr_scratch_release(L, bits);
    return rc;
}

/* Shared-shared product on offset operands, see matmul.h. */
static int
matmul_core(sr_lane *L, size_t d1, size_t d2, size_t d3, uint64_t *Z,
            const uint64_t *A, const uint64_t *B, unsigned m, unsigned n,
            unsigned bw, unsigned flags)
{
    const unsigned sa = flags & SR_MULT_SIGNED_A ? 1 : 0;
    const unsigned sb = flags & SR_MULT_SIGNED_B ? 1 : 0;
    const size_t na = d1 * d2, nbb = d2 * d3;
    uint64_t *ap = sr_scratch_u64(L, na);
    uint64_t *bp = sr_scratch_u64(L, nbb);
    uint8_t *wa = sr_scratch_u8(L, na);
    uint8_t *wb = sr_scratch_u8(L, nbb);
    uint64_t *v = sr_scratch_u64(L, na > nbb ? na : nbb);
    int rc = SR_ENOMEM;
    if (ap == NULL || bp == NULL || wa == NULL || wb == NULL || v == NULL)
        goto out;

    /* 1. Offsets and wraps. */
    sr_share_add_const(L, na, ap, A, sa ? pow2(m - 1) : 0, m);
    sr_share_add_const(L, nbb, bp, B, sb ? pow2(n - 1) : 0, n);
    rc = sr_wrap(L, na, wa, ap, m);
    if (rc == SR_OK)
        rc = sr_wrap(L, nbb, wb, bp, n);
    if (rc != SR_OK)
        goto out;

    /* 2. Local product and cross terms over the cheaper fan. */
    memset(Z, 0, d1 * d3 * sizeof *Z);
    local_mm(d1, d2, d3, Z, ap, bp);
    fan f = {d1, d2, d3, 1};
    if (cross_est(nbb, d1, n, bw) < cross_est(na, d3, m, bw))
        f.left = 0;
    {
        const size_t ns = fan_ns(&f), K = fan_k(&f);
        uint64_t *vals = sr_scratch_u64(L, ns * K);
        uint64_t *z = sr_scratch_u64(L, ns * K);
        rc = vals == NULL || z == NULL ? SR_ENOMEM : SR_OK;
        if (rc == SR_OK) {
            fan_vals(&f, vals, f.left ? bp : ap, NULL, bw);
            rc = sr_cross_pair(L, ns, K, z, f.left ? ap : bp, vals,
                               f.left ? m : n, bw);
        }
        if (rc == SR_OK)
            fan_acc(&f, Z, z, 0, 0);
        sr_scratch_release(L, z);
        sr_scratch_release(L, vals);
    }
    if (rc != SR_OK)
        goto out;

    /* 3. Wrap terms: W_A V_B over bw - m, V_A W_B over bw - n. */
    if (bw > m) {
        fan fl = {d1, d2, d3, 1};
        sr_share_add_const(L, nbb, v, bp, (uint64_t)0 - (sb ? pow2(n - 1) : 0),
                           bw - m);
        for (size_t q = 0; q < nbb; q++)
            v[q] &= sr_mask(bw - m);
        rc = bitmm(L, &fl, Z, wa, v, bw - m, m);
    }
    if (rc == SR_OK && bw > n) {
        fan fr = {d1, d2, d3, 0};
        sr_share_add_const(L, na, v, ap, (uint64_t)0 - (sa ? pow2(m - 1) : 0),
                           bw - n);
        for (size_t q = 0; q < na; q++)
            v[q] &= sr_mask(bw - n);
        rc = bitmm(L, &fr, Z, wb, v, bw - n, n);
    }
    if (rc != SR_OK)
        goto out;

    /* 4. Offset corrections. */
    for (size_t i = 0; i < d1; i++)
        for (size_t j = 0; j < d3; j++) {
            uint64_t acc = 0;
            for (size_t k = 0; k < d2; k++)
                acc -= (sb ? ap[i * d2 + k] << (n - 1) : 0) +
                       (sa ? bp[k * d3 + j] << (m - 1) : 0);
            Z[i * d3 + j] = (Z[i * d3 + j] + acc) & sr_mask(bw);
        }
    sr_share_add_const(L, d1 * d3, Z, Z,
                       (sa && sb) ? (uint64_t)d2 * pow2(m + n - 2) : 0, bw);
out:
    sr_scratch_release(L, v);
    sr_scratch_release(L, wb);
    sr_scratch_release(L, wa);
    sr_scratch_release(L, bp);
    sr_scratch_release(L, ap);
    return rc;
}

/* see matmul.h */
int
sr_matmul(sr_lane *L, size_t d1, size_t d2, size_t d3, uint64_t *Z,
          const uint64_t *A, const uint64_t *B, unsigned m, unsigned n,
          unsigned bw, unsigned flags)
{
    SR_REQUIRE(m >= 1 && m <= 64 && n >= 1 && n <= 64);
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE((flags & ~SR_MULT_SIGNED) == 0);
    SR_REQUIRE(d1 * d3 == 0 || Z != NULL);
    SR_REQUIRE(d1 * d2 == 0 || A != NULL);
    SR_REQUIRE(d2 * d3 == 0 || B != NULL);
    if (d1 * d3 == 0)
        return SR_OK;
    if (d2 == 0) {
        memset(Z, 0, d1 * d3 * sizeof *Z);
        return SR_OK;
    }
    if (bw <= m + n)
        return matmul_core(L, d1, d2, d3, Z, A, B, m, n, bw, flags);

    /* Extend the wider operand so that the widths add up to bw. */
    const int ext_b = n >= m;
    const size_t ne = ext_b ? d2 * d3 : d1 * d2;
    const unsigned from = ext_b ? n : m, to = bw - (ext_b ? m : n);
    const int sgn = ext_b ? (flags & SR_MULT_SIGNED_B) != 0
                          : (flags & SR_MULT_SIGNED_A) != 0;
    uint64_t *e = sr_scratch_u64(L, ne);
    if (e == NULL)
        return SR_ENOMEM;
    int rc =
        sgn ? sr_ext_signed(L, ne, e, ext_b ? B : A, NULL, from, to,
                            SR_MSB_NONE)
            : sr_ext_zero(L, ne, e, ext_b ? B : A, NULL, from, to, SR_MSB_NONE);
    if (rc == SR_OK)
        rc = ext_b ? matmul_core(L, d1, d2, d3, Z, A, e, m, to, bw, flags)
                   : matmul_core(L, d1, d2, d3, Z, e, B, to, n, bw, flags);
    sr_scratch_release(L, e);
    return rc;
}

/* Owner of W: sender of both cross terms. */
static int
known_owner(sr_lane *L, const fan *f, uint64_t *Z, const uint64_t *Ws,
            const uint64_t *xp, const uint8_t *wx, unsigned nx, unsigned bw,
            unsigned sx)
{
    const size_t ns = fan_ns(f), K = fan_k(f);
    uint64_t *vals = sr_scratch_u64(L, ns * K);
    uint64_t *z = sr_scratch_u64(L, ns * K);
    int rc = SR_ENOMEM;
    if (vals == NULL || z == NULL)
        goto out;
    /* local W X'_own, minus [sX] 2^(nx-1) W 1 */
    for (size_t s = 0; s < ns; s++)
        for (size_t t = 0; t < K; t++) {
            uint64_t w = Ws[fan_o(f, s, t)];
            Z[fan_z(f, s, t)] += w * xp[s] - (sx ? w << (nx - 1) : 0);
        }
    /* cross term: the peer's nx bits of X' choose W's row/column */
    fan_vals(f, vals, Ws, NULL, bw);
    rc = sr_cross_send(L, ns, K, z, vals, nx, bw);
    if (rc == SR_OK)
        fan_acc(f, Z, z, 0, 0);
    /* W w_X = W w_own + w_peer W (1 - 2 w_own), over bw - nx bits */
    if (rc == SR_OK && bw > nx) {
        fan_vals(f, vals, Ws, wx, bw - nx);
        rc = sr_cross_send(L, ns, K, z, vals, 1, bw - nx);
        for (size_t s = 0; s < ns && rc == SR_OK; s++)
            for (size_t t = 0; t < K && wx[s]; t++)
                z[s * K + t] += Ws[fan_o(f, s, t)];
        if (rc == SR_OK)
            fan_acc(f, Z, z, nx, 1);
    }
out:
    sr_scratch_release(L, z);
    sr_scratch_release(L, vals);
    return rc;
}

/* The peer: receiver with its bits of X' and of the wrap. */
static int
known_peer(sr_lane *L, const fan *f, uint64_t *Z, const uint64_t *xp,
           const uint8_t *wx, unsigned nx, unsigned bw)
{
    const size_t ns = fan_ns(f), K = fan_k(f);
    uint64_t *bits = sr_scratch_u64(L, ns);
    uint64_t *z = sr_scratch_u64(L, ns * K);
    int rc = SR_ENOMEM;
    if (bits == NULL || z == NULL)
        goto out;
    rc = sr_cross_recv(L, ns, K, z, xp, nx, bw);
    if (rc == SR_OK)
        fan_acc(f, Z, z, 0, 0);
    if (rc == SR_OK && bw > nx) {
        for (size_t s = 0; s < ns; s++)
            bits[s] = wx[s];
        rc = sr_cross_recv(L, ns, K, z, bits, 1, bw - nx);
        if (rc == SR_OK)
            fan_acc(f, Z, z, nx, 1);
    }
out:
    sr_scratch_release(L, z);
    sr_scratch_release(L, bits);
    return rc;
}

/* see matmul.h */
int
sr_matmul_known(sr_lane *L, size_t d1, size_t d2, size_t d3, uint64_t *Z,
                const uint64_t *W, const uint64_t *X, unsigned mw, unsigned nx,
                unsigned bw, unsigned flags)
{
    const unsigned own = flags & (SR_KNOWN_BY_SERVER | SR_KNOWN_BY_CLIENT);
    const unsigned side = flags & (SR_KNOWN_A | SR_KNOWN_B);
    SR_REQUIRE(mw >= 1 && mw <= 64 && nx >= 1 && nx <= 64);
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(own == SR_KNOWN_BY_SERVER || own == SR_KNOWN_BY_CLIENT);
    SR_REQUIRE(side == SR_KNOWN_A || side == SR_KNOWN_B);
    SR_REQUIRE((flags & ~(SR_MULT_SIGNED | own | side)) == 0);
    const int here = sr_known_here(L, flags);
    const fan f = {d1, d2, d3, side == SR_KNOWN_B};
    const size_t nX = fan_ns(&f), nW = side == SR_KNOWN_A ? d1 * d2 : d2 * d3;
    SR_REQUIRE(d1 * d3 == 0 || Z != NULL);
    SR_REQUIRE(nX == 0 || X != NULL);
    SR_REQUIRE(nW == 0 || !here || W != NULL);
    if (d1 * d3 == 0)
        return SR_OK;
    memset(Z, 0, d1 * d3 * sizeof *Z);
    if (d2 == 0)
        return SR_OK;

    const unsigned sx = flags & SR_MULT_SIGNED_B ? 1 : 0;
    const unsigned sw = flags & SR_MULT_SIGNED_A ? 1 : 0;
    uint64_t *xp = sr_scratch_u64(L, nX);
    uint8_t *wx = sr_scratch_u8(L, nX);
    uint64_t *Ws = sr_scratch_u64(L, here ? nW : 0);
    int rc = SR_ENOMEM;
    if (xp == NULL || wx == NULL || Ws == NULL)
        goto out;
    sr_share_add_const(L, nX, xp, X, sx ? pow2(nx - 1) : 0, nx);
    rc = sr_wrap(L, nX, wx, xp, nx);
    if (rc != SR_OK)
        goto out;
    if (here) {
        for (size_t q = 0; q < nW; q++) { /* W as an integer mod 2^64 */
            uint64_t v = W[q] & sr_mask(mw);
            if (sw && mw < 64 && (v >> (mw - 1)))
                v |= ~sr_mask(mw);
            Ws[q] = v;
        }
        rc = known_owner(L, &f, Z, Ws, xp, wx, nx, bw, sx);
    } else {
        rc = known_peer(L, &f, Z, xp, wx, nx, bw);
    }
    for (size_t q = 0; q < d1 * d3; q++)
        Z[q] &= sr_mask(bw);
out:
    sr_scratch_release(L, Ws);
    sr_scratch_release(L, wx);
    sr_scratch_release(L, xp);
    return rc;
}
