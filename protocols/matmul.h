/*
 * protocols/matmul.h -- mixed-bitwidth matrix multiplication (SIRNN
 * Appendix D-2, Algorithm 5, with input reuse) for both operands shared,
 * or one operand known in the clear to one party (a layer's weights).
 *
 * Matrices are row-major: A is d1 x d2, B is d2 x d3, Z = A B is d1 x d3.
 * Semantics: Z = A B over the integers (each entry of A an m-bit, of B an
 * n-bit value, unsigned or two's complement per SR_MULT_SIGNED_A/_B of
 * mult.h), reduced mod 2^bw.  1 <= bw <= 64.  d1, d2, d3 may be 0 (no
 * traffic) or 1.  Z must not alias A or B.
 *
 * Input reuse (the paper's batching): every entry of the choice operand
 * is bit-decomposed once, and one OT per bit carries the whole row or
 * column it multiplies (sr_cross_* with k = the fan-out), so a weight
 * matrix times a vector costs one OT per bit of the vector, not one per
 * product.
 */
#ifndef SR_PROTOCOLS_MATMUL_H
#define SR_PROTOCOLS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "protocols/mult.h"

/* sr_matmul_known: which operand is the clear one. */
#define SR_KNOWN_A 64u
#define SR_KNOWN_B 128u

/*
 * Both operands shared (Algorithm 5).  If bw > m + n the wider operand is
 * first extended (sr_ext_signed / sr_ext_zero) to bw - (other width) bits
 * (the paper's e = ceil(log2 d2) extra bits when bw = m + n + e).  Then
 * with offsets A' = A + 2^(m-1), B' = B + 2^(n-1) for signed operands and
 * wraps W_A, W_B of their shares:
 *   Z = A'_own B'_own + cross(A', B') - 2^m (W_A V_B) - 2^n (V_A W_B)
 *       - [sB] 2^(n-1) rowsum(A') - [sA] 2^(m-1) colsum(B')
 *       + [sA sB] d2 2^(m+n-2)               (mod 2^bw)
 * where V_B = B' - [sB] 2^(n-1) over bw - m bits (likewise V_A), cross()
 * is sr_cross_pair batched over the operand whose decomposition is
 * cheaper (the left one, k = d3, or the right one, k = d1), and each
 * bit-matrix product is an sr_cross_pair with 1-bit choices.
 * Traffic: [Ext] + Wrap_m(d1 d2) + Wrap_n(d2 d3)
 *          + 2 CrossTerm(d1 d2, d3, m, bw)  or  2 CrossTerm(d2 d3, d1, n, bw)
 *          + 2 CrossTerm(d1 d2, d3, 1, bw - m)   (if bw > m)
 *          + 2 CrossTerm(d2 d3, d1, 1, bw - n)   (if bw > n).
 * Both parties make the identical call.
 */
SR_NODISCARD int sr_matmul(sr_lane *L, size_t d1, size_t d2, size_t d3,
                           uint64_t *Z, const uint64_t *A, const uint64_t *B,
                           unsigned m, unsigned n, unsigned bw, unsigned flags);

/*
 * One operand in the clear: flags has SR_KNOWN_A (W = the left d1 x d2
 * operand, X the right d2 x d3 one) or SR_KNOWN_B (X left d1 x d2, W right
 * d2 x d3), and SR_KNOWN_BY_SERVER or SR_KNOWN_BY_CLIENT (the party that
 * passes W; the other passes W = NULL, e.g. via sr_known_by_server()).
 * mw, nx are the widths of W and X; SR_MULT_SIGNED_A marks W signed,
 * SR_MULT_SIGNED_B marks X signed.  The owner of W is the COT sender
 * whatever its lane role: the peer's bits of X' = X + [sX] 2^(nx-1) choose
 * whole rows/columns of W, so
 *   Z = W X'_own (owner) + cross(W, X'_peer) - 2^nx (W w_X)
 *       - [sX] 2^(nx-1) (W 1)
 * Traffic: Wrap_nx(|X|) + CrossTerm(|X|, fan, nx, bw)
 *          + CrossTerm(|X|, fan, 1, bw - nx) (if bw > nx),
 * |X| = entries of X, fan = d3 (SR_KNOWN_B) or d1 (SR_KNOWN_A).
 * For 1x100 times 100x35, 8-bit, bw 16, W known to the server:
 * docs/protocols-sirnn.md has the measured bytes.
 */
SR_NODISCARD int sr_matmul_known(sr_lane *L, size_t d1, size_t d2, size_t d3,
                                 uint64_t *Z, const uint64_t *W,
                                 const uint64_t *X, unsigned mw, unsigned nx,
                                 unsigned bw, unsigned flags);

#endif
