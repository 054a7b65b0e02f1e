/*
 * tests/test_fastgrnn_secure.c -- the secure FastGRNN against its
 * fixed-point twin, bit for bit: logits (reveal logits) and labels (secure
 * argmax) on the bundled digits model and on random models (full and low
 * rank), over several lanes; the argmax alone on ties and odd K; rounds
 * independent of the batch; per-block bytes adding up to the total.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/card.h"
#include "jobs/model.h"
#include "jobs/quantise.h"
#include "layers/fastgrnn.h"
#include "layers/fastgrnn_secure.h"
#include "protocols/share.h"
#include "tests/fgmodel.h"
#include "tests/twoparty.h"

static char tmpdir[64];

static void
setup(void)
{
    alarm(120);
    strcpy(tmpdir, "/tmp/sirnn-test-fgsec-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(fastgrnn_secure, .init = setup, .fini = teardown);

static int
bundled(char *out, size_t n, const char *name, const char *file)
{
    static const char *roots[] = {"models", "../../models", "../models"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(out, n, "%s/%s/%s", roots[i], name, file);
        if (access(out, R_OK) == 0)
            return 1;
    }
    return 0;
}

static uint64_t rng_state;

static double
urand(void)
{
    return sr_test_urand(&rng_state);
}

/* Writes a random FastGRNN (low rank when rW/rU > 0) into dir. */
static void
random_model(const char *dir, size_t D, size_t H, size_t K, size_t T, size_t rW,
             size_t rU, uint64_t seed)
{
    rng_state = seed;
    sr_test_fastgrnn_random(dir, D, H, K, T, rW, rU, &rng_state);
}

static void
load_fx(sr_model *m, sr_fastgrnn_fx *q, const char *dir)
{
    char err[1024];
    cr_assert_eq(sr_model_load(m, dir, err, sizeof err), SR_OK, "%s", err);
    sr_fastgrnn_fmt f;
    cr_assert_eq(sr_model_formats(&f, m, dir, err, sizeof err), SR_OK, "%s",
                 err);
    const sr_fastgrnn_float p = sr_model_float(m);
    cr_assert_eq(sr_fastgrnn_fx_init(q, &p, &f, NULL), SR_OK);
}

/*
 * A party's lanes come from sr_test_run one thread each; to run the
 * multi-lane entry point, every lane thread registers its lane, lane 0
 * runs sr_fastgrnn_secure_infer_lanes over all of them while the others
 * wait at a barrier (a lane is used by one thread at a time).
 */
struct run {
    const sr_fastgrnn_sec *S;
    const sr_fastgrnn_fx *q;
    size_t B;
    const uint64_t *x; /* the client's quantised inputs */
    sr_reveal reveal;
    unsigned nlanes;
    sr_lane *lanes[2][8];    /* [party][lane], registered pointers */
    sr_lane lane_copy[2][8]; /* contiguous view for sr_lanes */
    pthread_barrier_t bar[2];
    int rc[2];
    long *pred[2]; /* [party] outputs */
    uint64_t *logits[2];
    sr_fastgrnn_stats st[2];
};

static int
party_fn(sr_lane *L, void *arg)
{
    struct run *r = arg;
    const unsigned p = sr_lane_is_server(L) ? SR_SERVER : SR_CLIENT;
    const unsigned k = L->id;
    r->lanes[p][k] = L;
    pthread_barrier_wait(&r->bar[p]);
    if (k == 0) {
        /* sr_lanes wants an array: move the lanes in, run, move back */
        for (unsigned i = 0; i < r->nlanes; i++)
            r->lane_copy[p][i] = *r->lanes[p][i];
        sr_lanes ls = {r->lane_copy[p], r->nlanes};
        r->rc[p] = sr_fastgrnn_secure_infer_lanes(
            &ls, r->S, r->B, r->pred[p], r->logits[p],
            p == SR_CLIENT ? r->x : NULL, p == SR_SERVER ? r->q : NULL,
            r->reveal, &r->st[p]);
        for (unsigned i = 0; i < r->nlanes; i++)
            *r->lanes[p][i] = r->lane_copy[p][i];
    }
    pthread_barrier_wait(&r->bar[p]);
    return r->rc[p];
}

