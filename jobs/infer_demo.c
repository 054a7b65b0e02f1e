/*
 * jobs/infer_demo.c -- `sirnn demo` for a model (see infer.h): both
 * parties here as `sirnn server` and `sirnn client` children over
 * loopback TCP, their outputs checked against the cleartext twin.
 */
#include "jobs/infer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/card.h"
#include "jobs/cli.h"
#include "jobs/internal.h"
#include "jobs/quantise.h"
#include "layers/fastgrnn_secure.h"

/* ---- sirnn demo (the model demo) ---------------------------------------- */

/* Default --samples per bundled model: about a minute on a 2-core machine
 * (docs/cli.md has the measured times). */
#define DEMO_SAMPLES_KWS 80
#define DEMO_SAMPLES_OTHER 100

/* DIR of the model: a path as given, or a bundled name resolved to
 * models/NAME beside the binary's directory (build/sirnn -> ../models),
 * in it, or in the current directory.  1 when found. */
static int
resolve_model(const char *arg, char *dir, size_t len)
{
    char path[4200];
    if (strchr(arg, '/') != NULL) {
        snprintf(dir, len, "%s", arg);
        return 1;
    }
    char exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
        *slash = '\0';
    const char *fmt[] = {"%s/../models/%s", "%s/models/%s", "%.0smodels/%s"};
    for (size_t i = 0; i < 3; i++) {
        if (i < 2 && slash == NULL)
            continue;
        snprintf(path, sizeof path, fmt[i], exe, arg);
        char mj[4300];
        snprintf(mj, sizeof mj, "%s/model.json", path);
        if (access(mj, R_OK) == 0) {
            snprintf(dir, len, "%.4000s", path);
            return 1;
        }
    }
    if (access(arg, R_OK) == 0) { /* a directory in the current one */
        snprintf(dir, len, "%s", arg);
        return 1;
    }
    return 0;
}

/* Reads the client's CSV back: pred [B] and, when logits, lo [B K]. */
static int
read_csv(const char *path, size_t B, size_t K, long *pred, double *lo,
         int logits)
{
    FILE *fh = fopen(path, "r");
    if (fh == NULL)
        return SR_EIO;
    int rc = SR_OK;
    char line[1 << 14];
    if (fgets(line, sizeof line, fh) == NULL)
        rc = SR_ECHECK;
    for (size_t b = 0; b < B && rc == SR_OK; b++) {
        if (fgets(line, sizeof line, fh) == NULL) {
            rc = SR_ECHECK;
            break;
        }
        char *e = line;
        size_t idx = strtoull(e, &e, 10);
        if (*e != ',' || idx != b) {
            rc = SR_ECHECK;
            break;
        }
        pred[b] = strtol(e + 1, &e, 10);
        for (size_t k = 0; logits && k < K && rc == SR_OK; k++) {
            if (*e != ',')
                rc = SR_ECHECK;
            else
                lo[b * K + k] = strtod(e + 1, &e);
        }
    }
    fclose(fh);
    return rc;
}

