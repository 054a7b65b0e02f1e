/*
 * tests/test_npy.c -- .npy reader/writer: round trips, NumPy's own files,
 * and one exact error line per kind of bad input.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/npy.h"

static char tmpdir[64];

static void
setup(void)
{
    alarm(60);
    strcpy(tmpdir, "/tmp/sirnn-test-npy-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(npy, .init = setup, .fini = teardown);

/* Builds a file image: prefix for version (major, 0) + header + data. */
static size_t
image(uint8_t *out, unsigned major, unsigned minor, const char *hdr,
      const void *data, size_t dlen)
{
    size_t hl = strlen(hdr), pre = major == 1 ? 10 : 12;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = (uint8_t)minor;
    if (major == 1) {
        out[8] = (uint8_t)hl;
        out[9] = (uint8_t)(hl >> 8);
    } else {
        for (int i = 0; i < 4; i++)
            out[8 + i] = (uint8_t)(hl >> (8 * i));
    }
    memcpy(out + pre, hdr, hl);
    if (dlen)
        memcpy(out + pre + hl, data, dlen);
    return pre + hl + dlen;
}

/* Parses an image; returns the code, message in err. */
static int
parse(const uint8_t *buf, size_t len, unsigned accept, char *err, sr_npy *a)
{
    return sr_npy_parse(a, buf, len, "x.npy", accept, err, SR_NPY_ERRLEN);
}

static const float f6[6] = {1.5f, -2.0f, 0.0f, 3.25f, -0.125f, 1e30f};

Test(npy, parses_all_versions_and_header_spellings)
{
    static const char *hdrs[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n",
        "{\"shape\": (2,3), \"descr\": \"<f4\", \"fortran_order\": False}\n",
        "{'fortran_order':False,'shape':(2, 3,),'descr':'<f4'}\n",
    };
    uint8_t buf[512];
    char err[SR_NPY_ERRLEN];
    for (unsigned major = 1; major <= 3; major++)
        for (size_t h = 0; h < 3; h++) {
            size_t len = image(buf, major, 0, hdrs[h], f6, sizeof f6);
            sr_npy a;
            cr_assert_eq(parse(buf, len, SR_NPY_FLOAT, err, &a), SR_OK,
                         "v%u h%zu: %s", major, h, err);
            cr_assert_eq(a.dtype, SR_NPY_F4);
            cr_assert_eq(a.ndim, 2);
            cr_assert_eq(a.shape[0], 2);
            cr_assert_eq(a.shape[1], 3);
            cr_assert_eq(a.n, 6);
            cr_assert_null(a.i64);
            for (int i = 0; i < 6; i++)
                cr_assert_eq(a.f64[i], (double)f6[i]);
            sr_npy_clear(&a);
            sr_npy_clear(&a); /* idempotent */
        }
}

Test(npy, int_dtypes_and_scalars)
{
    uint8_t buf[512];
    char err[SR_NPY_ERRLEN];
    int32_t i4[3] = {-1, 2147483647, -2147483647 - 1};
    sr_npy a;
    size_t len = image(buf, 1, 0,
                       "{'descr': '<i4', 'fortran_order': False, "
                       "'shape': (3,), }\n",
                       i4, sizeof i4);
    cr_assert_eq(parse(buf, len, SR_NPY_INT, err, &a), SR_OK, "%s", err);
    cr_assert_eq(a.ndim, 1);
    cr_assert_eq(a.i64[0], -1);
    cr_assert_eq(a.i64[1], INT32_MAX);
    cr_assert_eq(a.i64[2], INT32_MIN);
    sr_npy_clear(&a);

    int64_t i8 = INT64_MIN;
    len = image(buf, 1, 0,
                "{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n",
                &i8, sizeof i8);
    cr_assert_eq(parse(buf, len, SR_NPY_INT, err, &a), SR_OK, "%s", err);
    cr_assert_eq(a.ndim, 0);
    cr_assert_eq(a.n, 1);
    cr_assert_eq(a.i64[0], INT64_MIN);
    sr_npy_clear(&a);

    /* an empty array: a zero dimension and no data */
    len = image(buf, 1, 0,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), "
                "}\n",
                NULL, 0);
    cr_assert_eq(parse(buf, len, SR_NPY_FLOAT, err, &a), SR_OK, "%s", err);
    cr_assert_eq(a.n, 0);
    cr_assert_eq(a.shape[1], 5);
    sr_npy_clear(&a);
}

