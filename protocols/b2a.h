/*
 * protocols/b2a.h -- boolean to arithmetic shares (SIRNN Sec. III "B2A").
 */
#ifndef SR_PROTOCOLS_B2A_H
#define SR_PROTOCOLS_B2A_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

/*
 * y[i] = arithmetic shares mod 2^bw of the bit b[i] = b_A XOR b_B, as the
 * integer 0 or 1.  b = b_A + b_B - 2 b_A b_B; the product comes from one
 * COT_bw (Alice sender with correlation -2 b_A, Bob's choice b_B).
 * Traffic (bytes, both directions): COT(n, bw) = 16 n + P(n, 1, bw) with
 * P as in mill.h (lambda + bw bits per instance); bw = 1 is local (no
 * traffic), in chunks of 2^20 (the formula holds per chunk).
 * Rounds: 2 per chunk (0 for bw = 1).  1 <= bw <= 64.
 * y and b are different types (no aliasing).
 */
SR_NODISCARD int sr_b2a(sr_lane *L, size_t n, uint64_t *y, const uint8_t *b,
                        unsigned bw);

#endif
