/*
 * layers/heads_float.c -- the head-counting model in float, and the
 * client's post-processing (see heads_float.h).
 */
#include "layers/heads_float.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see heads_float.h */
void
sr_heads_cfg_default(sr_heads_cfg *cfg, size_t height, size_t width)
{
    static const sr_heads_stage st[4] = {
        {2, 32, 4, 1}, {2, 32, 4, 1}, {2, 96, 3, 2}, {2, 128, 3, 1}};
    static const double anchor[4] = {8, 16, 32, 48};
    memset(cfg, 0, sizeof *cfg);
    cfg->height = height;
    cfg->width = width;
    cfg->conv0 = 4;
    cfg->patch = 8;
    cfg->pstride = 4;
    cfg->hid1 = 16;
    cfg->hid2 = 16;
    cfg->nstages = 4;
    for (size_t j = 0; j < 4; j++) {
        cfg->stage[j] = st[j];
        cfg->anchor[j] = anchor[j];
    }
    cfg->classes = 2;
    cfg->variance[0] = 0.1;
    cfg->variance[1] = 0.2;
}

static size_t
maxz(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* see heads_float.h */
size_t
sr_heads_conf_channels(const sr_heads_cfg *cfg, size_t j)
{
    return j == 0 ? cfg->classes + 2 : cfg->classes;
}

/* see heads_float.h */
int
sr_heads_dims_make(sr_heads_dims *d, const sr_heads_cfg *cfg, char *err,
                   size_t errlen)
{
    const size_t lim = 1u << 16;
    memset(d, 0, sizeof *d);
    if (cfg->height < 1 || cfg->width < 1 || cfg->height > lim ||
        cfg->width > lim)
        return sr_usage_error(err, errlen, "image size %zux%zu out of [1, %zu]",
                              cfg->height, cfg->width, lim);
    if (cfg->conv0 < 1 || cfg->conv0 > 1024 || cfg->hid1 < 1 ||
        cfg->hid1 > 1024 || cfg->hid2 < 1 || cfg->hid2 > 1024)
        return sr_usage_error(
            err, errlen,
            "channel counts (conv0, hidden sizes) out of [1, 1024]");
    if (cfg->patch < 1 || cfg->pstride < 1 || cfg->patch > 64 ||
        cfg->pstride > 64)
        return sr_usage_error(err, errlen,
                              "RNNPool patch/stride out of [1, 64]");
    if (cfg->classes < 2 || cfg->classes > 1024)
        return sr_usage_error(err, errlen, "classes %zu out of [2, 1024]",
                              cfg->classes);
    if (cfg->nstages < 1 || cfg->nstages > SR_HEADS_MAX_STAGES)
        return sr_usage_error(err, errlen, "%zu stages, expected 1..%d",
                              cfg->nstages, SR_HEADS_MAX_STAGES);
    d->h0 = sr_conv2d_out(cfg->height, 3, 2, 1);
    d->w0 = sr_conv2d_out(cfg->width, 3, 2, 1);
    if (d->h0 < cfg->patch || d->w0 < cfg->patch)
        return sr_usage_error(
            err, errlen,
            "image %zux%zu too small: conv0 gives %zux%zu, smaller "
            "than the %zux%zu RNNPool patch",
            cfg->height, cfg->width, d->h0, d->w0, cfg->patch, cfg->patch);
    d->hp = (d->h0 - cfg->patch) / cfg->pstride + 1;
    d->wp = (d->w0 - cfg->patch) / cfg->pstride + 1;
    d->h1 = d->hp + 1;
    d->w1 = d->wp + 1;
    size_t mx = maxz(cfg->height * cfg->width, d->h0 * d->w0 * cfg->conv0);
    mx = maxz(mx, d->h1 * d->w1 * 4 * cfg->hid2);
    size_t H = d->h1, W = d->w1, C = 4 * cfg->hid2, nb = 0;
    for (size_t j = 0; j < cfg->nstages; j++) {
        const sr_heads_stage *s = &cfg->stage[j];
        if (s->t < 1 || s->t > 16 || s->c < 1 || s->c > 4096 || s->n < 1 ||
            (s->s != 1 && s->s != 2))
            return sr_usage_error(
                err, errlen,
                "stage %zu: (t, c, n, s) = (%zu, %zu, %zu, %zu), "
                "expected t in 1..16, c in 1..4096, n >= 1, s 1|2",
                j, s->t, s->c, s->n, s->s);
        if (!(cfg->anchor[j] > 0.0))
            return sr_usage_error(err, errlen, "anchor %zu must be > 0", j);
        for (size_t b = 0; b < s->n; b++) {
            if (nb == SR_HEADS_MAX_BLOCKS)
                return sr_usage_error(err, errlen, "more than %d blocks",
                                      SR_HEADS_MAX_BLOCKS);
            const size_t st = b == 0 ? s->s : 1, hid = C * s->t;
            mx = maxz(mx, H * W * hid);
            H = sr_conv2d_out(H, 3, st, 1);
            W = sr_conv2d_out(W, 3, st, 1);
            mx = maxz(mx, H * W * maxz(hid, s->c));
            C = s->c;
            nb++;
        }
        d->src_h[j] = H;
        d->src_w[j] = W;
        d->src_c[j] = C;
        d->src_off[j] = d->priors;
        d->priors += H * W;
        mx = maxz(mx, H * W * maxz(4, sr_heads_conf_channels(cfg, j)));
    }
    d->nblocks = nb;
    d->maxel = mx;
    return SR_OK;
}

static void
conv_free(sr_heads_conv *c)
{
    free(c->w);
    free(c->b);
    c->w = c->b = NULL;
}

static int
conv_alloc(sr_heads_conv *c, size_t cin, size_t cout, size_t k, size_t stride,
           size_t groups, int relu6)
{
    c->sh = sr_conv2d_same(cin, cout, k, stride, groups);
    c->relu6 = relu6;
    c->w = calloc(sr_conv2d_nweights(&c->sh), sizeof(double));
    c->b = calloc(cout, sizeof(double));
    return c->w != NULL && c->b != NULL ? SR_OK : SR_ENOMEM;
}

/* see heads_float.h */
void
sr_heads_float_clear(sr_heads_float *net)
{
    if (net == NULL)
        return;
    conv_free(&net->conv0);
    double **r[] = {&net->r1W, &net->r1U, &net->r1bg, &net->r1bu,
                    &net->r2W, &net->r2U, &net->r2bg, &net->r2bu};
    for (size_t i = 0; i < 8; i++)
        free(*r[i]);
    for (size_t b = 0; b < SR_HEADS_MAX_BLOCKS; b++) {
        conv_free(&net->block[b].expand);
        conv_free(&net->block[b].dw);
        conv_free(&net->block[b].project);
    }
    for (size_t j = 0; j < SR_HEADS_MAX_STAGES; j++) {
        conv_free(&net->loc[j]);
        conv_free(&net->conf[j]);
    }
    memset(net, 0, sizeof *net);
}

/* see heads_float.h */
int
sr_heads_float_init(sr_heads_float *net, const sr_heads_cfg *cfg, char *err,
                    size_t errlen)
{
    memset(net, 0, sizeof *net);
    int rc = sr_heads_dims_make(&net->dims, cfg, err, errlen);
    if (rc != SR_OK)
        return rc;
    net->cfg = *cfg;
    const size_t C0 = cfg->conv0, h1 = cfg->hid1, h2 = cfg->hid2;
    int bad = conv_alloc(&net->conv0, 1, C0, 3, 2, 1, 1) != SR_OK;
    net->r1W = calloc(C0 * h1, sizeof(double));
    net->r1U = calloc(h1 * h1, sizeof(double));
    net->r1bg = calloc(h1, sizeof(double));
    net->r1bu = calloc(h1, sizeof(double));
    net->r2W = calloc(h1 * h2, sizeof(double));
    net->r2U = calloc(h2 * h2, sizeof(double));
    net->r2bg = calloc(h2, sizeof(double));
    net->r2bu = calloc(h2, sizeof(double));
    bad |= !net->r1W || !net->r1U || !net->r1bg || !net->r1bu || !net->r2W ||
           !net->r2U || !net->r2bg || !net->r2bu;
    sr_rnnpool_float *r = &net->rnn;
    r->rows = r->cols = cfg->patch;
    r->rnn1 = (sr_rnnpool_cell_float){C0,        h1,        net->r1W, net->r1U,
                                      net->r1bg, net->r1bu, 1.0,      -4.0};
    r->rnn2 = (sr_rnnpool_cell_float){h1,        h2,        net->r2W, net->r2U,
                                      net->r2bg, net->r2bu, 1.0,      -4.0};
    size_t C = 4 * h2, nb = 0;
    for (size_t j = 0; j < cfg->nstages; j++) {
        const sr_heads_stage *s = &cfg->stage[j];
        for (size_t b = 0; b < s->n; b++, nb++) {
            sr_heads_block *B = &net->block[nb];
            const size_t st = b == 0 ? s->s : 1, hid = C * s->t;
            B->has_expand = s->t != 1;
            B->residual = st == 1 && C == s->c;
            if (B->has_expand)
                bad |= conv_alloc(&B->expand, C, hid, 1, 1, 1, 1) != SR_OK;
            bad |= conv_alloc(&B->dw, hid, hid, 3, st, hid, 1) != SR_OK;
            bad |= conv_alloc(&B->project, hid, s->c, 1, 1, 1, 0) != SR_OK;
            C = s->c;
        }
        bad |= conv_alloc(&net->loc[j], C, 4, 3, 1, 1, 0) != SR_OK;
        bad |= conv_alloc(&net->conf[j], C, sr_heads_conf_channels(cfg, j), 3,
                          1, 1, 0) != SR_OK;
    }
    if (bad) {
        sr_heads_float_clear(net);
        return SR_ENOMEM;
    }
    return SR_OK;
}

/* splitmix64 -> uniform in [-a, a) */
static double
unif(uint64_t *st, double a)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return a * (2.0 * ((double)(z >> 11) / 9007199254740992.0) - 1.0);
}

