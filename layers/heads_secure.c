/*
 * layers/heads_secure.c -- the secure head-counting model (see
 * heads_secure.h).
 */
#include "layers/heads_secure.h"

#include <stdlib.h>
#include <string.h>

#include "layers/conv2d_secure.h"
#include "layers/pool_secure.h"
#include "math/secure.h"
#include "protocols/ext.h"
#include "protocols/mult.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

static void
strip_conv(sr_heads_qconv *c)
{
    c->w = NULL;
    c->b = NULL;
}

static void
strip_cell(sr_rnnpool_cell_fx *c)
{
    c->W = c->U = c->b_gate = c->b_update = NULL;
    c->k1 = c->k2 = 0;
}

/* see heads_secure.h */
void
sr_heads_public_of(sr_heads_fx *pub, const sr_heads_fx *q)
{
    *pub = *q;
    strip_conv(&pub->conv0);
    strip_cell(&pub->rnn.rnn1);
    strip_cell(&pub->rnn.rnn2);
    pub->rnn.tab_sig = pub->rnn.tab_tnh = NULL;
    for (size_t b = 0; b < SR_HEADS_MAX_BLOCKS; b++) {
        strip_conv(&pub->expand[b]);
        strip_conv(&pub->dw[b]);
        strip_conv(&pub->project[b]);
    }
    for (size_t j = 0; j < SR_HEADS_MAX_STAGES; j++) {
        strip_conv(&pub->loc[j]);
        strip_conv(&pub->conf[j]);
    }
    pub->tab_rsq = NULL;
}

/* see heads_secure.h */
int
sr_heads_sec_init(sr_heads_sec *S, const sr_heads_fx *pub)
{
    SR_REQUIRE(S != NULL && pub != NULL);
    memset(S, 0, sizeof *S);
    S->pub = pub;
    const sr_rnnpool_pub rp = {.rows = pub->rnn.rows,
                               .cin = pub->rnn.rnn1.in,
                               .h1 = pub->rnn.rnn1.hid,
                               .h2 = pub->rnn.rnn2.hid,
                               .f = pub->rnn.f};
    int rc = sr_rnnpool_sec_init(&S->rnn, &rp);
    if (rc == SR_OK && (S->tab_rsq = malloc(sizeof *S->tab_rsq)) == NULL)
        rc = SR_ENOMEM;
    if (rc != SR_OK) {
        sr_heads_sec_clear(S);
        return rc;
    }
    sr_math_plan_make(&S->rsq, SR_MATH_RSQRT, pub->f.r, pub->f.ss, NULL);
    sr_math_tab_fill(S->tab_rsq, &S->rsq);
    return SR_OK;
}

/* see heads_secure.h */
void
sr_heads_sec_clear(sr_heads_sec *S)
{
    if (S == NULL)
        return;
    sr_rnnpool_sec_clear(&S->rnn);
    free(S->tab_rsq);
    memset(S, 0, sizeof *S);
}

/* see heads_secure.h */
const char *
sr_heads_part_name(unsigned part)
{
    static const char *names[SR_HS_NPARTS] = {"conv", "relu6", "rnnpool",
                                              "l2norm", "maxout"};
    SR_REQUIRE(part < SR_HS_NPARTS);
    return names[part];
}

/* ---- statistics ----------------------------------------------------- */

typedef struct mark {
    double t;
    sr_chan_stats s;
} mark;

static mark
mark_now(const sr_lane *L)
{
    mark m = {sr_now(), sr_lane_stats(L)};
    return m;
}

static void
mark_add(const sr_lane *L, sr_heads_sec_stats *st, unsigned part, const mark *m)
{
    if (st == NULL)
        return;
    const sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), m->s);
    st->seconds[part] += sr_now() - m->t;
    st->bytes[part] += d.bytes_sent + d.bytes_recv;
    st->rounds[part] += d.rounds;
}

/* ---- layers ----------------------------------------------------------- */

static unsigned
ceil_log2(size_t v)
{
    unsigned e = 0;
    while (((size_t)1 << e) < v)
        e++;
    return e;
}

/* n shares over tb bits (a signed value that fits) -> 16-bit patterns. */
static int
to16(sr_lane *L, size_t n, uint64_t *a, unsigned tb)
{
    if (tb < 16)
        return sr_ext_signed(L, n, a, a, NULL, tb, 16, SR_MSB_NONE);
    for (size_t i = 0; i < n; i++)
        a[i] &= sr_mask(16);
    return SR_OK;
}

/*
 * One quantised convolution (+ ReLU6): pc public, kc the server's (NULL
 * on the client); *H, *W updated as the twin's qconv_run.
 */
