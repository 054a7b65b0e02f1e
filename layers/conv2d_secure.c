/*
 * layers/conv2d_secure.c -- secure convolution and ReLU6 (see
 * conv2d_secure.h).
 */
#include "layers/conv2d_secure.h"

#include <string.h>

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

/*
 * Exact traffic of the blocks (docs/protocols-core.md, "Traffic
 * notation"; protocols/mult.h CrossTerm; protocols/matmul.h), in bytes,
 * both directions.  P(k, v, l): the OT layer's packed sender messages.
 */
static uint64_t
ot_p(uint64_t k, uint64_t v, uint64_t l)
{
    return k / 4096 * 512 * v * l + ((k % 4096) * v * l + 7) / 8;
}

/* KK(k, m, l) = 32 k + P(k, 2^m, l) */
static uint64_t
kk_bytes(uint64_t k, unsigned m, unsigned l)
{
    return 32 * k + ot_p(k, (uint64_t)1 << m, l);
}

/* Wrap_bw(n) = sr_mill(bw) without equality */
static uint64_t
wrap_bytes(uint64_t n, unsigned bw)
{
    if (n == 0 || bw == 0)
        return 0;
    if (bw == 1)
        return 16 * n + ot_p(n, 2, 1);
    if (bw <= SR_MILL_LEAF_MAX)
        return kk_bytes(n, bw, 1);
    const unsigned d = (bw + SR_MILL_RADIX - 1) / SR_MILL_RADIX;
    uint64_t S = 0, Q = 0, open = 0;
    for (unsigned i = 1; i < d; i *= 2) {
        uint64_t sv = 0, qv = 0;
        for (unsigned j = 0; j + i < d; j += 2 * i)
            *(j == 0 ? &sv : &qv) += 1;
        S += sv;
        Q += qv;
        open += 2 * ((n * (2 * sv + 3 * qv) + 7) / 8);
    }
    return kk_bytes(n * d + (n * S + 1) / 2, 4, 2) +
           (Q > 0 ? kk_bytes(n * Q, 3, 2) : 0) + open;
}

/* B2A_bw(n) = COT(n, bw), free for bw <= 1 */
static uint64_t
b2a_bytes(uint64_t n, unsigned bw)
{
    return bw <= 1 || n == 0 ? 0 : 16 * n + ot_p(n, 1, bw);
}

/* CrossTerm(n, k, mx, bw), chunked as sr_cross_* */
static uint64_t
ct_bytes(uint64_t n, size_t k, unsigned mx, unsigned bw)
{
    const unsigned B = mx < bw ? mx : bw;
    const uint64_t r = k < 2 ? k : 2, step = sr_cross_chunk(k, mx, bw);
    uint64_t s = 0;
    for (uint64_t q = 0; q < n; q += step) {
        const uint64_t nc = n - q < step ? n - q : step;
        s += 16 * r * nc * B;
        for (unsigned t = 0; t < B; t++)
            s += (nc * k * (bw - t) + 7) / 8;
    }
    return s;
}

/* a product with a server-known operand: n entries of X (nx bits), each
 * meeting fan known values, out bw bits (sr_matmul_known / mult_known) */
static uint64_t
known_bytes(uint64_t n, size_t fan, unsigned nx, unsigned bw)
{
    if (n == 0 || fan == 0)
        return 0;
    return wrap_bytes(n, nx) + ct_bytes(n, fan, nx, bw) +
           (bw > nx ? ct_bytes(n, fan, 1, bw - nx) : 0);
}

/* TR by shift [+ Ext to bw_y] of n sums of acc bits */
static uint64_t
tail_bytes(uint64_t n, sr_conv2d_fmt f, unsigned acc)
{
    const unsigned tb = acc - f.shift;
    uint64_t s = 0;
    if (f.shift > 0)
        s += wrap_bytes(n, f.shift) + b2a_bytes(n, tb);
    if (tb < f.bw_y)
        s += wrap_bytes(n, tb) + b2a_bytes(n, f.bw_y - tb);
    return s;
}

/* pixels per im2col chunk */
static size_t
im2col_chunk(const sr_conv2d_shape *c)
{
    const size_t G = c->groups, K = (c->cin / G) * c->k * c->k;
    const size_t per = c->cout / G == 1 && G > 1 ? K * G : K;
    size_t chunk = SR_CONV2D_CHUNK_ENTRIES / per;
    if (chunk >= 8) /* whole bytes for every bit-packed message per chunk */
        chunk -= chunk % 8;
    return chunk == 0 ? 1 : chunk;
}

