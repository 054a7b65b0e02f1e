/*
 * layers/rnnpool.c -- RNNPool, float and fixed point (see rnnpool.h).
 */
#include "layers/rnnpool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers/conv2d.h"
#include "layers/fastgrnn.h"
#include "math/mathfn.h"

/* see rnnpool.h */
size_t
sr_rnnpool_features(const sr_rnnpool_float *p)
{
    return 4 * p->rnn2.hid;
}

static void
check_float(const sr_rnnpool_float *p)
{
    SR_REQUIRE(p != NULL && p->rows >= 1 && p->rows == p->cols);
    SR_REQUIRE(p->rnn1.in >= 1 && p->rnn1.hid >= 1 && p->rnn2.hid >= 1);
    SR_REQUIRE(p->rnn2.in == p->rnn1.hid);
}

/*
 * Sequence layout of a chunk of n patches (R = rows = cols):
 *   RNN1: sequence (pi, kind, idx) = (pi * 2 + kind) * R + idx; kind 0 is
 *         column idx read over the rows, kind 1 row idx over the columns.
 *   RNN2: sequence (pi, kind, dir) = (pi * 2 + kind) * 2 + dir; dir 1
 *         reads RNN1's states of that kind in reverse.
 * gather1 / gather2 write the step-t inputs of all sequences, [S][in].
 */
static size_t
px(size_t R, size_t cin, size_t pi, size_t i, size_t j)
{
    return ((pi * R + i) * R + j) * cin;
}

