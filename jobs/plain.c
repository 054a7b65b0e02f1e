/*
 * jobs/plain.c -- the command bodies of `sirnn plain` (cleartext
 * fixed-point or float inference) and `sirnn quantise` (see plain.h and
 * quantise.h).
 */
#include "jobs/plain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/card.h"
#include "jobs/cli.h"
#include "jobs/heads_fmt.h"
#include "jobs/jsonerr.h"
#include "jobs/infer_internal.h"
#include "jobs/model_heads.h"
#include "layers/fastgrnn.h"
#include "layers/heads.h"

typedef struct plain_opts {
    const char *model, *input, *labels, *output;
    int use_float;
} plain_opts;

static int
parse(plain_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq = strchr(a, '=');
        char name[32];
        if (strncmp(a, "--", 2) != 0) {
            sr_cli_error("plain", "unexpected argument '%s'", a);
            return SR_EUSAGE;
        }
        snprintf(name, sizeof name, "%.*s",
                 (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
        if (strcmp(name, "--float") == 0) {
            if (eq != NULL) {
                sr_cli_error("plain", "--float: takes no value");
                return SR_EUSAGE;
            }
            o->use_float = 1;
            continue;
        }
        const char **dst = strcmp(name, "--model") == 0    ? &o->model
                           : strcmp(name, "--input") == 0  ? &o->input
                           : strcmp(name, "--labels") == 0 ? &o->labels
                           : strcmp(name, "--output") == 0 ? &o->output
                                                           : NULL;
        if (dst == NULL) {
            sr_cli_error("plain",
                         "unknown option '%s' (expected --model, "
                         "--input, --float, --labels, --output)",
                         name);
            return SR_EUSAGE;
        }
        if (eq != NULL)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        if (val == NULL || val[0] == '\0') {
            sr_cli_error("plain", "%s: needs a value", name);
            return SR_EUSAGE;
        }
        *dst = val;
    }
    if (o->model == NULL || o->input == NULL) {
        sr_cli_error("plain",
                     "%s: missing (sirnn plain --model DIR --input "
                     "X.npy [--float] [--labels Y.npy] [--output "
                     "PRED.csv])",
                     o->model == NULL ? "--model" : "--input");
        return SR_EUSAGE;
    }
    return SR_OK;
}

/* Runs the model; fills pred [B] and text logits. */
static int
run(const plain_opts *o, sr_model *m, const sr_npy *x, long *pred, double *lo,
    char *err, size_t errlen)
{
    const size_t B = x->shape[0], K = m->classes;
    if (o->use_float) {
        const sr_fastgrnn_float p = sr_model_float(m);
        int rc = sr_fastgrnn_float_logits(&p, B, lo, x->f64);
        if (rc == SR_OK)
            sr_fastgrnn_float_argmax(B, K, pred, lo);
        return rc;
    }
    sr_fastgrnn_fmt f;
    int rc = sr_model_formats(&f, m, o->model, err, errlen);
    if (rc != SR_OK)
        return rc;
    const sr_fastgrnn_float p = sr_model_float(m);
    sr_fastgrnn_fx q;
    rc = sr_fastgrnn_fx_init(&q, &p, &f, NULL);
    if (rc != SR_OK)
        return rc;
    const size_t n = B * m->timesteps * m->input_dim;
    uint64_t *xq = malloc((n ? n : 1) * sizeof *xq);
    uint64_t *lq = malloc((B * K > 0 ? B * K : 1) * sizeof *lq);
    rc = SR_ENOMEM;
    if (xq != NULL && lq != NULL) {
        (void)sr_fx_quantise(n, xq, x->f64, f.x);
        rc = sr_fastgrnn_fx_logits(&q, B, lq, xq, NULL);
    }
    if (rc == SR_OK) {
        sr_fastgrnn_fx_argmax(B, K, pred, lq, f.logits.bw);
        for (size_t i = 0; i < B * K; i++)
            lo[i] = sr_fx_value(lq[i], f.logits);
    }
    free(lq);
    free(xq);
    sr_fastgrnn_fx_clear(&q);
    return rc;
}

static int
write_csv(FILE *fh, size_t B, size_t K, const long *pred, const double *lo)
{
    fprintf(fh, "index,pred");
    for (size_t k = 0; k < K; k++)
        fprintf(fh, ",logit_%zu", k);
    fputc('\n', fh);
    for (size_t b = 0; b < B; b++) {
        fprintf(fh, "%zu,%ld", b, pred[b]);
        for (size_t k = 0; k < K; k++)
            fprintf(fh, ",%.17g", lo[b * K + k]);
        fputc('\n', fh);
    }
    return ferror(fh) ? SR_EIO : SR_OK;
}

/* Heads: every image through the fixed-point twin (or the float model);
 * the CSV of jobs/infer_heads.c to fh; pred [B] gets the counts. */
static int
run_heads(const plain_opts *o, const sr_heads_model *hm, const sr_npy *x,
          size_t H, size_t W, long *pred, FILE *fh, char *err, size_t errlen)
{
    char what[4200];
    snprintf(what, sizeof what, "%s/model.json", o->model);
    sr_heads_fmt f;
    int rc = sr_heads_model_fmt(&f, hm->fixed_point, what, err, errlen);
    if (rc != SR_OK)
        return rc;
    sr_heads_float net = hm->net; /* shallow: only cfg and dims change */
    net.cfg.height = H;
    net.cfg.width = W;
    rc = sr_heads_dims_make(&net.dims, &net.cfg, err, errlen);
    if (rc != SR_OK)
        return rc;
    sr_heads_fx q;
    memset(&q, 0, sizeof q);
    if (!o->use_float && sr_heads_fx_init(&q, &net, &f, NULL) != SR_OK)
        return SR_ENOMEM;
    const size_t B = x->shape[0], npx = H * W, P = net.dims.priors,
                 K = net.cfg.classes;
    int64_t *img = malloc(sizeof(int64_t) * (npx + P * (4 + K)));
    double *fl = malloc(sizeof(double) * (P * (4 + K) + 9 * P));
    size_t *keep = malloc(sizeof(size_t) * (P ? P : 1));
    rc = img && fl && keep ? SR_OK : SR_ENOMEM;
    int64_t *lq = img != NULL ? img + npx : NULL;
    if (rc == SR_OK)
        sr_heads_csv_header(fh);
    for (size_t b = 0; b < B && rc == SR_OK; b++) {
        const double *xb = x->f64 + b * npx;
        if (o->use_float) {
            rc = sr_heads_float_run(&net, fl, fl + P * 4, xb);
        } else {
            sr_heads_fx_quantise(npx, img, xb, f.in);
            rc = sr_heads_fx_run(&q, lq, lq + P * 4, img, NULL);
            sr_heads_fx_value(P * (4 + K), fl, lq, f.out);
        }
        if (rc == SR_OK)
            pred[b] =
                (long)sr_heads_csv_row(fh, b, &net.cfg, &net.dims, fl,
                                       fl + P * 4, fl + P * (4 + K), keep);
    }
    if (rc == SR_ENOMEM)
        snprintf(err, errlen, "sirnn: plain: out of memory");
    free(keep);
    free(fl);
    free(img);
    sr_heads_fx_clear(&q);
    return rc;
}

/* `sirnn plain` of an rnnpool-heads model (docs/heads.md s10). */
static int
plain_heads(const plain_opts *o, sr_model *m)
{
    char err[1024] = "";
    sr_npy x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    long *pred = NULL;
    int rc = sr_npy_load(&x, o->input, SR_NPY_FLOAT, err, sizeof err);
    if (rc == SR_OK)
        rc = sr_input_check(&x, o->input, "images (B, H, W) or (B, H, W, 1)",
                            err, sizeof err);
    if (rc == SR_OK) {
        /* the image size: what the server's card check accepts */
        sr_card c;
        memset(&c, 0, sizeof c);
        c.type = SR_MODEL_RNNPOOL_HEADS;
        snprintf(c.name, sizeof c.name, "%s", m->heads->name);
        c.heads.cfg = m->heads->net.cfg;
        sr_card_request r;
        sr_card_request_for(&r, &c, x.ndim, x.shape, SR_REVEAL_LABEL);
        char why[600];
        if (sr_card_check(&c, &r, why, sizeof why) != SR_OK) {
            snprintf(err, sizeof err, "sirnn: %s: %s", o->input, why);
            rc = SR_EUSAGE;
        }
    }
    const size_t B = rc == SR_OK ? x.shape[0] : 0;
    if (rc == SR_OK && o->labels != NULL) {
        rc = sr_npy_load(&y, o->labels, SR_NPY_INT, err, sizeof err);
        for (size_t b = 0; rc == SR_OK && b < y.n; b++)
            if (y.i64[b] < 0) {
                snprintf(err, sizeof err,
                         "sirnn: %s: label %zu is %lld, expected a head "
                         "count >= 0",
                         o->labels, b, (long long)y.i64[b]);
                rc = SR_EUSAGE;
            }
        if (rc == SR_OK && (y.ndim != 1 || y.shape[0] != B)) {
            snprintf(err, sizeof err,
                     "sirnn: %s: shape: expected (%zu,) labels, one per image",
                     o->labels, B);
            rc = SR_EUSAGE;
        }
    }
    FILE *fh = NULL;
    if (rc == SR_OK) {
        pred = calloc(B, sizeof *pred);
        fh = o->output ? fopen(o->output, "w") : stdout;
        if (pred == NULL) {
            snprintf(err, sizeof err, "sirnn: plain: out of memory");
            rc = SR_ENOMEM;
        } else if (fh == NULL) {
            snprintf(err, sizeof err, "sirnn: %s: write failed", o->output);
            rc = SR_EIO;
        }
    }
    if (rc == SR_OK)
        rc = run_heads(o, m->heads, &x, x.shape[1], x.shape[2], pred, fh, err,
                       sizeof err);
    if (fh != NULL) {
        const int bad = ferror(fh) || (o->output ? fclose(fh) : fflush(fh));
        if (bad && rc == SR_OK) {
            snprintf(err, sizeof err, "sirnn: %s: write failed",
                     o->output ? o->output : "stdout");
            rc = SR_EIO;
        }
    }
    if (rc == SR_OK && o->labels != NULL) {
        size_t hits = 0;
        for (size_t b = 0; b < B; b++)
            hits += pred[b] == (long)y.i64[b];
        fprintf(o->output ? stdout : stderr,
                "plain: %s accuracy %.6f (%zu/%zu)\n",
                o->use_float ? "float" : "fixed",
                B ? (double)hits / (double)B : 0.0, hits, B);
    }
    if (rc != SR_OK)
        fprintf(stderr, "%s\n", err);
    free(pred);
    sr_npy_clear(&y);
    sr_npy_clear(&x);
    return rc == SR_OK ? 0 : rc == SR_EUSAGE ? 2 : 1;
}

/* see plain.h */
int
sr_cmd_plain(int argc, char **argv)
{
    plain_opts o;
    if (parse(&o, argc, argv) != SR_OK)
        return 2;
    char err[1024] = "";
    sr_model m;
    sr_npy x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    long *pred = NULL;
    double *lo = NULL;
    int rc = sr_model_load_any(&m, o.model, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    if (m.type == SR_MODEL_RNNPOOL_HEADS) {
        const int code = plain_heads(&o, &m);
        sr_model_clear(&m);
        return code;
    }
    rc = sr_input_load(&x, o.input, m.timesteps, m.input_dim, err, sizeof err);
    const size_t B = rc == SR_OK ? x.shape[0] : 0, K = m.classes;
    if (rc == SR_OK && o.labels != NULL)
        rc = sr_labels_load(&y, o.labels, B, K, err, sizeof err);
    if (rc == SR_OK) {
        pred = malloc((B ? B : 1) * sizeof *pred);
        lo = malloc((B * K > 0 ? B * K : 1) * sizeof *lo);
        rc = (pred && lo) ? run(&o, &m, &x, pred, lo, err, sizeof err)
                          : SR_ENOMEM;
        if (rc == SR_ENOMEM && err[0] == '\0')
            snprintf(err, sizeof err, "sirnn: plain: out of memory");
    }
    if (rc == SR_OK) {
        FILE *fh = o.output ? fopen(o.output, "w") : stdout;
        if (fh == NULL || write_csv(fh, B, K, pred, lo) != SR_OK ||
            (o.output && fclose(fh) != 0) || (!o.output && fflush(fh))) {
            snprintf(err, sizeof err, "sirnn: %s: write failed",
                     o.output ? o.output : "stdout");
            rc = SR_EIO;
        }
    }
    if (rc == SR_OK && o.labels != NULL) {
        size_t hits = 0;
        for (size_t b = 0; b < B; b++)
            hits += pred[b] == (long)y.i64[b];
        fprintf(o.output ? stdout : stderr,
                "plain: %s accuracy %.6f (%zu/%zu)\n",
                o.use_float ? "float" : "fixed",
                B ? (double)hits / (double)B : 0.0, hits, B);
    }
    if (rc != SR_OK)
        fprintf(stderr, "%s\n", err);
    free(lo);
    free(pred);
    sr_npy_clear(&y);
    sr_npy_clear(&x);
    sr_model_clear(&m);
    return rc == SR_OK ? 0 : rc == SR_EUSAGE ? 2 : 1;
}

/* ---- sirnn quantise ---------------------------------------------------- */

/* Writes root to path atomically (path.tmp, then rename). */
static int
write_json(const char *path, json_t *root, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        rename(tmp, path) != 0) {
        unlink(tmp);
        snprintf(err, errlen, "sirnn: %.900s: write failed", path);
        return SR_EIO;
    }
    /* json_dump_file writes no final newline */
    FILE *fh = fopen(path, "a");
    if (fh == NULL || fputc('\n', fh) == EOF || fclose(fh) != 0) {
        snprintf(err, errlen, "sirnn: %.900s: write failed", path);
        return SR_EIO;
    }
    return SR_OK;
}

static int
exit_code(int rc)
{
    return rc == SR_OK ? 0 : rc == SR_EUSAGE ? 2 : 1;
}

/*
 * quantise for an rnnpool-heads model: its formats (model.json's
 * fixed_point, checked, or the defaults) written back into model.json, so
 * that they can be edited; no calibration (docs/heads.md s2).
 */
static int
quantise_heads(const sr_model *m, const char *dir, const char *calib, char *err,
               size_t errlen)
{
    if (calib != NULL) {
        snprintf(err, errlen,
                 "sirnn: quantise: --calib: not supported for an "
                 "rnnpool-heads model (it writes the fixed_point formats "
                 "in use; edit them by hand, docs/heads.md)");
        return SR_EUSAGE;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    sr_heads_fmt f;
    int rc = sr_heads_model_fmt(&f, m->heads->fixed_point, path, err, errlen);
    if (rc != SR_OK)
        return rc;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        snprintf(err, errlen, "sirnn: %.900s: %.100s", path, je.text);
        return SR_EUSAGE;
    }
    json_object_set_new(root, "fixed_point", sr_heads_fixed_point_json(&f));
    rc = write_json(path, root, err, errlen);
    json_decref(root);
    if (rc == SR_OK)
        printf("quantise: %s: rnnpool-heads formats: input (%u, %u), act "
               "(%u, %u), rnn.a (%u, %u), rnn.h (%u, %u), out (%u, %u)\n",
               dir, f.in.bw, f.in.s, f.act.bw, f.act.s, f.rnn.a.bw, f.rnn.a.s,
               f.rnn.h.bw, f.rnn.h.s, f.out.bw, f.out.s);
    return rc;
}

/* see quantise.h */
int
sr_cmd_quantise(int argc, char **argv)
{
    const char *dir = NULL, *calib = NULL, *labels = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *val = NULL;
        const char *eq = strchr(o, '=');
        char name[32];
        if (strncmp(o, "--", 2) != 0) {
            sr_cli_error("quantise", "unexpected argument '%s'", o);
            return 2;
        }
        if (eq != NULL) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - o), o);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", o);
            if (i + 1 < argc)
                val = argv[++i];
        }
        const char **dst = strcmp(name, "--model") == 0    ? &dir
                           : strcmp(name, "--calib") == 0  ? &calib
                           : strcmp(name, "--labels") == 0 ? &labels
                                                           : NULL;
        if (dst == NULL) {
            sr_cli_error("quantise",
                         "unknown option '%s' (expected --model, "
                         "--calib, --labels)",
                         name);
            return 2;
        }
        if (val == NULL || val[0] == '\0') {
            sr_cli_error("quantise", "%s: needs a value", name);
            return 2;
        }
        *dst = val;
    }
    if (dir == NULL) {
        sr_cli_error("quantise", "--model: missing (sirnn quantise --model "
                                 "DIR [--calib X.npy] [--labels Y.npy])");
        return 2;
    }
    if (labels != NULL && calib == NULL) {
        sr_cli_error("quantise", "--labels: needs --calib");
        return 2;
    }
    char err[1024];
    sr_model m;
    sr_npy x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    int rc = sr_model_load_any(&m, dir, err, sizeof err);
    if (rc == SR_OK && m.type == SR_MODEL_RNNPOOL_HEADS) {
        rc = quantise_heads(&m, dir, calib, err, sizeof err);
        if (rc != SR_OK)
            fprintf(stderr, "%s\n", err);
        sr_model_clear(&m);
        return exit_code(rc);
    }
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        return exit_code(rc);
    }
    size_t B = 0;
    if (calib != NULL) {
        rc =
            sr_input_load(&x, calib, m.timesteps, m.input_dim, err, sizeof err);
        if (rc == SR_OK)
            B = x.shape[0];
        if (rc == SR_OK && B == 0) {
            snprintf(err, sizeof err,
                     "sirnn: %s: shape: expected at least "
                     "one sample",
                     calib);
            rc = SR_EUSAGE;
        }
        if (rc == SR_OK && labels != NULL)
            rc = sr_labels_load(&y, labels, B, m.classes, err, sizeof err);
    }
    sr_fastgrnn_fmt f;
    sr_quantise_info info;
    if (rc == SR_OK)
        rc = sr_quantise_choose(&f, &info, &m, B ? x.f64 : NULL, B,
                                labels ? y.i64 : NULL, err, sizeof err);
    if (rc == SR_OK) {
        char path[4096];
        snprintf(path, sizeof path, "%s/model.json", dir);
        json_error_t je;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (root == NULL) {
            snprintf(err, sizeof err, "sirnn: %.900s: %.100s", path, je.text);
            rc = SR_EUSAGE;
        } else {
            json_object_set_new(root, "fixed_point",
                                sr_fixed_point_json(&f, &m, &info));
            rc = write_json(path, root, err, sizeof err);
            json_decref(root);
        }
        if (rc == SR_OK) {
            printf("quantise: %s: input (%u, %u), a (%u, %u), h (%u, %u), "
                   "logits (%u, %u), headroom %u",
                   dir, f.x.bw, f.x.s, f.a.bw, f.a.s, f.h.bw, f.h.s,
                   f.logits.bw, f.logits.s, info.headroom);
            if (info.samples > 0 && info.labelled)
                printf(", calibration %zu samples: float %.6f, plain %.6f",
                       info.samples, info.float_acc, info.plain_acc);
            else if (info.samples > 0)
                printf(", calibration %zu samples: agreement %.6f",
                       info.samples, info.plain_acc);
            printf("\n");
        }
    }
    if (rc != SR_OK)
        fprintf(stderr, "%s\n", err);
    sr_npy_clear(&y);
    sr_npy_clear(&x);
    sr_model_clear(&m);
    return exit_code(rc);
}