static uint64_t
im2col_bytes(const sr_conv2d_shape *c, size_t np, sr_conv2d_fmt f,
             unsigned acc)
{
    const size_t G = c->groups, cog = c->cout / G;
    const size_t K = (c->cin / G) * c->k * c->k, chunk = im2col_chunk(c);
    uint64_t s = 0;
    for (size_t q = 0; q < np; q += chunk) {
        const size_t cp = np - q < chunk ? np - q : chunk;
        if (cog == 1 && G > 1)
            s += known_bytes((uint64_t)cp * G * K, 1, f.bw_x, acc);
        else
            s += G * known_bytes((uint64_t)cp * K, cog, f.bw_x, acc);
        s += tail_bytes((uint64_t)cp * c->cout, f, acc);
    }
    return s;
}

/*
 * The input box of output pixels [p0, p0 + np) (np > 0): rows [iy0, iy1)
 * and columns [ix0, ix1) of x that some output of the range reads (full
 * width unless the range lies in one output row).  Empty when iy0 >= iy1
 * or ix0 >= ix1 (every tap in the padding).
 */
typedef struct box {
    size_t iy0, iy1, ix0, ix1;
} box;

static size_t
clampi(long v, size_t hi)
{
    return v < 0 ? 0 : (size_t)v > hi ? hi : (size_t)v;
}

static box
in_box(const sr_conv2d_shape *c, size_t H, size_t W, size_t Wo, size_t p0,
       size_t np)
{
    const size_t oya = p0 / Wo, oyb = (p0 + np - 1) / Wo;
    const size_t oxa = oya == oyb ? p0 % Wo : 0;
    const size_t oxb = oya == oyb ? (p0 + np - 1) % Wo : Wo - 1;
    const long s = (long)c->stride, pad = (long)c->pad, k = (long)c->k;
    box b = {clampi((long)oya * s - pad, H), clampi((long)oyb * s - pad + k, H),
             clampi((long)oxa * s - pad, W), clampi((long)oxb * s - pad + k, W)};
    if (b.iy0 >= b.iy1 || b.ix0 >= b.ix1)
        b.iy1 = b.iy0; /* empty */
    return b;
}

/* input rows per scatter chunk: rows * width * cin * k^2 <= the chunk
 * entries (so |X| * fan <= SR_CONV2D_CHUNK_ENTRIES * cout / groups, the
 * im2col bound), at least one row */
static size_t
scatter_rows(const sr_conv2d_shape *c, size_t width)
{
    const size_t per = width * c->cin * c->k * c->k;
    const size_t r = SR_CONV2D_CHUNK_ENTRIES / (per > 0 ? per : 1);
    return r > 0 ? r : 1;
}

/* output pixels per scatter TR chunk (multiple of 8 when >= 8) */
static size_t
scatter_tr_chunk(const sr_conv2d_shape *c)
{
    size_t t = SR_CONV2D_CHUNK_ENTRIES / c->cout;
    if (t >= 8)
        t -= t % 8;
    return t == 0 ? 1 : t;
}

static uint64_t
scatter_bytes(const sr_conv2d_shape *c, size_t H, size_t W, size_t p0,
              size_t np, sr_conv2d_fmt f, unsigned acc)
{
    const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
    const size_t fan = (c->cout / c->groups) * c->k * c->k;
    const box b = in_box(c, H, W, Wo, p0, np);
    const size_t wid = b.ix1 - b.ix0, rows = scatter_rows(c, wid);
    uint64_t s = 0;
    for (size_t r = b.iy0; r < b.iy1; r += rows) {
        const size_t nr = b.iy1 - r < rows ? b.iy1 - r : rows;
        s += known_bytes((uint64_t)nr * wid * c->cin, fan, f.bw_x, acc);
    }
    const size_t tc = scatter_tr_chunk(c);
    for (size_t q = 0; q < np; q += tc)
        s += tail_bytes((uint64_t)(np - q < tc ? np - q : tc) * c->cout, f,
                        acc);
    return s;
}

/* see conv2d_secure.h */
uint64_t
sr_conv2d_secure_bytes(const sr_conv2d_shape *c, size_t H, size_t W,
                       size_t p0, size_t np, sr_conv2d_fmt f, int map)
{
    sr_conv2d_check(c);
    const unsigned acc = sr_conv2d_acc_bits(c, f);
    SR_REQUIRE(map == SR_CONV2D_AUTO || map == SR_CONV2D_IM2COL ||
               map == SR_CONV2D_SCATTER);
    SR_REQUIRE(acc <= 64 && f.shift < acc);
    if (np == 0)
        return 0;
    if (map == SR_CONV2D_AUTO)
        map = sr_conv2d_secure_mapping(c, H, W, p0, np, f);
    return map == SR_CONV2D_SCATTER ? scatter_bytes(c, H, W, p0, np, f, acc)
                                    : im2col_bytes(c, np, f, acc);
}

