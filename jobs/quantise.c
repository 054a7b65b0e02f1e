/*
 * jobs/quantise.c -- fixed-point formats: rule, search, model.json object
 * and `sirnn quantise` (see quantise.h).
 */
#include "jobs/quantise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/cli.h"

#define VBW 16   /* width of every value and weight */
#define OUT_S 14 /* scale of z, c and k */
#define LOGIT_BW 32

/* Largest scale s <= cap with round(r 2^s) <= 2^(bw-1) - 1 (r >= 0). */
static unsigned
scale_for(double r, unsigned bw, unsigned cap)
{
    const double lim = ldexp(1.0, (int)bw - 1) - 1.0;
    for (int s = (int)cap; s > 0; s--)
        if (floor(ldexp(r, s) + 0.5) <= lim)
            return (unsigned)s;
    return 0;
}

static double
absmax(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return m;
}

/* max_j sum_i |M[i,j]| of the [r,c] matrix M (the bound of x M for
 * |x| <= 1 elementwise). */
static double
colsum(const double *M, size_t r, size_t c)
{
    double best = 0;
    for (size_t j = 0; j < c; j++) {
        double s = 0;
        for (size_t i = 0; i < r; i++)
            s += fabs(M[i * c + j]);
        if (s > best)
            best = s;
    }
    return best;
}

/* max_j sum_i |(A B)[i,j]| for A [r,k], B [k,c]. */
static double
colsum_prod(const double *A, const double *B, size_t r, size_t k, size_t c,
            double *row)
{
    double best = 0;
    for (size_t j = 0; j < c; j++)
        row[j] = 0;
    for (size_t i = 0; i < r; i++) {
        for (size_t j = 0; j < c; j++) {
            double s = 0;
            for (size_t l = 0; l < k; l++)
                s += A[i * k + l] * B[l * c + j];
            row[j] += fabs(s);
        }
    }
    for (size_t j = 0; j < c; j++)
        if (row[j] > best)
            best = row[j];
    return best;
}

static double
sigm(double v)
{
    return 0.5 * (1.0 + tanh(0.5 * v));
}

/* Ranges of the tensors the formats cover. */
typedef struct ranges {
    double x, t, u, a, logits;
} ranges;

static void
vecmat(double *y, const double *x, const double *M, size_t r, size_t c)
{
    for (size_t j = 0; j < c; j++)
        y[j] = 0;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++)
            y[j] += x[i] * M[i * c + j];
}

static void
upd(double *m, const double *x, size_t n)
{
    double v = absmax(x, n);
    if (v > *m)
        *m = v;
}

/* Float forward pass (folded model) recording the ranges. */
static int
measure(ranges *R, const sr_fastgrnn_float *p, const double *x, size_t B)
{
    const size_t D = p->D, H = p->H, K = p->K, T = p->T;
    const size_t r = (p->rW > p->rU ? p->rW : p->rU) + 1;
    double *buf = malloc((4 * H + r + K) * sizeof *buf);
    if (buf == NULL)
        return SR_ENOMEM;
    double *h = buf, *a = h + H, *q = a + H, *g = q + H, *mid = g + H;
    double *lo = mid + r;
    memset(R, 0, sizeof *R);
    upd(&R->x, x, B * T * D);
    for (size_t b = 0; b < B; b++) {
        memset(h, 0, H * sizeof *h);
        for (size_t t = 0; t < T; t++) {
            const double *xt = x + (b * T + t) * D;
            if (p->rW) {
                vecmat(mid, xt, p->W1, D, p->rW);
                upd(&R->t, mid, p->rW);
                vecmat(a, mid, p->W2, p->rW, H);
            } else {
                vecmat(a, xt, p->W, D, H);
            }
            if (p->rU) {
                vecmat(mid, h, p->U1, H, p->rU);
                upd(&R->u, mid, p->rU);
                vecmat(q, mid, p->U2, p->rU, H);
            } else {
                vecmat(q, h, p->U, H, H);
            }
            const double sz = sigm(p->zeta), sn = sigm(p->nu);
            for (size_t j = 0; j < H; j++) {
                const double ag = a[j] + q[j] + p->b_gate[j];
                const double au = a[j] + q[j] + p->b_update[j];
                g[j] = fabs(ag) > fabs(au) ? ag : au;
                const double z = sigm(ag), c = tanh(au);
                h[j] = z * h[j] + (sz * (1.0 - z) + sn) * c;
            }
            upd(&R->a, g, H);
        }
        vecmat(lo, h, p->fc_W, H, K);
        for (size_t k = 0; k < K; k++)
            lo[k] += p->fc_b[k];
        upd(&R->logits, lo, K);
    }
    free(buf);
    return SR_OK;
}

