/*
 * math/plan.c -- widths, scales and public tables of the math functions.
 *
 * The rules (docs/math.md "Parameters"):
 *   d      = 8 (one 8-bit LUT per digit: SIRNN's KKOT limit)
 *   p      = target fraction bits of r = 1/D (or of the rsqrt mantissa):
 *            sigmoid s_y, tanh s_y + 1 (y = 2r - 1), recip on [1,2) s_y,
 *            recip general bw_y, rsqrt min(bw_y, s_y + 3)
 *   g      = ceil((p - 2) / 2) index bits of the first-order segment LUT
 *            (paper: sigmoid/tanh g = ceil((s_y - 2)/2)); rsqrt
 *            ceil((p - 3) / 2), because u^(-1/2) is flatter than 1/u;
 *            clamped to [1, 8] (rsqrt [1, 7]: one more bit holds the
 *            exponent parity)
 *   guard  = G fraction bits over the output: exp s_e = s_y + 1;
 *            sigmoid s_e = s_w = s_y + 1; tanh s_e = s_y + 1,
 *            s_w = s_y + 2 (its r is doubled); recip, rsqrt s_w = p + 2
 */
#include "math/plan.h"

#include "math/div.h"

#include <mpfr.h>
#include <string.h>

#define PREC 160

static unsigned
ceil_half(int v)
{
    return v <= 0 ? 0 : (unsigned)((v + 1) / 2);
}

