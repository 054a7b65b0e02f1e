/*
 * jobs/model_heads.c -- the "rnnpool-heads" model loader (see
 * model_heads.h).
 */
#include "jobs/jsonerr.h"
#include "jobs/model_heads.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {
    "format",         "name",    "type",        "input_height", "input_width",
    "conv0_channels", "rnnpool", "stages",      "classes",      "anchors",
    "variance",       "weights", "fixed_point",
};
static const char *const rnn_keys[] = {"patch", "stride", "hidden1", "hidden2",
                                       "zeta1", "nu1",    "zeta2",   "nu2"};



/* A required integer in [lo, hi] (field names the key for messages). */
static int
get_int(const json_t *obj, const char *key, const char *field, size_t lo,
        size_t hi, size_t *out, const char *mjson, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, field, "missing");
    if (!json_is_integer(v))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, field,
                     "expected an integer in [%zu, %zu], found %s", lo, hi,
                     sr_json_type_name(v));
    json_int_t i = json_integer_value(v);
    if (i < (json_int_t)lo || i > (json_int_t)hi)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, field,
                     "expected an integer in [%zu, %zu], found %lld", lo, hi,
                     (long long)i);
    *out = (size_t)i;
    return SR_OK;
}

static int
get_num(const json_t *v, const char *field, double *out, const char *mjson,
        char *err, size_t errlen)
{
    if (v == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, field, "missing");
    if (!json_is_number(v))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, field,
                     "expected a number, found %s", sr_json_type_name(v));
    *out = json_number_value(v);
    if (!isfinite(*out))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, field, "not finite");
    return SR_OK;
}

/* An array of exactly n numbers (n = 0: any length up to max, *n_out). */
static int
get_nums(const json_t *root, const char *key, size_t n, size_t max, double *out,
         size_t *n_out, const char *mjson, char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);
    if (v == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, key, "missing");
    if (!json_is_array(v))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, key,
                     "expected an array of numbers, found %s", sr_json_type_name(v));
    size_t len = json_array_size(v);
    if ((n != 0 && len != n) || len > max)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, key,
                     "expected %zu numbers, found %zu", n ? n : max, len);
    for (size_t i = 0; i < len; i++) {
        char field[64];
        snprintf(field, sizeof field, "%s[%zu]", key, i);
        int rc =
            get_num(json_array_get(v, i), field, &out[i], mjson, err, errlen);
        if (rc != SR_OK)
            return rc;
    }
    if (n_out != NULL)
        *n_out = len;
    return SR_OK;
}

