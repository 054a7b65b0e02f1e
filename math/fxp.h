/*
 * math/fxp.h -- cleartext fixed-point block semantics (the "twin" ops).
 *
 * Every secure building block of protocols/ has a cleartext counterpart
 * here that computes exactly what the reconstructed secure output is, so
 * the math twins (math/mathfn.h) can be written as a step-by-step mirror of
 * the secure algorithms and the tests can compare bit for bit.
 *
 * Representation.  A value of bitwidth bw (1 <= bw <= 64) is a uint64_t
 * reduced mod 2^bw: the bit pattern of the ring element, exactly what
 * x_A + x_B mod 2^bw reconstructs to.  "Signed" means two's complement in
 * bw bits (sr_fxp_sext gives the integer), "unsigned" means 0..2^bw-1.
 * Every function below returns a value reduced mod 2^(its output width).
 *
 * Rounding (DESIGN.md s4: the rounding is part of the semantics):
 *   TR      floor(x / 2^s) mod 2^(l-s)            x read as l-bit pattern
 *   LRS     floor(x_unsigned / 2^s)   in l bits   (logical right shift)
 *   ARS     floor(x_signed / 2^s)     in l bits   (arithmetic right shift)
 *   DivPow2 trunc(x_signed / 2^s)     in l bits   (toward zero)
 *   UMult   (x_unsigned * y_unsigned) mod 2^l     exact product, reduced
 *   SMult   (x_signed * y_signed) mod 2^l         exact product, reduced
 *   *TR     the product above (full width m+n), then TR by s to m+n-s bits
 * TR of a signed value is floor as well: the two's-complement pattern
 * shifted right, reduced; TR of an unsigned value is plain floor.
 *
 * Fixed-point formats: sr_fx { bw, s }, value = int(x) / 2^s.
 */
#ifndef SR_MATH_FXP_H
#define SR_MATH_FXP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

/* A fixed-point format: bitwidth bw (1..64) and scale s (value = x/2^s). */
typedef struct sr_fx {
    uint8_t bw;
    uint8_t s;
} sr_fx;

static inline sr_fx
sr_fx_make(unsigned bw, unsigned s)
{
    sr_fx f = {(uint8_t)bw, (uint8_t)s};
    return f;
}

/* x mod 2^bw. */
static inline uint64_t
sr_fxp_wrap(uint64_t x, unsigned bw)
{
    return x & sr_mask(bw);
}

/* The signed integer of the bw-bit two's-complement pattern x. */
static inline int64_t
sr_fxp_sext(uint64_t x, unsigned bw)
{
    x &= sr_mask(bw);
    if (bw < 64 && (x >> (bw - 1)) & 1)
        x |= ~sr_mask(bw);
    return (int64_t)x;
}

/* MSB of the bw-bit pattern x (1 iff x is negative as signed). */
static inline unsigned
sr_fxp_msb(uint64_t x, unsigned bw)
{
    return (unsigned)((x >> (bw - 1)) & 1);
}

/* Largest / smallest value of a signed bw-bit format. */
static inline int64_t
sr_fxp_smax(unsigned bw)
{
    return (int64_t)(sr_mask(bw - 1));
}

static inline int64_t
sr_fxp_smin(unsigned bw)
{
    return -sr_fxp_smax(bw) - 1;
}

/* Saturate a signed integer to the signed bw-bit range, as a pattern. */
uint64_t sr_fxp_sat(int64_t v, unsigned bw);

/* ZExt m -> n (n >= m): the unsigned value of x, as an n-bit pattern. */
uint64_t sr_fxp_zext(uint64_t x, unsigned m, unsigned n);

/* SExt m -> n (n >= m): the signed value of x, as an n-bit pattern. */
uint64_t sr_fxp_sext_to(uint64_t x, unsigned m, unsigned n);

/* Reduce l -> n bits (n <= l): x mod 2^n (local for shares). */
uint64_t sr_fxp_reduce(uint64_t x, unsigned l, unsigned n);

/* TR(l, s): floor(x / 2^s) mod 2^(l-s); x read as an l-bit pattern. */
uint64_t sr_fxp_tr(uint64_t x, unsigned l, unsigned s);

/* LRS(l, s): floor(unsigned x / 2^s), l-bit result. */
uint64_t sr_fxp_lrs(uint64_t x, unsigned l, unsigned s);

/* ARS(l, s): floor(signed x / 2^s), l-bit result. */
uint64_t sr_fxp_ars(uint64_t x, unsigned l, unsigned s);

/* DivPow2(l, s): signed x / 2^s rounded toward zero, l-bit result. */
uint64_t sr_fxp_divpow2(uint64_t x, unsigned l, unsigned s);

/* UMult m x n -> l: (unsigned x * unsigned y) mod 2^l, any l <= 64. */
uint64_t sr_fxp_umult(uint64_t x, unsigned m, uint64_t y, unsigned n,
                      unsigned l);

/* SMult m x n -> l: (signed x * signed y) mod 2^l. */
uint64_t sr_fxp_smult(uint64_t x, unsigned m, uint64_t y, unsigned n,
                      unsigned l);

/*
 * UMultTR / SMultTR: the product at width l (<= 64), then TR by s, giving
 * l - s bits.  This is the paper's "multiply, truncate-reduce" step.
 */
uint64_t sr_fxp_umult_tr(uint64_t x, unsigned m, uint64_t y, unsigned n,
                         unsigned l, unsigned s);
uint64_t sr_fxp_smult_tr(uint64_t x, unsigned m, uint64_t y, unsigned n,
                         unsigned l, unsigned s);

/* MUX: b ? x : 0, in bw bits (SIRNN's multiplexer is b * x). */
static inline uint64_t
sr_fxp_mux(unsigned b, uint64_t x, unsigned bw)
{
    return b ? (x & sr_mask(bw)) : 0;
}

/* LUT: T[x mod 2^m] mod 2^bw, table of 2^m entries. */
static inline uint64_t
sr_fxp_lut(const uint64_t *T, uint64_t x, unsigned m, unsigned bw)
{
    return T[x & sr_mask(m)] & sr_mask(bw);
}

/*
 * Digit decomposition of the l-bit unsigned x into k = ceil(l/d) digits,
 * least significant first: digit j = bits [j*d, min((j+1)*d, l)).  The
 * last digit is l - (k-1)d bits wide.  Returns k.
 */
unsigned sr_fxp_digdec(uint64_t *digits, uint64_t x, unsigned l, unsigned d);

/*
 * MSNZB of the l-bit unsigned x: the index of its most significant set
 * bit, or -1 when x = 0.  sr_fxp_msnzb_onehot writes the one-hot vector
 * (l bits, bit j set iff j is that index; all zero for x = 0).
 */
int sr_fxp_msnzb(uint64_t x, unsigned l);
void sr_fxp_msnzb_onehot(uint8_t *onehot, uint64_t x, unsigned l);

#endif
