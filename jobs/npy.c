/*
 * jobs/npy.c -- strict .npy reader (see npy.h; the writer is npy_save.c).
 *
 * The header of a .npy file is the text of a Python dict literal.  We parse
 * exactly the subset NumPy writes ({'descr': '<f4', 'fortran_order': False,
 * 'shape': (3, 4), } padded with spaces and ended by '\n'), in any key
 * order and with either quote character, and reject everything else with
 * a message saying what was expected and what was found.
 */
#include "jobs/npy.h"
#include "jobs/npy_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const uint8_t sr_npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* see npy_internal.h */
int
sr_npy_fail(char *err, size_t errlen, int code, const char *name,
            const char *what, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return code;
    int k = snprintf(err, errlen, "sirnn: %s: %s: ", name, what);
    if (k >= 0 && (size_t)k < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* see npy.h */
const char *
sr_npy_dtype_name(sr_npy_dtype dtype)
{
    switch (dtype) {
    case SR_NPY_F4:
        return "<f4";
    case SR_NPY_F8:
        return "<f8";
    case SR_NPY_I4:
        return "<i4";
    case SR_NPY_I8:
        return "<i8";
    }
    return "?";
}

static const char *
dtype_long_name(sr_npy_dtype dtype)
{
    switch (dtype) {
    case SR_NPY_F4:
        return "float32";
    case SR_NPY_F8:
        return "float64";
    case SR_NPY_I4:
        return "int32";
    case SR_NPY_I8:
        return "int64";
    }
    return "?";
}

/* see npy_internal.h */
size_t
sr_npy_dtype_size(sr_npy_dtype dtype)
{
    return (dtype == SR_NPY_F4 || dtype == SR_NPY_I4) ? 4 : 8;
}

/* "float32 or float64 ('<f4' or '<f8')" for an accept mask. */
static void
accept_str(char *buf, size_t len, unsigned accept)
{
    static const sr_npy_dtype all[4] = {SR_NPY_F4, SR_NPY_F8, SR_NPY_I4,
                                        SR_NPY_I8};
    size_t k = 0;
    buf[0] = '\0';
    unsigned count = 0, seen = 0;
    for (int i = 0; i < 4; i++)
        count += (accept & all[i]) != 0;
    for (int i = 0; i < 4 && k < len; i++) {
        if (!(accept & all[i]))
            continue;
        seen++;
        const char *sep = seen == 1 ? "" : seen == count ? " or " : ", ";
        int w = snprintf(buf + k, len - k, "%s%s '%s'", sep,
                         dtype_long_name(all[i]), sr_npy_dtype_name(all[i]));
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/* see npy.h */
void
sr_npy_shape_str(char *buf, size_t len, const size_t *shape, unsigned ndim)
{
    size_t k = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    int w = snprintf(buf, len, "(");
    for (unsigned i = 0; w >= 0 && i < ndim; i++) {
        k += (size_t)w;
        if (k >= len)
            return;
        w = snprintf(buf + k, len - k, "%s%zu", i ? ", " : "", shape[i]);
    }
    if (w < 0)
        return;
    k += (size_t)w;
    if (k < len)
        snprintf(buf + k, len - k, ndim == 1 ? ",)" : ")");
}

/* -- header parsing ------------------------------------------------------ */

typedef struct hdr_cursor {
    const char *p, *end;
} hdr_cursor;

static void
skip_ws(hdr_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static int
eat(hdr_cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string without escapes into out (truncated to outlen - 1). */
static int
parse_str(hdr_cursor *c, char *out, size_t outlen)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char q = *c->p++;
    size_t k = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || *c->p == '\n')
            return 0;
        if (k + 1 < outlen)
            out[k++] = *c->p;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    out[k] = '\0';
    return 1;
}

static int
parse_word(hdr_cursor *c, const char *w)
{
    size_t n = strlen(w);
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* The rest of the header around the cursor, for messages. */
static void
near_str(char *buf, size_t len, const hdr_cursor *c)
{
    size_t n = (size_t)(c->end - c->p);
    if (n > 24)
        n = 24;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < len; i++) {
        char ch = c->p[i];
        buf[k++] = (ch >= 32 && ch < 127) ? ch : '?';
    }
    buf[k < len ? k : len - 1] = '\0';
}

typedef struct npy_header {
    sr_npy_dtype dtype;
    unsigned ndim;
    size_t shape[SR_NPY_MAX_DIMS];
    size_t n;
} npy_header;

static int
parse_descr(hdr_cursor *c, npy_header *h, const char *name, char *err,
            size_t errlen)
{
    char d[64];
    skip_ws(c);
    if (c->p < c->end && (*c->p == '[' || *c->p == '{'))
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "dtype",
                           "structured dtypes are not supported, expected one "
                           "of '<f4' '<f8' '<i4' '<i8'");
    if (!parse_str(c, d, sizeof d))
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "'descr' is not a string");
    static const sr_npy_dtype all[4] = {SR_NPY_F4, SR_NPY_F8, SR_NPY_I4,
                                        SR_NPY_I8};
    for (int i = 0; i < 4; i++) {
        const char *nm = sr_npy_dtype_name(all[i]);
        if (strcmp(d, nm) == 0) {
            h->dtype = all[i];
            return SR_OK;
        }
        if (d[0] == '>' && strcmp(d + 1, nm + 1) == 0)
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "dtype",
                               "big-endian '%s' is not supported, expected "
                               "little-endian '%s'",
                               d, nm);
    }
    return sr_npy_fail(err, errlen, SR_EUSAGE, name, "dtype",
                       "unsupported dtype '%s', expected one of '<f4' '<f8' "
                       "'<i4' '<i8'",
                       d);
}

static int
parse_shape(hdr_cursor *c, npy_header *h, const char *name, char *err,
            size_t errlen)
{
    if (!eat(c, '('))
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "'shape' is not a tuple");
    h->ndim = 0;
    for (;;) {
        skip_ws(c);
        if (eat(c, ')'))
            break;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "shape",
                               "expected a non-negative integer");
        size_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (__builtin_mul_overflow(v, (size_t)10, &v) ||
                __builtin_add_overflow(v, (size_t)(*c->p - '0'), &v))
                return sr_npy_fail(err, errlen, SR_EUSAGE, name, "shape",
                                   "dimension %u overflows size_t", h->ndim);
            c->p++;
        }
        if (h->ndim == SR_NPY_MAX_DIMS)
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "shape",
                               "more than %d dimensions", SR_NPY_MAX_DIMS);
        h->shape[h->ndim++] = v;
        if (eat(c, ','))
            continue;
        if (eat(c, ')'))
            break;
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "bad 'shape' tuple");
    }
    return SR_OK;
}

