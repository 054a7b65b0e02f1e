/*
 * tests/test_heads.c -- the RNNPool head-counting model: math-function
 * counts against the paper, the C float model against the independent
 * numpy (EdgeML-literal) reference, the fixed-point twin against float
 * within a stated bound, the loader's errors, and the client's decoding,
 * NMS and count.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/model_heads.h"
#include "jobs/npy.h"
#include "layers/heads.h"

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(heads, .init = arm_alarm);

#define MODEL "models/heads"

/* ---- counts ------------------------------------------------------------ */

Test(heads, paper_math_counts)
{
    sr_heads_cfg cfg;
    sr_heads_dims d;
    sr_heads_counts c;
    sr_heads_cfg_default(&cfg, 240, 320);
    cr_assert_eq(sr_heads_dims_make(&d, &cfg, NULL, 0), SR_OK);
    sr_heads_count(&c, &cfg, &d);
    /* SIRNN Sec. VII: 128 sigmoid + 128 tanh layers of 18096 instances,
     * 8 + 8 layers of 72384, and 2700 rsqrt */
    cr_assert_eq(c.patches, 29 * 39);
    cr_assert_eq(c.rnn1_steps * c.rnn1_per_step, 128 * 18096);
    cr_assert_eq(c.rnn2_steps, 8);
    cr_assert_eq(c.rnn2_per_step, 72384);
    cr_assert_eq(c.sigmoid, 128 * 18096 + 8 * 72384);
    cr_assert_eq(c.tanh, c.sigmoid);
    cr_assert_eq(c.rsqrt, 2700);
    cr_assert_eq(c.rsqrt_per_source[0], 1200);
    cr_assert_eq(c.rsqrt_per_source[1], 1200);
    cr_assert_eq(c.rsqrt_per_source[2], 300);
    cr_assert_eq(d.priors, 1200 + 1200 + 300 + 300);
    cr_assert_eq(d.src_c[3], 128);
    /* 160 x 120: a quarter of the patches */
    sr_heads_cfg_default(&cfg, 120, 160);
    cr_assert_eq(sr_heads_dims_make(&d, &cfg, NULL, 0), SR_OK);
    sr_heads_count(&c, &cfg, &d);
    cr_assert_eq(c.patches, 14 * 19);
    cr_assert_eq(c.rsqrt, 300 + 300 + 80);
}

Test(heads, config_errors)
{
    sr_heads_cfg cfg;
    sr_heads_dims d;
    char err[256];
    sr_heads_cfg_default(&cfg, 12, 320);
    cr_assert_eq(sr_heads_dims_make(&d, &cfg, err, sizeof err), SR_EUSAGE);
    cr_assert(strstr(err, "too small") != NULL, "%s", err);
    sr_heads_cfg_default(&cfg, 240, 320);
    cfg.stage[1].s = 3;
    cr_assert_eq(sr_heads_dims_make(&d, &cfg, err, sizeof err), SR_EUSAGE);
    cr_assert(strstr(err, "stage 1") != NULL, "%s", err);
    sr_heads_cfg_default(&cfg, 240, 320);
    cfg.classes = 1;
    cr_assert_eq(sr_heads_dims_make(&d, &cfg, err, sizeof err), SR_EUSAGE);
}

/* ---- fixed point vs float on a reduced configuration ------------------- */

static void
reduced_cfg(sr_heads_cfg *cfg)
{
    sr_heads_cfg_default(cfg, 40, 56);
    cfg->conv0 = 2;
    cfg->hid1 = 4;
    cfg->hid2 = 4;
    cfg->nstages = 3;
    cfg->stage[0] = (sr_heads_stage){2, 8, 2, 1};
    cfg->stage[1] = (sr_heads_stage){2, 8, 1, 2};
    cfg->stage[2] = (sr_heads_stage){1, 12, 2, 1};
}

static double
max_err(size_t n, const double *a, const int64_t *q, sr_fx f)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++)
        e = fmax(e, fabs(a[i] - ldexp((double)q[i], -(int)f.s)));
    return e;
}

/*
 * Error bound of the twin (docs/heads.md): |fixed - float| <= 2% of the
 * largest float output (at least 0.02 absolute), on every loc and conf
 * output, with no wrapped value and no saturated weight.  Measured: 0.012
 * on the reduced random model (outputs < 1), 0.116 on the bundled trained
 * model (logits up to 13.6, i.e. 0.85%).
 */
