/*
 * layers/conv2d.c -- convolution, batch-norm folding, ReLU6 (see
 * conv2d.h).
 */
#include "layers/conv2d.h"

#include <math.h>

#include "math/fxp.h"

/* see conv2d.h */
size_t
sr_conv2d_out(size_t in, size_t k, size_t stride, size_t pad)
{
    if (in + 2 * pad < k)
        return 0;
    return (in + 2 * pad - k) / stride + 1;
}

/* see conv2d.h */
size_t
sr_conv2d_nweights(const sr_conv2d_shape *c)
{
    return c->cout * (c->cin / c->groups) * c->k * c->k;
}

/* see conv2d.h */
void
sr_conv2d_check(const sr_conv2d_shape *c)
{
    SR_REQUIRE(c != NULL);
    SR_REQUIRE(c->k >= 1 && c->stride >= 1 && c->groups >= 1);
    SR_REQUIRE(c->cin >= 1 && c->cout >= 1);
    SR_REQUIRE(c->cin % c->groups == 0 && c->cout % c->groups == 0);
    SR_REQUIRE(c->pad < c->k);
}

/*
 * The input pixel (iy, ix) read by output (oy, ox) at kernel tap (ky, kx),
 * or -1 when it lies in the zero padding.
 */
static long
tap(const sr_conv2d_shape *c, size_t H, size_t W, size_t oy, size_t ox,
    size_t ky, size_t kx)
{
    long iy = (long)(oy * c->stride + ky) - (long)c->pad;
    long ix = (long)(ox * c->stride + kx) - (long)c->pad;
    if (iy < 0 || ix < 0 || iy >= (long)H || ix >= (long)W)
        return -1;
    return iy * (long)W + ix;
}

/* see conv2d.h */
void
sr_conv2d_float(const sr_conv2d_shape *c, size_t H, size_t W, double *y,
                const double *x, const double *w, const double *b)
{
    sr_conv2d_check(c);
    const size_t Ho = sr_conv2d_out(H, c->k, c->stride, c->pad);
    const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
    const size_t cig = c->cin / c->groups, cog = c->cout / c->groups;
    const size_t k = c->k;

    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++) {
            double *yo = y + (oy * Wo + ox) * c->cout;
            for (size_t o = 0; o < c->cout; o++)
                yo[o] = b != NULL ? b[o] : 0.0;
            for (size_t ky = 0; ky < k; ky++)
                for (size_t kx = 0; kx < k; kx++) {
                    long p = tap(c, H, W, oy, ox, ky, kx);
                    if (p < 0)
                        continue;
                    const double *xi = x + (size_t)p * c->cin;
                    for (size_t o = 0; o < c->cout; o++) {
                        const size_t g = o / cog;
                        const double *wo = w + o * cig * k * k + ky * k + kx;
                        double acc = 0.0;
                        for (size_t i = 0; i < cig; i++)
                            acc += xi[g * cig + i] * wo[i * k * k];
                        yo[o] += acc;
                    }
                }
        }
}

/* see conv2d.h */
void
sr_conv2d_fold_bn(const sr_conv2d_shape *c, double *w, double *b,
                  const double *bn, double eps)
{
    sr_conv2d_check(c);
    const size_t per = (c->cin / c->groups) * c->k * c->k;
    const double *gamma = bn, *beta = bn + c->cout;
    const double *mean = bn + 2 * c->cout, *var = bn + 3 * c->cout;
    for (size_t o = 0; o < c->cout; o++) {
        const double g = gamma[o] / sqrt(var[o] + eps);
        for (size_t i = 0; i < per; i++)
            w[o * per + i] *= g;
        b[o] = (b[o] - mean[o]) * g + beta[o];
    }
}

/* see conv2d.h */
void
sr_relu6_float(size_t n, double *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] < 0.0 ? 0.0 : (y[i] > 6.0 ? 6.0 : y[i]);
}

/* see conv2d.h */
void
sr_relu_float(size_t n, double *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] < 0.0 ? 0.0 : y[i];
}

/* see conv2d.h */
int64_t
sr_fx_fit(int64_t v, unsigned bw, size_t *wraps)
{
    const int64_t r = sr_fxp_sext((uint64_t)v, bw);
    if (wraps != NULL && r != v)
        (*wraps)++;
    return r;
}

/* see conv2d.h */
void
sr_conv2d_fx(const sr_conv2d_shape *c, size_t H, size_t W, int64_t *y,
             const int64_t *x, const int64_t *w, const int64_t *b,
             unsigned shift, unsigned bw, size_t *wraps)
{
    sr_conv2d_check(c);
    SR_REQUIRE(shift <= 62 && bw >= 2 && bw <= 64);
    const size_t Ho = sr_conv2d_out(H, c->k, c->stride, c->pad);
    const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
    const size_t cig = c->cin / c->groups, cog = c->cout / c->groups;
    const size_t k = c->k;

    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++) {
            int64_t *yo = y + (oy * Wo + ox) * c->cout;
            for (size_t o = 0; o < c->cout; o++)
                yo[o] = 0;
            /* the exact product sum (the mixed-bitwidth matmul output) */
            for (size_t ky = 0; ky < k; ky++)
                for (size_t kx = 0; kx < k; kx++) {
                    long p = tap(c, H, W, oy, ox, ky, kx);
                    if (p < 0)
                        continue;
                    const int64_t *xi = x + (size_t)p * c->cin;
                    for (size_t o = 0; o < c->cout; o++) {
                        const size_t g = o / cog;
                        const int64_t *wo = w + o * cig * k * k + ky * k + kx;
                        int64_t acc = 0;
                        for (size_t i = 0; i < cig; i++)
                            acc += xi[g * cig + i] * wo[i * k * k];
                        yo[o] += acc;
                    }
                }
            /* TR by shift, then the server's bias, in bw bits */
            for (size_t o = 0; o < c->cout; o++) {
                int64_t v = sr_fx_floor_shift(yo[o], shift);
                if (b != NULL)
                    v += b[o];
                yo[o] = sr_fx_fit(v, bw, wraps);
            }
        }
}

/* see conv2d.h */
void
sr_relu6_fx(size_t n, int64_t *y, int64_t six)
{
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] < 0 ? 0 : (y[i] > six ? six : y[i]);
}
