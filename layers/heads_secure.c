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
    const sr_lanes ls = {L, 1};
    return sr_heads_secure_run_lanes(&ls, NULL, S, loc, conf, img, q, stats);
}

/* see heads_secure.h */
int
sr_heads_secure_infer(sr_lane *L, const sr_heads_sec *S, int64_t *loc,
                      int64_t *conf, const int64_t *img, const sr_heads_fx *q,
                      sr_heads_sec_stats *stats)
{
    const sr_lanes ls = {L, 1};
    return sr_heads_secure_infer_lanes(&ls, NULL, S, loc, conf, img, q, stats);
}

/* ---- several lanes and ranks ------------------------------------------ */

/*
 * One image over the R x T lanes of a party: every stage cuts its output
 * units (pixels, patches) into G = R T contiguous ranges, range
 * g = rank T + t = units [g U / G, (g + 1) U / G) on lane t of this rank
 * (both parties cut alike: U, R, T are public), the lanes of the rank run
 * in OpenMP threads, then the ranks allgather the stage's output map.
 */
typedef struct par_ctx {
    const sr_lanes *ls;
    const sr_heads_par *par; /* NULL: one rank */
    unsigned rank, ranks, T;
    size_t *off, *len;         /* [ranks], the gather's ranges */
    sr_heads_sec_stats *lane;  /* [T] per-lane bytes and rounds; the
                                  rank's seconds (critical path) in
                                  lane[0].seconds */
    sr_heads_sec_stats *stage; /* [T] per-lane figures of one stage */
} par_ctx;

/* One lane's range of a stage: units [u0, u0 + nu), nu >= 1. */
typedef int (*stage_fn)(sr_lane *L, size_t u0, size_t nu, void *arg,
                        sr_heads_sec_stats *st);

/*
 * The first unit of range g of G: ranges start at multiples of
 * SR_HEADS_ALIGN units (the last one ends at units), so that every
 * bit-packed message of a lane's call fills whole bytes when the one-lane
 * call's does: the lanes' bytes add up to the one-lane bytes exactly.
 */
#define SR_HEADS_ALIGN 8
static size_t
cut(size_t units, size_t g, size_t G)
{
    const size_t blocks = (units + SR_HEADS_ALIGN - 1) / SR_HEADS_ALIGN;
    const size_t u = blocks * g / G * SR_HEADS_ALIGN; /* no overflow: small */
    return u < units ? u : units;
}

/*
 * Runs fn over units split on the party's lanes, then (ranks > 1) the
 * allgather of buf [units][per] (buf NULL: nothing to gather).  The
 * gather runs even after an error so that every rank makes the same
 * collective calls.  rc: the error so far (the stage is skipped unless
 * SR_OK); returns the new one.
 */
static int
stage_run(par_ctx *pc, int rc, size_t units, stage_fn fn, void *arg,
          uint64_t *buf, size_t per, unsigned part)
{
    const unsigned T = pc->T;
    const size_t G = (size_t)pc->ranks * T;
    memset(pc->stage, 0, sizeof *pc->stage * T);
    if (rc == SR_OK) {
        int err = SR_OK;
#pragma omp parallel for num_threads((int)T) schedule(static, 1) if (T > 1)
        for (unsigned t = 0; t < T; t++) {
            const size_t g = (size_t)pc->rank * T + t;
            const size_t u0 = cut(units, g, G), u1 = cut(units, g + 1, G);
            sr_lane *L = &pc->ls->lane[t];
            int r = SR_OK;
            if (u1 > u0) {
                r = fn(L, u0, u1 - u0, arg, &pc->stage[t]);
                /* the lane's last message must leave before the barrier:
                 * the peer lane may be waiting for it */
                sr_chan_flush(&L->chan);
                if (r == SR_OK)
                    r = sr_chan_error(&L->chan);
            }
            if (r != SR_OK) {
#pragma omp critical(sr_heads_stage_rc)
                if (err == SR_OK)
                    err = r;
            }
        }
        rc = err;
    }
    /* bytes summed, per-lane totals (rounds: max at the end), seconds:
     * the slowest lane of the stage (the critical path) */
    for (unsigned p = 0; p < SR_HS_NPARTS; p++) {
        double s = 0;
        for (unsigned t = 0; t < T; t++) {
            pc->lane[t].bytes[p] += pc->stage[t].bytes[p];
            pc->lane[t].rounds[p] += pc->stage[t].rounds[p];
            s = pc->stage[t].seconds[p] > s ? pc->stage[t].seconds[p] : s;
        }
        pc->lane[0].seconds[p] += s;
    }
    if (pc->ranks > 1 && buf != NULL) {
        for (unsigned k = 0; k < pc->ranks; k++) {
            const size_t a = cut(units, (size_t)k * T, G);
            const size_t b = cut(units, (size_t)(k + 1) * T, G);
            pc->off[k] = a * per;
            pc->len[k] = (b - a) * per;
        }
        const double t0 = sr_now();
        const int g = pc->par->allgather(pc->par->ctx, buf, units * per,
                                         pc->off, pc->len);
        pc->lane[0].seconds[part] += sr_now() - t0;
        if (rc == SR_OK)
            rc = g;
    }
    return rc;
}

