/*
 * math/secure.c -- secure exp / sigmoid / tanh / unit reciprocal: the
 * step-by-step mirror of math/mathfn_plain.c on shares.  No branch on the
 * lane's role here: public constants go through sr_share_add_const.
 */
#include "math/secure.h"

#include "math/secure_internal.h"

#include <stdlib.h>
#include <string.h>

#include "protocols/digdec.h"
#include "protocols/ext.h"
#include "protocols/lut.h"
#include "protocols/lut2.h"
#include "protocols/b2a.h"
#include "protocols/mill.h"
#include "protocols/msnzb.h"
#include "protocols/mult.h"
#include "protocols/mux.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

static void
reduce(size_t n, uint64_t *v, unsigned bw)
{
    for (size_t i = 0; i < n; i++)
        v[i] &= sr_mask(bw);
}

/* see secure_internal.h */
int
sr_math_work_get(sr_lane *L, sr_math_work *w, size_t n, unsigned nd)
{
    w->blk = sr_scratch_u64(L, (2 * (size_t)nd + 4) * n);
    w->bits = sr_scratch_u8(L, 2 * n);
    if (w->blk == NULL || w->bits == NULL) {
        sr_scratch_release(L, w->bits);
        sr_scratch_release(L, w->blk);
        return SR_ENOMEM;
    }
    w->dig = w->blk;
    w->e = w->dig + (size_t)nd * n;
    w->q = w->e + (size_t)nd * n;
    w->t1 = w->q + n;
    w->t2 = w->t1 + n;
    w->t3 = w->t2 + n;
    w->zero = w->bits;
    w->b = w->bits + n;
    memset(w->zero, 0, n);
    return SR_OK;
}

/* see secure_internal.h */
void
sr_math_work_put(sr_lane *L, sr_math_work *w)
{
    sr_scratch_release(L, w->bits);
    sr_scratch_release(L, w->blk);
}

/*
 * Steps 3-4 of the exp stage on the digit rows w->dig: one LUT per digit,
 * then the product tree.  round = 1 (exp): the last product is rounded to
 * scale s_e - G into out (width *wout).  round = 0: e stays at scale s_e
 * in w->e row 0, width *wout.
 */
static int
exp_tree(sr_lane *L, const sr_math_plan *P, const sr_math_tab *T, size_t n,
         sr_math_work *w, int round, unsigned G, uint64_t *out, unsigned *wout)
{
    unsigned nd = P->ndig, se = P->s_e, we = P->w_e, W2 = 2 * we;
    unsigned ew[SR_MATH_MAX_DIGITS];
    int rc = SR_OK;

    for (unsigned j = 0; j < nd && rc == SR_OK; j++) { /* 3. LUTs */
        ew[j] = P->wt[j] + 1; /* entries < 2^wt: top bit known 0 */
        /* signed_top: the top digit's entry came with b (sr_lut2) */
        if (P->signed_top && j + 1 == nd)
            continue;
        rc = sr_lut(L, n, w->e + j * n, w->dig + j * n, P->dw[j], T->exp[j],
                    ew[j]);
    }
    if (rc != SR_OK)
        return rc;
    if (nd == 1) {
        uint64_t *e0 = w->e;
        *wout = ew[0];
        if (!round) {
            memcpy(out, e0, n * sizeof *out);
            return SR_OK;
        }
        sr_share_add_const(L, n, e0, e0, pow2(G - 1), ew[0]);
        *wout = ew[0] - G;
        return sr_trunc_reduce(L, n, out, e0, ew[0], G);
    }
    for (unsigned i = 1; i < nd; i *= 2) { /* 4. tree */
        for (unsigned j = 0; j + i < nd; j += 2 * i) {
            uint64_t *ea = w->e + j * n, *eb = w->e + (j + i) * n;
            int last = round && 2 * i >= nd;
            if (i == 1 && P->comp[j]) {
                /* p = e_{j+1} 2^s_e - e_{j+1} eps_j */
                unsigned m = ew[j + 1], nb = ew[j], bq = m + nb;
                rc = sr_mult_msb(L, n, w->q, eb, ea, w->zero, w->zero, m, nb,
                                 bq, PUB0);
                if (rc == SR_OK && bq < W2)
                    rc = sr_ext_zero(L, n, w->q, w->q, w->zero, bq, W2,
                                     SR_MSB_PUBLIC);
                if (bq > W2)
                    reduce(n, w->q, W2);
                /* e_{j+1}'s share may wrap mod 2^m: harmless after the
                 * shift when m + s_e >= W2 */
                SR_REQUIRE(m + se >= W2);
                for (size_t k = 0; k < n; k++)
                    w->q[k] = ((eb[k] << se) - w->q[k]) & sr_mask(W2);
            } else {
                SR_REQUIRE(W2 <= ew[j] + ew[j + i]);
                rc = sr_mult_msb(L, n, w->q, ea, eb, w->zero, w->zero, ew[j],
                                 ew[j + i], W2, PUB0);
            }
            if (rc != SR_OK)
                return rc;
            if (last) {
                sr_share_add_const(L, n, w->q, w->q, pow2(se + G - 1), W2);
                *wout = W2 - se - G;
                return sr_trunc_reduce(L, n, out, w->q, W2, se + G);
            }
            sr_share_add_const(L, n, w->q, w->q, pow2(se - 1), W2);
            rc = sr_trunc_reduce(L, n, ea, w->q, W2, se);
            if (rc != SR_OK)
                return rc;
            ew[j] = W2 - se < we + 1 ? W2 - se : we + 1;
            reduce(n, ea, ew[j]);
        }
    }
    *wout = ew[0];
    if (!round)
        memcpy(out, w->e, n * sizeof *out);
    return SR_OK;
}

