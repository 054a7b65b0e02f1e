/*
 * tests/test_quantise.c -- `sirnn quantise` and `sirnn plain` (command
 * bodies in jobs/quantise.c, jobs/plain.c): deterministic formats written
 * into model.json, the "fixed_point" schema (round trip and every
 * rejection), the predictions CSV (exact logits, same as the twin), and
 * bad input -> exit 2 with the one-line error.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/heads_fmt.h"
#include "jobs/model.h"
#include "jobs/plain.h"
#include "jobs/quantise.h"
#include "layers/fastgrnn.h"
#include "layers/heads.h"

static char tmpdir[64];

static void
setup(void)
{
    alarm(60);
    strcpy(tmpdir, "/tmp/sirnn-test-quantise-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(quantise, .init = setup, .fini = teardown);

/* models/<name> from the repository root or a build directory. */
static int
bundled(char *out, size_t n, const char *name)
{
    static const char *roots[] = {"models", "../../models", "../models"};
    char probe[300];
    for (size_t i = 0; i < 3; i++) {
        snprintf(probe, sizeof probe, "%s/%s/model.json", roots[i], name);
        if (access(probe, R_OK) == 0) {
            snprintf(out, n, "%s/%s", roots[i], name);
            return 1;
        }
    }
    return 0;
}

/* A copy of the bundled model in tmpdir/<name>; its path in out. */
static void
copy_model(char *out, size_t n, const char *name)
{
    char src[256], cmd[700];
    cr_assert(bundled(src, sizeof src, name));
    snprintf(out, n, "%s/%s", tmpdir, name);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", src, out);
    cr_assert_eq(system(cmd), 0);
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

typedef int (*cmd_fn)(int, char **);

/*
 * Runs fn(argv) with stdout and stderr captured into out/err (malloc'ed
 * strings); returns the exit code.  argv is NULL-terminated.
 */
static int
run(cmd_fn fn, char **out, char **err, const char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    char po[128], pe[128];
    snprintf(po, sizeof po, "%s/stdout", tmpdir);
    snprintf(pe, sizeof pe, "%s/stderr", tmpdir);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = fn(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so), close(se), close(fo), close(fe);
    *out = slurp(po);
    *err = slurp(pe);
    return rc;
}

/* Exit code code and exactly one stderr line equal to want. */
static void
expect_error(cmd_fn fn, int code, const char *want, const char **argv)
{
    char *out, *err;
    int rc = run(fn, &out, &err, argv);
    cr_assert_eq(rc, code, "exit %d, stderr: %s", rc, err);
    char line[1200];
    snprintf(line, sizeof line, "%s\n", want);
    cr_assert_str_eq(err, line);
    free(out);
    free(err);
}

/* Exit code and a stderr line starting with prefix. */
static void
expect_error_prefix(cmd_fn fn, int code, const char *prefix, const char **argv)
{
    char *out, *err;
    int rc = run(fn, &out, &err, argv);
    cr_assert_eq(rc, code, "exit %d, stderr: %s", rc, err);
    cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "stderr: %s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
    free(out);
    free(err);
}

/* ---- determinism and the written object -------------------------------- */

Test(quantise, deterministic_and_same_as_load_rule)
{
    char dir[128], mj[160];
    copy_model(dir, sizeof dir, "kws");
    snprintf(mj, sizeof mj, "%s/model.json", dir);
    char *out, *err;
    /* formats the load rule gives when fixed_point is absent */
    sr_model m;
    sr_fastgrnn_fmt rule, written;
    char e[1024];
    cr_assert_eq(sr_model_load(&m, dir, e, sizeof e), SR_OK, "%s", e);
    cr_assert_null(m.fixed_point);
    cr_assert_eq(sr_model_formats(&rule, &m, dir, e, sizeof e), SR_OK);
    sr_model_clear(&m);

    const char *a1[] = {"quantise", "--model", dir, NULL};
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, a1), 0, "%s", err);
    cr_assert_str_eq(err, "");
    cr_assert_eq(strncmp(out, "quantise: ", 10), 0);
    free(out), free(err);
    char *first = slurp(mj);
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, a1), 0, "%s", err);
    free(out), free(err);
    char *second = slurp(mj);
    cr_assert_str_eq(first, second);

    cr_assert_eq(sr_model_load(&m, dir, e, sizeof e), SR_OK, "%s", e);
    cr_assert_not_null(m.fixed_point);
    cr_assert_eq(sr_model_formats(&written, &m, dir, e, sizeof e), SR_OK, "%s",
                 e);
    cr_assert_arr_eq(&written, &rule, sizeof rule);
    sr_model_clear(&m);

    /* with calibration data: deterministic too */
    char x[300], y[300];
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    snprintf(y, sizeof y, "%s/Y_test.npy", dir);
    const char *a2[] = {"quantise", "--model",  dir, "--calib",
                        x,          "--labels", y,   NULL};
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, a2), 0, "%s", err);
    cr_assert_not_null(strstr(out, "calibration 200 samples: float "
                                   "0.895000, plain 0.895000"),
                       "%s", out);
    free(out), free(err);
    char *third = slurp(mj);
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, a2), 0, "%s", err);
    free(out), free(err);
    char *fourth = slurp(mj);
    cr_assert_str_eq(third, fourth);
    cr_assert_str_neq(first, third);
    /* the rest of model.json is kept */
    json_error_t je;
    json_t *root = json_loads(fourth, 0, &je);
    cr_assert_not_null(root);
    cr_assert_str_eq(json_string_value(json_object_get(root, "name")), "kws");
    cr_assert_eq(json_integer_value(json_object_get(root, "hidden_dim")), 100);
    json_t *cal =
        json_object_get(json_object_get(root, "fixed_point"), "calibration");
    cr_assert_eq(json_integer_value(json_object_get(cal, "samples")), 200);
    json_decref(root);
    free(first), free(second), free(third), free(fourth);
}