static double
fx_bound(size_t n, const double *a, size_t m, const double *b)
{
    double mx = 1.0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(a[i]));
    for (size_t i = 0; i < m; i++)
        mx = fmax(mx, fabs(b[i]));
    return 0.02 * mx;
}

Test(heads, reduced_fixed_point_within_bound)
{
    sr_heads_cfg cfg;
    reduced_cfg(&cfg);
    sr_heads_float net;
    cr_assert_eq(sr_heads_float_init(&net, &cfg, NULL, 0), SR_OK);
    sr_heads_float_random(&net, 42);
    sr_heads_fmt f;
    sr_heads_fmt_default(&f);
    sr_heads_fx q;
    size_t sat = 1;
    cr_assert_eq(sr_heads_fx_init(&q, &net, &f, &sat), SR_OK);
    cr_assert_eq(sat, 0);
    const size_t P = net.dims.priors, n = 40 * 56, K = cfg.classes;
    /* 40x56 -> conv0 20x28 -> 4x6 patches, padded 5x7; 5x7, 3x4, 3x4 */
    cr_assert_eq(P, 35 + 12 + 12);
    double *img = malloc(sizeof(double) * n),
           *loc = malloc(sizeof(double) * P * 4),
           *conf = malloc(sizeof(double) * P * K);
    int64_t *qi = malloc(sizeof(int64_t) * n),
            *ql = malloc(sizeof(int64_t) * P * 4),
            *qc = malloc(sizeof(int64_t) * P * K);
    for (int kind = 0; kind < 4; kind++) {
        for (size_t i = 0; i < n; i++)
            img[i] = kind == 0 ? sin(0.05 * (double)(i % 56)) *
                                     cos(0.3 * (double)(i / 56))
                     : kind == 1 ? -1.0
                     : kind == 2 ? 1.0
                                 : ((i * 7919) % 13 < 6 ? -0.9 : 0.8);
        sr_heads_fx_quantise(n, qi, img, f.in);
        for (size_t i = 0; i < n; i++)
            img[i] = ldexp((double)qi[i], -(int)f.in.s);
        cr_assert_eq(sr_heads_float_run(&net, loc, conf, img), SR_OK);
        sr_heads_fx_stats st;
        cr_assert_eq(sr_heads_fx_run(&q, ql, qc, qi, &st), SR_OK);
        cr_assert_eq(st.conv + st.rnnpool + st.l2, 0);
        double e = fmax(max_err(P * 4, loc, ql, f.out),
                        max_err(P * K, conf, qc, f.out));
        cr_assert(e <= fx_bound(P * 4, loc, P * K, conf), "image %d: %g", kind,
                  e);
    }
    free(img);
    free(loc);
    free(conf);
    free(qi);
    free(ql);
    free(qc);
    sr_heads_fx_clear(&q);
    sr_heads_fx_clear(&q);
    sr_heads_float_clear(&net);
    sr_heads_float_clear(&net);
}

/* ---- the bundled model -------------------------------------------------- */

