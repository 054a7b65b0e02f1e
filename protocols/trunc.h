/*
 * protocols/trunc.h -- truncations of shares (SIRNN Sec. IV-B, Lemma 1,
 * Appendix C; the starred MSB-known variants of Sec. IV-E).
 *
 * Rounding, for x the bw-bit value of the shares:
 *   sr_trunc_reduce  TR:   y = floor(x / 2^s) over bw - s bits, x unsigned
 *                          (equivalently: drop the s low bits; for signed x
 *                          the bw - s kept bits are floor(x / 2^s) in two's
 *                          complement, since both are the same bit string)
 *   sr_trunc_lrs     LRS:  y = floor(x / 2^s), x unsigned, over bw bits
 *   sr_trunc_ars     ARS:  y = floor(x / 2^s), x signed, over bw bits
 *   sr_trunc_divpow2 DivPow2: y = x / 2^s rounded toward zero (C division),
 *                          x signed, over bw bits
 * 1 <= bw <= 64 and 0 <= s < bw; s = 0 is a copy (no traffic).
 *
 * Notation for traffic: Wrap_k / MillEq_k / MSB_k are the blocks of
 * protocols/mill.h on k-bit inputs, B2A_k of protocols/b2a.h, AND of
 * protocols/and.h, MSBtoWrap the flag-selected variant of sr_msb_to_wrap.
 * Every protocol here sends exactly the sum of the blocks it lists
 * (documented formulas of those headers; docs/protocols-sirnn.md has the
 * byte totals measured).  y may alias x in every function.  Both parties
 * make the identical call.
 */
#ifndef SR_PROTOCOLS_TRUNC_H
#define SR_PROTOCOLS_TRUNC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "protocols/ext.h"

/*
 * TR (truncate and reduce): y = x >> s over bw - s bits.
 * x = u * 2^s + v per share; y = u_A + u_B + carry(v_A + v_B >= 2^s).
 * Traffic: Wrap_s + B2A_(bw-s)   (paper: lambda(s+1) + bw + 13s).
 * Rounds: Wrap_s, then B2A.
 */
SR_NODISCARD int sr_trunc_reduce(sr_lane *L, size_t n, uint64_t *y,
                                 const uint64_t *x, unsigned bw, unsigned s);

/*
 * LRS: y = floor(x / 2^s) over bw bits, x unsigned.  flags/msb as in
 * ext.h (msb = MSB of x).
 *   SR_MSB_NONE:  Wrap_s + MillEq_(bw-s) + AND + B2A_bw + B2A_s
 *                 (paper: lambda(bw+3) + 15bw + s + 20)
 *   MSB known:    Wrap_s + MSBtoWrap + B2A_bw + B2A_s
 *                 (paper, public: lambda(s+3) + bw + 15s + 2)
 * Rounds: the listed blocks one after another, constant in n (bw = 32,
 * s = 12: 15 measured; with a known MSB 10).
 */
SR_NODISCARD int sr_trunc_lrs(sr_lane *L, size_t n, uint64_t *y,
                              const uint64_t *x, const uint8_t *msb,
                              unsigned bw, unsigned s, unsigned flags);

/*
 * ARS: y = floor(x / 2^s) over bw bits, x signed (msb = MSB of the signed
 * x, 1 for negative).  Alice adds 2^(bw-1), LRS, Alice subtracts
 * 2^(bw-1-s).  Same traffic as sr_trunc_lrs.
 */
SR_NODISCARD int sr_trunc_ars(sr_lane *L, size_t n, uint64_t *y,
                              const uint64_t *x, const uint8_t *msb,
                              unsigned bw, unsigned s, unsigned flags);

/*
 * DivPow2: y = x / 2^s rounded toward zero, x signed (Appendix C-2):
 * y = ARS(x, s) + MSB(x) AND [x mod 2^s != 0], with the MSB, the low
 * carry and the zero test all taken from one decomposition (trunc.c).
 * flags/msb as in ext.h (msb = MSB of the signed x).
 * Traffic:
 *   SR_MSB_NONE:   MillEq_s + AND + MillEq_(bw-s-1) (if bw - s > 1) + AND
 *                  + MSBtoWrap_shared + AND + B2A_bw (2n) + B2A_s
 *                  (paper: lambda(bw + 7s/4 + 4) + 16 bw + 23 s - 5)
 *   SR_MSB_SHARED: MillEq_s + AND + MSBtoWrap_shared + AND + B2A_bw (2n)
 *                  + B2A_s
 *   SR_MSB_PUBLIC: MillEq_s + AND + MSBtoWrap_public + B2A_bw (2n) + B2A_s
 * Rounds: the listed blocks one after another, constant in n (bw = 32,
 * s = 12: 21 measured).
 */
SR_NODISCARD int sr_trunc_divpow2(sr_lane *L, size_t n, uint64_t *y,
                                  const uint64_t *x, const uint8_t *msb,
                                  unsigned bw, unsigned s, unsigned flags);

#endif
