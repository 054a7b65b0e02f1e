/*
 * math/secure_internal.h -- pieces math/secure.c shares with
 * math/secure_div.c (not a public API).
 */
#ifndef SR_MATH_SECURE_INTERNAL_H
#define SR_MATH_SECURE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "math/div.h"
#include "math/plan.h"
#include "protocols/mult.h"

/* sr_mult_msb flags: unsigned operands with public MSBs (given as zeros). */
#define PUB0 (SR_MULT_UNSIGNED | SR_MULT_MSB_PUBLIC)

static inline uint64_t
pow2(unsigned k)
{
    return (uint64_t)1 << k;
}

/* Working memory of one call, carved from one scratch block. */
typedef struct sr_math_work {
    uint64_t *blk, *dig, *e, *q, *t1, *t2, *t3;
    uint8_t *bits, *zero, *b;
} sr_math_work;

/* n instances and nd digit rows: dig and e hold nd rows of n, q and
 * t1..t3 one row each; bits 2n bytes (zero: n zero bytes, b: n). */
SR_NODISCARD int sr_math_work_get(sr_lane *L, sr_math_work *w, size_t n,
                                  unsigned nd);
void sr_math_work_put(sr_lane *L, sr_math_work *w);

/*
 * Segment stage: r_full = a_idx 2^sh - b_idx delta over W bits into r.
 * src (wsrc bits) holds f (s_f bits) or m = 2^s_f + f (s_f + 1 bits);
 * idx = TR(src, s_f - g) reduced to g bits, or, with the rsqrt parity q
 * (boolean shares), TR(m) + q 2^g mod 2^(g+1) (TR(m)'s top bit is 1).
 * Uses w->t1..t3 and w->q; r may be w->t1.
 */
SR_NODISCARD int sr_math_segment_run(sr_lane *L, const sr_math_plan *P,
                                     const sr_math_tab *T, size_t n,
                                     sr_math_work *w, uint64_t *r,
                                     const uint64_t *src, unsigned wsrc,
                                     const uint8_t *q);

#endif