/* A convolution stage and its elementwise follow-ups. */
typedef struct conv_job {
    const sr_heads_qconv *pc, *kc; /* public, the server's (or NULL) */
    size_t H, W;                   /* input map */
    uint64_t *y;                   /* output [Ho Wo][cout] */
    const uint64_t *x;
    /* residual (res != NULL): y += to16(TR(res, rsh)) on the range, res
     * [Ho Wo][cout] overwritten there */
    uint64_t *res;
    unsigned rsh;
    /* max-out (mo != NULL): mo [Ho Wo][K] = max-out of y, m channels */
    uint64_t *mo;
    size_t K, m;
    unsigned mbw;
} conv_job;

static int
conv_fn(sr_lane *L, size_t u0, size_t nu, void *arg, sr_heads_sec_stats *st)
{
    const conv_job *j = arg;
    const sr_heads_qconv *pc = j->pc;
    const size_t co = pc->sh.cout;
    const sr_conv2d_fmt f = {pc->fin.bw, pc->fw.bw, pc->shift, pc->fout.bw};
    uint64_t *y = j->y + u0 * co;
    mark m = mark_now(L);
    int rc =
        sr_conv2d_secure(L, nu, y, j->x, j->kc ? j->kc->w : NULL,
                         j->kc ? j->kc->b : NULL, &pc->sh, j->H, j->W, u0, f);
    mark_add(L, st, SR_HS_CONV, &m);
    if (rc == SR_OK && pc->relu6) {
        m = mark_now(L);
        rc = sr_relu6_secure(L, nu * co, y, y, (uint64_t)6 << pc->fout.s,
                             pc->fout.bw);
        mark_add(L, st, SR_HS_RELU6, &m);
    }
    if (rc == SR_OK && j->res != NULL) {
        /* y += TR(x, s_x - s_act), back to 16 bits */
        uint64_t *r = j->res + u0 * co;
        const size_t n = nu * co;
        m = mark_now(L);
        if (j->rsh > 0) {
            rc = sr_trunc_reduce(L, n, r, r, 16, j->rsh);
            if (rc == SR_OK)
                rc = to16(L, n, r, 16 - j->rsh);
        }
        mark_add(L, st, SR_HS_L2NORM, &m);
        for (size_t i = 0; i < n; i++)
            y[i] = (y[i] + r[i]) & sr_mask(16);
    }
    if (rc == SR_OK && j->mo != NULL) {
        m = mark_now(L);
        rc = sr_maxout_secure(L, nu, j->mo + u0 * j->K, y, co, j->m, j->mbw);
        mark_add(L, st, SR_HS_MAXOUT, &m);
    }
    return rc;
}

/*
 * Runs the convolution stage j (output pixels split over the lanes), then
 * gathers j->mo (max-out) or j->y.  *H, *W become the output size.
 */
static int
conv_stage(par_ctx *pc, int rc, conv_job *j, size_t *H, size_t *W)
{
    const sr_conv2d_shape *sh = &j->pc->sh;
    const size_t Ho = sr_conv2d_out(*H, sh->k, sh->stride, sh->pad);
    const size_t Wo = sr_conv2d_out(*W, sh->k, sh->stride, sh->pad);
    j->H = *H;
    j->W = *W;
    rc = stage_run(pc, rc, Ho * Wo, conv_fn, j, j->mo ? j->mo : j->y,
                   j->mo ? j->K : sh->cout, j->mo ? SR_HS_MAXOUT : SR_HS_CONV);
    *H = Ho;
    *W = Wo;
    return rc;
}

typedef struct rnn_job {
    const sr_heads_sec *S;
    const sr_rnnpool_fx *q;
    uint64_t *y;
    const uint64_t *x;
    size_t H, W, stride, F;
} rnn_job;

static int
rnn_fn(sr_lane *L, size_t u0, size_t nu, void *arg, sr_heads_sec_stats *st)
{
    const rnn_job *j = arg;
    mark m = mark_now(L);
    const int rc =
        sr_rnnpool_secure_map_range(L, &j->S->rnn, nu, j->y + u0 * j->F, j->x,
                                    j->H, j->W, j->stride, u0, j->q);
    mark_add(L, st, SR_HS_RNNPOOL, &m);
    return rc;
}

typedef struct l2_job {
    const sr_heads_sec *S;
    uint64_t *y;
    const uint64_t *x;
    size_t C;
} l2_job;

