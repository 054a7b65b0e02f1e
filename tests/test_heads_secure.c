/*
 * tests/test_heads_secure.c -- the secure RNNPool layer against its
 * fixed-point twin (layers/rnnpool.h), bit for bit, on random small
 * layers (patches and the sliding map) over two lane pairs; rounds
 * independent of the number of patches; the whole head-counting model
 * against its twin on one lane pair, and one image over several lanes and
 * emulated ranks (sr_heads_secure_infer_lanes: the twin's outputs, the
 * one-lane bytes exactly in every part but the convolutions', whose
 * scatter ranges recompute halo rows; no more rounds per lane).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/prg.h"
#include "layers/conv2d_secure.h"
#include "layers/heads.h"
#include "layers/rnnpool.h"
#include "layers/rnnpool_secure.h"
#include "protocols/ot.h"
#include "protocols/share.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(heads_secure, .init = arm_alarm);

#define NLANES 2

static double
urand(uint64_t *s, double amp) /* uniform [-amp, amp) */
{
    return amp * (2.0 * (double)(sr_test_rand64(s) >> 11) * 0x1p-53 - 1.0);
}

static double *
rvec(uint64_t *s, size_t n, double amp)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = urand(s, amp);
    return v;
}

static void
cell(sr_rnnpool_cell_float *c, uint64_t *s, size_t in, size_t hid)
{
    c->in = in;
    c->hid = hid;
    c->W = rvec(s, in * hid, 0.6);
    c->U = rvec(s, hid * hid, 0.6);
    c->b_gate = rvec(s, hid, 1.0);
    c->b_update = rvec(s, hid, 1.0);
    c->zeta = urand(s, 2.0);
    c->nu = urand(s, 2.0) - 3.0;
}

static void
cell_free(sr_rnnpool_cell_float *c)
{
    free((void *)c->W);
    free((void *)c->U);
    free((void *)c->b_gate);
    free((void *)c->b_update);
}

struct job {
    sr_rnnpool_sec S;
    const sr_rnnpool_fx *q;
    int map;
    size_t n, H, W, stride;
    uint64_t *x[2];
    size_t ny;
    uint64_t *y[NLANES][2];
    uint64_t rounds[NLANES][2];
};

static int
party(sr_lane *L, void *arg)
{
    struct job *j = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    const int p = L->party;
    sr_chan_flush(&L->chan);
    const uint64_t r0 = sr_lane_stats(L).rounds;
    if (j->map)
        rc = sr_rnnpool_secure_map(L, &j->S, j->y[L->id][p], j->x[p], j->H,
                                   j->W, j->stride, sr_rnnpool_known(L, j->q));
    else
        rc = sr_rnnpool_secure_patches(L, &j->S, j->n, j->y[L->id][p], j->x[p],
                                       sr_rnnpool_known(L, j->q));
    sr_chan_flush(&L->chan);
    j->rounds[L->id][p] = sr_lane_stats(L).rounds - r0;
    return rc;
}

/*
 * A random layer (R, cin, h1, h2), nx input values; map: H x W with
 * stride, else n patches.  Returns the max rounds over lanes.
 */
