/*
 * jobs/model.c -- model.json loader and input files (see model.h).
 */
#include "jobs/jsonerr.h"
#include "jobs/model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/model_heads.h"

static const char *const role_names[SR_ROLE_COUNT] = {
    "W",      "W1",       "W2",   "U",    "U1",   "U2",
    "b_gate", "b_update", "fc_W", "fc_b", "mean", "std",
};

/* Top-level keys of a FastGRNN model.json. */
static const char *const top_keys[] = {
    "format",    "name", "type", "input_dim", "hidden_dim",  "classes",
    "timesteps", "zeta", "nu",   "weights",   "fixed_point",
};

/* see model.h */
const char *
sr_model_role_name(sr_model_role role)
{
    SR_REQUIRE((unsigned)role < SR_ROLE_COUNT);
    return role_names[role];
}



/* A required string field. */
static int
get_str(const json_t *root, const char *key, const char **out, const char *file,
        char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);
    if (v == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, file, key, "missing");
    if (!json_is_string(v))
        return sr_field_error(err, errlen, SR_EUSAGE, file, key,
                     "expected a string, found %s", sr_json_type_name(v));
    *out = json_string_value(v);
    return SR_OK;
}

/* A required positive integer field, at most SR_MODEL_DIM_MAX. */
static int
get_dim(const json_t *root, const char *key, size_t *out, const char *file,
        char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);
    if (v == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, file, key, "missing");
    if (!json_is_integer(v))
        return sr_field_error(err, errlen, SR_EUSAGE, file, key,
                     "expected a positive integer, found %s", sr_json_type_name(v));
    json_int_t i = json_integer_value(v);
    if (i < 1 || i > (json_int_t)SR_MODEL_DIM_MAX)
        return sr_field_error(err, errlen, SR_EUSAGE, file, key,
                     "expected an integer in [1, %u], found %lld",
                     SR_MODEL_DIM_MAX, (long long)i);
    *out = (size_t)i;
    return SR_OK;
}

/* A required finite number (integer or real). */
static int
get_num(const json_t *root, const char *key, double *out, const char *file,
        char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);
    if (v == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, file, key, "missing");
    if (!json_is_number(v))
        return sr_field_error(err, errlen, SR_EUSAGE, file, key,
                     "expected a number, found %s", sr_json_type_name(v));
    *out = json_number_value(v);
    if (!isfinite(*out))
        return sr_field_error(err, errlen, SR_EUSAGE, file, key, "not finite");
    return SR_OK;
}

/*
 * Expected shape of each role: nd dimensions named by letters, D H K for
 * the dims and w/u for the ranks rW/rU (0 until W1/U1 fixed them); alt1
 * marks the 1-d roles that may also be [1, n] (EdgeML's biases).
 */
static const struct {
    unsigned nd;
    char dim[2];
    int alt1;
    const char *what;
} role_dims[SR_ROLE_COUNT] = {
    [SR_ROLE_W] = {2, "DH", 0, "[input_dim, hidden_dim]"},
    [SR_ROLE_W1] = {2, "Dw", 0, "[input_dim, rank]"},
    [SR_ROLE_W2] = {2, "wH", 0, "[rank of W1, hidden_dim]"},
    [SR_ROLE_U] = {2, "HH", 0, "[hidden_dim, hidden_dim]"},
    [SR_ROLE_U1] = {2, "Hu", 0, "[hidden_dim, rank]"},
    [SR_ROLE_U2] = {2, "uH", 0, "[rank of U1, hidden_dim]"},
    [SR_ROLE_B_GATE] = {1, "H", 1, "[hidden_dim] or [1, hidden_dim]"},
    [SR_ROLE_B_UPDATE] = {1, "H", 1, "[hidden_dim] or [1, hidden_dim]"},
    [SR_ROLE_FC_W] = {2, "HK", 0, "[hidden_dim, classes]"},
    [SR_ROLE_FC_B] = {1, "K", 1, "[classes] or [1, classes]"},
    [SR_ROLE_MEAN] = {1, "D", 0, "[input_dim]"},
    [SR_ROLE_STD] = {1, "D", 0, "[input_dim]"},
};