/* Plain (fixed-point twin) and float predictions and logits of x. */
static int
demo_reference(sr_model *m, const char *dir, const double *x, size_t B,
               long *pp, double *lp, long *pf, char *err, size_t errlen)
{
    const size_t K = m->classes, n = B * m->timesteps * m->input_dim;
    sr_fastgrnn_fmt f;
    int rc = sr_model_formats(&f, m, dir, err, errlen); /* folds m */
    if (rc != SR_OK)
        return rc;
    const sr_fastgrnn_float fp = sr_model_float(m);
    sr_fastgrnn_fx q;
    rc = sr_fastgrnn_fx_init(&q, &fp, &f, NULL);
    if (rc != SR_OK)
        return rc;
    uint64_t *xq = malloc((n ? n : 1) * sizeof *xq);
    uint64_t *lq = malloc((B * K > 0 ? B * K : 1) * sizeof *lq);
    double *lf = malloc((B * K > 0 ? B * K : 1) * sizeof *lf);
    rc = xq && lq && lf ? SR_OK : SR_ENOMEM;
    if (rc == SR_OK) {
        (void)sr_fx_quantise(n, xq, x, f.x);
        rc = sr_fastgrnn_fx_logits(&q, B, lq, xq, NULL);
    }
    if (rc == SR_OK) {
        sr_fastgrnn_fx_argmax(B, K, pp, lq, f.logits.bw);
        for (size_t i = 0; i < B * K; i++)
            lp[i] = sr_fx_value(lq[i], f.logits);
        rc = sr_fastgrnn_float_logits(&fp, B, lf, x);
    }
    if (rc == SR_OK)
        sr_fastgrnn_float_argmax(B, K, pf, lf);
    free(lf);
    free(lq);
    free(xq);
    sr_fastgrnn_fx_clear(&q);
    return rc;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
dupf(const char *fmt, ...)
{
    char b[4300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    return strdup(b);
}

/* see infer.h */
int
sr_cmd_demo_model(int argc, char **argv)
{
    sr_cli c;
    sr_cli_defaults(&c, "demo");
    const char *model = "kws";
    uint64_t samples = 0;
    int reveal = SR_REVEAL_LOGITS;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &val);
        const char *opt = name != NULL ? name : argv[i];
        int used = 0, rc = 0;
        if (strcmp(opt, "--ranks") == 0 || strcmp(opt, "--threads") == 0 ||
            strcmp(opt, "--conns") == 0 || strcmp(opt, "--quiet") == 0 ||
            strcmp(opt, "--timeout") == 0 || strcmp(opt, "--seed") == 0 ||
            strcmp(opt, "--tls-psk") == 0)
            rc = sr_cli_common(&c, opt, val, &used);
        else if (strcmp(opt, "--model") == 0 && val != NULL && val[0]) {
            model = val;
            used = 1;
        } else if (strcmp(opt, "--samples") == 0) {
            used = 1;
            rc = val == NULL
                     ? SR_EUSAGE
                     : sr_cli_uint("demo", opt, val, 1, 1u << 20, &samples);
            if (val == NULL)
                sr_cli_error("demo", "--samples: needs a value");
        } else if (strcmp(opt, "--reveal") == 0 && val != NULL) {
            used = 1;
            if ((reveal = sr_reveal_parse(val)) < 0) {
                sr_cli_error("demo", "--reveal %s: expected label or logits",
                             val);
                rc = SR_EUSAGE;
            }
        } else {
            sr_cli_error("demo", "unknown option or missing value '%s'", opt);
            rc = SR_EUSAGE;
        }
        int eq = name != NULL;
        free(name);
        if (rc < 0)
            return 2;
        if (eq && !used) {
            sr_cli_error("demo", "%s takes no value", opt);
            return 2;
        }
        if (used && !eq)
            i++;
    }
    if (sr_cli_finish(&c) != SR_OK)
        return 2;
    char dir[4096];
    if (!resolve_model(model, dir, sizeof dir)) {
        sr_cli_error("demo",
                     "--model %s: no models/%s next to the binary or "
                     "in the current directory",
                     model, model);
        return 2;
    }
    char err[1024] = "", px[4200], py[4200];
    sr_model m;
    int rc = sr_model_load(&m, dir, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    snprintf(px, sizeof px, "%s/X_test.npy", dir);
    snprintf(py, sizeof py, "%s/Y_test.npy", dir);
    sr_npy x, y;
    memset(&y, 0, sizeof y);
    rc = sr_input_load(&x, px, m.timesteps, m.input_dim, err, sizeof err);
    if (rc == SR_OK)
        rc = sr_labels_load(&y, py, x.shape[0], m.classes, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        sr_npy_clear(&x);
        sr_model_clear(&m);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    size_t B = samples                      ? (size_t)samples
               : strcmp(m.name, "kws") == 0 ? DEMO_SAMPLES_KWS
                                            : DEMO_SAMPLES_OTHER;
    if (B > x.shape[0])
        B = x.shape[0];
    const size_t K = m.classes;

    /* the client's files: the first B test samples */
    char tmp[64] = "/tmp/sirnn-demo-XXXXXX";
    if (mkdtemp(tmp) == NULL) {
        sr_cli_error("demo", "cannot make a temporary directory");
        sr_npy_clear(&x), sr_npy_clear(&y), sr_model_clear(&m);
        return 1;
    }
    char fx[128], fy[128], fcsv[128], rep[2][128];
    snprintf(fx, sizeof fx, "%s/X.npy", tmp);
    snprintf(fy, sizeof fy, "%s/Y.npy", tmp);
    snprintf(fcsv, sizeof fcsv, "%s/pred.csv", tmp);
    snprintf(rep[0], sizeof rep[0], "%s/server.json", tmp);
    snprintf(rep[1], sizeof rep[1], "%s/client.json", tmp);
    const size_t xs[3] = {B, m.timesteps, m.input_dim}, ys[1] = {B};
    rc = sr_npy_save_f64(fx, SR_NPY_F8, xs, 3, x.f64, err, sizeof err);
    if (rc == SR_OK)
        rc = sr_npy_save_i64(fy, SR_NPY_I8, ys, 1, y.i64, err, sizeof err);
    int code = 1;
    json_t *r = NULL;
    long *ps = calloc(B, sizeof *ps), *pp = calloc(B, sizeof *pp);
    long *pf = calloc(B, sizeof *pf);
    double *ls = calloc(B * K, sizeof *ls), *lp = calloc(B * K, sizeof *lp);
    if (rc != SR_OK || !ps || !pp || !pf || !ls || !lp) {
        fprintf(stderr, "%s\n", err[0] ? err : "sirnn: demo: out of memory");
        goto done;
    }
    if (!c.quiet)
        fprintf(stderr,
                "sirnn demo: model %s (%s), %zu test sample(s), server and "
                "client here over loopback TCP\n",
                m.name, dir, B);
    unsigned port = sr_local_free_port();
    char *args[2][64];
    for (int k = 0; k < 2; k++) {
        int n = 0;
        char **a = args[k];
        if (k == 0) {
            a[n++] = strdup("server");
            a[n++] = strdup("--model");
            a[n++] = strdup(dir);
            a[n++] = dupf("--listen=127.0.0.1:%u", port);
            a[n++] = strdup("--rank-ports=ephemeral");
            a[n++] = strdup("--quiet");
        } else {
            a[n++] = strdup("client");
            a[n++] = dupf("--connect=127.0.0.1:%u", port);
            a[n++] = dupf("--input=%s", fx);
            a[n++] = dupf("--labels=%s", fy);
            a[n++] = dupf("--output=%s", fcsv);
            a[n++] = dupf("--reveal=%s", sr_reveal_name((sr_reveal)reveal));
            if (c.quiet)
                a[n++] = strdup("--quiet");
        }
        a[n++] = dupf("--report=%s", rep[k]);
        a[n++] = dupf("--timeout=%u", c.timeout_s);
        if (c.ranks)
            a[n++] = dupf("--ranks=%u", c.ranks);
        if (c.threads)
            a[n++] = dupf("--threads=%u", c.threads);
        if (c.conns)
            a[n++] = dupf("--conns=%u", c.conns);
        if (c.seeded)
            a[n++] = dupf("--seed=%llu", (unsigned long long)c.seed);
        n += sr_cli_child_args(&c, a + n);
        a[n] = NULL;
    }
    r = sr_local_run(args[0], args[1], c.ranks ? c.ranks : 1, rep[0], rep[1],
                     &code);
    for (int k = 0; k < 2; k++)
        for (char **a = args[k]; *a != NULL; a++)
            free(*a);
    if (r == NULL)
        goto done;
    if (read_csv(fcsv, B, K, ps, ls, reveal == SR_REVEAL_LOGITS) != SR_OK) {
        sr_cli_error("demo", "%s: cannot read the client's predictions", fcsv);
        code = 1;
        goto done;
    }
    rc = demo_reference(&m, dir, x.f64, B, pp, lp, pf, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err[0] ? err : "sirnn: demo: reference failed");
        code = 1;
        goto done;
    }
    size_t hs = 0, hp = 0, hf = 0, agree = 0, same_lo = 0;
    for (size_t b = 0; b < B; b++) {
        hs += ps[b] == (long)y.i64[b];
        hp += pp[b] == (long)y.i64[b];
        hf += pf[b] == (long)y.i64[b];
        agree += ps[b] == pp[b];
        int same = 1;
        for (size_t k = 0; k < K; k++)
            same &= ls[b * K + k] == lp[b * K + k];
        same_lo += same;
    }
    const double sec = json_number_value(json_object_get(r, "seconds"));
    const double bytes =
        (double)json_integer_value(json_object_get(r, "bytes_total"));
    const long long rounds = json_integer_value(json_object_get(r, "rounds"));
    printf("sirnn demo: %s, %zu sample(s), %lld rank(s) x %lld thread(s) "
           "per party\n",
           m.name, B,
           (long long)json_integer_value(json_object_get(r, "ranks")),
           (long long)json_integer_value(json_object_get(r, "threads")));
    printf("  accuracy: secure %.4f (%zu/%zu), plain %.4f, float %.4f\n",
           (double)hs / (double)B, hs, B, (double)hp / (double)B,
           (double)hf / (double)B);
    printf("  secure == plain: %zu/%zu labels", agree, B);
    if (reveal == SR_REVEAL_LOGITS)
        printf(", %zu/%zu logit vectors bit for bit", same_lo, B);
    printf("\n  time %.2f s (%.2f s per sample), communication %.1f MB "
           "(%.1f MB per sample), %lld rounds\n",
           sec, sec / (double)B, bytes / 1e6, bytes / 1e6 / (double)B, rounds);
    const int exact =
        agree == B && (reveal != SR_REVEAL_LOGITS || same_lo == B);
    if (!exact) {
        sr_cli_error("demo", "the secure outputs differ from the cleartext "
                             "twin");
        code = 1;
    }
done:
    json_decref(r);
    free(ps), free(pp), free(pf), free(ls), free(lp);
    unlink(fx), unlink(fy), unlink(fcsv), unlink(rep[0]), unlink(rep[1]);
    rmdir(tmp);
    sr_npy_clear(&x);
    sr_npy_clear(&y);
    sr_model_clear(&m);
    return code;
}