static uint64_t
rnnpool_case(size_t R, size_t cin, size_t h1, size_t h2, int map, size_t n,
             size_t H, size_t W, size_t stride, uint64_t seed)
{
    uint64_t s = seed;
    sr_rnnpool_float p = {.rows = R, .cols = R};
    cell(&p.rnn1, &s, cin, h1);
    cell(&p.rnn2, &s, h1, h2);
    sr_heads_fmt hf;
    sr_heads_fmt_default(&hf);
    sr_rnnpool_fx q;
    cr_assert_eq(sr_rnnpool_fx_init(&q, &p, &hf.rnn, NULL), SR_OK);

    const size_t F = 4 * h2;
    size_t nx, ny;
    if (map) {
        nx = H * W * cin;
        ny = ((H - R) / stride + 1) * ((W - R) / stride + 1) * F;
    } else {
        nx = n * R * R * cin;
        ny = n * F;
    }
    double *xf = rvec(&s, nx, 3.0);
    int64_t *xi = malloc(nx * 8), *want = malloc(ny * 8);
    sr_heads_fx_quantise(nx, xi, xf, hf.rnn.x);
    size_t wraps = 0;
    if (map)
        cr_assert_eq(sr_rnnpool_fx_map(&q, H, W, stride, want, xi, &wraps),
                     SR_OK);
    else
        cr_assert_eq(sr_rnnpool_fx_patches(&q, n, want, xi, &wraps), SR_OK);

    struct job j = {.q = &q,
                    .map = map,
                    .n = n,
                    .H = H,
                    .W = W,
                    .stride = stride,
                    .ny = ny};
    sr_rnnpool_pub pub = sr_rnnpool_pub_of(&q);
    cr_assert_eq(sr_rnnpool_sec_init(&j.S, &pub), SR_OK);
    sr_prg prg;
    uint8_t key[16];
    sr_prg_derive_key(key, sr_test_seed(), "heads_secure");
    cr_assert_eq(sr_prg_init(&prg, key), SR_OK);
    j.x[0] = calloc(nx, 8);
    j.x[1] = calloc(nx, 8);
    for (size_t i = 0; i < nx; i++)
        j.x[1][i] = (uint64_t)xi[i] & sr_mask(16);
    sr_share_split(&prg, nx, j.x[0], j.x[1], j.x[1], 16);
    sr_prg_clear(&prg);
    for (int l = 0; l < NLANES; l++)
        for (int pa = 0; pa < 2; pa++)
            j.y[l][pa] = calloc(ny, 8);
    sr_test_opts o = {.nlanes = NLANES};
    cr_assert_eq(sr_test_run(party, &j, &o), SR_OK);
    uint64_t rounds = 0;
    for (int l = 0; l < NLANES; l++) {
        for (size_t i = 0; i < ny; i++) {
            const uint64_t got = (j.y[l][0][i] + j.y[l][1][i]) & sr_mask(16);
            cr_assert_eq(got, (uint64_t)want[i] & sr_mask(16),
                         "lane %d i %zu: got %llu want %lld", l, i,
                         (unsigned long long)got, (long long)want[i]);
        }
        for (int pa = 0; pa < 2; pa++) {
            rounds = j.rounds[l][pa] > rounds ? j.rounds[l][pa] : rounds;
            free(j.y[l][pa]);
        }
    }
    free(j.x[0]);
    free(j.x[1]);
    sr_rnnpool_sec_clear(&j.S);
    sr_rnnpool_fx_clear(&q);
    cell_free(&p.rnn1);
    cell_free(&p.rnn2);
    free(xf);
    free(xi);
    free(want);
    return rounds;
}

Test(heads_secure, rnnpool_patches)
{
    rnnpool_case(3, 2, 4, 3, 0, 3, 0, 0, 0, 101);
}

Test(heads_secure, rnnpool_patches_wide_state)
{
    /* hid 1 (ceil log2 = 0) and cin > hid */
    rnnpool_case(2, 5, 1, 2, 0, 2, 0, 0, 0, 102);
}

Test(heads_secure, rnnpool_map)
{
    /* 7 x 6 map, patch 4, stride 2: 2 x 2 patches */
    rnnpool_case(4, 3, 4, 4, 1, 0, 7, 6, 2, 103);
}

Test(heads_secure, rnnpool_map_two_chunks)
{
    /* 2 x 273 map, patch 2, stride 1: 272 = 256 + 16 patches */
    rnnpool_case(2, 1, 1, 1, 1, 0, 2, 273, 1, 106);
}

Test(heads_secure, rnnpool_rounds_independent_of_n)
{
    const uint64_t r1 = rnnpool_case(2, 2, 2, 2, 0, 1, 0, 0, 0, 104);
    const uint64_t r5 = rnnpool_case(2, 2, 2, 2, 0, 5, 0, 0, 0, 105);
    cr_assert_eq(r1, r5, "rounds %llu (n = 1) vs %llu (n = 5)",
                 (unsigned long long)r1, (unsigned long long)r5);
}

/* ---- the whole model, reduced configuration --------------------------- */

#include "layers/heads_secure.h"

