/*
 * layers/heads_float.h -- the RNNPool head-counting model (issue 8): its
 * architecture, the float reference forward pass, and the client's
 * cleartext post-processing (priors, box decoding, NMS, count).
 *
 * Architecture: EdgeML's RPool_Face_QVGA_monochrome (an S3FD-style
 * detector; microsoft/EdgeML examples/pytorch/vision/Face_Detection), the
 * model SIRNN evaluates on SCUT-Head.  Monochrome image [H][W] (the
 * client's input, pixel values mapped to [-1, 1]), feature maps HWC:
 *
 *   conv0   3x3 stride 2 pad 1, 1 -> C0 channels, BN, ReLU6
 *   rnnpool RNNPool, patch P x P, stride PS, hidden h1, h2 -> 4 h2 ch.
 *   pad     replicate one row at the bottom and one column at the right
 *   stages  MobileNetV2 inverted-residual blocks, stage j = (t, c, n, s):
 *           n blocks of expansion t, output c channels, the first with
 *           stride s; a block is [1x1 expand (t != 1), BN, ReLU6]
 *           3x3 depthwise stride s pad 1, BN, ReLU6, 1x1 project, BN,
 *           plus the input when stride 1 and in == out (residual)
 *   sources the output of every stage; all but the last are
 *           L2-normalised over channels (x / (||x|| + 1e-10)) and scaled
 *           per channel by gamma (EdgeML L2Norm; gamma is folded into the
 *           head convolutions at load, see sr_heads_float_fold_l2)
 *   heads   per source: loc = 3x3 pad 1 conv -> 4 box offsets, conf =
 *           3x3 pad 1 conv -> K class scores; source 0's conf has K + 2
 *           channels and its background score is the max of the first 3
 *           (S3FD's max-out background label)
 *   priors  one per source pixel, centre ((x + .5) / Wj, (y + .5) / Hj),
 *           size anchor_j / W by anchor_j / H (image-relative)
 *
 * Defaults (sr_heads_cfg_default): the paper's model, QVGA 320 x 240,
 * C0 = 4, P = 8, PS = 4, h1 = h2 = 16, stages (2,32,4,1) (2,32,4,1)
 * (2,96,3,2) (2,128,3,1), K = 2, anchors 8 16 32 48, variance 0.1 0.2.
 * Outputs (in prior order: source by source, row-major): loc [P][4],
 * conf [P][K] (scores before softmax).
 */
#ifndef SR_LAYERS_HEADS_FLOAT_H
#define SR_LAYERS_HEADS_FLOAT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "layers/conv2d.h"
#include "layers/pool.h"
#include "layers/rnnpool.h"

#define SR_HEADS_MAX_STAGES 6
#define SR_HEADS_MAX_BLOCKS 32

typedef struct sr_heads_stage {
    size_t t, c, n, s; /* expansion, out channels, blocks, first stride */
} sr_heads_stage;

typedef struct sr_heads_cfg {
    size_t height, width;  /* input image */
    size_t conv0;          /* channels of the first convolution */
    size_t patch, pstride; /* RNNPool patch size and stride */
    size_t hid1, hid2;     /* RNNPool hidden sizes */
    size_t nstages;
    sr_heads_stage stage[SR_HEADS_MAX_STAGES];
    size_t classes;                     /* K >= 2 (0 = background) */
    double anchor[SR_HEADS_MAX_STAGES]; /* prior size per source, pixels */
    double variance[2];                 /* SSD box-coding variances */
} sr_heads_cfg;

/* The paper's model at the given image size (320 x 240 is the paper's). */
void sr_heads_cfg_default(sr_heads_cfg *cfg, size_t height, size_t width);

/* Derived shapes of a configuration. */
typedef struct sr_heads_dims {
    size_t h0, w0; /* after conv0 */
    size_t hp, wp; /* RNNPool output (patches per column/row) */
    size_t h1, w1; /* after the replicate pad */
    size_t nblocks;
    size_t src_h[SR_HEADS_MAX_STAGES], src_w[SR_HEADS_MAX_STAGES];
    size_t src_c[SR_HEADS_MAX_STAGES];
    size_t src_off[SR_HEADS_MAX_STAGES]; /* first prior of each source */
    size_t priors;
    size_t maxel; /* largest feature map, elements (buffer size) */
} sr_heads_dims;

/*
 * Checks cfg (every size >= 1, shapes non-empty, at most
 * SR_HEADS_MAX_BLOCKS blocks, strides 1 or 2, ...) and fills d.  SR_OK, or
 * SR_EUSAGE with a one-line reason in err (may be NULL).
 */
SR_NODISCARD int sr_heads_dims_make(sr_heads_dims *d, const sr_heads_cfg *cfg,
                                    char *err, size_t errlen);