static size_t
dim_value(const sr_model *m, char c)
{
    switch (c) {
    case 'D':
        return m->input_dim;
    case 'H':
        return m->hidden_dim;
    case 'K':
        return m->classes;
    case 'w':
        return m->rW;
    default:
        return m->rU;
    }
}

/* Loads one weight file and checks dtype, shape and values. */
static int
load_role(sr_model *m, sr_model_role r, const char *dir, const char *file,
          const char *mjson, char *err, size_t errlen)
{
    if (file[0] == '/' || file[0] == '\0')
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                     "\"%s\": expected a file name relative to the model "
                     "directory, found \"%s\"",
                     role_names[r], file);
    char *path = sr_path_join(dir, file);
    if (path == NULL)
        return SR_ENOMEM;
    sr_npy *a = &m->w[r];
    int rc = sr_npy_load(a, path, SR_NPY_FLOAT, err, errlen);
    if (rc != SR_OK)
        goto out;

    /* the rank of a low-rank factor is read from the first factor */
    if (r == SR_ROLE_W1 && a->ndim == 2 && a->shape[1] >= 1 &&
        a->shape[1] <= SR_MODEL_DIM_MAX)
        m->rW = a->shape[1];
    if (r == SR_ROLE_U1 && a->ndim == 2 && a->shape[1] >= 1 &&
        a->shape[1] <= SR_MODEL_DIM_MAX)
        m->rU = a->shape[1];

    size_t dims[2] = {0, 0};
    const unsigned nd = role_dims[r].nd;
    const int alt1 = role_dims[r].alt1;
    const char *what = role_dims[r].what;
    for (unsigned i = 0; i < nd; i++)
        dims[i] = dim_value(m, role_dims[r].dim[i]);
    int ok = a->ndim == nd && a->shape[0] == dims[0] &&
             (nd == 1 || a->shape[1] == dims[1]) && dims[0] > 0 &&
             (nd == 1 || dims[1] > 0);
    if (alt1 && a->ndim == 2 && a->shape[0] == 1 && a->shape[1] == dims[0])
        ok = 1;
    if (!ok) {
        char want[64], got[160];
        sr_npy_shape_str(want, sizeof want, dims, nd);
        if (nd == 2 && dims[1] == 0) /* W1/U1: any rank >= 1 */
            snprintf(want, sizeof want, "(%zu, rank)", dims[0]);
        sr_npy_shape_str(got, sizeof got, a->shape, a->ndim);
        rc = sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                   "expected %s for \"%s\" %s, found %s", want, role_names[r],
                   what, got);
        goto out;
    }
    size_t bad = sr_npy_find_nonfinite(a->f64, a->n);
    if (bad < a->n) {
        rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                   "\"%s\" element %zu is %s, expected finite weights",
                   role_names[r], bad, isnan(a->f64[bad]) ? "NaN" : "inf");
        goto out;
    }
    if (r == SR_ROLE_STD)
        for (size_t i = 0; i < a->n; i++)
            if (!(a->f64[i] > 0)) {
                rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                           "\"std\" element %zu is %g, expected > 0", i,
                           a->f64[i]);
                goto out;
            }
out:
    free(path);
    return rc;
}

