/*
 * math/mathfn_plain.c -- cleartext twins of the math functions.  Every
 * statement is one block of math/fxp.h; the step numbers match the
 * algorithm descriptions in math/mathfn.h.
 */
#include "math/mathfn.h"

#include "math/div.h"

#include <stdlib.h>

static uint64_t
pow2(unsigned k)
{
    return (uint64_t)1 << k;
}

/*
 * exp stage: e^{-z/2^s_z} for the unsigned bw_z-bit z.  With round = 0 the
 * result is e at scale s_e (w_e bits); with round = 1 the last product
 * (or the single digit) is rounded to nearest at scale s_e - G, and *w
 * receives the result's width.
 */
static uint64_t
exp_stage(const sr_math_plan *P, const sr_math_tab *T, const uint64_t *dig,
          int round, unsigned G, unsigned *w)
{
    uint64_t e[SR_MATH_MAX_DIGITS];
    unsigned we = P->w_e, se = P->s_e;

    for (unsigned j = 0; j < P->ndig; j++) /* 3. LUTs */
        e[j] = sr_fxp_lut(T->exp[j], dig[j], P->dw[j], P->wt[j]);

    if (P->ndig == 1) {
        *w = round ? we - G : we;
        return round ? sr_fxp_tr(e[0] + pow2(G - 1), we, G) : e[0];
    }
    for (unsigned i = 1; i < P->ndig; i *= 2) { /* 4. tree */
        for (unsigned j = 0; j + i < P->ndig; j += 2 * i) {
            uint64_t p;
            if (i == 1 && P->comp[j]) /* e_{j+1} (2^s_e - eps_j) */
                p = ((e[j + 1] << se) - sr_fxp_umult(e[j + 1], P->wt[j + 1],
                                                     e[j], P->wt[j], 2 * we)) &
                    sr_mask(2 * we);
            else if (i == 1) /* raw LUT outputs */
                p = sr_fxp_umult(e[j], P->wt[j], e[j + 1], P->wt[j + 1],
                                 2 * we);
            else
                p = sr_fxp_umult(e[j], we, e[j + i], we, 2 * we);
            if (round && 2 * i >= P->ndig) {
                *w = 2 * we - se - G;
                return sr_fxp_tr(p + pow2(se + G - 1), 2 * we, se + G);
            }
            /* round to nearest (a public constant added before TR:
             * free), so e carries no downward bias */
            e[j] = sr_fxp_reduce(sr_fxp_tr(p + pow2(se - 1), 2 * we, se),
                                 2 * we - se, we);
        }
    }
    *w = we;
    return e[0];
}

/* r_full = a_idx 2^sh - b_idx delta, W bits (scale S). */
static uint64_t
segment_stage(const sr_math_plan *P, const sr_math_tab *T, uint64_t idx,
              uint64_t delta)
{
    uint64_t a = sr_fxp_lut(T->a, idx, P->gi, P->w_a);
    uint64_t b = sr_fxp_lut(T->b, idx, P->gi, P->w_b);
    uint64_t bd = P->w_dl ? sr_fxp_umult(b, P->w_b, delta, P->w_dl, P->W)
                          : 0; /* no delta bits: the LUT alone */
    return ((a << P->sh) - bd) & sr_mask(P->W);
}

/* Fit an unsigned value of w bits (known to fit bw_y) to bw_y bits. */
static uint64_t
fit_unsigned(uint64_t v, unsigned w, unsigned bw)
{
    return w >= bw ? sr_fxp_reduce(v, w, bw) : sr_fxp_zext(v, w, bw);
}

static uint64_t
exp_one(const sr_math_plan *P, const sr_math_tab *T, uint64_t x)
{
    unsigned bw = P->fx.bw, w;
    uint64_t z = (0 - x) & sr_mask(bw), dig[SR_MATH_MAX_DIGITS]; /* 1. */
    sr_fxp_digdec(dig, z, bw, P->d);                             /* 2. */
    uint64_t y = exp_stage(P, T, dig, 1, P->s_e - P->fy.s, &w);  /* 3-4. */
    return fit_unsigned(y, w, P->fy.bw);                         /* 5. */
}