/* Ranges bounded from the weights alone (xb: bound on |x|). */
static int
bound(ranges *R, const sr_fastgrnn_float *p, double xb, double hb)
{
    const size_t D = p->D, H = p->H, K = p->K;
    double *row = malloc((H + 1) * sizeof *row);
    if (row == NULL)
        return SR_ENOMEM;
    R->x = xb;
    double pw, qu;
    if (p->rW) {
        R->t = xb * colsum(p->W1, D, p->rW);
        pw = xb * colsum_prod(p->W1, p->W2, D, p->rW, H, row);
    } else {
        R->t = 0;
        pw = xb * colsum(p->W, D, H);
    }
    if (p->rU) {
        R->u = hb * colsum(p->U1, H, p->rU);
        qu = hb * colsum_prod(p->U1, p->U2, H, p->rU, H, row);
    } else {
        R->u = 0;
        qu = hb * colsum(p->U, H, H);
    }
    const double bb = fmax(absmax(p->b_gate, H), absmax(p->b_update, H));
    R->a = pw + qu + bb;
    R->logits = hb * colsum(p->fc_W, H, K) + absmax(p->fc_b, K);
    free(row);
    return SR_OK;
}

static unsigned
umin(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

/* The formats for ranges R, h bound hb and headroom hd. */
static void
formats(sr_fastgrnn_fmt *f, const sr_fastgrnn_float *p, const ranges *R,
        double hb, unsigned hd)
{
    const size_t D = p->D, H = p->H, K = p->K;
    const double g = ldexp(1.0, (int)hd);
    memset(f, 0, sizeof *f);
    f->x = sr_fx_make(VBW, scale_for(R->x * g, VBW, 30));
    if (p->rW) {
        f->W1 = sr_fx_make(VBW, scale_for(absmax(p->W1, D * p->rW), VBW, 30));
        f->W2 = sr_fx_make(VBW, scale_for(absmax(p->W2, p->rW * H), VBW, 30));
    } else {
        f->W = sr_fx_make(VBW, scale_for(absmax(p->W, D * H), VBW, 30));
    }
    if (p->rU) {
        f->U1 = sr_fx_make(VBW, scale_for(absmax(p->U1, H * p->rU), VBW, 30));
        f->U2 = sr_fx_make(VBW, scale_for(absmax(p->U2, p->rU * H), VBW, 30));
    } else {
        f->U = sr_fx_make(VBW, scale_for(absmax(p->U, H * H), VBW, 30));
    }
    f->fc_W = sr_fx_make(VBW, scale_for(absmax(p->fc_W, H * K), VBW, 30));
    f->z = f->c = f->k = sr_fx_make(VBW, OUT_S);
    /* v = h - sigma(zeta) c shares h's format: |v| <= hb + sigma(zeta) */
    const double sz = sigm(p->zeta);
    f->h = sr_fx_make(VBW, scale_for((hb + sz) * 17.0 / 16.0, VBW, 30));
    unsigned sa = scale_for(R->a * g, VBW, 30);
    if (p->rW) {
        unsigned st = scale_for(R->t * g, VBW, 30);
        st = umin(st, f->x.s + f->W1.s);
        f->t = sr_fx_make(VBW, st);
        sa = umin(sa, st + f->W2.s);
    } else {
        sa = umin(sa, f->x.s + f->W.s);
    }
    if (p->rU) {
        unsigned su = scale_for(R->u * g, VBW, 30);
        su = umin(su, f->h.s + f->U1.s);
        f->u = sr_fx_make(VBW, su);
        sa = umin(sa, su + f->U2.s);
    } else {
        sa = umin(sa, f->h.s + f->U.s);
    }
    f->a = sr_fx_make(VBW, sa);
    unsigned sl = scale_for(R->logits * g * 4.0, LOGIT_BW, 30);
    f->logits = sr_fx_make(LOGIT_BW, umin(sl, f->h.s + f->fc_W.s));
}

/* Fixed-point score on the calibration set: correct (or agreeing)
 * predictions. */
static int
score(size_t *hits, const sr_fastgrnn_float *p, const sr_fastgrnn_fmt *f,
      const double *x, size_t B, const long *ref)
{
    sr_fastgrnn_fx q;
    int rc = sr_fastgrnn_fx_init(&q, p, f, NULL);
    if (rc != SR_OK)
        return rc;
    const size_t n = B * p->T * p->D;
    uint64_t *xq = malloc(n * sizeof *xq);
    uint64_t *lo = malloc(B * p->K * sizeof *lo);
    long *pred = malloc(B * sizeof *pred);
    rc = SR_ENOMEM;
    if (xq != NULL && lo != NULL && pred != NULL) {
        (void)sr_fx_quantise(n, xq, x, f->x);
        rc = sr_fastgrnn_fx_logits(&q, B, lo, xq, NULL);
        if (rc == SR_OK) {
            sr_fastgrnn_fx_argmax(B, p->K, pred, lo, f->logits.bw);
            *hits = 0;
            for (size_t b = 0; b < B; b++)
                *hits += pred[b] == ref[b];
        }
    }
    free(pred);
    free(lo);
    free(xq);
    sr_fastgrnn_fx_clear(&q);
    return rc;
}

static int
qfail(char *err, size_t errlen, int rc, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    return rc;
}

/* see quantise.h */
int
sr_quantise_choose(sr_fastgrnn_fmt *f, sr_quantise_info *info, sr_model *m,
                   const double *calib, size_t B, const int64_t *labels,
                   char *err, size_t errlen)
{
    SR_REQUIRE(f != NULL && m != NULL && (B == 0 || calib != NULL));
    sr_quantise_info inf;
    memset(&inf, 0, sizeof inf);
    /* raw input bound, before folding drops mean/std */
    const size_t D = m->input_dim;
    double xb = 8.0;
    if (m->w[SR_ROLE_MEAN].f64 != NULL) {
        xb = 0;
        for (size_t d = 0; d < D; d++)
            xb = fmax(xb, fabs(m->w[SR_ROLE_MEAN].f64[d]) +
                              6.0 * m->w[SR_ROLE_STD].f64[d]);
    }
    int rc = sr_model_fold_normalisation(m);
    if (rc != SR_OK)
        return qfail(err, errlen, rc, "sirnn: quantise: out of memory");
    const sr_fastgrnn_float p = sr_model_float(m);
    for (int r = 0; r < SR_ROLE_COUNT; r++) {
        const sr_npy *w = &m->w[r];
        /* a weight must fit 16 bits at scale 0 at least */
        if (w->f64 != NULL && absmax(w->f64, w->n) >= 32767.5) {
            if (err != NULL && errlen > 0)
                snprintf(err, errlen,
                         "sirnn: quantise: %s: |w| up to %g does not fit a "
                         "16-bit format",
                         sr_model_role_name((sr_model_role)r),
                         absmax(w->f64, w->n));
            return SR_EUSAGE;
        }
    }
    const double sz = sigm(p.zeta), sn = sigm(p.nu);
    const double hb = sz + sn + (double)(p.T - 1) * sn;
    ranges R;
    rc = B ? measure(&R, &p, calib, B) : bound(&R, &p, xb, hb);
    if (rc != SR_OK)
        return qfail(err, errlen, rc, "sirnn: quantise: out of memory");
    unsigned best_hd = 0;
    if (B > 0) {
        /* reference predictions: labels, or the float model's argmax */
        long *ref = malloc(B * sizeof *ref);
        double *lf = malloc(B * p.K * sizeof *lf);
        size_t best = 0, fhits = 0;
        rc = (ref && lf) ? sr_fastgrnn_float_logits(&p, B, lf, calib)
                         : SR_ENOMEM;
        if (rc == SR_OK) {
            sr_fastgrnn_float_argmax(B, p.K, ref, lf);
            if (labels != NULL)
                for (size_t b = 0; b < B; b++) {
                    fhits += ref[b] == labels[b];
                    ref[b] = (long)labels[b];
                }
        }
        for (unsigned hd = 0; hd <= 2 && rc == SR_OK; hd++) {
            sr_fastgrnn_fmt c;
            size_t hits = 0;
            formats(&c, &p, &R, hb, hd);
            rc = sr_fastgrnn_fmt_check(&c, p.rW, p.rU, err, errlen);
            if (rc == SR_OK)
                rc = score(&hits, &p, &c, calib, B, ref);
            if (rc == SR_OK && (hd == 0 || hits >= best)) {
                best = hits;
                best_hd = hd;
            }
        }
        free(lf);
        free(ref);
        if (rc != SR_OK)
            return rc == SR_ENOMEM ? qfail(err, errlen, rc,
                                           "sirnn: quantise: out of memory")
                                   : rc;
        inf.samples = B;
        inf.labelled = labels != NULL;
        inf.float_acc = labels ? (double)fhits / (double)B : 1.0;
        inf.plain_acc = (double)best / (double)B;
    }
    inf.headroom = best_hd;
    formats(f, &p, &R, hb, best_hd);
    char buf[200];
    rc = sr_fastgrnn_fmt_check(f, p.rW, p.rU, buf, sizeof buf);
    if (rc != SR_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "sirnn: quantise: %s", buf);
        return rc;
    }
    if (info != NULL)
        *info = inf;
    return SR_OK;
}

