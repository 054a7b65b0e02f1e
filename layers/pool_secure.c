/*
 * layers/pool_secure.c -- secure pooling and max-out (see pool_secure.h).
 */
#include "layers/pool_secure.h"

#include <string.h>

#include "protocols/ext.h"
#include "protocols/mill.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

static void
pool_check(size_t H, size_t W, size_t C, size_t k, size_t stride, unsigned bw)
{
    SR_REQUIRE(k >= 1 && stride >= 1 && C >= 1);
    SR_REQUIRE(k <= H && k <= W);
    SR_REQUIRE(bw >= 2 && bw <= 63);
}

static unsigned
ceil_log2(size_t v)
{
    unsigned e = 0;
    while (((size_t)1 << e) < v)
        e++;
    return e;
}

/* see pool_secure.h */
int
sr_max_groups_secure(sr_lane *L, size_t n, uint64_t *v, size_t g, unsigned bw)
{
    SR_REQUIRE(g >= 1 && bw >= 2 && bw <= 64);
    if (n == 0 || g == 1)
        return SR_OK;
    uint64_t *d = sr_scratch_u64(L, n * (g / 2));
    uint64_t *nv = sr_scratch_u64(L, n * ((g + 1) / 2));
    int rc = SR_OK;
    if (d == NULL || nv == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    /* one level: pair j with j + h; max(a, b) = b + ReLU(a - b) */
    while (g > 1 && rc == SR_OK) {
        const size_t h = g / 2, g2 = g - h;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < h; j++)
                d[i * h + j] = (v[i * g + j] - v[i * g + h + j]) & sr_mask(bw);
        rc = sr_relu(L, n * h, d, d, bw);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < h; j++)
                nv[i * g2 + j] =
                    (v[i * g + h + j] + d[i * h + j]) & sr_mask(bw);
            if (g2 > h) /* odd: the last value passes to the next level */
                nv[i * g2 + h] = v[i * g + 2 * h];
        }
        memcpy(v, nv, n * g2 * sizeof *v);
        g = g2;
    }
out:
    sr_scratch_release(L, nv);
    sr_scratch_release(L, d);
    return rc;
}

/* see pool_secure.h */
int
sr_avgpool_secure(sr_lane *L, uint64_t *y, const uint64_t *x, size_t H,
                  size_t W, size_t C, size_t k, size_t stride, unsigned bw)
{
    pool_check(H, W, C, k, stride, bw);
    SR_REQUIRE(k * k <= 65536);
    const unsigned bwe = bw + ceil_log2(k * k) + 17;
    SR_REQUIRE(bwe <= 64);
    const size_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    const uint64_t m = (65536 + k * k / 2) / (k * k);
    uint64_t *E = sr_scratch_u64(L, H * W * C);
    uint64_t *S = sr_scratch_u64(L, Ho * Wo * C);
    int rc = SR_OK;
    if (E == NULL || S == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    rc = sr_ext_signed(L, H * W * C, E, x, NULL, bw, bwe, SR_MSB_NONE);
    if (rc != SR_OK)
        goto out;
    /* local: window sums times the public m, in bwe bits */
    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++)
            for (size_t c = 0; c < C; c++) {
                uint64_t s = 0;
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++)
                        s += E[((oy * stride + ky) * W + ox * stride + kx) * C +
                               c];
                S[(oy * Wo + ox) * C + c] = (s * m) & sr_mask(bwe);
            }
    rc = sr_trunc_reduce(L, Ho * Wo * C, S, S, bwe, 16);
    if (rc == SR_OK)
        for (size_t i = 0; i < Ho * Wo * C; i++)
            y[i] = S[i] & sr_mask(bw);
out:
    sr_scratch_release(L, S);
    sr_scratch_release(L, E);
    return rc;
}

/* see pool_secure.h */
int
sr_maxpool_secure(sr_lane *L, uint64_t *y, const uint64_t *x, size_t H,
                  size_t W, size_t C, size_t k, size_t stride, unsigned bw)
{
    pool_check(H, W, C, k, stride, bw);
    const size_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    const size_t no = Ho * Wo * C, kk = k * k;
    uint64_t *E = sr_scratch_u64(L, H * W * C);
    uint64_t *V = sr_scratch_u64(L, no * kk);
    int rc = SR_OK;
    if (E == NULL || V == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    rc = sr_ext_signed(L, H * W * C, E, x, NULL, bw, bw + 1, SR_MSB_NONE);
    if (rc != SR_OK)
        goto out;
    for (size_t oy = 0; oy < Ho; oy++)
        for (size_t ox = 0; ox < Wo; ox++)
            for (size_t c = 0; c < C; c++) {
                uint64_t *vo = V + ((oy * Wo + ox) * C + c) * kk;
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++)
                        vo[ky * k + kx] =
                            E[((oy * stride + ky) * W + ox * stride + kx) * C +
                              c];
            }
    rc = sr_max_groups_secure(L, no, V, kk, bw + 1);
    if (rc == SR_OK)
        for (size_t i = 0; i < no; i++)
            y[i] = V[i] & sr_mask(bw);
out:
    sr_scratch_release(L, V);
    sr_scratch_release(L, E);
    return rc;
}

/* see pool_secure.h */
int
sr_maxout_secure(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, size_t C,
                 size_t m, unsigned bw)
{
    SR_REQUIRE(m >= 1 && m <= C && bw >= 2 && bw <= 63);
    const size_t Co = C - m + 1;
    uint64_t *V = sr_scratch_u64(L, n * m);
    int rc = SR_OK;
    if (V == NULL)
        return SR_ENOMEM;
    for (size_t p = 0; p < n; p++)
        for (size_t j = 0; j < m; j++)
            V[p * m + j] = x[p * C + j];
    rc = sr_ext_signed(L, n * m, V, V, NULL, bw, bw + 1, SR_MSB_NONE);
    if (rc == SR_OK)
        rc = sr_max_groups_secure(L, n, V, m, bw + 1);
    if (rc == SR_OK)
        for (size_t p = 0; p < n; p++) {
            y[p * Co] = V[p] & sr_mask(bw);
            for (size_t j = 0; j + 1 < Co; j++)
                y[p * Co + 1 + j] = x[p * C + m + j];
        }
    sr_scratch_release(L, V);
    return rc;
}