static uint64_t
sigmoid_tanh_one(const sr_math_plan *P, const sr_math_tab *T, uint64_t x)
{
    unsigned bw = P->fx.bw, sy = P->fy.s, w, top = P->ndig - 1;
    uint64_t dig[SR_MATH_MAX_DIGITS];
    /* 1. digits of x; the top digit's LUT gives b = MSB(x); the lower
     * digits of |x| - b = (b ? ~x : x) are d + b (2^w - 1 - 2d) */
    sr_fxp_digdec(dig, x, bw, P->d);
    unsigned b = T->sign[dig[top]];
    for (unsigned j = 0; j < top; j++) {
        unsigned dw = P->dw[j];
        dig[j] = (dig[j] +
                  sr_fxp_mux(b, (sr_mask(dw) - 2 * dig[j]) & sr_mask(dw), dw)) &
                 sr_mask(dw);
    }
    /* 2. e = exp(-|x|) (sigmoid) or exp(-2|x|) (tanh), s_e bits, e < 1 */
    uint64_t e = exp_stage(P, T, dig, 0, 0, &w);
    /* 3. segment LUT on f = e */
    uint64_t idx = sr_fxp_tr(e, P->s_f, P->s_f - P->g);
    uint64_t delta = e & sr_mask(P->w_dl); /* local reduce */
    uint64_t r = segment_stage(P, T, idx, delta);
    unsigned shift = P->S - sy;
    if (P->fn == SR_MATH_SIGMOID) {
        /* 4. y+ = RN(r) at s_y, s_y + 2 bits (top bit 0) */
        unsigned wy = P->W - shift;
        uint64_t yp = sr_fxp_tr(r + pow2(shift - 1), P->W, shift);
        /* 5. y = y+ + b (2^s_y - 2 y+), in [0, 2^s_y] */
        uint64_t y =
            (yp + sr_fxp_mux(b, (pow2(sy) - 2 * yp) & sr_mask(wy), wy)) &
            sr_mask(wy);
        return fit_unsigned(y, wy, P->fy.bw); /* 6. */
    }
    /* 4'. t = 2 r - 1 (W + 1 bits, signed), y+ = RN(t) at s_y */
    unsigned wt = P->W + 1, wy = wt - shift; /* s_y + 3 */
    uint64_t t = (2 * r - pow2(P->S)) & sr_mask(wt);
    uint64_t yp = sr_fxp_tr(t + pow2(shift - 1), wt, shift);
    /* 5'. y = y+ + b (-2 y+), in [-2^s_y, 2^s_y] */
    uint64_t y =
        (yp + sr_fxp_mux(b, (0 - 2 * yp) & sr_mask(wy), wy)) & sr_mask(wy);
    /* 6'. SExt as y + 2^s_y (top bit known 0), ZExt, - 2^s_y; or an exact
     * reduce when bw_y <= s_y + 3 */
    if (P->fy.bw <= wy)
        return sr_fxp_reduce(y, wy, P->fy.bw);
    uint64_t z = sr_fxp_zext((y + pow2(sy)) & sr_mask(wy), wy, P->fy.bw);
    return (z - pow2(sy)) & sr_mask(P->fy.bw);
}

static uint64_t
recip_unit_one(const sr_math_plan *P, const sr_math_tab *T, uint64_t x)
{
    unsigned sy = P->fy.s;
    uint64_t f = sr_fxp_reduce(x, P->fx.bw, P->s_f);
    uint64_t idx = sr_fxp_tr(f, P->s_f, P->s_f - P->g);
    uint64_t delta = f & sr_mask(P->w_dl); /* local reduce */
    uint64_t r = segment_stage(P, T, idx, delta);
    unsigned shift = P->S - sy;
    uint64_t yp = sr_fxp_tr(r + pow2(shift - 1), P->W, shift);
    return fit_unsigned(yp, P->W - shift, P->fy.bw);
}

