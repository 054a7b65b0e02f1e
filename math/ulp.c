/*
 * math/ulp.c -- exhaustive precision scan of the math twins (see ulp.h).
 */
#include "math/ulp.h"

#include <mpfr.h>
#include <stdlib.h>

#include "math/mathfn.h"

#define REF_PREC 128
#define SCAN_BITS 20

int
sr_ulp_in_domain(sr_mathfn fn, int64_t x, sr_fx fx, unsigned flags)
{
    switch (fn) {
    case SR_MATH_EXP:
        return x <= 0;
    case SR_MATH_SIGMOID:
    case SR_MATH_TANH:
        return 1;
    case SR_MATH_RECIP:
        if (flags & SR_MATH_UNIT_RANGE)
            return x >= ((int64_t)1 << fx.s) && x < ((int64_t)2 << fx.s);
        return x > 0;
    case SR_MATH_RSQRT:
        /* x / 2^s >= 0.1  <=>  10 x >= 2^s (x < 2^63 / 10 here) */
        if (x <= 0)
            return 0;
        if (x > INT64_MAX / 10)
            return 1;
        return fx.s >= 63 ? 0 : 10 * x >= ((int64_t)1 << fx.s);
    }
    return 0;
}

static int64_t
reference(mpfr_t t, sr_mathfn fn, int64_t x, sr_fx fx, sr_fx fy, int *sat)
{
    mpfr_set_sj(t, x, MPFR_RNDN);
    mpfr_div_2ui(t, t, fx.s, MPFR_RNDN);
    switch (fn) {
    case SR_MATH_EXP:
        mpfr_exp(t, t, MPFR_RNDN);
        break;
    case SR_MATH_SIGMOID: /* 1 / (1 + e^-x) */
        mpfr_neg(t, t, MPFR_RNDN);
        mpfr_exp(t, t, MPFR_RNDN);
        mpfr_add_ui(t, t, 1, MPFR_RNDN);
        mpfr_ui_div(t, 1, t, MPFR_RNDN);
        break;
    case SR_MATH_TANH:
        mpfr_tanh(t, t, MPFR_RNDN);
        break;
    case SR_MATH_RECIP:
        mpfr_ui_div(t, 1, t, MPFR_RNDN);
        break;
    case SR_MATH_RSQRT:
        mpfr_rec_sqrt(t, t, MPFR_RNDN);
        break;
    }
    mpfr_mul_2ui(t, t, fy.s, MPFR_RNDN);
    mpfr_rint(t, t, MPFR_RNDN);
    int64_t hi = sr_fxp_smax(fy.bw), lo = sr_fxp_smin(fy.bw), r;
    int s = 0;
    mpfr_t bh, bl;
    mpfr_init2(bh, 64);
    mpfr_init2(bl, 64);
    mpfr_set_sj(bh, hi, MPFR_RNDN);
    mpfr_set_sj(bl, lo, MPFR_RNDN);
    if (mpfr_inf_p(t) || mpfr_cmp(t, bh) > 0) {
        r = hi;
        s = 1;
    } else if (mpfr_cmp(t, bl) < 0) {
        r = lo;
        s = 1;
    } else {
        r = mpfr_get_sj(t, MPFR_RNDN);
    }
    mpfr_clear(bh);
    mpfr_clear(bl);
    if (sat != NULL)
        *sat = s;
    return r;
}

int64_t
sr_ulp_reference(sr_mathfn fn, int64_t x, sr_fx fx, sr_fx fy, int *saturated)
{
    mpfr_t t;
    mpfr_init2(t, REF_PREC);
    int64_t r = reference(t, fn, x, fx, fy, saturated);
    mpfr_clear(t);
    return r;
}

/* The i-th scanned input pattern of fx (see ulp.h). */
static uint64_t
scan_input(uint64_t i, unsigned bw)
{
    if (bw <= SCAN_BITS)
        return i;
    uint64_t lo = i * 0x9E3779B97F4A7C15ull;
    lo ^= lo >> 29;
    return ((i << (bw - SCAN_BITS)) | (lo & sr_mask(bw - SCAN_BITS))) &
           sr_mask(bw);
}

int
sr_ulp_scan(sr_mathfn fn, sr_fx fx, sr_fx fy, const sr_math_params *params,
            sr_ulp_report *report)
{
    SR_REQUIRE(report != NULL);
    unsigned flags = params ? params->flags : 0;
    uint64_t N = (uint64_t)1 << (fx.bw <= SCAN_BITS ? fx.bw : SCAN_BITS);
    uint64_t *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return SR_ENOMEM;
    }
    size_t n = 0;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t v = scan_input(i, fx.bw);
        if (sr_ulp_in_domain(fn, sr_fxp_sext(v, fx.bw), fx, flags))
            x[n++] = v;
    }
    int rc = sr_math_plain(fn, n, y, fy, x, fx, params);
    if (rc != SR_OK) {
        free(x);
        free(y);
        return rc;
    }
    sr_ulp_report R = {0, 0, 0.0, 0, 0, 0, 0, 0};
    double sum = 0;
    mpfr_t t;
    mpfr_init2(t, REF_PREC);
    for (size_t i = 0; i < n; i++) {
        int64_t xi = sr_fxp_sext(x[i], fx.bw);
        int sat;
        int64_t ref = reference(t, fn, xi, fx, fy, &sat);
        int64_t yi = sr_fxp_sext(y[i], fy.bw);
        uint64_t err = yi > ref ? (uint64_t)(yi - ref) : (uint64_t)(ref - yi);
        R.count++;
        R.saturated += (uint64_t)sat;
        R.exact += err == 0;
        sum += (double)err;
        if (err > R.max_ulp || R.count == 1) {
            R.max_ulp = err;
            R.worst_x = xi;
            R.worst_y = yi;
            R.worst_ref = ref;
        }
    }
    mpfr_clear(t);
    R.mean_ulp = R.count ? sum / (double)R.count : 0.0;
    *report = R;
    free(x);
    free(y);
    return SR_OK;
}

int
sr_ulp_grid_print(FILE *out, sr_mathfn fn, unsigned bw, unsigned lo,
                  unsigned hi, const sr_math_params *params)
{
    SR_REQUIRE(out != NULL && lo <= hi && hi < bw);
    uint64_t worst = 0;
    fprintf(out, "| %s: s_x \\ s_y |", sr_mathfn_name(fn));
    for (unsigned sy = lo; sy <= hi; sy++)
        fprintf(out, " %u |", sy);
    fprintf(out, "\n|---|");
    for (unsigned sy = lo; sy <= hi; sy++)
        fprintf(out, "---|");
    fprintf(out, "\n");
    for (unsigned sx = lo; sx <= hi; sx++) {
        fprintf(out, "| %u |", sx);
        for (unsigned sy = lo; sy <= hi; sy++) {
            sr_ulp_report r;
            int rc = sr_ulp_scan(fn, sr_fx_make(bw, sx), sr_fx_make(bw, sy),
                                 params, &r);
            if (rc != SR_OK)
                return rc;
            fprintf(out, " %llu / %.3f |", (unsigned long long)r.max_ulp,
                    r.mean_ulp);
            if (r.max_ulp > worst)
                worst = r.max_ulp;
        }
        fprintf(out, "\n");
    }
    fprintf(out, "\nmax over the grid: %llu ULP\n", (unsigned long long)worst);
    return SR_OK;
}