int
sr_math_segment_run(sr_lane *L, const sr_math_plan *P, const sr_math_tab *T,
                    size_t n, sr_math_work *w, uint64_t *r, const uint64_t *src,
                    unsigned wsrc, const uint8_t *q)
{
    unsigned g = P->g, wdl = P->w_dl, W = P->W, s = P->s_f - g;
    uint64_t *idx = w->t1, *dl = w->t2, *ta = w->t3, *tb = w->q;
    int rc = SR_OK;

    if (s > 0) /* i = TR(src, s) */
        rc = sr_trunc_reduce(L, n, idx, src, wsrc, s);
    else
        memcpy(idx, src, n * sizeof *idx);
    if (rc != SR_OK)
        return rc;
    for (size_t k = 0; k < n; k++) {
        /* delta = src - i 2^w_dl, exact, w_dl + 1 bits with top bit 0 */
        dl[k] = (src[k] - (idx[k] << wdl)) & sr_mask(wdl + 1);
        if (q != NULL)
            idx[k] = (idx[k] + ((uint64_t)q[k] << g)) & sr_mask(g + 1);
        else
            idx[k] &= sr_mask(g);
    }
    unsigned wa = W - P->sh, wb = W - (wdl + 1);
    SR_REQUIRE(wa >= P->w_a && wb >= P->w_b);
    if (wdl > 0 && wa + wb <= 64) /* a and b in one OT */
        rc = sr_lut2(L, n, ta, tb, idx, P->gi, T->a, T->b, wa, wb);
    else
        rc = sr_lut(L, n, ta, idx, P->gi, T->a, wa);
    if (rc == SR_OK && wdl > 0 && wa + wb > 64)
        rc = sr_lut(L, n, tb, idx, P->gi, T->b, wb);
    if (rc == SR_OK && wdl > 0)
        rc = sr_mult_msb(L, n, tb, tb, dl, w->zero, w->zero, wb, wdl + 1, W,
                         PUB0);
    if (rc != SR_OK)
        return rc;
    for (size_t k = 0; k < n; k++) {
        uint64_t bd = wdl > 0 ? tb[k] : 0;
        r[k] = ((ta[k] << P->sh) - bd) & sr_mask(W);
    }
    return SR_OK;
}

/* Fit an unsigned value (top bit known 0) of wv bits to bw bits. */
static int
fit_unsigned(sr_lane *L, size_t n, uint64_t *y, uint64_t *v, unsigned wv,
             unsigned bw, const uint8_t *zero)
{
    if (wv >= bw) {
        for (size_t k = 0; k < n; k++)
            y[k] = v[k] & sr_mask(bw);
        return SR_OK;
    }
    return sr_ext_zero(L, n, y, v, zero, wv, bw, SR_MSB_PUBLIC);
}

