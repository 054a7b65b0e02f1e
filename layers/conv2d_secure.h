/*
 * layers/conv2d_secure.h -- the secure 2-d convolution (server-known
 * weights times shared activations) and ReLU6, equal bit for bit to the
 * fixed-point twins of layers/conv2d.h (docs/heads.md, "Secure mapping").
 *
 * Shares are uint64_t reduced mod 2^bw (protocols/share.h); the secret is
 * the bw-bit pattern of the twin's signed integer.  Layouts are the
 * twin's: HWC feature maps, weights [cout][cin/groups][k][k].
 */
#ifndef SR_LAYERS_CONV2D_SECURE_H
#define SR_LAYERS_CONV2D_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"
#include "layers/conv2d.h"

/* The fixed-point widths of one convolution. */
typedef struct sr_conv2d_fmt {
    unsigned bw_x;  /* input share width, 2..64 */
    unsigned bw_w;  /* weight width (signed integers), 2..64 */
    unsigned shift; /* the twin's TR: s_x + s_w - s_y */
    unsigned bw_y;  /* output share width, 2..64 */
} sr_conv2d_fmt;

/* Accumulator width: bw_x + bw_w + ceil(log2(k k cin / groups)). */
unsigned sr_conv2d_acc_bits(const sr_conv2d_shape *c, sr_conv2d_fmt f);

/*
 * Output pixels [p0, p0 + np) (row-major over Ho x Wo) of the convolution
 * of the shared x [H][W][cin] (bw_x bits) with the server's integer
 * weights w and biases b, into y [np][cout] (shares of bw_y bits):
 *
 *   y = fit_bw_y( floor( sum x w / 2^shift ) + b )   (sr_conv2d_fx)
 *
 * w is the weights on the server and NULL on the client (use
 * sr_known_by_server); b likewise (and NULL on both for no bias).
 * Per chunk of pixels and per group: im2col (padding = zero shares, free)
 * then sr_matmul_known (SR_KNOWN_B, X = patches [np][K], W = [K][cout/g],
 * signed, out acc = sr_conv2d_acc_bits bits: exact, the twin's 64-bit
 * sum); then one sr_trunc_reduce by shift over all groups (acc - shift
 * bits), sr_ext_signed to bw_y when acc - shift < bw_y (else a local
 * reduction, the twin's wrap), and the server adds b locally.
 * Traffic per chunk: sum over groups of the matmul_known formula with
 * |X| = chunk * K, fan = cout / groups, then Wrap_shift + B2A_(acc-shift)
 * [+ Wrap_(acc-shift) + B2A_(bw_y-acc+shift)].  Rounds per chunk: groups
 * matmuls one after another, then TR [and Ext]; the chunk is
 * SR_CONV2D_CHUNK_ENTRIES / K pixels (at least 1), which bounds memory,
 * rounded down to a multiple of 8 when at least 8 (every chunk of a call
 * starting at a multiple of 8 then packs its bit messages into whole
 * bytes: calls over 8-aligned pixel ranges send exactly the bytes of one
 * call over their union).
 * Depthwise-like layers (cout / groups == 1, groups > 1) instead run all
 * groups as one sr_mult_known over chunk * groups * K entries (the same
 * traffic as the per-group products, one call: rounds independent of the
 * number of groups); the chunk is then SR_CONV2D_CHUNK_ENTRIES /
 * (groups K) pixels (rounded likewise).
 * Requires acc <= 64 and shift < acc.  y must not overlap x.
 * Both parties make the identical call (w, b by party as above).
 */
#define SR_CONV2D_CHUNK_ENTRIES ((size_t)1 << 18)
SR_NODISCARD int sr_conv2d_secure(sr_lane *L, size_t np, uint64_t *y,
                                  const uint64_t *x, const int64_t *w,
                                  const int64_t *b, const sr_conv2d_shape *c,
                                  size_t H, size_t W, size_t p0,
                                  sr_conv2d_fmt f);

/*
 * ReLU6 (twin sr_relu6_fx): y = min(max(x, 0), six) for signed x of bw
 * bits, six = 6 * 2^s (0 < six < 2^(bw-1)).  y = ReLU(x), then
 * y - ReLU(y - six): 2 sr_relu(bw) = 2 (MSB_bw + MUX_bw), rounds 2 x those
 * of sr_relu.  Exact (no rounding).  y may alias x.
 */
SR_NODISCARD int sr_relu6_secure(sr_lane *L, size_t n, uint64_t *y,
                                 const uint64_t *x, uint64_t six, unsigned bw);

#endif