static int
qconv_sec(sr_lane *L, const sr_heads_qconv *pc, const sr_heads_qconv *kc,
          size_t *H, size_t *W, uint64_t *y, const uint64_t *x,
          sr_heads_sec_stats *st)
{
    const sr_conv2d_fmt f = {pc->fin.bw, pc->fw.bw, pc->shift, pc->fout.bw};
    const size_t Ho = sr_conv2d_out(*H, pc->sh.k, pc->sh.stride, pc->sh.pad);
    const size_t Wo = sr_conv2d_out(*W, pc->sh.k, pc->sh.stride, pc->sh.pad);
    mark m = mark_now(L);
    int rc = sr_conv2d_secure(L, Ho * Wo, y, x, kc ? kc->w : NULL,
                              kc ? kc->b : NULL, &pc->sh, *H, *W, 0, f);
    mark_add(L, st, SR_HS_CONV, &m);
    *H = Ho;
    *W = Wo;
    if (rc == SR_OK && pc->relu6) {
        m = mark_now(L);
        rc = sr_relu6_secure(L, Ho * Wo * pc->sh.cout, y, y,
                             (uint64_t)6 << pc->fout.s, pc->fout.bw);
        mark_add(L, st, SR_HS_RELU6, &m);
    }
    return rc;
}