static int
expfam_run(sr_lane *L, const sr_math_plan *P, const sr_math_tab *T, size_t n,
           uint64_t *y, const uint64_t *x)
{
    unsigned nd = P->ndig, top = nd - 1, bwx = P->fx.bw, sy = P->fy.s;
    sr_math_work w;
    int rc = sr_math_work_get(L, &w, n, nd);
    if (rc != SR_OK)
        return rc;
    uint64_t *src = w.t1, *e = w.t2;
    unsigned we;

    if (P->fn == SR_MATH_EXP) {
        sr_share_neg(n, src, x, bwx);                /* 1. z = -x */
        rc = sr_digdec(L, n, w.dig, src, bwx, P->d); /* 2. */
        if (rc == SR_OK)
            rc = exp_tree(L, P, T, n, &w, 1, P->s_e - sy, w.t3, &we);
        if (rc == SR_OK)
            rc = fit_unsigned(L, n, y, w.t3, we, P->fy.bw, w.zero); /* 5. */
        sr_math_work_put(L, &w);
        return rc;
    }

    /* 1. digits of x; b = MSB(x) from the top digit; lower digits of
     * b ? ~x : x */
    memcpy(src, x, n * sizeof *src);
    rc = sr_digdec(L, n, w.dig, src, bwx, P->d);
    uint64_t Tb[256];
    for (unsigned v = 0; v < (1u << P->dw[top]); v++)
        Tb[v] = T->sign[v];
    /* b and the top digit's exp entry (exp_tree skips that LUT) */
    if (rc == SR_OK)
        rc = sr_lut2(L, n, w.t3, w.e + top * n, w.dig + top * n, P->dw[top], Tb,
                     T->exp[top], 1, P->wt[top] + 1);
    for (size_t k = 0; k < n && rc == SR_OK; k++)
        w.b[k] = (uint8_t)(w.t3[k] & 1);
    for (unsigned j = 0; j < top && rc == SR_OK; j++) {
        unsigned dw = P->dw[j];
        uint64_t *dj = w.dig + j * n;
        sr_share_mul_const(n, w.t3, dj, (uint64_t)0 - 2, dw);
        sr_share_add_const(L, n, w.t3, w.t3, sr_mask(dw), dw);
        rc = sr_mux(L, n, w.t3, w.b, w.t3, dw);
        sr_share_add(n, dj, dj, w.t3, dw);
    }
    /* 2. e = exp(-|x|) or exp(-2|x|) at s_e, e < 1 */
    if (rc == SR_OK)
        rc = exp_tree(L, P, T, n, &w, 0, 0, e, &we);
    if (rc != SR_OK) {
        sr_math_work_put(L, &w);
        return rc;
    }
    reduce(n, e, P->s_f); /* f = e */
    /* 3. r_full (W bits, scale S) */
    uint64_t *r = src;
    rc = sr_math_segment_run(L, P, T, n, &w, r, e, P->s_f, NULL);
    unsigned shift = P->S - sy, W = P->W;
    if (rc == SR_OK && P->fn == SR_MATH_SIGMOID) {
        unsigned wy = W - shift;
        /* 4. y+ = RN(r) at s_y */
        sr_share_add_const(L, n, r, r, pow2(shift - 1), W);
        rc = sr_trunc_reduce(L, n, e, r, W, shift);
        /* 5. y = y+ + b (2^s_y - 2 y+) */
        sr_share_mul_const(n, w.t3, e, (uint64_t)0 - 2, wy);
        sr_share_add_const(L, n, w.t3, w.t3, pow2(sy), wy);
        if (rc == SR_OK)
            rc = sr_mux(L, n, w.t3, w.b, w.t3, wy);
        sr_share_add(n, e, e, w.t3, wy);
        if (rc == SR_OK) /* 6. */
            rc = fit_unsigned(L, n, y, e, wy, P->fy.bw, w.zero);
    } else if (rc == SR_OK) {
        unsigned wt = W + 1, wy = wt - shift, bwy = P->fy.bw;
        /* 4'. t = 2 r - 2^S (+ half), y+ = TR */
        sr_share_mul_const(n, r, r, 2, wt);
        sr_share_add_const(L, n, r, r, pow2(shift - 1) - pow2(P->S), wt);
        rc = sr_trunc_reduce(L, n, e, r, wt, shift);
        /* 5'. y = y+ + b (-2 y+) */
        sr_share_mul_const(n, w.t3, e, (uint64_t)0 - 2, wy);
        if (rc == SR_OK)
            rc = sr_mux(L, n, w.t3, w.b, w.t3, wy);
        sr_share_add(n, e, e, w.t3, wy);
        /* 6'. SExt through y + 2^s_y (top bit known 0) */
        if (rc == SR_OK && bwy <= wy) {
            for (size_t k = 0; k < n; k++)
                y[k] = e[k] & sr_mask(bwy);
        } else if (rc == SR_OK) {
            sr_share_add_const(L, n, e, e, pow2(sy), wy);
            rc = sr_ext_zero(L, n, y, e, w.zero, wy, bwy, SR_MSB_PUBLIC);
            sr_share_add_const(L, n, y, y, (uint64_t)0 - pow2(sy), bwy);
        }
    }
    sr_math_work_put(L, &w);
    return rc;
}

