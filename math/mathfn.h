/*
 * math/mathfn.h -- the math functions' cleartext twins: exp of x <= 0,
 * sigmoid, tanh, reciprocal, rsqrt  (SIRNN, Sec. V and Fig. 3).
 *
 * Each twin computes, on cleartext fixed-point values, exactly what the
 * secure version reconstructs to: every step below is one block of
 * math/fxp.h, and the secure version runs the same block on shares with
 * the same widths (plan: math/plan.h).  Inputs and outputs are bit
 * patterns of their formats (signed two's complement, reduced mod 2^bw),
 * x in fx = (bw_x, s_x), y in fy = (bw_y, s_y).  y may alias x.
 *
 * Notation: b = MSB(x); G = guard bits; TR(l, s) = floor, then reduce;
 * RN = round to nearest (a public constant added before TR: free);
 * "*" = the MSB-known (starred) block of Table V.  Widths are for
 * (16, 12) -> (16, 12); docs/math.md has the cost of every step (Table V
 * model and measured bytes).
 *
 * exp (x <= 0; y = e^x)                                   sr_exp_neg_plain
 *   1. z = -x (bw_x), unsigned magnitude                      local
 *   2. digits z_j (d = 8 bits; last shorter)                  DigDec(16, 8)
 *   3. e_j = T_j[z_j] = min(RN(e^{-z_j 2^{jd}/2^s_x} 2^s_e), cap)
 *      s_e = s_y + 1.  A low digit whose entries are close to 1 is stored
 *      as eps_j = 2^s_e - e_j (fewer bits).                 LUT per digit
 *      cap = 2^s_e; when 1.0 does not fit fy (bw_y = s_y + 1) the top
 *      digit's entries are capped at 2^s_e - 2^G, so y <= 2^s_y - 1.
 *   4. tree of products, each rounded: e = RN(e_a e_b / 2^s_e), the
 *      complemented pair as e_{j+1} 2^s_e - e_{j+1} eps_j; the last
 *      product is rounded straight to s_y:
 *      y = TR(p + 2^(s_e+G-1), 2 w_e, s_e + G)        *UMult, *ZExt, TR
 *   5. fit to bw_y (value <= 2^s_y, top bit known 0)          *ZExt
 *
 * sigmoid (any x; y = 1/(1 + e^-x))                       sr_sigmoid_plain
 *   1. digits of x itself (two's complement)                  DigDec
 *      the top digit's LUT gives b = MSB(x) and the top factor of
 *      e^{-|x|} (for negative x, |x| = ~x + 1: the top table holds
 *      e^{-(~v 2^{jd} + 1)/2^s_x}); lower digits become b ? ~d : d,
 *      i.e. d + b (2^w - 1 - 2d)                          LUT, MUX(8)
 *   2. e = exp(-|x|) by the tree, s_e = s_y + 1; the top digit's entries
 *      are capped at 2^s_e - 1 so e < 1 and D = 1 + e is in [1, 2) with
 *      fraction f = e (s_f = s_e bits)
 *   3. r = 1/D by a first-order segment LUT:
 *      i = TR(f, s_f - g) (g bits), delta = f - i 2^(s_f-g)  TR, local
 *      (a_i, b_i) = minimax line of 1/u on segment i, a at scale
 *      s_w = s_y + 1, b at s_b = s_w - g                    LUT (x2)
 *      r_full = a_i 2^sh - b_i delta, W = S + 2 bits, S = s_b + s_f
 *                                                             *UMult
 *   4. y+ = TR(r_full + 2^(S - s_y - 1), W, S - s_y) = RN(sigma(|x|)),
 *      s_y + 2 bits                                               TR
 *   5. y = y+ + b (2^s_y - 2 y+)  (sigma(-|x|) = 1 - sigma(|x|)) MUX
 *   6. fit to bw_y (value <= 2^s_y, top bit known 0)          *ZExt
 *   With bw_y = s_y + 1 the entries a are capped so y+ <= 2^s_y - 1.
 *   g rule: ceil((s_y - 2)/2) (paper); no iterations.
 *
 * tanh (any x)                                               sr_tanh_plain
 *   As sigmoid with e = exp(-2|x|) (the exp tables read the digits at
 *   scale s_x - 1: free), s_e = s_y + 1, s_w = s_y + 2, g =
 *   ceil((s_y - 1)/2), and
 *   4'. t = 2 r_full - 2^S (W + 1 bits, signed; local)
 *       y+ = TR(t + 2^(S - s_y - 1), W + 1, S - s_y) (s_y + 3, signed)
 *       (tanh|x| = 2/(1 + e^-2|x|) - 1)                          TR
 *   5'. y = y+ + b (-2 y+)                                       MUX
 *   6'. sign extension as y + 2^s_y (top bit known 0), *ZExt, - 2^s_y
 *
 * reciprocal (x > 0; y = 1/x)                                sr_recip_plain
 *   SR_MATH_UNIT_RANGE (x in [1, 2)): f = x mod 2^s_x, steps 3, 4, 6 of
 *   sigmoid (p = s_y).  Otherwise, with MSNZB normalisation:
 *   1. one-hot h_k of the MSNZB of x over bits 0..bw_x-2       MSNZB
 *   2. one B2A per bit; adjust = sum h_k 2^(bw_x-2-k), P = sum h_k P_k,
 *      sat = sum h_k sat_k (local sums)                          B2A
 *      m = x * adjust in [1, 2) at scale bw_x - 2 (bw_x - 1 bits) *UMult
 *   3. r_full: segment LUT with p = bw_y; index i = TR(m, bw_x - 1,
 *      s_f - g) mod 2^g, delta = m - i 2^(s_f - g)     TR, LUT, *UMult
 *   4. y = r * 2^c_k, c_k = s_x + s_y - k: P_k = 2^(c_k - c_min) (0 when
 *      the result is below 1/4 ulp or saturates), sat_k = 2^(bw_y-1) - 1
 *      where every result overflows:
 *      y = TR(r_full P + 2^(S - c_min - 1), S - c_min) + sat  *UMult, TR
 *   x = 0 gives 0 (the one-hot vector of 0 is empty); the MSB of x is
 *   ignored.
 *
 * rsqrt (x > 0; y = 1/sqrt(x))                               sr_rsqrt_plain
 *   As the general reciprocal, with q_k = (k - s_x) mod 2 the parity of
 *   the exponent (q = XOR of h_k q_k: local on boolean shares), the LUT
 *   indexed by TR(m, bw_x - 1, s_f - g) + q 2^g mod 2^(g+1) -- a correct
 *   (g + 1)-bit share because the TR output's top bit is 1, so the table
 *   is laid out by (1 - q, i) -- holding the minimax lines of
 *   2^(-q/2) u^(-1/2), and c_k = s_y - (k - s_x - q_k)/2.  p =
 *   min(bw_y, s_y + 3), g = ceil((p - 3)/2) <= 7.
 *
 * Iteration (general reciprocal and rsqrt with p > 19, plan t = 1): the
 *   LUT aims at 20 bits, then one Goldschmidt step r0 (1 + e), e = 1 -
 *   m r0 (reciprocal) or one Newton step r0 (1 + e/2), e = 1 - 2^q m r0^2
 *   (rsqrt) gives r at scale R = bw_y - 1 (floored, r < 1), which step 4
 *   uses in place of r_full (scale R, R + 1 bits).  Blocks and widths:
 *   iterate_one in mathfn_plain.c, docs/math.md "Iterations".
 *
 * Division num / den: math/div.h (general reciprocal of den, a signed
 * product, a rounding TR and a clamp).
 *
 * Saturation: no twin wraps silently.  exp, sigmoid, tanh and the
 * unit-range reciprocal need bw_y >= s_y + 1 (the output must hold
 * 1 - 2^-s_y); at bw_y = s_y + 1 the tables are capped so that the largest
 * result is 2^(bw_y-1) - 1.  The general reciprocal and rsqrt saturate to
 * 2^(bw_y-1) - 1 where 1/x (1/sqrt x) does not fit.
 *
 * All functions return SR_OK, or SR_ENOMEM when the tables could not be
 * allocated.  params may be NULL (every parameter by rule).
 */
