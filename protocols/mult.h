/*
 * protocols/mult.h -- mixed-bitwidth multiplication (SIRNN Sec. IV-C,
 * Algorithm 4 "CrossTerm", Appendix D) and its element-wise forms.
 *
 * Semantics: z = x * y mod 2^bw, the exact integer product of the m-bit x
 * and the n-bit y (each unsigned, or signed two's complement when its
 * SR_MULT_SIGNED_* flag is set), reduced mod 2^bw.  When both operands are
 * shared, bw <= m + n (the paper's condition; wider outputs need an
 * extension first, as sr_matmul does).  With one operand known in the
 * clear to one party, any bw <= 64 works.
 *
 * The OT direction follows who knows what, not the lane role: the holder
 * of a clear operand is always the COT sender (SR_KNOWN_BY_SERVER /
 * SR_KNOWN_BY_CLIENT; pass the clear values on that party and NULL on the
 * other, e.g. through sr_known_by_server()).
 *
 * Shares are reduced mod 2^(their width) as everywhere (engine/common.h).
 */
#ifndef SR_PROTOCOLS_MULT_H
#define SR_PROTOCOLS_MULT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "protocols/ext.h"

/* Operand formats (flags).  A is the first operand, B the second. */
#define SR_MULT_UNSIGNED 0u
#define SR_MULT_SIGNED_A 1u
#define SR_MULT_SIGNED_B 2u
#define SR_MULT_SIGNED (SR_MULT_SIGNED_A | SR_MULT_SIGNED_B)
/* Known-MSB (starred) variants: msb pointers hold the operands' MSBs. */
#define SR_MULT_MSB_PUBLIC 4u
#define SR_MULT_MSB_SHARED 8u
/* Which party knows the clear operand (sr_mult_known, sr_matmul_known). */
#define SR_KNOWN_BY_SERVER 16u
#define SR_KNOWN_BY_CLIENT 32u

/* The weights pointer on the server, NULL on the client. */
static inline const uint64_t *
sr_known_by_server(const sr_lane *L, const uint64_t *w)
{
    return sr_lane_is_server(L) ? w : (const uint64_t *)0;
}

/*
 * CrossTerm, batched (Algorithm 4 with the paper's input reuse): the
 * receiver holds x[i] (mx-bit values, i < n), the sender holds k values
 * y[i*k + j] per x[i] (any bits; used mod 2^bw).  Both get shares
 *   z[i*k + j] = x[i] * y[i*k + j] mod 2^bw   (n*k outputs).
 * Bit t of x (t < B = min(mx, bw)) selects y * 2^t, a correlated OT of
 * bw - t bits (bits above bw - t vanish in the product), made from random
 * OT: each choice gets r = min(k, 2) random OTs of 64 bits in one sr_rot
 * call (receiver -> sender, lambda bits each), whose messages are the
 * pads of its k values (k <= 2: one message per value; k >= 3: the two
 * messages form a 128-bit AES key that expands into k pads), then the
 * sender sends pad0 + y - pad1 per value, one packed message of n k
 * values of bw - t bits per bit t.
 * Traffic: 16 r n B + sum_(t < B) ceil(n k (bw - t) / 8) bytes (for k = 1:
 * exactly the paper's sum_t (lambda + bw - t) bits per instance).
 * Rounds: 2 (the random-OT flight, then all corrections).  n is processed
 * in chunks of sr_cross_chunk(k, mx, bw) choices (bounded memory); each
 * chunk costs the formula above on its own n and 2 rounds.
 * The caller of sr_cross_recv is the OT receiver, of sr_cross_send the
 * sender; the peer must make the other call with the same n, k, mx, bw.
 * z must not alias x or y.
 */
#define SR_CROSS_CHUNK_VALUES ((size_t)1 << 22)

/* Choices per chunk of sr_cross_*: about SR_CROSS_CHUNK_VALUES values. */
static inline size_t
sr_cross_chunk(size_t k, unsigned mx, unsigned bw)
{
    size_t B = mx < bw ? mx : bw, c = SR_CROSS_CHUNK_VALUES / (k * B);
    return c > 0 ? c : 1;
}

SR_NODISCARD int sr_cross_recv(sr_lane *L, size_t n, size_t k, uint64_t *z,
                               const uint64_t *x, unsigned mx, unsigned bw);
SR_NODISCARD int sr_cross_send(sr_lane *L, size_t n, size_t k, uint64_t *z,
                               const uint64_t *y, unsigned mx, unsigned bw);

/*
 * Both cross terms of a product of shared operands: z[i*k + j] = shares
 * of bits_A[i] vals_B[i*k+j] + bits_B[i] vals_A[i*k+j] mod 2^bw, where
 * bits are this party's mx-bit choice values and vals its k values per
 * choice.  One sr_cross_recv and one sr_cross_send per party (Alice
 * receives first): traffic 2 CrossTerm(n, k, mx, bw).  z must not alias
 * the inputs.  Both parties make the identical call.
 */