struct bad_case {
    unsigned major, minor;
    const char *hdr;
    size_t dlen; /* bytes of data to append */
    unsigned accept;
    const char *msg; /* the exact expected message */
};

#define HDR(d, fo, s)                                                          \
    "{'descr': " d ", 'fortran_order': " fo ", 'shape': " s ", }\n"

static const struct bad_case bad[] = {
    {4, 0, HDR("'<f4'", "False", "(2,)"), 8, SR_NPY_FLOAT,
     "sirnn: x.npy: version: expected 1.0, 2.0 or 3.0, found 4.0"},
    {1, 1, HDR("'<f4'", "False", "(2,)"), 8, SR_NPY_FLOAT,
     "sirnn: x.npy: version: expected 1.0, 2.0 or 3.0, found 1.1"},
    {1, 0, HDR("'<u1'", "False", "(2,)"), 2, SR_NPY_FLOAT,
     "sirnn: x.npy: dtype: unsupported dtype '<u1', expected one of '<f4' "
     "'<f8' '<i4' '<i8'"},
    {1, 0, HDR("'>f4'", "False", "(2,)"), 8, SR_NPY_FLOAT,
     "sirnn: x.npy: dtype: big-endian '>f4' is not supported, expected "
     "little-endian '<f4'"},
    {1, 0, HDR("'>i8'", "False", "(2,)"), 16, SR_NPY_INT,
     "sirnn: x.npy: dtype: big-endian '>i8' is not supported, expected "
     "little-endian '<i8'"},
    {1, 0, HDR("[('a', '<f4')]", "False", "(2,)"), 8, SR_NPY_FLOAT,
     "sirnn: x.npy: dtype: structured dtypes are not supported, expected one "
     "of '<f4' '<f8' '<i4' '<i8'"},
    {1, 0, HDR("'<i8'", "False", "(2,)"), 16, SR_NPY_FLOAT,
     "sirnn: x.npy: dtype: expected float32 '<f4' or float64 '<f8', found "
     "int64 '<i8'"},
    {1, 0, HDR("'<f8'", "False", "(2,)"), 16, SR_NPY_INT,
     "sirnn: x.npy: dtype: expected int32 '<i4' or int64 '<i8', found "
     "float64 '<f8'"},
    {1, 0, HDR("'<f4'", "True", "(2, 3)"), 24, SR_NPY_FLOAT,
     "sirnn: x.npy: fortran_order: expected False (C order), found True"},
    {1, 0, HDR("'<f4'", "False", "(2, 3)"), 20, SR_NPY_FLOAT,
     "sirnn: x.npy: data: truncated: expected 24 bytes for shape (2, 3) "
     "'<f4', found 20"},
    {1, 0, HDR("'<f8'", "False", "(3,)"), 25, SR_NPY_FLOAT,
     "sirnn: x.npy: data: trailing garbage: expected 24 bytes for shape (3,) "
     "'<f8', found 25"},
    {1, 0, HDR("'<f4'", "False", "(4294967296, 4294967296)"), 0, SR_NPY_FLOAT,
     "sirnn: x.npy: shape: (4294967296, 4294967296) has more elements than "
     "fit in size_t"},
    {1, 0, HDR("'<f8'", "False", "(4611686018427387904,)"), 0, SR_NPY_FLOAT,
     "sirnn: x.npy: shape: (4611686018427387904,) is too large"},
    {1, 0, HDR("'<f4'", "False", "(99999999999999999999,)"), 0, SR_NPY_FLOAT,
     "sirnn: x.npy: shape: dimension 0 overflows size_t"},
    {1, 0, HDR("'<f4'", "False", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), 4,
     SR_NPY_FLOAT, "sirnn: x.npy: shape: more than 8 dimensions"},
    {1, 0, HDR("'<f4'", "False", "(-2,)"), 8, SR_NPY_FLOAT,
     "sirnn: x.npy: shape: expected a non-negative integer"},
    {1, 0, "{'descr': '<f4', 'shape': (2,), }\n", 8, SR_NPY_FLOAT,
     "sirnn: x.npy: header: missing key 'fortran_order'"},
    {1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n",
     8, SR_NPY_FLOAT,
     "sirnn: x.npy: header: unknown key 'x', expected 'descr', "
     "'fortran_order' and 'shape'"},
    {1, 0,
     "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
     "'shape': (2,)}\n",
     8, SR_NPY_FLOAT, "sirnn: x.npy: header: duplicate key 'descr'"},
    {1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }  ", 8,
     SR_NPY_FLOAT, "sirnn: x.npy: header: not terminated by a newline"},
    {1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x\n", 8,
     SR_NPY_FLOAT, "sirnn: x.npy: header: unexpected text after the dict: 'x'"},
    {1, 0, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}\n", 8,
     SR_NPY_FLOAT,
     "sirnn: x.npy: header: 'fortran_order' is not True or False"},
    {1, 0, "['descr']\n", 8, SR_NPY_FLOAT,
     "sirnn: x.npy: header: expected a dict starting with '{'"},
};

