/*
 * protocols/digdec.h -- digit decomposition of shares (SIRNN Appendix E,
 * Algorithm 6, with unequal last digit).
 *
 * x (bw bits, shared) = z_(c-1) || ... || z_1 || z_0 with c = ceil(bw / d)
 * digits of d bits, the last (most significant) one bw - (c-1) d bits.
 * Output is digit-major: z[i * n + j] is digit i of element j, shared over
 * that digit's width (d, or the last width for i = c-1), so each digit row
 * can feed sr_lut directly.
 *
 * Protocol.  Digit i's shares are the local digit parts plus the carry
 * u_i out of the lower digits: u_1 = w_0 and
 * u_i = w_(i-1) XOR (e_(i-1) AND u_(i-1)), where (w_i, e_i) = Mill&Eq of
 * the local digit parts (carry out and all-ones), one sr_mill_eq call on
 * all n (c-1) lower digits (Alice inputs her part, Bob 2^d - 1 minus his).
 * Then c - 2 sequential ANDs (u_1 needs none) and B2A of u_1..u_(c-1) to
 * their digit widths.
 *
 * Traffic: MillEq_d(n (c-1)) + (c-2) AND(n) + B2A_d(n (c-2)) +
 * B2A_(last)(n) (the paper's (c-1)(lambda(d+2) + 15d + 20) counts one more
 * AND).  Rounds: MillEq + 3 (c-2) + B2A.  c = 1 is a copy (no traffic).
 * 1 <= d <= 64, 1 <= bw <= 64.  z must not alias x (z has c n entries).
 * Both parties make the identical call.
 */
#ifndef SR_PROTOCOLS_DIGDEC_H
#define SR_PROTOCOLS_DIGDEC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"

/* Number of digits of a bw-bit value in d-bit digits. */
static inline unsigned
sr_digdec_count(unsigned bw, unsigned d)
{
    return (bw + d - 1) / d;
}

SR_NODISCARD int sr_digdec(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
                           unsigned bw, unsigned d);

#endif