Test(quantise, json_round_trip)
{
    const char *names[] = {"digits", "kws"};
    for (size_t i = 0; i < 2; i++) {
        char dir[256], e[1024];
        cr_assert(bundled(dir, sizeof dir, names[i]));
        sr_model m;
        sr_fastgrnn_fmt f, g;
        cr_assert_eq(sr_model_load(&m, dir, e, sizeof e), SR_OK, "%s", e);
        cr_assert_eq(sr_model_formats(&f, &m, dir, e, sizeof e), SR_OK);
        json_t *o = sr_fixed_point_json(&f, &m, NULL);
        memset(&g, 0x55, sizeof g);
        cr_assert_eq(sr_fixed_point_parse(&g, o, &m, "m", e, sizeof e), SR_OK,
                     "%s", e);
        /* unused roles are zero in both */
        cr_assert_arr_eq(&f, &g, sizeof f);
        json_decref(o);
        sr_model_clear(&m);
    }
}

/* ---- plain ----------------------------------------------------------------
 */

/* plain's CSV equals the twin: header, pred = argmax, every logit the
 * exact value of the twin's pattern; --labels prints the accuracy. */
Test(quantise, plain_csv_matches_twin)
{
    char dir[256], x[300], y[300], csv[128], e[1024];
    cr_assert(bundled(dir, sizeof dir, "digits"));
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    snprintf(y, sizeof y, "%s/Y_test.npy", dir);
    snprintf(csv, sizeof csv, "%s/pred.csv", tmpdir);
    const char *a[] = {"plain",    "--model", dir,        "--input", x,
                       "--labels", y,         "--output", csv,       NULL};
    char *out, *err;
    cr_assert_eq(run(sr_cmd_plain, &out, &err, a), 0, "%s", err);
    cr_assert_str_eq(out, "plain: fixed accuracy 0.968889 (436/450)\n");
    cr_assert_str_eq(err, "");
    free(out), free(err);

    sr_model m;
    sr_fastgrnn_fmt f;
    sr_fastgrnn_fx q;
    sr_npy xs;
    cr_assert_eq(sr_model_load(&m, dir, e, sizeof e), SR_OK);
    cr_assert_eq(sr_model_formats(&f, &m, dir, e, sizeof e), SR_OK);
    const sr_fastgrnn_float p = sr_model_float(&m);
    cr_assert_eq(sr_fastgrnn_fx_init(&q, &p, &f, NULL), SR_OK);
    cr_assert_eq(sr_input_load(&xs, x, 8, 8, e, sizeof e), SR_OK);
    const size_t B = 450, K = 10, n = B * 64;
    uint64_t *xq = malloc(n * 8), *lo = malloc(B * K * 8);
    (void)sr_fx_quantise(n, xq, xs.f64, f.x);
    cr_assert_eq(sr_fastgrnn_fx_logits(&q, B, lo, xq, NULL), SR_OK);

    FILE *fh = fopen(csv, "r");
    cr_assert_not_null(fh);
    char line[4096];
    cr_assert_not_null(fgets(line, sizeof line, fh));
    cr_assert_str_eq(line, "index,pred,logit_0,logit_1,logit_2,logit_3,"
                           "logit_4,logit_5,logit_6,logit_7,logit_8,"
                           "logit_9\n");
    for (size_t b = 0; b < B; b++) {
        cr_assert_not_null(fgets(line, sizeof line, fh));
        char *s = line, *end;
        cr_assert_eq(strtoul(s, &end, 10), b);
        long pred = strtol(end + 1, &end, 10);
        size_t best = 0;
        for (size_t k = 0; k < K; k++) {
            cr_assert_eq(*end, ',');
            double v = strtod(end + 1, &end);
            cr_assert_eq(v, sr_fx_value(lo[b * K + k], f.logits), "b %zu", b);
            double i = ldexp(v, f.logits.s);
            cr_assert_eq(i, floor(i)); /* exact multiple of 2^-s */
            if (sr_fxp_sext(lo[b * K + k], 32) >
                sr_fxp_sext(lo[b * K + best], 32))
                best = k;
        }
        cr_assert_str_eq(end, "\n");
        cr_assert_eq(pred, (long)best);
    }
    cr_assert_null(fgets(line, sizeof line, fh));
    fclose(fh);
    free(lo), free(xq);
    sr_npy_clear(&xs);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);

    /* --float: same format, the float model's logits; without --output the
     * CSV goes to stdout and the accuracy to stderr */
    const char *af[] = {"plain",   "--model",  dir, "--input", x,
                        "--float", "--labels", y,   NULL};
    cr_assert_eq(run(sr_cmd_plain, &out, &err, af), 0, "%s", err);
    cr_assert_str_eq(err, "plain: float accuracy 0.968889 (436/450)\n");
    cr_assert_eq(strncmp(out, "index,pred,logit_0,", 19), 0);
    size_t rows = 0;
    for (char *c = out; *c; c++)
        rows += *c == '\n';
    cr_assert_eq(rows, B + 1);
    free(out), free(err);
}