struct model_job {
    sr_heads_fx q, pub;
    sr_heads_sec S[2]; /* by party: the server's from q, the client's from
                          the weight-free copy */
    const int64_t *img;
    int64_t *loc[NLANES], *conf[NLANES];
    sr_heads_sec_stats st[NLANES][2];
};

static int
model_party(sr_lane *L, void *arg)
{
    struct model_job *j = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    const int srv = sr_lane_is_server(L);
    return sr_heads_secure_infer(L, &j->S[L->party], srv ? NULL : j->loc[L->id],
                                 srv ? NULL : j->conf[L->id],
                                 srv ? NULL : j->img, sr_heads_known(L, &j->q),
                                 &j->st[L->id][L->party]);
}

/* A reduced model: 24 x 20 image, C0 2, patch 4 stride 2, h1 = h2 = 2,
 * stages (2, 8, 1, 1) [residual from the RNNPool format] and (2, 6, 2, 2)
 * [expansion, a residual block], K = 2. */
static void
small_cfg(sr_heads_cfg *cfg)
{
    sr_heads_cfg_default(cfg, 24, 20);
    cfg->conv0 = 2;
    cfg->patch = 4;
    cfg->pstride = 2;
    cfg->hid1 = 2;
    cfg->hid2 = 2;
    cfg->nstages = 2;
    cfg->stage[0] = (sr_heads_stage){2, 8, 1, 1};
    cfg->stage[1] = (sr_heads_stage){2, 6, 2, 2};
}

Test(heads_secure, model_end_to_end)
{
    sr_heads_cfg cfg;
    small_cfg(&cfg);
    char err[256];
    sr_heads_float net;
    cr_assert_eq(sr_heads_float_init(&net, &cfg, err, sizeof err), SR_OK, "%s",
                 err);
    sr_heads_float_random(&net, 7);
    sr_heads_fmt f;
    sr_heads_fmt_default(&f);
    struct model_job j;
    memset(&j, 0, sizeof j);
    cr_assert_eq(sr_heads_fx_init(&j.q, &net, &f, NULL), SR_OK);
    sr_heads_public_of(&j.pub, &j.q);
    cr_assert_null(j.pub.conv0.w);
    cr_assert_null(j.pub.rnn.rnn1.W);
    cr_assert_eq(sr_heads_sec_init(&j.S[SR_SERVER], &j.q), SR_OK);
    cr_assert_eq(sr_heads_sec_init(&j.S[SR_CLIENT], &j.pub), SR_OK);

    const sr_heads_dims *d = &j.q.dims;
    const size_t npx = cfg.height * cfg.width;
    const size_t nl = d->priors * 4, nc = d->priors * cfg.classes;
    uint64_t s = 77;
    double *imf = rvec(&s, npx, 1.0);
    int64_t *img = malloc(npx * 8), *wl = malloc(nl * 8), *wc = malloc(nc * 8);
    sr_heads_fx_quantise(npx, img, imf, f.in);
    sr_heads_fx_stats fst;
    cr_assert_eq(sr_heads_fx_run(&j.q, wl, wc, img, &fst), SR_OK);
    j.img = img;
    for (int l = 0; l < NLANES; l++) {
        j.loc[l] = calloc(nl, 8);
        j.conf[l] = calloc(nc, 8);
    }
    sr_test_opts o = {.nlanes = NLANES};
    cr_assert_eq(sr_test_run(model_party, &j, &o), SR_OK);
    for (int l = 0; l < NLANES; l++) {
        for (size_t i = 0; i < nl; i++)
            cr_assert_eq(j.loc[l][i], wl[i], "lane %d loc %zu: %lld vs %lld", l,
                         i, (long long)j.loc[l][i], (long long)wl[i]);
        for (size_t i = 0; i < nc; i++)
            cr_assert_eq(j.conf[l][i], wc[i], "lane %d conf %zu", l, i);
        free(j.loc[l]);
        free(j.conf[l]);
    }
    /* every part ran, and the lanes' bytes add up to the test's total */
    uint64_t sum = 0;
    for (int l = 0; l < NLANES; l++)
        for (unsigned k = 0; k < SR_HS_NPARTS; k++) {
            cr_assert_gt(j.st[l][SR_SERVER].bytes[k], 0, "part %s",
                         sr_heads_part_name(k));
            cr_assert_eq(j.st[l][SR_SERVER].bytes[k],
                         j.st[l][SR_CLIENT].bytes[k]);
            sum += j.st[l][SR_SERVER].bytes[k];
        }
    const uint64_t total = o.st[0].bytes_sent + o.st[1].bytes_sent;
    const uint64_t reveal = NLANES * (((nl + nc) * 16 + 7) / 8);
    cr_assert_eq(sum + reveal, total, "parts %llu + reveal %llu vs %llu",
                 (unsigned long long)sum, (unsigned long long)reveal,
                 (unsigned long long)total);
    printf("heads small: priors %zu, bytes %llu, rounds %llu, twin wraps "
           "conv %zu rnn %zu l2 %zu\n",
           d->priors, (unsigned long long)total, (unsigned long long)o.rounds,
           fst.conv, fst.rnnpool, fst.l2);
    sr_heads_sec_clear(&j.S[0]);
    sr_heads_sec_clear(&j.S[1]);
    sr_heads_fx_clear(&j.q);
    sr_heads_float_clear(&net);
    free(imf);
    free(img);
    free(wl);
    free(wc);
}

