/*
 * layers/pool.c -- pooling and channel max-out (see pool.h).
 */
#include "layers/pool.h"

#include <math.h>

static void
pool_check(size_t H, size_t W, size_t C, size_t k, size_t stride)
{
    SR_REQUIRE(k >= 1 && stride >= 1 && C >= 1);
    SR_REQUIRE(k <= H && k <= W);
}

/* see pool.h */
void
sr_avgpool_float(size_t H, size_t W, size_t C, size_t k, size_t stride,
                 double *y, const double *x)
{
    pool_check(H, W, C, k, stride);
    const size_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++)
            for (size_t c = 0; c < C; c++) {
                double s = 0.0;
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++)
                        s += x[((oy * stride + ky) * W + ox * stride + kx) * C +
                               c];
                y[(oy * Wo + ox) * C + c] = s / (double)(k * k);
            }
}

/* see pool.h */
void
sr_maxpool_float(size_t H, size_t W, size_t C, size_t k, size_t stride,
                 double *y, const double *x)
{
    pool_check(H, W, C, k, stride);
    const size_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++)
            for (size_t c = 0; c < C; c++) {
                double m = -INFINITY;
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++) {
                        double v =
                            x[((oy * stride + ky) * W + ox * stride + kx) * C +
                              c];
                        m = v > m ? v : m;
                    }
                y[(oy * Wo + ox) * C + c] = m;
            }
}

/* see pool.h */
void
sr_avgpool_fx(size_t H, size_t W, size_t C, size_t k, size_t stride, int64_t *y,
              const int64_t *x)
{
    pool_check(H, W, C, k, stride);
    SR_REQUIRE(k * k <= 65536);
    const size_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    /* m = round(2^16 / k^2), the public multiplier */
    const int64_t m = (int64_t)((65536 + k * k / 2) / (k * k));
    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++)
            for (size_t c = 0; c < C; c++) {
                int64_t s = 0;
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++)
                        s += x[((oy * stride + ky) * W + ox * stride + kx) * C +
                               c];
                y[(oy * Wo + ox) * C + c] = (s * m) >> 16;
            }
}

/* see pool.h */
void
sr_maxpool_fx(size_t H, size_t W, size_t C, size_t k, size_t stride, int64_t *y,
              const int64_t *x)
{
    pool_check(H, W, C, k, stride);
    const size_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++)
            for (size_t c = 0; c < C; c++) {
                int64_t m = INT64_MIN;
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++) {
                        int64_t v =
                            x[((oy * stride + ky) * W + ox * stride + kx) * C +
                              c];
                        m = v > m ? v : m;
                    }
                y[(oy * Wo + ox) * C + c] = m;
            }
}

/* see pool.h */
void
sr_maxout_float(size_t n, size_t C, size_t m, double *y, const double *x)
{
    SR_REQUIRE(m >= 1 && m <= C);
    const size_t Co = C - m + 1;
    for (size_t p = 0; p < n; p++) {
        double mx = x[p * C];
        for (size_t j = 1; j < m; j++)
            mx = x[p * C + j] > mx ? x[p * C + j] : mx;
        /* read the rest before writing (y may alias x; Co <= C) */
        y[p * Co] = mx;
        for (size_t j = 0; j + 1 < Co; j++)
            y[p * Co + 1 + j] = x[p * C + m + j];
    }
}

/* see pool.h */
void
sr_maxout_fx(size_t n, size_t C, size_t m, int64_t *y, const int64_t *x)
{
    SR_REQUIRE(m >= 1 && m <= C);
    const size_t Co = C - m + 1;
    for (size_t p = 0; p < n; p++) {
        int64_t mx = x[p * C];
        for (size_t j = 1; j < m; j++)
            mx = x[p * C + j] > mx ? x[p * C + j] : mx;
        y[p * Co] = mx;
        for (size_t j = 0; j + 1 < Co; j++)
            y[p * Co + 1 + j] = x[p * C + m + j];
    }
}