static void
conv_random(sr_heads_conv *c, uint64_t *st, double gain)
{
    const size_t fan = (c->sh.cin / c->sh.groups) * c->sh.k * c->sh.k;
    const double a = gain * sqrt(6.0 / (double)fan);
    for (size_t i = 0; i < sr_conv2d_nweights(&c->sh); i++)
        c->w[i] = unif(st, a);
    for (size_t o = 0; o < c->sh.cout; o++)
        c->b[o] = unif(st, 0.1);
}

static void
fill(double *x, size_t n, uint64_t *st, double a)
{
    for (size_t i = 0; i < n; i++)
        x[i] = unif(st, a);
}

/* see heads_float.h */
void
sr_heads_float_random(sr_heads_float *net, uint64_t seed)
{
    uint64_t st = seed;
    const size_t C0 = net->cfg.conv0, h1 = net->cfg.hid1, h2 = net->cfg.hid2;
    conv_random(&net->conv0, &st, 1.0);
    fill(net->r1W, C0 * h1, &st, 1.0 / sqrt((double)C0));
    fill(net->r1U, h1 * h1, &st, 1.0 / sqrt((double)h1));
    fill(net->r1bg, h1, &st, 0.5);
    fill(net->r1bu, h1, &st, 0.5);
    fill(net->r2W, h1 * h2, &st, 1.0 / sqrt((double)h1));
    fill(net->r2U, h2 * h2, &st, 1.0 / sqrt((double)h2));
    fill(net->r2bg, h2, &st, 0.5);
    fill(net->r2bu, h2, &st, 0.5);
    for (size_t b = 0; b < net->dims.nblocks; b++) {
        sr_heads_block *B = &net->block[b];
        if (B->has_expand)
            conv_random(&B->expand, &st, 1.0);
        conv_random(&B->dw, &st, 1.0);
        /* linear bottleneck: smaller gain keeps the residual sums bounded */
        conv_random(&B->project, &st, 0.5);
    }
    for (size_t j = 0; j < net->cfg.nstages; j++) {
        conv_random(&net->loc[j], &st, 0.5);
        conv_random(&net->conf[j], &st, 0.5);
    }
}

