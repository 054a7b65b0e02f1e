/*
 * layers/fastgrnn.h -- the fixed-point FastGRNN: the cleartext twin of the
 * secure layer (DESIGN.md s7, SIRNN Sec. VI "FastGRNN"; formats in
 * docs/models.md s4).
 *
 * Every value is a bit pattern of its format (sr_fx {bw, s}: two's
 * complement in bw bits, value = int / 2^s), exactly what the secure
 * version reconstructs.  The computation is written block by block as the
 * secure version runs it, so that the secure layer is a mirror that must
 * equal this twin bit for bit.  Notation: TR(l, k) = floor(v / 2^k), then
 * reduce mod 2^(l-k) (math/fxp.h); RTR(v, k) = TR(v + 2^(k-1), k) = round
 * half up (the public constant 2^(k-1) is added locally by one party
 * before the TR, sr_share_add_const: no extra traffic; RTR(v, 0) = v; for
 * SMultTR this means sr_mult, add, sr_trunc_reduce).  "-> 16" = reduce
 * mod 2^16, local on shares (or SExt when the TR output is narrower, which
 * the quantiser's formats never need).  Ring arithmetic wraps: the
 * quantiser chooses the formats so that the values fit
 * (sr_fastgrnn_fx_stats counts the ones that did not).
 *
 * Formats (sr_fastgrnn_fmt; all 16-bit values, wider accumulators):
 *   x       input, quantised by the client (sr_fx_quantise)
 *   W | W1, W2, U | U1, U2, fc_W   weights (round to nearest, saturate)
 *   t       low-rank intermediate x W1 (only when rW > 0)
 *   u       low-rank intermediate h U1 (only when rU > 0)
 *   a       pre-activations a + b_gate, a + b_update; the biases are
 *           quantised straight to this format
 *   z       sigmoid output, c tanh output
 *   k       the server's constants sigma(zeta), sigma(zeta) + sigma(nu)
 *   h       hidden state
 *   logits  logits; fc_b is quantised straight to this format
 *
 * One sample, in the order the secure layer runs it (acc(l) = an exact
 * product sum of l = 2*16 + ceil(log2 d) bits, d the inner dimension;
 * "known" = the server's weights times a shared operand, sr_matmul_known):
 *
 *  0. client:  x_t = Q(x_t, fx) for all t                 sr_fx_quantise
 *  1. hoisted, all T steps in one product (rows = T, or B T in a batch):
 *       full rank:  p_t = RTR(x_t W, s_x + s_W - s_a) -> 16     known, TR
 *       low rank:   t_t = RTR(x_t W1, s_x + s_W1 - s_t) -> 16   known, TR
 *                   p_t = RTR(t_t W2, s_t + s_W2 - s_a) -> 16   known, TR
 *  per step t = 1..T (h_0 = 0):
 *  2.   full rank:  q = RTR(h U, s_h + s_U - s_a) -> 16          known, TR
 *       low rank:   u = RTR(h U1, s_h + s_U1 - s_u) -> 16        known, TR
 *                   q = RTR(u U2, s_u + s_U2 - s_a) -> 16        known, TR
 *  3.   g = p_t + q + b_gate, e = p_t + q + b_update (16)   local (server
 *                                                           adds biases)
 *  4.   z = sigmoid(g) in fz, c = tanh(e) in fc       math/ twins, one
 *                                                   batch each (parallel)
 *  5.   [m2, m1] = RTR([k2 c, k1 c], s_k + s_c - s_h) -> 16, where
 *       k2 = Q(sigma(zeta)), k1 = Q(sigma(zeta) + sigma(nu)) in fk are
 *       server-known (never public): one sr_mult_known on 2H values
 *       (32-bit product), then TR                             known, TR
 *  6.   v = h - m2 (16)                                        local
 *  7.   h = RTR(z v, s_z) -> 16 + m1                   SMultTR (shared x
 *       shared, 32-bit product) then local add
 *     This is h_t = z h + (sigma(zeta)(1 - z) + sigma(nu)) c rewritten as
 *     z (h - sigma(zeta) c) + (sigma(zeta) + sigma(nu)) c: one shared
 *     product per unit instead of two.
 *  8. logits = RTR(h_T fc_W, s_h + s_fcW - s_logits) -> bw_logits + fc_b
 *                                                          known, TR
 *  9. argmax (signed compare, first maximum)
 *
 * Every rescaling rounds half up (RTR: floor after adding half an ulp; a
 * plain floor would bias the recurrence by -1/2 ulp per step: kws loses a
 * test sample with it); the quantisations of inputs, weights and constants
 * round half away from zero (sr_fx_quantise); the math twins round as
 * math/mathfn.h says.
 *
 * Rounds per step (note for the secure layer): the recurrence's critical
 * path is step 2 (one known product + TR, or two for low-rank U), step 4
 * (sigmoid and tanh are independent: run them as one batch of flights),
 * step 5 (known product + TR), step 7 (SMult + TR); steps 3 and 6 are
 * local and step 1 is outside the loop.  Other orders of the gate update
 * need the same depth (two products after step 4); step 2's TR stays,
 * since sigmoid and tanh take 16-bit inputs (their cost grows with bw).
 */
