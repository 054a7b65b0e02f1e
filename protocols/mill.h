/*
 * protocols/mill.h -- millionaires' comparison and what is built on it:
 * wrap (carry) of two shares, MSB, MSB-to-wrap, DReLU and ReLU
 * (SIRNN Sec. III "Millionaires'", Sec. IV-E "MSB-to-Wrap"; the
 * comparison is CrypTFlow2's protocol, SIRNN Appendix C).
 *
 * Notation: lambda = 128 (SR_OT_LAMBDA).  Exact bytes of the OT calls
 * (docs/ot.md), both directions, for k instances, with
 * P(k, v, l) = floor(k / 4096) 512 v l + ceil((k mod 4096) v l / 8):
 *   OT(k, l)    = 16 k + P(k, 2, l)      (chosen 1-of-2 OT_l)
 *   KK(k, m, l) = 32 k + P(k, 2^m, l)    (1-of-2^m OT_l)
 * The formulas below are exact for one lane's call (tests assert them);
 * docs/protocols-core.md has the per-instance figures.
 *
 * All outputs here are boolean shares (uint8_t 0/1, b = b_A XOR b_B) except
 * sr_relu.  Alice is the OT sender in every call (lanes alternate which
 * party is Alice, which balances the load).  Every function accepts n = 0
 * (no traffic).  Every call is one batch: the OT flights carry all n
 * comparisons (the leaf and plain-triple rows as a 1-of-16 batch, the
 * correlated triples of the tree's gt/eq pairs as a 1-of-8 batch, both in
 * one flight each way: ot_stream.h), so the rounds below hold for every
 * n; memory is linear in n (about 0.25 KB per 32-bit comparison).
 */
#ifndef SR_PROTOCOLS_MILL_H
#define SR_PROTOCOLS_MILL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

/* Leaf digit width (CrypTFlow2's radix, SCI's MILL_PARAM). */
#define SR_MILL_RADIX 4
/* Up to this width a comparison is a single leaf (one 1-of-2^bw OT). */
#define SR_MILL_LEAF_MAX 6

/* sr_mill flags: which comparison of Alice's input a with Bob's b. */
#define SR_MILL_GT 0u /* [a > b]  (default) */
#define SR_MILL_GE 1u /* [a >= b] */
#define SR_MILL_LT 2u /* [a < b]  */
#define SR_MILL_LE 3u /* [a <= b] */

/*
 * Millionaires' comparison on private inputs: z[i] = boolean shares of
 * [x_Alice[i] > x_Bob[i]] (or the variant in flags), where x is this
 * party's own bw-bit unsigned input (not a share), 0 <= bw <= 64; bits of
 * x above bw are ignored.  bw = 0 compares empty (equal) inputs locally:
 * no traffic.
 *
 * Protocol (CrypTFlow2): for bw <= 6 a single 1-of-2^bw OT (Alice offers
 * [a > v] masked for every v).  Above, split into d = ceil(bw / 4) digits
 * (the top one bw - 4(d - 1) bits); per digit one 1-of-16 OT_2 gives shares of
 * [a_j > b_j] and [a_j = b_j]; a tree of ANDs combines them,
 *   gt = gt_hi XOR (eq_hi AND gt_lo),  eq = eq_hi AND eq_lo,
 * with bit triples made by the same OT call (two triples per 1-of-16 OT_2
 * instance, see and.h).  Tree level v pairs leaf j with j + 2^v for
 * j = 0, 2^(v+1), ...; it costs A_v ANDs per comparison, 2 per pair and 1
 * for the pair at j = 0 (only its gt is needed); A = sum of A_v.
 * Traffic (bytes, both directions, n comparisons):
 *   bw = 1:       OT(n, 1)  (a chosen 1-of-2 OT_1, lambda + 2 bits).
 *   2 <= bw <= 6: KK(n, bw, 1).
 *   bw > 6:       KK(n d + ceil(n A / 2), 4, 2)
 *                 + sum over levels of 2 ceil(2 n A_v / 8).
 * Per instance: bw = 16 (or 15) 218 B, bw = 32 (31) 491.5 B, bw = 64 (63)
 * 1057 B.
 * bw = 5, 6: 36, 40 B (two 4-bit leaves would cost 90.5 B, 3 rounds).
 * Rounds: 2 (bw <= 6); 2 + ceil(log2 d) (bw > 6).
 * z may not alias x (different types).
 */
