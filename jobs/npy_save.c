/*
 * jobs/npy_save.c -- .npy writer (see npy.h): version 1.0 files with the
 * header NumPy writes, data little-endian, written in 4 KiB pieces.
 */
#include "jobs/npy.h"
#include "jobs/npy_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void
put_u32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static void
put_u64(uint8_t *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b + 4, (uint32_t)(v >> 32));
}

/*
 * Writes the prefix and header; returns the number of elements via *n, or
 * an error.  The header is padded with spaces so that the data starts at a
 * multiple of 64 bytes.
 */
static int
write_header(FILE *f, const char *path, sr_npy_dtype dtype, const size_t *shape,
             unsigned ndim, size_t *n, char *err, size_t errlen)
{
    char shp[SR_NPY_MAX_DIMS * 24 + 8];
    size_t cnt = 1;
    for (unsigned i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(cnt, shape[i], &cnt) ||
            __builtin_mul_overflow(cnt, sr_npy_dtype_size(dtype), &(size_t){0}))
            return sr_npy_fail(err, errlen, SR_EUSAGE, path, "shape",
                               "too many elements");
    *n = cnt;
    sr_npy_shape_str(shp, sizeof shp, shape, ndim);
    char dict[sizeof shp + 80];
    int k = snprintf(dict, sizeof dict,
                     "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     sr_npy_dtype_name(dtype), shp);
    size_t dl = (size_t)k;
    /* version 1.0 prefix is 10 bytes; pad dict + '\n' to 64-alignment */
    size_t pre = 10;
    size_t total = sr_ceil_div(pre + dl + 1, 64) * 64;
    uint8_t p[12];
    memcpy(p, sr_npy_magic, 6);
    p[6] = 1;
    p[7] = 0;
    size_t hlen = total - pre;
    p[8] = (uint8_t)hlen;
    p[9] = (uint8_t)(hlen >> 8);
    char pad[64];
    memset(pad, ' ', sizeof pad);
    size_t npad = hlen - dl - 1;
    if (fwrite(p, 1, pre, f) != pre || fwrite(dict, 1, dl, f) != dl ||
        fwrite(pad, 1, npad, f) != npad || fputc('\n', f) == EOF)
        return sr_npy_fail(err, errlen, SR_EIO, path, "write", "%s",
                           strerror(errno));
    return SR_OK;
}

typedef void (*encode_fn)(uint8_t *out, const void *x, size_t i,
                          sr_npy_dtype dtype);

static void
encode_f(uint8_t *out, const void *x, size_t i, sr_npy_dtype dtype)
{
    double v = ((const double *)x)[i];
    if (dtype == SR_NPY_F4) {
        float fv = (float)v;
        uint32_t u;
        memcpy(&u, &fv, sizeof u);
        put_u32(out, u);
    } else {
        uint64_t u;
        memcpy(&u, &v, sizeof u);
        put_u64(out, u);
    }
}

static void
encode_i(uint8_t *out, const void *x, size_t i, sr_npy_dtype dtype)
{
    int64_t v = ((const int64_t *)x)[i];
    if (dtype == SR_NPY_I4)
        put_u32(out, (uint32_t)(int32_t)v);
    else
        put_u64(out, (uint64_t)v);
}

static int
save_any(const char *path, sr_npy_dtype dtype, const size_t *shape,
         unsigned ndim, const void *x, encode_fn enc, char *err, size_t errlen)
{
    SR_REQUIRE(path != NULL && ndim <= SR_NPY_MAX_DIMS);
    SR_REQUIRE(ndim == 0 || shape != NULL);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return sr_npy_fail(err, errlen, SR_EIO, path, "create", "%s",
                           strerror(errno));
    size_t n = 0;
    int rc = write_header(f, path, dtype, shape, ndim, &n, err, errlen);
    SR_REQUIRE(rc != SR_OK || n == 0 || x != NULL);
    size_t isz = sr_npy_dtype_size(dtype);
    uint8_t chunk[4096];
    for (size_t i = 0; rc == SR_OK && i < n;) {
        size_t m = 0;
        for (; i < n && m + isz <= sizeof chunk; i++, m += isz)
            enc(chunk + m, x, i, dtype);
        if (fwrite(chunk, 1, m, f) != m)
            rc = sr_npy_fail(err, errlen, SR_EIO, path, "write", "%s",
                             strerror(errno));
    }
    if (fclose(f) != 0 && rc == SR_OK)
        rc = sr_npy_fail(err, errlen, SR_EIO, path, "write", "%s",
                         strerror(errno));
    return rc;
}

/* see npy.h */
int
sr_npy_save_f64(const char *path, sr_npy_dtype dtype, const size_t *shape,
                unsigned ndim, const double *x, char *err, size_t errlen)
{
    SR_REQUIRE(dtype == SR_NPY_F4 || dtype == SR_NPY_F8);
    return save_any(path, dtype, shape, ndim, x, encode_f, err, errlen);
}

/* see npy.h */
int
sr_npy_save_i64(const char *path, sr_npy_dtype dtype, const size_t *shape,
                unsigned ndim, const int64_t *x, char *err, size_t errlen)
{
    SR_REQUIRE(dtype == SR_NPY_I4 || dtype == SR_NPY_I8);
    if (dtype == SR_NPY_I4) {
        size_t n = 1;
        for (unsigned i = 0; i < ndim; i++)
            if (__builtin_mul_overflow(n, shape[i], &n))
                return sr_npy_fail(err, errlen, SR_EUSAGE, path, "shape",
                                   "too many elements");
        for (size_t i = 0; x != NULL && i < n; i++)
            if (x[i] < INT32_MIN || x[i] > INT32_MAX)
                return sr_npy_fail(err, errlen, SR_EUSAGE, path, "value",
                                   "element %zu = %lld does not fit int32", i,
                                   (long long)x[i]);
    }
    return save_any(path, dtype, shape, ndim, x, encode_i, err, errlen);
}