/* ---- one image over several lanes and ranks --------------------------- */

#include <pthread.h>

#define MAXLANES 8

/* The in-memory allgather of one party's emulated ranks. */
struct gather_party {
    unsigned ranks;
    pthread_barrier_t bar;
    uint64_t *buf[MAXLANES];
    size_t n[MAXLANES];
    uint64_t calls[MAXLANES];
};
struct gather_ctx {
    struct gather_party *gp;
    unsigned rank;
};

static int
mem_allgather(void *ctx, uint64_t *buf, size_t n, const size_t *off,
              const size_t *len)
{
    struct gather_ctx *c = ctx;
    struct gather_party *g = c->gp;
    g->buf[c->rank] = buf;
    g->n[c->rank] = n;
    g->calls[c->rank]++;
    pthread_barrier_wait(&g->bar);
    int rc = SR_OK;
    size_t tot = 0;
    for (unsigned k = 0; k < g->ranks; k++) {
        if (g->n[k] != n || off[k] != tot || off[k] + len[k] > n)
            rc = SR_ECHECK;
        tot += len[k];
        if (rc == SR_OK && k != c->rank)
            memcpy(buf + off[k], g->buf[k] + off[k], len[k] * sizeof *buf);
    }
    if (tot != n)
        rc = SR_ECHECK;
    pthread_barrier_wait(&g->bar);
    return rc;
}

/*
 * sr_test_run gives every lane its own thread; lane id = rank T + t.  The
 * lanes register, then lane t = 0 of each emulated rank runs
 * sr_heads_secure_infer_lanes over its T lanes while the others wait.
 */
struct lanes_job {
    const sr_heads_fx *q;
    const sr_heads_sec *S[2];
    const int64_t *img;
    unsigned R, T;
    sr_lane *lanes[2][MAXLANES];
    sr_lane copy[2][MAXLANES];
    pthread_barrier_t bar[2];
    struct gather_party gp[2];
    struct gather_ctx gc[2][MAXLANES];
    int64_t *loc, *conf; /* the client's rank 0 */
    int rc[2][MAXLANES];
    sr_heads_sec_stats st[2][MAXLANES]; /* [party][rank] */
};

static int
lanes_party(sr_lane *L, void *arg)
{
    struct lanes_job *j = arg;
    int rc = sr_ot_setup(L);
    const unsigned p = L->party, rank = L->id / j->T;
    j->lanes[p][L->id] = L;
    pthread_barrier_wait(&j->bar[p]);
    if (L->id % j->T == 0) {
        sr_lane *cp = &j->copy[p][L->id];
        for (unsigned t = 0; t < j->T; t++)
            cp[t] = *j->lanes[p][L->id + t];
        const sr_lanes ls = {cp, j->T};
        j->gc[p][rank] = (struct gather_ctx){&j->gp[p], rank};
        const sr_heads_par par = {rank, j->R, mem_allgather, &j->gc[p][rank]};
        const int srv = p == SR_SERVER, r0 = rank == 0;
        j->rc[p][rank] = sr_heads_secure_infer_lanes(
            &ls, j->R == 1 && j->T == 2 ? NULL : &par, j->S[p],
            srv || !r0 ? NULL : j->loc, srv || !r0 ? NULL : j->conf,
            srv ? NULL : j->img, srv ? j->q : NULL, &j->st[p][rank]);
        for (unsigned t = 0; t < j->T; t++)
            *j->lanes[p][L->id + t] = cp[t];
    }
    pthread_barrier_wait(&j->bar[p]);
    return rc != SR_OK ? rc : j->rc[p][rank];
}