Test(heads, bundled_model_float_and_fixed)
{
    sr_heads_model m;
    char err[SR_NPY_ERRLEN];
    int rc = sr_heads_model_load(&m, MODEL, err, sizeof err);
    cr_assert_eq(rc, SR_OK, "%s", err);
    cr_assert_str_eq(m.name, "heads");
    sr_npy x, rl, rcf, keep;
    cr_assert_eq(
        sr_heads_input_load(&x, MODEL "/X_test.npy", 240, 320, err, sizeof err),
        SR_OK, "%s", err);
    cr_assert_eq(
        sr_npy_load(&rl, MODEL "/float_loc.npy", SR_NPY_FLOAT, err, sizeof err),
        SR_OK);
    cr_assert_eq(sr_npy_load(&rcf, MODEL "/float_conf.npy", SR_NPY_FLOAT, err,
                             sizeof err),
                 SR_OK);
    cr_assert_eq(sr_npy_load(&keep, MODEL "/float_keep.npy", SR_NPY_INT, err,
                             sizeof err),
                 SR_OK);
    const size_t P = m.net.dims.priors;
    cr_assert_eq(P, 3000);
    cr_assert_eq(rl.n, P * 4);
    double *loc = malloc(sizeof(double) * P * 4),
           *conf = malloc(sizeof(double) * P * 2);
    cr_assert_eq(sr_heads_float_run(&m.net, loc, conf, x.f64), SR_OK);
    /* the numpy reference runs batch-norm and L2Norm unfolded, NCHW */
    for (size_t i = 0; i < P * 4; i++)
        cr_assert(fabs(loc[i] - rl.f64[i]) <= 1e-9, "loc %zu", i);
    for (size_t i = 0; i < P * 2; i++)
        cr_assert(fabs(conf[i] - rcf.f64[i]) <= 1e-9, "conf %zu", i);

    /* client: the same detections as the numpy post-processing */
    double *pr = malloc(sizeof(double) * P * 4),
           *bx = malloc(sizeof(double) * P * 4),
           *sc = malloc(sizeof(double) * P);
    size_t kp[32];
    size_t nk = sr_heads_detect(&m.net.cfg, &m.net.dims, rl.f64, rcf.f64, 0.5,
                                0.3, pr, bx, sc, kp, 20);
    cr_assert_eq(nk, keep.n);
    for (size_t i = 0; i < nk; i++)
        cr_assert_eq((int64_t)kp[i], keep.i64[i], "keep %zu", i);

    /* the fixed-point twin */
    sr_heads_fmt f;
    sr_heads_fmt_default(&f);
    sr_heads_fx q;
    size_t sat = 1;
    cr_assert_eq(sr_heads_fx_init(&q, &m.net, &f, &sat), SR_OK);
    cr_assert_eq(sat, 0);
    int64_t *qi = malloc(sizeof(int64_t) * x.n),
            *ql = malloc(sizeof(int64_t) * P * 4),
            *qc = malloc(sizeof(int64_t) * P * 2);
    sr_heads_fx_quantise(x.n, qi, x.f64, f.in);
    sr_heads_fx_stats st;
    cr_assert_eq(sr_heads_fx_run(&q, ql, qc, qi, &st), SR_OK);
    cr_assert_eq(st.conv + st.rnnpool + st.l2, 0);
    double e =
        fmax(max_err(P * 4, loc, ql, f.out), max_err(P * 2, conf, qc, f.out));
    cr_assert(e <= fx_bound(P * 4, loc, P * 2, conf), "max error %g", e);
    /* and the client finds the same heads in the fixed-point outputs */
    double *l2 = malloc(sizeof(double) * P * 4),
           *c2 = malloc(sizeof(double) * P * 2);
    sr_heads_fx_value(P * 4, l2, ql, f.out);
    sr_heads_fx_value(P * 2, c2, qc, f.out);
    size_t kp2[32];
    size_t nk2 = sr_heads_detect(&m.net.cfg, &m.net.dims, l2, c2, 0.5, 0.3, pr,
                                 bx, sc, kp2, 20);
    cr_assert_eq(nk2, nk);
    cr_assert_arr_eq(kp2, kp, nk * sizeof kp[0]);
    free(l2);
    free(c2);
    sr_heads_fx_clear(&q);
    sr_heads_model_clear(&m);
    sr_heads_model_clear(&m);
    sr_npy_clear(&x);
    sr_npy_clear(&rl);
    sr_npy_clear(&rcf);
    sr_npy_clear(&keep);
    free(loc);
    free(conf);
    free(pr);
    free(bx);
    free(sc);
    free(qi);
    free(ql);
    free(qc);
}

/* ---- loader errors ------------------------------------------------------ */

/*
 * Makes a model directory: symlinks to the bundled .npy files and the
 * bundled model.json edited by `edit`; loads it and returns the code,
 * the message in err.
 */
static int
load_edited(void (*edit)(json_t *root, const char *dir), char *err,
            size_t errlen)
{
    char dir[] = "/tmp/sirnn-heads-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cwd[4096], path[8192], target[8192];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    DIR *dp = opendir(MODEL);
    cr_assert_not_null(dp);
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".npy") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        snprintf(target, sizeof target, "%s/%s/%s", cwd, MODEL, de->d_name);
        cr_assert_eq(symlink(target, path), 0);
    }
    closedir(dp);
    json_t *root = json_load_file(MODEL "/model.json", 0, NULL);
    cr_assert_not_null(root);
    edit(root, dir);
    snprintf(path, sizeof path, "%s/model.json", dir);
    cr_assert_eq(json_dump_file(root, path, 0), 0);
    json_decref(root);
    sr_heads_model m;
    int rc = sr_heads_model_load(&m, dir, err, errlen);
    sr_heads_model_clear(&m);
    /* clean up */
    dp = opendir(dir);
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(dp);
    rmdir(dir);
    return rc;
}