static int
parse_cfg(sr_heads_cfg *cfg, double zn[4], const json_t *root,
          const char *mjson, char *err, size_t errlen)
{
    int rc;
    memset(cfg, 0, sizeof *cfg);
    if ((rc = get_int(root, "input_height", "input_height", 1, 65536,
                      &cfg->height, mjson, err, errlen)) != SR_OK ||
        (rc = get_int(root, "input_width", "input_width", 1, 65536, &cfg->width,
                      mjson, err, errlen)) != SR_OK ||
        (rc = get_int(root, "conv0_channels", "conv0_channels", 1, 1024,
                      &cfg->conv0, mjson, err, errlen)) != SR_OK ||
        (rc = get_int(root, "classes", "classes", 2, 1024, &cfg->classes, mjson,
                      err, errlen)) != SR_OK)
        return rc;

    const json_t *r = json_object_get(root, "rnnpool");
    if (r == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "rnnpool", "missing");
    if (!json_is_object(r))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "rnnpool",
                     "expected an object, found %s", sr_json_type_name(r));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)r, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof rnn_keys / sizeof rnn_keys[0]; i++)
            known |= strcmp(key, rnn_keys[i]) == 0;
        if (!known)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "rnnpool",
                         "unknown key \"%s\" (rnnpool has patch, stride, "
                         "hidden1, hidden2, zeta1, nu1, zeta2, nu2)",
                         key);
    }
    if ((rc = get_int(r, "patch", "rnnpool.patch", 1, 64, &cfg->patch, mjson,
                      err, errlen)) != SR_OK ||
        (rc = get_int(r, "stride", "rnnpool.stride", 1, 64, &cfg->pstride,
                      mjson, err, errlen)) != SR_OK ||
        (rc = get_int(r, "hidden1", "rnnpool.hidden1", 1, 1024, &cfg->hid1,
                      mjson, err, errlen)) != SR_OK ||
        (rc = get_int(r, "hidden2", "rnnpool.hidden2", 1, 1024, &cfg->hid2,
                      mjson, err, errlen)) != SR_OK)
        return rc;
    static const char *const zk[4] = {"zeta1", "nu1", "zeta2", "nu2"};
    for (size_t i = 0; i < 4; i++) {
        char field[32];
        snprintf(field, sizeof field, "rnnpool.%s", zk[i]);
        if ((rc = get_num(json_object_get(r, zk[i]), field, &zn[i], mjson, err,
                          errlen)) != SR_OK)
            return rc;
    }

    const json_t *st = json_object_get(root, "stages");
    if (st == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "stages", "missing");
    if (!json_is_array(st) || json_array_size(st) < 1 ||
        json_array_size(st) > SR_HEADS_MAX_STAGES)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "stages",
                     "expected an array of 1 to %d [t, c, n, s] arrays",
                     SR_HEADS_MAX_STAGES);
    cfg->nstages = json_array_size(st);
    for (size_t j = 0; j < cfg->nstages; j++) {
        const json_t *a = json_array_get(st, j);
        size_t vals[4];
        if (!json_is_array(a) || json_array_size(a) != 4)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "stages",
                         "stage %zu: expected [t, c, n, s] (expansion, "
                         "channels, blocks, stride)",
                         j);
        for (size_t i = 0; i < 4; i++) {
            const json_t *e = json_array_get(a, i);
            if (!json_is_integer(e) || json_integer_value(e) < 1)
                return sr_field_error(err, errlen, SR_EUSAGE, mjson, "stages",
                             "stage %zu: entry %zu: expected a positive "
                             "integer",
                             j, i);
            vals[i] = (size_t)json_integer_value(e);
        }
        cfg->stage[j] = (sr_heads_stage){vals[0], vals[1], vals[2], vals[3]};
    }
    size_t na;
    if ((rc = get_nums(root, "anchors", cfg->nstages, SR_HEADS_MAX_STAGES,
                       cfg->anchor, &na, mjson, err, errlen)) != SR_OK ||
        (rc = get_nums(root, "variance", 2, 2, cfg->variance, NULL, mjson, err,
                       errlen)) != SR_OK)
        return rc;
    if (!(cfg->variance[0] > 0) || !(cfg->variance[1] > 0))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "variance",
                     "expected two positive numbers");
    return SR_OK;
}

/* One weight role: name, expected shape, destination and kind. */
enum { R_COPY, R_BN, R_L2 };
typedef struct role {
    char name[64];
    unsigned nd;
    size_t shape[4];
    int alt1; /* a 1-d role may also be [1, n] */
    int kind;
    double *dst;         /* R_COPY */
    sr_heads_conv *conv; /* R_BN */
    size_t src;          /* R_L2 */
} role;

#define MAX_ROLES (8 + 6 * SR_HEADS_MAX_BLOCKS + 5 * SR_HEADS_MAX_STAGES + 2)