/* Runs the secure inference and returns the options (stats). */
static sr_test_opts
run_secure(struct run *r, const sr_fastgrnn_sec *S, const sr_fastgrnn_fx *q,
           size_t B, const uint64_t *xq, sr_reveal reveal, unsigned nlanes)
{
    memset(r, 0, sizeof *r);
    r->S = S, r->q = q, r->B = B, r->x = xq, r->reveal = reveal;
    r->nlanes = nlanes;
    for (int p = 0; p < 2; p++) {
        pthread_barrier_init(&r->bar[p], NULL, nlanes);
        r->pred[p] = malloc((B ? B : 1) * sizeof(long));
        r->logits[p] = malloc((B ? B : 1) * S->pub.K * 8);
        for (size_t i = 0; i < B; i++)
            r->pred[p][i] = -7;
        for (size_t i = 0; i < B * S->pub.K; i++)
            r->logits[p][i] = 0xdead;
    }
    sr_test_opts o;
    memset(&o, 0, sizeof o);
    o.nlanes = nlanes;
    o.seeded = 1;
    o.seed = sr_test_seed();
    cr_assert_eq(sr_test_run(party_fn, r, &o), SR_OK);
    for (int p = 0; p < 2; p++)
        pthread_barrier_destroy(&r->bar[p]);
    return o;
}

static void
run_free(struct run *r)
{
    for (int p = 0; p < 2; p++) {
        free(r->pred[p]);
        free(r->logits[p]);
    }
}

/* Secure == twin for B inputs xq of model q, with nlanes lanes. */
static void
check_model(const sr_fastgrnn_fx *q, size_t B, const uint64_t *xq,
            unsigned nlanes)
{
    const size_t K = q->K;
    uint64_t *ref = malloc(B * K * 8);
    long *rp = malloc(B * sizeof *rp);
    cr_assert_eq(sr_fastgrnn_fx_logits(q, B, ref, xq, NULL), SR_OK);
    sr_fastgrnn_fx_argmax(B, K, rp, ref, q->f.logits.bw);

    const sr_fastgrnn_pub pub = sr_fastgrnn_pub_of(q);
    char err[256];
    cr_assert_eq(sr_fastgrnn_secure_check(&pub, err, sizeof err), SR_OK, "%s",
                 err);
    sr_fastgrnn_sec S;
    cr_assert_eq(sr_fastgrnn_sec_init(&S, &pub), SR_OK);

    struct run r;
    run_secure(&r, &S, q, B, xq, SR_REVEAL_LOGITS, nlanes);
    for (size_t i = 0; i < B * K; i++)
        cr_assert_eq(r.logits[SR_CLIENT][i], ref[i],
                     "logit %zu: secure %llx twin %llx", i,
                     (unsigned long long)r.logits[SR_CLIENT][i],
                     (unsigned long long)ref[i]);
    for (size_t b = 0; b < B; b++) {
        cr_assert_eq(r.pred[SR_CLIENT][b], rp[b], "sample %zu", b);
        cr_assert_eq(r.pred[SR_SERVER][b], -7); /* server learns nothing */
    }
    for (size_t i = 0; i < B * K; i++)
        cr_assert_eq(r.logits[SR_SERVER][i], 0xdead);
    run_free(&r);

    /* label only: the same labels, the client's logits untouched */
    run_secure(&r, &S, q, B, xq, SR_REVEAL_LABEL, nlanes);
    for (size_t b = 0; b < B; b++)
        cr_assert_eq(r.pred[SR_CLIENT][b], rp[b], "sample %zu", b);
    for (size_t i = 0; i < B * K; i++)
        cr_assert_eq(r.logits[SR_CLIENT][i], 0xdead);
    run_free(&r);
    sr_fastgrnn_sec_clear(&S);
    sr_fastgrnn_sec_clear(&S); /* idempotent */
    free(rp);
    free(ref);
}

Test(fastgrnn_secure, digits_equals_twin)
{
    char dir[256], px[256], err[1024];
    cr_assert(bundled(dir, sizeof dir, "digits", "model.json"));
    cr_assert(bundled(px, sizeof px, "digits", "X_test.npy"));
    dir[strlen(dir) - strlen("/model.json")] = '\0';
    sr_model m;
    sr_fastgrnn_fx q;
    load_fx(&m, &q, dir);
    sr_npy x;
    cr_assert_eq(
        sr_input_load(&x, px, m.timesteps, m.input_dim, err, sizeof err), SR_OK,
        "%s", err);
    const size_t B = 5, n = B * q.T * q.D;
    cr_assert_geq(x.shape[0], B);
    uint64_t *xq = malloc(n * 8);
    (void)sr_fx_quantise(n, xq, x.f64, q.f.x);
    check_model(&q, B, xq, 2);
    free(xq);
    sr_npy_clear(&x);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
}