/* see heads_float.h */
void
sr_heads_float_fold_l2(sr_heads_float *net, size_t j, const double *gamma)
{
    SR_REQUIRE(j + 1 < net->cfg.nstages);
    sr_heads_conv *hc[2] = {&net->loc[j], &net->conf[j]};
    for (size_t h = 0; h < 2; h++) {
        const sr_conv2d_shape *s = &hc[h]->sh;
        const size_t kk = s->k * s->k;
        for (size_t o = 0; o < s->cout; o++)
            for (size_t i = 0; i < s->cin; i++)
                for (size_t t = 0; t < kk; t++)
                    hc[h]->w[(o * s->cin + i) * kk + t] *= gamma[i];
    }
}

/* Runs one convolution (and its ReLU6) on [H][W][cin]; returns Ho, Wo. */
static void
conv_run(const sr_heads_conv *c, size_t *H, size_t *W, double *y,
         const double *x)
{
    sr_conv2d_float(&c->sh, *H, *W, y, x, c->w, c->b);
    *H = sr_conv2d_out(*H, c->sh.k, c->sh.stride, c->sh.pad);
    *W = sr_conv2d_out(*W, c->sh.k, c->sh.stride, c->sh.pad);
    if (c->relu6)
        sr_relu6_float(*H * *W * c->sh.cout, y);
}