/* Checks the set of roles given in "weights". */
static int
check_roles(const json_t *weights, const char *mjson, char *err, size_t errlen)
{
    int has[SR_ROLE_COUNT];
    for (int r = 0; r < SR_ROLE_COUNT; r++)
        has[r] = json_object_get(weights, role_names[r]) != NULL;

    const char *key;
    json_t *v;
    json_object_foreach((json_t *)weights, key, v)
    {
        int known = 0;
        for (int r = 0; r < SR_ROLE_COUNT; r++)
            known |= strcmp(key, role_names[r]) == 0;
        if (!known)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                         "unknown role \"%s\" (expected W or W1+W2, U or "
                         "U1+U2, b_gate, b_update, fc_W, fc_b, and "
                         "optionally mean+std)",
                         key);
        if (!json_is_string(v))
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                         "\"%s\": expected a file name, found %s", key,
                         sr_json_type_name(v));
    }
    static const struct {
        int full, lo1, lo2;
        const char *text;
    } pairs[2] = {
        {SR_ROLE_W, SR_ROLE_W1, SR_ROLE_W2, "W [D,H] or W1 [D,rW] + W2 [rW,H]"},
        {SR_ROLE_U, SR_ROLE_U1, SR_ROLE_U2, "U [H,H] or U1 [H,rU] + U2 [rU,H]"},
    };
    for (int i = 0; i < 2; i++) {
        int f = has[pairs[i].full], a = has[pairs[i].lo1],
            b = has[pairs[i].lo2];
        if (f && (a || b))
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                         "both \"%s\" and \"%s\" given, expected %s",
                         role_names[pairs[i].full],
                         role_names[a ? pairs[i].lo1 : pairs[i].lo2],
                         pairs[i].text);
        if (!f && a != b)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                         "\"%s\" given without \"%s\", expected %s",
                         role_names[a ? pairs[i].lo1 : pairs[i].lo2],
                         role_names[a ? pairs[i].lo2 : pairs[i].lo1],
                         pairs[i].text);
        if (!f && !a)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                         "missing \"%s\", expected %s",
                         role_names[pairs[i].full], pairs[i].text);
    }
    static const int req[4] = {SR_ROLE_B_GATE, SR_ROLE_B_UPDATE, SR_ROLE_FC_W,
                               SR_ROLE_FC_B};
    for (int i = 0; i < 4; i++)
        if (!has[req[i]])
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                         "missing role \"%s\"", role_names[req[i]]);
    if (has[SR_ROLE_MEAN] != has[SR_ROLE_STD])
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                     "\"%s\" given without \"%s\" (normalisation needs both)",
                     has[SR_ROLE_MEAN] ? "mean" : "std",
                     has[SR_ROLE_MEAN] ? "std" : "mean");
    return SR_OK;
}

static int
parse_model(sr_model *m, const json_t *root, const char *dir, const char *mjson,
            char *err, size_t errlen)
{
    int rc;
    const char *s;

    if (!json_is_object(root))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "json",
                     "expected an object, found %s", sr_json_type_name(root));
    if ((rc = get_str(root, "format", &s, mjson, err, errlen)) != SR_OK)
        return rc;
    if (strcmp(s, SR_MODEL_FORMAT) != 0)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "format",
                     "expected \"%s\", found \"%s\"", SR_MODEL_FORMAT, s);
    if ((rc = get_str(root, "type", &s, mjson, err, errlen)) != SR_OK)
        return rc;
    if (strcmp(s, "rnnpool-heads") == 0) {
        m->heads = calloc(1, sizeof *m->heads);
        if (m->heads == NULL)
            return SR_ENOMEM;
        m->type = SR_MODEL_RNNPOOL_HEADS;
        return sr_heads_model_parse(m->heads, root, dir, mjson, err, errlen);
    }
    if (strcmp(s, "fastgrnn") != 0)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "type",
                     "expected \"fastgrnn\" or \"rnnpool-heads\", found "
                     "\"%s\"",
                     s);
    m->type = SR_MODEL_FASTGRNN;

    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof top_keys / sizeof top_keys[0]; i++)
            known |= strcmp(key, top_keys[i]) == 0;
        if (!known)
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, key,
                         "unknown key (a fastgrnn model has format, name, "
                         "type, input_dim, hidden_dim, classes, timesteps, "
                         "zeta, nu, weights, fixed_point)");
    }

    if ((rc = get_str(root, "name", &s, mjson, err, errlen)) != SR_OK)
        return rc;
    size_t nl = strlen(s);
    int printable = nl > 0 && nl < SR_MODEL_NAME_MAX;
    for (size_t i = 0; printable && i < nl; i++)
        printable = s[i] >= 32 && s[i] < 127;
    if (!printable)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "name",
                     "expected 1 to %d printable ASCII characters",
                     SR_MODEL_NAME_MAX - 1);
    memcpy(m->name, s, nl + 1);

    if ((rc = get_dim(root, "input_dim", &m->input_dim, mjson, err, errlen)) !=
            SR_OK ||
        (rc = get_dim(root, "hidden_dim", &m->hidden_dim, mjson, err,
                      errlen)) != SR_OK ||
        (rc = get_dim(root, "classes", &m->classes, mjson, err, errlen)) !=
            SR_OK ||
        (rc = get_dim(root, "timesteps", &m->timesteps, mjson, err, errlen)) !=
            SR_OK ||
        (rc = get_num(root, "zeta", &m->zeta, mjson, err, errlen)) != SR_OK ||
        (rc = get_num(root, "nu", &m->nu, mjson, err, errlen)) != SR_OK)
        return rc;
    if (m->classes < 2)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "classes",
                     "expected at least 2, found %zu", m->classes);

    const json_t *fp = json_object_get(root, "fixed_point");
    if (fp != NULL) {
        if (!json_is_object(fp))
            return sr_field_error(err, errlen, SR_EUSAGE, mjson, "fixed_point",
                         "expected an object, found %s", sr_json_type_name(fp));
        m->fixed_point = json_incref((json_t *)fp);
    }

    const json_t *weights = json_object_get(root, "weights");
    if (weights == NULL)
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights", "missing");
    if (!json_is_object(weights))
        return sr_field_error(err, errlen, SR_EUSAGE, mjson, "weights",
                     "expected an object, found %s", sr_json_type_name(weights));
    if ((rc = check_roles(weights, mjson, err, errlen)) != SR_OK)
        return rc;
    /* W1 before W2 and U1 before U2: the rank comes from the first */
    for (int r = 0; r < SR_ROLE_COUNT; r++) {
        const json_t *f = json_object_get(weights, role_names[r]);
        if (f == NULL)
            continue;
        rc = load_role(m, (sr_model_role)r, dir, json_string_value(f), mjson,
                       err, errlen);
        if (rc != SR_OK)
            return rc;
    }
    return SR_OK;
}

