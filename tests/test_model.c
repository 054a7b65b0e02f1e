/*
 * tests/test_model.c -- model.json loader, input files and the float
 * FastGRNN: the bundled models reproduce the training script's logits and
 * accuracy, and every bad model gets its one-line error.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/model.h"

static char tmpdir[64];

static void
setup(void)
{
    alarm(60);
    strcpy(tmpdir, "/tmp/sirnn-test-model-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(model, .init = setup, .fini = teardown);

/* Correct test predictions printed by tools/train_digits.py and
 * tools/train_kws.py for the bundled models (update when retraining). */
#define DIGITS_HITS 436 /* of 450: 0.968889 */
#define KWS_HITS 179    /* of 200: 0.895000 */

/* models/<name> from the repository root, or from build-x/tests. */
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

/* Runs the float model on a bundled test set and compares with the
 * logits the training script saved (float_logits.npy) and with the number
 * of correct predictions it printed (docs/models.md). */
static void
check_bundled(const char *name, int fold, size_t want_hits)
{
    char dir[256], px[256], py[256], pl[256], err[SR_NPY_ERRLEN];
    cr_assert(bundled(dir, sizeof dir, name, "model.json"), "no %s", name);
    dir[strlen(dir) - strlen("/model.json")] = '\0';
    cr_assert(bundled(px, sizeof px, name, "X_test.npy"));
    cr_assert(bundled(py, sizeof py, name, "Y_test.npy"));
    cr_assert(bundled(pl, sizeof pl, name, "float_logits.npy"));

    sr_model m;
    cr_assert_eq(sr_model_load(&m, dir, err, sizeof err), SR_OK, "%s", err);
    cr_assert_str_eq(m.name, name);
    if (fold) {
        cr_assert_not_null(m.w[SR_ROLE_MEAN].f64);
        cr_assert_eq(sr_model_fold_normalisation(&m), SR_OK);
        cr_assert_null(m.w[SR_ROLE_MEAN].f64);
        cr_assert_null(m.w[SR_ROLE_STD].f64);
    }
    sr_npy x, y, ref;
    cr_assert_eq(
        sr_input_load(&x, px, m.timesteps, m.input_dim, err, sizeof err), SR_OK,
        "%s", err);
    size_t B = x.shape[0], K = m.classes;
    cr_assert_eq(sr_labels_load(&y, py, B, K, err, sizeof err), SR_OK, "%s",
                 err);
    cr_assert_eq(sr_npy_load(&ref, pl, SR_NPY_FLOAT, err, sizeof err), SR_OK);
    cr_assert_eq(ref.ndim, 2);
    cr_assert_eq(ref.shape[0], B);
    cr_assert_eq(ref.shape[1], K);

    double *logits = malloc(B * K * sizeof *logits);
    long *pred = malloc(B * sizeof *pred), *rpred = malloc(B * sizeof *rpred);
    sr_fastgrnn_float p = sr_model_float(&m);
    cr_assert_eq(sr_fastgrnn_float_logits(&p, B, logits, x.f64), SR_OK);
    sr_fastgrnn_float_argmax(B, K, pred, logits);
    sr_fastgrnn_float_argmax(B, K, rpred, ref.f64);

    double worst = 0;
    size_t hits = 0, rhits = 0;
    for (size_t i = 0; i < B * K; i++) {
        double d = fabs(logits[i] - ref.f64[i]) / (1.0 + fabs(ref.f64[i]));
        worst = d > worst ? d : worst;
    }
    for (size_t b = 0; b < B; b++) {
        hits += pred[b] == y.i64[b];
        rhits += rpred[b] == y.i64[b];
    }
    /* unfolded: the same operations as numpy up to summation order */
    cr_assert_lt(worst, fold ? 1e-9 : 1e-11, "%s: worst rel diff %g", name,
                 worst);
    for (size_t b = 0; b < B; b++)
        cr_assert_eq(pred[b], rpred[b], "%s: sample %zu", name, b);
    cr_assert_eq(hits, rhits);
    cr_assert_eq(hits, want_hits, "%s: %zu/%zu", name, hits, B);

    free(logits);
    free(pred);
    free(rpred);
    sr_npy_clear(&x);
    sr_npy_clear(&y);
    sr_npy_clear(&ref);
    sr_model_clear(&m);
    sr_model_clear(&m); /* idempotent */
}

Test(model, digits_reproduces_training_script)
{
    check_bundled("digits", 0, DIGITS_HITS);
}