static unsigned
clampu(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static uint64_t rn_cap(mpfr_t t, uint64_t cap);

/*
 * Entry v of exp table j: min(RN(e^{-v 2^{jd} / 2^s_z} 2^s_e), cap), with
 * cap = cap_top for the top digit and cap_e for the others.
 * With signed_top, the top digit v with its MSB set stands for a negative
 * x, |x| = ~x + 1: the entry is e^{-(~v 2^{jd} + 1) / 2^s_z}.
 */
static uint64_t
exp_entry(mpfr_t t, const sr_math_plan *P, unsigned j, uint64_t v)
{
    unsigned w = P->dw[j];
    if (P->signed_top && j + 1 == P->ndig && ((v >> (w - 1)) & 1)) {
        mpfr_set_uj(t, ~v & sr_mask(w), MPFR_RNDN);
        mpfr_mul_2si(t, t, (long)(j * P->d), MPFR_RNDN);
        mpfr_add_ui(t, t, 1, MPFR_RNDN);
        mpfr_mul_2si(t, t, -(long)P->s_z, MPFR_RNDN);
    } else {
        mpfr_set_uj(t, v, MPFR_RNDN);
        mpfr_mul_2si(t, t, (long)(j * P->d) - P->s_z, MPFR_RNDN);
    }
    mpfr_neg(t, t, MPFR_RNDN);
    mpfr_exp(t, t, MPFR_RNDN);
    mpfr_mul_2si(t, t, (long)P->s_e, MPFR_RNDN);
    return rn_cap(t, j + 1 == P->ndig ? P->cap_top : P->cap_e);
}

static unsigned
bits_of(uint64_t v)
{
    return v == 0 ? 1 : 64 - (unsigned)__builtin_clzll(v);
}

static void
plan_exp_stage(sr_math_plan *P, unsigned d, int s_z, unsigned s_e,
               uint64_t cap_e, uint64_t cap_top, int signed_top)
{
    P->signed_top = signed_top;
    P->bw_z = P->fx.bw;
    P->s_z = s_z;
    P->d = d < P->bw_z ? d : P->bw_z;
    P->ndig = (P->bw_z + P->d - 1) / P->d;
    SR_REQUIRE(P->ndig <= SR_MATH_MAX_DIGITS);
    for (unsigned j = 0; j < P->ndig; j++)
        P->dw[j] = (j + 1 == P->ndig) ? P->bw_z - j * P->d : P->d;
    P->s_e = s_e;
    P->cap_e = cap_e;
    P->cap_top = cap_top;
    unsigned w_cap = bits_of(cap_e), w_top = bits_of(cap_top);
    /* partial products stay <= cap_e; with only two digits the product
     * is bounded by the top digit's cap */
    P->w_e =
        (signed_top && P->ndig <= 2) ? w_top : (w_cap > w_top ? w_cap : w_top);
    SR_REQUIRE(2 * P->w_e <= 64); /* the product of two entries */
    /* Complement the left digit of each first-level pair when that makes
     * its entries narrower (its smallest entry has leading ones). */
    mpfr_t t;
    mpfr_init2(t, PREC);
    for (unsigned j = 0; j < P->ndig; j++) {
        P->wt[j] = j + 1 == P->ndig ? w_top : w_cap;
        /* (the secure version shifts e_{j+1}'s (wt + 1)-bit share by s_e
         * into the 2 w_e-bit ring: exact only if wt + 1 + s_e >= 2 w_e) */
        unsigned wn = j + 2 == P->ndig ? w_top : w_cap;
        if (j % 2 == 0 && j + 1 < P->ndig && wn + 1 + s_e >= 2 * P->w_e) {
            uint64_t emin = exp_entry(t, P, j, sr_mask(P->dw[j]));
            unsigned w = bits_of(((uint64_t)1 << s_e) - emin);
            if (w < P->wt[j]) {
                P->comp[j] = 1;
                P->wt[j] = w;
            }
        }
    }
    mpfr_clear(t);
}

static void
plan_recip_stage(sr_math_plan *P, unsigned s_f, unsigned p, unsigned g,
                 unsigned guard, int rsqrt)
{
    P->s_f = s_f;
    P->p = p;
    if (g == 0)
        g = ceil_half((int)p - (rsqrt ? 3 : 2));
    g = clampu(g, 1, rsqrt ? SR_MATH_MAX_G - 1 : SR_MATH_MAX_G);
    if (g >= s_f)
        g = s_f; /* every fraction bit indexes the LUT: exact, no delta */
    SR_REQUIRE(g >= 1 && g <= SR_MATH_MAX_G);
    P->g = g;
    P->gi = rsqrt ? g + 1 : g;
    P->s_w = p + guard;
    P->s_b = P->s_w - g;
    P->w_b = P->s_b;
    P->w_dl = s_f - g;
    P->sh = s_f - g;
    P->S = P->s_b + s_f;
    /* r <= 1 needs S + 1 bits; one more keeps a known-zero top bit for
     * the extensions that follow (and lets tanh double r exactly) */
    P->W = P->S + 2;
    SR_REQUIRE(P->W <= 64);
}

static void
plan_normalise(sr_math_plan *P)
{
    sr_fx fx = P->fx, fy = P->fy;
    P->normalise = 1;
    P->nk = fx.bw - 1;
    int have = 0;
    for (unsigned k = 0; k < P->nk; k++) {
        int c;
        if (P->fn == SR_MATH_RECIP) {
            c = (int)fx.s + (int)fy.s - (int)k;
        } else {
            int e = (int)k - (int)fx.s;
            int q = ((e % 2) + 2) % 2;
            c = (int)fy.s - (e - q) / 2;
        }
        if (c < -1 || c > (int)fy.bw - 1)
            continue;
        if (!have || c < P->c_min)
            P->c_min = c;
        if (!have || c > P->c_max)
            P->c_max = c;
        have = 1;
    }
    if (!have)
        P->c_min = P->c_max = 0;
    P->wP = (unsigned)(P->c_max - P->c_min + 1);
    SR_REQUIRE(P->Wf + P->wP <= 64);
    SR_REQUIRE((int)P->Sf - P->c_min >= 1);
    P->wY = (unsigned)((int)P->Wf + (int)P->wP - ((int)P->Sf - P->c_min));
}

/*
 * One iteration after the segment LUT (t = 1), for outputs beyond the
 * LUT's ~19 bits: r0 = TR(r_full) at Q = 22 (error < 2^-19), e = 1 - m r0
 * (reciprocal, Goldschmidt: r1 = r0 (1 + e)) or e = 1 - 2^q m r0^2
 * (rsqrt, Newton: r1 = r0 (1 + e/2)), e truncated to scale E = 36, so
 * |r1 - f| < 2^-34; r = floor((r1 - nbias) / 2^(.)) at R = bw_y - 1 (so
 * r < 1: the largest output position cannot overflow).
 */
static void
plan_iterate(sr_math_plan *P, int rsqrt)
{
    unsigned M = P->s_f; /* m at scale M, nk = M + 1 bits */
    P->t = 1;
    P->Q = 22;
    /* (narrow inputs: m r0 is exact at scale M + Q already) */
    P->E = M + P->Q < 36 ? M + P->Q : 36;
    P->K = M + P->Q < 38 ? M + P->Q : 38;
    P->R = P->fy.bw - 1u;
    /* |e| < 2^-16 (LUT error < 2^-18): e' + 2^(E-10) lies in (0, 2^(E-9)),
     * so r0 e' is an unsigned *UMult with E - 8 bits minus r0 2^(E-10) */
    SR_REQUIRE(P->E >= 12);
    /* the LUT must be good to < 2^-10 for that (and to ~2^-17 for the
     * precision): g >= 6 index bits, or an exact LUT */
    SR_REQUIRE(P->g >= 6 || P->g == P->s_f);
    P->w_eb = P->E - 8;
    SR_REQUIRE(P->S >= P->Q && P->W - (P->S - P->Q) == P->Q + 2);
    SR_REQUIRE(M + P->Q + 2 <= 64);
    SR_REQUIRE(P->Q + P->E >= P->R);
    /* rsqrt: w1 = TR(m r0) at K errs below by < 2^-K, which raises e by
     * < 2^(1-K) and r1 by < 2^-K: in units of r1's scale Q + E + 1,
     * 2^(Q + E + 1 - K); twice that keeps r1 - nbias <= f */
    P->nbias = rsqrt ? (uint64_t)1 << (P->Q + P->E + 2 - P->K) : 1;
    P->Wf = P->R + 1;
    P->Sf = P->R;
}

void
sr_math_plan_make(sr_math_plan *P, sr_mathfn fn, sr_fx fy, sr_fx fx,
                  const sr_math_params *params)
{
    static const sr_math_params none = {0, 0, 0, 0, 0};
    if (params == NULL)
        params = &none;
    SR_REQUIRE(P != NULL);
    SR_REQUIRE(fx.bw >= 2 && fx.bw <= 64 && fy.bw >= 2 && fy.bw <= 64);
    SR_REQUIRE(fx.s <= 62 && fy.s + 1 <= fy.bw);
    memset(P, 0, sizeof *P);
    P->fn = fn;
    P->fx = fx;
    P->fy = fy;
    P->flags = params->flags;
    unsigned d = params->d ? params->d : 8;
    SR_REQUIRE(d >= 1 && d <= 8);
    unsigned s_y = fy.s;
    int holds_one = fy.bw >= s_y + 2; /* 1.0 = 2^s_y is representable */

    switch (fn) {
    case SR_MATH_EXP: {
        unsigned G = params->guard ? params->guard : 1;
        unsigned s_e = s_y + G;
        if (holds_one)
            plan_exp_stage(P, d, fx.s, s_e, (uint64_t)1 << s_e,
                           (uint64_t)1 << s_e, 0);
        else
            plan_exp_stage(P, d, fx.s, s_e, (uint64_t)1 << s_e,
                           ((uint64_t)1 << s_e) - ((uint64_t)1 << G), 0);
        break;
    }
    case SR_MATH_SIGMOID:
    case SR_MATH_TANH: {
        int th = fn == SR_MATH_TANH;
        unsigned G = params->guard ? params->guard : (th ? 2 : 1);
        SR_REQUIRE(G >= 1 + (unsigned)th);
        unsigned s_e = s_y + G - (unsigned)th;
        plan_exp_stage(P, d, th ? (int)fx.s - 1 : (int)fx.s, s_e,
                       (uint64_t)1 << s_e, ((uint64_t)1 << s_e) - 1, 1);
        plan_recip_stage(P, s_e, th ? s_y + 1 : s_y, params->g, th ? G - 1 : G,
                         0);
        /* Saturation: with bw_y = s_y + 1 the rounded |y| must stay below
         * 2^s_y; r is largest at segment 0, delta = 0, so capping a does
         * it (costs < 1/2 ulp there, see docs/math.md). */
        unsigned lost = th ? P->s_w - s_y - 2 : P->s_w - s_y - 1;
        P->cap_a = holds_one
                       ? (uint64_t)1 << P->s_w
                       : ((uint64_t)1 << P->s_w) - ((uint64_t)1 << lost) - 1;
        break;
    }
    case SR_MATH_RECIP:
        if (params->flags & SR_MATH_UNIT_RANGE) {
            SR_REQUIRE(fx.bw >= fx.s + 2 && fx.s >= 2);
            unsigned G = params->guard ? params->guard : 2;
            plan_recip_stage(P, fx.s, s_y, params->g, G, 0);
            P->cap_a = holds_one ? (uint64_t)1 << P->s_w
                                 : ((uint64_t)1 << P->s_w) -
                                       ((uint64_t)1 << (P->s_w - s_y - 1)) - 1;
            break;
        }
        /* fall through */
    case SR_MATH_RSQRT: {
        int rs = fn == SR_MATH_RSQRT;
        SR_REQUIRE(fx.bw >= 4);
        unsigned G = params->guard ? params->guard : 2;
        unsigned p = rs ? (fy.bw < s_y + 3 ? fy.bw : s_y + 3) : fy.bw;
        unsigned t = params->t ? params->t : (p > 19 ? 1 : 0);
        if (params->flags & SR_MATH_NO_ITER)
            t = 0;
        SR_REQUIRE(t <= 1);
        /* t = 1: the LUT aims at 20 bits, the iteration at p */
        plan_recip_stage(P, fx.bw - 2u, t ? 20 : p, params->g, G, rs);
        P->Wf = P->W;
        P->Sf = P->S;
        if (t) {
            P->cap_a = (uint64_t)1 << P->s_w; /* r0 <= 1 */
            plan_iterate(P, rs);
        }
        /* The MSNZB position whose outputs reach 2^(bw_y - 1) must not
         * round up past the largest value: cap r below 1 - 2^-bw_y. */
        if (t)
            ;
        else if (P->s_w >= fy.bw)
            P->cap_a =
                ((uint64_t)1 << P->s_w) - ((uint64_t)1 << (P->s_w - fy.bw)) - 1;
        else
            P->cap_a = ((uint64_t)1 << P->s_w) - 1;
        plan_normalise(P);
        break;
    }
    default:
        SR_REQUIRE(0);
    }
    if (fn != SR_MATH_EXP)
        P->w_a = P->cap_a >> P->s_w ? P->s_w + 1 : P->s_w;
    if (fn != SR_MATH_EXP)
        SR_REQUIRE(P->w_a + P->w_b <= 64);
}

/* --- tables ------------------------------------------------------------ */

/* round-to-nearest integer of t (t >= 0, finite), as uint64, capped */
static uint64_t
rn_cap(mpfr_t t, uint64_t cap)
{
    mpfr_rint(t, t, MPFR_RNDN);
    if (mpfr_cmp_ui(t, 0) <= 0)
        return 0;
    mpfr_t c;
    mpfr_init2(c, 64);
    mpfr_set_uj(c, cap, MPFR_RNDN);
    int over = mpfr_cmp(t, c) >= 0;
    mpfr_clear(c);
    return over ? cap : (uint64_t)mpfr_get_uj(t, MPFR_RNDN);
}

static void
fill_exp(sr_math_tab *T, const sr_math_plan *P)
{
    mpfr_t t;
    mpfr_init2(t, PREC);
    for (unsigned j = 0; j < P->ndig; j++) {
        unsigned N = 1u << P->dw[j];
        for (unsigned v = 0; v < N; v++) {
            uint64_t e = exp_entry(t, P, j, v);
            T->exp[j][v] = P->comp[j] ? ((uint64_t)1 << P->s_e) - e : e;
            if (j + 1 == P->ndig)
                T->sign[v] = (uint8_t)((v >> (P->dw[j] - 1)) & 1);
        }
    }
    mpfr_clear(t);
}

/* f(u) = c / u (rsqrt = 0) or c / sqrt(u) (rsqrt = 1) */
static void
fn_eval(mpfr_t out, const mpfr_t u, const mpfr_t c, int rsqrt)
{
    if (rsqrt)
        mpfr_rec_sqrt(out, u, MPFR_RNDN);
    else
        mpfr_ui_div(out, 1, u, MPFR_RNDN);
    mpfr_mul(out, out, c, MPFR_RNDN);
}

/* u where |f'(u)| = B: 1/u^2 = B, or c/2 u^(-3/2) = B */
static void
tangent_point(mpfr_t us, const mpfr_t B, const mpfr_t c, int rsqrt)
{
    if (!rsqrt) {
        mpfr_rec_sqrt(us, B, MPFR_RNDN);
    } else {
        mpfr_div(us, c, B, MPFR_RNDN);
        mpfr_div_2ui(us, us, 1, MPFR_RNDN);
        mpfr_cbrt(us, us, MPFR_RNDN);
        mpfr_sqr(us, us, MPFR_RNDN);
    }
}

/* |f'(u)| */
static void
slope_at(mpfr_t out, const mpfr_t u, const mpfr_t c, int rsqrt)
{
    fn_eval(out, u, c, rsqrt); /* c/u or c/sqrt(u) */
    mpfr_div(out, out, u, MPFR_RNDN);
    if (rsqrt)
        mpfr_div_2ui(out, out, 1, MPFR_RNDN);
}

/*
 * First-order approximation r(delta) = A - B delta of the convex
 * decreasing f on [p0, p0 + h].
 *   side < 0: minimax: slope = the chord's, intercept = the chord moved
 *             down by half its gap to f at the tangent point (the error
 *             alternates +E, -E, +E: the best line);
 *   side = 0: exact at delta = 0 (A = f(p0)), slope chosen by bisection
 *             so the largest errors inside and at p0 + h are equal;
 *   side = 1: exact at delta = h, likewise.
 * The exact ends are used where many inputs sit at the end of a segment:
 * sigmoid and tanh of large |x| (D = 1), tanh near 0 (D = 2), x = 2^k.
 */
static void
fit_line(mpfr_t A, mpfr_t B, const mpfr_t p0, const mpfr_t h, const mpfr_t c,
         int rs, int side)
{
    mpfr_t p1, f0, f1, us, fs, t, lo, hi, e1, e2;
    mpfr_inits2(PREC, p1, f0, f1, us, fs, t, lo, hi, e1, e2, (mpfr_ptr)0);
    mpfr_add(p1, p0, h, MPFR_RNDN);
    fn_eval(f0, p0, c, rs);
    fn_eval(f1, p1, c, rs);
    mpfr_sub(B, f0, f1, MPFR_RNDN);
    mpfr_div(B, B, h, MPFR_RNDN); /* chord slope magnitude */
    if (side < 0) {
        tangent_point(us, B, c, rs);
        fn_eval(fs, us, c, rs);
        mpfr_sub(t, us, p0, MPFR_RNDN);
        mpfr_mul(t, t, B, MPFR_RNDN);
        mpfr_sub(t, f0, t, MPFR_RNDN); /* chord at u* */
        mpfr_sub(t, t, fs, MPFR_RNDN);
        mpfr_div_2ui(t, t, 1, MPFR_RNDN);
        mpfr_sub(A, f0, t, MPFR_RNDN);
    } else {
        if (side == 0) {
            mpfr_set(lo, B, MPFR_RNDN);
            slope_at(hi, p0, c, rs);
        } else {
            slope_at(lo, p1, c, rs);
            mpfr_set(hi, B, MPFR_RNDN);
        }
        for (int it = 0; it < 140; it++) {
            mpfr_add(B, lo, hi, MPFR_RNDN);
            mpfr_div_2ui(B, B, 1, MPFR_RNDN);
            tangent_point(us, B, c, rs);
            fn_eval(fs, us, c, rs);
            /* e1 = error inside (>= 0), e2 = error at the free end */
            if (side == 0) {
                mpfr_sub(t, us, p0, MPFR_RNDN);
                mpfr_mul(t, t, B, MPFR_RNDN);
                mpfr_sub(e1, f0, t, MPFR_RNDN);
                mpfr_sub(e1, e1, fs, MPFR_RNDN);
                mpfr_mul(t, B, h, MPFR_RNDN);
                mpfr_sub(e2, f0, t, MPFR_RNDN);
                mpfr_sub(e2, e2, f1, MPFR_RNDN);
            } else {
                mpfr_sub(t, p1, us, MPFR_RNDN);
                mpfr_mul(t, t, B, MPFR_RNDN);
                mpfr_add(e1, f1, t, MPFR_RNDN);
                mpfr_sub(e1, e1, fs, MPFR_RNDN);
                mpfr_mul(t, B, h, MPFR_RNDN);
                mpfr_add(e2, f1, t, MPFR_RNDN);
                mpfr_sub(e2, e2, f0, MPFR_RNDN);
            }
            mpfr_add(t, e1, e2, MPFR_RNDN);
            /* steeper slope lowers the error at p0 + h (side 0), raises
             * the error at p0 (side 1) */
            int pos = mpfr_sgn(t) > 0;
            if ((side == 0) == pos)
                mpfr_set(lo, B, MPFR_RNDN);
            else
                mpfr_set(hi, B, MPFR_RNDN);
        }
        if (side == 0) {
            mpfr_set(A, f0, MPFR_RNDN);
        } else {
            mpfr_mul(t, B, h, MPFR_RNDN);
            mpfr_add(A, f1, t, MPFR_RNDN);
        }
    }
    mpfr_clears(p1, f0, f1, us, fs, t, lo, hi, e1, e2, (mpfr_ptr)0);
}

static void
fill_segments(sr_math_tab *T, const sr_math_plan *P)
{
    int rs = P->fn == SR_MATH_RSQRT;
    mpfr_t p0, h, c, A, B, Bq;
    mpfr_inits2(PREC, p0, h, c, A, B, Bq, (mpfr_ptr)0);
    unsigned N = 1u << P->gi, last = (1u << P->g) - 1;
    mpfr_set_ui(h, 1, MPFR_RNDN);
    mpfr_mul_2si(h, h, -(long)P->g, MPFR_RNDN);
    for (unsigned idx = 0; idx < N; idx++) {
        unsigned i = idx & last;
        /* rsqrt: the index's top bit is 1 - q (see mathfn_plain.c) */
        unsigned q = rs ? 1u - (idx >> P->g) : 0;
        mpfr_set_ui(c, 1, MPFR_RNDN);
        if (q) {
            mpfr_set_ui(c, 2, MPFR_RNDN);
            mpfr_rec_sqrt(c, c, MPFR_RNDN); /* 2^(-1/2) */
        }
        mpfr_mul_ui(p0, h, i, MPFR_RNDN);
        mpfr_add_ui(p0, p0, 1, MPFR_RNDN);
        int side = -1;
        if (P->w_dl == 0 || (q == 0 && i == 0))
            side = 0;
        else if (!rs && i == last)
            side = 1;
        fit_line(A, B, p0, h, c, rs, side);
        mpfr_mul_2si(Bq, B, (long)P->s_b, MPFR_RNDN);
        T->b[idx] = rn_cap(Bq, sr_mask(P->w_b));
        if (side == 1) {
            /* keep the right end exact with the rounded slope:
             * A += (b_q - B) h */
            mpfr_set_uj(Bq, T->b[idx], MPFR_RNDN);
            mpfr_mul_2si(Bq, Bq, -(long)P->s_b, MPFR_RNDN);
            mpfr_sub(Bq, Bq, B, MPFR_RNDN);
            mpfr_mul(Bq, Bq, h, MPFR_RNDN);
            mpfr_add(A, A, Bq, MPFR_RNDN);
        }
        mpfr_mul_2si(A, A, (long)P->s_w, MPFR_RNDN);
        T->a[idx] = rn_cap(A, P->cap_a);
    }
    mpfr_clears(p0, h, c, A, B, Bq, (mpfr_ptr)0);
}

static void
fill_normalise(sr_math_tab *T, const sr_math_plan *P)
{
    sr_fx fx = P->fx, fy = P->fy;
    for (unsigned k = 0; k < P->nk; k++) {
        int c, q = 0;
        if (P->fn == SR_MATH_RECIP) {
            c = (int)fx.s + (int)fy.s - (int)k;
        } else {
            int e = (int)k - (int)fx.s;
            q = ((e % 2) + 2) % 2;
            c = (int)fy.s - (e - q) / 2;
        }
        T->parity[k] = (uint8_t)q;
        T->P[k] = 0;
        T->sat[k] = 0;
        if (c > (int)fy.bw - 1)
            T->sat[k] = (uint64_t)sr_fxp_smax(fy.bw);
        else if (c >= -1)
            T->P[k] = (uint64_t)1 << (c - P->c_min);
    }
}

void
sr_math_tab_fill(sr_math_tab *T, const sr_math_plan *P)
{
    memset(T, 0, sizeof *T);
    if (P->ndig > 0)
        fill_exp(T, P);
    if (P->fn != SR_MATH_EXP)
        fill_segments(T, P);
    if (P->normalise)
        fill_normalise(T, P);
}

static const char *const names[] = {"exp", "sigmoid", "tanh", "recip", "rsqrt"};

const char *
sr_mathfn_name(sr_mathfn fn)
{
    return (unsigned)fn < 5 ? names[fn] : "?";
}

int
sr_mathfn_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* --- division ---------------------------------------------------------- */

void
sr_div_plan_make(sr_div_plan *P, sr_fx fy, sr_fx fn, sr_fx fd,
                 const sr_math_params *params)
{
    SR_REQUIRE(P != NULL && fn.bw >= 2 && fn.bw <= 64);
    memset(P, 0, sizeof *P);
    /* the division's rounded reciprocal reads r_full: no iteration */
    sr_math_params prm = {0, 0, 0, 0, 0};
    if (params != NULL)
        prm = *params;
    prm.flags |= SR_MATH_NO_ITER;
    prm.t = 0;
    sr_math_plan_make(&P->R, SR_MATH_RECIP, fy, fd, &prm);
    SR_REQUIRE(P->R.normalise);
    P->fn = fn;
    P->fd = fd;
    P->fy = fy;
    P->s_r = fy.bw + 1u;
    SR_REQUIRE(P->R.S > P->s_r);
    P->w_r = P->s_r + 2;
    P->w_t = fn.bw + P->w_r;
    int base = (int)fd.s + (int)fy.s - (int)fn.s - (int)P->s_r;
    P->e_max = base;
    P->e_min = base - (int)(P->R.nk - 1);
    P->sh = P->e_min < 0 ? (unsigned)(-P->e_min) : 0;
    P->wP = (unsigned)(P->e_max + (int)P->sh) + 2; /* top bit 0 */
    SR_REQUIRE(P->w_t + P->wP <= 64);
    P->w_v = P->w_t + P->wP - P->sh;
    SR_REQUIRE(P->w_v >= fy.bw + 2u && P->w_v <= 64);
}

void
sr_div_tab_fill(sr_math_tab *T, uint64_t *Pk, const sr_div_plan *P)
{
    sr_math_tab_fill(T, &P->R);
    for (unsigned k = 0; k < P->R.nk; k++)
        Pk[k] = (uint64_t)1 << (unsigned)(P->e_max - (int)k + (int)P->sh);
}
