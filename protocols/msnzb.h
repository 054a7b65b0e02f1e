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
 *  3. sel_(c-1) = NOT v_(c-1); h_(c-2) = v_(c-1), h_i = h_(i+1) AND v_(i+1);
 *     sel_i = h_i AND NOT v_i and the all-zero flag h_0 AND v_0: (c-2)
 *     sequential ANDs plus one batch of c n.  At most one sel_i is set
 *     (none for x = 0).
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
 * The OT steps run in calls of at most sr_msnzb_rows(m) rows (the c - 1
 * full digits form one run of (c-1) n rows, the last digit one of n rows,
 * the one-hot step one of n rows), 2 rounds per call.
 *
 * Traffic: DigDec(bw, d) + (c-1) KK(n, d, delta+1) + KK(n, d_last,
 * delta+1) + (c-2) AND(n) + AND(c n) (no ANDs if c = 1) + MUX_delta(c n)
 * (none if d = 1)
 * + KK(n, delta+gamma, bw)  (KK(k, m, l) = k (2 lambda + 2^m l) bits, see
 * protocols/ot.h; each call of the OT steps rounds up separately).
 * 1 <= d <= 8.  bw = 1 is local (bit 0 = x).
 * z (n bw bytes) must not alias x.  Both parties make the identical call.
 */
#ifndef SR_PROTOCOLS_MSNZB_H
#define SR_PROTOCOLS_MSNZB_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"

/* Table entries per OT call of the LUT steps (bounds memory: 32 MiB). */
#define SR_MSNZB_CHUNK_ENTRIES ((size_t)1 << 22)

/* Rows (instances) per 1-of-2^m OT call of the LUT steps. */
static inline size_t
sr_msnzb_rows(unsigned m)
{
    return SR_MSNZB_CHUNK_ENTRIES >> m;
}

SR_NODISCARD int sr_msnzb(sr_lane *L, size_t n, uint8_t *z, const uint64_t *x,
                          unsigned bw, unsigned d);

#endif