Test(model, digits_folded_normalisation_same_predictions)
{
    check_bundled("digits", 1, DIGITS_HITS);
}

Test(model, digits_card_fields)
{
    char dir[256], err[SR_NPY_ERRLEN];
    cr_assert(bundled(dir, sizeof dir, "digits", "model.json"));
    dir[strlen(dir) - strlen("/model.json")] = '\0';
    sr_model m;
    cr_assert_eq(sr_model_load(&m, dir, err, sizeof err), SR_OK, "%s", err);
    cr_assert_eq(m.type, SR_MODEL_FASTGRNN);
    cr_assert_eq(m.input_dim, 8);
    cr_assert_eq(m.timesteps, 8);
    cr_assert_eq(m.classes, 10);
    cr_assert_eq(m.rW, 0);
    cr_assert_eq(m.rU, 0);
    cr_assert_null(m.fixed_point);
    cr_assert_eq(m.w[SR_ROLE_W].shape[0], 8);
    cr_assert_eq(m.w[SR_ROLE_W].shape[1], m.hidden_dim);
    sr_model_clear(&m);
}

Test(model, kws_reproduces_training_script)
{
    char p[256];
    if (!bundled(p, sizeof p, "kws", "model.json"))
        cr_skip_test("models/kws not bundled");
    check_bundled("kws", 0, KWS_HITS);
    check_bundled("kws", 1, KWS_HITS);
}

/* -- synthetic models written by the test ------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double
urand(void) /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

static void
put(const char *dir, const char *file, size_t r, size_t c, const double *v)
{
    char p[256], err[SR_NPY_ERRLEN];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    size_t shape[2] = {r, c};
    cr_assert_eq(
        sr_npy_save_f64(p, SR_NPY_F8, shape, c ? 2 : 1, v, err, sizeof err),
        SR_OK, "%s", err);
}

static void
put_json(const char *dir, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/model.json", dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

enum { D = 5, H = 7, K = 3, T = 4, RW = 2, RU = 3 };

/* Random factors, their products, biases, normalisation. */
struct synth {
    double W1[D * RW], W2[RW * H], U1[H * RU], U2[RU * H];
    double W[D * H], U[H * H];
    double bg[H], bu[H], fcW[H * K], fcb[K], mean[D], sd[D];
};

static void
make_synth(struct synth *s)
{
    for (size_t i = 0; i < D * RW; i++)
        s->W1[i] = urand();
    for (size_t i = 0; i < RW * H; i++)
        s->W2[i] = urand();
    for (size_t i = 0; i < H * RU; i++)
        s->U1[i] = 0.5 * urand();
    for (size_t i = 0; i < RU * H; i++)
        s->U2[i] = 0.5 * urand();
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < H; j++) {
            double a = 0;
            for (size_t k = 0; k < RW; k++)
                a += s->W1[i * RW + k] * s->W2[k * H + j];
            s->W[i * H + j] = a;
        }
    for (size_t i = 0; i < H; i++)
        for (size_t j = 0; j < H; j++) {
            double a = 0;
            for (size_t k = 0; k < RU; k++)
                a += s->U1[i * RU + k] * s->U2[k * H + j];
            s->U[i * H + j] = a;
        }
    for (size_t i = 0; i < H; i++) {
        s->bg[i] = urand();
        s->bu[i] = urand();
    }
    for (size_t i = 0; i < H * K; i++)
        s->fcW[i] = 2 * urand();
    for (size_t i = 0; i < K; i++)
        s->fcb[i] = urand();
    for (size_t i = 0; i < D; i++) {
        s->mean[i] = 3 * urand();
        s->sd[i] = 1.5 + urand();
    }
}

static const char *json_full =
    "{\"format\": \"sirnn-model/1\", \"name\": \"t\", \"type\": \"fastgrnn\","
    " \"input_dim\": 5, \"hidden_dim\": 7, \"classes\": 3, \"timesteps\": 4,"
    " \"zeta\": 1.25, \"nu\": -3,"
    " \"weights\": {\"W\": \"W.npy\", \"U\": \"U.npy\", \"b_gate\": "
    "\"bg.npy\", \"b_update\": \"bu.npy\", \"fc_W\": \"fcW.npy\", \"fc_b\": "
    "\"fcb.npy\", \"mean\": \"mean.npy\", \"std\": \"std.npy\"}}";