struct shape {
    size_t D, H, K, T, rW, rU, B;
    unsigned lanes;
};

static void
random_case(const struct shape *s, uint64_t seed)
{
    random_model(tmpdir, s->D, s->H, s->K, s->T, s->rW, s->rU, seed);
    sr_model m;
    sr_fastgrnn_fx q;
    load_fx(&m, &q, tmpdir);
    const size_t n = s->B * s->T * s->D;
    double *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = 3.0 * (2.0 * urand() - 1.0);
    uint64_t *xq = malloc((n ? n : 1) * 8);
    (void)sr_fx_quantise(n, xq, x, q.f.x);
    check_model(&q, s->B, xq, s->lanes);
    free(xq);
    free(x);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
}

/* Low rank W and U, a batch with a remainder over three lanes. */
Test(fastgrnn_secure, random_low_rank_equals_twin)
{
    const struct shape s = {6, 12, 5, 4, 3, 4, 5, 3};
    random_case(&s, 0x5eed01);
}

/* Full rank, odd K, one sample over two lanes (one idle). */
Test(fastgrnn_secure, random_full_rank_equals_twin)
{
    const struct shape s = {5, 7, 3, 3, 0, 0, 1, 2};
    random_case(&s, 0x5eed02);
}

/* Low rank W only, K = 2, B = 4 on one lane. */
Test(fastgrnn_secure, random_mixed_rank_equals_twin)
{
    const struct shape s = {9, 10, 2, 3, 2, 0, 4, 1};
    random_case(&s, 0x5eed03);
}

/* A random model in tmpdir, loaded into m and q, and its public part S. */
static void
random_sec(sr_model *m, sr_fastgrnn_fx *q, sr_fastgrnn_sec *S, size_t D,
           size_t H, size_t K, size_t T, size_t rW, size_t rU, uint64_t seed)
{
    random_model(tmpdir, D, H, K, T, rW, rU, seed);
    load_fx(m, q, tmpdir);
    const sr_fastgrnn_pub pub = sr_fastgrnn_pub_of(q);
    cr_assert_eq(sr_fastgrnn_sec_init(S, &pub), SR_OK);
}

/* B = 0: no traffic, no outputs. */
Test(fastgrnn_secure, empty_batch)
{
    sr_model m;
    sr_fastgrnn_fx q;
    sr_fastgrnn_sec S;
    random_sec(&m, &q, &S, 3, 4, 2, 2, 0, 0, 9);
    struct run r;
    uint64_t dummy = 0;
    sr_test_opts o = run_secure(&r, &S, &q, 0, &dummy, SR_REVEAL_LOGITS, 2);
    cr_assert_eq(o.st[SR_SERVER].bytes_sent + o.st[SR_CLIENT].bytes_sent, 0);
    run_free(&r);
    sr_fastgrnn_sec_clear(&S);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
}

/*
 * Rounds do not grow with the batch (every op carries the whole batch);
 * bytes grow exactly linearly (no per-batch constant in any block here);
 * the per-block bytes add up to everything the lane pair sent.
 */
Test(fastgrnn_secure, rounds_constant_bytes_linear)
{
    sr_model m;
    sr_fastgrnn_fx q;
    sr_fastgrnn_sec S;
    random_sec(&m, &q, &S, 4, 6, 3, 3, 0, 2, 11);
    uint64_t xq[3 * 3 * 4];
    for (size_t i = 0; i < sizeof xq / 8; i++)
        xq[i] = (i * 977u) & 0xffff;
    struct run r;
    uint64_t bytes[2], rounds[2];
    for (int i = 0; i < 2; i++) {
        const size_t B = i ? 3 : 1;
        sr_test_opts o = run_secure(&r, &S, &q, B, xq, SR_REVEAL_LOGITS, 1);
        bytes[i] = o.st[SR_SERVER].bytes_sent + o.st[SR_CLIENT].bytes_sent;
        rounds[i] = o.rounds;
        uint64_t sum = 0, rsum = 0;
        for (unsigned b = 0; b < SR_FG_NBLOCKS; b++) {
            cr_assert_eq(r.st[SR_SERVER].bytes[b], r.st[SR_CLIENT].bytes[b]);
            sum += r.st[SR_CLIENT].bytes[b];
            rsum += r.st[SR_CLIENT].rounds[b];
        }
        cr_assert_eq(sum, bytes[i], "blocks %llu, total %llu",
                     (unsigned long long)sum, (unsigned long long)bytes[i]);
        cr_assert_leq(rsum, rounds[i] + 1);
        run_free(&r);
    }
    cr_assert_eq(rounds[0], rounds[1], "rounds B=1 %llu, B=3 %llu",
                 (unsigned long long)rounds[0], (unsigned long long)rounds[1]);
    cr_assert_gt(bytes[1], 2 * bytes[0]);
    sr_fastgrnn_sec_clear(&S);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
}