/* see heads_float.h */
int
sr_heads_float_run(const sr_heads_float *net, double *loc, double *conf,
                   const double *img)
{
    const sr_heads_cfg *cfg = &net->cfg;
    const sr_heads_dims *d = &net->dims;
    double *buf = malloc(sizeof(double) * 4 * d->maxel);
    if (buf == NULL)
        return SR_ENOMEM;
    double *x = buf, *e = buf + d->maxel, *t = e + d->maxel, *u = t + d->maxel;
    size_t H = cfg->height, W = cfg->width;

    conv_run(&net->conv0, &H, &W, t, img);
    int rc = sr_rnnpool_float_map(&net->rnn, H, W, cfg->pstride, e, t);
    if (rc != SR_OK) {
        free(buf);
        return rc;
    }
    /* replicate pad: bottom row and right column */
    const size_t C = 4 * cfg->hid2;
    for (size_t y = 0; y < d->h1; y++)
        for (size_t xx = 0; xx < d->w1; xx++) {
            const size_t sy = y < d->hp ? y : d->hp - 1;
            const size_t sx = xx < d->wp ? xx : d->wp - 1;
            memcpy(x + (y * d->w1 + xx) * C, e + (sy * d->wp + sx) * C,
                   sizeof(double) * C);
        }
    H = d->h1;
    W = d->w1;
    size_t nb = 0;
    for (size_t j = 0; j < cfg->nstages; j++) {
        for (size_t b = 0; b < cfg->stage[j].n; b++, nb++) {
            const sr_heads_block *B = &net->block[nb];
            size_t h = H, w = W;
            const double *in = x;
            if (B->has_expand) {
                conv_run(&B->expand, &h, &w, e, x);
                in = e;
            }
            conv_run(&B->dw, &h, &w, t, in);
            conv_run(&B->project, &h, &w, u, t);
            const size_t n = h * w * B->project.sh.cout;
            if (B->residual)
                for (size_t i = 0; i < n; i++)
                    u[i] += x[i];
            memcpy(x, u, sizeof(double) * n);
            H = h;
            W = w;
        }
        /* source j: L2Norm (gamma folded into the heads) */
        const size_t Cs = d->src_c[j], P = H * W;
        const double *src = x;
        if (j + 1 < cfg->nstages) {
            for (size_t p = 0; p < P; p++) {
                double ss = 0.0;
                for (size_t c = 0; c < Cs; c++)
                    ss += x[p * Cs + c] * x[p * Cs + c];
                const double nrm = sqrt(ss) + 1e-10;
                for (size_t c = 0; c < Cs; c++)
                    u[p * Cs + c] = x[p * Cs + c] / nrm;
            }
            src = u;
        }
        size_t h = H, w = W;
        conv_run(&net->loc[j], &h, &w, e, src);
        memcpy(loc + d->src_off[j] * 4, e, sizeof(double) * P * 4);
        h = H;
        w = W;
        conv_run(&net->conf[j], &h, &w, t, src);
        const size_t K = cfg->classes, Kc = sr_heads_conf_channels(cfg, j);
        sr_maxout_float(P, Kc, Kc - K + 1, conf + d->src_off[j] * K, t);
    }
    free(buf);
    return SR_OK;
}