Test(npy, every_bad_input_gets_its_message)
{
    uint8_t buf[1024], data[64];
    memset(data, 0, sizeof data);
    char err[SR_NPY_ERRLEN];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct bad_case *c = &bad[i];
        size_t len = image(buf, c->major, c->minor, c->hdr, data, c->dlen);
        sr_npy a;
        int rc = parse(buf, len, c->accept, err, &a);
        cr_assert_eq(rc, SR_EUSAGE, "case %zu", i);
        cr_assert_str_eq(err, c->msg, "case %zu", i);
        cr_assert_null(a.f64);
        cr_assert_null(a.i64);
    }
}

Test(npy, bad_prefix_and_header_length)
{
    uint8_t buf[256];
    char err[SR_NPY_ERRLEN];
    sr_npy a;
    size_t len = image(buf, 1, 0, HDR("'<f4'", "False", "(2,)"), f6, 8);

    buf[1] = 'n'; /* bad magic */
    cr_assert_eq(parse(buf, len, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
    cr_assert_str_eq(err, "sirnn: x.npy: magic: not a .npy file (expected "
                          "\\x93NUMPY)");
    buf[1] = 'N';
    cr_assert_eq(parse(buf, 5, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
    cr_assert_str_eq(err, "sirnn: x.npy: magic: not a .npy file (expected "
                          "\\x93NUMPY)");
    cr_assert_eq(parse(buf, 9, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
    cr_assert_str_eq(err, "sirnn: x.npy: header: truncated: the file has 9 "
                          "bytes");

    /* header length beyond the end of the file (v1: 16 bits) */
    buf[8] = 0xff;
    buf[9] = 0xff;
    cr_assert_eq(parse(buf, len, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
    char want[160];
    snprintf(want, sizeof want,
             "sirnn: x.npy: header: length 65535 exceeds the %zu bytes left "
             "in the file",
             len - 10);
    cr_assert_str_eq(err, want);

    /* v2: a 32-bit length near 2^32 must not wrap around */
    len = image(buf, 2, 0, HDR("'<f4'", "False", "(2,)"), f6, 8);
    buf[8] = buf[9] = buf[10] = buf[11] = 0xff;
    cr_assert_eq(parse(buf, len, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: x.npy: header: length 4294967295 exceeds the %zu bytes "
             "left in the file",
             len - 12);
    cr_assert_str_eq(err, want);

    /* a non-printable byte inside the header */
    len = image(buf, 1, 0, HDR("'<f4'", "False", "(2,)"), f6, 8);
    buf[12] = 0x01;
    cr_assert_eq(parse(buf, len, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
    cr_assert_str_eq(err, "sirnn: x.npy: header: non-printable byte 0x01 at "
                          "offset 12");

    /* err may be NULL */
    cr_assert_eq(sr_npy_parse(&a, buf, 3, "x", SR_NPY_FLOAT, NULL, 0),
                 SR_EUSAGE);
}

static void
tpath(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

Test(npy, round_trip_every_dtype)
{
    char p[128], err[SR_NPY_ERRLEN];
    double xd[24];
    int64_t xi[24];
    for (int i = 0; i < 24; i++) {
        xd[i] = (i - 11) * 0.37 + (i == 5 ? 1e-300 : 0.0);
        xi[i] = (int64_t)(i - 12) * 100000007;
    }
    xi[0] = INT64_MIN;
    xi[23] = INT64_MAX;
    const size_t shape[3] = {2, 3, 4};
    sr_npy a;

    tpath(p, sizeof p, "f8.npy");
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F8, shape, 3, xd, err, sizeof err),
                 SR_OK, "%s", err);
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_FLOAT, err, sizeof err), SR_OK, "%s",
                 err);
    cr_assert_eq(a.dtype, SR_NPY_F8);
    cr_assert_eq(a.ndim, 3);
    cr_assert_eq(a.shape[2], 4);
    cr_assert_eq(memcmp(a.f64, xd, sizeof xd), 0);
    sr_npy_clear(&a);

    tpath(p, sizeof p, "f4.npy");
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F4, shape, 1, xd, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_FLOAT, err, sizeof err), SR_OK);
    cr_assert_eq(a.dtype, SR_NPY_F4);
    cr_assert_eq(a.n, 2);
    cr_assert_eq(a.f64[0], (double)(float)xd[0]);
    cr_assert_eq(a.f64[1], (double)(float)xd[1]);
    sr_npy_clear(&a);

    tpath(p, sizeof p, "i8.npy");
    cr_assert_eq(sr_npy_save_i64(p, SR_NPY_I8, shape, 3, xi, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_INT, err, sizeof err), SR_OK);
    cr_assert_eq(a.dtype, SR_NPY_I8);
    cr_assert_eq(memcmp(a.i64, xi, sizeof xi), 0);
    sr_npy_clear(&a);

    tpath(p, sizeof p, "i4.npy");
    cr_assert_eq(sr_npy_save_i64(p, SR_NPY_I4, shape, 3, xi, err, sizeof err),
                 SR_EUSAGE);
    cr_assert(strstr(err, "i4.npy: value: element 0 = -9223372036854775808 "
                          "does not fit int32") != NULL,
              "%s", err);
    cr_assert_eq(
        sr_npy_save_i64(p, SR_NPY_I4, shape + 2, 1, xi + 1, err, sizeof err),
        SR_OK);
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_INT, err, sizeof err), SR_OK);
    cr_assert_eq(a.dtype, SR_NPY_I4);
    cr_assert_eq(memcmp(a.i64, xi + 1, 4 * sizeof(int64_t)), 0);
    sr_npy_clear(&a);

    /* a scalar and an empty array */
    tpath(p, sizeof p, "s.npy");
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F8, NULL, 0, xd, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_FLOAT, err, sizeof err), SR_OK);
    cr_assert_eq(a.ndim, 0);
    cr_assert_eq(a.f64[0], xd[0]);
    sr_npy_clear(&a);
    const size_t zero[2] = {0, 7};
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F4, zero, 2, NULL, err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_FLOAT, err, sizeof err), SR_OK);
    cr_assert_eq(a.n, 0);
    sr_npy_clear(&a);

    /* the data starts at a multiple of 64 bytes, as NumPy writes it */
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    cr_assert_eq(ftell(f) % 64, 0);
    fclose(f);
}

