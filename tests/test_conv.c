/*
 * tests/test_conv.c -- convolution, batch-norm folding, ReLU6, pooling,
 * max-out and RNNPool: float against direct definitions, fixed point
 * against exact integer definitions (bit for bit) and against float.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layers/conv2d.h"
#include "layers/pool.h"
#include "layers/rnnpool.h"

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(conv, .init = arm_alarm);
TestSuite(pool, .init = arm_alarm);
TestSuite(rnnpool, .init = arm_alarm);

__extension__ typedef __int128 i128; /* exact reference sums */

static uint64_t
rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 17;
}

static double
urand(uint64_t *s, double a)
{
    return a * (2.0 * (double)(rnd(s) & 0xffffff) / 16777216.0 - 1.0);
}

/* Direct definition, written in NCHW terms as PyTorch states it. */
static double
conv_ref(const sr_conv2d_shape *c, size_t H, size_t W, const double *x,
         const double *w, const double *b, size_t oy, size_t ox, size_t o)
{
    const size_t cig = c->cin / c->groups, g = o / (c->cout / c->groups);
    double acc = b ? b[o] : 0.0;
    for (size_t i = 0; i < cig; i++)
        for (size_t ky = 0; ky < c->k; ky++)
            for (size_t kx = 0; kx < c->k; kx++) {
                long iy = (long)(oy * c->stride + ky) - (long)c->pad;
                long ix = (long)(ox * c->stride + kx) - (long)c->pad;
                if (iy < 0 || ix < 0 || iy >= (long)H || ix >= (long)W)
                    continue;
                acc += x[((size_t)iy * W + (size_t)ix) * c->cin + g * cig + i] *
                       w[((o * cig + i) * c->k + ky) * c->k + kx];
            }
    return acc;
}

static const sr_conv2d_shape shapes[] = {
    {3, 5, 1, 1, 0, 1}, {3, 4, 3, 1, 1, 1}, {2, 6, 3, 2, 1, 1},
    {6, 6, 3, 2, 1, 6}, {4, 6, 5, 3, 2, 2}, {8, 8, 3, 1, 1, 8},
    {1, 4, 3, 2, 1, 1},
};

Test(conv, float_matches_direct_definition)
{
    uint64_t s = 1;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const sr_conv2d_shape *c = &shapes[t];
        const size_t H = 7, W = 9;
        const size_t Ho = sr_conv2d_out(H, c->k, c->stride, c->pad);
        const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
        double *x = malloc(sizeof(double) * H * W * c->cin);
        double *w = malloc(sizeof(double) * sr_conv2d_nweights(c));
        double *b = malloc(sizeof(double) * c->cout);
        double *y = malloc(sizeof(double) * Ho * Wo * c->cout);
        for (size_t i = 0; i < H * W * c->cin; i++)
            x[i] = urand(&s, 2.0);
        for (size_t i = 0; i < sr_conv2d_nweights(c); i++)
            w[i] = urand(&s, 1.0);
        for (size_t i = 0; i < c->cout; i++)
            b[i] = urand(&s, 1.0);
        sr_conv2d_float(c, H, W, y, x, w, t % 2 ? NULL : b);
        for (size_t oy = 0; oy < Ho; oy++)
            for (size_t ox = 0; ox < Wo; ox++)
                for (size_t o = 0; o < c->cout; o++) {
                    double r =
                        conv_ref(c, H, W, x, w, t % 2 ? NULL : b, oy, ox, o);
                    cr_assert(fabs(y[(oy * Wo + ox) * c->cout + o] - r) < 1e-12,
                              "shape %zu at (%zu,%zu,%zu)", t, oy, ox, o);
                }
        free(x);
        free(w);
        free(b);
        free(y);
    }
}

Test(conv, output_size)
{
    cr_assert_eq(sr_conv2d_out(240, 3, 2, 1), 120);
    cr_assert_eq(sr_conv2d_out(30, 3, 2, 1), 15);
    cr_assert_eq(sr_conv2d_out(7, 3, 1, 1), 7);
    cr_assert_eq(sr_conv2d_out(2, 5, 1, 1), 0);
}