/* sr_model_load (any = 0) and sr_model_load_any (any = 1). */
static int
model_load(sr_model *m, const char *dir, char *err, size_t errlen, int any)
{
    SR_REQUIRE(m != NULL && dir != NULL);
    memset(m, 0, sizeof *m);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    char *mjson;
    json_t *root;
    int rc = sr_model_json_read(dir, &root, &mjson, err, errlen);
    if (rc != SR_OK)
        return rc;
    rc = parse_model(m, root, dir, mjson, err, errlen);
    json_decref(root);
    if (rc == SR_OK && !any && m->type != SR_MODEL_FASTGRNN)
        rc = sr_field_error(err, errlen, SR_EUSAGE, mjson, "type",
                   "\"rnnpool-heads\" is not supported by this command yet "
                   "(sirnn demo --model heads runs it)");
    free(mjson);
    if (rc != SR_OK)
        sr_model_clear(m);
    return rc;
}

/* see model.h */
int
sr_model_load(sr_model *m, const char *dir, char *err, size_t errlen)
{
    return model_load(m, dir, err, errlen, 0);
}

/* see model.h */
int
sr_model_load_any(sr_model *m, const char *dir, char *err, size_t errlen)
{
    return model_load(m, dir, err, errlen, 1);
}

/* see model.h */
void
sr_model_clear(sr_model *m)
{
    if (m == NULL)
        return;
    if (m->heads != NULL) {
        sr_heads_model_clear(m->heads);
        free(m->heads);
    }
    for (int r = 0; r < SR_ROLE_COUNT; r++)
        sr_npy_clear(&m->w[r]);
    if (m->fixed_point != NULL)
        json_decref(m->fixed_point);
    memset(m, 0, sizeof *m);
}

/* see model.h */
int
sr_model_fold_normalisation(sr_model *m)
{
    SR_REQUIRE(m != NULL && m->type == SR_MODEL_FASTGRNN);
    double *mean = m->w[SR_ROLE_MEAN].f64, *sd = m->w[SR_ROLE_STD].f64;
    if (mean == NULL)
        return SR_OK;
    const size_t D = m->input_dim, H = m->hidden_dim;
    const size_t c = m->rW ? m->rW : H;
    double *first = m->rW ? m->w[SR_ROLE_W1].f64 : m->w[SR_ROLE_W].f64;
    double *u = malloc((D + c + H) * sizeof(double));
    if (u == NULL)
        return SR_ENOMEM;
    double *ms = u, *t = u + D, *shift = t + c;
    /* t = -(mean / std) first, computed with the original first layer */
    for (size_t d = 0; d < D; d++)
        ms[d] = -mean[d] / sd[d];
    for (size_t j = 0; j < c; j++) {
        double acc = 0.0;
        for (size_t d = 0; d < D; d++)
            acc += ms[d] * first[d * c + j];
        t[j] = acc;
    }
    if (m->rW) {
        const double *W2 = m->w[SR_ROLE_W2].f64;
        for (size_t j = 0; j < H; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < c; k++)
                acc += t[k] * W2[k * H + j];
            shift[j] = acc;
        }
    } else {
        memcpy(shift, t, H * sizeof(double));
    }
    for (size_t d = 0; d < D; d++)
        for (size_t j = 0; j < c; j++)
            first[d * c + j] /= sd[d];
    for (size_t j = 0; j < H; j++) {
        m->w[SR_ROLE_B_GATE].f64[j] += shift[j];
        m->w[SR_ROLE_B_UPDATE].f64[j] += shift[j];
    }
    free(u);
    sr_npy_clear(&m->w[SR_ROLE_MEAN]);
    sr_npy_clear(&m->w[SR_ROLE_STD]);
    return SR_OK;
}