Test(npy, large_array_crosses_write_chunks)
{
    char p[128], err[SR_NPY_ERRLEN];
    size_t n = 3001;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = sin((double)i);
    tpath(p, sizeof p, "big.npy");
    const size_t shape[1] = {n};
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F8, shape, 1, x, err, sizeof err),
                 SR_OK);
    sr_npy a;
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_FLOAT, err, sizeof err), SR_OK);
    cr_assert_eq(memcmp(a.f64, x, n * sizeof *x), 0);
    sr_npy_clear(&a);
    free(x);
}

Test(npy, file_errors)
{
    char p[128], err[SR_NPY_ERRLEN], want[256];
    sr_npy a;
    tpath(p, sizeof p, "missing.npy");
    cr_assert_eq(sr_npy_load(&a, p, SR_NPY_FLOAT, err, sizeof err), SR_EUSAGE);
    snprintf(want, sizeof want, "sirnn: %s: open: No such file or directory",
             p);
    cr_assert_str_eq(err, want);
    cr_assert_eq(sr_npy_load(&a, tmpdir, SR_NPY_FLOAT, err, sizeof err),
                 SR_EUSAGE);
    snprintf(want, sizeof want, "sirnn: %s: open: not a regular file", tmpdir);
    cr_assert_str_eq(err, want);
    snprintf(p, sizeof p, "%s/no/such/dir.npy", tmpdir);
    double x = 1;
    cr_assert_eq(sr_npy_save_f64(p, SR_NPY_F8, NULL, 0, &x, err, sizeof err),
                 SR_EIO);
    snprintf(want, sizeof want, "sirnn: %s: create: No such file or directory",
             p);
    cr_assert_str_eq(err, want);
}

