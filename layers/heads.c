/*
 * layers/heads.c -- the head-counting model in fixed point (see heads.h).
 */
#include "layers/heads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers/fastgrnn.h"
#include "layers/pool.h"
#include "math/mathfn.h"

/* see heads.h */
void
sr_heads_fmt_default(sr_heads_fmt *f)
{
    memset(f, 0, sizeof *f);
    f->in = sr_fx_make(16, 14);
    f->act = sr_fx_make(16, 11);
    f->rnn.x = f->act;
    f->rnn.W1 = f->rnn.U1 = f->rnn.W2 = f->rnn.U2 = sr_fx_make(16, 14);
    f->rnn.a = sr_fx_make(16, 11);
    f->rnn.z = f->rnn.c = f->rnn.k = f->rnn.h = sr_fx_make(16, 14);
    f->ss = sr_fx_make(32, 16);
    f->r = sr_fx_make(24, 16);
    f->l2 = sr_fx_make(16, 14);
    f->out = sr_fx_make(16, 10);
}

/* see heads.h */
void
sr_heads_fx_quantise(size_t n, int64_t *q, const double *x, sr_fx f)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t p;
        (void)sr_fx_quantise(1, &p, &x[i], f);
        q[i] = sr_fxp_sext(p, f.bw);
    }
}

/* see heads.h */
void
sr_heads_fx_value(size_t n, double *y, const int64_t *x, sr_fx f)
{
    for (size_t i = 0; i < n; i++)
        y[i] = ldexp((double)x[i], -(int)f.s);
}

static void
qconv_clear(sr_heads_qconv *c)
{
    free(c->w);
    free(c->b);
    memset(c, 0, sizeof *c);
}

/* The largest scale s <= 15 at which every |w| rounds into 16 bits. */
static unsigned
weight_scale(const double *w, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fabs(w[i]) > m ? fabs(w[i]) : m;
    unsigned s = 15;
    while (s > 0 && floor(m * ldexp(1.0, (int)s) + 0.5) > 32767.0)
        s--;
    return s;
}

static int
qconv_init(sr_heads_qconv *q, const sr_heads_conv *c, sr_fx fin, sr_fx fout,
           size_t *sat)
{
    const size_t nw = sr_conv2d_nweights(&c->sh);
    q->sh = c->sh;
    q->relu6 = c->relu6;
    q->fin = fin;
    q->fout = fout;
    unsigned s = weight_scale(c->w, nw);
    if (fin.s + s < fout.s)
        s = fout.s - fin.s; /* (weights then saturate: counted) */
    q->fw = sr_fx_make(16, s);
    q->shift = fin.s + s - fout.s;
    q->w = malloc(sizeof(int64_t) * nw);
    q->b = malloc(sizeof(int64_t) * c->sh.cout);
    uint64_t *pat =
        malloc(sizeof(uint64_t) * (nw > c->sh.cout ? nw : c->sh.cout));
    if (q->w == NULL || q->b == NULL || pat == NULL) {
        free(pat);
        return SR_ENOMEM;
    }
    *sat += sr_fx_quantise(nw, pat, c->w, q->fw);
    for (size_t i = 0; i < nw; i++)
        q->w[i] = sr_fxp_sext(pat[i], 16);
    *sat += sr_fx_quantise(c->sh.cout, pat, c->b, fout);
    for (size_t i = 0; i < c->sh.cout; i++)
        q->b[i] = sr_fxp_sext(pat[i], fout.bw);
    free(pat);
    return SR_OK;
}

/* see heads.h */
void
sr_heads_fx_clear(sr_heads_fx *q)
{
    if (q == NULL)
        return;
    qconv_clear(&q->conv0);
    sr_rnnpool_fx_clear(&q->rnn);
    for (size_t b = 0; b < SR_HEADS_MAX_BLOCKS; b++) {
        qconv_clear(&q->expand[b]);
        qconv_clear(&q->dw[b]);
        qconv_clear(&q->project[b]);
    }
    for (size_t j = 0; j < SR_HEADS_MAX_STAGES; j++) {
        qconv_clear(&q->loc[j]);
        qconv_clear(&q->conf[j]);
    }
    free(q->tab_rsq);
    memset(q, 0, sizeof *q);
}