static void
add(role *r, size_t *n, const char *name, unsigned nd, size_t a, size_t b,
    size_t c, size_t d, int kind, double *dst, sr_heads_conv *conv, size_t src)
{
    role *x = &r[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    x->nd = nd;
    x->shape[0] = a;
    x->shape[1] = b;
    x->shape[2] = c;
    x->shape[3] = d;
    x->alt1 = nd == 1 && kind == R_COPY;
    x->kind = kind;
    x->dst = dst;
    x->conv = conv;
    x->src = src;
}

static void
add_conv(role *r, size_t *n, const char *pfx, sr_heads_conv *c, int bn)
{
    char nm[64];
    snprintf(nm, sizeof nm, "%s.weight", pfx);
    add(r, n, nm, 4, c->sh.cout, c->sh.cin / c->sh.groups, c->sh.k, c->sh.k,
        R_COPY, c->w, NULL, 0);
    if (bn) {
        snprintf(nm, sizeof nm, "%s.bn", pfx);
        add(r, n, nm, 2, 4, c->sh.cout, 0, 0, R_BN, NULL, c, 0);
    } else {
        snprintf(nm, sizeof nm, "%s.bias", pfx);
        add(r, n, nm, 1, c->sh.cout, 0, 0, 0, R_COPY, c->b, NULL, 0);
    }
}

static size_t
roles_make(role *r, sr_heads_float *net)
{
    size_t n = 0;
    const size_t C0 = net->cfg.conv0, h1 = net->cfg.hid1, h2 = net->cfg.hid2;
    add_conv(r, &n, "conv0", &net->conv0, 1);
    add(r, &n, "rnn1.W", 2, C0, h1, 0, 0, R_COPY, net->r1W, NULL, 0);
    add(r, &n, "rnn1.U", 2, h1, h1, 0, 0, R_COPY, net->r1U, NULL, 0);
    add(r, &n, "rnn1.b_gate", 1, h1, 0, 0, 0, R_COPY, net->r1bg, NULL, 0);
    add(r, &n, "rnn1.b_update", 1, h1, 0, 0, 0, R_COPY, net->r1bu, NULL, 0);
    add(r, &n, "rnn2.W", 2, h1, h2, 0, 0, R_COPY, net->r2W, NULL, 0);
    add(r, &n, "rnn2.U", 2, h2, h2, 0, 0, R_COPY, net->r2U, NULL, 0);
    add(r, &n, "rnn2.b_gate", 1, h2, 0, 0, 0, R_COPY, net->r2bg, NULL, 0);
    add(r, &n, "rnn2.b_update", 1, h2, 0, 0, 0, R_COPY, net->r2bu, NULL, 0);
    for (size_t b = 0; b < net->dims.nblocks; b++) {
        char p[40];
        sr_heads_block *B = &net->block[b];
        if (B->has_expand) {
            snprintf(p, sizeof p, "block%zu.expand", b);
            add_conv(r, &n, p, &B->expand, 1);
        }
        snprintf(p, sizeof p, "block%zu.dw", b);
        add_conv(r, &n, p, &B->dw, 1);
        snprintf(p, sizeof p, "block%zu.project", b);
        add_conv(r, &n, p, &B->project, 1);
    }
    /* heads before the l2 scales: the scales fold into loaded heads */
    for (size_t j = 0; j < net->cfg.nstages; j++) {
        char p[40];
        snprintf(p, sizeof p, "loc%zu", j);
        add_conv(r, &n, p, &net->loc[j], 0);
        snprintf(p, sizeof p, "conf%zu", j);
        add_conv(r, &n, p, &net->conf[j], 0);
    }
    for (size_t j = 0; j + 1 < net->cfg.nstages; j++) {
        char p[40];
        snprintf(p, sizeof p, "l2norm%zu.weight", j);
        add(r, &n, p, 1, net->dims.src_c[j], 0, 0, 0, R_L2, NULL, NULL, j);
    }
    return n;
}

static void
shape_text(char *buf, size_t len, const role *r)
{
    size_t s[4];
    for (unsigned i = 0; i < r->nd; i++)
        s[i] = r->shape[i];
    sr_npy_shape_str(buf, len, s, r->nd);
}

static int
load_one(const role *r, const char *dir, const char *file, const char *mjson,
         char *err, size_t errlen)
{
    if (file[0] == '/' || file[0] == '\0')
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                     "\"%s\": expected a file name relative to the model "
                     "directory, found \"%s\"",
                     r->name, file);
    char *path = sr_path_join(dir, file);
    if (path == NULL)
        return SR_ENOMEM;
    sr_npy a;
    int rc = sr_npy_load(&a, path, SR_NPY_FLOAT, err, errlen);
    if (rc != SR_OK) {
        free(path);
        return rc;
    }
    int ok = a.ndim == r->nd;
    for (unsigned i = 0; ok && i < r->nd; i++)
        ok = a.shape[i] == r->shape[i];
    if (!ok && r->alt1 && a.ndim == 2 && a.shape[0] == 1 &&
        a.shape[1] == r->shape[0])
        ok = 1;
    if (!ok) {
        char want[96], got[96];
        shape_text(want, sizeof want, r);
        sr_npy_shape_str(got, sizeof got, a.shape, a.ndim);
        rc = sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                   "expected %s for \"%s\", found %s", want, r->name, got);
        goto out;
    }
    size_t bad = sr_npy_find_nonfinite(a.f64, a.n);
    if (bad < a.n) {
        rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                   "\"%s\" element %zu is %s, expected finite weights", r->name,
                   bad, isnan(a.f64[bad]) ? "NaN" : "infinite");
        goto out;
    }
    if (r->kind == R_COPY) {
        memcpy(r->dst, a.f64, sizeof(double) * a.n);
    } else if (r->kind == R_BN) {
        const size_t C = r->shape[1];
        for (size_t i = 0; i < C; i++)
            if (!(a.f64[3 * C + i] >= 0.0)) {
                rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                           "\"%s\" running_var (row 3) element %zu is "
                           "negative",
                           r->name, i);
                goto out;
            }
        sr_conv2d_fold_bn(&r->conv->sh, r->conv->w, r->conv->b, a.f64, 1e-5);
    }
