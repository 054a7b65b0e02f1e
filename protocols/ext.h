/*
 * protocols/ext.h -- zero and signed extension of shares from m to bw bits
 * (SIRNN Sec. IV-A, Algorithm 1, and the MSB-to-wrap variants of
 * Sec. IV-E, marked with a star in Table V).
 *
 * Semantics (exact, no rounding):
 *   sr_ext_zero:   y = x                    as an unsigned m-bit value
 *   sr_ext_signed: y = x - 2^m [x >= 2^(m-1)] (two's complement)
 * both reduced mod 2^bw, bw >= m.
 *
 * Known-MSB variants.  flags selects how much is known about the MSB of x
 * (the m-bit value, before extension):
 *   SR_MSB_NONE    msb must be NULL; the wrap of the shares is computed with
 *                  a millionaires' protocol (sr_wrap, about lambda*m bits).
 *   SR_MSB_PUBLIC  msb[i] is the MSB of x[i] in the clear, the same bits on
 *                  both sides (sr_msb_to_wrap, one 1-of-2 OT, lambda + 2).
 *   SR_MSB_SHARED  msb[i] are boolean shares of the MSB of x[i]
 *                  (sr_msb_to_wrap, one 1-of-4 OT_1, 2 lambda + 4 bits).
 * SR_MSB_SHARED and SR_MSB_PUBLIC are the flags of protocols/mill.h
 * (sr_msb_to_wrap); note SR_MSB_SHARED is 0 there, so "no MSB" must be
 * asked for by name.
 */
#ifndef SR_PROTOCOLS_EXT_H
#define SR_PROTOCOLS_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "protocols/mill.h"

/* No MSB known (mill.h has SR_MSB_SHARED = 0 and SR_MSB_PUBLIC = 1). */
#define SR_MSB_NONE 2u
/* 1 when flags is exactly one of SR_MSB_NONE, SR_MSB_PUBLIC, SR_MSB_SHARED. */
static inline int
sr_msb_flags_ok(unsigned flags)
{
    return flags == SR_MSB_NONE || flags == SR_MSB_PUBLIC ||
           flags == SR_MSB_SHARED;
}

/* Internal modifier for sr_ext_wrap: msb holds the MSB of x - 2^(m-1). */
#define SR_MSB_FLIP 0x100u

/*
 * Zero extension: n shares of x over m bits to n shares of y over bw bits,
 * 1 <= m <= bw <= 64.  Algorithm 1: w = wrap(x_A, x_B, 2^m) as boolean
 * shares, then B2A to bw - m bits, y = x - 2^m * w.
 *
 * Rounds: those of sr_wrap (or sr_msb_to_wrap) plus those of sr_b2a; none
 * when bw == m (a copy).
 * Traffic (bits per instance, exactly the blocks called):
 *   SR_MSB_NONE   Wrap_m + B2A_(bw-m)     (paper: lambda(m+1) + 13m + bw)
 *   SR_MSB_PUBLIC MSBtoWrap_pub + B2A_(bw-m)
 *   SR_MSB_SHARED MSBtoWrap_sh + B2A_(bw-m)
 * y may alias x.  Both parties make the identical call.
 */
SR_NODISCARD int sr_ext_zero(sr_lane *L, size_t n, uint64_t *y,
                             const uint64_t *x, const uint8_t *msb, unsigned m,
                             unsigned bw, unsigned flags);

/*
 * Signed extension, same arguments and cost: Alice adds 2^(m-1) (the MSB
 * flips), zero-extends, and subtracts 2^(m-1) again.  msb (if given) is
 * the MSB of the signed x, i.e. 1 for negative values.
 * y may alias x.  Both parties make the identical call.
 */
SR_NODISCARD int sr_ext_signed(sr_lane *L, size_t n, uint64_t *y,
                               const uint64_t *x, const uint8_t *msb,
                               unsigned m, unsigned bw, unsigned flags);

/*
 * Shared helper of ext/trunc/mult: boolean shares of wrap(x_A, x_B, 2^m)
 * with the MSB knowledge of flags (SR_MSB_NONE: sr_wrap, else
 * sr_msb_to_wrap).  With SR_MSB_FLIP in flags, msb holds the MSB of
 * x - 2^(m-1) rather than of x (the offset trick of the signed variants:
 * x is then the offset value and its MSB is the complement); the flip is
 * applied to Alice's shared bit, or to both public bits.  w must not
 * alias msb.
 */
SR_NODISCARD int sr_ext_wrap(sr_lane *L, size_t n, uint8_t *w,
                             const uint64_t *x, const uint8_t *msb, unsigned m,
                             unsigned flags);

#endif
