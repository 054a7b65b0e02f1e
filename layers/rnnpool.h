/*
 * layers/rnnpool.h -- the RNNPool layer (Saha et al., NeurIPS 2020; the
 * layer of EdgeML's RPool face/head detector, SIRNN Sec. VII "Heads"):
 * float reference and fixed-point twin.
 *
 * One patch p [rows][cols][cin] (HWC) gives 4 h2 features:
 *
 *   for each column j:  s_j = RNN1 over rows i = 0..rows-1 of p[i][j]
 *   A = [ BiRNN2 forward over s_0..s_{cols-1},
 *         BiRNN2 backward (the same cell over s_{cols-1}..s_0) ]   2 h2
 *   for each row i:     t_i = RNN1 over columns j = 0..cols-1 of p[i][j]
 *   B = [ forward over t_0..t_{rows-1}, backward over t_{rows-1}..t_0 ]
 *   out = [B, A]                                                     4 h2
 *
 * exactly EdgeML's RNNPool.forward (its "outputs_rows" is B, its
 * "outputs_cols" A, and it returns cat(B, A)); each RNN returns its last
 * state.  RNN1 and RNN2 are FastGRNN cells (EdgeML's, row-vector form, as
 * layers/fastgrnn_float.h; full-rank W and U):
 *
 *   z = sigmoid(x W + h U + b_gate),  c = tanh(x W + h U + b_update)
 *   h = z h + (sigmoid(zeta) (1 - z) + sigmoid(nu)) c,    h_0 = 0
 *
 * The map version slides the patch over an HWC map with a stride, giving
 * Ho = (H - rows) / stride + 1 by Wo outputs (nn.Unfold + fold), processed
 * in chunks of SR_RNNPOOL_CHUNK patches so that memory stays bounded.
 *
 * Fixed point (sr_rnnpool_fx_*): every value is the signed integer of its
 * bit pattern (layers/conv2d.h).  A cell step is the FastGRNN step of
 * layers/fastgrnn.h (steps 1-7, the same blocks and roundings):
 *   1. p = TR(x W, s_x + s_W - s_a) -> 16          known matmul, TR
 *   2. q = TR(h U, s_h + s_U - s_a) -> 16          known matmul, TR
 *   3. g = p + q + b_gate, e = p + q + b_update    local (server biases)
 *   4. z = sigmoid(g) (fz), c = tanh(e) (fc)       math twins, one batch
 *   5. m2 = TR(k2 c, s_k + s_c - s_h), m1 = TR(k1 c, ...), k2 =
 *      Q(sigmoid(zeta)), k1 = Q(sigmoid(zeta) + sigmoid(nu))  known mult
 *   6. v = h - m2                                  local
 *   7. h = TR(z v, s_z) + m1                       SMultTR
 * Cell 1 reads the input format fx, cell 2 reads fh (cell 1's states).
 * The batching is the secure layer's: all 2 (rows + cols) sequences of
 * every patch of a chunk run RNN1 as one batch per time step (rows = cols
 * is required), then all 4 sequences of BiRNN2 (A/B x forward/backward)
 * as one batch per step.  Math instances per patch: RNN1 2 rows h1 per
 * step x rows steps of each of sigmoid and tanh; RNN2 4 h2 per step x
 * rows steps (docs/heads.md compares with the paper's counts).
 */
#ifndef SR_LAYERS_RNNPOOL_H
#define SR_LAYERS_RNNPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "math/fxp.h"
#include "math/plan.h"

#define SR_RNNPOOL_CHUNK 256 /* patches per chunk in the map versions */

/* One FastGRNN cell, float, borrowed pointers (row-major). */
typedef struct sr_rnnpool_cell_float {
    size_t in, hid;
    const double *W;        /* [in, hid] */
    const double *U;        /* [hid, hid] */
    const double *b_gate;   /* [hid] */
    const double *b_update; /* [hid] */
    double zeta, nu;        /* raw, before the sigmoid */
} sr_rnnpool_cell_float;

