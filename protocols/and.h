/*
 * protocols/and.h -- AND of boolean shares with bit triples (SIRNN Sec.
 * III "AND", CrypTFlow2 Sec. 3.1 triples from 1-of-16 OT).
 */
#ifndef SR_PROTOCOLS_AND_H
#define SR_PROTOCOLS_AND_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

/*
 * z[i] = shares of x[i] AND y[i] for boolean shares x, y.
 *
 * n bit triples (a, b, c = a AND b) come from ceil(n / 2) instances of
 * 1-of-16 OT_2 (Alice sender; Bob's choice is his 2+2 triple bits), and
 * e = x XOR a, f = y XOR b are opened (Beaver).  Since a and b are fixed
 * before the OT, the openings ride on the OT's flights: B -> A Bob's e, f
 * (2n bits) and his code words; A -> B the masked rows and Alice's e, f.
 * Traffic (bytes, both directions; KK as in mill.h):
 *   KK(ceil(n / 2), 4, 2) + 2 ceil(2n / 8),
 * about lambda + 16 + 4 = 148 bits per AND (SIRNN: lambda + 20), in
 * chunks of 2^19 ANDs (the formula holds per chunk).
 * Rounds: 2 per chunk.  z may alias x or y.
 */
SR_NODISCARD int sr_and(sr_lane *L, size_t n, uint8_t *z, const uint8_t *x,
                        const uint8_t *y);

#endif
