/*
 * protocols/msnzb.h -- most significant non-zero bit as a one-hot vector
 * of boolean shares (SIRNN Appendix F, Algorithm 7).
 *
 * For x of bw bits (unsigned, shared), z[j * bw + k] (element-major) are
 * boolean shares of [k = MSNZB(x_j)], MSNZB(x) = floor(log2 x), and the
 * all-zero vector for x = 0 (as math/fxp.h's sr_fxp_msnzb_onehot; the
 * paper's MSNZB(0) = 0 would set bit 0), 1 <= bw <= 64.
 *
 * Protocol, with c = ceil(bw / d) digits, delta = ceil(log2 d) bits of a
 * position inside a digit and gamma = ceil(log2 c) bits of a digit number:
 *  1. sr_digdec(x, bw, d) -> digits y_i.
 *  2. Per digit one 1-of-2^(d_i) OT (Alice sender) of (delta+1)-bit
 *     entries T[v] = floor(log2 v) || [v = 0]: arithmetic shares (mod
 *     2^delta) of the digit's local MSNZB t_i, boolean shares of its zero
 *     flag v_i (Alice masks the index arithmetically, the flag with XOR).
 *  3. sel_(c-1) = NOT v_(c-1); h_i = AND of v_j for j > i (a Sklansky
 *     prefix over v_(c-1), ..., v_1: ceil(log2 (c-1)) exchanges), then
 *     one batch of c n: sel_i = h_i AND NOT v_i and the all-zero flag
 *     h_0 AND v_0.  At most one sel_i is set (none for x = 0).  The
 *     triples of these sr_msnzb_ands(bw, d) n ANDs ride on DigDec's
 *     Mill&Eq 1-of-16 call for d > 6 (no extra round); for d <= 6 they
 *     come from one sr_triples call (2 rounds) when there are more than
 *     2 steps, else each step is an sr_and (2 rounds).
 *  4. t = sum_i MUX_delta(sel_i, t_i) (arithmetic mod 2^delta) and the
 *     selected digit number g = XOR of sel_i over i with bit b set, for
 *     each bit b (boolean, local).
 *  5. One 1-of-2^(delta+gamma) OT with bw-bit entries: the index (t, g)
 *     lives in the group Z_(2^delta) x Z_2^gamma, so Alice offers, for
 *     Bob's choice (a, b), the one-hot vector of position
 *     (g_A XOR b) d + (t_A + a mod 2^delta), XOR-masked.  No extension of
 *     t to the global index width is needed (the paper's Algorithm 7 MUXes
 *     global indices of log2(bw) bits; the reference extends them).
 *     Bit 0 is then XORed with the all-zero flag (x = 0 and x = 1 both
 *     reach position 0).
 * Every OT step is one call for the whole batch (rows made chunk by
 * chunk by sr_kkot_send_cb), so the rounds do not depend on n; step 2 is
 * one call of c n rows when d divides bw, else two (the short last digit
 * has its own table width).
 *
 * Traffic (exact, tests/test_msnzb.c re-derives it): DigDec(bw, d) (with
 * the step-3 triples in its 1-of-16 call for d > 6) + step 2's KK calls
 * (KK(c n, d, delta+1), or KK((c-1) n, d, delta+1) + KK(n, d_last,
 * delta+1)) + [d <= 6, > 2 steps: KK(ceil(T / 2), 4, 2)] + per step
 * 2 ceil(2 k / 8) openings (+ KK(ceil(k / 2), 4, 2) when it is an
 * sr_and) + MUX_delta(c n) (none if d = 1) + KK(n, delta+gamma, bw),
 * with KK(k, m, l) = 32 k + ceil(k 2^m l / 8) bytes (protocols/ot.h) and
 * T = sr_msnzb_ands(bw, d) n.
 * Rounds (constant in n; measured): bw 16/32/64 with d = 8: 12/16/18
 * (the paper's log d + 2 bw / d + 7: 14/18/26).
 * 1 <= d <= 8.  bw = 1 is local (bit 0 = x).
 * z (n bw bytes) must not alias x.  Both parties make the identical call.
 */
#ifndef SR_PROTOCOLS_MSNZB_H
#define SR_PROTOCOLS_MSNZB_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"

/* ANDs per element of step 3 (suffix prefix + the selection batch). */
size_t sr_msnzb_ands(unsigned bw, unsigned d);
/* Exchanges (steps) of step 3. */
unsigned sr_msnzb_and_steps(unsigned bw, unsigned d);

SR_NODISCARD int sr_msnzb(sr_lane *L, size_t n, uint8_t *z, const uint64_t *x,
                          unsigned bw, unsigned d);

#endif