out:
    sr_npy_clear(&a);
    free(path);
    return rc;
}

/* see model_heads.h */
int
sr_heads_model_parse(sr_heads_model *m, const json_t *root, const char *dir,
                     const char *mjson, char *err, size_t errlen)
{
    int rc;
    memset(m, 0, sizeof *m);
    if (!json_is_object(root))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "json",
                     "expected an object, found %s", sr_json_type_name(root));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof top_keys / sizeof top_keys[0]; i++)
            known |= strcmp(key, top_keys[i]) == 0;
        if (!known)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, key,
                         "unknown key (an rnnpool-heads model has format, "
                         "name, type, input_height, input_width, "
                         "conv0_channels, rnnpool, stages, classes, anchors, "
                         "variance, weights, fixed_point)");
    }
    const json_t *f = json_object_get(root, "format");
    if (!json_is_string(f) || strcmp(json_string_value(f), "sirnn-model/1"))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "format",
                     "expected \"sirnn-model/1\"");
    const json_t *t = json_object_get(root, "type");
    if (!json_is_string(t) || strcmp(json_string_value(t), "rnnpool-heads"))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "type",
                     "expected \"rnnpool-heads\"");
    const json_t *nm = json_object_get(root, "name");
    if (!json_is_string(nm))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "name",
                     nm ? "expected a string" : "missing");
    const char *s = json_string_value(nm);
    size_t nl = strlen(s);
    int printable = nl > 0 && nl < SR_HEADS_NAME_MAX;
    for (size_t i = 0; printable && i < nl; i++)
        printable = s[i] >= 32 && s[i] < 127;
    if (!printable)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "name",
                     "expected 1 to %d printable ASCII characters",
                     SR_HEADS_NAME_MAX - 1);
    memcpy(m->name, s, nl + 1);

    sr_heads_cfg cfg;
    double zn[4];
    if ((rc = parse_cfg(&cfg, zn, root, mjson, err, errlen)) != SR_OK)
        return rc;
    char why[256];
    rc = sr_heads_float_init(&m->net, &cfg, why, sizeof why);
    if (rc == SR_EUSAGE)
        return sr_field_error(err, errlen, rc, mjson, "configuration", "%s", why);
    if (rc != SR_OK)
        return rc;
    m->net.rnn.rnn1.zeta = zn[0];
    m->net.rnn.rnn1.nu = zn[1];
    m->net.rnn.rnn2.zeta = zn[2];
    m->net.rnn.rnn2.nu = zn[3];

    const json_t *fp = json_object_get(root, "fixed_point");
    if (fp != NULL) {
        if (!json_is_object(fp)) {
            rc = sr_field_error(err, errlen, SR_EUSAGE, mjson, "fixed_point",
                       "expected an object, found %s", sr_json_type_name(fp));
            goto fail;
        }
        m->fixed_point = json_incref((json_t *)fp);
    }

    const json_t *w = json_object_get(root, "weights");
    if (w == NULL || !json_is_object(w)) {
        rc = sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                   w ? "expected an object" : "missing");
        goto fail;
    }
    role *roles = malloc(sizeof(role) * MAX_ROLES);
    if (roles == NULL) {
        rc = SR_ENOMEM;
        goto fail;
    }
    const size_t nr = roles_make(roles, &m->net);
    rc = SR_OK;
    json_object_foreach((json_t *)w, key, v)
    {
        size_t i = 0;
        while (i < nr && strcmp(roles[i].name, key) != 0)
            i++;
        if (i == nr) {
            rc = sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                       "unknown role \"%s\" for this configuration (%zu "
                       "roles, listed in docs/heads.md)",
                       key, nr);
            break;
        }
        if (!json_is_string(v)) {
            rc = sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                       "\"%s\": expected a file name, found %s", key, sr_json_type_name(v));
            break;
        }
    }
    for (size_t i = 0; i < nr && rc == SR_OK; i++)
        if (json_object_get(w, roles[i].name) == NULL) {
            char want[96];
            shape_text(want, sizeof want, &roles[i]);
            rc = sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                       "missing role \"%s\" (expected %s%s)", roles[i].name,
                       want,
                       roles[i].kind == R_BN
                           ? ": gamma, beta, running_mean, running_var"
                           : "");
        }
    double *gamma = NULL;
    for (size_t i = 0; i < nr && rc == SR_OK; i++) {
        const char *file = json_string_value(json_object_get(w, roles[i].name));
        if (roles[i].kind == R_L2) {
            gamma = malloc(sizeof(double) * roles[i].shape[0]);
            if (gamma == NULL) {
                rc = SR_ENOMEM;
                break;
            }
            roles[i].kind = R_COPY;
            roles[i].dst = gamma;
            rc = load_one(&roles[i], dir, file, mjson, err, errlen);
            if (rc == SR_OK)
                sr_heads_float_fold_l2(&m->net, roles[i].src, gamma);
            free(gamma);
            gamma = NULL;
        } else {
            rc = load_one(&roles[i], dir, file, mjson, err, errlen);
        }
    }
    free(roles);
    if (rc == SR_OK)
        return SR_OK;
