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
 * acc = sr_conv2d_acc_bits: every product is exact mod 2^acc and the sum
 * of a pixel's products mod 2^acc is the twin's 64-bit sum.  Two
 * mappings of the products, equal results (bit for bit):
 *
 * SR_CONV2D_IM2COL: per chunk of pixels and per group, im2col (padding =
 * zero shares, free) then sr_matmul_known (SR_KNOWN_B, X = patches
 * [np][K], K = k k cin / groups, W = [K][cout/g], signed, out acc bits);
 * then the tail: one sr_trunc_reduce by shift over all groups (acc -
 * shift bits), sr_ext_signed to bw_y when acc - shift < bw_y (else a
 * local reduction, the twin's wrap), and the server adds b locally.  The
 * chunk is SR_CONV2D_CHUNK_ENTRIES / K pixels (at least 1), rounded down
 * to a multiple of 8 when at least 8.  Depthwise-like layers (cout /
 * groups == 1, groups > 1) run all groups as one sr_mult_known over
 * chunk * groups * K entries (the chunk then SR_CONV2D_CHUNK_ENTRIES /
 * (groups K) pixels, rounded likewise).
 *   Bytes = sum over chunks of cp pixels of
 *     groups * KN(cp K, cout/g)   (depthwise-like: KN(cp groups K, 1))
 *     + TAIL(cp cout)
 *
 * SR_CONV2D_SCATTER: every input pixel of the range's box is multiplied
 * once by all the weights it meets: the box is input rows [iy0, iy1) =
 * [oy_first s - pad, oy_last s - pad + k) clipped to [0, H), columns the
 * whole width, or [ox_first s - pad, ox_last s - pad + k) clipped when
 * the range lies in one output row; per chunk of R input rows (R = max(1,
 * SR_CONV2D_CHUNK_ENTRIES / (width cin k k))), one product of the X =
 * R width cin input entries (all groups) with fan = (cout/g) k k
 * weights each (the input channel's weights of its group, all taps: the
 * sr_matmul_known algebra with a per-entry row), exact mod 2^acc; then
 * each output pixel of the range adds its taps' partial products locally
 * (col2im: taps in the padding add nothing) into y (as room), and the
 * tail runs in place per chunk of SR_CONV2D_CHUNK_ENTRIES / cout pixels
 * (rounded down to a multiple of 8 when at least 8).
 *   Bytes = sum over row chunks of KN(nr width cin, (cout/g) k k)
 *     + sum over tail chunks of cp pixels of TAIL(cp cout)
 *
 * with (protocols/matmul.h, docs/protocols-core.md)
 *   KN(n, fan) = Wrap_bw_x(n) + CT(n, fan, bw_x, acc)
 *                + CT(n, fan, 1, acc - bw_x)   [acc > bw_x]
 *   TAIL(n)    = [shift > 0] (Wrap_shift(n) + B2A_(acc-shift)(n))
 *                + [acc - shift < bw_y] (Wrap_(acc-shift)(n)
 *                                        + B2A_(bw_y-acc+shift)(n)).
 * sr_conv2d_secure_bytes() evaluates these exactly (tested equal to the
 * wire bytes).  The scatter mapping pays the wrap and the random OTs of
 * each input entry once instead of k^2 times, while its correction
 * messages grow with the input pixels (about s^2 per output for stride s)
 * and with the halo of the box.
 *
 * Rule (SR_CONV2D_AUTO, sr_conv2d_secure): scatter iff its byte formula
 * is strictly smaller than im2col's for this call's public shapes and
 * range (both parties compute the same choice).  Calls over adjacent
 * ranges then send, with the scatter mapping, the formula of each range:
 * the halo input rows are computed by both (not the bytes of one call
 * over the union, unlike im2col over 8-aligned ranges, which does).
 * Rounds: im2col per chunk the groups' matmuls one after another, then
 * TR [and Ext]; scatter per row chunk one product (rounds independent of
 * the groups), then per tail chunk TR [and Ext].
 * Memory: im2col |X| fan <= SR_CONV2D_CHUNK_ENTRIES cout/g per chunk;
 * scatter the same bound per row chunk (about 1.5x the words: the
 * product's three n fan arrays) plus y.
 * Requires acc <= 64 and shift < acc.  y must not overlap x.
 * Both parties make the identical call (w, b by party as above).
 */
#define SR_CONV2D_CHUNK_ENTRIES ((size_t)1 << 18)
SR_NODISCARD int sr_conv2d_secure(sr_lane *L, size_t np, uint64_t *y,
                                  const uint64_t *x, const int64_t *w,
                                  const int64_t *b, const sr_conv2d_shape *c,
                                  size_t H, size_t W, size_t p0,
                                  sr_conv2d_fmt f);

/* Mappings of sr_conv2d_secure_map (AUTO: the rule above). */
#define SR_CONV2D_AUTO 0
#define SR_CONV2D_IM2COL 1
#define SR_CONV2D_SCATTER 2

/* sr_conv2d_secure with the mapping forced (or SR_CONV2D_AUTO). */
SR_NODISCARD int sr_conv2d_secure_map(sr_lane *L, size_t np, uint64_t *y,
                                      const uint64_t *x, const int64_t *w,
                                      const int64_t *b,
                                      const sr_conv2d_shape *c, size_t H,
                                      size_t W, size_t p0, sr_conv2d_fmt f,
                                      int map);

/* Exact bytes (both directions, one lane pair) of that call with mapping
 * map (AUTO: the chosen one); 0 for np = 0. */
uint64_t sr_conv2d_secure_bytes(const sr_conv2d_shape *c, size_t H, size_t W,
                                size_t p0, size_t np, sr_conv2d_fmt f,
                                int map);

/* The mapping SR_CONV2D_AUTO picks: SR_CONV2D_SCATTER or _IM2COL. */
int sr_conv2d_secure_mapping(const sr_conv2d_shape *c, size_t H, size_t W,
                             size_t p0, size_t np, sr_conv2d_fmt f);

/*
 * ReLU6 (twin sr_relu6_fx): y = min(max(x, 0), six) for signed x of bw
 * bits, six = 6 * 2^s (0 < six < 2^(bw-1)).  y = ReLU(x), then
 * y - ReLU(y - six): 2 sr_relu(bw) = 2 (MSB_bw + MUX_bw), rounds 2 x those
 * of sr_relu.  Exact (no rounding).  y may alias x.
 */
SR_NODISCARD int sr_relu6_secure(sr_lane *L, size_t n, uint64_t *y,
                                 const uint64_t *x, uint64_t six, unsigned bw);

#endif
