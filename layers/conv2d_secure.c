/*
 * layers/conv2d_secure.c -- secure convolution and ReLU6 (see
 * conv2d_secure.h).
 */
#include "layers/conv2d_secure.h"

#include "protocols/ext.h"
#include "protocols/matmul.h"
#include "protocols/mill.h"
#include "protocols/mult.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

/* see conv2d_secure.h */
unsigned
sr_conv2d_acc_bits(const sr_conv2d_shape *c, sr_conv2d_fmt f)
{
    const size_t K = (c->cin / c->groups) * c->k * c->k;
    unsigned e = 0;
    while (((size_t)1 << e) < K)
        e++;
    return f.bw_x + f.bw_w + e;
}

/*
 * im2col of one group for pixels [p0, p0 + cp): X[j][i k k + ky k + kx] =
 * x[tap][g cig + i], zero (a zero share on both sides) in the padding.
 * Column order matches the weight layout [cout][cig][k][k].
 */
static void
im2col(const sr_conv2d_shape *c, size_t H, size_t W, size_t Wo, size_t p0,
       size_t cp, size_t g, uint64_t *X, const uint64_t *x)
{
    const size_t k = c->k, cig = c->cin / c->groups, K = cig * k * k;
    for (size_t j = 0; j < cp; j++) {
        const size_t oy = (p0 + j) / Wo, ox = (p0 + j) % Wo;
        uint64_t *row = X + j * K;
        for (size_t ky = 0; ky < k; ky++)
            for (size_t kx = 0; kx < k; kx++) {
                const long iy = (long)(oy * c->stride + ky) - (long)c->pad;
                const long ix = (long)(ox * c->stride + kx) - (long)c->pad;
                const int in =
                    iy >= 0 && ix >= 0 && iy < (long)H && ix < (long)W;
                const uint64_t *xi =
                    in ? x + ((size_t)iy * W + (size_t)ix) * c->cin + g * cig
                       : NULL;
                for (size_t i = 0; i < cig; i++)
                    row[i * k * k + ky * k + kx] = in ? xi[i] : 0;
            }
    }
}

/*
 * The depthwise case (cout / groups == 1): X [cp][G][K] of all groups,
 * the server's weights repeated per pixel (Z as room), one sr_mult_known
 * over cp G K entries, then the local sums over the K taps into A
 * [cp][G].  Same traffic as the per-group matmuls (fan-out 1), one call.
 */
static int
depthwise(sr_lane *L, const sr_conv2d_shape *c, size_t H, size_t W, size_t Wo,
          size_t p0, size_t cp, uint64_t *A, uint64_t *X, uint64_t *Z,
          const uint64_t *x, const uint64_t *Wm, sr_conv2d_fmt f, unsigned acc)
{
    const size_t G = c->groups, K = (c->cin / G) * c->k * c->k;
    /* im2col writes [cp][K] per group: gather group by group into Z, then
     * interleave into X [cp][G][K] */
    for (size_t g = 0; g < G; g++) {
        im2col(c, H, W, Wo, p0, cp, g, Z, x);
        for (size_t j = 0; j < cp; j++)
            for (size_t i = 0; i < K; i++)
                X[(j * G + g) * K + i] = Z[j * K + i];
    }
    if (Wm != NULL) /* Wm [G][K][1] is [G K]: repeat per pixel */
        for (size_t j = 0; j < cp; j++)
            for (size_t i = 0; i < G * K; i++)
                Z[j * G * K + i] = Wm[i];
    const size_t n = cp * G * K;
    int rc = sr_mult_known(
        L, n, X, Wm != NULL ? Z : NULL, X, NULL, f.bw_w, f.bw_x, acc,
        SR_KNOWN_BY_SERVER | SR_MULT_SIGNED_A | SR_MULT_SIGNED_B);
    if (rc != SR_OK)
        return rc;
    for (size_t j = 0; j < cp * G; j++) {
        uint64_t s = 0;
        for (size_t i = 0; i < K; i++)
            s += X[j * K + i];
        A[j] = s & sr_mask(acc);
    }
    return SR_OK;
}