/*
 * The iteration (t = 1) on r_full: r at scale R, R + 1 bits (r < 1).
 *   reciprocal (Goldschmidt):
 *     r0 = TR(r_full, W, S - Q)                      (Q + 2 bits)    TR
 *     e  = 2^(M+Q) - m r0 over M + Q + 2 bits (signed)          *UMult
 *     e' = TR(e, M + Q + 2, M + Q - E)               (E + 2 bits)    TR
 *     r1 = r0 2^E + r0 e' over Q + E + 2 bits (scale Q + E)
 *                                               *UMult, *ZExt x2 (below)
 *   rsqrt (Newton, a = 2^q m):
 *     w  = TR(m r0, M + Q + 2, M + Q - K)            (K + 2 bits) *UMult, TR
 *     u  = w r0 over K + Q + 3 bits; u' = u + q u (= 2^q m r0^2) *UMult, MUX
 *     e  = 2^(K+Q) - u'; e' = TR(e, K + Q + 3, K + Q - E)           TR
 *     r1 = r0 2^(E+1) + r0 e' over Q + E + 3 bits (scale Q + E + 1)
 *                                               *UMult, *ZExt x2 (below)
 *   r = TR(r1 - nbias, ., scale(r1) - R) reduced to R + 1 bits       TR
 * r0 e' is computed as r0 (e' + 2^(E-10)) - r0 2^(E-10): the biased e' is
 * positive and below 2^(E-9) (|e| < 2^-10 by far), so it is reduced to
 * w_eb = E - 8 bits (top bit 0), the product is a *UMult over Q + E - 6
 * bits, *ZExt to the width of r1, and r0 is *ZExt there too (the
 * constant multiple is then local).  Same integer as SMult(r0, e').
 */
static uint64_t
r0_times_e(const sr_math_plan *P, uint64_t r0, uint64_t et, unsigned wet,
           unsigned sh, unsigned w1)
{
    unsigned Q = P->Q, E = P->E, wp = Q + 2 + P->w_eb;
    uint64_t bias = pow2(E - 10);
    uint64_t eb = sr_fxp_reduce((et + bias) & sr_mask(wet), wet, P->w_eb);
    uint64_t prod = sr_fxp_zext(sr_fxp_umult(r0, Q + 2, eb, P->w_eb, wp), wp,
                                w1);
    uint64_t r0w = sr_fxp_zext(r0, Q + 2, w1);
    /* r1 = r0 2^sh + r0 e' = r0 (2^sh - bias) + r0 (e' + bias) */
    return (r0w * (pow2(sh) - bias) + prod) & sr_mask(w1);
}
static uint64_t
iterate_one(const sr_math_plan *P, uint64_t rf, uint64_t m, unsigned q)
{
    unsigned M = P->s_f, nk = M + 1, Q = P->Q, E = P->E, K = P->K;
    uint64_t r0 = sr_fxp_tr(rf, P->W, P->S - Q);
    uint64_t r1;
    unsigned w1, s1;
    if (P->fn == SR_MATH_RECIP) {
        unsigned we = M + Q + 2;
        uint64_t e = (pow2(M + Q) - sr_fxp_umult(m, nk, r0, Q + 2, we)) &
                     sr_mask(we);
        uint64_t et = sr_fxp_tr(e, we, M + Q - E);
        w1 = Q + E + 2;
        s1 = Q + E;
        r1 = r0_times_e(P, r0, et, E + 2, E, w1);
    } else {
        unsigned wm = M + Q + 2, wu = K + Q + 3;
        uint64_t w = sr_fxp_tr(sr_fxp_umult(m, nk, r0, Q + 2, wm), wm,
                               M + Q - K);
        uint64_t u = sr_fxp_umult(w, K + 2, r0, Q + 2, wu);
        u = (u + sr_fxp_mux(q, u, wu)) & sr_mask(wu);
        uint64_t e = (pow2(K + Q) - u) & sr_mask(wu);
        uint64_t et = sr_fxp_tr(e, wu, K + Q - E);
        w1 = Q + E + 3;
        s1 = Q + E + 1;
        r1 = r0_times_e(P, r0, et, E + 3, E + 1, w1);
    }
    uint64_t r = sr_fxp_tr(r1 - P->nbias, w1, s1 - P->R);
    return r & sr_mask(P->Wf);
}

