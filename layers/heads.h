/*
 * layers/heads.h -- the head-counting model in fixed point: the cleartext
 * twin of the secure model (issue 8, part 1).  Architecture, float
 * reference and the client's post-processing: layers/heads_float.h.
 *
 * Values are the signed integers of their bit patterns (layers/conv2d.h),
 * value = int / 2^s; each tensor has a format of sr_heads_fmt.  The
 * layers run exactly as the secure model will (server-known weights x
 * shared activations; every rounding a floor TR):
 *
 *   client   img = Q(image, in)                 round to nearest, saturate
 *   conv0    sr_conv2d_fx (in -> act), ReLU6    known matmul, TR, 2 cmp
 *   rnnpool  sr_rnnpool_fx_map (act -> rnn.h)   layers/rnnpool.h
 *   pad      replicate (copies of shares)       free
 *   block    expand (fmt of x -> act), ReLU6;  dw (act -> act), ReLU6;
 *            project (act -> act); residual: y += TR(x, s_x - s_act)
 *            (TR only when x is in another format, else local)
 *   L2Norm   ss = TR(sum_c x_c^2, 2 s_act - s_ss) -> bw_ss   square
 *                                               (SMult), local sum, TR
 *            r = rsqrt(ss) in fmt r               math twin (rsqrt)
 *            y_c = TR(x_c r, s_act + s_r - s_l2) -> 16    SMultTR
 *            (gamma is folded into the head weights)
 *   heads    loc, conf = sr_conv2d_fx (l2 or act -> out); conf of source
 *            0: max of the first 3 channels (2 comparisons + MUX)
 *   reveal   loc, conf to the client (sr_heads_fx_value to float), which
 *            runs sr_heads_detect in the clear
 *
 * Weights: each convolution gets its own 16-bit format, the largest scale
 * s <= 15 at which max |w| fits (deterministic, from the weights alone),
 * so shift = s_in + s_w - s_out; biases are quantised to s_out.
 */
#ifndef SR_LAYERS_HEADS_H
#define SR_LAYERS_HEADS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "layers/conv2d.h"
#include "layers/heads_float.h"
#include "layers/rnnpool.h"
#include "math/fxp.h"
#include "math/plan.h"

/* Formats of the fixed-point model. */
typedef struct sr_heads_fmt {
    sr_fx in;           /* the image */
    sr_fx act;          /* conv / block activations */
    sr_rnnpool_fmt rnn; /* RNNPool (rnn.x = act; its output is rnn.h) */
    sr_fx ss;           /* sum of squares of a source pixel */
    sr_fx r;            /* rsqrt output */
    sr_fx l2;           /* normalised sources */
    sr_fx out;          /* loc and conf */
} sr_heads_fmt;

/*
 * The default formats: in (16,14), act (16,11), RNNPool a (16,11),
 * z c k h (16,14), W1 U1 W2 U2 (16,14), ss (32,16), r (24,16), l2 (16,14),
 * out (16,10).
 */
void sr_heads_fmt_default(sr_heads_fmt *f);

/* A quantised convolution. */
typedef struct sr_heads_qconv {
    sr_conv2d_shape sh;
    int64_t *w, *b;
    sr_fx fin, fw, fout;
    unsigned shift; /* fin.s + fw.s - fout.s */
    int relu6;
} sr_heads_qconv;

typedef struct sr_heads_fx {
    sr_heads_cfg cfg;
    sr_heads_dims dims;
    sr_heads_fmt f;
    sr_heads_qconv conv0;
    sr_rnnpool_fx rnn;
    int has_expand[SR_HEADS_MAX_BLOCKS], residual[SR_HEADS_MAX_BLOCKS];
    sr_heads_qconv expand[SR_HEADS_MAX_BLOCKS], dw[SR_HEADS_MAX_BLOCKS],
        project[SR_HEADS_MAX_BLOCKS];
    sr_heads_qconv loc[SR_HEADS_MAX_STAGES], conf[SR_HEADS_MAX_STAGES];
    sr_math_plan rsq;
    sr_math_tab *tab_rsq;
} sr_heads_fx;

/*
 * Quantises the float model net to the formats f (SR_REQUIRE: 16-bit
 * in/act/l2/out, rnn.x == act, 2 s_act >= s_ss, s_act + s_r >= s_l2,
 * bw_ss <= 62).  *saturated (may be NULL) gets the number of weights and
 * biases that saturated.  SR_OK or SR_ENOMEM (q cleared).
 */
SR_NODISCARD int sr_heads_fx_init(sr_heads_fx *q, const sr_heads_float *net,
                                  const sr_heads_fmt *f, size_t *saturated);

/* Frees q; idempotent, safe after a failed init. */
void sr_heads_fx_clear(sr_heads_fx *q);

/* Values that did not fit their width, per part of the model. */
typedef struct sr_heads_fx_stats {
    size_t conv;    /* every convolution output and residual sum */
    size_t rnnpool; /* g, e, v, h of the cells */
    size_t l2;      /* ss and the normalised values */
} sr_heads_fx_stats;

/*
 * loc [priors][4] and conf [priors][K] (format out) of the quantised image
 * img [height][width] (format in).  stats may be NULL.  SR_OK or
 * SR_ENOMEM.
 */
SR_NODISCARD int sr_heads_fx_run(const sr_heads_fx *q, int64_t *loc,
                                 int64_t *conf, const int64_t *img,
                                 sr_heads_fx_stats *stats);

/* The client's float view of revealed values: y[i] = x[i] / 2^f.s. */
void sr_heads_fx_value(size_t n, double *y, const int64_t *x, sr_fx f);

/* Quantises the image (round to nearest, saturate) to f: img[i]. */
void sr_heads_fx_quantise(size_t n, int64_t *q, const double *x, sr_fx f);

/*
 * Math-function instances of one image, per layer: the counts the secure
 * model pays for (compare SIRNN Sec. VII, docs/heads.md).  Sigmoid and
 * tanh: one each per hidden unit per step of every sequence; rsqrt: one
 * per pixel of each normalised source.
 */
typedef struct sr_heads_counts {
    size_t patches;       /* RNNPool patches */
    size_t rnn1_steps;    /* RNN1 time steps (patch) */
    size_t rnn1_per_step; /* sigmoid (= tanh) instances per step */
    size_t rnn2_steps;
    size_t rnn2_per_step;
    size_t sigmoid, tanh; /* totals */
    size_t rsqrt_per_source[SR_HEADS_MAX_STAGES];
    size_t rsqrt;
    size_t relu6; /* ReLU6 activations (comparison pairs) */
    size_t macs;  /* multiply-accumulates of the convolutions
                   * and the RNN matrix products */
} sr_heads_counts;

void sr_heads_count(sr_heads_counts *c, const sr_heads_cfg *cfg,
                    const sr_heads_dims *d);

#endif