#ifndef SR_MATH_MATHFN_H
#define SR_MATH_MATHFN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "math/fxp.h"
#include "math/plan.h"

SR_NODISCARD int sr_exp_neg_plain(size_t n, uint64_t *y, sr_fx fy,
                                  const uint64_t *x, sr_fx fx,
                                  const sr_math_params *params);
SR_NODISCARD int sr_sigmoid_plain(size_t n, uint64_t *y, sr_fx fy,
                                  const uint64_t *x, sr_fx fx,
                                  const sr_math_params *params);
SR_NODISCARD int sr_tanh_plain(size_t n, uint64_t *y, sr_fx fy,
                               const uint64_t *x, sr_fx fx,
                               const sr_math_params *params);
SR_NODISCARD int sr_recip_plain(size_t n, uint64_t *y, sr_fx fy,
                                const uint64_t *x, sr_fx fx,
                                const sr_math_params *params);
SR_NODISCARD int sr_rsqrt_plain(size_t n, uint64_t *y, sr_fx fy,
                                const uint64_t *x, sr_fx fx,
                                const sr_math_params *params);

/* Any of the above by name (sr_mathfn). */
SR_NODISCARD int sr_math_plain(sr_mathfn fn, size_t n, uint64_t *y, sr_fx fy,
                               const uint64_t *x, sr_fx fx,
                               const sr_math_params *params);

/*
 * The same with a prepared plan and tables (no allocation): the secure
 * versions share P and T with their twin.
 */
void sr_math_plain_run(const sr_math_plan *P, const sr_math_tab *T, size_t n,
                       uint64_t *y, const uint64_t *x);

#endif