static const char *json_low =
    "{\"format\": \"sirnn-model/1\", \"name\": \"t\", \"type\": \"fastgrnn\","
    " \"input_dim\": 5, \"hidden_dim\": 7, \"classes\": 3, \"timesteps\": 4,"
    " \"zeta\": 1.25, \"nu\": -3,"
    " \"weights\": {\"W1\": \"W1.npy\", \"W2\": \"W2.npy\", \"U1\": "
    "\"U1.npy\", \"U2\": \"U2.npy\", \"b_gate\": \"bg.npy\", \"b_update\": "
    "\"bu.npy\", \"fc_W\": \"fcW.npy\", \"fc_b\": \"fcb.npy\", \"mean\": "
    "\"mean.npy\", \"std\": \"std.npy\"},"
    " \"fixed_point\": {\"x\": {\"bw\": 16, \"scale\": 8}}}";

static void
write_synth(const char *dir, const struct synth *s)
{
    put(dir, "W.npy", D, H, s->W);
    put(dir, "U.npy", H, H, s->U);
    put(dir, "W1.npy", D, RW, s->W1);
    put(dir, "W2.npy", RW, H, s->W2);
    put(dir, "U1.npy", H, RU, s->U1);
    put(dir, "U2.npy", RU, H, s->U2);
    put(dir, "bg.npy", 1, H, s->bg); /* EdgeML's [1,H] */
    put(dir, "bu.npy", H, 0, s->bu); /* [H] */
    put(dir, "fcW.npy", H, K, s->fcW);
    put(dir, "fcb.npy", 1, K, s->fcb);
    put(dir, "mean.npy", D, 0, s->mean);
    put(dir, "std.npy", D, 0, s->sd);
}

/* Straightforward reference of DESIGN.md s7 with full-rank W and U. */
static void
reference(const struct synth *s, size_t B, const double *x, double *out)
{
    double sz = 1 / (1 + exp(-1.25)), sn = 1 / (1 + exp(3.0));
    for (size_t b = 0; b < B; b++) {
        double h[H] = {0}, hn[H];
        for (size_t t = 0; t < T; t++) {
            for (size_t j = 0; j < H; j++) {
                double a = 0;
                for (size_t d = 0; d < D; d++)
                    a += (x[(b * T + t) * D + d] - s->mean[d]) / s->sd[d] *
                         s->W[d * H + j];
                for (size_t i = 0; i < H; i++)
                    a += h[i] * s->U[i * H + j];
                double z = 1 / (1 + exp(-(a + s->bg[j])));
                double c = tanh(a + s->bu[j]);
                hn[j] = z * h[j] + (sz * (1 - z) + sn) * c;
            }
            memcpy(h, hn, sizeof h);
        }
        for (size_t k = 0; k < K; k++) {
            double a = s->fcb[k];
            for (size_t j = 0; j < H; j++)
                a += h[j] * s->fcW[j * K + k];
            out[b * K + k] = a;
        }
    }
}

Test(model, low_rank_full_rank_folded_and_reference_agree)
{
    struct synth s;
    make_synth(&s);
    write_synth(tmpdir, &s);
    enum { B = 6 };
    double x[B * T * D], ref[B * K], out[B * K];
    for (size_t i = 0; i < B * T * D; i++)
        x[i] = 4 * urand();
    reference(&s, B, x, ref);

    const char *jsons[2] = {json_full, json_low};
    char err[SR_NPY_ERRLEN];
    for (int v = 0; v < 2; v++)
        for (int fold = 0; fold < 2; fold++) {
            put_json(tmpdir, jsons[v]);
            sr_model m;
            cr_assert_eq(sr_model_load(&m, tmpdir, err, sizeof err), SR_OK,
                         "%s", err);
            cr_assert_eq(m.rW, v ? RW : 0);
            cr_assert_eq(m.rU, v ? RU : 0);
            cr_assert_eq(m.zeta, 1.25);
            cr_assert_eq(m.nu, -3.0);
            if (v) {
                cr_assert_not_null(m.fixed_point);
                json_t *fx = json_object_get(m.fixed_point, "x");
                cr_assert_eq(json_integer_value(json_object_get(fx, "bw")), 16);
            }
            if (fold)
                cr_assert_eq(sr_model_fold_normalisation(&m), SR_OK);
            sr_fastgrnn_float p = sr_model_float(&m);
            cr_assert_eq(sr_fastgrnn_float_logits(&p, B, out, x), SR_OK);
            for (size_t i = 0; i < B * K; i++)
                cr_assert(fabs(out[i] - ref[i]) < 1e-12 * (1 + fabs(ref[i])),
                          "v%d fold%d i=%zu %.17g vs %.17g", v, fold, i, out[i],
                          ref[i]);
            /* one sample at a time gives the same logits */
            double one[K];
            cr_assert_eq(sr_fastgrnn_float_logits(&p, 1, one, x + 2 * T * D),
                         SR_OK);
            cr_assert_eq(memcmp(one, out + 2 * K, sizeof one), 0);
            sr_model_clear(&m);
        }
}