/* see conv2d_secure.h */
int
sr_conv2d_secure_mapping(const sr_conv2d_shape *c, size_t H, size_t W,
                         size_t p0, size_t np, sr_conv2d_fmt f)
{
    return sr_conv2d_secure_bytes(c, H, W, p0, np, f, SR_CONV2D_SCATTER) <
                   sr_conv2d_secure_bytes(c, H, W, p0, np, f,
                                          SR_CONV2D_IM2COL)
               ? SR_CONV2D_SCATTER
               : SR_CONV2D_IM2COL;
}

/*
 * Z[s K + t] = V[s][t] * X[s] mod 2^bw for n shared signed X of nx bits,
 * V[s] = row s % nv of the owner's table Vt [nv][K] (signed integers as
 * uint64; NULL on the peer): sr_matmul_known's algebra with a per-entry
 * row (X' = X + 2^(nx-1), its wrap, two cross terms with the owner as the
 * sender).  Traffic: Wrap_nx(n) + CT(n, K, nx, bw) + CT(n, K, 1, bw - nx)
 * [bw > nx].  Z holds n K values; must not alias X.
 */
static int
fan_known(sr_lane *L, size_t n, size_t K, uint64_t *Z, const uint64_t *Vt,
          size_t nv, const uint64_t *X, unsigned nx, unsigned bw)
{
    const size_t nk = n * K;
    uint64_t *xp = sr_scratch_u64(L, n);
    uint8_t *wx = sr_scratch_u8(L, n);
    uint64_t *z = sr_scratch_u64(L, nk);
    uint64_t *v = sr_scratch_u64(L, Vt != NULL ? nk : n);
    int rc = SR_ENOMEM;
    if (xp == NULL || wx == NULL || z == NULL || v == NULL)
        goto out;
    sr_share_add_const(L, n, xp, X, (uint64_t)1 << (nx - 1), nx);
    rc = sr_wrap(L, n, wx, xp, nx);
    if (rc != SR_OK)
        goto out;
    if (Vt != NULL) {
        /* owner: V X'_own - 2^(nx-1) V locally, the peer's bits of X'
         * choose V (sender) */
        for (size_t q = 0; q < n; q++) {
            const uint64_t *vr = Vt + (q % nv) * K;
            for (size_t t = 0; t < K; t++) {
                Z[q * K + t] = vr[t] * xp[q] - (vr[t] << (nx - 1));
                v[q * K + t] = vr[t];
            }
        }
        rc = sr_cross_send(L, n, K, z, v, nx, bw);
        for (size_t q = 0; q < nk && rc == SR_OK; q++)
            Z[q] += z[q];
        /* - 2^nx V w_X, w_X = w_own + w_peer (1 - 2 w_own) */
        if (rc == SR_OK && bw > nx) {
            for (size_t q = 0; q < n; q++)
                for (size_t t = 0; t < K; t++)
                    v[q * K + t] = wx[q] ? 0 - v[q * K + t] : v[q * K + t];
            rc = sr_cross_send(L, n, K, z, v, 1, bw - nx);
            for (size_t q = 0; q < n && rc == SR_OK; q++)
                for (size_t t = 0; t < K; t++)
                    Z[q * K + t] -=
                        (z[q * K + t] + (wx[q] ? Vt[(q % nv) * K + t] : 0))
                        << nx;
        }
    } else {
        /* peer: receiver with its bits of X' and of the wrap */
        rc = sr_cross_recv(L, n, K, Z, xp, nx, bw);
        if (rc == SR_OK && bw > nx) {
            for (size_t q = 0; q < n; q++)
                v[q] = wx[q];
            rc = sr_cross_recv(L, n, K, z, v, 1, bw - nx);
            for (size_t q = 0; q < nk && rc == SR_OK; q++)
                Z[q] -= z[q] << nx;
        }
    }
    for (size_t q = 0; q < nk; q++)
        Z[q] &= sr_mask(bw);
out:
    sr_scratch_release(L, v);
    sr_scratch_release(L, z);
    sr_scratch_release(L, wx);
    sr_scratch_release(L, xp);
    return rc;
}