Test(conv, fixed_point_is_exact_floor_then_wrap)
{
    uint64_t s = 7;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++)
        for (unsigned bw = 8; bw <= 32; bw += 24) {
            const sr_conv2d_shape *c = &shapes[t];
            const size_t H = 6, W = 5;
            const size_t Ho = sr_conv2d_out(H, c->k, c->stride, c->pad);
            const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
            int64_t *x = malloc(sizeof(int64_t) * H * W * c->cin);
            int64_t *w = malloc(sizeof(int64_t) * sr_conv2d_nweights(c));
            int64_t *b = malloc(sizeof(int64_t) * c->cout);
            int64_t *y = malloc(sizeof(int64_t) * Ho * Wo * c->cout);
            for (size_t i = 0; i < H * W * c->cin; i++)
                x[i] = (int64_t)(rnd(&s) % 65536) - 32768;
            for (size_t i = 0; i < sr_conv2d_nweights(c); i++)
                w[i] = (int64_t)(rnd(&s) % 65536) - 32768;
            for (size_t i = 0; i < c->cout; i++)
                b[i] = (int64_t)(rnd(&s) % 256) - 128;
            const unsigned shift = 13;
            size_t wraps = 0, want_wraps = 0;
            sr_conv2d_fx(c, H, W, y, x, w, b, shift, bw, &wraps);
            for (size_t oy = 0; oy < Ho; oy++)
                for (size_t ox = 0; ox < Wo; ox++)
                    for (size_t o = 0; o < c->cout; o++) {
                        /* exact sum, floor division by 2^shift */
                        i128 acc = 0;
                        const size_t cig = c->cin / c->groups,
                                     g = o / (c->cout / c->groups);
                        for (size_t i = 0; i < cig; i++)
                            for (size_t ky = 0; ky < c->k; ky++)
                                for (size_t kx = 0; kx < c->k; kx++) {
                                    long iy = (long)(oy * c->stride + ky) -
                                              (long)c->pad;
                                    long ix = (long)(ox * c->stride + kx) -
                                              (long)c->pad;
                                    if (iy < 0 || ix < 0 || iy >= (long)H ||
                                        ix >= (long)W)
                                        continue;
                                    acc +=
                                        (i128)x[((size_t)iy * W + (size_t)ix) *
                                                    c->cin +
                                                g * cig + i] *
                                        w[((o * cig + i) * c->k + ky) * c->k +
                                          kx];
                                }
                        i128 d = (i128)1 << shift;
                        i128 q = acc / d;
                        if (acc % d != 0 && acc < 0)
                            q -= 1; /* floor */
                        q += b[o];
                        /* wrap to bw bits, signed */
                        i128 m = (i128)1 << bw;
                        i128 r = ((q % m) + m) % m;
                        if (r >= m / 2)
                            r -= m;
                        want_wraps += r != q;
                        cr_assert_eq(y[(oy * Wo + ox) * c->cout + o],
                                     (int64_t)r, "shape %zu bw %u", t, bw);
                    }
            cr_assert_eq(wraps, want_wraps);
            if (bw == 8)
                cr_assert_gt(wraps, 0); /* the grid does exercise wraps */
            free(x);
            free(w);
            free(b);
            free(y);
        }
}

Test(conv, batchnorm_folding)
{
    const sr_conv2d_shape c = {4, 6, 3, 1, 1, 2};
    const size_t H = 5, W = 4, n = H * W * c.cout;
    uint64_t s = 3;
    double x[5 * 4 * 4], w[6 * 2 * 9], w2[6 * 2 * 9], b[6], b2[6], bn[24];
    double y[5 * 4 * 6], y2[5 * 4 * 6];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = urand(&s, 1.0);
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        w[i] = w2[i] = urand(&s, 1.0);
    for (size_t o = 0; o < 6; o++) {
        b[o] = b2[o] = urand(&s, 1.0);
        bn[o] = 0.5 + urand(&s, 0.4) + 0.4;      /* gamma */
        bn[6 + o] = urand(&s, 0.3);              /* beta */
        bn[12 + o] = urand(&s, 0.5);             /* mean */
        bn[18 + o] = 0.2 + fabs(urand(&s, 2.0)); /* var */
    }
    sr_conv2d_float(&c, H, W, y, x, w, b);
    sr_conv2d_fold_bn(&c, w2, b2, bn, 1e-5);
    sr_conv2d_float(&c, H, W, y2, x, w2, b2);
    for (size_t i = 0; i < n; i++) {
        const size_t o = i % 6;
        double r =
            (y[i] - bn[12 + o]) / sqrt(bn[18 + o] + 1e-5) * bn[o] + bn[6 + o];
        cr_assert(fabs(y2[i] - r) < 1e-12, "i %zu", i);
    }
}