/* A quantised model.json (formats of the load rule) gives the same CSV as
 * the same model without fixed_point. */
Test(quantise, plain_same_with_written_formats)
{
    char dir[128], x[300], c1[160], c2[160];
    copy_model(dir, sizeof dir, "digits");
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    snprintf(c1, sizeof c1, "%s/a.csv", tmpdir);
    snprintf(c2, sizeof c2, "%s/b.csv", tmpdir);
    char *out, *err;
    const char *p1[] = {"plain", "--model",  dir, "--input",
                        x,       "--output", c1,  NULL};
    cr_assert_eq(run(sr_cmd_plain, &out, &err, p1), 0, "%s", err);
    free(out), free(err);
    const char *q[] = {"quantise", "--model", dir, NULL};
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, q), 0, "%s", err);
    free(out), free(err);
    const char *p2[] = {"plain", "--model",  dir, "--input",
                        x,       "--output", c2,  NULL};
    cr_assert_eq(run(sr_cmd_plain, &out, &err, p2), 0, "%s", err);
    free(out), free(err);
    char *s1 = slurp(c1), *s2 = slurp(c2);
    cr_assert_str_eq(s1, s2);
    free(s1), free(s2);
}

/* ---- bad input: exit 2, one line ----------------------------------------- */

Test(quantise, bad_command_lines)
{
    char dir[256], x[300];
    cr_assert(bundled(dir, sizeof dir, "digits"));
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    const char *a1[] = {"quantise", NULL};
    expect_error(sr_cmd_quantise, 2,
                 "sirnn: quantise: --model: missing (sirnn quantise --model "
                 "DIR [--calib X.npy] [--labels Y.npy])",
                 a1);
    const char *a2[] = {"quantise", "--model", dir, "--bogus", "1", NULL};
    expect_error(sr_cmd_quantise, 2,
                 "sirnn: quantise: unknown option '--bogus' (expected "
                 "--model, --calib, --labels)",
                 a2);
    const char *a3[] = {"quantise", "--model", dir, "--labels", x, NULL};
    expect_error(sr_cmd_quantise, 2, "sirnn: quantise: --labels: needs --calib",
                 a3);
    const char *a4[] = {"quantise", "--model", NULL};
    expect_error(sr_cmd_quantise, 2, "sirnn: quantise: --model: needs a value",
                 a4);
    const char *a5[] = {"quantise", "--model", "/nonexistent-sirnn", NULL};
    expect_error_prefix(sr_cmd_quantise, 2,
                        "sirnn: /nonexistent-sirnn/model.json: ", a5);
    /* calibration data of the wrong shape (kws inputs for digits) */
    char kx[300];
    cr_assert(bundled(kx, sizeof kx, "kws"));
    strcat(kx, "/X_test.npy");
    const char *a6[] = {"quantise", "--model", dir, "--calib", kx, NULL};
    char pre[400];
    snprintf(pre, sizeof pre, "sirnn: %s: shape: ", kx);
    expect_error_prefix(sr_cmd_quantise, 2, pre, a6);

    const char *b1[] = {"plain", "--model", dir, NULL};
    expect_error(sr_cmd_plain, 2,
                 "sirnn: plain: --input: missing (sirnn plain --model DIR "
                 "--input X.npy [--float] [--labels Y.npy] [--output "
                 "PRED.csv])",
                 b1);
    const char *b2[] = {"plain", "--model",   dir, "--input",
                        x,       "--float=1", NULL};
    expect_error(sr_cmd_plain, 2, "sirnn: plain: --float: takes no value", b2);
    const char *b3[] = {"plain", "--model", dir, "--input", kx, NULL};
    expect_error_prefix(sr_cmd_plain, 2, pre, b3);
    const char *b4[] = {"plain", "--model", dir, "--input", x, "extra", NULL};
    expect_error(sr_cmd_plain, 2, "sirnn: plain: unexpected argument 'extra'",
                 b4);
    const char *b5[] = {"plain", "--model",  dir, "--input",
                        x,       "--labels", x,   NULL};
    snprintf(pre, sizeof pre, "sirnn: %s: dtype: ", x);
    expect_error_prefix(sr_cmd_plain, 2, pre, b5);
    char bad[200];
    snprintf(bad, sizeof bad, "%s/no-such-dir/p.csv", tmpdir);
    const char *b6[] = {"plain", "--model",  dir, "--input",
                        x,       "--output", bad, NULL};
    char want[300];
    snprintf(want, sizeof want, "sirnn: %s: write failed", bad);
    expect_error(sr_cmd_plain, 1, want, b6);
}