/* see conv2d_secure.h */
int
sr_conv2d_secure(sr_lane *L, size_t np, uint64_t *y, const uint64_t *x,
                 const int64_t *w, const int64_t *b, const sr_conv2d_shape *c,
                 size_t H, size_t W, size_t p0, sr_conv2d_fmt f)
{
    sr_conv2d_check(c);
    const unsigned acc = sr_conv2d_acc_bits(c, f);
    SR_REQUIRE(f.bw_x >= 2 && f.bw_w >= 2 && f.bw_y >= 2 && f.bw_y <= 64);
    SR_REQUIRE(acc <= 64 && f.shift < acc);
    const size_t Ho = sr_conv2d_out(H, c->k, c->stride, c->pad);
    const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
    SR_REQUIRE(p0 + np <= Ho * Wo);
    if (np == 0)
        return SR_OK;
    const size_t G = c->groups, cig = c->cin / G, cog = c->cout / G;
    const size_t K = cig * c->k * c->k;
    const unsigned tb = acc - f.shift; /* width after the TR */
    /* depthwise-like (one output per group, several groups): every group
     * in one Hadamard product, so the rounds do not grow with G */
    const int dw = cog == 1 && G > 1;
    const size_t per = dw ? K * G : K; /* entries of X per pixel */
    size_t chunk = SR_CONV2D_CHUNK_ENTRIES / per;
    if (chunk >= 8) /* whole bytes for every bit-packed message per chunk */
        chunk -= chunk % 8;
    if (chunk == 0)
        chunk = 1;
    if (chunk > np)
        chunk = np;

    /* the server's weights as G matrices [K][cog] of bw_w bits */
    uint64_t *Wm = sr_scratch_u64(L, w != NULL ? G * K * cog : 0);
    uint64_t *X = sr_scratch_u64(L, chunk * per);
    uint64_t *Z = sr_scratch_u64(L, dw ? chunk * per : chunk * cog);
    uint64_t *A = sr_scratch_u64(L, chunk * c->cout);
    int rc = SR_OK;
    if (Wm == NULL || X == NULL || Z == NULL || A == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    if (w != NULL)
        for (size_t o = 0; o < c->cout; o++)
            for (size_t i = 0; i < K; i++)
                Wm[(o / cog) * K * cog + i * cog + o % cog] =
                    (uint64_t)w[o * K + i] & sr_mask(f.bw_w);
    const unsigned flags =
        SR_KNOWN_B | SR_KNOWN_BY_SERVER | SR_MULT_SIGNED_A | SR_MULT_SIGNED_B;

    for (size_t q = 0; q < np && rc == SR_OK; q += chunk) {
        const size_t cp = np - q < chunk ? np - q : chunk;
        if (dw) {
            rc = depthwise(L, c, H, W, Wo, p0 + q, cp, A, X, Z, x,
                           w != NULL ? Wm : NULL, f, acc);
            if (rc != SR_OK)
                break;
        }
        /* exact product sums, group by group, into A [cp][cout] */
        for (size_t g = 0; g < G && !dw && rc == SR_OK; g++) {
            im2col(c, H, W, Wo, p0 + q, cp, g, X, x);
            rc = sr_matmul_known(L, cp, K, cog, Z,
                                 w != NULL ? Wm + g * K * cog : NULL, X, f.bw_w,
                                 f.bw_x, acc, flags);
            for (size_t j = 0; j < cp; j++)
                for (size_t o = 0; o < cog; o++)
                    A[j * c->cout + g * cog + o] = Z[j * cog + o];
        }
        if (rc != SR_OK)
            break;
        /* TR by shift (floor of the signed sum), then fit to bw_y */
        const size_t n = cp * c->cout;
        rc = sr_trunc_reduce(L, n, A, A, acc, f.shift);
        if (rc == SR_OK && tb < f.bw_y)
            rc = sr_ext_signed(L, n, A, A, NULL, tb, f.bw_y, SR_MSB_NONE);
        if (rc != SR_OK)
            break;
        /* the server adds its biases (local) */
        uint64_t *yq = y + q * c->cout;
        for (size_t j = 0; j < cp; j++)
            for (size_t o = 0; o < c->cout; o++) {
                uint64_t v = A[j * c->cout + o];
                if (b != NULL)
                    v += (uint64_t)b[o];
                yq[j * c->cout + o] = v & sr_mask(f.bw_y);
            }
    }
out:
    sr_scratch_release(L, A);
    sr_scratch_release(L, Z);
    sr_scratch_release(L, X);
    sr_scratch_release(L, Wm);
    return rc;
}

/* see conv2d_secure.h */
int
sr_relu6_secure(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                uint64_t six, unsigned bw)
{
    SR_REQUIRE(bw >= 2 && bw <= 64 && six > 0 && six < (1ull << (bw - 1)));
    if (n == 0)
        return SR_OK;
    uint64_t *t = sr_scratch_u64(L, n);
    if (t == NULL)
        return SR_ENOMEM;
    /* y = ReLU(x) >= 0, so y - six does not wrap; min(y, six) = y -
     * ReLU(y - six) */
    int rc = sr_relu(L, n, y, x, bw);
    if (rc == SR_OK) {
        sr_share_add_const(L, n, t, y, (0 - six) & sr_mask(bw), bw);
        rc = sr_relu(L, n, t, t, bw);
    }
    if (rc == SR_OK)
        sr_share_sub(n, y, y, t, bw);
    sr_scratch_release(L, t);
    return rc;
}