static int
recip_unit_run(sr_lane *L, const sr_math_plan *P, const sr_math_tab *T,
               size_t n, uint64_t *y, const uint64_t *x)
{
    sr_math_work w;
    int rc = sr_math_work_get(L, &w, n, 1);
    if (rc != SR_OK)
        return rc;
    uint64_t *f = w.dig, *r = w.e;
    for (size_t k = 0; k < n; k++)
        f[k] = x[k] & sr_mask(P->s_f); /* f = x - 1 */
    rc = sr_math_segment_run(L, P, T, n, &w, r, f, P->s_f, NULL);
    unsigned shift = P->S - P->fy.s;
    sr_share_add_const(L, n, r, r, pow2(shift - 1), P->W);
    if (rc == SR_OK)
        rc = sr_trunc_reduce(L, n, f, r, P->W, shift);
    if (rc == SR_OK)
        rc = fit_unsigned(L, n, y, f, P->W - shift, P->fy.bw, w.zero);
    sr_math_work_put(L, &w);
    return rc;
}

/*
 * The iteration (t = 1; math/mathfn_plain.c iterate_one): r (W bits,
 * r_full) is replaced by r at scale R (Wf bits).  m: nk bits, MSB 1 (x > 0;
 * for x = 0 the result is multiplied by P = 0 anyway); q: rsqrt's parity
 * (boolean shares); ex: 3n words of scratch; ones/zero: public MSBs.
 */
static int
iterate_run(sr_lane *L, const sr_math_plan *P, size_t n, uint64_t *r,
            const uint64_t *m, const uint8_t *q, uint64_t *ex,
            const uint8_t *ones, const uint8_t *zero)
{
    unsigned M = P->s_f, nk = M + 1, Q = P->Q, E = P->E, K = P->K;
    uint64_t *r0 = ex, *a = ex + n, *b = ex + 2 * n;
    unsigned w1, s1, sh, wet;
    int rc = sr_trunc_reduce(L, n, r0, r, P->W, P->S - Q); /* Q + 2 bits */
    if (P->fn == SR_MATH_RECIP) {
        unsigned we = M + Q + 2;
        /* e = 2^(M+Q) - m r0 (signed, small) */
        if (rc == SR_OK)
            rc = sr_mult_msb(L, n, a, m, r0, ones, zero, nk, Q + 2, we, PUB0);
        sr_share_neg(n, a, a, we);
        sr_share_add_const(L, n, a, a, pow2(M + Q), we);
        if (rc == SR_OK) /* e' at scale E, E + 2 bits */
            rc = sr_trunc_reduce(L, n, a, a, we, M + Q - E);
        w1 = Q + E + 2;
        s1 = Q + E;
        sh = E;
        wet = E + 2;
    } else {
        unsigned wm = M + Q + 2, wu = K + Q + 3;
        /* w = TR(m r0) at scale K (K + 2 bits, top bit 0) */
        if (rc == SR_OK)
            rc = sr_mult_msb(L, n, a, m, r0, ones, zero, nk, Q + 2, wm, PUB0);
        if (rc == SR_OK)
            rc = sr_trunc_reduce(L, n, a, a, wm, M + Q - K);
        /* u = w r0; u' = u + q u = 2^q m r0^2 */
        if (rc == SR_OK)
            rc =
                sr_mult_msb(L, n, b, a, r0, zero, zero, K + 2, Q + 2, wu, PUB0);
        if (rc == SR_OK)
            rc = sr_mux(L, n, a, q, b, wu);
        sr_share_add(n, b, b, a, wu);
        /* e = 2^(K+Q) - u', e' at scale E (E + 3 bits) */
        sr_share_neg(n, b, b, wu);
        sr_share_add_const(L, n, b, b, pow2(K + Q), wu);
        if (rc == SR_OK)
            rc = sr_trunc_reduce(L, n, a, b, wu, K + Q - E);
        w1 = Q + E + 3;
        s1 = Q + E + 1;
        sh = E + 1; /* r0 e' = r0 e/2 at scale Q + E + 1 */
        wet = E + 3;
    }
    /* r0 e' = r0 (e' + bias) - r0 bias: e' + bias in (0, 2^(w_eb - 1)) */
    unsigned web = P->w_eb, wp = Q + 2 + web;
    uint64_t bias = pow2(E - 10);
    sr_share_add_const(L, n, a, a, bias, wet);
    reduce(n, a, web);
    if (rc == SR_OK)
        rc = sr_mult_msb(L, n, b, r0, a, zero, zero, Q + 2, web, wp, PUB0);
    if (rc == SR_OK)
        rc = sr_ext_zero(L, n, b, b, zero, wp, w1, SR_MSB_PUBLIC);
    if (rc == SR_OK) /* r0 in the ring of r1, so r0 c is local */
        rc = sr_ext_zero(L, n, r0, r0, zero, Q + 2, w1, SR_MSB_PUBLIC);
    if (rc != SR_OK)
        return rc;
    /* r1 = r0 (2^sh - bias) + r0 (e' + bias); r = TR(r1 - nbias) */
    for (size_t k = 0; k < n; k++)
        b[k] = (r0[k] * (pow2(sh) - bias) + b[k]) & sr_mask(w1);
    sr_share_add_const(L, n, b, b, (uint64_t)0 - P->nbias, w1);
    rc = sr_trunc_reduce(L, n, r, b, w1, s1 - P->R);
    reduce(n, r, P->Wf);
    return rc;
}