/* ---- the argmax alone --------------------------------------------------- */

struct am {
    size_t B, K;
    unsigned bw;
    uint64_t *lo[2]; /* shares [role] */
    uint64_t *lab[2];
};

static int
am_fn(sr_lane *L, void *arg)
{
    struct am *a = arg;
    return sr_fastgrnn_secure_argmax(L, a->B, a->K, a->lab[L->role],
                                     a->lo[L->role], a->bw, NULL);
}

/* Ties (first maximum), extremes (no wrap of the difference), K = 1, odd K. */
Test(fastgrnn_secure, argmax_equals_twin)
{
    const size_t Ks[] = {1, 2, 3, 7, 12};
    const unsigned bws[] = {17, 32, 62};
    sr_prg prg;
    uint8_t seed[16] = {1, 2, 3};
    cr_assert_eq(sr_prg_init(&prg, seed), SR_OK);
    for (size_t ki = 0; ki < 5; ki++)
        for (size_t wi = 0; wi < 3; wi++) {
            const size_t K = Ks[ki], B = 9, n = B * K;
            const unsigned bw = bws[wi];
            const uint64_t mk = sr_mask(bw);
            uint64_t *v = malloc(n * 8);
            rng_state = 77 + ki * 5 + wi;
            for (size_t i = 0; i < n; i++) {
                const uint64_t r = (uint64_t)(urand() * 8);
                /* few distinct values: many ties; the extremes too */
                v[i] = r == 0   ? (uint64_t)1 << (bw - 1) /* min */
                       : r == 1 ? mk >> 1                 /* max */
                                : (r * 0x1234567ull) & mk;
            }
            struct am a = {B,
                           K,
                           bw,
                           {malloc(n * 8), malloc(n * 8)},
                           {malloc(B * 8), malloc(B * 8)}};
            sr_share_split(&prg, n, a.lo[SR_ALICE], a.lo[SR_BOB], v, bw);
            cr_assert_eq(sr_test_run2(am_fn, &a), SR_OK);
            long *ref = malloc(B * sizeof *ref);
            sr_fastgrnn_fx_argmax(B, K, ref, v, bw);
            for (size_t b = 0; b < B; b++) {
                const uint64_t got =
                    (a.lab[0][b] + a.lab[1][b]) & sr_mask(bw + 1);
                cr_assert_eq(got, (uint64_t)ref[b], "K=%zu bw=%u b=%zu", K, bw,
                             b);
            }
            free(ref);
            for (int p = 0; p < 2; p++) {
                free(a.lo[p]);
                free(a.lab[p]);
            }
            free(v);
        }
    sr_prg_clear(&prg);
}

/* ---- the model card (jobs/card.h) ------------------------------------- */