Test(model, argmax_ties_and_nan)
{
    double l[12] = {1, 3, 3, 0, NAN, 2, 2, 1, NAN, NAN, NAN, NAN};
    long pred[4];
    sr_fastgrnn_float_argmax(3, 4, pred, l);
    cr_assert_eq(pred[0], 1);
    cr_assert_eq(pred[1], 1);
    cr_assert_eq(pred[2], 0);
}

/* -- bad models: one exact line each ---------------------------------- */

struct bad_model {
    const char *from, *to; /* edit of json_full (from == NULL: raw text) */
    const char *msg;       /* '@' stands for the model directory; a
                              trailing '*' means "starts with" */
};

static const struct bad_model bad[] = {
    {NULL, "{", "sirnn: @/model.json: json: line *"},
    {NULL, "[1]",
     "sirnn: @/model.json: json: expected an object, found an "
     "array"},
    {"sirnn-model/1", "sirnn-model/2",
     "sirnn: @/model.json: format: expected \"sirnn-model/1\", found "
     "\"sirnn-model/2\""},
    {"\"type\": \"fastgrnn\"", "\"type\": \"rnnpool-heads\"",
     "sirnn: @/model.json: input_dim: unknown key (an rnnpool-heads model "
     "has *"},
    {"\"type\": \"fastgrnn\"", "\"type\": \"lstm\"",
     "sirnn: @/model.json: type: expected \"fastgrnn\" or \"rnnpool-heads\", "
     "found \"lstm\""},
    {"\"type\": \"fastgrnn\"", "\"type\": 1",
     "sirnn: @/model.json: type: expected a string, found an integer"},
    {"\"hidden_dim\": 7", "\"hidden_dim\": 7, \"hiden_dim\": 7",
     "sirnn: @/model.json: hiden_dim: unknown key (a fastgrnn model has "
     "format, name, type, input_dim, hidden_dim, classes, timesteps, zeta, "
     "nu, weights, fixed_point)"},
    {"\"hidden_dim\": 7", "\"hidden_dim\": 7, \"hidden_dim\": 7",
     "sirnn: @/model.json: json: line *"},
    {"\"hidden_dim\": 7", "\"hidden_dim\": 0",
     "sirnn: @/model.json: hidden_dim: expected an integer in [1, 1048576], "
     "found 0"},
    {"\"hidden_dim\": 7", "\"hidden_dim\": \"7\"",
     "sirnn: @/model.json: hidden_dim: expected a positive integer, found a "
     "string"},
    {"\"timesteps\": 4,", "", "sirnn: @/model.json: timesteps: missing"},
    {" \"zeta\": 1.25,", "", "sirnn: @/model.json: zeta: missing"},
    {"\"nu\": -3", "\"nu\": true",
     "sirnn: @/model.json: nu: expected a number, found a boolean"},
    {"\"classes\": 3", "\"classes\": 1",
     "sirnn: @/model.json: classes: expected at least 2, found 1"},
    {"\"name\": \"t\"", "\"name\": \"\"",
     "sirnn: @/model.json: name: expected 1 to 63 printable ASCII "
     "characters"},
    {"\"W\": \"W.npy\"", "\"W\": \"W.npy\", \"V\": \"W.npy\"",
     "sirnn: @/model.json: weights: unknown role \"V\" (expected W or W1+W2, "
     "U or U1+U2, b_gate, b_update, fc_W, fc_b, and optionally mean+std)"},
    {"\"W\": \"W.npy\"", "\"W\": \"W.npy\", \"W1\": \"W1.npy\"",
     "sirnn: @/model.json: weights: both \"W\" and \"W1\" given, expected W "
     "[D,H] or W1 [D,rW] + W2 [rW,H]"},
    {"\"W\": \"W.npy\"", "\"W1\": \"W1.npy\"",
     "sirnn: @/model.json: weights: \"W1\" given without \"W2\", expected W "
     "[D,H] or W1 [D,rW] + W2 [rW,H]"},
    {"\"U\": \"U.npy\",", "",
     "sirnn: @/model.json: weights: missing \"U\", expected U [H,H] or U1 "
     "[H,rU] + U2 [rU,H]"},
    {", \"fc_b\": \"fcb.npy\"", "",
     "sirnn: @/model.json: weights: missing role \"fc_b\""},
    {", \"std\": \"std.npy\"", "",
     "sirnn: @/model.json: weights: \"mean\" given without \"std\" "
     "(normalisation needs both)"},
    {"\"W\": \"W.npy\"", "\"W\": 3",
     "sirnn: @/model.json: weights: \"W\": expected a file name, found an "
     "integer"},
    {"\"W\": \"W.npy\"", "\"W\": \"/etc/passwd\"",
     "sirnn: @/model.json: weights: \"W\": expected a file name relative to "
     "the model directory, found \"/etc/passwd\""},
    {"\"weights\"", "\"fixed_point\": [], \"weights\"",
     "sirnn: @/model.json: fixed_point: expected an object, found an array"},
    {"\"W\": \"W.npy\"", "\"W\": \"nope.npy\"",
     "sirnn: @/nope.npy: open: No such file or directory"},
    {"\"W\": \"W.npy\"", "\"W\": \"U.npy\"",
     "sirnn: @/U.npy: shape: expected (5, 7) for \"W\" [input_dim, "
     "hidden_dim], found (7, 7)"},
    {"\"W\": \"W.npy\"", "\"W1\": \"W1.npy\", \"W2\": \"U1.npy\"",
     "sirnn: @/U1.npy: shape: expected (2, 7) for \"W2\" [rank of W1, "
     "hidden_dim], found (7, 3)"},
    {"\"W\": \"W.npy\"", "\"W1\": \"mean.npy\", \"W2\": \"W2.npy\"",
     "sirnn: @/mean.npy: shape: expected (5, rank) for \"W1\" [input_dim, "
     "rank], found (5,)"},
    {"\"bg.npy\"", "\"fcW.npy\"",
     "sirnn: @/fcW.npy: shape: expected (7,) for \"b_gate\" [hidden_dim] or "
     "[1, hidden_dim], found (7, 3)"},
    {"\"fcb.npy\"", "\"int.npy\"",
     "sirnn: @/int.npy: dtype: expected float32 '<f4' or float64 '<f8', "
     "found int64 '<i8'"},
    {"\"U.npy\"", "\"nan.npy\"",
     "sirnn: @/nan.npy: values: \"U\" element 9 is NaN, expected finite "
     "weights"},
    {"\"U.npy\"", "\"inf.npy\"",
     "sirnn: @/inf.npy: values: \"U\" element 48 is inf, expected finite "
     "weights"},
    {"\"std.npy\"", "\"std0.npy\"",
     "sirnn: @/std0.npy: values: \"std\" element 2 is 0, expected > 0"},
    {"\"W.npy\"", "\"bad.npy\"",
     "sirnn: @/bad.npy: magic: not a .npy file (expected \\x93NUMPY)"},
};