#ifndef SR_LAYERS_FASTGRNN_H
#define SR_LAYERS_FASTGRNN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "layers/fastgrnn_float.h"
#include "math/fxp.h"
#include "math/plan.h"

/*
 * Round to nearest (ties away from zero) and saturate:
 *   q[i] = clamp(round(x[i] * 2^f.s), -2^(bw-1), 2^(bw-1) - 1) mod 2^bw.
 * NaN is a programmer error.  Returns the number of saturated values.
 * q must not overlap x.
 */
size_t sr_fx_quantise(size_t n, uint64_t *q, const double *x, sr_fx f);

/* The value of the bw-bit pattern q at format f: sext(q) / 2^s. */
double sr_fx_value(uint64_t q, sr_fx f);

/* Fixed-point formats of a FastGRNN (see the top of this file). */
typedef struct sr_fastgrnn_fmt {
    sr_fx x;
    sr_fx W, W1, W2, U, U1, U2, fc_W;
    sr_fx t, u, a, z, c, k, h, logits;
} sr_fastgrnn_fmt;

/*
 * Checks that fmt can run a model with low-rank flags rW, rU (0 = full):
 * every 16-bit format is bw = 16 (logits 17..64), scales in [0, 62], no
 * truncation by a negative amount (s_a <= s_x + s_W, ...), z, c in
 * formats the math twins serve (bw >= s + 1), s_c + s_k >= s_h and
 * s_z <= 30.  SR_OK, or SR_EUSAGE with a one-line reason in err.
 */
SR_NODISCARD int sr_fastgrnn_fmt_check(const sr_fastgrnn_fmt *f, size_t rW,
                                       size_t rU, char *err, size_t errlen);

/*
 * The quantised model (the server's): patterns of the formats above.
 * W (or W1, W2) [D,H] row-major as in sr_fastgrnn_float, U (or U1, U2),
 * b_gate, b_update [H] in f.a, fc_W [H,K], fc_b [K] in f.logits, k1, k2
 * in f.k.  Owned (sr_fastgrnn_fx_init / sr_fastgrnn_fx_clear).
 */
typedef struct sr_fastgrnn_fx {
    size_t D, H, K, T, rW, rU;
    sr_fastgrnn_fmt f;
    uint64_t *W, *W1, *W2, *U, *U1, *U2;
    uint64_t *b_gate, *b_update, *fc_W, *fc_b;
    uint64_t k1, k2;
    /* public tables of the math twins (built once at init) */
    sr_math_plan sig, tnh;
    sr_math_tab *tab_sig, *tab_tnh;
} sr_fastgrnn_fx;

/*
 * Quantises the float model p (normalisation already folded: p->mean and
 * p->std must be NULL) to the formats f (checked by sr_fastgrnn_fmt_check
 * first; a bad fmt is SR_REQUIRE).  Returns SR_OK or SR_ENOMEM; on failure
 * q is cleared.  *saturated (may be NULL) receives the number of weights
 * that saturated.
 */
SR_NODISCARD int sr_fastgrnn_fx_init(sr_fastgrnn_fx *q,
                                     const sr_fastgrnn_float *p,
                                     const sr_fastgrnn_fmt *f,
                                     size_t *saturated);

/* Frees q; idempotent, safe after a failed init. */
void sr_fastgrnn_fx_clear(sr_fastgrnn_fx *q);

/*
 * Values that did not fit their format (the exact integer differed from
 * its reduced pattern) per tensor, summed over all samples and steps.
 * Only tensors whose wrap changes the result are counted: p and q of
 * steps 1-2 and m of step 5 are only summed (mod 2^16), so their wrap is
 * harmless when the sum fits.
 */
typedef struct sr_fastgrnn_fx_stats {
    size_t t;      /* low-rank intermediate x W1 */
    size_t u;      /* low-rank intermediate h U1 */
    size_t a;      /* g and e of step 3 */
    size_t v;      /* v of step 6 */
    size_t h;      /* h of step 7 */
    size_t logits; /* step 8 */
} sr_fastgrnn_fx_stats;

/*
 * logits [B,K] (patterns of f.logits) of the quantised inputs x [B,T,D]
 * (patterns of f.x).  stats may be NULL (else it is overwritten).
 * Samples are independent; the batch is processed as the secure layer
 * would (step 1 for all B T rows at once, then B samples per step).
 * logits must not overlap x.  SR_OK or SR_ENOMEM.
 */
SR_NODISCARD int sr_fastgrnn_fx_logits(const sr_fastgrnn_fx *q, size_t B,
                                       uint64_t *logits, const uint64_t *x,
                                       sr_fastgrnn_fx_stats *stats);

/*
 * pred[b] = argmax_k of the signed bw-bit logits[b*K + k], the first
 * index among equal maxima.
 */
void sr_fastgrnn_fx_argmax(size_t B, size_t K, long *pred,
                           const uint64_t *logits, unsigned bw);

#endif