fail:
    sr_heads_model_clear(m);
    return rc;
}

/* see model_heads.h */
int
sr_heads_model_load(sr_heads_model *m, const char *dir, char *err,
                    size_t errlen)
{
    SR_REQUIRE(m != NULL && dir != NULL);
    memset(m, 0, sizeof *m);
    char *mjson;
    json_t *root;
    int rc = sr_model_json_read(dir, &root, &mjson, err, errlen);
    if (rc != SR_OK)
        return rc;
    rc = sr_heads_model_parse(m, root, dir, mjson, err, errlen);
    json_decref(root);
    free(mjson);
    return rc;
}

/* see model_heads.h */
void
sr_heads_model_clear(sr_heads_model *m)
{
    if (m == NULL)
        return;
    sr_heads_float_clear(&m->net);
    if (m->fixed_point != NULL)
        json_decref(m->fixed_point);
    memset(m, 0, sizeof *m);
}

/* see model_heads.h */
int
sr_heads_input_load(sr_npy *x, const char *path, size_t height, size_t width,
                    char *err, size_t errlen)
{
    int rc = sr_npy_load(x, path, SR_NPY_FLOAT, err, errlen);
    if (rc != SR_OK)
        return rc;
    int ok = (x->ndim == 3 || (x->ndim == 4 && x->shape[3] == 1)) &&
             x->shape[1] == height && x->shape[2] == width;
    if (!ok) {
        char got[96];
        sr_npy_shape_str(got, sizeof got, x->shape, x->ndim);
        rc = sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                   "expected (B, %zu, %zu) or (B, %zu, %zu, 1) images, "
                   "found %s",
                   height, width, height, width, got);
    } else {
        size_t bad = sr_npy_find_nonfinite(x->f64, x->n);
        if (bad < x->n)
            rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                       "element %zu is not finite", bad);
    }
    if (rc != SR_OK)
        sr_npy_clear(x);
    return rc;
}