static void
e_none(json_t *r, const char *d)
{
    (void)r;
    (void)d;
}
static void
e_unknown_key(json_t *r, const char *d)
{
    (void)d;
    json_object_set_new(r, "stagez", json_integer(1));
}
static void
e_missing_role(json_t *r, const char *d)
{
    (void)d;
    json_object_del(json_object_get(r, "weights"), "block3.dw.bn");
}
static void
e_unknown_role(json_t *r, const char *d)
{
    (void)d;
    json_object_set_new(json_object_get(r, "weights"), "blok3.dw.bn",
                        json_string("block3.dw.bn.npy"));
}
static void
e_shape(json_t *r, const char *d)
{
    (void)d;
    json_object_set_new(json_object_get(r, "weights"), "conv0.bn",
                        json_string("conv0.weight.npy"));
}
static void
e_stage(json_t *r, const char *d)
{
    (void)d;
    json_t *st = json_array_get(json_object_get(r, "stages"), 2);
    json_array_set_new(st, 3, json_integer(3));
}
static void
e_small(json_t *r, const char *d)
{
    (void)d;
    json_object_set_new(r, "input_height", json_integer(14));
}
static void
e_rnn_key(json_t *r, const char *d)
{
    (void)d;
    json_object_set_new(json_object_get(r, "rnnpool"), "hiden1",
                        json_integer(16));
}
static void
e_anchors(json_t *r, const char *d)
{
    (void)d;
    json_array_remove(json_object_get(r, "anchors"), 0);
}
static void
e_nan(json_t *r, const char *dir)
{
    double v[4 * 16];
    for (size_t i = 0; i < 64; i++)
        v[i] = 0.1;
    v[17] = NAN;
    char p[512];
    snprintf(p, sizeof p, "%s/nan.npy", dir);
    size_t shape[2] = {4, 16};
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F8, shape, 2, v, NULL, 0), SR_OK);
    json_object_set_new(json_object_get(r, "weights"), "rnn1.W",
                        json_string("nan.npy"));
}
static void
e_var(json_t *r, const char *dir)
{
    double v[4 * 4] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, -1, 1};
    char p[512];
    snprintf(p, sizeof p, "%s/var.npy", dir);
    size_t shape[2] = {4, 4};
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F4, shape, 2, v, NULL, 0), SR_OK);
    json_object_set_new(json_object_get(r, "weights"), "conv0.bn",
                        json_string("var.npy"));
}
static void
e_abs(json_t *r, const char *d)
{
    (void)d;
    json_object_set_new(json_object_get(r, "weights"), "loc0.bias",
                        json_string("/etc/passwd"));
}

Test(heads, loader_errors)
{
    static const struct {
        void (*edit)(json_t *, const char *);
        const char *want;
    } cases[] = {
        {e_unknown_key, "model.json: stagez: unknown key (an rnnpool-heads"},
        {e_missing_role,
         "weights: missing role \"block3.dw.bn\" (expected (4, 64): gamma"},
        {e_unknown_role, "weights: unknown role \"blok3.dw.bn\""},
        {e_shape, "conv0.weight.npy: shape: expected (4, 4) for "
                  "\"conv0.bn\", found (4, 1, 3, 3)"},
        {e_stage, "configuration: stage 2: (t, c, n, s) = (2, 96, 3, 3)"},
        {e_small, "configuration: image 14x320 too small"},
        {e_rnn_key, "rnnpool: unknown key \"hiden1\""},
        {e_anchors, "anchors: expected 4 numbers, found 3"},
        {e_nan, "nan.npy: values: \"rnn1.W\" element 17 is NaN"},
        {e_var, "var.npy: values: \"conv0.bn\" running_var (row 3) element "
                "2 is negative"},
        {e_abs, "weights: \"loc0.bias\": expected a file name relative"},
    };
    char err[SR_NPY_ERRLEN];
    cr_assert_eq(load_edited(e_none, err, sizeof err), SR_OK, "%s", err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        cr_assert_eq(load_edited(cases[i].edit, err, sizeof err), SR_EUSAGE,
                     "case %zu", i);
        cr_assert(strncmp(err, "sirnn: ", 7) == 0, "%s", err);
        cr_assert(strstr(err, cases[i].want) != NULL, "case %zu: %s", i, err);
    }
}

/* ---- decoding, IoU, NMS ------------------------------------------------- */