/* see heads.h */
int
sr_heads_fx_init(sr_heads_fx *q, const sr_heads_float *net,
                 const sr_heads_fmt *f, size_t *saturated)
{
    SR_REQUIRE(q != NULL && net != NULL && f != NULL);
    SR_REQUIRE(f->in.bw == 16 && f->act.bw == 16 && f->l2.bw == 16 &&
               f->out.bw == 16);
    SR_REQUIRE(f->rnn.x.bw == f->act.bw && f->rnn.x.s == f->act.s);
    SR_REQUIRE(2u * f->act.s >= f->ss.s && f->act.s + f->r.s >= f->l2.s);
    SR_REQUIRE(f->ss.bw <= 62 && f->r.bw <= 62 && f->rnn.h.s >= f->act.s);
    memset(q, 0, sizeof *q);
    q->cfg = net->cfg;
    q->dims = net->dims;
    q->f = *f;
    size_t sat = 0, rsat = 0;
    int rc = qconv_init(&q->conv0, &net->conv0, f->in, f->act, &sat);
    if (rc == SR_OK)
        rc = sr_rnnpool_fx_init(&q->rnn, &net->rnn, &f->rnn, &rsat);
    sat += rsat;
    sr_fx cur = f->rnn.h;
    size_t nb = 0;
    for (size_t j = 0; j < q->cfg.nstages && rc == SR_OK; j++) {
        for (size_t b = 0; b < q->cfg.stage[j].n && rc == SR_OK; b++, nb++) {
            const sr_heads_block *B = &net->block[nb];
            q->has_expand[nb] = B->has_expand;
            q->residual[nb] = B->residual;
            sr_fx din = cur;
            if (B->has_expand) {
                rc = qconv_init(&q->expand[nb], &B->expand, cur, f->act, &sat);
                din = f->act;
            }
            if (rc == SR_OK)
                rc = qconv_init(&q->dw[nb], &B->dw, din, f->act, &sat);
            if (rc == SR_OK)
                rc = qconv_init(&q->project[nb], &B->project, f->act, f->act,
                                &sat);
            cur = f->act;
        }
        const sr_fx hin = j + 1 < q->cfg.nstages ? f->l2 : cur;
        if (rc == SR_OK)
            rc = qconv_init(&q->loc[j], &net->loc[j], hin, f->out, &sat);
        if (rc == SR_OK)
            rc = qconv_init(&q->conf[j], &net->conf[j], hin, f->out, &sat);
    }
    if (rc == SR_OK && (q->tab_rsq = malloc(sizeof *q->tab_rsq)) == NULL)
        rc = SR_ENOMEM;
    if (rc != SR_OK) {
        sr_heads_fx_clear(q);
        return rc;
    }
    sr_math_plan_make(&q->rsq, SR_MATH_RSQRT, f->r, f->ss, NULL);
    sr_math_tab_fill(q->tab_rsq, &q->rsq);
    if (saturated != NULL)
        *saturated = sat;
    return SR_OK;
}

static void
qconv_run(const sr_heads_qconv *c, size_t *H, size_t *W, int64_t *y,
          const int64_t *x, size_t *wraps)
{
    sr_conv2d_fx(&c->sh, *H, *W, y, x, c->w, c->b, c->shift, c->fout.bw, wraps);
    *H = sr_conv2d_out(*H, c->sh.k, c->sh.stride, c->sh.pad);
    *W = sr_conv2d_out(*W, c->sh.k, c->sh.stride, c->sh.pad);
    if (c->relu6)
        sr_relu6_fx(*H * *W * c->sh.cout, y, (int64_t)6 << c->fout.s);
}

/* L2Norm of P pixels of C channels (heads.h): y from x (act). */
static int
l2norm_fx(const sr_heads_fx *q, size_t P, size_t C, int64_t *y,
          const int64_t *x, size_t *wraps)
{
    const sr_heads_fmt *f = &q->f;
    uint64_t *ss = malloc(sizeof(uint64_t) * 2 * (P ? P : 1));
    if (ss == NULL)
        return SR_ENOMEM;
    uint64_t *r = ss + P;
    const unsigned sh1 = 2u * f->act.s - f->ss.s;
    const unsigned sh2 = f->act.s + f->r.s - f->l2.s;
    for (size_t p = 0; p < P; p++) {
        int64_t acc = 0;
        for (size_t c = 0; c < C; c++)
            acc += x[p * C + c] * x[p * C + c];
        ss[p] =
            (uint64_t)sr_fx_fit(sr_fx_floor_shift(acc, sh1), f->ss.bw, wraps) &
            sr_mask(f->ss.bw);
    }
    sr_math_plain_run(&q->rsq, q->tab_rsq, P, r, ss);
    for (size_t p = 0; p < P; p++) {
        const int64_t rv = sr_fxp_sext(r[p], f->r.bw);
        for (size_t c = 0; c < C; c++)
            y[p * C + c] = sr_fx_fit(sr_fx_floor_shift(x[p * C + c] * rv, sh2),
                                     f->l2.bw, wraps);
    }
    free(ss);
    return SR_OK;
}