/* A configured model: random weights, the twin's outputs of a random
 * image. */
struct model_case {
    sr_heads_cfg cfg;
    sr_heads_float net;
    sr_heads_fx q, pub;
    sr_heads_sec S[2];
    int64_t *img, *wl, *wc;
    size_t nl, nc;
};

static void
model_case_init(struct model_case *m, const sr_heads_cfg *cfg, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    char err[256];
    cr_assert_eq(sr_heads_float_init(&m->net, cfg, err, sizeof err), SR_OK,
                 "%s", err);
    sr_heads_float_random(&m->net, seed);
    sr_heads_fmt f;
    sr_heads_fmt_default(&f);
    cr_assert_eq(sr_heads_fx_init(&m->q, &m->net, &f, NULL), SR_OK);
    sr_heads_public_of(&m->pub, &m->q);
    cr_assert_eq(sr_heads_sec_init(&m->S[SR_SERVER], &m->q), SR_OK);
    cr_assert_eq(sr_heads_sec_init(&m->S[SR_CLIENT], &m->pub), SR_OK);
    const size_t npx = cfg->height * cfg->width;
    m->nl = m->q.dims.priors * 4;
    m->nc = m->q.dims.priors * cfg->classes;
    uint64_t s = seed * 31 + 5;
    double *imf = rvec(&s, npx, 1.0);
    m->img = malloc(npx * 8);
    m->wl = malloc(m->nl * 8);
    m->wc = malloc(m->nc * 8);
    sr_heads_fx_quantise(npx, m->img, imf, f.in);
    free(imf);
    cr_assert_eq(sr_heads_fx_run(&m->q, m->wl, m->wc, m->img, NULL), SR_OK);
}

static void
model_case_clear(struct model_case *m)
{
    sr_heads_sec_clear(&m->S[0]);
    sr_heads_sec_clear(&m->S[1]);
    sr_heads_fx_clear(&m->q);
    sr_heads_float_clear(&m->net);
    free(m->img);
    free(m->wl);
    free(m->wc);
}

/* The figures of one run: totals of sr_test_run and the ranks' stats. */
struct lanes_out {
    uint64_t bytes;  /* both parties, every lane */
    uint64_t rounds; /* max over lanes and parties */
    uint64_t gathers; /* allgather calls per rank */
    sr_heads_sec_stats st[2]; /* [party]: bytes summed over ranks, rounds
                                 the max over ranks */
};