/*
 * General reciprocal and rsqrt: MSNZB one-hot h of x's low bw_x - 1 bits,
 * one B2A per bit carrying the three linear combinations (adjust, P,
 * sat), m = x adjust in [1, 2), the segment stage, y = RN(r P) + sat.
 */
static int
normalised_run(sr_lane *L, const sr_math_plan *P, const sr_math_tab *T,
               size_t n, uint64_t *y, const uint64_t *x)
{
    unsigned nk = P->nk, bwx = P->fx.bw, bwy = P->fy.bw, wP = P->wP;
    unsigned wb2a = nk + 1;
    if (wb2a < wP + 1)
        wb2a = wP + 1;
    if (wb2a < bwy)
        wb2a = bwy;
    sr_math_work w;
    int rc = sr_math_work_get(L, &w, n, 2);
    if (rc != SR_OK)
        return rc;
    uint8_t *h = sr_scratch_u8(L, n * nk), *q = sr_scratch_u8(L, 2 * n);
    uint64_t *ha = sr_scratch_u64(L, n * nk);
    uint64_t *ex = P->t ? sr_scratch_u64(L, 3 * n) : NULL;
    if (h == NULL || q == NULL || ha == NULL || (P->t && ex == NULL)) {
        sr_scratch_release(L, ex);
        sr_scratch_release(L, ha);
        sr_scratch_release(L, q);
        sr_scratch_release(L, h);
        sr_math_work_put(L, &w);
        return SR_ENOMEM;
    }
    uint8_t *ones = q + n; /* public MSB 1 of m */
    memset(ones, 1, n);
    uint64_t *adj = w.dig, *Pk = w.dig + n, *sat = w.e, *m = w.e + n;
    /* 1. one-hot over the low nk bits (x > 0: bit nk is 0) */
    for (size_t k = 0; k < n; k++)
        m[k] = x[k] & sr_mask(nk);
    rc = sr_msnzb(L, n, h, m, nk, 8);
    /* 2. B2A, then local sums; the parity is a local XOR */
    if (rc == SR_OK)
        rc = sr_b2a(L, n * nk, ha, h, wb2a);
    for (size_t i = 0; i < n && rc == SR_OK; i++) {
        uint64_t a = 0, p = 0, t = 0;
        uint8_t par = 0;
        for (unsigned k = 0; k < nk; k++) {
            uint64_t v = ha[i * nk + k];
            a += v << (nk - 1 - k);
            p += v * T->P[k];
            t += v * T->sat[k];
            par ^= (uint8_t)(h[i * nk + k] & T->parity[k]);
        }
        adj[i] = a & sr_mask(nk + 1);
        Pk[i] = p & sr_mask(wP + 1);
        sat[i] = t & sr_mask(bwy);
        q[i] = par;
    }
    /* m = x * adjust (nk bits; both top bits known 0) */
    if (rc == SR_OK)
        rc =
            sr_mult_msb(L, n, m, x, adj, w.zero, w.zero, bwx, nk + 1, nk, PUB0);
    /* 3. r_full */
    uint64_t *r = w.t1;
    if (rc == SR_OK)
        rc = sr_math_segment_run(L, P, T, n, &w, r, m, nk,
                                 P->fn == SR_MATH_RSQRT ? q : NULL);
    /* 3'. one iteration: r at scale R */
    if (rc == SR_OK && P->t)
        rc = iterate_run(L, P, n, r, m, q, ex, ones, w.zero);
    /* 4. y = TR(r P + half, Sf - c_min) + sat */
    unsigned wp = P->Wf + wP, shift = (unsigned)((int)P->Sf - P->c_min);
    if (rc == SR_OK)
        rc = sr_mult_msb(L, n, r, r, Pk, w.zero, w.zero, P->Wf, wP + 1, wp,
                         PUB0);
    sr_share_add_const(L, n, r, r, pow2(shift - 1), wp);
    if (rc == SR_OK)
        rc = sr_trunc_reduce(L, n, m, r, wp, shift);
    if (rc == SR_OK)
        rc = fit_unsigned(L, n, y, m, P->wY, bwy, w.zero);
    if (rc == SR_OK)
        sr_share_add(n, y, y, sat, bwy);
    sr_scratch_release(L, ex);
    sr_scratch_release(L, ha);
    sr_scratch_release(L, q);
    sr_scratch_release(L, h);
    sr_math_work_put(L, &w);
    return rc;
}

