/*
 * protocols/lut2.h -- two-field table lookup: one 1-of-2^m OT whose
 * messages carry two public tables on the same index, each field masked
 * separately (SIRNN Sec. III "Lookup tables"; used by math/secure.c where
 * two LUTs share an index: the sign bit with the top exp digit, the
 * intercept with the slope of a segment).
 */
#ifndef SR_PROTOCOLS_LUT2_H
#define SR_PROTOCOLS_LUT2_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

/*
 * y1[i] = T1[x[i]] over w1 bits and y2[i] = T2[x[i]] over w2 bits.
 *
 *   x       n shares over m bits, 1 <= m <= 8 (SR_LUT_MAX_BITS)
 *   y1, y2  n shares over w1 and w2 bits (written), w1, w2 >= 1,
 *           w1 + w2 <= 64
 *   T1, T2  public tables of 2^m entries, identical on both sides
 *           (entries are reduced mod 2^w1, 2^w2)
 *
 * Alice (OT sender) draws r1 (w1 bits) and r2 (w2 bits) and offers
 * M[j] = ((T1[(x_A + j) mod 2^m] - r1) mod 2^w1) 2^w2
 *        + ((T2[(x_A + j) mod 2^m] - r2) mod 2^w2);
 * Bob chooses j = x_B and splits the (w1 + w2)-bit message.
 * Traffic: KK(n, m, w1 + w2) of protocols/lut.h, i.e. 2 lambda +
 * 2^m (w1 + w2) bits per instance: two sr_lut calls cost 2 lambda more.
 * Rounds: 2 (one OT call for any n).  y1 or y2 may alias x (not each other).
 */
SR_NODISCARD int sr_lut2(sr_lane *L, size_t n, uint64_t *y1, uint64_t *y2,
                         const uint64_t *x, unsigned m, const uint64_t *T1,
                         const uint64_t *T2, unsigned w1, unsigned w2);

#endif
