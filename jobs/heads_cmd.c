/*
 * jobs/heads_cmd.c -- `sirnn demo --model heads` (see heads_cmd.h).
 */
#include "jobs/heads_cmd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/lane.h"
#include "jobs/cli.h"
#include "jobs/heads_fmt.h"
#include "jobs/model.h"
#include "jobs/model_heads.h"
#include "layers/heads.h"
#include "layers/heads_secure.h"
#include "protocols/ot.h"

#define MAX_LANES 16

typedef struct demo {
    const sr_heads_fx *q;     /* the server's model */
    const sr_heads_sec *S[2]; /* public state by party */
    size_t nimg, npx, nl, nc;
    const int64_t *img;  /* the client's images [nimg][npx] */
    int64_t *loc, *conf; /* the client's results [nimg][...] */
    unsigned lanes;
    int seeded;
    uint64_t seed;
    sr_lane lane[2][MAX_LANES]; /* [party][k]: each image runs on all */
    pthread_barrier_t bar[2];
    int rc[2];                /* the parties' runs (lane 0's thread) */
    sr_heads_sec_stats st[2]; /* per part, over the party's lanes */
    double seconds[2];        /* every image, wall clock */
} demo;

typedef struct side {
    demo *d;
    sr_partyid party;
    unsigned id;
    int fd;
    int rc;
    sr_chan_stats cs;
} side;

/*
 * One thread per lane sets its lane up (socket, OT); then lane 0's
 * thread of each party runs every image over all the party's lanes
 * (sr_heads_secure_infer_lanes: one image at a time, each layer split
 * over the T lanes, one rank) while the others wait; each thread then
 * takes its lane's counters and clears it.
 */
static void *
side_main(void *arg)
{
    side *s = arg;
    demo *d = s->d;
    sr_lane *L = &d->lane[s->party][s->id];
    const sr_lane_opts lo = {
        .timeout_ms = 600000, .seeded = d->seeded, .seed = d->seed};
    s->rc = sr_lane_init(L, s->party, s->id, &s->fd, 1, &lo);
    if (s->rc == SR_OK)
        s->rc = sr_ot_setup(L);
    const sr_chan_stats c0 = sr_lane_stats(L);
    pthread_barrier_wait(&d->bar[s->party]);
    if (s->id == 0) {
        int rc = SR_OK;
        for (unsigned k = 0; k < d->lanes && rc == SR_OK; k++)
            if (d->lane[s->party][k].ot == NULL)
                rc = SR_EIO; /* a lane failed its setup */
        const int srv = s->party == SR_SERVER;
        const sr_lanes ls = {d->lane[s->party], d->lanes};
        const double t0 = sr_now();
        for (size_t i = 0; i < d->nimg && rc == SR_OK; i++)
            rc = sr_heads_secure_infer_lanes(
                &ls, NULL, d->S[s->party], srv ? NULL : d->loc + i * d->nl,
                srv ? NULL : d->conf + i * d->nc,
                srv ? NULL : d->img + i * d->npx, srv ? d->q : NULL,
                &d->st[s->party]);
        d->seconds[s->party] = sr_now() - t0;
        d->rc[s->party] = rc;
    }
    pthread_barrier_wait(&d->bar[s->party]);
    sr_chan_flush(&L->chan);
    s->cs = sr_chan_stats_diff(sr_lane_stats(L), c0);
    if (s->rc == SR_OK)
        s->rc = d->rc[s->party];
    if (s->rc != SR_OK) /* unblock the peer */
        shutdown(s->fd, SHUT_RDWR);
    sr_lane_clear(L);
    return NULL;
}