/* Runs the model on R ranks x T lanes; loc/conf must equal the twin. */
static struct lanes_out
run_lanes(struct model_case *m, unsigned R, unsigned T)
{
    cr_assert(R * T <= MAXLANES);
    struct lanes_job *j = calloc(1, sizeof *j);
    j->q = &m->q;
    j->S[SR_SERVER] = &m->S[SR_SERVER];
    j->S[SR_CLIENT] = &m->S[SR_CLIENT];
    j->img = m->img;
    j->R = R;
    j->T = T;
    j->loc = malloc(m->nl * 8);
    j->conf = malloc(m->nc * 8);
    for (int p = 0; p < 2; p++) {
        pthread_barrier_init(&j->bar[p], NULL, R * T);
        pthread_barrier_init(&j->gp[p].bar, NULL, R);
        j->gp[p].ranks = R;
    }
    sr_test_opts o = {.nlanes = R * T};
    cr_assert_eq(sr_test_run(lanes_party, j, &o), SR_OK);
    for (size_t i = 0; i < m->nl; i++)
        cr_assert_eq(j->loc[i], m->wl[i], "R %u T %u loc %zu: %lld vs %lld", R,
                     T, i, (long long)j->loc[i], (long long)m->wl[i]);
    for (size_t i = 0; i < m->nc; i++)
        cr_assert_eq(j->conf[i], m->wc[i], "R %u T %u conf %zu", R, T, i);
    struct lanes_out out;
    memset(&out, 0, sizeof out);
    out.bytes = o.st[0].bytes_sent + o.st[1].bytes_sent;
    out.rounds = o.rounds;
    for (int p = 0; p < 2; p++) {
        /* the same collective calls on every rank */
        for (unsigned r = 1; r < R; r++)
            cr_assert_eq(j->gp[p].calls[r], j->gp[p].calls[0]);
        if (R > 1)
            cr_assert_gt(j->gp[p].calls[0], 0);
        out.gathers = j->gp[p].calls[0];
        for (unsigned r = 0; r < R; r++)
            for (unsigned k = 0; k < SR_HS_NPARTS; k++) {
                out.st[p].bytes[k] += j->st[p][r].bytes[k];
                if (j->st[p][r].rounds[k] > out.st[p].rounds[k])
                    out.st[p].rounds[k] = j->st[p][r].rounds[k];
            }
        pthread_barrier_destroy(&j->bar[p]);
        pthread_barrier_destroy(&j->gp[p].bar);
    }
    free(j->loc);
    free(j->conf);
    free(j);
    return out;
}

/* one conv stage over G ranges cut as heads_secure.c cuts them: the sum
 * of sr_conv2d_secure_bytes (auto) of the ranges; *H, *W become the
 * output size */
static uint64_t
conv_stage_bytes(const sr_heads_qconv *pc, size_t *H, size_t *W, size_t G)
{
    const sr_conv2d_shape *c = &pc->sh;
    const size_t Ho = sr_conv2d_out(*H, c->k, c->stride, c->pad);
    const size_t Wo = sr_conv2d_out(*W, c->k, c->stride, c->pad);
    const size_t U = Ho * Wo, blocks = (U + 7) / 8;
    const sr_conv2d_fmt f = {pc->fin.bw, pc->fw.bw, pc->shift, pc->fout.bw};
    uint64_t s = 0;
    for (size_t g = 0; g < G; g++) {
        size_t a = blocks * g / G * 8, b = blocks * (g + 1) / G * 8;
        a = a < U ? a : U;
        b = b < U ? b : U;
        s += sr_conv2d_secure_bytes(c, *H, *W, a, b - a, f, SR_CONV2D_AUTO);
    }
    *H = Ho;
    *W = Wo;
    return s;
}

/* The documented conv bytes of the model on G lanes (the conv part of
 * one party: both directions), walking the stages in run order. */
static uint64_t
model_conv_bytes(const sr_heads_fx *q, size_t G)
{
    const sr_heads_cfg *cfg = &q->cfg;
    size_t H = cfg->height, W = cfg->width;
    uint64_t s = conv_stage_bytes(&q->conv0, &H, &W, G);
    H = q->dims.h1;
    W = q->dims.w1;
    size_t nb = 0;
    for (size_t j = 0; j < cfg->nstages; j++) {
        for (size_t b = 0; b < cfg->stage[j].n; b++, nb++) {
            size_t h = H, w = W;
            if (q->has_expand[nb])
                s += conv_stage_bytes(&q->expand[nb], &h, &w, G);
            s += conv_stage_bytes(&q->dw[nb], &h, &w, G);
            s += conv_stage_bytes(&q->project[nb], &h, &w, G);
            H = h;
            W = w;
        }
        size_t h = H, w = W;
        s += conv_stage_bytes(&q->loc[j], &h, &w, G);
        h = H;
        w = W;
        s += conv_stage_bytes(&q->conf[j], &h, &w, G);
    }
    return s;
}

