/*
 * protocols/lut.h -- table lookup with one 1-of-2^m OT (SIRNN Sec. III
 * "Lookup tables").
 */
#ifndef SR_PROTOCOLS_LUT_H
#define SR_PROTOCOLS_LUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

#define SR_LUT_MAX_BITS 8

/*
 * Secret-shared lookup in a public table: y[i] = T[x[i]].
 *
 *   x    n shares over m bits (x = x_A + x_B mod 2^m), 1 <= m <= 8
 *   y    n shares over bw bits (written), 1 <= bw <= 64
 *   T    public table of 2^m entries (values above 2^bw are reduced),
 *        identical on both sides
 *
 * Alice (OT sender) draws her output share r and offers the rotated table
 * M[j] = T[(x_A + j) mod 2^m] - r; Bob chooses j = x_B.
 * Traffic (bytes, both directions): KK(n, m, bw) = 32 n + P(n, 2^m, bw)
 * with P as in mill.h, 2 lambda + 2^m bw bits per instance (m = 8,
 * bw = 16: 4352 bits = 544 B), in chunks of 2^22 / 2^m instances.
 * Rounds: 2 per chunk.  y may alias x.
 */
SR_NODISCARD int sr_lut(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                        unsigned m, const uint64_t *T, unsigned bw);

/*
 * Lookup with an index one party knows in the clear: y[i] = shares of
 * T[x[i]], where x (m-bit values, not shares) is read only on party
 * `owner` (SR_SERVER or SR_CLIENT); the other party passes x = NULL.
 * T is public, so the owner computes T[x] alone and shares it as
 * (T[x], 0): no traffic, no rounds.
 */
SR_NODISCARD int sr_lut_known(sr_lane *L, size_t n, uint64_t *y,
                              const uint64_t *x, unsigned m, const uint64_t *T,
                              unsigned bw, sr_partyid owner);

/*
 * Lookup in a private table: y[i] = shares of T[x[i]] where only party
 * `owner` holds T (2^m entries; the other party passes T = NULL) and x is
 * shared over m bits.  The owner is the OT sender whatever its lane role.
 * Traffic: KK(n, m, bw) from the non-owner as receiver.  Rounds: 2.
 * y may alias x.
 */
SR_NODISCARD int sr_lut_private(sr_lane *L, size_t n, uint64_t *y,
                                const uint64_t *x, unsigned m,
                                const uint64_t *T, unsigned bw,
                                sr_partyid owner);

#endif