/* Parses the dict text in [p, end) (without the final '\n'). */
static int
parse_dict(const char *p, const char *end, npy_header *h, const char *name,
           char *err, size_t errlen)
{
    hdr_cursor c = {p, end};
    int have_descr = 0, have_fo = 0, have_shape = 0, rc;
    char near[32];

    if (!eat(&c, '{'))
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "expected a dict starting with '{'");
    for (;;) {
        char key[32];
        if (eat(&c, '}'))
            break;
        if (!parse_str(&c, key, sizeof key)) {
            near_str(near, sizeof near, &c);
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                               "expected a quoted key, found '%s'", near);
        }
        if (!eat(&c, ':'))
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                               "expected ':' after '%s'", key);
        if (strcmp(key, "descr") == 0 && !have_descr) {
            have_descr = 1;
            if ((rc = parse_descr(&c, h, name, err, errlen)) != SR_OK)
                return rc;
        } else if (strcmp(key, "fortran_order") == 0 && !have_fo) {
            have_fo = 1;
            if (parse_word(&c, "True"))
                return sr_npy_fail(err, errlen, SR_EUSAGE, name,
                                   "fortran_order",
                                   "expected False (C order), found True");
            if (!parse_word(&c, "False"))
                return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                                   "'fortran_order' is not True or False");
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            have_shape = 1;
            if ((rc = parse_shape(&c, h, name, err, errlen)) != SR_OK)
                return rc;
        } else if (strcmp(key, "descr") == 0 ||
                   strcmp(key, "fortran_order") == 0 ||
                   strcmp(key, "shape") == 0) {
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                               "duplicate key '%s'", key);
        } else {
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                               "unknown key '%s', expected 'descr', "
                               "'fortran_order' and 'shape'",
                               key);
        }
        if (eat(&c, ','))
            continue;
        if (eat(&c, '}'))
            break;
        near_str(near, sizeof near, &c);
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "expected ',' or '}', found '%s'", near);
    }
    skip_ws(&c);
    if (c.p != c.end) {
        near_str(near, sizeof near, &c);
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "unexpected text after the dict: '%s'", near);
    }
    if (!have_descr || !have_fo || !have_shape)
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "missing key '%s'",
                           !have_descr ? "descr"
                           : !have_fo  ? "fortran_order"
                                       : "shape");
    h->n = 1;
    for (unsigned i = 0; i < h->ndim; i++)
        if (__builtin_mul_overflow(h->n, h->shape[i], &h->n)) {
            char s[160];
            sr_npy_shape_str(s, sizeof s, h->shape, h->ndim);
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "shape",
                               "%s has more elements than fit in size_t", s);
        }
    return SR_OK;
}

static uint32_t
get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static uint64_t
get_u64(const uint8_t *b)
{
    return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32;
}

/* see npy.h */
void
sr_npy_clear(sr_npy *a)
{
    if (a == NULL)
        return;
    free(a->f64);
    free(a->i64);
    memset(a, 0, sizeof *a);
}