/* ---- post-processing ----------------------------------------------- */

/* see heads_float.h */
void
sr_heads_priors(const sr_heads_cfg *cfg, const sr_heads_dims *d, double *priors)
{
    for (size_t j = 0; j < cfg->nstages; j++) {
        const size_t Hj = d->src_h[j], Wj = d->src_w[j];
        for (size_t y = 0; y < Hj; y++)
            for (size_t x = 0; x < Wj; x++) {
                double *p = priors + (d->src_off[j] + y * Wj + x) * 4;
                p[0] = ((double)x + 0.5) / (double)Wj;
                p[1] = ((double)y + 0.5) / (double)Hj;
                p[2] = cfg->anchor[j] / (double)cfg->width;
                p[3] = cfg->anchor[j] / (double)cfg->height;
            }
    }
}

/* see heads_float.h */
void
sr_heads_decode(size_t n, double *boxes, const double *loc,
                const double *priors, const double variance[2])
{
    for (size_t i = 0; i < n; i++) {
        const double *p = priors + 4 * i, *l = loc + 4 * i;
        const double cx = p[0] + l[0] * variance[0] * p[2];
        const double cy = p[1] + l[1] * variance[0] * p[3];
        const double w = p[2] * exp(l[2] * variance[1]);
        const double h = p[3] * exp(l[3] * variance[1]);
        boxes[4 * i + 0] = cx - w / 2;
        boxes[4 * i + 1] = cy - h / 2;
        boxes[4 * i + 2] = cx + w / 2;
        boxes[4 * i + 3] = cy + h / 2;
    }
}

/* see heads_float.h */
double
sr_heads_iou(const double *a, const double *b)
{
    const double ix = fmin(a[2], b[2]) - fmax(a[0], b[0]);
    const double iy = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (!(ix > 0.0) || !(iy > 0.0))
        return 0.0;
    const double inter = ix * iy;
    const double ua =
        (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0.0 ? inter / ua : 0.0;
}

/* see heads_float.h */
size_t
sr_heads_nms(size_t n, size_t *keep, size_t max_keep, const double *boxes,
             const double *scores, double thresh, double iou)
{
    size_t nk = 0;
    double last = INFINITY;
    size_t last_i = 0;
    /*
     * Candidates in (score desc, index asc) order without sorting: the next
     * candidate is the best one strictly after the previous in that order.
     */
    while (nk < max_keep) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            const double s = scores[i];
            if (!(s > thresh))
                continue;
            const int after = s < last || (s == last && i > last_i);
            if (!after)
                continue;
            if (best == n || s > scores[best])
                best = i;
        }
        if (best == n)
            break;
        last = scores[best];
        last_i = best;
        int drop = 0;
        for (size_t k = 0; k < nk && !drop; k++)
            drop = sr_heads_iou(boxes + 4 * keep[k], boxes + 4 * best) > iou;
        if (!drop)
            keep[nk++] = best;
    }
    return nk;
}

/* see heads_float.h */
size_t
sr_heads_detect(const sr_heads_cfg *cfg, const sr_heads_dims *d,
                const double *loc, const double *conf, double thresh,
                double iou, double *priors, double *boxes, double *scores,
                size_t *keep, size_t max_keep)
{
    const size_t K = cfg->classes, P = d->priors;
    for (size_t i = 0; i < P; i++) {
        const double *c = conf + i * K;
        double m = c[0];
        for (size_t k = 1; k < K; k++)
            m = c[k] > m ? c[k] : m;
        double sum = 0.0;
        for (size_t k = 0; k < K; k++)
            sum += exp(c[k] - m);
        scores[i] = exp(c[1] - m) / sum;
    }
    sr_heads_priors(cfg, d, priors);
    sr_heads_decode(P, boxes, loc, priors, cfg->variance);
    return sr_heads_nms(P, keep, max_keep, boxes, scores, thresh, iou);
}
