/*
 * protocols/mux.h -- multiplexer: a shared bit selects a shared value
 * (SIRNN Sec. III "Multiplexer", optimised to 2(lambda + l) bits).
 */
#ifndef SR_PROTOCOLS_MUX_H
#define SR_PROTOCOLS_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

/*
 * y[i] = shares mod 2^bw of sel[i] ? x[i] : 0, sel boolean shares, x
 * arithmetic shares of bw bits.  With s = s_A XOR s_B,
 * s * x_P = s_P x_P + s_Q (1 - 2 s_P) x_P: each party P is COT_bw sender
 * once with correlation (1 - 2 s_P) x_P and the peer's choice s_Q.
 * Traffic (bytes, both directions): 2 COT(n, bw) = 2 (16 n + P(n, 1, bw))
 * with P as in mill.h, 2 (lambda + bw) bits per instance, in chunks of
 * 2^20.  Rounds: 3 (Alice's COT, then Bob's; the middle flights
 * merge).  y may alias x.  1 <= bw <= 64.
 */
SR_NODISCARD int sr_mux(sr_lane *L, size_t n, uint64_t *y, const uint8_t *sel,
                        const uint64_t *x, unsigned bw);

#endif