SR_NODISCARD int sr_mill(sr_lane *L, size_t n, uint8_t *z, const uint64_t *x,
                         unsigned bw, unsigned flags);

/*
 * Comparison and equality (SIRNN's Mill&Eq): gt[i] = shares of
 * [x_A > x_B], eq[i] = shares of [x_A == x_B].  Same protocol with the
 * equality AND also on the leftmost path (every pair costs 2 ANDs).
 * Traffic as sr_mill with that A; bw = 1: OT(n, 2); 2 <= bw <= 6:
 * KK(n, bw, 2).  Rounds as sr_mill.  gt and eq must not overlap.
 */
SR_NODISCARD int sr_mill_eq(sr_lane *L, size_t n, uint8_t *gt, uint8_t *eq,
                            const uint64_t *x, unsigned bw);

/*
 * Wrap: w[i] = shares of [x_A[i] + x_B[i] >= 2^bw] for shares x of bw bits
 * (as unsigned integers), 0 <= bw <= 64 (bw = 0: w = 0, no traffic).
 * One sr_mill(bw): Alice inputs x_A, Bob 2^bw - 1 - x_B.  Traffic and
 * rounds of sr_mill(bw).
 */
SR_NODISCARD int sr_wrap(sr_lane *L, size_t n, uint8_t *w, const uint64_t *x,
                         unsigned bw);

/*
 * MSB: msb[i] = shares of bit bw-1 of x = x_A + x_B mod 2^bw.
 * msb = msb(x_A) XOR msb(x_B) XOR wrap of the low bw-1 bits, so one
 * sr_mill(bw - 1) (bw = 1: local, no traffic).
 */
SR_NODISCARD int sr_msb(sr_lane *L, size_t n, uint8_t *msb, const uint64_t *x,
                        unsigned bw);

/* sr_msb_to_wrap flags */
#define SR_MSB_SHARED 0u /* msb holds boolean shares of MSB(x) */
#define SR_MSB_PUBLIC 1u /* msb holds the public MSB(x), same on both sides */

/*
 * MSB-to-Wrap (SIRNN Sec. IV-E): w[i] = shares of wrap(x_A, x_B) =
 * [x_A + x_B >= 2^bw] given MSB(x) of x = x_A + x_B mod 2^bw.
 * With a = msb(x_A), b = msb(x_B), m = MSB(x):
 *   wrap = (a XOR b) ? NOT m : a.
 *   SR_MSB_SHARED: one 1-of-4 OT_1, Bob chooses (b, m_B):
 *                  KK(n, 2, 1), 2 lambda + 4 bits per instance.
 *   SR_MSB_PUBLIC: one 1-of-2 OT_1, Bob chooses b: OT(n, 1), lambda + 2.
 * Rounds: 2.  1 <= bw <= 64.  w may alias msb.
 */
SR_NODISCARD int sr_msb_to_wrap(sr_lane *L, size_t n, uint8_t *w,
                                const uint64_t *x, const uint8_t *msb,
                                unsigned bw, unsigned flags);

/*
 * DReLU: d[i] = shares of [x >= 0] = 1 XOR MSB(x) for signed x of bw bits.
 * Cost of sr_msb.
 */
SR_NODISCARD int sr_drelu(sr_lane *L, size_t n, uint8_t *d, const uint64_t *x,
                          unsigned bw);

/*
 * ReLU: y[i] = shares of max(x, 0) for signed x of bw bits
 * (= DReLU(x) ? x : 0).  sr_drelu then sr_mux: traffic of sr_msb(bw) plus
 * sr_mux(bw).  Rounds: those of sr_msb plus 3.  y may alias x.
 */
SR_NODISCARD int sr_relu(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                         unsigned bw);

#endif