static uint64_t
normalised_one(const sr_math_plan *P, const sr_math_tab *T, uint64_t x)
{
    unsigned nk = P->nk, bwy = P->fy.bw;
    uint8_t h[64];
    /* 1. one-hot of the MSNZB over the low bw_x - 1 bits */
    sr_fxp_msnzb_onehot(h, x, nk);
    /* 2. adjust = sum h_k 2^(nk-1-k); m = x * adjust (nk bits) */
    uint64_t adj = 0, Pk = 0, sat = 0;
    unsigned q = 0;
    for (unsigned k = 0; k < nk; k++) {
        adj += sr_fxp_mux(h[k], pow2(nk - 1 - k), nk);
        Pk += sr_fxp_mux(h[k], T->P[k], P->wP);
        sat += sr_fxp_mux(h[k], T->sat[k], bwy);
        q ^= h[k] & T->parity[k];
    }
    adj &= sr_mask(nk);
    Pk &= sr_mask(P->wP);
    sat &= sr_mask(bwy);
    uint64_t m = sr_fxp_umult(x, nk, adj, nk, nk);
    /* 3. segment LUT: index from the top g + 1 bits of m */
    uint64_t top = sr_fxp_tr(m, nk, P->s_f - P->g); /* 2^g + i */
    uint64_t idx = P->fn == SR_MATH_RSQRT
                       ? (top + ((uint64_t)q << P->g)) & sr_mask(P->gi)
                       : top & sr_mask(P->g);
    uint64_t delta = m & sr_mask(P->w_dl); /* local reduce */
    uint64_t r = segment_stage(P, T, idx, delta);
    if (P->t) /* 3'. one iteration */
        r = iterate_one(P, r, m, q);
    /* 4. y = RN(r * P / 2^(Sf - c_min)) + sat */
    unsigned wp = P->Wf + P->wP, shift = (unsigned)((int)P->Sf - P->c_min);
    uint64_t prod = sr_fxp_umult(r, P->Wf, Pk, P->wP, wp);
    uint64_t yv = sr_fxp_tr(prod + pow2(shift - 1), wp, shift);
    yv = fit_unsigned(yv, P->wY, bwy);
    return (yv + sat) & sr_mask(bwy);
}

void
sr_math_plain_run(const sr_math_plan *P, const sr_math_tab *T, size_t n,
                  uint64_t *y, const uint64_t *x)
{
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL && P != NULL && T != NULL));
    for (size_t i = 0; i < n; i++) {
        uint64_t xi = x[i] & sr_mask(P->fx.bw), yi;
        switch (P->fn) {
        case SR_MATH_EXP:
            yi = exp_one(P, T, xi);
            break;
        case SR_MATH_SIGMOID:
        case SR_MATH_TANH:
            yi = sigmoid_tanh_one(P, T, xi);
            break;
        case SR_MATH_RECIP:
            yi = P->normalise ? normalised_one(P, T, xi)
                              : recip_unit_one(P, T, xi);
            break;
        default:
            yi = normalised_one(P, T, xi);
            break;
        }
        y[i] = yi;
    }
}

int
sr_math_plain(sr_mathfn fn, size_t n, uint64_t *y, sr_fx fy, const uint64_t *x,
              sr_fx fx, const sr_math_params *params)
{
    sr_math_plan P;
    sr_math_plan_make(&P, fn, fy, fx, params);
    sr_math_tab *T = malloc(sizeof *T);
    if (T == NULL)
        return SR_ENOMEM;
    sr_math_tab_fill(T, &P);
    sr_math_plain_run(&P, T, n, y, x);
    free(T);
    return SR_OK;
}