Test(conv, relu6_edges)
{
    double f[6] = {-1.0, 0.0, 0.5, 6.0, 6.5, -0.0};
    sr_relu6_float(6, f);
    cr_assert(f[0] == 0.0 && f[1] == 0.0 && f[2] == 0.5 && f[3] == 6.0 &&
              f[4] == 6.0);
    int64_t q[6] = {-1, 0, 1, 6 << 11, (6 << 11) + 1, INT64_MIN};
    sr_relu6_fx(6, q, 6 << 11);
    cr_assert(q[0] == 0 && q[1] == 0 && q[2] == 1 && q[3] == 6 << 11 &&
              q[4] == 6 << 11 && q[5] == 0);
    cr_assert_eq(sr_fx_fit(32768, 16, NULL), -32768);
    size_t wr = 0;
    cr_assert_eq(sr_fx_fit(-32768, 16, &wr), -32768);
    cr_assert_eq(wr, 0);
    cr_assert_eq(sr_fx_fit(65537, 16, &wr), 1);
    cr_assert_eq(wr, 1);
}

Test(pool, average_and_max)
{
    const size_t H = 6, W = 7, C = 3;
    uint64_t s = 5;
    double x[6 * 7 * 3], y[6 * 7 * 3], z[6 * 7 * 3];
    int64_t xi[6 * 7 * 3], yi[6 * 7 * 3], zi[6 * 7 * 3];
    for (size_t i = 0; i < H * W * C; i++) {
        xi[i] = (int64_t)(rnd(&s) % 2001) - 1000;
        x[i] = (double)xi[i];
    }
    for (size_t k = 1; k <= 3; k++)
        for (size_t st = 1; st <= 2; st++) {
            sr_avgpool_float(H, W, C, k, st, y, x);
            sr_maxpool_float(H, W, C, k, st, z, x);
            sr_avgpool_fx(H, W, C, k, st, yi, xi);
            sr_maxpool_fx(H, W, C, k, st, zi, xi);
            const size_t Ho = (H - k) / st + 1, Wo = (W - k) / st + 1;
            const int64_t m = (int64_t)((65536 + k * k / 2) / (k * k));
            for (size_t oy = 0; oy < Ho; oy++)
                for (size_t ox = 0; ox < Wo; ox++)
                    for (size_t c = 0; c < C; c++) {
                        int64_t sum = 0, mx = INT64_MIN;
                        for (size_t a = 0; a < k; a++)
                            for (size_t b = 0; b < k; b++) {
                                int64_t v =
                                    xi[((oy * st + a) * W + ox * st + b) * C +
                                       c];
                                sum += v;
                                mx = v > mx ? v : mx;
                            }
                        const size_t o = (oy * Wo + ox) * C + c;
                        cr_assert(fabs(y[o] - (double)sum / (double)(k * k)) <
                                  1e-9);
                        cr_assert_eq(z[o], (double)mx);
                        cr_assert_eq(zi[o], mx);
                        /* floor(sum m / 2^16), exactly floor of the mean
                         * when k^2 is a power of two */
                        int64_t want =
                            (int64_t)floor((double)(sum * m) / 65536.0);
                        cr_assert_eq(yi[o], want);
                        if (k != 3)
                            cr_assert_eq(
                                yi[o],
                                (int64_t)floor((double)sum / (double)(k * k)));
                    }
        }
}