/* The layer: patch rows x cols (equal), cin = rnn1.in, rnn2.in = rnn1.hid. */
typedef struct sr_rnnpool_float {
    size_t rows, cols;
    sr_rnnpool_cell_float rnn1, rnn2;
} sr_rnnpool_float;

/* Output features per patch: 4 * rnn2.hid. */
size_t sr_rnnpool_features(const sr_rnnpool_float *p);

/*
 * out [n][4 h2] of the patches x [n][rows][cols][cin].  SR_OK or
 * SR_ENOMEM.  out must not overlap x.
 */
SR_NODISCARD int sr_rnnpool_float_patches(const sr_rnnpool_float *p, size_t n,
                                          double *out, const double *x);

/*
 * The sliding version over the HWC map x [H][W][cin]: out [Ho][Wo][4 h2],
 * Ho = (H - rows) / stride + 1, Wo = (W - cols) / stride + 1 (H >= rows,
 * W >= cols).  SR_OK or SR_ENOMEM.
 */
SR_NODISCARD int sr_rnnpool_float_map(const sr_rnnpool_float *p, size_t H,
                                      size_t W, size_t stride, double *out,
                                      const double *x);

/* Formats of the fixed-point layer (all 16-bit except where noted). */
typedef struct sr_rnnpool_fmt {
    sr_fx x;              /* input (the map) */
    sr_fx W1, U1, W2, U2; /* weights */
    sr_fx a;              /* pre-activations (both cells) */
    sr_fx z, c;           /* sigmoid and tanh outputs */
    sr_fx k;              /* sigma(zeta), sigma(zeta) + sigma(nu) */
    sr_fx h;              /* states (both cells) and the output */
} sr_rnnpool_fmt;

/* One quantised cell (owned by sr_rnnpool_fx). */
typedef struct sr_rnnpool_cell_fx {
    size_t in, hid;
    int64_t *W, *U, *b_gate, *b_update; /* W in fW, U in fU, biases in a */
    int64_t k1, k2;
} sr_rnnpool_cell_fx;

typedef struct sr_rnnpool_fx {
    size_t rows, cols;
    sr_rnnpool_fmt f;
    sr_rnnpool_cell_fx rnn1, rnn2;
    sr_math_plan sig, tnh;
    sr_math_tab *tab_sig, *tab_tnh;
} sr_rnnpool_fx;

/*
 * Quantises p to the formats f (round to nearest, saturate; *saturated,
 * which may be NULL, receives the number of saturated weights).  Requires
 * rows == cols, 16-bit formats with s_a <= s_x + s_W1, s_a <= s_h + s_U,
 * s_a <= s_h + s_W2, s_h <= s_k + s_c, bw_z >= s_z + 1, bw_c >= s_c + 1
 * (SR_REQUIRE).  SR_OK or SR_ENOMEM (q is then cleared).
 */
SR_NODISCARD int sr_rnnpool_fx_init(sr_rnnpool_fx *q, const sr_rnnpool_float *p,
                                    const sr_rnnpool_fmt *f, size_t *saturated);

/* Frees q; idempotent, safe after a failed init. */
void sr_rnnpool_fx_clear(sr_rnnpool_fx *q);

/*
 * The twins of the float functions: x in f.x, out in f.h.  wraps (may be
 * NULL) is incremented once per 16-bit value that did not fit (g, e, v, h).
 * SR_OK or SR_ENOMEM.
 */
SR_NODISCARD int sr_rnnpool_fx_patches(const sr_rnnpool_fx *q, size_t n,
                                       int64_t *out, const int64_t *x,
                                       size_t *wraps);
SR_NODISCARD int sr_rnnpool_fx_map(const sr_rnnpool_fx *q, size_t H, size_t W,
                                   size_t stride, int64_t *out,
                                   const int64_t *x, size_t *wraps);

#endif