/*
 * The split run against the one-lane run of the same model: the twin's
 * outputs (in run_lanes), the same bytes per part except the
 * convolutions' (every other protocol's traffic is linear in its batch,
 * byte-granular per value: splitting a batch moves no byte), rounds per
 * lane per part and in all at most the one-lane ones.  Convolutions: a
 * call over a range costs sr_conv2d_secure_bytes of that range; with the
 * scatter mapping the lanes recompute the halo input rows of their
 * ranges (and may pick another mapping than the whole call), so their
 * conv bytes may differ from the one-lane ones (im2col ranges at
 * multiples of 8 add up exactly): the conv part of each party equals
 * exactly the formula summed over the stages' lane ranges (G = R T, cut
 * as heads_secure.c cuts; G = 1 for the one-lane run), and takes the
 * whole difference of the totals.
 */
static struct lanes_out
check_split(struct model_case *m, const struct lanes_out *one, unsigned R,
            unsigned T)
{
    const struct lanes_out sp = run_lanes(m, R, T);
    /* the conv part: exactly the formula over the lanes' ranges */
    const uint64_t c1 = model_conv_bytes(&m->q, 1);
    const uint64_t cs = model_conv_bytes(&m->q, (size_t)R * T);
    for (int p = 0; p < 2; p++) {
        cr_assert_eq(one->st[p].bytes[SR_HS_CONV], c1, "one lane conv %llu vs %llu",
                     (unsigned long long)one->st[p].bytes[SR_HS_CONV],
                     (unsigned long long)c1);
        cr_assert_eq(sp.st[p].bytes[SR_HS_CONV], cs,
                     "R %u T %u conv %llu vs formula %llu", R, T,
                     (unsigned long long)sp.st[p].bytes[SR_HS_CONV],
                     (unsigned long long)cs);
    }
    const uint64_t dconv = (sp.st[SR_SERVER].bytes[SR_HS_CONV] -
                            one->st[SR_SERVER].bytes[SR_HS_CONV]) +
                           (sp.st[SR_CLIENT].bytes[SR_HS_CONV] -
                            one->st[SR_CLIENT].bytes[SR_HS_CONV]);
    /* per party counters count both directions: the totals (both
     * parties' sent bytes) move by half the two parties' conv deltas */
    cr_assert_eq(2 * (sp.bytes - one->bytes), dconv,
                 "R %u T %u: bytes %llu vs one lane %llu, conv delta %llu", R,
                 T, (unsigned long long)sp.bytes,
                 (unsigned long long)one->bytes, (unsigned long long)dconv);
    cr_assert_leq(sp.rounds, one->rounds, "R %u T %u: rounds %llu vs %llu", R,
                  T, (unsigned long long)sp.rounds,
                  (unsigned long long)one->rounds);
    for (int p = 0; p < 2; p++)
        for (unsigned k = 0; k < SR_HS_NPARTS; k++) {
            if (k == SR_HS_CONV)
                cr_assert_eq(sp.st[p].bytes[k], sp.st[1 - p].bytes[k]);
            else
                cr_assert_eq(sp.st[p].bytes[k], one->st[p].bytes[k],
                             "R %u T %u party %d part %s: %llu vs %llu", R, T,
                             p, sr_heads_part_name(k),
                             (unsigned long long)sp.st[p].bytes[k],
                             (unsigned long long)one->st[p].bytes[k]);
            cr_assert_leq(sp.st[p].rounds[k], one->st[p].rounds[k],
                          "R %u T %u part %s rounds", R, T,
                          sr_heads_part_name(k));
        }
    printf("heads R %u T %u: bytes %llu, rounds per lane %llu (one lane "
           "%llu)\n",
           R, T, (unsigned long long)sp.bytes, (unsigned long long)sp.rounds,
           (unsigned long long)one->rounds);
    return sp;
}

Test(heads_secure, model_lanes_and_ranks)
{
    sr_heads_cfg cfg;
    small_cfg(&cfg);
    struct model_case m;
    model_case_init(&m, &cfg, 11);
    const struct lanes_out one = run_lanes(&m, 1, 1);
    (void)check_split(&m, &one, 1, 2);
    const struct lanes_out r2 = check_split(&m, &one, 2, 2);
    /* one gather per stage: conv0, RNNPool, 3 blocks x 3 convs (expand,
     * depthwise, project + residual), one L2Norm (not after the last
     * source), loc and conf + max-out per source: 2 + 9 + 1 + 4 */
    cr_assert_eq(r2.gathers, 16, "gathers %llu", (unsigned long long)r2.gathers);
    model_case_clear(&m);
}