int
sr_math_run_supported(const sr_math_plan *P)
{
    (void)P;
    return 1;
}

int
sr_math_run(sr_lane *L, const sr_math_plan *P, const sr_math_tab *T, size_t n,
            uint64_t *y, const uint64_t *x)
{
    SR_REQUIRE(L != NULL && P != NULL && T != NULL);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    SR_REQUIRE(sr_math_run_supported(P));
    if (n == 0)
        return SR_OK;
    if (P->normalise)
        return normalised_run(L, P, T, n, y, x);
    if (P->fn == SR_MATH_RECIP)
        return recip_unit_run(L, P, T, n, y, x);
    return expfam_run(L, P, T, n, y, x);
}

static int
run_fn(sr_lane *L, sr_mathfn fn, unsigned flags, size_t n, uint64_t *y,
       sr_fx fy, const uint64_t *x, sr_fx fx)
{
    sr_math_params prm = {0, 0, 0, flags, 0};
    sr_math_plan P;
    sr_math_plan_make(&P, fn, fy, fx, &prm);
    sr_math_tab *T = malloc(sizeof *T);
    if (T == NULL)
        return SR_ENOMEM;
    sr_math_tab_fill(T, &P);
    int rc = sr_math_run(L, &P, T, n, y, x);
    free(T);
    return rc;
}

int
sr_exp_neg(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
           sr_fx fx)
{
    return run_fn(L, SR_MATH_EXP, 0, n, y, fy, x, fx);
}

int
sr_sigmoid(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
           sr_fx fx)
{
    return run_fn(L, SR_MATH_SIGMOID, 0, n, y, fy, x, fx);
}

int
sr_tanh(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
        sr_fx fx)
{
    return run_fn(L, SR_MATH_TANH, 0, n, y, fy, x, fx);
}

int
sr_recip_unit(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
              sr_fx fx)
{
    return run_fn(L, SR_MATH_RECIP, SR_MATH_UNIT_RANGE, n, y, fy, x, fx);
}

int
sr_recip(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
         sr_fx fx)
{
    return run_fn(L, SR_MATH_RECIP, 0, n, y, fy, x, fx);
}

int
sr_rsqrt(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
         sr_fx fx)
{
    return run_fn(L, SR_MATH_RSQRT, 0, n, y, fy, x, fx);
}