/* Replaces the first `from` in base by `to`. */
static char *
edit(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    cr_assert_not_null(at, "no '%s' in the base json", from);
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    size_t pre = (size_t)(at - base);
    memcpy(out, base, pre);
    strcpy(out + pre, to);
    strcat(out, at + strlen(from));
    return out;
}

/* The expected message with '@' expanded to the model directory. */
static void
expand(char *out, size_t n, const char *msg)
{
    size_t k = 0;
    for (const char *p = msg; *p && k + 1 < n; p++) {
        if (*p == '@') {
            k += (size_t)snprintf(out + k, n - k, "%s", tmpdir);
            continue;
        }
        out[k++] = *p;
    }
    out[k < n ? k : n - 1] = '\0';
}

Test(model, every_bad_model_gets_its_message)
{
    struct synth s;
    make_synth(&s);
    write_synth(tmpdir, &s);
    char err[SR_NPY_ERRLEN], p[256];
    double bad_u[H * H];
    memcpy(bad_u, s.U, sizeof bad_u);
    bad_u[9] = NAN;
    put(tmpdir, "nan.npy", H, H, bad_u);
    bad_u[9] = 0;
    bad_u[48] = INFINITY;
    put(tmpdir, "inf.npy", H, H, bad_u);
    double sd0[D];
    memcpy(sd0, s.sd, sizeof sd0);
    sd0[2] = 0;
    put(tmpdir, "std0.npy", D, 0, sd0);
    int64_t ib[K] = {1, 2, 3};
    const size_t kshape[1] = {K};
    snprintf(p, sizeof p, "%s/int.npy", tmpdir);
    cr_assert_eq(sr_npy_save_i64(p, SR_NPY_I8, kshape, 1, ib, err, sizeof err),
                 SR_OK);
    snprintf(p, sizeof p, "%s/bad.npy", tmpdir);
    FILE *f = fopen(p, "w");
    fputs("not numpy at all", f);
    fclose(f);

    /* the base itself loads */
    put_json(tmpdir, json_full);
    sr_model m;
    cr_assert_eq(sr_model_load(&m, tmpdir, err, sizeof err), SR_OK, "%s", err);
    sr_model_clear(&m);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *js = bad[i].from ? edit(json_full, bad[i].from, bad[i].to)
                               : strdup(bad[i].to);
        put_json(tmpdir, js);
        free(js);
        int rc = sr_model_load(&m, tmpdir, err, sizeof err);
        cr_assert_eq(rc, SR_EUSAGE, "case %zu", i);
        char want[512];
        expand(want, sizeof want, bad[i].msg);
        size_t wl = strlen(want);
        if (wl && want[wl - 1] == '*')
            cr_assert_eq(strncmp(err, want, wl - 1), 0, "case %zu: %s", i, err);
        else
            cr_assert_str_eq(err, want, "case %zu", i);
        /* a failed load leaves the model cleared */
        for (int r = 0; r < SR_ROLE_COUNT; r++)
            cr_assert_null(m.w[r].f64);
        cr_assert_null(m.fixed_point);
        sr_model_clear(&m);
    }

    /* no model.json at all */
    snprintf(p, sizeof p, "%s/model.json", tmpdir);
    cr_assert_eq(unlink(p), 0);
    cr_assert_eq(sr_model_load(&m, tmpdir, err, sizeof err), SR_EUSAGE);
    char want[256];
    expand(want, sizeof want, "sirnn: @/model.json: open: ");
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
}

