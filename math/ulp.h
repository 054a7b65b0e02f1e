/*
 * math/ulp.h -- precision of the math twins against MPFR.
 *
 * sr_ulp_scan runs the cleartext twin of fn over every input of fx (all
 * 2^bw_x patterns when bw_x <= 20; otherwise 2^20 inputs: every pattern
 * of the top 20 bits with a fixed pseudo-random low part) that lies in
 * fn's domain, and compares each output with the exact value, computed by
 * MPFR at 128 bits, rounded to nearest at scale s_y and saturated to the
 * signed bw_y range.  An "ulp" is 2^-s_y; the error of one input is
 * |y_twin - y_ref| in ulps (an integer).
 *
 * Domains (docs/math.md):
 *   exp      x <= 0
 *   sigmoid  all x
 *   tanh     all x
 *   recip    x > 0 (with SR_MATH_UNIT_RANGE: 1 <= x < 2); where 1/x does
 *            not fit fy the reference saturates too
 *   rsqrt    x >= 0.1
 */
#ifndef SR_MATH_ULP_H
#define SR_MATH_ULP_H

#include <stdint.h>
#include <stdio.h>

#include "engine/common.h"
#include "math/fxp.h"
#include "math/plan.h"

typedef struct sr_ulp_report {
    uint64_t count;     /* inputs in the domain that were checked */
    uint64_t max_ulp;   /* largest error */
    double mean_ulp;    /* mean error over the checked inputs */
    uint64_t exact;     /* inputs with error 0 */
    uint64_t saturated; /* inputs whose reference saturated */
    int64_t worst_x;    /* an input with the largest error (signed int) */
    int64_t worst_y;    /* the twin's output there */
    int64_t worst_ref;  /* the reference there */
} sr_ulp_report;

/*
 * Scan fn for formats fx -> fy with parameters params (NULL = rules).
 * Returns SR_OK, or SR_ENOMEM.  report is written on success.
 */
SR_NODISCARD int sr_ulp_scan(sr_mathfn fn, sr_fx fx, sr_fx fy,
                             const sr_math_params *params,
                             sr_ulp_report *report);

/*
 * The reference of one input: RN(f(x / 2^s_x) * 2^s_y) saturated to the
 * signed bw_y range, as a signed integer.  *saturated is set to 1 when
 * the saturation applied (may be NULL).
 */
int64_t sr_ulp_reference(sr_mathfn fn, int64_t x, sr_fx fx, sr_fx fy,
                         int *saturated);

/*
 * Print the Markdown table of max / mean ULP of fn over the grid
 * s_x, s_y in [lo, hi] at bitwidth bw (rows s_x, columns s_y) to out.
 * Returns SR_OK, or SR_ENOMEM.  (docs/math.md's tables come from here.)
 */
SR_NODISCARD int sr_ulp_grid_print(FILE *out, sr_mathfn fn, unsigned bw,
                                   unsigned lo, unsigned hi,
                                   const sr_math_params *params);

/* 1 iff the signed input x lies in fn's domain (see above). */
int sr_ulp_in_domain(sr_mathfn fn, int64_t x, sr_fx fx, unsigned flags);

#endif