/* see npy.h */
int
sr_npy_parse(sr_npy *a, const uint8_t *buf, size_t len, const char *name,
             unsigned accept, char *err, size_t errlen)
{
    SR_REQUIRE(a != NULL && (buf != NULL || len == 0) && name != NULL);
    SR_REQUIRE((accept & (SR_NPY_FLOAT | SR_NPY_INT)) != 0);
    memset(a, 0, sizeof *a);
    if (err != NULL && errlen > 0)
        err[0] = '\0';

    if (len < 8 || memcmp(buf, sr_npy_magic, 6) != 0)
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "magic",
                           "not a .npy file (expected \\x93NUMPY)");
    unsigned major = buf[6], minor = buf[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "version",
                           "expected 1.0, 2.0 or 3.0, found %u.%u", major,
                           minor);
    size_t pre = major == 1 ? 10 : 12;
    if (len < pre)
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "truncated: the file has %zu bytes", len);
    size_t hlen =
        major == 1 ? (size_t)(buf[8] | buf[9] << 8) : (size_t)get_u32(buf + 8);
    if (hlen > len - pre)
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "length %zu exceeds the %zu bytes left in the file",
                           hlen, len - pre);
    const char *hp = (const char *)buf + pre;
    if (hlen == 0 || hp[hlen - 1] != '\n')
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                           "not terminated by a newline");
    for (size_t i = 0; i + 1 < hlen; i++)
        if ((unsigned char)hp[i] < 32 || (unsigned char)hp[i] > 126)
            return sr_npy_fail(err, errlen, SR_EUSAGE, name, "header",
                               "non-printable byte 0x%02x at offset %zu",
                               (unsigned char)hp[i], pre + i);

    npy_header h;
    memset(&h, 0, sizeof h);
    int rc = parse_dict(hp, hp + hlen - 1, &h, name, err, errlen);
    if (rc != SR_OK)
        return rc;

    if (!(accept & h.dtype)) {
        char want[128];
        accept_str(want, sizeof want, accept);
        return sr_npy_fail(
            err, errlen, SR_EUSAGE, name, "dtype", "expected %s, found %s '%s'",
            want, dtype_long_name(h.dtype), sr_npy_dtype_name(h.dtype));
    }
    size_t isz = sr_npy_dtype_size(h.dtype), need;
    char shp[160];
    sr_npy_shape_str(shp, sizeof shp, h.shape, h.ndim);
    if (__builtin_mul_overflow(h.n, isz, &need))
        return sr_npy_fail(err, errlen, SR_EUSAGE, name, "shape",
                           "%s is too large", shp);
    size_t have = len - pre - hlen;
    if (have != need)
        return sr_npy_fail(
            err, errlen, SR_EUSAGE, name, "data",
            "%s: expected %zu bytes for shape %s '%s', found %zu",
            have < need ? "truncated" : "trailing garbage", need, shp,
            sr_npy_dtype_name(h.dtype), have);

    const uint8_t *d = buf + pre + hlen;
    size_t cnt = h.n ? h.n : 1; /* malloc(0) may return NULL */
    if (h.dtype == SR_NPY_F4 || h.dtype == SR_NPY_F8) {
        a->f64 = malloc(cnt * sizeof(double));
        if (a->f64 == NULL)
            return sr_npy_fail(err, errlen, SR_ENOMEM, name, "load",
                               "out of memory for %zu values", h.n);
        for (size_t i = 0; i < h.n; i++) {
            if (h.dtype == SR_NPY_F4) {
                uint32_t u = get_u32(d + 4 * i);
                float f;
                memcpy(&f, &u, sizeof f);
                a->f64[i] = f;
            } else {
                uint64_t u = get_u64(d + 8 * i);
                memcpy(&a->f64[i], &u, sizeof(double));
            }
        }
    } else {
        a->i64 = malloc(cnt * sizeof(int64_t));
        if (a->i64 == NULL)
            return sr_npy_fail(err, errlen, SR_ENOMEM, name, "load",
                               "out of memory for %zu values", h.n);
        for (size_t i = 0; i < h.n; i++)
            a->i64[i] = h.dtype == SR_NPY_I4
                            ? (int64_t)(int32_t)get_u32(d + 4 * i)
                            : (int64_t)get_u64(d + 8 * i);
    }
    a->dtype = h.dtype;
    a->ndim = h.ndim;
    memcpy(a->shape, h.shape, sizeof h.shape);
    a->n = h.n;
    return SR_OK;
}

/* see npy.h */
int
sr_npy_load(sr_npy *a, const char *path, unsigned accept, char *err,
            size_t errlen)
{
    SR_REQUIRE(a != NULL && path != NULL);
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sr_npy_fail(err, errlen, SR_EUSAGE, path, "open", "%s",
                           strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return sr_npy_fail(err, errlen, SR_EUSAGE, path, "open",
                           "not a regular file");
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL) {
        fclose(f);
        return sr_npy_fail(err, errlen, SR_ENOMEM, path, "read",
                           "out of memory for %zu bytes", len);
    }
    size_t got = fread(buf, 1, len, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got != len) {
        free(buf);
        return sr_npy_fail(err, errlen, SR_EUSAGE, path, "read",
                           "short read (%zu of %zu bytes)", got, len);
    }
    int rc = sr_npy_parse(a, buf, len, path, accept, err, errlen);
    free(buf);
    return rc;
}

/* see npy.h */
size_t
sr_npy_find_nonfinite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}