/* Runs every image over d->lanes lane pairs. */
static int
run_secure(demo *d, side *sd)
{
    pthread_t th[2 * MAX_LANES];
    int started[2 * MAX_LANES] = {0};
    for (unsigned k = 0; k < d->lanes; k++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
            return SR_EIO;
        for (unsigned p = 0; p < 2; p++) {
            side *s = &sd[2 * k + p];
            memset(s, 0, sizeof *s);
            s->d = d;
            s->party = p == 0 ? SR_SERVER : SR_CLIENT;
            s->id = k;
            s->fd = sv[p];
        }
    }
    for (unsigned p = 0; p < 2; p++)
        pthread_barrier_init(&d->bar[p], NULL, d->lanes);
    int rc = SR_OK;
    for (unsigned i = 0; i < 2 * d->lanes; i++)
        started[i] = pthread_create(&th[i], NULL, side_main, &sd[i]) == 0;
    for (unsigned i = 0; i < 2 * d->lanes; i++)
        if (!started[i]) /* a barrier would never open: give up */
            abort();
    for (unsigned i = 0; i < 2 * d->lanes; i++) {
        pthread_join(th[i], NULL);
        if (rc == SR_OK && sd[i].rc != SR_OK)
            rc = sd[i].rc;
    }
    for (unsigned p = 0; p < 2; p++)
        pthread_barrier_destroy(&d->bar[p]);
    return rc;
}

