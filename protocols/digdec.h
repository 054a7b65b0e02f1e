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
 * u_i out of the lower digits: u_(i+1) = G[0..i], the prefix "generate"
 * of the pairs (w_i, e_i) = Mill&Eq of the local digit parts (carry out
 * and all-ones), one sr_mill_eq call on all n (c-1) lower digits (Alice
 * inputs her part, Bob 2^d - 1 minus his).  Then one B2A of the c - 1
 * carries at width d (the last digit's reduced to its width; none for
 * d = 1).  The carry steps (A = sr_digdec_ands(bw, d) ANDs per element):
 *   d > 6:  Sklansky prefix, L = ceil(log2 (c-1)) exchanges; the triples
 *           ride on the Mill&Eq's own 1-of-16 call (no extra round).
 *           Rounds MillEq + L + 2, MillEq = 2 + ceil(log2 ceil(d / 4)).
 *   d <= 6: ripple u_(i+1) = w_i XOR e_i u_i (c - 2 steps, the fewest
 *           ANDs, as the paper and the reference); more than 2 steps: the
 *           triples from one sr_triples call (2 rounds) and 1 round per
 *           step, else an sr_and (2 rounds) per step.  MillEq = 2.
 * sr_digdec_carry_rounds gives the steps' rounds.  Measured (a one-way
 * flight followed by an exchange merges into one round): bw 16/32/64,
 * d = 8: 5/7/8 rounds (paper's log d + bw/d + 1: 6/8/12).
 *
 * Traffic (exact; tests/test_digdec.c re-derives it and checks it is at
 * most the paper's (c-1)(lambda(d+2) + 15d + 20) bits per element):
 * d > 6: the Mill&Eq with n A more triple rows' worth (ceil((n (c-1) A'
 * + n A) / 2) triple rows, A' the tree's ANDs per comparison) in its
 * 1-of-16 call + 2 ceil(2 k_s / 8) per step (k_s = the step's ANDs) +
 * B2A_d(n (c-1)); d <= 6: MillEq_d(n (c-1)) + the steps (sr_and each,
 * or KK(ceil(n A / 2), 4, 2) + openings) + B2A_d(n (c-1)).  c = 1 is a
 * copy (no traffic).
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

/* ANDs per element of the carry steps (0 for c <= 2). */
size_t sr_digdec_ands(unsigned bw, unsigned d);
/* Rounds of the carry steps (including a separate triple OT). */
unsigned sr_digdec_carry_rounds(unsigned bw, unsigned d);

SR_NODISCARD int sr_digdec(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
                           unsigned bw, unsigned d);

#endif