Test(heads, decode_and_iou)
{
    const double pr[8] = {0.5, 0.5, 0.2, 0.1, 0.1, 0.2, 0.1, 0.3};
    const double lo[8] = {0, 0, 0, 0, 1.0, -2.0, log(2.0) / 0.2, 0};
    const double var[2] = {0.1, 0.2};
    double b[8];
    sr_heads_decode(2, b, lo, pr, var);
    /* prior 1: cx = 0.1 + 0.01, cy = 0.2 - 0.06, w = 0.2, h = 0.3 */
    const double want[8] = {0.4, 0.45, 0.6, 0.55, 0.01, -0.01, 0.21, 0.29};
    for (size_t i = 0; i < 8; i++)
        cr_assert(fabs(b[i] - want[i]) < 1e-12, "%zu: %g", i, b[i]);
    const double a1[4] = {0, 0, 2, 2}, a2[4] = {1, 1, 3, 3},
                 a3[4] = {2, 2, 3, 3};
    cr_assert(fabs(sr_heads_iou(a1, a2) - 1.0 / 7.0) < 1e-15);
    cr_assert_eq(sr_heads_iou(a1, a3), 0.0); /* touching corners */
    cr_assert_eq(sr_heads_iou(a1, a1), 1.0);
}

Test(heads, nms)
{
    /* 0 and 1 overlap, 2 and 4 a little, 3 is below the threshold */
    const double b[5 * 4] = {
        0,  0,  10, 10, /* 0 */
        1,  0,  11, 10, /* 1: IoU with 0 = 90/110 */
        20, 20, 30, 30, /* 2 */
        0,  0,  10, 10, /* 3: below the threshold */
        25, 20, 35, 30, /* 4: IoU with 2 = 50/150 */
    };
    const double s[5] = {0.8, 0.9, 0.7, 0.1, 0.7};
    size_t keep[5];
    size_t n = sr_heads_nms(5, keep, 5, b, s, 0.5, 0.3);
    cr_assert_eq(n, 2);
    cr_assert_eq(keep[0], 1);
    cr_assert_eq(keep[1], 2); /* tie 0.7: lower index first, 4 dropped */
    n = sr_heads_nms(5, keep, 5, b, s, 0.5, 0.4); /* 4 survives at 0.4 */
    cr_assert_eq(n, 3);
    cr_assert_eq(keep[2], 4);
    n = sr_heads_nms(5, keep, 1, b, s, 0.5, 0.4); /* max_keep */
    cr_assert_eq(n, 1);
    n = sr_heads_nms(5, keep, 5, b, s, 0.95, 0.4); /* none above */
    cr_assert_eq(n, 0);
    n = sr_heads_nms(0, keep, 5, b, s, 0.0, 0.4);
    cr_assert_eq(n, 0);
}

Test(heads, detect_counts_planted_boxes)
{
    /* a reduced model's priors; make conf say "head" at 3 priors, two of
     * them the same box: count 2 */
    sr_heads_cfg cfg;
    reduced_cfg(&cfg);
    sr_heads_dims d;
    cr_assert_eq(sr_heads_dims_make(&d, &cfg, NULL, 0), SR_OK);
    const size_t P = d.priors;
    double *loc = calloc(P * 4, sizeof(double)),
           *conf = calloc(P * 2, sizeof(double)),
           *pr = malloc(sizeof(double) * P * 4),
           *bx = malloc(sizeof(double) * P * 4),
           *sc = malloc(sizeof(double) * P);
    size_t keep[8];
    conf[5 * 2 + 1] = 3.0;
    conf[50 * 2 + 1] = 2.0;
    conf[51 * 2 + 1] = 2.5; /* next to 50 */
    size_t n =
        sr_heads_detect(&cfg, &d, loc, conf, 0.6, 0.3, pr, bx, sc, keep, 8);
    cr_assert(fabs(sc[5] - 1.0 / (1.0 + exp(-3.0))) < 1e-15);
    cr_assert(fabs(sc[0] - 0.5) < 1e-15);
    const double iou = sr_heads_iou(bx + 50 * 4, bx + 51 * 4);
    cr_assert_eq(n, iou > 0.3 ? 2 : 3, "iou %g", iou);
    cr_assert_eq(keep[0], 5);
    cr_assert_eq(keep[1], 51);
    free(loc);
    free(conf);
    free(pr);
    free(bx);
    free(sc);
}