int
sr_exp_neg_plain(size_t n, uint64_t *y, sr_fx fy, const uint64_t *x, sr_fx fx,
                 const sr_math_params *params)
{
    return sr_math_plain(SR_MATH_EXP, n, y, fy, x, fx, params);
}

int
sr_sigmoid_plain(size_t n, uint64_t *y, sr_fx fy, const uint64_t *x, sr_fx fx,
                 const sr_math_params *params)
{
    return sr_math_plain(SR_MATH_SIGMOID, n, y, fy, x, fx, params);
}

int
sr_tanh_plain(size_t n, uint64_t *y, sr_fx fy, const uint64_t *x, sr_fx fx,
              const sr_math_params *params)
{
    return sr_math_plain(SR_MATH_TANH, n, y, fy, x, fx, params);
}

int
sr_recip_plain(size_t n, uint64_t *y, sr_fx fy, const uint64_t *x, sr_fx fx,
               const sr_math_params *params)
{
    return sr_math_plain(SR_MATH_RECIP, n, y, fy, x, fx, params);
}

int
sr_rsqrt_plain(size_t n, uint64_t *y, sr_fx fy, const uint64_t *x, sr_fx fx,
               const sr_math_params *params)
{
    return sr_math_plain(SR_MATH_RSQRT, n, y, fy, x, fx, params);
}

/* --- division (math/div.h) --------------------------------------------- */

static uint64_t
div_one(const sr_div_plan *D, const sr_math_tab *T, const uint64_t *Pk,
        uint64_t num, uint64_t den)
{
    const sr_math_plan *R = &D->R;
    unsigned nk = R->nk;
    uint8_t h[64];
    /* 1. one-hot, m in [1, 2), r_full */
    sr_fxp_msnzb_onehot(h, den, nk);
    uint64_t adj = 0, P = 0;
    for (unsigned k = 0; k < nk; k++) {
        adj += sr_fxp_mux(h[k], pow2(nk - 1 - k), nk);
        P += sr_fxp_mux(h[k], Pk[k], D->wP);
    }
    adj &= sr_mask(nk);
    P &= sr_mask(D->wP);
    uint64_t m = sr_fxp_umult(den, nk, adj, nk, nk);
    uint64_t idx = sr_fxp_tr(m, nk, R->s_f - R->g) & sr_mask(R->g);
    uint64_t rf = segment_stage(R, T, idx, m & sr_mask(R->w_dl));
    /* 2. r = RN(r_full) at s_r */
    unsigned s2 = R->S - D->s_r;
    uint64_t r = sr_fxp_tr(rf + pow2(s2 - 1), R->W, s2);
    /* 3. t = num * r (r's top bit is 0: signed = unsigned) */
    uint64_t t = sr_fxp_smult(num, D->fn.bw, r, D->w_r, D->w_t);
    /* 4. v = RN(t 2^e_k) */
    unsigned wp = D->w_t + D->wP;
    uint64_t v = sr_fxp_smult(t, D->w_t, P, D->wP, wp);
    if (D->sh > 0)
        v = sr_fxp_tr(v + pow2(D->sh - 1), wp, D->sh);
    /* 5. clamp to the signed bw_y range */
    return sr_fxp_sat(sr_fxp_sext(v, D->w_v), D->fy.bw);
}

int
sr_div_plain(size_t n, uint64_t *y, sr_fx fy, const uint64_t *num, sr_fx fn,
             const uint64_t *den, sr_fx fd, const sr_math_params *params)
{
    SR_REQUIRE(n == 0 || (y != NULL && num != NULL && den != NULL));
    sr_div_plan D;
    sr_div_plan_make(&D, fy, fn, fd, params);
    sr_math_tab *T = malloc(sizeof *T);
    if (T == NULL)
        return SR_ENOMEM;
    uint64_t Pk[64];
    sr_div_tab_fill(T, Pk, &D);
    for (size_t i = 0; i < n; i++)
        y[i] = div_one(&D, T, Pk, num[i] & sr_mask(fn.bw),
                       den[i] & sr_mask(fd.bw));
    free(T);
    return SR_OK;
}