Test(fastgrnn_secure, card_roundtrip_and_check)
{
    random_model(tmpdir, 6, 12, 5, 4, 3, 4, 21);
    sr_model m;
    sr_fastgrnn_fx q;
    load_fx(&m, &q, tmpdir);
    sr_card c, d;
    sr_card_make(&c, &m, &q.f);
    char t[SR_CARD_MAX], err[300];
    const size_t n = sr_card_encode(t, sizeof t, &c);
    cr_assert_eq(sr_card_decode(&d, t, n, err, sizeof err), SR_OK, "%s", err);
    cr_assert_str_eq(d.name, "rand");
    cr_assert_eq(memcmp(&d.pub, &c.pub, sizeof c.pub), 0);
    cr_assert_null(strstr(t, "zeta")); /* never the model's secrets */
    /* a request that fits, then each field wrong */
    sr_card_request r = {.batch = 3, .timesteps = 4, .input_dim = 6,
                         .reveal = SR_REVEAL_LOGITS},
                    r2;
    char rq[512];
    const size_t rn = sr_card_request_encode(rq, sizeof rq, &r);
    cr_assert_eq(sr_card_request_decode(&r2, rq, rn, err, sizeof err), SR_OK);
    cr_assert_eq(memcmp(&r, &r2, sizeof r), 0);
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_OK);
    r.timesteps = 5;
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, "timesteps: model card 4, client input 5", 39) == 0,
              "%s", err);
    r.timesteps = 4, r.input_dim = 7;
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, "input_dim: model card 6, client input 7", 39) == 0,
              "%s", err);
    /* strict parsing: unknown, duplicate, missing keys name the key */
    char bad[SR_CARD_MAX + 64];
    snprintf(bad, sizeof bad, "%sweights=1\n", t);
    cr_assert_eq(sr_card_decode(&d, bad, strlen(bad), err, sizeof err),
                 SR_EUSAGE);
    cr_assert(strncmp(err, "weights:", 8) == 0, "%s", err);
    snprintf(bad, sizeof bad, "%sclasses=5\n", t);
    cr_assert_eq(sr_card_decode(&d, bad, strlen(bad), err, sizeof err),
                 SR_EUSAGE);
    cr_assert(strncmp(err, "classes: given twice", 20) == 0, "%s", err);
    const char *h = strstr(t, "hidden_dim=");
    snprintf(bad, sizeof bad, "%.*s%s", (int)(h - t), t, strchr(h, '\n') + 1);
    cr_assert_eq(sr_card_decode(&d, bad, strlen(bad), err, sizeof err),
                 SR_EUSAGE);
    cr_assert(strncmp(err, "hidden_dim: missing", 19) == 0, "%s", err);
    cr_assert_eq(sr_reveal_parse("logits"), SR_REVEAL_LOGITS);
    cr_assert_eq(sr_reveal_parse("all"), -1);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
}

/*
 * Lane pairs (small batches, fastgrnn_secure.h): the same logits as the
 * twin and as one lane, the same bytes block by block, and each step's
 * tanh off the critical lane: rounds drop by at most the tanh's.
 */
Test(fastgrnn_secure, lane_pairs_same_bytes_fewer_rounds)
{
    sr_model m;
    sr_fastgrnn_fx q;
    sr_fastgrnn_sec S;
    random_sec(&m, &q, &S, 4, 6, 3, 4, 0, 2, 23);
    enum { B = 3 };
    uint64_t xq[B * 4 * 4];
    for (size_t i = 0; i < sizeof xq / 8; i++)
        xq[i] = (i * 7919u + 13u) & 0xffff;
    uint64_t ref[B * 3];
    cr_assert_eq(sr_fastgrnn_fx_logits(&q, B, ref, xq, NULL), SR_OK);
    struct run r1, r2;
    sr_test_opts o1 = run_secure(&r1, &S, &q, B, xq, SR_REVEAL_LOGITS, 1);
    sr_test_opts o2 = run_secure(&r2, &S, &q, B, xq, SR_REVEAL_LOGITS, 2);
    cr_assert_leq(B, SR_FG_PAIR_SAMPLES * 2); /* so the 2 lanes pair */
    for (size_t i = 0; i < B * 3; i++) {
        cr_assert_eq(r2.logits[SR_CLIENT][i], ref[i], "logit %zu", i);
        cr_assert_eq(r1.logits[SR_CLIENT][i], ref[i], "logit %zu", i);
    }
    for (unsigned b = 0; b < SR_FG_NBLOCKS; b++)
        cr_assert_eq(r2.st[SR_CLIENT].bytes[b], r1.st[SR_CLIENT].bytes[b],
                     "block %u", b);
    const uint64_t bytes1 =
        o1.st[SR_SERVER].bytes_sent + o1.st[SR_CLIENT].bytes_sent;
    const uint64_t bytes2 =
        o2.st[SR_SERVER].bytes_sent + o2.st[SR_CLIENT].bytes_sent;
    cr_assert_eq(bytes2, bytes1);
    const uint64_t tanh = r1.st[SR_CLIENT].rounds[SR_FG_TANH];
    cr_assert_gt(tanh, 0);
    cr_assert_lt(o2.rounds, o1.rounds, "paired %llu, one lane %llu",
                 (unsigned long long)o2.rounds, (unsigned long long)o1.rounds);
    cr_assert_geq(o2.rounds + tanh, o1.rounds, "paired %llu + tanh %llu < %llu",
                  (unsigned long long)o2.rounds, (unsigned long long)tanh,
                  (unsigned long long)o1.rounds);
    run_free(&r1);
    run_free(&r2);
    sr_fastgrnn_sec_clear(&S);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
}
