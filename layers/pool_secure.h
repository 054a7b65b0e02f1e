/*
 * layers/pool_secure.h -- secure average / max pooling and channel
 * max-out, equal bit for bit to the twins of layers/pool.h
 * (docs/heads.md).  Shares of bw bits (2..63) in and out, HWC layout,
 * square window k, stride, no padding; Ho = (H - k) / stride + 1.
 * y must not overlap x.  Both parties make the identical call.
 */
#ifndef SR_LAYERS_POOL_SECURE_H
#define SR_LAYERS_POOL_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"

/*
 * Average: y = floor(sum_window(x) * m / 2^16), m = round(2^16 / k^2)
 * (sr_avgpool_fx), reduced to bw bits.  x is sign-extended once to
 * bw' = bw + ceil(log2 k^2) + 17 bits (sr_ext_signed), the window sums and
 * the product by the public m are local, one TR by 16 (sr_trunc_reduce
 * over bw'), then a local reduction to bw bits.
 * Traffic: Wrap_bw + B2A_(bw'-bw) on H W C values, then Wrap_16 +
 * B2A_(bw'-16) on Ho Wo C values.  Rounds: those of Ext then TR.
 * Requires bw' <= 64, k^2 <= 2^16.
 */
SR_NODISCARD int sr_avgpool_secure(sr_lane *L, uint64_t *y, const uint64_t *x,
                                   size_t H, size_t W, size_t C, size_t k,
                                   size_t stride, unsigned bw);

/*
 * Max (sr_maxpool_fx): x is sign-extended to bw + 1 bits (so a - b never
 * wraps), then a tournament per output: max(a, b) = b + ReLU(a - b),
 * ceil(log2 k^2) levels, each one batched sr_relu(bw + 1) over every
 * pair of the level (k^2 - 1 ReLUs per output in all), then a local
 * reduction to bw bits.  Exact.  Traffic: Wrap_bw + B2A_1 on H W C
 * values, then sum over levels of MSB_(bw+1) + MUX_(bw+1) on the pairs.
 */
SR_NODISCARD int sr_maxpool_secure(sr_lane *L, uint64_t *y, const uint64_t *x,
                                   size_t H, size_t W, size_t C, size_t k,
                                   size_t stride, unsigned bw);

/*
 * Channel max-out (sr_maxout_fx): y[p][0] = max of the first m channels
 * of pixel p, y[p][1 + j] = x[p][m + j]; n pixels of C channels in,
 * C - m + 1 out.  The m values are extended to bw + 1 bits and reduced
 * by the tournament of sr_maxpool_secure.  1 <= m <= C.
 */
SR_NODISCARD int sr_maxout_secure(sr_lane *L, size_t n, uint64_t *y,
                                  const uint64_t *x, size_t C, size_t m,
                                  unsigned bw);

/*
 * The tournament alone: v holds n groups of g values (shares of bw bits,
 * signed, every pairwise difference representable in bw bits); on return
 * v[i] (i < n) is the max of group i.  v is overwritten.
 */
SR_NODISCARD int sr_max_groups_secure(sr_lane *L, size_t n, uint64_t *v,
                                      size_t g, unsigned bw);

#endif