Test(heads_secure, model_lanes_rounds_chunked)
{
    /* patch 2 stride 1 on a 20 x 18 map: 323 patches = 2 RNNPool chunks
     * on one lane, 1 on each of 2 lanes (160 + 163 patches): the RNNPool
     * rounds per lane halve */
    sr_heads_cfg cfg;
    small_cfg(&cfg);
    cfg.height = 40;
    cfg.width = 36;
    cfg.patch = 2;
    cfg.pstride = 1;
    struct model_case m;
    model_case_init(&m, &cfg, 13);
    cr_assert_eq(m.q.dims.hp * m.q.dims.wp, 323);
    const struct lanes_out one = run_lanes(&m, 1, 1);
    const struct lanes_out sp = check_split(&m, &one, 1, 2);
    /* one lane: 2 chunks of c rounds each, + 1 where the second chunk's
     * first message opens a new round */
    for (int p = 0; p < 2; p++)
        cr_assert_eq(2 * sp.st[p].rounds[SR_HS_RNNPOOL] + 1,
                     one.st[p].rounds[SR_HS_RNNPOOL], "%llu vs %llu",
                     (unsigned long long)sp.st[p].rounds[SR_HS_RNNPOOL],
                     (unsigned long long)one.st[p].rounds[SR_HS_RNNPOOL]);
    model_case_clear(&m);
}

Test(heads_secure, model_lanes_uneven)
{
    /* 14 x 10: conv0 7 x 5 = 35 pixels, 3 x 2 = 6 patches, the second
     * stage 2 x 2 = 4 pixels: on 2 x 3 = 6 lanes every stage is uneven
     * and the last ones leave lanes empty */
    sr_heads_cfg cfg;
    small_cfg(&cfg);
    cfg.height = 14;
    cfg.width = 10;
    struct model_case m;
    model_case_init(&m, &cfg, 12);
    const sr_heads_dims *d = &m.q.dims;
    printf("uneven: conv0 %zux%zu, rnnpool %zux%zu, sources %zux%zu %zux%zu\n",
           d->h0, d->w0, d->hp, d->wp, d->src_h[0], d->src_w[0], d->src_h[1],
           d->src_w[1]);
    cr_assert_lt(d->src_h[1] * d->src_w[1], 6);
    const struct lanes_out one = run_lanes(&m, 1, 1);
    (void)check_split(&m, &one, 2, 3);
    (void)check_split(&m, &one, 1, 5);
    model_case_clear(&m);
}

/* ---- jobs/model.c dispatch on "type" ---------------------------------- */

#include "jobs/model.h"
#include "jobs/model_heads.h"

Test(heads_secure, model_dispatch)
{
    static const char *roots[] = {"models/heads", "../../models/heads",
                                  "../models/heads"};
    const char *dir = NULL;
    for (size_t i = 0; i < 3 && dir == NULL; i++)
        if (access(roots[i], R_OK) == 0)
            dir = roots[i];
    cr_assert_not_null(dir, "bundled heads model not found");
    char err[1024], want[1200];
    sr_model m;
    /* the FastGRNN commands get one clean usage line */
    cr_assert_eq(sr_model_load(&m, dir, err, sizeof err), SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: %s/model.json: type: \"rnnpool-heads\" is not supported "
             "by this command yet (sirnn demo --model heads runs it)",
             dir);
    cr_assert_str_eq(err, want);
    cr_assert_null(m.heads);
    /* any type: the heads model itself */
    cr_assert_eq(sr_model_load_any(&m, dir, err, sizeof err), SR_OK, "%s", err);
    cr_assert_eq(m.type, SR_MODEL_RNNPOOL_HEADS);
    cr_assert_not_null(m.heads);
    cr_assert_eq(m.heads->net.cfg.height, 240);
    cr_assert_eq(m.heads->net.cfg.width, 320);
    sr_model_clear(&m);
    cr_assert_null(m.heads);
}
