/*
 * layers/pool.h -- average and max pooling (HWC feature maps, square
 * window k, stride, no padding) and the channel max-out of the detection
 * head: float references and fixed-point twins (docs/heads.md).
 *
 * Fixed point: values are the signed integers of their bit patterns, as
 * in layers/conv2d.h; pooling keeps the format of its input.
 *
 *   average   y = floor(sum_window(x) * m / 2^16), m = round(2^16 / k^2)
 *             Secure: the sum is local, the product by the public m is
 *             local (a public constant times a share), the TR by 16 is
 *             one truncation (SIRNN TR, floor).  With k^2 a power of two,
 *             m = 2^(16 - 2 log2 k) and the result is exactly the floor
 *             of the mean.  The sum is exact in 64 bits; the secure layer
 *             needs bw + 2 log2 k + 16 bits before the TR.
 *   max       y = max over the window, a tournament: max(a, b) =
 *             b + ReLU(a - b), each level one signed comparison (MSB of
 *             a - b, millionaires) and one MUX; k^2 - 1 comparisons per
 *             output in ceil(log2 k^2) levels.  Exact (no rounding).
 */
#ifndef SR_LAYERS_POOL_H
#define SR_LAYERS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

/*
 * y [Ho][Wo][C] with Ho = (H - k) / stride + 1 (k <= H, k <= W, k >= 1,
 * stride >= 1).  y must not overlap x.
 */
void sr_avgpool_float(size_t H, size_t W, size_t C, size_t k, size_t stride,
                      double *y, const double *x);
void sr_maxpool_float(size_t H, size_t W, size_t C, size_t k, size_t stride,
                      double *y, const double *x);
void sr_avgpool_fx(size_t H, size_t W, size_t C, size_t k, size_t stride,
                   int64_t *y, const int64_t *x);
void sr_maxpool_fx(size_t H, size_t W, size_t C, size_t k, size_t stride,
                   int64_t *y, const int64_t *x);

/*
 * Channel max-out over n pixels of C channels: y[p][0] = max of the first
 * m channels of pixel p, y[p][1 + j] = x[p][m + j] (C - m + 1 channels
 * out; the RPool face model takes the background score as the max of 3).
 * 1 <= m <= C.  y may alias x (it is written front to back).
 */
void sr_maxout_float(size_t n, size_t C, size_t m, double *y, const double *x);
void sr_maxout_fx(size_t n, size_t C, size_t m, int64_t *y, const int64_t *x);

#endif