/*
 * The scatter mapping's products: A [np][cout] = the exact sums mod 2^acc
 * of output pixels [p0, p0 + np), from each input pixel of the range's
 * box multiplied once by all the weights it meets (fan_known, fan = cog
 * k^2, all groups in one call per chunk of input rows), then summed over
 * taps and input channels locally (col2im; taps in the padding add
 * nothing).
 */
static int
scatter(sr_lane *L, const sr_conv2d_shape *c, size_t H, size_t W, size_t p0,
        size_t np, uint64_t *A, const uint64_t *x, const int64_t *w,
        sr_conv2d_fmt f, unsigned acc)
{
    const size_t G = c->groups, cin = c->cin, cig = cin / G, cog = c->cout / G;
    const size_t k = c->k, kk = k * k, K = cig * kk, fan = cog * kk;
    const size_t s = c->stride, pad = c->pad;
    const size_t Ho = sr_conv2d_out(H, k, s, pad), Wo = sr_conv2d_out(W, k, s, pad);
    const box b = in_box(c, H, W, Wo, p0, np);
    const size_t wid = b.ix1 - b.ix0, rows = scatter_rows(c, wid);
    const size_t nr0 = b.iy1 - b.iy0 < rows ? b.iy1 - b.iy0 : rows;
    memset(A, 0, np * c->cout * sizeof *A);
    if (nr0 == 0)
        return SR_OK;
    /* the owner's table: row ch = the fan weights input channel ch meets,
     * [o][ky][kx] of its group, signed bw_w-bit integers */
    uint64_t *Vt = sr_scratch_u64(L, w != NULL ? cin * fan : 0);
    uint64_t *X = sr_scratch_u64(L, nr0 * wid * cin);
    uint64_t *Z = sr_scratch_u64(L, nr0 * wid * cin * fan);
    int rc = SR_OK;
    if ((w != NULL && Vt == NULL) || X == NULL || Z == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    if (w != NULL)
        for (size_t ch = 0; ch < cin; ch++)
            for (size_t o = 0; o < cog; o++)
                for (size_t t = 0; t < kk; t++) {
                    const size_t g = ch / cig, i = ch % cig;
                    uint64_t v = (uint64_t)w[(g * cog + o) * K + i * kk + t] &
                                 sr_mask(f.bw_w);
                    if (f.bw_w < 64 && (v >> (f.bw_w - 1)))
                        v |= ~sr_mask(f.bw_w);
                    Vt[ch * fan + o * kk + t] = v;
                }
    for (size_t r = b.iy0; r < b.iy1 && rc == SR_OK; r += rows) {
        const size_t nr = b.iy1 - r < rows ? b.iy1 - r : rows;
        const size_t npx = nr * wid;
        for (size_t yy = 0; yy < nr; yy++)
            memcpy(X + yy * wid * cin, x + ((r + yy) * W + b.ix0) * cin,
                   wid * cin * sizeof *X);
        rc = fan_known(L, npx * cin, fan, Z, w != NULL ? Vt : NULL, cin, X,
                       f.bw_x, acc);
        if (rc != SR_OK)
            break;
        /* col2im: input (iy, ix) at tap (ky, kx) feeds output (oy, ox)
         * with oy s + ky = iy + pad */
        for (size_t j = 0; j < npx; j++) {
            const size_t iy = r + j / wid, ix = b.ix0 + j % wid;
            for (size_t ky = 0; ky < k; ky++) {
                if (iy + pad < ky || (iy + pad - ky) % s != 0)
                    continue;
                const size_t oy = (iy + pad - ky) / s;
                if (oy >= Ho)
                    continue;
                for (size_t kx = 0; kx < k; kx++) {
                    if (ix + pad < kx || (ix + pad - kx) % s != 0)
                        continue;
                    const size_t ox = (ix + pad - kx) / s;
                    const size_t p = oy * Wo + ox;
                    if (ox >= Wo || p < p0 || p >= p0 + np)
                        continue;
                    uint64_t *a = A + (p - p0) * c->cout;
                    const uint64_t *zr = Z + j * cin * fan + ky * k + kx;
                    for (size_t ch = 0; ch < cin; ch++) {
                        uint64_t *ag = a + (ch / cig) * cog;
                        const uint64_t *zc = zr + ch * fan;
                        for (size_t o = 0; o < cog; o++)
                            ag[o] += zc[o * kk];
                    }
                }
            }
        }
    }
    for (size_t q = 0; q < np * c->cout; q++)
        A[q] &= sr_mask(acc);
out:
    sr_scratch_release(L, Z);
    sr_scratch_release(L, X);
    sr_scratch_release(L, Vt);
    return rc;
}

/* TR by shift, fit to bw_y, the server's biases: A [n][cout] -> y */
static int
finish(sr_lane *L, size_t cp, uint64_t *y, uint64_t *A, const int64_t *b,
       const sr_conv2d_shape *c, sr_conv2d_fmt f, unsigned acc)
{
    const unsigned tb = acc - f.shift; /* width after the TR */
    const size_t n = cp * c->cout;
    int rc = sr_trunc_reduce(L, n, A, A, acc, f.shift);
    if (rc == SR_OK && tb < f.bw_y)
        rc = sr_ext_signed(L, n, A, A, NULL, tb, f.bw_y, SR_MSB_NONE);
    if (rc != SR_OK)
        return rc;
    /* the server adds its biases (local) */
    for (size_t j = 0; j < cp; j++)
        for (size_t o = 0; o < c->cout; o++) {
            uint64_t v = A[j * c->cout + o];
            if (b != NULL)
                v += (uint64_t)b[o];
            y[j * c->cout + o] = v & sr_mask(f.bw_y);
        }
    return SR_OK;
}

/* see conv2d_secure.h */
int
sr_conv2d_secure(sr_lane *L, size_t np, uint64_t *y, const uint64_t *x,
                 const int64_t *w, const int64_t *b, const sr_conv2d_shape *c,
                 size_t H, size_t W, size_t p0, sr_conv2d_fmt f)
{
    return sr_conv2d_secure_map(L, np, y, x, w, b, c, H, W, p0, f,
                                SR_CONV2D_AUTO);
}

/* see conv2d_secure.h */
int
sr_conv2d_secure_map(sr_lane *L, size_t np, uint64_t *y, const uint64_t *x,
                     const int64_t *w, const int64_t *b,
                     const sr_conv2d_shape *c, size_t H, size_t W, size_t p0,
                     sr_conv2d_fmt f, int map)
{
    sr_conv2d_check(c);
    const unsigned acc = sr_conv2d_acc_bits(c, f);
    SR_REQUIRE(f.bw_x >= 2 && f.bw_w >= 2 && f.bw_y >= 2 && f.bw_y <= 64);
    SR_REQUIRE(acc <= 64 && f.shift < acc);
    SR_REQUIRE(map == SR_CONV2D_AUTO || map == SR_CONV2D_IM2COL ||
               map == SR_CONV2D_SCATTER);
    const size_t Ho = sr_conv2d_out(H, c->k, c->stride, c->pad);
    const size_t Wo = sr_conv2d_out(W, c->k, c->stride, c->pad);
    SR_REQUIRE(p0 + np <= Ho * Wo);
    if (np == 0)
        return SR_OK;
    if (map == SR_CONV2D_AUTO) /* both parties: the same public shapes */
        map = sr_conv2d_secure_mapping(c, H, W, p0, np, f);
    const size_t G = c->groups, cig = c->cin / G, cog = c->cout / G;
    const size_t K = cig * c->k * c->k;
    int rc = SR_OK;

    if (map == SR_CONV2D_SCATTER) {
        /* the exact sums of the whole range into y (as room), then TR,
         * Ext and biases in place, chunk by chunk */
        rc = scatter(L, c, H, W, p0, np, y, x, w, f, acc);
        const size_t tc = scatter_tr_chunk(c);
        for (size_t q = 0; q < np && rc == SR_OK; q += tc) {
            uint64_t *yq = y + q * c->cout;
            rc = finish(L, np - q < tc ? np - q : tc, yq, yq, b, c, f, acc);
        }
        return rc;
    }

    /* depthwise-like (one output per group, several groups): every group
     * in one Hadamard product, so the rounds do not grow with G */
    const int dw = cog == 1 && G > 1;
    const size_t per = dw ? K * G : K; /* entries of X per pixel */
    size_t chunk = im2col_chunk(c);
    if (chunk > np)
        chunk = np;

    /* the server's weights as G matrices [K][cog] of bw_w bits */
    uint64_t *Wm = sr_scratch_u64(L, w != NULL ? G * K * cog : 0);
    uint64_t *X = sr_scratch_u64(L, chunk * per);
    uint64_t *Z = sr_scratch_u64(L, dw ? chunk * per : chunk * cog);
    uint64_t *A = sr_scratch_u64(L, chunk * c->cout);
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
        if (rc == SR_OK)
            rc = finish(L, cp, y + q * c->cout, A, b, c, f, acc);
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
