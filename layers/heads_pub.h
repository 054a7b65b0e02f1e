/*
 * layers/heads_pub.h -- the public model of the head-counting network
 * (layers/heads.h) rebuilt from public data only: what the client of
 * `sirnn server`/`sirnn client` holds (jobs/card.h carries it).
 *
 * The public data: the configuration (sr_heads_cfg), the formats
 * (sr_heads_fmt) and the weight scale of every convolution (its fw: the
 * secure protocol makes the shift s_in + s_w - s_out public anyway).
 * sr_heads_pub_make builds from them exactly what sr_heads_public_of
 * (layers/heads_secure.h) gives of the server's quantised model: cfg,
 * dims, formats, every convolution's shape, fin/fw/fout, shift and ReLU6
 * flag, has_expand/residual, the RNNPool part (rows, cols, formats, cell
 * sizes, the sigmoid/tanh plans) and the rsqrt plan, with every weight,
 * bias, k1/k2 and table pointer NULL/0.  It owns nothing.
 */
#ifndef SR_LAYERS_HEADS_PUB_H
#define SR_LAYERS_HEADS_PUB_H

#include <stddef.h>

#include "engine/common.h"
#include "layers/heads.h"

/* The weight scale (fw.s; fw.bw is always 16) of every convolution. */
typedef struct sr_heads_wscale {
    unsigned conv0;
    unsigned expand[SR_HEADS_MAX_BLOCKS]; /* 0 for blocks without one */
    unsigned dw[SR_HEADS_MAX_BLOCKS], project[SR_HEADS_MAX_BLOCKS];
    unsigned loc[SR_HEADS_MAX_STAGES], conf[SR_HEADS_MAX_STAGES];
} sr_heads_wscale;

/* Everything public about a quantised model. */
typedef struct sr_heads_desc {
    sr_heads_cfg cfg;
    sr_heads_fmt f;
    sr_heads_wscale ws;
} sr_heads_desc;

/* The public description of the server's quantised model q. */
void sr_heads_desc_of(sr_heads_desc *d, const sr_heads_fx *q);

/*
 * pub = the public model of d (see above).  Checks what the fixed-point
 * and secure layers would otherwise SR_REQUIRE (cfg through
 * sr_heads_dims_make; 16-bit in/act/l2/out and RNN formats with scales
 * <= 15, rnn.x = act, no left shifts, bw_ss, bw_r <= 62, weight scales
 * <= 15 with s_in + s_w >= s_out), so an untrusted card cannot abort the
 * client: SR_OK, or SR_EUSAGE with a one-line reason in err (may be
 * NULL).  pub is zeroed first.  Whether the math plans can serve the
 * formats (sigmoid/tanh a -> z/c, rsqrt ss -> r) is the caller's check
 * (jobs/heads_fmt.h, sr_heads_fmt_check): sr_math_plan_make requires it.
 */
SR_NODISCARD int sr_heads_pub_make(sr_heads_fx *pub, const sr_heads_desc *d,
                                   char *err, size_t errlen);

/* Convolutions of a configuration: blocks (sum of n) and blocks with an
 * expansion (t != 1).  cfg need not be checked (stops at the maxima). */
size_t sr_heads_nblocks(const sr_heads_cfg *cfg);
size_t sr_heads_nexpand(const sr_heads_cfg *cfg);

#endif
