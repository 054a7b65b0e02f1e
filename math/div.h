/*
 * math/div.h -- division y = num / den, den > 0, saturating: the twin
 * and the secure version (SIRNN Sec. V, "reciprocal", used as a divisor).
 *
 *   num  n values of fn = (bw_n, s_n), signed
 *   den  n values of fd = (bw_d, s_d), den > 0 (the MSB is ignored;
 *        den = 0 gives 0)
 *   y    n values of fy = (bw_y, s_y), RN(num / den) saturated to the
 *        signed bw_y range
 *
 * Algorithm (every step a block of math/fxp.h, mirrored on shares):
 *   1. MSNZB one-hot h of den, m = den * sum h_k 2^(bw_d-2-k) in [1, 2),
 *      r_full = the first-order segment LUT of 1/m (the general
 *      reciprocal's plan with p = bw_y: math/mathfn.h)
 *                                     MSNZB, B2A, *UMult, TR, LUT, *UMult
 *   2. r = RN(r_full) at scale s_r = bw_y + 1 (s_r + 2 bits)          TR
 *   3. t = num * r, exact (bw_n + s_r + 2 bits, signed)          SMult
 *   4. v = RN(t 2^e_k), e_k = s_d + s_y - s_n - k - s_r, as
 *      TR(t P + 2^(sh-1), sh) with P = sum h_k 2^(e_k + sh), sh =
 *      max(0, -min e_k)                                     SMult, TR
 *   5. y = clamp(v): o_hi = [v > max] = NOT MSB(v - max - 1), o_lo =
 *      [v < min] = MSB(v - min), y = v + o_hi (max - v) + o_lo (min - v)
 *                                                      MSB x2, MUX x2
 * All intermediate widths must fit 64 bits (SR_REQUIRE in
 * sr_div_plan_make): fine for 16-bit formats, not for 32 / 32 / 32.  The
 * reciprocal here is never iterated (the plan sets SR_MATH_NO_ITER).
 */
#ifndef SR_MATH_DIV_H
#define SR_MATH_DIV_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "math/fxp.h"
#include "math/plan.h"

typedef struct sr_div_plan {
    sr_math_plan R; /* the reciprocal mantissa of den (normalised) */
    sr_fx fn, fd, fy;
    unsigned s_r, w_r; /* rounded reciprocal: scale, width */
    unsigned w_t;      /* num * r */
    int e_min, e_max;  /* exponents e_k over the MSNZB positions */
    unsigned sh, wP;   /* final shift, width of P (top bit 0) */
    unsigned w_v;      /* width of v before the clamp */
} sr_div_plan;

/* Plan; T receives the tables of P->R; Pk[k] = 2^(e_k + sh). */
void sr_div_plan_make(sr_div_plan *P, sr_fx fy, sr_fx fn, sr_fx fd,
                      const sr_math_params *params);
void sr_div_tab_fill(sr_math_tab *T, uint64_t *Pk, const sr_div_plan *P);

/* Twin.  Returns SR_OK or SR_ENOMEM.  y may alias num or den. */
SR_NODISCARD int sr_div_plain(size_t n, uint64_t *y, sr_fx fy,
                              const uint64_t *num, sr_fx fn,
                              const uint64_t *den, sr_fx fd,
                              const sr_math_params *params);

/* Secure: the same on shares.  Both parties make the identical call. */
SR_NODISCARD int sr_div(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                        const uint64_t *num, sr_fx fn, const uint64_t *den,
                        sr_fx fd);

#endif
