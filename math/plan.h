/*
 * math/plan.h -- parameters, derived widths and public tables of the math
 * functions (exp of x <= 0, sigmoid, tanh, reciprocal, rsqrt).
 *
 * A plan fixes every width, scale and table of one function for one pair
 * of formats.  The cleartext twin (math/mathfn.h) and the secure version
 * build the same plan with sr_math_plan_make() and the same tables with
 * sr_math_tab_fill(), so both compute the identical function: the tables
 * are public, computed deterministically by both parties with MPFR
 * (correctly rounded, then rounded to nearest at the table's scale).
 *
 * The algorithms, the secure block behind each step and the cost estimate
 * are in math/mathfn.h and docs/math.md.
 */
#ifndef SR_MATH_PLAN_H
#define SR_MATH_PLAN_H

#include <stdint.h>

#include "engine/common.h"
#include "math/fxp.h"

typedef enum {
    SR_MATH_EXP = 0, /* e^x for x <= 0 */
    SR_MATH_SIGMOID,
    SR_MATH_TANH,
    SR_MATH_RECIP, /* 1/x for x > 0 */
    SR_MATH_RSQRT  /* 1/sqrt(x) for x > 0 */
} sr_mathfn;

/* Flags of sr_math_params. */
#define SR_MATH_UNIT_RANGE 1u /* recip: x is known to lie in [1, 2) */
#define SR_MATH_NO_ITER 2u    /* recip / rsqrt: force t = 0 iterations */

/*
 * Overridable parameters; 0 means "choose by the rule" (docs/math.md):
 *   d  digit size of the exp digit decomposition            (rule: 8)
 *   g  index bits of the reciprocal / rsqrt segment LUT      (rule below)
 *   guard  extra fraction bits of the intermediates          (rule below)
 *   t  iterations of the general reciprocal / rsqrt after the segment
 *      LUT (rule: 0 when the target p <= 19 bits -- the first-order LUT
 *      gives about 2g + 3 bits -- else 1: one Goldschmidt step for 1/m,
 *      one Newton step for 1/sqrt; SR_MATH_NO_ITER forces 0; at most 1)
 */
typedef struct sr_math_params {
    unsigned d;
    unsigned g;
    unsigned guard;
    unsigned flags;
    unsigned t;
} sr_math_params;

#define SR_MATH_MAX_DIGITS 16
#define SR_MATH_MAX_G 8 /* LUT index bits (SR_LUT_MAX_BITS) */

typedef struct sr_math_plan {
    sr_mathfn fn;
    sr_fx fx, fy;
    unsigned flags;

    /* exp stage (exp, sigmoid, tanh): z = |x| unsigned in bw_z bits */
    unsigned bw_z; /* = fx.bw */
    int s_z;       /* exp tables read z as z / 2^s_z (tanh: s_in - 1) */
    unsigned d, ndig;
    unsigned dw[SR_MATH_MAX_DIGITS]; /* width of each digit */
    unsigned s_e;                    /* scale of the exp tables and of e */
    unsigned w_e;                    /* width of the tree's partial products */
    uint64_t cap_e;   /* entries of the lower digits are <= cap_e */
    uint64_t cap_top; /* entries of the top digit are <= cap_top; for
                       * sigmoid/tanh 2^s_e - 1, so that e < 1 */
    /* comp[j] = 1: table j holds eps = 2^s_e - e (narrower: entries near
     * 1 have known leading bits), and the first product of the tree is
     * e_{j+1} 2^s_e - e_{j+1} eps_j (the same integer as e_{j+1} e_j).
     * wt[j] is the width of table j's entries. */
    uint8_t comp[SR_MATH_MAX_DIGITS];
    unsigned wt[SR_MATH_MAX_DIGITS];
    /* signed_top = 1 (sigmoid, tanh): the digits are those of x itself
     * (two's complement); the top digit's LUT also returns b = MSB(x) and
     * the factor of |x| = ~x + 1 for negative x; lower digits d are
     * replaced by b ? ~d : d (a MUX) before their LUT. */
    int signed_top;

    /* reciprocal / rsqrt stage: D = 1 + f/2^s_f in [1, 2) */
    unsigned p;    /* target fraction bits of r */
    unsigned s_f;  /* scale and width of f */
    unsigned g;    /* segment index bits (rsqrt: plus one parity bit) */
    unsigned gi;   /* LUT index width: g, or g + 1 for rsqrt */
    unsigned s_w;  /* scale of a (intercept) */
    unsigned w_a;  /* width of a */
    unsigned s_b;  /* scale of b (slope magnitude) */
    unsigned w_b;  /* width of b */
    unsigned w_dl; /* width of delta = f mod 2^(s_f - g) */
    unsigned sh;   /* r_full = a * 2^sh - b * delta, at scale S */
    unsigned S, W; /* scale and width of r_full */
    uint64_t cap_a;

    /* normalisation (recip / rsqrt without SR_MATH_UNIT_RANGE) */
    int normalise;
    unsigned nk;      /* MSNZB positions k = 0 .. nk-1 (nk = bw_in - 1) */
    int c_min, c_max; /* exponents of the nontrivial k: y = r * 2^c_k */
    unsigned wP;      /* width of the power-of-two multiplier P_k */
    unsigned wY;      /* width of the rounded product, before fitting bw_out */

    /* iterations (normalised recip / rsqrt, t = 1; math/mathfn.h):
     * r0 = TR(r_full) at scale Q (Q + 2 bits); e at scale E; rsqrt's
     * m r0 at scale K; the result r at scale R = bw_y - 1, floored after
     * subtracting nbias units.  The final scaling reads r as Wf bits at
     * scale Sf (t = 0: r_full, W and S). */
    unsigned t, Q, E, K, R;
    unsigned w_eb;  /* width of the biased e' + 2^(E - 10) (top bit 0) */
    uint64_t nbias;
    unsigned Wf, Sf;
} sr_math_plan;

/*
 * Public tables of a plan.  exp[j][v] is the LUT of digit j; ab[idx] packs
 * the segment LUT: a in the high bits, b in the low w_b bits (one LUT of
 * w_a + w_b bits); P[k], sat[k], parity[k] are the per-MSNZB-position
 * constants, combined linearly with the one-hot vector.
 */
typedef struct sr_math_tab {
    uint64_t exp[SR_MATH_MAX_DIGITS][256];
    uint8_t sign[256]; /* top digit -> b = MSB(x) (signed_top) */
    uint64_t a[512], b[512];
    uint64_t P[64], sat[64];
    uint8_t parity[64];
} sr_math_tab;

/*
 * Build the plan of fn for input format fx and output format fy.
 * params may be NULL (all by rule).  Formats the algorithm cannot serve
 * (see docs/math.md "Limits") are programmer errors (SR_REQUIRE).
 */
void sr_math_plan_make(sr_math_plan *P, sr_mathfn fn, sr_fx fy, sr_fx fx,
                       const sr_math_params *params);

/* Fill the public tables of a plan (MPFR; deterministic). */
void sr_math_tab_fill(sr_math_tab *T, const sr_math_plan *P);

/* Name of a function ("exp", "sigmoid", ...); parse one (-1 if unknown). */
const char *sr_mathfn_name(sr_mathfn fn);
int sr_mathfn_parse(const char *name);

#endif