static int
l2_fn(sr_lane *L, size_t u0, size_t nu, void *arg, sr_heads_sec_stats *st)
{
    const l2_job *j = arg;
    mark m = mark_now(L);
    const int rc =
        l2norm_sec(L, j->S, nu, j->C, j->y + u0 * j->C, j->x + u0 * j->C);
    mark_add(L, st, SR_HS_L2NORM, &m);
    return rc;
}

/* The network on the rank's lanes (sr_heads_secure_run's body). */
static int
run_net(par_ctx *pc, const sr_heads_sec *S, uint64_t *buf, uint64_t *loc,
        uint64_t *conf, const uint64_t *img, const sr_heads_fx *q)
{
    const sr_heads_fx *pb = S->pub;
    const sr_heads_cfg *cfg = &pb->cfg;
    const sr_heads_dims *d = &pb->dims;
    uint64_t *x = buf, *e = buf + d->maxel, *t = e + d->maxel,
             *u = t + d->maxel;
    size_t H = cfg->height, W = cfg->width;
    int rc = SR_OK;

    conv_job cj = {
        .pc = &pb->conv0, .kc = q ? &q->conv0 : NULL, .y = t, .x = img};
    rc = conv_stage(pc, rc, &cj, &H, &W);
    const size_t R = pb->rnn.rows, F = 4 * cfg->hid2;
    rnn_job rj = {.S = S,
                  .q = q ? &q->rnn : NULL,
                  .y = e,
                  .x = t,
                  .H = H,
                  .W = W,
                  .stride = cfg->pstride,
                  .F = F};
    SR_REQUIRE(H >= R && W >= R);
    rc = stage_run(pc, rc,
                   ((H - R) / cfg->pstride + 1) * ((W - R) / cfg->pstride + 1),
                   rnn_fn, &rj, e, F, SR_HS_RNNPOOL);
    /* replicate pad: copies of shares */
    for (size_t y = 0; y < d->h1 && rc == SR_OK; y++)
        for (size_t xx = 0; xx < d->w1; xx++) {
            const size_t sy = y < d->hp ? y : d->hp - 1;
            const size_t sx = xx < d->wp ? xx : d->wp - 1;
            memcpy(x + (y * d->w1 + xx) * F, e + (sy * d->wp + sx) * F,
                   sizeof(uint64_t) * F);
        }
    H = d->h1;
    W = d->w1;
    sr_fx cur = pb->f.rnn.h;
    size_t nb = 0;
    /* every rank walks every stage (the gathers are collective) */
    for (size_t j = 0; j < cfg->nstages; j++) {
        for (size_t b = 0; b < cfg->stage[j].n; b++, nb++) {
            size_t h = H, w = W;
            const uint64_t *in = x;
            if (pb->has_expand[nb]) {
                cj = (conv_job){.pc = &pb->expand[nb],
                                .kc = q ? &q->expand[nb] : NULL,
                                .y = e,
                                .x = x};
                rc = conv_stage(pc, rc, &cj, &h, &w);
                in = e;
            }
            cj = (conv_job){.pc = &pb->dw[nb],
                            .kc = q ? &q->dw[nb] : NULL,
                            .y = t,
                            .x = in};
            rc = conv_stage(pc, rc, &cj, &h, &w);
            cj = (conv_job){.pc = &pb->project[nb],
                            .kc = q ? &q->project[nb] : NULL,
                            .y = u,
                            .x = t};
            if (pb->residual[nb]) {
                cj.res = x;
                cj.rsh = cur.s - pb->f.act.s;
            }
            rc = conv_stage(pc, rc, &cj, &h, &w);
            if (rc == SR_OK)
                memcpy(x, u,
                       sizeof(uint64_t) * h * w * pb->project[nb].sh.cout);
            H = h;
            W = w;
            cur = pb->f.act;
        }
        const size_t Cs = d->src_c[j], P = H * W;
        const uint64_t *src = x;
        if (j + 1 < cfg->nstages) {
            l2_job lj = {.S = S, .y = u, .x = x, .C = Cs};
            rc = stage_run(pc, rc, P, l2_fn, &lj, u, Cs, SR_HS_L2NORM);
            src = u;
        }
        size_t h = H, w = W;
        cj = (conv_job){.pc = &pb->loc[j],
                        .kc = q ? &q->loc[j] : NULL,
                        .y = loc + d->src_off[j] * 4,
                        .x = src};
        rc = conv_stage(pc, rc, &cj, &h, &w);
        h = H;
        w = W;
        const size_t K = cfg->classes, Kc = sr_heads_conf_channels(cfg, j);
        cj = (conv_job){.pc = &pb->conf[j],
                        .kc = q ? &q->conf[j] : NULL,
                        .y = t,
                        .x = src,
                        .mo = conf + d->src_off[j] * K,
                        .K = K,
                        .m = Kc - K + 1,
                        .mbw = pb->f.out.bw};
        rc = conv_stage(pc, rc, &cj, &h, &w);
    }
    return rc;
}