SR_NODISCARD int sr_cross_pair(sr_lane *L, size_t n, size_t k, uint64_t *z,
                               const uint64_t *bits, const uint64_t *vals,
                               unsigned mx, unsigned bw);

/*
 * UMult / SMult, both operands shared: z = x * y mod 2^bw for x of m bits
 * and y of n bits (flags: SR_MULT_SIGNED_A/_B), 1 <= bw <= m + n <= 128.
 * Signed operands are offset to unsigned x' = x + 2^(m-1) (Alice adds),
 *   x y = x'y' - 2^(n-1) x' - 2^(m-1) y' + 2^(m+n-2),
 * and with w_x, w_y the wraps of the shares of x', y',
 *   x'y' = X'Y' - 2^m w_x Y' - 2^n w_y X'        (mod 2^bw, bw <= m+n)
 * where X' = x'_A + x'_B over the integers.  X'Y' has two local products
 * and two cross terms (the narrower operand's bits are the choices); each
 * wrap term is one sr_mux of the other operand's shares.
 * Traffic: Wrap_m + Wrap_n + 2 CrossTerm(mu bits, k = 1, bw)
 *          + MUX_(bw-m) (if bw > m) + MUX_(bw-n) (if bw > n),
 * where for m = n the two wraps are one call on 2n instances and so are
 * the two MUXes (fewer rounds),
 * mu = min(m, n).  Paper: lambda(3mu + nu + 4) + 2 mu nu + mu^2 + 17 mu +
 * 16 nu bits.  Rounds: the blocks one after another (16 x 16 -> 32: 24).
 * z may alias x or y.  Both parties make the identical call.
 */
SR_NODISCARD int sr_mult(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
                         const uint64_t *y, unsigned m, unsigned nb,
                         unsigned bw, unsigned flags);

/*
 * Starred variant: the operands' MSBs are known, public (flags has
 * SR_MULT_MSB_PUBLIC, msbx/msby the same bits on both sides) or shared
 * (SR_MULT_MSB_SHARED, boolean shares).  The MSB is that of the signed
 * value for a signed operand.  The wraps cost MSBtoWrap instead of Wrap
 * (16 x 16 -> 32: 714.5 B public, 747 B shared, 11 rounds).
 */
SR_NODISCARD int sr_mult_msb(sr_lane *L, size_t n, uint64_t *z,
                             const uint64_t *x, const uint64_t *y,
                             const uint8_t *msbx, const uint8_t *msby,
                             unsigned m, unsigned nb, unsigned bw,
                             unsigned flags);

/*
 * Multiply then truncate-reduce (SMultTR / UMultTR): z = TR(x * y mod
 * 2^bw, s) over bw - s bits.  Traffic: sr_mult + sr_trunc_reduce(bw, s).
 */
SR_NODISCARD int sr_mult_tr(sr_lane *L, size_t n, uint64_t *z,
                            const uint64_t *x, const uint64_t *y, unsigned m,
                            unsigned nb, unsigned bw, unsigned s,
                            unsigned flags);

/* SMultTR with known MSBs: sr_mult_msb, then sr_trunc_reduce(bw, s). */
SR_NODISCARD int sr_mult_tr_msb(sr_lane *L, size_t n, uint64_t *z,
                                const uint64_t *x, const uint64_t *y,
                                const uint8_t *msbx, const uint8_t *msby,
                                unsigned m, unsigned nb, unsigned bw,
                                unsigned s, unsigned flags);

/*
 * Hadamard product with one clear operand: z = w * x mod 2^bw, w (mw bits)
 * known to the party named in flags (SR_KNOWN_BY_SERVER or _CLIENT; the
 * other party passes w = NULL), x shared over nx bits; 1 <= bw <= 64.
 * With x' = x + 2^(nx-1) for signed x and w_x the wrap of its shares,
 *   w x = w x'_own + w x'_peer - 2^nx w w_x - [signed x] 2^(nx-1) w,
 * the owner of w computes w x'_own locally, is COT sender for the cross
 * term (the peer's nx bits are the choices) and for w w_x
 * (w w_x = w w_own + w_peer w (1 - 2 w_own)).
 * Traffic: Wrap_nx (or MSBtoWrap with SR_MULT_MSB_* and msbx) +
 * CrossTerm(nx bits, k = 1, bw) + CrossTerm(1 bit, k = 1, bw - nx)
 * (the latter only if bw > nx).  Rounds: Wrap + 2 + 2.  z may alias x.
 */
SR_NODISCARD int sr_mult_known(sr_lane *L, size_t n, uint64_t *z,
                               const uint64_t *w, const uint64_t *x,
                               const uint8_t *msbx, unsigned mw, unsigned nx,
                               unsigned bw, unsigned flags);

/* Internal to mult.c and matmul.c: 1 when this lane's party is the owner
 * named in flags. */
static inline int
sr_known_here(const sr_lane *L, unsigned flags)
{
    return (flags & SR_KNOWN_BY_SERVER) ? sr_lane_is_server(L)
                                        : !sr_lane_is_server(L);
}

#endif