/* A convolution with its (folded) float weights, owned. */
typedef struct sr_heads_conv {
    sr_conv2d_shape sh;
    double *w; /* [cout][cin/groups][k][k] */
    double *b; /* [cout] (zero when the layer had no bias) */
    int relu6; /* 1: ReLU6 after the (folded) batch-norm */
} sr_heads_conv;

typedef struct sr_heads_block {
    int has_expand, residual;
    sr_heads_conv expand, dw, project;
} sr_heads_block;

/*
 * The float model.  Every array is owned (allocated zero by
 * sr_heads_float_init, filled by the loader or sr_heads_float_random).
 * RNNPool weights: r1W [C0,h1], r1U [h1,h1], r1bg, r1bu [h1]; r2W
 * [h1,h2], r2U [h2,h2], r2bg, r2bu [h2]; zeta/nu in rnn.rnn1/rnn2.
 */
typedef struct sr_heads_float {
    sr_heads_cfg cfg;
    sr_heads_dims dims;
    sr_heads_conv conv0;
    sr_rnnpool_float rnn; /* points into r1W..r2bu */
    double *r1W, *r1U, *r1bg, *r1bu, *r2W, *r2U, *r2bg, *r2bu;
    sr_heads_block block[SR_HEADS_MAX_BLOCKS];
    sr_heads_conv loc[SR_HEADS_MAX_STAGES], conf[SR_HEADS_MAX_STAGES];
} sr_heads_float;

/* Conf channels of the head of source j (K + 2 for j = 0, else K). */
size_t sr_heads_conf_channels(const sr_heads_cfg *cfg, size_t j);

/*
 * Allocates every weight (zero) for cfg (checked: SR_EUSAGE with err) and
 * sets the shapes.  SR_OK, SR_EUSAGE or SR_ENOMEM (net cleared).
 */
SR_NODISCARD int sr_heads_float_init(sr_heads_float *net,
                                     const sr_heads_cfg *cfg, char *err,
                                     size_t errlen);

/* Frees net; idempotent, safe after a failed init. */
void sr_heads_float_clear(sr_heads_float *net);

/*
 * Deterministic random weights (a documented stand-in for a trained
 * model, issue 8): He-uniform convolutions, BN-like per-channel scales,
 * small biases, RNN weights uniform in +-1/sqrt(fan-in), zeta = 1, nu =
 * -4, from a 64-bit seed (splitmix64).  Same seed, same weights.
 */
void sr_heads_float_random(sr_heads_float *net, uint64_t seed);

/*
 * Folds an L2Norm scale gamma [src_c[j]] of source j into the input
 * channels of its two head convolutions (conv(gamma x) = conv'(x)).
 * j < nstages - 1 (the last source is not normalised).
 */
void sr_heads_float_fold_l2(sr_heads_float *net, size_t j, const double *gamma);

/*
 * Forward pass: loc [priors][4] and conf [priors][K] of the image
 * img [height][width].  SR_OK or SR_ENOMEM.
 */
SR_NODISCARD int sr_heads_float_run(const sr_heads_float *net, double *loc,
                                    double *conf, const double *img);

/* ---- the client's post-processing (cleartext) ---------------------- */

/* priors [priors][4] = (cx, cy, w, h), image-relative. */
void sr_heads_priors(const sr_heads_cfg *cfg, const sr_heads_dims *d,
                     double *priors);

/*
 * SSD decoding: box i = (x1, y1, x2, y2), image-relative, of loc i and
 * prior i:  cx = pcx + l0 v0 pw,  cy = pcy + l1 v0 ph,  w = pw e^(l2 v1),
 * h = ph e^(l3 v1).
 */
void sr_heads_decode(size_t n, double *boxes, const double *loc,
                     const double *priors, const double variance[2]);

/* Intersection over union of two (x1, y1, x2, y2) boxes (0 if empty). */
double sr_heads_iou(const double *a, const double *b);

/*
 * Greedy NMS: among the n boxes with score > thresh, repeatedly keeps the
 * highest score (lowest index on ties) and drops every remaining box with
 * IoU > iou against it.  Writes at most max_keep kept indices to keep (in
 * decreasing score order) and returns how many.  SR_ENOMEM is not possible
 * (O(1) memory, O(n^2) time); keep must hold max_keep entries.
 */
size_t sr_heads_nms(size_t n, size_t *keep, size_t max_keep,
                    const double *boxes, const double *scores, double thresh,
                    double iou);

/*
 * The whole client side: softmax of conf per prior, face/head score =
 * probability of class 1, decode, NMS (score > thresh, IoU > iou), and
 * the count.  boxes [priors][4] and scores [priors] are written (scratch
 * and result); keep [max_keep] gets the kept indices.  Returns the count.
 */
size_t sr_heads_detect(const sr_heads_cfg *cfg, const sr_heads_dims *d,
                       const double *loc, const double *conf, double thresh,
                       double iou, double *priors, double *boxes,
                       double *scores, size_t *keep, size_t max_keep);

#endif