/* see heads.h */
int
sr_heads_fx_run(const sr_heads_fx *q, int64_t *loc, int64_t *conf,
                const int64_t *img, sr_heads_fx_stats *stats)
{
    const sr_heads_cfg *cfg = &q->cfg;
    const sr_heads_dims *d = &q->dims;
    sr_heads_fx_stats st = {0, 0, 0};
    int64_t *buf = malloc(sizeof(int64_t) * 4 * d->maxel);
    if (buf == NULL)
        return SR_ENOMEM;
    int64_t *x = buf, *e = buf + d->maxel, *t = e + d->maxel, *u = t + d->maxel;
    size_t H = cfg->height, W = cfg->width;

    qconv_run(&q->conv0, &H, &W, t, img, &st.conv);
    int rc = sr_rnnpool_fx_map(&q->rnn, H, W, cfg->pstride, e, t, &st.rnnpool);
    const size_t C = 4 * cfg->hid2;
    for (size_t y = 0; y < d->h1 && rc == SR_OK; y++)
        for (size_t xx = 0; xx < d->w1; xx++) {
            const size_t sy = y < d->hp ? y : d->hp - 1;
            const size_t sx = xx < d->wp ? xx : d->wp - 1;
            memcpy(x + (y * d->w1 + xx) * C, e + (sy * d->wp + sx) * C,
                   sizeof(int64_t) * C);
        }
    H = d->h1;
    W = d->w1;
    sr_fx cur = q->f.rnn.h;
    size_t nb = 0;
    for (size_t j = 0; j < cfg->nstages && rc == SR_OK; j++) {
        for (size_t b = 0; b < cfg->stage[j].n; b++, nb++) {
            size_t h = H, w = W;
            const int64_t *in = x;
            if (q->has_expand[nb]) {
                qconv_run(&q->expand[nb], &h, &w, e, x, &st.conv);
                in = e;
            }
            qconv_run(&q->dw[nb], &h, &w, t, in, &st.conv);
            qconv_run(&q->project[nb], &h, &w, u, t, &st.conv);
            const size_t n = h * w * q->project[nb].sh.cout;
            if (q->residual[nb]) {
                const unsigned sh = cur.s - q->f.act.s;
                for (size_t i = 0; i < n; i++)
                    u[i] = sr_fx_fit(u[i] + sr_fx_floor_shift(x[i], sh), 16,
                                     &st.conv);
            }
            memcpy(x, u, sizeof(int64_t) * n);
            H = h;
            W = w;
            cur = q->f.act;
        }
        const size_t Cs = d->src_c[j], P = H * W;
        const int64_t *src = x;
        if (j + 1 < cfg->nstages) {
            rc = l2norm_fx(q, P, Cs, u, x, &st.l2);
            src = u;
        }
        if (rc != SR_OK)
            break;
        size_t h = H, w = W;
        qconv_run(&q->loc[j], &h, &w, e, src, &st.conv);
        memcpy(loc + d->src_off[j] * 4, e, sizeof(int64_t) * P * 4);
        h = H;
        w = W;
        qconv_run(&q->conf[j], &h, &w, t, src, &st.conv);
        const size_t K = cfg->classes, Kc = sr_heads_conf_channels(cfg, j);
        sr_maxout_fx(P, Kc, Kc - K + 1, conf + d->src_off[j] * K, t);
    }
    free(buf);
    if (stats != NULL)
        *stats = st;
    return rc;
}

/* see heads.h */
void
sr_heads_count(sr_heads_counts *c, const sr_heads_cfg *cfg,
               const sr_heads_dims *d)
{
    memset(c, 0, sizeof *c);
    const size_t R = cfg->patch, h1 = cfg->hid1, h2 = cfg->hid2;
    c->patches = d->hp * d->wp;
    c->rnn1_steps = R;
    c->rnn1_per_step = c->patches * 2 * R * h1;
    c->rnn2_steps = R;
    c->rnn2_per_step = c->patches * 4 * h2;
    c->sigmoid =
        c->rnn1_steps * c->rnn1_per_step + c->rnn2_steps * c->rnn2_per_step;
    c->tanh = c->sigmoid;
    /* MACs: conv0, RNN products, blocks, heads */
    size_t macs = d->h0 * d->w0 * cfg->conv0 * 9;
    c->relu6 = d->h0 * d->w0 * cfg->conv0;
    macs += c->patches * R * 2 * R * (cfg->conv0 + h1) * h1;
    macs += c->patches * R * 4 * (h1 + h2) * h2;
    size_t H = d->h1, W = d->w1, C = 4 * h2;
    for (size_t j = 0; j < cfg->nstages; j++) {
        const sr_heads_stage *s = &cfg->stage[j];
        for (size_t b = 0; b < s->n; b++) {
            const size_t st = b == 0 ? s->s : 1, hid = C * s->t;
            if (s->t != 1) {
                macs += H * W * C * hid;
                c->relu6 += H * W * hid;
            }
            H = sr_conv2d_out(H, 3, st, 1);
            W = sr_conv2d_out(W, 3, st, 1);
            macs += H * W * hid * 9 + H * W * hid * s->c;
            c->relu6 += H * W * hid;
            C = s->c;
        }
        if (j + 1 < cfg->nstages) {
            c->rsqrt_per_source[j] = H * W;
            c->rsqrt += H * W;
            macs += 2 * H * W * C; /* squares and x r */
        }
        macs += H * W * C * 9 * (4 + sr_heads_conf_channels(cfg, j));
    }
    c->macs = macs;
}