/* see model.h */
sr_fastgrnn_float
sr_model_float(const sr_model *m)
{
    SR_REQUIRE(m != NULL && m->type == SR_MODEL_FASTGRNN);
    sr_fastgrnn_float p = {
        .D = m->input_dim,
        .H = m->hidden_dim,
        .K = m->classes,
        .T = m->timesteps,
        .rW = m->rW,
        .rU = m->rU,
        .W = m->w[SR_ROLE_W].f64,
        .W1 = m->w[SR_ROLE_W1].f64,
        .W2 = m->w[SR_ROLE_W2].f64,
        .U = m->w[SR_ROLE_U].f64,
        .U1 = m->w[SR_ROLE_U1].f64,
        .U2 = m->w[SR_ROLE_U2].f64,
        .b_gate = m->w[SR_ROLE_B_GATE].f64,
        .b_update = m->w[SR_ROLE_B_UPDATE].f64,
        .fc_W = m->w[SR_ROLE_FC_W].f64,
        .fc_b = m->w[SR_ROLE_FC_B].f64,
        .mean = m->w[SR_ROLE_MEAN].f64,
        .std = m->w[SR_ROLE_STD].f64,
        .zeta = m->zeta,
        .nu = m->nu,
    };
    return p;
}

/* see model.h */
int
sr_input_load(sr_npy *x, const char *path, size_t T, size_t D, char *err,
              size_t errlen)
{
    SR_REQUIRE(x != NULL && path != NULL);
    int rc = sr_npy_load(x, path, SR_NPY_FLOAT, err, errlen);
    if (rc != SR_OK)
        return rc;
    if (x->ndim != 3 || x->shape[1] != T || x->shape[2] != D ||
        x->shape[0] == 0) {
        char got[160];
        sr_npy_shape_str(got, sizeof got, x->shape, x->ndim);
        sr_npy_clear(x);
        return sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                     "expected (B, %zu, %zu) [batch, timesteps, input_dim] "
                     "with B >= 1, found %s",
                     T, D, got);
    }
    size_t bad = sr_npy_find_nonfinite(x->f64, x->n);
    if (bad < x->n) {
        size_t b = bad / (T * D), t = bad / D % T, d = bad % D;
        rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                   "element [%zu, %zu, %zu] is %s, expected finite inputs", b,
                   t, d, isnan(x->f64[bad]) ? "NaN" : "inf");
        sr_npy_clear(x);
        return rc;
    }
    return SR_OK;
}

/* see model.h */
int
sr_labels_load(sr_npy *y, const char *path, size_t B, size_t K, char *err,
               size_t errlen)
{
    SR_REQUIRE(y != NULL && path != NULL);
    int rc = sr_npy_load(y, path, SR_NPY_INT, err, errlen);
    if (rc != SR_OK)
        return rc;
    if (y->ndim != 1 || y->shape[0] != B) {
        char got[160];
        sr_npy_shape_str(got, sizeof got, y->shape, y->ndim);
        sr_npy_clear(y);
        return sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                     "expected (%zu,) [batch of the inputs], found %s", B, got);
    }
    for (size_t i = 0; i < y->n; i++)
        if (y->i64[i] < 0 || (uint64_t)y->i64[i] >= K) {
            rc = sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                       "label %zu is %lld, expected a class in [0, %zu)", i,
                       (long long)y->i64[i], K);
            sr_npy_clear(y);
            return rc;
        }
    return SR_OK;
}