Test(pool, maxout_in_place)
{
    double x[2 * 5] = {1, 3, 2, 7, 8, -1, -3, -2, 4, 5};
    sr_maxout_float(2, 5, 3, x, x);
    const double want[6] = {3, 7, 8, -1, 4, 5};
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(x[i], want[i]);
    int64_t q[2 * 4] = {5, 9, -2, 4, -7, -8, -9, 1};
    sr_maxout_fx(2, 4, 3, q, q);
    const int64_t wq[4] = {9, 4, -7, 1};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(q[i], wq[i]);
}

/* ---- RNNPool --------------------------------------------------------- */

static double
sg(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/* One sequence through one cell, element by element (reference). */
static void
seq_ref(const sr_rnnpool_cell_float *c, size_t T, const double *xs,
        size_t xstride, double *h)
{
    double a[32];
    for (size_t u = 0; u < c->hid; u++)
        h[u] = 0.0;
    for (size_t t = 0; t < T; t++) {
        for (size_t u = 0; u < c->hid; u++) {
            a[u] = 0.0;
            for (size_t i = 0; i < c->in; i++)
                a[u] += xs[t * xstride + i] * c->W[i * c->hid + u];
            for (size_t i = 0; i < c->hid; i++)
                a[u] += h[i] * c->U[i * c->hid + u];
        }
        for (size_t u = 0; u < c->hid; u++) {
            double z = sg(a[u] + c->b_gate[u]),
                   cc = tanh(a[u] + c->b_update[u]);
            h[u] = z * h[u] + (sg(c->zeta) * (1 - z) + sg(c->nu)) * cc;
        }
    }
}

/* The layer on one patch [R][R][cin] by its definition (rnnpool.h). */
static void
patch_ref(const sr_rnnpool_float *p, const double *x, double *out)
{
    const size_t R = p->rows, cin = p->rnn1.in, h1 = p->rnn1.hid,
                 h2 = p->rnn2.hid;
    double s[16 * 16] = {0}, t[16 * 16] = {0}, rev[16 * 16] = {0};
    for (size_t j = 0; j < R; j++) /* column j over the rows */
        seq_ref(&p->rnn1, R, x + j * cin, R * cin, s + j * h1);
    for (size_t i = 0; i < R; i++) /* row i over the columns */
        seq_ref(&p->rnn1, R, x + i * R * cin, cin, t + i * h1);
    /* out = [B fwd, B bwd, A fwd, A bwd] */
    seq_ref(&p->rnn2, R, t, h1, out);
    for (size_t i = 0; i < R; i++)
        memcpy(rev + i * h1, t + (R - 1 - i) * h1, sizeof(double) * h1);
    seq_ref(&p->rnn2, R, rev, h1, out + h2);
    seq_ref(&p->rnn2, R, s, h1, out + 2 * h2);
    for (size_t j = 0; j < R; j++)
        memcpy(rev + j * h1, s + (R - 1 - j) * h1, sizeof(double) * h1);
    seq_ref(&p->rnn2, R, rev, h1, out + 3 * h2);
}

struct rp {
    double W1[3 * 5], U1[25], bg1[5], bu1[5], W2[5 * 4], U2[16], bg2[4], bu2[4];
    sr_rnnpool_float p;
};

static void
rp_make(struct rp *r, uint64_t seed)
{
    uint64_t s = seed;
    double *all[] = {r->W1, r->U1, r->bg1, r->bu1,
                     r->W2, r->U2, r->bg2, r->bu2};
    const size_t n[] = {15, 25, 5, 5, 20, 16, 4, 4};
    for (size_t k = 0; k < 8; k++)
        for (size_t i = 0; i < n[k]; i++)
            all[k][i] = urand(&s, 0.8);
    r->p.rows = r->p.cols = 4;
    r->p.rnn1 =
        (sr_rnnpool_cell_float){3, 5, r->W1, r->U1, r->bg1, r->bu1, 1.5, -3.0};
    r->p.rnn2 =
        (sr_rnnpool_cell_float){5, 4, r->W2, r->U2, r->bg2, r->bu2, 0.5, -2.0};
}

Test(rnnpool, float_matches_definition)
{
    struct rp r;
    rp_make(&r, 11);
    const size_t n = 5, per = 4 * 4 * 3;
    uint64_t s = 2;
    double *x = malloc(sizeof(double) * n * per), out[5 * 16], ref[16];
    for (size_t i = 0; i < n * per; i++)
        x[i] = urand(&s, 1.5);
    cr_assert_eq(sr_rnnpool_float_patches(&r.p, n, out, x), SR_OK);
    for (size_t k = 0; k < n; k++) {
        patch_ref(&r.p, x + k * per, ref);
        for (size_t i = 0; i < 16; i++)
            cr_assert(fabs(out[k * 16 + i] - ref[i]) < 1e-13, "%zu %zu", k, i);
    }
    free(x);
}

static sr_rnnpool_fmt
rp_fmt(void)
{
    sr_rnnpool_fmt f;
    f.x = sr_fx_make(16, 11);
    f.W1 = f.U1 = f.W2 = f.U2 = sr_fx_make(16, 14);
    f.a = sr_fx_make(16, 11);
    f.z = f.c = f.k = f.h = sr_fx_make(16, 14);
    return f;
}

/* The map in chunks (n = chunk + remainder) equals patch by patch, and
 * the fixed-point twin stays within 2^-7 of the float layer. */
Test(rnnpool, map_chunks_and_fixed_point)
{
    struct rp r;
    rp_make(&r, 5);
    /* 4x4 patches, stride 1: Ho x Wo = 17 x 16 = 272 = 256 + 16 */
    const size_t H = 20, W = 19, C = 3, Ho = 17, Wo = 16, N = Ho * Wo;
    cr_assert_gt(N, SR_RNNPOOL_CHUNK);
    uint64_t s = 9;
    double *x = malloc(sizeof(double) * H * W * C);
    int64_t *xq = malloc(sizeof(int64_t) * H * W * C);
    for (size_t i = 0; i < H * W * C; i++) {
        xq[i] = (int64_t)(rnd(&s) % 6001) - 3000; /* |x| < 1.5 */
        x[i] = ldexp((double)xq[i], -11);
    }
    double *out = malloc(sizeof(double) * N * 16), one[16], patch[48];
    cr_assert_eq(sr_rnnpool_float_map(&r.p, H, W, 1, out, x), SR_OK);
    for (size_t k = 0; k < N; k += 37) {
        const size_t oy = k / Wo, ox = k % Wo;
        for (size_t i = 0; i < 4; i++)
            memcpy(patch + i * 12, x + ((oy + i) * W + ox) * C,
                   sizeof(double) * 12);
        patch_ref(&r.p, patch, one);
        for (size_t i = 0; i < 16; i++)
            cr_assert(fabs(out[k * 16 + i] - one[i]) < 1e-13);
    }
    sr_rnnpool_fmt f = rp_fmt();
    sr_rnnpool_fx q;
    size_t sat = 1, wraps = 0;
    cr_assert_eq(sr_rnnpool_fx_init(&q, &r.p, &f, &sat), SR_OK);
    cr_assert_eq(sat, 0);
    int64_t *oq = malloc(sizeof(int64_t) * N * 16);
    cr_assert_eq(sr_rnnpool_fx_map(&q, H, W, 1, oq, xq, &wraps), SR_OK);
    cr_assert_eq(wraps, 0);
    double err = 0.0;
    for (size_t i = 0; i < N * 16; i++)
        err = fmax(err, fabs(ldexp((double)oq[i], -14) - out[i]));
    cr_assert(err < 1.0 / 128, "max error %g", err);
    /* the twin is deterministic and per patch: patch 100 alone agrees */
    int64_t pq[48], o1[16];
    for (size_t i = 0; i < 4; i++)
        memcpy(pq + i * 12, xq + ((100 / Wo + i) * W + 100 % Wo) * C,
               sizeof(int64_t) * 12);
    cr_assert_eq(sr_rnnpool_fx_patches(&q, 1, o1, pq, NULL), SR_OK);
    cr_assert_arr_eq(o1, oq + 100 * 16, sizeof o1);
    cr_assert_eq(sr_rnnpool_fx_patches(&q, 0, o1, pq, NULL), SR_OK);
    sr_rnnpool_fx_clear(&q);
    sr_rnnpool_fx_clear(&q); /* idempotent */
    free(x);
    free(xq);
    free(out);
    free(oq);
}