Test(model, input_and_label_files)
{
    char p[256], err[SR_NPY_ERRLEN], want[512];
    double x[2 * T * D];
    for (size_t i = 0; i < 2 * T * D; i++)
        x[i] = urand();
    const size_t xs[3] = {2, T, D}, bad_s[3] = {2, D, T};
    sr_npy a;
    snprintf(p, sizeof p, "%s/X.npy", tmpdir);

    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F4, xs, 3, x, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_input_load(&a, p, T, D, err, sizeof err), SR_OK);
    cr_assert_eq(a.shape[0], 2);
    cr_assert_eq(a.f64[7], (double)(float)x[7]);
    sr_npy_clear(&a);

    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F4, bad_s, 3, x, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_input_load(&a, p, T, D, err, sizeof err), SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: %s: shape: expected (B, 4, 5) [batch, timesteps, "
             "input_dim] with B >= 1, found (2, 5, 4)",
             p);
    cr_assert_str_eq(err, want);
    cr_assert_null(a.f64);

    x[T * D + 2 * D + 3] = NAN;
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F8, xs, 3, x, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_input_load(&a, p, T, D, err, sizeof err), SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: %s: values: element [1, 2, 3] is NaN, expected finite "
             "inputs",
             p);
    cr_assert_str_eq(err, want);

    int64_t y[3] = {0, 2, 1};
    const size_t ys[1] = {3};
    snprintf(p, sizeof p, "%s/Y.npy", tmpdir);
    cr_assert_eq(sr_npy_save_i64(p, SR_NPY_I4, ys, 1, y, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_labels_load(&a, p, 3, K, err, sizeof err), SR_OK);
    cr_assert_eq(a.i64[1], 2);
    sr_npy_clear(&a);
    cr_assert_eq(sr_labels_load(&a, p, 2, K, err, sizeof err), SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: %s: shape: expected (2,) [batch of the inputs], found "
             "(3,)",
             p);
    cr_assert_str_eq(err, want);
    y[2] = 3;
    cr_assert_eq(sr_npy_save_i64(p, SR_NPY_I8, ys, 1, y, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_labels_load(&a, p, 3, K, err, sizeof err), SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: %s: values: label 2 is 3, expected a class in [0, 3)", p);
    cr_assert_str_eq(err, want);
    snprintf(p, sizeof p, "%s/X.npy", tmpdir);
    cr_assert_eq(sr_labels_load(&a, p, 2, K, err, sizeof err), SR_EUSAGE);
    cr_assert(strstr(err, ": dtype: expected int32 '<i4' or int64 '<i8', "
                          "found float64 '<f8'") != NULL,
              "%s", err);
}