/* The entries of "fixed_point" present for m (rank rW, rU). */
static size_t
fp_entries(sr_fp_entry *e, sr_fastgrnn_fmt *f, size_t rW, size_t rU)
{
    const struct {
        sr_fp_entry e;
        int used;
    } all[] = {
        {{"weights", "W", &f->W}, !rW},
        {{"weights", "W1", &f->W1}, !!rW},
        {{"weights", "W2", &f->W2}, !!rW},
        {{"weights", "U", &f->U}, !rU},
        {{"weights", "U1", &f->U1}, !!rU},
        {{"weights", "U2", &f->U2}, !!rU},
        {{"weights", "fc_W", &f->fc_W}, 1},
        {{"tensors", "t", &f->t}, !!rW},
        {{"tensors", "u", &f->u}, !!rU},
        {{"tensors", "a", &f->a}, 1},
        {{"tensors", "z", &f->z}, 1},
        {{"tensors", "c", &f->c}, 1},
        {{"tensors", "k", &f->k}, 1},
        {{"tensors", "h", &f->h}, 1},
        {{"tensors", "logits", &f->logits}, 1},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].used)
            e[n++] = all[i].e;
    return n;
}

/* see quantise.h */
json_t *
sr_fx_json(sr_fx f)
{
    return json_pack("{s:i, s:i}", "bw", (int)f.bw, "scale", (int)f.s);
}

