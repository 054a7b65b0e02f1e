/*
 * math/secure.h -- the secure math functions on shares: exp of x <= 0,
 * sigmoid, tanh, reciprocal and rsqrt  (SIRNN Sec. V).
 *
 * Each function runs the algorithm of math/mathfn.h step by step on
 * shares, with the plan and the public tables of math/plan.h, so the
 * reconstructed output equals the cleartext twin (sr_*_plain) bit for bit.
 *
 *   x   n shares over fx.bw bits (x = x_A + x_B mod 2^bw_x)
 *   y   n shares over fy.bw bits (written; caller-allocated)
 *
 * Blocks, widths and the traffic per instance (Table V model) are listed
 * in math/mathfn.h and docs/math.md; the measured bytes are in
 * docs/math.md too.  LUTs on one index are one OT with two separately
 * masked fields (protocols/lut2.h): the top exp digit with the MSB bit b,
 * the segment intercept a with the slope b; the slope field is widened so
 * that b * delta needs no extension.
 *
 * y may alias x.  Both parties make the identical call.  Returns SR_OK,
 * SR_ENOMEM, or the first channel error.
 */
#ifndef SR_MATH_SECURE_H
#define SR_MATH_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "math/fxp.h"
#include "math/plan.h"

SR_NODISCARD int sr_exp_neg(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                            const uint64_t *x, sr_fx fx);
SR_NODISCARD int sr_sigmoid(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                            const uint64_t *x, sr_fx fx);
SR_NODISCARD int sr_tanh(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                         const uint64_t *x, sr_fx fx);
/* 1/x for x in [1, 2) (SR_MATH_UNIT_RANGE). */
SR_NODISCARD int sr_recip_unit(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                               const uint64_t *x, sr_fx fx);
/* 1/x and 1/sqrt(x) for x > 0 (MSNZB normalisation; saturating). */
SR_NODISCARD int sr_recip(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                          const uint64_t *x, sr_fx fx);
SR_NODISCARD int sr_rsqrt(sr_lane *L, size_t n, uint64_t *y, sr_fx fy,
                          const uint64_t *x, sr_fx fx);

/*
 * Any plan with its tables, e.g. with overridden parameters; the twin is
 * sr_math_plain_run(P, T, ...).
 */
SR_NODISCARD int sr_math_run(sr_lane *L, const sr_math_plan *P,
                             const sr_math_tab *T, size_t n, uint64_t *y,
                             const uint64_t *x);

/* 1 if sr_math_run supports the plan (every plan sr_math_plan_make
 * accepts, today). */
int sr_math_run_supported(const sr_math_plan *P);

#endif