/* L2Norm of P pixels of C channels (heads.h): y (l2) from x (act). */
static int
l2norm_sec(sr_lane *L, const sr_heads_sec *S, size_t P, size_t C, uint64_t *y,
           const uint64_t *x)
{
    const sr_heads_fmt *f = &S->pub->f;
    const unsigned e = ceil_log2(C), wsq = 32 + e;
    const unsigned sh1 = 2u * f->act.s - f->ss.s;
    const unsigned sh2 = f->act.s + f->r.s - f->l2.s;
    SR_REQUIRE(wsq <= 64 && 16u + f->r.bw <= 64 && sh1 < wsq);
    const size_t n = P * C;
    uint64_t *X = sr_scratch_u64(L, n);
    uint64_t *sq = sr_scratch_u64(L, n);
    uint64_t *ss = sr_scratch_u64(L, P);
    uint64_t *r = sr_scratch_u64(L, P);
    int rc = SR_OK;
    if (X == NULL || sq == NULL || ss == NULL || r == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    /* exact squares over 32 + e bits, local channel sums */
    rc = sr_ext_signed(L, n, X, x, NULL, 16, 16 + e, SR_MSB_NONE);
    if (rc == SR_OK)
        rc = sr_mult(L, n, sq, x, X, 16, 16 + e, wsq, SR_MULT_SIGNED);
    if (rc != SR_OK)
        goto out;
    for (size_t p = 0; p < P; p++) {
        uint64_t a = 0;
        for (size_t c = 0; c < C; c++)
            a += sq[p * C + c];
        ss[p] = a & sr_mask(wsq);
    }
    rc = sr_trunc_reduce(L, P, ss, ss, wsq, sh1);
    if (rc == SR_OK && wsq - sh1 < f->ss.bw)
        rc =
            sr_ext_signed(L, P, ss, ss, NULL, wsq - sh1, f->ss.bw, SR_MSB_NONE);
    else
        for (size_t p = 0; p < P; p++)
            ss[p] &= sr_mask(f->ss.bw);
    /* r = rsqrt(ss), then y = TR(x r) to 16 bits */
    if (rc == SR_OK)
        rc = sr_math_run(L, &S->rsq, S->tab_rsq, P, r, ss);
    if (rc != SR_OK)
        goto out;
    for (size_t p = 0; p < P; p++)
        for (size_t c = 0; c < C; c++)
            X[p * C + c] = r[p];
    rc = sr_mult_tr(L, n, y, x, X, 16, f->r.bw, 16u + f->r.bw, sh2,
                    SR_MULT_SIGNED);
    if (rc == SR_OK)
        rc = to16(L, n, y, 16u + f->r.bw - sh2);
out:
    sr_scratch_release(L, r);
    sr_scratch_release(L, ss);
    sr_scratch_release(L, sq);
    sr_scratch_release(L, X);
    return rc;
}

/* see heads_secure.h */
int
sr_heads_secure_run(sr_lane *L, const sr_heads_sec *S, uint64_t *loc,
                    uint64_t *conf, const uint64_t *img, const sr_heads_fx *q,
                    sr_heads_sec_stats *stats)
{
    SR_REQUIRE(S != NULL && S->pub != NULL && S->tab_rsq != NULL);
    const sr_heads_fx *pb = S->pub;
    const sr_heads_cfg *cfg = &pb->cfg;
    const sr_heads_dims *d = &pb->dims;
    uint64_t *buf = sr_scratch_u64(L, 4 * d->maxel);
    if (buf == NULL)
        return SR_ENOMEM;
    uint64_t *x = buf, *e = buf + d->maxel, *t = e + d->maxel,
             *u = t + d->maxel;
    size_t H = cfg->height, W = cfg->width;

    int rc =
        qconv_sec(L, &pb->conv0, q ? &q->conv0 : NULL, &H, &W, t, img, stats);
    if (rc == SR_OK) {
        mark m = mark_now(L);
        rc = sr_rnnpool_secure_map(L, &S->rnn, e, t, H, W, cfg->pstride,
                                   q ? &q->rnn : NULL);
        mark_add(L, stats, SR_HS_RNNPOOL, &m);
    }
    /* replicate pad: copies of shares */
    const size_t C = 4 * cfg->hid2;
    for (size_t y = 0; y < d->h1 && rc == SR_OK; y++)
        for (size_t xx = 0; xx < d->w1; xx++) {
            const size_t sy = y < d->hp ? y : d->hp - 1;
            const size_t sx = xx < d->wp ? xx : d->wp - 1;
            memcpy(x + (y * d->w1 + xx) * C, e + (sy * d->wp + sx) * C,
                   sizeof(uint64_t) * C);
        }
    H = d->h1;
    W = d->w1;
    sr_fx cur = pb->f.rnn.h;
    size_t nb = 0;
    for (size_t j = 0; j < cfg->nstages && rc == SR_OK; j++) {
        for (size_t b = 0; b < cfg->stage[j].n && rc == SR_OK; b++, nb++) {
            size_t h = H, w = W;
            const uint64_t *in = x;
            if (pb->has_expand[nb]) {
                rc = qconv_sec(L, &pb->expand[nb], q ? &q->expand[nb] : NULL,
                               &h, &w, e, x, stats);
                in = e;
            }
            if (rc == SR_OK)
                rc = qconv_sec(L, &pb->dw[nb], q ? &q->dw[nb] : NULL, &h, &w, t,
                               in, stats);
            if (rc == SR_OK)
                rc = qconv_sec(L, &pb->project[nb], q ? &q->project[nb] : NULL,
                               &h, &w, u, t, stats);
            if (rc != SR_OK)
                break;
            const size_t n = h * w * pb->project[nb].sh.cout;
            if (pb->residual[nb]) {
                /* y += TR(x, s_x - s_act), back to 16 bits */
                const unsigned sh = cur.s - pb->f.act.s;
                mark m = mark_now(L);
                if (sh > 0) {
                    rc = sr_trunc_reduce(L, n, x, x, 16, sh);
                    if (rc == SR_OK)
                        rc = to16(L, n, x, 16 - sh);
                }
                mark_add(L, stats, SR_HS_L2NORM, &m);
                for (size_t i = 0; i < n; i++)
                    u[i] = (u[i] + x[i]) & sr_mask(16);
            }
            memcpy(x, u, sizeof(uint64_t) * n);
            H = h;
            W = w;
            cur = pb->f.act;
        }
        if (rc != SR_OK)
            break;
        const size_t Cs = d->src_c[j], P = H * W;
        const uint64_t *src = x;
        if (j + 1 < cfg->nstages) {
            mark m = mark_now(L);
            rc = l2norm_sec(L, S, P, Cs, u, x);
            mark_add(L, stats, SR_HS_L2NORM, &m);
            src = u;
        }
        size_t h = H, w = W;
        if (rc == SR_OK)
            rc = qconv_sec(L, &pb->loc[j], q ? &q->loc[j] : NULL, &h, &w, e,
                           src, stats);
        if (rc != SR_OK)
            break;
        memcpy(loc + d->src_off[j] * 4, e, sizeof(uint64_t) * P * 4);
        h = H;
        w = W;
        rc = qconv_sec(L, &pb->conf[j], q ? &q->conf[j] : NULL, &h, &w, t, src,
                       stats);
        const size_t K = cfg->classes, Kc = sr_heads_conf_channels(cfg, j);
        if (rc == SR_OK) {
            mark m = mark_now(L);
            rc = sr_maxout_secure(L, P, conf + d->src_off[j] * K, t, Kc,
                                  Kc - K + 1, pb->f.out.bw);
            mark_add(L, stats, SR_HS_MAXOUT, &m);
        }
    }
    sr_scratch_release(L, buf);
    return rc;
}

/* see heads_secure.h */
int
sr_heads_secure_infer(sr_lane *L, const sr_heads_sec *S, int64_t *loc,
                      int64_t *conf, const int64_t *img, const sr_heads_fx *q,
                      sr_heads_sec_stats *stats)
{
    const sr_heads_fx *pb = S->pub;
    const size_t npx = pb->cfg.height * pb->cfg.width;
    const size_t nl = pb->dims.priors * 4,
                 nc = pb->dims.priors * pb->cfg.classes;
    uint64_t *xs = sr_scratch_u64(L, npx);
    uint64_t *ys = sr_scratch_u64(L, nl + nc);
    int rc = SR_OK;
    if (xs == NULL || ys == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    /* the client's image as shares: its patterns, the server's zeros */
    for (size_t i = 0; i < npx; i++)
        xs[i] = img != NULL ? (uint64_t)img[i] & sr_mask(pb->f.in.bw) : 0;
    rc = sr_heads_secure_run(L, S, ys, ys + nl, xs, q, stats);
    /* flow: server -> client, the server's shares of loc and conf */
    if (rc == SR_OK)
        rc = sr_share_reveal(L, nl + nc, ys, ys, pb->f.out.bw, SR_CLIENT);
    if (rc == SR_OK && !sr_lane_is_server(L)) {
        for (size_t i = 0; i < nl; i++)
            loc[i] = sr_fxp_sext(ys[i], pb->f.out.bw);
        for (size_t i = 0; i < nc; i++)
            conf[i] = sr_fxp_sext(ys[nl + i], pb->f.out.bw);
    }
out:
    sr_scratch_release(L, ys);
    sr_scratch_release(L, xs);
    return rc;
}