/* see heads_secure.h */
int
sr_heads_secure_run_lanes(const sr_lanes *ls, const sr_heads_par *par,
                          const sr_heads_sec *S, uint64_t *loc, uint64_t *conf,
                          const uint64_t *img, const sr_heads_fx *q,
                          sr_heads_sec_stats *stats)
{
    SR_REQUIRE(ls != NULL && ls->count >= 1 && ls->lane != NULL);
    SR_REQUIRE(par == NULL || (par->ranks >= 1 && par->rank < par->ranks &&
                               (par->ranks == 1 || par->allgather != NULL)));
    SR_REQUIRE(S != NULL && S->pub != NULL && S->tab_rsq != NULL);
    const sr_heads_dims *d = &S->pub->dims;
    par_ctx pc = {.ls = ls,
                  .par = par,
                  .rank = par ? par->rank : 0,
                  .ranks = par ? par->ranks : 1,
                  .T = ls->count};
    pc.off = calloc(2 * (size_t)pc.ranks, sizeof *pc.off);
    pc.lane = calloc(2 * (size_t)pc.T, sizeof *pc.lane);
    uint64_t *buf = malloc(sizeof(uint64_t) * 4 * d->maxel);
    int rc = SR_OK;
    if (pc.off == NULL || pc.lane == NULL || buf == NULL)
        rc = SR_ENOMEM;
    /* a rank that cannot allocate returns at once (with ranks > 1 the
     * others' allgather then fails or waits: the callback's business) */
    if (pc.off != NULL && pc.lane != NULL && buf != NULL) {
        pc.len = pc.off + pc.ranks;
        pc.stage = pc.lane + pc.T;
        rc = run_net(&pc, S, buf, loc, conf, img, q);
    }
    if (stats != NULL && pc.lane != NULL)
        for (unsigned p = 0; p < SR_HS_NPARTS; p++) {
            uint64_t r = 0;
            for (unsigned t = 0; t < pc.T; t++) {
                stats->bytes[p] += pc.lane[t].bytes[p];
                r = pc.lane[t].rounds[p] > r ? pc.lane[t].rounds[p] : r;
            }
            stats->rounds[p] += r;
            stats->seconds[p] += pc.lane[0].seconds[p];
        }
    free(buf);
    free(pc.lane);
    free(pc.off);
    return rc;
}

/* see heads_secure.h */
int
sr_heads_secure_infer_lanes(const sr_lanes *ls, const sr_heads_par *par,
                            const sr_heads_sec *S, int64_t *loc, int64_t *conf,
                            const int64_t *img, const sr_heads_fx *q,
                            sr_heads_sec_stats *stats)
{
    SR_REQUIRE(ls != NULL && ls->count >= 1 && ls->lane != NULL);
    SR_REQUIRE(par == NULL || (par->ranks >= 1 && par->rank < par->ranks));
    sr_lane *L0 = &ls->lane[0];
    const sr_heads_fx *pb = S->pub;
    const size_t npx = pb->cfg.height * pb->cfg.width;
    const size_t nl = pb->dims.priors * 4,
                 nc = pb->dims.priors * pb->cfg.classes;
    const int rank0 = par == NULL || par->rank == 0;
    uint64_t *xs = malloc(sizeof(uint64_t) * (npx ? npx : 1));
    uint64_t *ys = malloc(sizeof(uint64_t) * (nl + nc ? nl + nc : 1));
    int rc = SR_OK;
    if (xs == NULL || ys == NULL) {
        rc = SR_ENOMEM;
        goto out;
    }
    /* the client's image as shares: its patterns, the server's zeros */
    for (size_t i = 0; i < npx; i++)
        xs[i] = img != NULL ? (uint64_t)img[i] & sr_mask(pb->f.in.bw) : 0;
    rc = sr_heads_secure_run_lanes(ls, par, S, ys, ys + nl, xs, q, stats);
    /* flow: server -> client (rank 0, lane 0), the server's shares */
    if (rc == SR_OK && rank0) {
        rc = sr_share_reveal(L0, nl + nc, ys, ys, pb->f.out.bw, SR_CLIENT);
        sr_chan_flush(&L0->chan);
    }
    if (rc == SR_OK && rank0 && !sr_lane_is_server(L0)) {
        for (size_t i = 0; i < nl; i++)
            loc[i] = sr_fxp_sext(ys[i], pb->f.out.bw);
        for (size_t i = 0; i < nc; i++)
            conf[i] = sr_fxp_sext(ys[nl + i], pb->f.out.bw);
    }
out:
    free(ys);
    free(xs);
    return rc;
}