static double
sigm(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/* One float FastGRNN step on S sequences: h [S][hid] updated from xt. */
static void
cell_step_float(const sr_rnnpool_cell_float *c, size_t S, double *h,
                const double *xt, double *pre)
{
    const double sz = sigm(c->zeta), sn = sigm(c->nu);
    const size_t I = c->in, Hd = c->hid;
    for (size_t s = 0; s < S; s++) {
        double *a = pre + s * Hd;
        for (size_t u = 0; u < Hd; u++)
            a[u] = 0.0;
        for (size_t i = 0; i < I; i++) {
            const double xv = xt[s * I + i];
            for (size_t u = 0; u < Hd; u++)
                a[u] += xv * c->W[i * Hd + u];
        }
        for (size_t i = 0; i < Hd; i++) {
            const double hv = h[s * Hd + i];
            for (size_t u = 0; u < Hd; u++)
                a[u] += hv * c->U[i * Hd + u];
        }
        for (size_t u = 0; u < Hd; u++) {
            const double z = sigm(a[u] + c->b_gate[u]);
            const double cc = tanh(a[u] + c->b_update[u]);
            h[s * Hd + u] = z * h[s * Hd + u] + (sz * (1.0 - z) + sn) * cc;
        }
    }
}

/* see rnnpool.h */
int
sr_rnnpool_float_patches(const sr_rnnpool_float *p, size_t n, double *out,
                         const double *x)
{
    check_float(p);
    if (n == 0)
        return SR_OK;
    const size_t R = p->rows, cin = p->rnn1.in, h1 = p->rnn1.hid,
                 h2 = p->rnn2.hid;
    const size_t S1 = 2 * n * R, S2 = 4 * n;
    const size_t hmax = h1 > h2 ? h1 : h2;
    double *buf =
        malloc(sizeof(double) * (S1 * cin + S1 * h1 + S2 * h1 + S2 * h2 +
                                 (S1 > S2 ? S1 : S2) * hmax));
    if (buf == NULL)
        return SR_ENOMEM;
    double *xt = buf, *s1 = xt + S1 * cin, *x2 = s1 + S1 * h1,
           *s2 = x2 + S2 * h1, *pre = s2 + S2 * h2;

    memset(s1, 0, sizeof(double) * S1 * h1);
    for (size_t t = 0; t < R; t++) {
        for (size_t pi = 0; pi < n; pi++)
            for (size_t idx = 0; idx < R; idx++) {
                /* kind 0: column idx at row t; kind 1: row idx at col t */
                memcpy(xt + ((pi * 2 + 0) * R + idx) * cin,
                       x + px(R, cin, pi, t, idx), sizeof(double) * cin);
                memcpy(xt + ((pi * 2 + 1) * R + idx) * cin,
                       x + px(R, cin, pi, idx, t), sizeof(double) * cin);
            }
        cell_step_float(&p->rnn1, S1, s1, xt, pre);
    }
    memset(s2, 0, sizeof(double) * S2 * h2);
    for (size_t t = 0; t < R; t++) {
        for (size_t pk = 0; pk < 2 * n; pk++)
            for (size_t dir = 0; dir < 2; dir++) {
                const size_t idx = dir == 0 ? t : R - 1 - t;
                memcpy(x2 + (pk * 2 + dir) * h1, s1 + (pk * R + idx) * h1,
                       sizeof(double) * h1);
            }
        cell_step_float(&p->rnn2, S2, s2, x2, pre);
    }
    /* out = [B (kind 1: fwd, bwd), A (kind 0: fwd, bwd)] */
    for (size_t pi = 0; pi < n; pi++)
        for (size_t kind = 0; kind < 2; kind++)
            for (size_t dir = 0; dir < 2; dir++)
                memcpy(out + pi * 4 * h2 + ((1 - kind) * 2 + dir) * h2,
                       s2 + ((pi * 2 + kind) * 2 + dir) * h2,
                       sizeof(double) * h2);
    free(buf);
    return SR_OK;
}

/*
 * Copies up to SR_RNNPOOL_CHUNK patches, starting at patch number first,
 * out of the map (element size es bytes) into dst [m][R][R][cin].
 */
static void
extract(size_t es, size_t W, size_t cin, size_t R, size_t stride, size_t Wo,
        size_t first, size_t m, void *dst, const void *x)
{
    unsigned char *d = dst;
    const unsigned char *s = x;
    for (size_t k = 0; k < m; k++) {
        const size_t oy = (first + k) / Wo, ox = (first + k) % Wo;
        for (size_t i = 0; i < R; i++) {
            const size_t row = oy * stride + i;
            memcpy(d + ((k * R + i) * R) * cin * es,
                   s + (row * W + ox * stride) * cin * es, R * cin * es);
        }
    }
}

/* see rnnpool.h */
int
sr_rnnpool_float_map(const sr_rnnpool_float *p, size_t H, size_t W,
                     size_t stride, double *out, const double *x)
{
    check_float(p);
    SR_REQUIRE(stride >= 1 && H >= p->rows && W >= p->cols);
    const size_t R = p->rows, cin = p->rnn1.in, F = sr_rnnpool_features(p);
    const size_t Ho = (H - R) / stride + 1, Wo = (W - R) / stride + 1;
    const size_t N = Ho * Wo;
    double *patch = malloc(sizeof(double) * SR_RNNPOOL_CHUNK * R * R * cin);
    if (patch == NULL)
        return SR_ENOMEM;
    int rc = SR_OK;
    for (size_t first = 0; first < N && rc == SR_OK;
         first += SR_RNNPOOL_CHUNK) {
        const size_t m =
            N - first < SR_RNNPOOL_CHUNK ? N - first : SR_RNNPOOL_CHUNK;
        extract(sizeof(double), W, cin, R, stride, Wo, first, m, patch, x);
        rc = sr_rnnpool_float_patches(p, m, out + first * F, patch);
    }
    free(patch);
    return rc;
}

/* ---- fixed point ---------------------------------------------------- */

static int64_t *
quant_cell_new(const double *v, size_t n, sr_fx f, size_t *sat)
{
    int64_t *q = malloc(sizeof(int64_t) * (n ? n : 1));
    uint64_t *pat = malloc(sizeof(uint64_t) * (n ? n : 1));
    if (q == NULL || pat == NULL) {
        free(q);
        free(pat);
        return NULL;
    }
    *sat += sr_fx_quantise(n, pat, v, f);
    for (size_t i = 0; i < n; i++)
        q[i] = sr_fxp_sext(pat[i], f.bw);
    free(pat);
    return q;
}

static void
cell_fx_clear(sr_rnnpool_cell_fx *c)
{
    free(c->W);
    free(c->U);
    free(c->b_gate);
    free(c->b_update);
    memset(c, 0, sizeof *c);
}

static int
cell_fx_init(sr_rnnpool_cell_fx *q, const sr_rnnpool_cell_float *p, sr_fx fW,
             sr_fx fU, const sr_rnnpool_fmt *f, size_t *sat)
{
    q->in = p->in;
    q->hid = p->hid;
    q->W = quant_cell_new(p->W, p->in * p->hid, fW, sat);
    q->U = quant_cell_new(p->U, p->hid * p->hid, fU, sat);
    q->b_gate = quant_cell_new(p->b_gate, p->hid, f->a, sat);
    q->b_update = quant_cell_new(p->b_update, p->hid, f->a, sat);
    const double sz = sigm(p->zeta), sn = sigm(p->nu);
    const double k[2] = {sz, sz + sn};
    uint64_t kq[2];
    *sat += sr_fx_quantise(2, kq, k, f->k);
    q->k2 = sr_fxp_sext(kq[0], f->k.bw);
    q->k1 = sr_fxp_sext(kq[1], f->k.bw);
    if (!q->W || !q->U || !q->b_gate || !q->b_update)
        return SR_ENOMEM;
    return SR_OK;
}

/* see rnnpool.h */
int
sr_rnnpool_fx_init(sr_rnnpool_fx *q, const sr_rnnpool_float *p,
                   const sr_rnnpool_fmt *f, size_t *saturated)
{
    check_float(p);
    SR_REQUIRE(f != NULL);
    const sr_fx *all[] = {&f->x, &f->W1, &f->U1, &f->W2, &f->U2,
                          &f->a, &f->z,  &f->c,  &f->k,  &f->h};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        SR_REQUIRE(all[i]->bw == 16 && all[i]->s <= 15);
    SR_REQUIRE(f->a.s <= f->x.s + f->W1.s && f->a.s <= f->h.s + f->U1.s);
    SR_REQUIRE(f->a.s <= f->h.s + f->W2.s && f->a.s <= f->h.s + f->U2.s);
    SR_REQUIRE(f->h.s <= f->k.s + f->c.s);
    SR_REQUIRE(f->z.bw >= f->z.s + 1 && f->c.bw >= f->c.s + 1);

    memset(q, 0, sizeof *q);
    q->rows = p->rows;
    q->cols = p->cols;
    q->f = *f;
    size_t sat = 0;
    int rc = cell_fx_init(&q->rnn1, &p->rnn1, f->W1, f->U1, f, &sat);
    if (rc == SR_OK)
        rc = cell_fx_init(&q->rnn2, &p->rnn2, f->W2, f->U2, f, &sat);
    q->tab_sig = malloc(sizeof *q->tab_sig);
    q->tab_tnh = malloc(sizeof *q->tab_tnh);
    if (rc != SR_OK || q->tab_sig == NULL || q->tab_tnh == NULL) {
        sr_rnnpool_fx_clear(q);
        return SR_ENOMEM;
    }
    sr_math_plan_make(&q->sig, SR_MATH_SIGMOID, f->z, f->a, NULL);
    sr_math_tab_fill(q->tab_sig, &q->sig);
    sr_math_plan_make(&q->tnh, SR_MATH_TANH, f->c, f->a, NULL);
    sr_math_tab_fill(q->tab_tnh, &q->tnh);
    if (saturated != NULL)
        *saturated = sat;
    return SR_OK;
}

/* see rnnpool.h */
void
sr_rnnpool_fx_clear(sr_rnnpool_fx *q)
{
    if (q == NULL)
        return;
    cell_fx_clear(&q->rnn1);
    cell_fx_clear(&q->rnn2);
    free(q->tab_sig);
    free(q->tab_tnh);
    memset(q, 0, sizeof *q);
}

/*
 * One fixed-point FastGRNN step (rnnpool.h steps 1-7) on S sequences.
 * xt [S][in] in format fin (shift of step 1 = s_in + s_W - s_a), h [S][hid]
 * in f.h.  tmp holds 4 S hid int64 and 4 S hid uint64.
 */
static void
cell_step_fx(const sr_rnnpool_fx *q, const sr_rnnpool_cell_fx *c, sr_fx fin,
             sr_fx fW, sr_fx fU, size_t S, int64_t *h, const int64_t *xt,
             int64_t *tmp, uint64_t *pat, size_t *wraps)
{
    const sr_rnnpool_fmt *f = &q->f;
    const size_t I = c->in, Hd = c->hid, SH = S * Hd;
    const unsigned shp = fin.s + fW.s - f->a.s, shq = f->h.s + fU.s - f->a.s;
    const unsigned shm = f->k.s + f->c.s - f->h.s;
    int64_t *pq = tmp, *v = tmp + SH, *z = tmp + 2 * SH, *cc = tmp + 3 * SH;
    uint64_t *g = pat, *e = pat + SH, *zp = pat + 2 * SH, *cp = pat + 3 * SH;

    for (size_t s = 0; s < S; s++)
        for (size_t u = 0; u < Hd; u++) {
            /* 1-2: two known products, each TR then -> 16 */
            int64_t ap = 0, aq = 0;
            for (size_t i = 0; i < I; i++)
                ap += xt[s * I + i] * c->W[i * Hd + u];
            for (size_t i = 0; i < Hd; i++)
                aq += h[s * Hd + i] * c->U[i * Hd + u];
            const int64_t p16 = sr_fx_fit(sr_fx_floor_shift(ap, shp), 16, NULL);
            const int64_t q16 = sr_fx_fit(sr_fx_floor_shift(aq, shq), 16, NULL);
            pq[s * Hd + u] = p16 + q16;
        }
    /* 3: biases (server, local) */
    for (size_t s = 0; s < S; s++)
        for (size_t u = 0; u < Hd; u++) {
            const int64_t a = pq[s * Hd + u];
            g[s * Hd + u] =
                (uint64_t)sr_fx_fit(a + c->b_gate[u], 16, wraps) & sr_mask(16);
            e[s * Hd + u] = (uint64_t)sr_fx_fit(a + c->b_update[u], 16, wraps) &
                            sr_mask(16);
        }
    /* 4: math twins, one batch each */
    sr_math_plain_run(&q->sig, q->tab_sig, SH, zp, g);
    sr_math_plain_run(&q->tnh, q->tab_tnh, SH, cp, e);
    for (size_t i = 0; i < SH; i++) {
        z[i] = sr_fxp_sext(zp[i], f->z.bw);
        cc[i] = sr_fxp_sext(cp[i], f->c.bw);
    }
    /* 5-7 */
    for (size_t i = 0; i < SH; i++) {
        const int64_t m2 = sr_fx_floor_shift(c->k2 * cc[i], shm);
        const int64_t m1 = sr_fx_floor_shift(c->k1 * cc[i], shm);
        v[i] = sr_fx_fit(h[i] - m2, 16, wraps);
        h[i] =
            sr_fx_fit(sr_fx_floor_shift(z[i] * v[i], f->z.s) + m1, 16, wraps);
    }
}

/* see rnnpool.h */
int
sr_rnnpool_fx_patches(const sr_rnnpool_fx *q, size_t n, int64_t *out,
                      const int64_t *x, size_t *wraps)
{
    SR_REQUIRE(q != NULL && q->tab_sig != NULL);
    if (n == 0)
        return SR_OK;
    const size_t R = q->rows, cin = q->rnn1.in, h1 = q->rnn1.hid,
                 h2 = q->rnn2.hid;
    const size_t S1 = 2 * n * R, S2 = 4 * n;
    const size_t hmax = h1 > h2 ? h1 : h2, Smax = S1 > S2 ? S1 : S2;
    int64_t *buf = malloc(sizeof(int64_t) * (S1 * cin + S1 * h1 + S2 * h1 +
                                             S2 * h2 + 4 * Smax * hmax));
    uint64_t *pat = malloc(sizeof(uint64_t) * 4 * Smax * hmax);
    if (buf == NULL || pat == NULL) {
        free(buf);
        free(pat);
        return SR_ENOMEM;
    }
    int64_t *xt = buf, *s1 = xt + S1 * cin, *x2 = s1 + S1 * h1,
            *s2 = x2 + S2 * h1, *tmp = s2 + S2 * h2;

    memset(s1, 0, sizeof(int64_t) * S1 * h1);
    for (size_t t = 0; t < R; t++) {
        for (size_t pi = 0; pi < n; pi++)
            for (size_t idx = 0; idx < R; idx++) {
                memcpy(xt + ((pi * 2 + 0) * R + idx) * cin,
                       x + px(R, cin, pi, t, idx), sizeof(int64_t) * cin);
                memcpy(xt + ((pi * 2 + 1) * R + idx) * cin,
                       x + px(R, cin, pi, idx, t), sizeof(int64_t) * cin);
            }
        cell_step_fx(q, &q->rnn1, q->f.x, q->f.W1, q->f.U1, S1, s1, xt, tmp,
                     pat, wraps);
    }
    memset(s2, 0, sizeof(int64_t) * S2 * h2);
    for (size_t t = 0; t < R; t++) {
        for (size_t pk = 0; pk < 2 * n; pk++)
            for (size_t dir = 0; dir < 2; dir++) {
                const size_t idx = dir == 0 ? t : R - 1 - t;
                memcpy(x2 + (pk * 2 + dir) * h1, s1 + (pk * R + idx) * h1,
                       sizeof(int64_t) * h1);
            }
        cell_step_fx(q, &q->rnn2, q->f.h, q->f.W2, q->f.U2, S2, s2, x2, tmp,
                     pat, wraps);
    }
    for (size_t pi = 0; pi < n; pi++)
        for (size_t kind = 0; kind < 2; kind++)
            for (size_t dir = 0; dir < 2; dir++)
                memcpy(out + pi * 4 * h2 + ((1 - kind) * 2 + dir) * h2,
                       s2 + ((pi * 2 + kind) * 2 + dir) * h2,
                       sizeof(int64_t) * h2);
    free(pat);
    free(buf);
    return SR_OK;
}

/* see rnnpool.h */
int
sr_rnnpool_fx_map(const sr_rnnpool_fx *q, size_t H, size_t W, size_t stride,
                  int64_t *out, const int64_t *x, size_t *wraps)
{
    SR_REQUIRE(q != NULL && stride >= 1 && H >= q->rows && W >= q->cols);
    const size_t R = q->rows, cin = q->rnn1.in, F = 4 * q->rnn2.hid;
    const size_t Ho = (H - R) / stride + 1, Wo = (W - R) / stride + 1;
    const size_t N = Ho * Wo;
    int64_t *patch = malloc(sizeof(int64_t) * SR_RNNPOOL_CHUNK * R * R * cin);
    if (patch == NULL)
        return SR_ENOMEM;
    int rc = SR_OK;
    for (size_t first = 0; first < N && rc == SR_OK;
         first += SR_RNNPOOL_CHUNK) {
        const size_t m =
            N - first < SR_RNNPOOL_CHUNK ? N - first : SR_RNNPOOL_CHUNK;
        extract(sizeof(int64_t), W, cin, R, stride, Wo, first, m, patch, x);
        rc = sr_rnnpool_fx_patches(q, m, out + first * F, patch, wraps);
    }
    free(patch);
    return rc;
}