/* see quantise.h */
json_t *
sr_fixed_point_write(sr_fx input, const sr_fp_entry *e, size_t n)
{
    json_t *o = json_object(), *w = json_object(), *t = json_object();
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "input", sr_fx_json(input));
    for (size_t i = 0; i < n; i++)
        json_object_set_new(strcmp(e[i].sec, "weights") == 0 ? w : t, e[i].key,
                            sr_fx_json(*e[i].fx));
    json_object_set_new(o, "weights", w);
    json_object_set_new(o, "tensors", t);
    return o;
}

/* see quantise.h */
json_t *
sr_fixed_point_json(const sr_fastgrnn_fmt *f, const sr_model *m,
                    const sr_quantise_info *info)
{
    sr_fastgrnn_fmt c = *f;
    sr_fp_entry e[16];
    const size_t n = fp_entries(e, &c, m->rW, m->rU);
    json_t *o = sr_fixed_point_write(c.x, e, n);
    if (info != NULL) {
        json_t *cal = json_object();
        json_object_set_new(cal, "samples",
                            json_integer((json_int_t)info->samples));
        json_object_set_new(cal, "headroom", json_integer(info->headroom));
        if (info->samples > 0) {
            if (info->labelled) {
                json_object_set_new(cal, "float", json_real(info->float_acc));
                json_object_set_new(cal, "plain", json_real(info->plain_acc));
            } else {
                json_object_set_new(cal, "agree", json_real(info->plain_acc));
            }
        }
        json_object_set_new(o, "calibration", cal);
    }
    return o;
}

/* see quantise.h */
int
sr_fixed_point_error(char *err, size_t errlen, const char *what,
                     const char *key, const char *detail)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "sirnn: %s: fixed_point%s%s: %s", what,
                 key[0] ? "." : "", key, detail);
    return SR_EUSAGE;
}

/* see quantise.h */
int
sr_fx_json_parse(sr_fx *out, const json_t *v, const char *what, const char *key,
                 char *err, size_t errlen)
{
    if (v == NULL)
        return sr_fixed_point_error(err, errlen, what, key, "missing");
    if (!json_is_object(v) || json_object_size(v) != 2)
        return sr_fixed_point_error(err, errlen, what, key,
                                    "expected {\"bw\": int, \"scale\": int}");
    const json_t *b = json_object_get(v, "bw"),
                 *s = json_object_get(v, "scale");
    if (!json_is_integer(b) || !json_is_integer(s))
        return sr_fixed_point_error(err, errlen, what, key,
                                    "expected {\"bw\": int, \"scale\": int}");
    json_int_t bi = json_integer_value(b), si = json_integer_value(s);
    if (bi < 1 || bi > 64 || si < 0 || si > 62)
        return sr_fixed_point_error(err, errlen, what, key,
                                    "bw must be 1..64 and scale 0..62");
    *out = sr_fx_make((unsigned)bi, (unsigned)si);
    return SR_OK;
}