/* A model.json whose fixed_point was edited: fp_text replaces it. */
static void
bad_fixed_point(const char *fp_text, const char *want)
{
    char dir[128], mj[160], x[300];
    copy_model(dir, sizeof dir, "kws");
    snprintf(mj, sizeof mj, "%s/model.json", dir);
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    const char *q[] = {"quantise", "--model", dir, NULL};
    char *out, *err;
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, q), 0, "%s", err);
    free(out), free(err);
    json_error_t je;
    json_t *root = json_load_file(mj, 0, &je);
    json_t *fp = json_loads(fp_text, 0, &je);
    cr_assert_not_null(fp, "%s", je.text);
    json_t *cur = json_object_get(root, "fixed_point");
    /* fp_text holds the keys to replace ("weights"/"tensors" merge) */
    const char *key;
    json_t *v;
    json_object_foreach(fp, key, v)
    {
        json_t *old = json_object_get(cur, key);
        if (json_is_object(old) && json_is_object(v) &&
            strcmp(key, "input") != 0)
            json_object_update(old, v);
        else
            json_object_set(cur, key, v);
    }
    json_decref(fp);
    cr_assert_eq(json_dump_file(root, mj, JSON_INDENT(1)), 0);
    json_decref(root);
    const char *p[] = {"plain", "--model", dir, "--input", x, NULL};
    char line[600];
    snprintf(line, sizeof line, "sirnn: %s: %s", mj, want);
    expect_error(sr_cmd_plain, 2, line, p);
}

