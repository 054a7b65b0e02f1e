/*
 * layers/conv2d.h -- 2-d convolution (any kernel, stride, zero padding,
 * groups / depthwise), batch-norm folding and ReLU6: the float reference
 * and the cleartext fixed-point twin of the secure layer (issue 8, the
 * RNNPool head-counting model; docs/heads.md).
 *
 * Layouts.  Feature maps are HWC (row-major [H][W][C]: the channels of one
 * pixel are contiguous), so that a convolution is the matrix product
 * im2col(x) [Ho*Wo, k*k*Cin/g] x W^T [k*k*Cin/g, Cout/g] per group.
 * Weights keep PyTorch's layout [Cout][Cin/groups][k][k]; biases [Cout].
 * Output channel o belongs to group o / (Cout/groups) and reads the input
 * channels of that group.  Zero padding of `pad` pixels on every side;
 * Ho = (H + 2 pad - k) / stride + 1 (floor), and likewise Wo.
 *
 * Fixed point (sr_conv2d_fx).  Activations are held as the signed integers
 * of their bit patterns (int64_t; the pattern is the value mod 2^bw, what
 * the secure version reconstructs), value = int / 2^s.  The twin computes
 *
 *     y[p, o] = fit_bw( floor( sum_{i in patch} x[i] W[o, i] / 2^shift )
 *                       + b[o] )
 *
 * with an exact 64-bit sum (|x|, |W| < 2^15, <= 2^20 terms: no overflow),
 * shift = s_x + s_W - s_y, the bias quantised straight to s_y, and
 * fit_bw = reduce mod 2^bw and sign-extend (a value that did not fit is
 * counted in *wraps: the secure ring wraps the same way).
 *
 * Secure mapping (the later secure layer must equal this twin bit for
 * bit): the weights are the server's, the activations shared, so each
 * group is one server-known matrix product (protocols/matmul.h,
 * sr_matmul_known with SIRNN's mixed-bitwidth extension: bw_x + bw_W +
 * ceil(log2(k*k*Cin/g)) bits, no wrap), then one TR by `shift` (floor) to
 * bw_y bits, then the server adds the bias (local).  Zero padding is free
 * (public zeros contribute nothing).  ReLU6 is two signed comparisons with
 * multiplexers: y = min(max(y, 0), 6) (SIRNN's ReLU is MSB + MUX;
 * min(v, 6) = v - ReLU(v - 6)); it costs 2 millionaire + 2 MUX per value,
 * 2 x log2 rounds, and creates no rounding.
 */
#ifndef SR_LAYERS_CONV2D_H
#define SR_LAYERS_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

/* The static shape of a convolution (H and W are per call). */
typedef struct sr_conv2d_shape {
    size_t cin, cout; /* channels; both multiples of groups */
    size_t k;         /* square kernel k x k, k >= 1 */
    size_t stride;    /* >= 1 */
    size_t pad;       /* zero padding on every side */
    size_t groups;    /* 1 = dense, cin = cout = groups: depthwise */
} sr_conv2d_shape;

/* The shape of a "same"-padded convolution: pad = (k - 1) / 2. */
static inline sr_conv2d_shape
sr_conv2d_same(size_t cin, size_t cout, size_t k, size_t stride, size_t groups)
{
    const sr_conv2d_shape c = {.cin = cin,
                               .cout = cout,
                               .k = k,
                               .stride = stride,
                               .pad = (k - 1) / 2,
                               .groups = groups};
    return c;
}

/*
 * Output size along one axis, (in + 2 pad - k) / stride + 1, or 0 when the
 * padded input is smaller than the kernel.
 */
size_t sr_conv2d_out(size_t in, size_t k, size_t stride, size_t pad);

/* Number of weights, cout * (cin / groups) * k * k. */
size_t sr_conv2d_nweights(const sr_conv2d_shape *c);

/* SR_REQUIREs the shape invariants above (programmer errors). */
void sr_conv2d_check(const sr_conv2d_shape *c);

/*
 * Float convolution: y [Ho][Wo][cout] = conv(x [H][W][cin], w) + b.
 * b may be NULL (no bias).  y must not overlap x.
 */
void sr_conv2d_float(const sr_conv2d_shape *c, size_t H, size_t W, double *y,
                     const double *x, const double *w, const double *b);

/*
 * Folds an inference batch-norm that follows the convolution into it, in
 * place: with bn = [4][cout] = (gamma, beta, running_mean, running_var)
 * and g = gamma / sqrt(var + eps),  w[o,...] *= g[o] and
 * b[o] = (b[o] - mean[o]) g[o] + beta[o]  (b is cout values, zero when
 * the convolution has no bias).  eps = 1e-5 is PyTorch's default.
 */
void sr_conv2d_fold_bn(const sr_conv2d_shape *c, double *w, double *b,
                       const double *bn, double eps);

/* In place: y = min(max(y, 0), 6) (float); relu = max(y, 0). */
void sr_relu6_float(size_t n, double *y);
void sr_relu_float(size_t n, double *y);

/*
 * Fixed-point twin (see the top of this file): y [Ho][Wo][cout] from
 * x [H][W][cin], integer weights w and biases b (b may be NULL), the
 * truncation `shift` (<= 62) and the output width bw (2..64).  wraps may
 * be NULL; otherwise it is incremented once per output that did not fit
 * bw bits.  y must not overlap x.
 */
void sr_conv2d_fx(const sr_conv2d_shape *c, size_t H, size_t W, int64_t *y,
                  const int64_t *x, const int64_t *w, const int64_t *b,
                  unsigned shift, unsigned bw, size_t *wraps);

/* In place: y = min(max(y, 0), six) with six = 6 * 2^s (ReLU6 twin). */
void sr_relu6_fx(size_t n, int64_t *y, int64_t six);

/* The signed value v reduced to bw bits and sign-extended (+1 to *wraps,
 * which may be NULL, when that changed it). */
int64_t sr_fx_fit(int64_t v, unsigned bw, size_t *wraps);

/* floor(v / 2^k) (arithmetic shift: TR of the signed value). */
static inline int64_t
sr_fx_floor_shift(int64_t v, unsigned k)
{
    return v >> k;
}

#endif