/* Our writer produces byte for byte what NumPy wrote for the same array. */
Test(npy, writer_matches_numpy_file)
{
    const char *np_file = "models/digits/W.npy";
    if (access(np_file, R_OK) != 0)
        np_file = "../../models/digits/W.npy"; /* from build-x/tests */
    char err[SR_NPY_ERRLEN], p[128];
    sr_npy a;
    cr_assert_eq(sr_npy_load(&a, np_file, SR_NPY_FLOAT, err, sizeof err), SR_OK,
                 "%s", err);
    cr_assert_eq(a.dtype, SR_NPY_F4);
    tpath(p, sizeof p, "W.npy");
    cr_assert_eq(
        sr_npy_save_f64(p, SR_NPY_F4, a.shape, a.ndim, a.f64, err, sizeof err),
        SR_OK);
    sr_npy_clear(&a);
    FILE *f1 = fopen(np_file, "rb"), *f2 = fopen(p, "rb");
    cr_assert(f1 && f2);
    uint8_t b1[4096], b2[4096];
    size_t n1 = fread(b1, 1, sizeof b1, f1), n2 = fread(b2, 1, sizeof b2, f2);
    fclose(f1);
    fclose(f2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(b1, b2, n1), 0);
}

Test(npy, nonfinite_helper_and_names)
{
    double x[5] = {0, 1, -1e308, 2, 3};
    cr_assert_eq(sr_npy_find_nonfinite(x, 5), 5);
    cr_assert_eq(sr_npy_find_nonfinite(x, 0), 0);
    x[3] = NAN;
    cr_assert_eq(sr_npy_find_nonfinite(x, 5), 3);
    x[1] = -INFINITY;
    cr_assert_eq(sr_npy_find_nonfinite(x, 5), 1);
    cr_assert_str_eq(sr_npy_dtype_name(SR_NPY_I4), "<i4");
    char s[32];
    const size_t sh[3] = {7, 0, 2};
    sr_npy_shape_str(s, sizeof s, sh, 3);
    cr_assert_str_eq(s, "(7, 0, 2)");
    sr_npy_shape_str(s, sizeof s, sh, 1);
    cr_assert_str_eq(s, "(7,)");
    sr_npy_shape_str(s, sizeof s, sh, 0);
    cr_assert_str_eq(s, "()");
}

/* Every prefix and many random corruptions of a valid file: the parser
 * returns SR_OK or SR_EUSAGE with a "sirnn: x.npy: " line, never crashes
 * (run under ASan by make check-asan). */
Test(npy, corrupted_images_never_crash)
{
    uint8_t good[256], buf[256];
    char err[SR_NPY_ERRLEN];
    size_t len = image(good, 1, 0, HDR("'<f4'", "False", "(2, 3)"), f6,
                       sizeof f6);
    uint64_t s = 0x243f6a8885a308d3ull;
    for (size_t cut = 0; cut < len; cut++) {
        sr_npy a;
        cr_assert_eq(parse(good, cut, SR_NPY_FLOAT, err, &a), SR_EUSAGE);
        cr_assert_eq(strncmp(err, "sirnn: x.npy: ", 14), 0);
    }
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, good, len);
        int flips = 1 + it % 4;
        for (int k = 0; k < flips; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[(s >> 8) % len] = (uint8_t)(s >> 40);
        }
        sr_npy a;
        int rc = parse(buf, len, SR_NPY_FLOAT | SR_NPY_INT, err, &a);
        cr_assert(rc == SR_OK || rc == SR_EUSAGE);
        if (rc == SR_OK) {
            cr_assert((a.f64 != NULL) != (a.i64 != NULL));
            sr_npy_clear(&a);
        } else {
            cr_assert_eq(strncmp(err, "sirnn: x.npy: ", 14), 0);
        }
    }
}