Test(quantise, bad_fixed_point_objects)
{
    bad_fixed_point("{\"version\": 2}", "fixed_point.version: expected 1");
    bad_fixed_point("{\"extra\": 1}",
                    "fixed_point.extra: unknown key (expected version, "
                    "input, weights, tensors, calibration)");
    bad_fixed_point("{\"input\": {\"bw\": 16}}",
                    "fixed_point.input: expected {\"bw\": int, \"scale\": "
                    "int}");
    bad_fixed_point("{\"input\": {\"bw\": 65, \"scale\": 3}}",
                    "fixed_point.input: bw must be 1..64 and scale 0..62");
    bad_fixed_point("{\"weights\": {\"W\": {\"bw\": 16, \"scale\": 3}}}",
                    "fixed_point.weights.W: unknown key for this model");
    bad_fixed_point("{\"tensors\": {\"h\": {\"bw\": 12, \"scale\": 3}}}",
                    "fixed_point: h: bw 12, expected 16");
    bad_fixed_point("{\"tensors\": {\"a\": {\"bw\": 16, \"scale\": 30}}}",
                    "fixed_point: a (t W2): scale 30 exceeds the product's "
                    "scale 22 (no left shifts)");
    bad_fixed_point("{\"weights\": \"none\"}",
                    "fixed_point.weights: expected an object");
}

Test(quantise, missing_entry)
{
    char dir[128], mj[160], x[300];
    copy_model(dir, sizeof dir, "digits");
    snprintf(mj, sizeof mj, "%s/model.json", dir);
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    const char *q[] = {"quantise", "--model", dir, NULL};
    char *out, *err;
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, q), 0, "%s", err);
    free(out), free(err);
    json_error_t je;
    json_t *root = json_load_file(mj, 0, &je);
    json_t *t =
        json_object_get(json_object_get(root, "fixed_point"), "tensors");
    cr_assert_eq(json_object_del(t, "logits"), 0);
    cr_assert_eq(json_dump_file(root, mj, JSON_INDENT(1)), 0);
    json_decref(root);
    const char *p[] = {"plain", "--model", dir, "--input", x, NULL};
    char line[600];
    snprintf(line, sizeof line,
             "sirnn: %s: fixed_point.tensors.logits: missing", mj);
    expect_error(sr_cmd_plain, 2, line, p);
}

/* A weight beyond any 16-bit format: quantise and plain (load rule) refuse. */
Test(quantise, weight_too_large)
{
    char dir[128], path[200], x[300], e[SR_NPY_ERRLEN];
    copy_model(dir, sizeof dir, "digits");
    snprintf(path, sizeof path, "%s/fc_b.npy", dir);
    snprintf(x, sizeof x, "%s/X_test.npy", dir);
    double b[10] = {0};
    b[3] = -1e6;
    const size_t shape[1] = {10};
    cr_assert_eq(sr_npy_save_f64(path, SR_NPY_F4, shape, 1, b, e, sizeof e),
                 SR_OK);
    const char *q[] = {"quantise", "--model", dir, NULL};
    const char *want = "sirnn: quantise: fc_b: |w| up to 1e+06 does not fit "
                       "a 16-bit format";
    expect_error(sr_cmd_quantise, 2, want, q);
    const char *p[] = {"plain", "--model", dir, "--input", x, NULL};
    expect_error(sr_cmd_plain, 2, want, p);
    const char *pf[] = {"plain", "--model", dir, "--input", x, "--float", NULL};
    char *out, *err;
    cr_assert_eq(run(sr_cmd_plain, &out, &err, pf), 0, "%s", err);
    free(out), free(err);
}

/* rnnpool-heads: quantise writes the formats in use (the defaults here),
 * idempotently; plain reads them back (same predictions); no calibration. */