static int
usage(const char *msg, const char *arg)
{
    sr_cli_error("demo", "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

/* see heads_cmd.h */
int
sr_cmd_demo_heads(int argc, char **argv)
{
    const char *dir = "models/heads";
    uint64_t nimg = 1, H = 0, W = 0, lanes = 1, seed = 0, ranks = 1;
    int seeded = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        uint64_t *dst = NULL, lo = 1, hi = 1u << 20;
        if (i + 1 >= argc)
            return usage("missing value or unknown option", o);
        if (strcmp(o, "--model") == 0) {
            dir = argv[++i];
            if (strcmp(dir, "heads") == 0)
                dir = "models/heads";
            continue;
        }
        if (strcmp(o, "--samples") == 0)
            dst = &nimg;
        else if (strcmp(o, "--height") == 0)
            dst = &H;
        else if (strcmp(o, "--width") == 0)
            dst = &W;
        else if (strcmp(o, "--ranks") == 0) {
            dst = &ranks; /* one rank: both parties in this process */
            hi = 1;
        } else if (strcmp(o, "--threads") == 0) {
            dst = &lanes;
            hi = MAX_LANES;
        } else if (strcmp(o, "--seed") == 0) {
            dst = &seed;
            lo = 0;
            hi = UINT64_MAX;
            seeded = 1;
        } else
            return usage("unknown option", o);
        if (sr_cli_uint("demo", o, argv[++i], lo, hi, dst) != 0)
            return 2;
    }
    if (seeded)
        fprintf(stderr, "sirnn: demo: --seed makes the run reproducible and "
                        "insecure (tests only)\n");

    char err[1024] = "";
    sr_model mm;
    int rc = sr_model_load_any(&mm, dir, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        return rc == SR_ENOMEM ? 1 : 2;
    }
    if (mm.type != SR_MODEL_RNNPOOL_HEADS) {
        sr_model_clear(&mm);
        return usage("not an rnnpool-heads model (this demo runs the heads "
                     "model)",
                     dir);
    }
    sr_heads_model m = *mm.heads; /* moved out of mm */
    free(mm.heads);
    mm.heads = NULL;
    sr_model_clear(&mm);
    const size_t H0 = m.net.cfg.height, W0 = m.net.cfg.width;
    if (H == 0 && W == 0) { /* the default: 160 x 120 (docs/heads.md) */
        H = H0 < 120 ? H0 : 120;
        W = W0 < 160 ? W0 : 160;
    }
    if ((H != 0) != (W != 0) || H > H0 || W > W0) {
        sr_heads_model_clear(&m);
        return usage("--height and --width go together, at most the model's "
                     "input size",
                     NULL);
    }
    if (H != 0) {
        m.net.cfg.height = H;
        m.net.cfg.width = W;
        if (sr_heads_dims_make(&m.net.dims, &m.net.cfg, err, sizeof err) !=
            SR_OK) {
            sr_heads_model_clear(&m);
            return usage("image size", err);
        }
    }
    const sr_heads_cfg *cfg = &m.net.cfg;
    const sr_heads_dims *dm = &m.net.dims;
    sr_heads_fmt f;
    char mjson[4096];
    snprintf(mjson, sizeof mjson, "%s/model.json", dir);
    if (sr_heads_model_fmt(&f, m.fixed_point, mjson, err, sizeof err) !=
        SR_OK) {
        fprintf(stderr, "%s\n", err);
        sr_heads_model_clear(&m);
        return 2;
    }
    sr_heads_fx q, pub;
    sr_heads_sec Ss, Sc;
    memset(&Ss, 0, sizeof Ss);
    memset(&Sc, 0, sizeof Sc);
    rc = sr_heads_fx_init(&q, &m.net, &f, NULL);
    if (rc != SR_OK) {
        sr_heads_model_clear(&m);
        return 1;
    }
    sr_heads_public_of(&pub, &q);
    if (sr_heads_sec_init(&Ss, &q) != SR_OK ||
        sr_heads_sec_init(&Sc, &pub) != SR_OK)
        rc = SR_ENOMEM;

    /* the images: crops of X_test.npy, or random */
    demo d = {.q = &q,
              .S = {&Ss, &Sc},
              .nimg = nimg,
              .npx = cfg->height * cfg->width,
              .nl = dm->priors * 4,
              .nc = dm->priors * cfg->classes,
              .lanes = (unsigned)lanes,
              .seeded = seeded,
              .seed = seed};
    int64_t *img = calloc(d.nimg * d.npx, sizeof *img);
    double *fimg = calloc(d.npx, sizeof *fimg);
    int64_t *wl = calloc(d.nl + d.nc, sizeof *wl);
    d.loc = calloc(d.nimg * d.nl, sizeof *d.loc);
    d.conf = calloc(d.nimg * d.nc, sizeof *d.conf);
    double *fl = calloc(d.nl + d.nc, sizeof *fl);
    double *pr = calloc(dm->priors * 4, sizeof *pr);
    double *bx = calloc(dm->priors * 4, sizeof *bx);
    double *sc = calloc(dm->priors, sizeof *sc);
    size_t *keep = calloc(dm->priors, sizeof *keep);
    side *sd = calloc(2 * MAX_LANES, sizeof *sd);
    memset(d.lane, 0, sizeof d.lane);
    if (!img || !fimg || !wl || !d.loc || !d.conf || !fl || !pr || !bx || !sc ||
        !keep || !sd)
        rc = SR_ENOMEM;
    /* DIR/X_test_WxH.npy when it exists (the 160 x 120 image), else
     * top-left crops of DIR/X_test.npy */
    char path[4096];
    size_t XH = cfg->height, XW = cfg->width;
    snprintf(path, sizeof path, "%s/X_test_%zux%zu.npy", dir, XW, XH);
    if (access(path, R_OK) != 0) {
        snprintf(path, sizeof path, "%s/X_test.npy", dir);
        XH = H0;
        XW = W0;
    }
    sr_npy x;
    memset(&x, 0, sizeof x);
    const int have = rc == SR_OK && access(path, R_OK) == 0;
    if (have &&
        sr_heads_input_load(&x, path, XH, XW, err, sizeof err) != SR_OK) {
        fprintf(stderr, "%s\n", err);
        rc = SR_EUSAGE;
    }
    uint64_t st = seed ^ 0x5eed;
    for (size_t i = 0; i < d.nimg && rc == SR_OK; i++) {
        for (size_t y = 0; y < cfg->height; y++)
            for (size_t xx = 0; xx < cfg->width; xx++) {
                double v;
                if (have && x.shape[0] > 0) {
                    v = x.f64[((i % x.shape[0]) * XH + y) * XW + xx];
                } else { /* splitmix64, uniform [-1, 1) */
                    uint64_t z = (st += 0x9e3779b97f4a7c15ULL);
                    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                    z ^= z >> 31;
                    v = 2.0 * (double)(z >> 11) * 0x1p-53 - 1.0;
                }
                fimg[y * cfg->width + xx] = v;
            }
        sr_heads_fx_quantise(d.npx, img + i * d.npx, fimg, f.in);
    }
    sr_npy_clear(&x);
    d.img = img;

    fprintf(stderr,
            "sirnn: demo: heads %zux%zu, %zu image(s), %u lane "
            "pair(s)\n",
            cfg->height, cfg->width, d.nimg, d.lanes);
    int mismatch = 0;
    if (rc == SR_OK)
        rc = run_secure(&d, sd);
    for (size_t i = 0; i < d.nimg && rc == SR_OK; i++) {
        if (sr_heads_fx_run(&q, wl, wl + d.nl, img + i * d.npx, NULL) !=
            SR_OK) {
            rc = SR_ENOMEM;
            break;
        }
        const int ok =
            memcmp(wl, d.loc + i * d.nl, d.nl * sizeof *wl) == 0 &&
            memcmp(wl + d.nl, d.conf + i * d.nc, d.nc * sizeof *wl) == 0;
        mismatch |= !ok;
        sr_heads_fx_value(d.nl, fl, wl, f.out);
        sr_heads_fx_value(d.nc, fl + d.nl, wl + d.nl, f.out);
        const size_t ct = sr_heads_detect(cfg, dm, fl, fl + d.nl, 0.5, 0.3, pr,
                                          bx, sc, keep, dm->priors);
        sr_heads_fx_value(d.nl, fl, d.loc + i * d.nl, f.out);
        sr_heads_fx_value(d.nc, fl + d.nl, d.conf + i * d.nc, f.out);
        const size_t cs = sr_heads_detect(cfg, dm, fl, fl + d.nl, 0.5, 0.3, pr,
                                          bx, sc, keep, dm->priors);
        printf("image %zu: heads %zu (twin %zu), match %s\n", i, cs, ct,
               ok ? "yes" : "no");
    }
    if (rc == SR_OK) {
        uint64_t bytes = 0, rounds = 0;
        for (unsigned k = 0; k < d.lanes; k++) {
            const side *s = &sd[2 * k], *c = &sd[2 * k + 1];
            bytes += s->cs.bytes_sent + c->cs.bytes_sent;
            rounds = s->cs.rounds > rounds ? s->cs.rounds : rounds;
            rounds = c->cs.rounds > rounds ? c->cs.rounds : rounds;
        }
        /* per part: the server's figures over its lanes (bytes summed,
         * rounds the max over lanes, seconds the slowest lane per stage) */
        const sr_heads_sec_stats *tot = &d.st[SR_SERVER];
        printf("total: %.2f s, %llu bytes (%.3f GB), %llu rounds per lane, "
               "%u lane pair(s) per image\n",
               d.seconds[SR_SERVER], (unsigned long long)bytes,
               (double)bytes / 1e9, (unsigned long long)rounds, d.lanes);
        for (unsigned p = 0; p < SR_HS_NPARTS; p++)
            printf("  %-8s %10.2f s %14llu bytes %8llu rounds\n",
                   sr_heads_part_name(p), tot->seconds[p],
                   (unsigned long long)tot->bytes[p],
                   (unsigned long long)tot->rounds[p]);
    } else {
        fprintf(stderr, "sirnn: demo: %s\n", sr_strerror(rc));
    }
    free(sd);
    free(keep);
    free(sc);
    free(bx);
    free(pr);
    free(fl);
    free(d.conf);
    free(d.loc);
    free(wl);
    free(fimg);
    free(img);
    sr_heads_sec_clear(&Sc);
    sr_heads_sec_clear(&Ss);
    sr_heads_fx_clear(&q);
    sr_heads_model_clear(&m);
    if (rc == SR_EUSAGE)
        return 2;
    return rc != SR_OK || mismatch ? 1 : 0;
}