/* Every key of the section object sec is one of the expected names. */
/* Every key of the section object sec is one of the entries' keys. */
static int
check_keys(const json_t *sec, const sr_fp_entry *e, size_t n, const char *name,
           const char *what, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)sec, key, v)
    {
        int ok = 0;
        for (size_t i = 0; i < n; i++)
            ok |= strcmp(e[i].sec, name) == 0 && strcmp(e[i].key, key) == 0;
        if (!ok) {
            char k[96];
            snprintf(k, sizeof k, "%s.%s", name, key);
            return sr_fixed_point_error(err, errlen, what, k,
                                        "unknown key for this model");
        }
    }
    return SR_OK;
}

/* see quantise.h */
int
sr_fixed_point_read(const json_t *fp, sr_fx *input, const sr_fp_entry *e,
                    size_t n, int calibration, const char *what, char *err,
                    size_t errlen)
{
    if (!json_is_object(fp))
        return sr_fixed_point_error(err, errlen, what, "",
                                    "expected an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)fp, key, v)
    {
        if (strcmp(key, "version") && strcmp(key, "input") &&
            strcmp(key, "weights") && strcmp(key, "tensors") &&
            (!calibration || strcmp(key, "calibration")))
            return sr_fixed_point_error(
                err, errlen, what, key,
                calibration ? "unknown key (expected version, input, "
                              "weights, tensors, calibration)"
                            : "unknown key (expected version, input, "
                              "weights, tensors)");
    }
    const json_t *ver = json_object_get(fp, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return sr_fixed_point_error(err, errlen, what, "version", "expected 1");
    int rc = sr_fx_json_parse(input, json_object_get(fp, "input"), what,
                              "input", err, errlen);
    static const char *const secs[] = {"weights", "tensors"};
    for (size_t s = 0; s < 2 && rc == SR_OK; s++) {
        const json_t *sec = json_object_get(fp, secs[s]);
        if (!json_is_object(sec))
            return sr_fixed_point_error(err, errlen, what, secs[s],
                                        "expected an object");
        rc = check_keys(sec, e, n, secs[s], what, err, errlen);
    }
    for (size_t i = 0; i < n && rc == SR_OK; i++) {
        char k[96];
        snprintf(k, sizeof k, "%s.%s", e[i].sec, e[i].key);
        const json_t *sec = json_object_get(fp, e[i].sec);
        rc = sr_fx_json_parse(e[i].fx, json_object_get(sec, e[i].key), what, k,
                              err, errlen);
    }
    return rc;
}

/* see quantise.h */
int
sr_fixed_point_parse(sr_fastgrnn_fmt *f, const json_t *fp, const sr_model *m,
                     const char *what, char *err, size_t errlen)
{
    SR_REQUIRE(f != NULL && m != NULL && what != NULL);
    sr_fastgrnn_fmt c;
    memset(&c, 0, sizeof c);
    sr_fp_entry e[16];
    const size_t n = fp_entries(e, &c, m->rW, m->rU);
    int rc = sr_fixed_point_read(fp, &c.x, e, n, 1, what, err, errlen);
    if (rc != SR_OK)
        return rc;
    char buf[200];
    if (sr_fastgrnn_fmt_check(&c, m->rW, m->rU, buf, sizeof buf) != SR_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "sirnn: %s: fixed_point: %s", what, buf);
        return SR_EUSAGE;
    }
    *f = c;
    return SR_OK;
}

/* see quantise.h */
int
sr_model_formats(sr_fastgrnn_fmt *f, sr_model *m, const char *dir, char *err,
                 size_t errlen)
{
    if (m->fixed_point == NULL)
        return sr_quantise_choose(f, NULL, m, NULL, 0, NULL, err, errlen);
    char what[512];
    snprintf(what, sizeof what, "%s/model.json", dir);
    int rc = sr_fixed_point_parse(f, m->fixed_point, m, what, err, errlen);
    if (rc != SR_OK)
        return rc;
    rc = sr_model_fold_normalisation(m);
    if (rc != SR_OK && err != NULL && errlen > 0)
        snprintf(err, errlen, "sirnn: %s: out of memory", what);
    return rc;
}