Test(quantise, heads_formats_written)
{
    char dir[256], mj[300], img[300], *out, *err;
    copy_model(dir, sizeof dir, "heads");
    snprintf(mj, sizeof mj, "%s/model.json", dir);
    snprintf(img, sizeof img, "%s/X_test_160x120.npy", dir);
    const char *pa[] = {"plain", "--model", dir, "--input", img, NULL};
    char *before;
    cr_assert_eq(run(sr_cmd_plain, &before, &err, pa), 0, "%s", err);
    free(err);
    const char *q[] = {"quantise", "--model", dir, NULL};
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, q), 0, "%s", err);
    cr_assert(strstr(out, "rnnpool-heads formats: input (16, 14)") != NULL,
              "%s", out);
    free(out), free(err);
    char *first = slurp(mj);
    json_error_t je;
    json_t *root = json_loads(first, 0, &je);
    cr_assert_not_null(root);
    sr_heads_fmt f, d;
    char e[300] = "";
    cr_assert_eq(sr_heads_fixed_point_parse(
                     &f, json_object_get(root, "fixed_point"), mj, e, sizeof e),
                 SR_OK, "%s", e);
    sr_heads_fmt_default(&d);
    cr_assert_eq(memcmp(&f, &d, sizeof f), 0);
    json_decref(root);
    cr_assert_eq(run(sr_cmd_quantise, &out, &err, q), 0, "%s", err);
    free(out), free(err);
    char *second = slurp(mj);
    cr_assert_str_eq(first, second);
    char *after;
    cr_assert_eq(run(sr_cmd_plain, &after, &err, pa), 0, "%s", err);
    cr_assert_str_eq(before, after);
    cr_assert(strncmp(after, "index,pred,boxes\n0,3,", 21) == 0, "%s", after);
    free(err), free(after), free(before), free(first), free(second);
    const char *qc[] = {"quantise", "--model", dir, "--calib", img, NULL};
    expect_error(sr_cmd_quantise, 2,
                 "sirnn: quantise: --calib: not supported for an "
                 "rnnpool-heads model (it writes the fixed_point formats in "
                 "use; edit them by hand, docs/heads.md)",
                 qc);
}

/* plain on an rnnpool-heads model: bad image files get one line naming
 * the file, the field, expected and found; exit 2. */
Test(quantise, heads_bad_images)
{
    char dir[256], p1[300], p2[300], p3[300], e[SR_NPY_ERRLEN];
    if (!bundled(dir, sizeof dir, "heads"))
        cr_assert_fail("no bundled heads model");
    static double v[2 * 48 * 64 * 3];
    const size_t rgb[4] = {1, 48, 64, 3}, gray[3] = {1, 48, 64},
                 none[3] = {0, 48, 64};
    snprintf(p1, sizeof p1, "%s/rgb.npy", tmpdir);
    snprintf(p2, sizeof p2, "%s/nan.npy", tmpdir);
    snprintf(p3, sizeof p3, "%s/none.npy", tmpdir);
    cr_assert_eq(sr_npy_save_f64(p1, SR_NPY_F4, rgb, 4, v, e, sizeof e), SR_OK);
    v[77] = NAN;
    cr_assert_eq(sr_npy_save_f64(p2, SR_NPY_F8, gray, 3, v, e, sizeof e),
                 SR_OK);
    cr_assert_eq(sr_npy_save_f64(p3, SR_NPY_F4, none, 3, v, e, sizeof e),
                 SR_OK);
    char want[700];
    const char *a1[] = {"plain", "--model", dir, "--input", p1, NULL};
    snprintf(want, sizeof want,
             "sirnn: %s: shape: expected images (B, H, W) or (B, H, W, 1), "
             "found (1, 48, 64, 3)",
             p1);
    expect_error(sr_cmd_plain, 2, want, a1);
    const char *a2[] = {"plain", "--model", dir, "--input", p2, NULL};
    snprintf(want, sizeof want, "sirnn: %s: values: element 77 is not finite",
             p2);
    expect_error(sr_cmd_plain, 2, want, a2);
    const char *a3[] = {"plain", "--model", dir, "--input", p3, NULL};
    snprintf(want, sizeof want,
             "sirnn: %s: shape: expected at least one sample, found 0", p3);
    expect_error(sr_cmd_plain, 2, want, a3);
}
