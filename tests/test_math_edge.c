/*
 * tests/test_math_edge.c -- edge inputs, saturation, digit boundaries,
 * parameter overrides, aliasing and misuse of the math twins.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "math/mathfn.h"
#include "math/ulp.h"

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(math_edge, .init = arm_alarm);

static int64_t
run1(sr_mathfn fn, int64_t x, sr_fx fx, sr_fx fy, const sr_math_params *p)
{
    uint64_t xi = (uint64_t)x & sr_mask(fx.bw), y = 0;
    cr_assert_eq(sr_math_plain(fn, 1, &y, fy, &xi, fx, p), SR_OK);
    cr_assert_eq(y & ~sr_mask(fy.bw), 0u, "output not reduced");
    return sr_fxp_sext(y, fy.bw);
}

/* |twin - reference| <= bound at x */
static void
near_ref(sr_mathfn fn, int64_t x, sr_fx fx, sr_fx fy, int64_t bound)
{
    int64_t y = run1(fn, x, fx, fy, NULL);
    int64_t r = sr_ulp_reference(fn, x, fx, fy, NULL);
    cr_assert(llabs(y - r) <= bound,
              "%s (%u,%u)->(%u,%u) x=%lld: y=%lld ref=%lld", sr_mathfn_name(fn),
              fx.bw, fx.s, fy.bw, fy.s, (long long)x, (long long)y,
              (long long)r);
}

Test(math_edge, exact_points)
{
    for (unsigned s = 4; s <= 14; s++) {
        sr_fx f = sr_fx_make(16, s);
        /* sigma(0) = 1/2, tanh(0) = 0, e^0 = 1, 1/1 = 1, 1/sqrt(1) = 1,
         * 1/sqrt(4) = 1/2, 1/2 = 1/2 */
        cr_assert_eq(run1(SR_MATH_SIGMOID, 0, f, f, NULL), 1 << (s - 1));
        cr_assert_eq(run1(SR_MATH_TANH, 0, f, f, NULL), 0);
        cr_assert_eq(run1(SR_MATH_EXP, 0, f, f, NULL), 1 << s);
        cr_assert_eq(run1(SR_MATH_RECIP, 1 << s, f, f, NULL), 1 << s);
        if (s <= 13)
            cr_assert_eq(run1(SR_MATH_RECIP, 2 << s, f, f, NULL), 1 << (s - 1));
        cr_assert_eq(run1(SR_MATH_RSQRT, 1 << s, f, f, NULL), 1 << s);
        if (s <= 12)
            cr_assert_eq(run1(SR_MATH_RSQRT, 4 << s, f, f, NULL), 1 << (s - 1));
    }
    /* 32-bit formats too */
    sr_fx w = sr_fx_make(32, 16);
    cr_assert_eq(run1(SR_MATH_SIGMOID, 0, w, w, NULL), 1 << 15);
    cr_assert_eq(run1(SR_MATH_TANH, 0, w, w, NULL), 0);
    cr_assert_eq(run1(SR_MATH_EXP, 0, w, w, NULL), 1 << 16);
}

Test(math_edge, extremes_and_one_ulp)
{
    sr_fx f = sr_fx_make(16, 12);
    int64_t xs[] = {0, 1, -1, 2, -2, 32767, -32768, -32767, 32766};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        near_ref(SR_MATH_SIGMOID, xs[i], f, f, 2);
        near_ref(SR_MATH_TANH, xs[i], f, f, 2);
        if (xs[i] <= 0)
            near_ref(SR_MATH_EXP, xs[i], f, f, 1);
        if (xs[i] > 0) {
            near_ref(SR_MATH_RECIP, xs[i], f, f, 1);
            near_ref(SR_MATH_RSQRT, xs[i], f, f, 1);
        }
    }
    /* large |x|: sigma -> 1 and 0, tanh -> +-1 exactly */
    sr_fx f8 = sr_fx_make(16, 8);
    cr_assert_eq(run1(SR_MATH_SIGMOID, 32767, f8, f, NULL), 4096);
    cr_assert_eq(run1(SR_MATH_SIGMOID, -32768, f8, f, NULL), 0);
    cr_assert_eq(run1(SR_MATH_TANH, 32767, f, f, NULL), 4096);
    cr_assert_eq(run1(SR_MATH_TANH, -32768, f, f, NULL), -4096);
    cr_assert_eq(run1(SR_MATH_EXP, -32768, f8, f, NULL), 0);
}

/* Every digit boundary of the exp digit decomposition (d = 8), at 16
 * and 32 bits, where exhaustive scans cannot reach. */
Test(math_edge, digit_boundaries)
{
    struct {
        sr_fx fx, fy;
    } F[] = {
        {{16, 12}, {16, 12}}, {{16, 8}, {16, 14}},  {{32, 16}, {32, 16}},
        {{32, 24}, {32, 20}}, {{24, 10}, {16, 12}},
    };
    for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
        sr_fx fx = F[f].fx, fy = F[f].fy;
        for (unsigned j = 1; j * 8 < fx.bw; j++) {
            for (int64_t k = 1; k < 256; k += (fx.bw > 16 ? 17 : 1)) {
                int64_t base = k << (8 * j);
                if (base >= ((int64_t)1 << (fx.bw - 1)))
                    break;
                for (int64_t dlt = -1; dlt <= 1; dlt++) {
                    int64_t x = base + dlt;
                    near_ref(SR_MATH_EXP, -x, fx, fy, 1);
                    near_ref(SR_MATH_SIGMOID, x, fx, fy, 2);
                    near_ref(SR_MATH_SIGMOID, -x, fx, fy, 2);
                    near_ref(SR_MATH_TANH, x, fx, fy, 2);
                    near_ref(SR_MATH_TANH, -x, fx, fy, 2);
                }
            }
        }
    }
}

/* Outputs one bit wider than the scale cannot hold 1.0: the twins
 * saturate to 2^(bw-1) - 1 and never wrap; checked on every input. */
Test(math_edge, saturation_never_wraps)
{
    sr_fx fx = sr_fx_make(16, 10), fy = sr_fx_make(13, 12);
    size_t N = 1u << 16;
    uint64_t *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    cr_assert_not_null(x);
    cr_assert_not_null(y);
    for (size_t i = 0; i < N; i++)
        x[i] = i;
    int64_t top = sr_fxp_smax(13);

    cr_assert_eq(sr_sigmoid_plain(N, y, fy, x, fx, NULL), SR_OK);
    for (size_t i = 0; i < N; i++) {
        int64_t v = sr_fxp_sext(y[i], 13), xi = sr_fxp_sext(x[i], 16);
        cr_assert(v >= 0 && v <= top, "sigmoid x=%lld y=%lld", (long long)xi,
                  (long long)v);
        if (xi > 0)
            cr_assert(v >= 2048);
        if (xi < 0)
            cr_assert(v <= 2048);
    }
    cr_assert_eq(sr_fxp_sext(y[32767], 13), top);

    cr_assert_eq(sr_tanh_plain(N, y, fy, x, fx, NULL), SR_OK);
    for (size_t i = 0; i < N; i++) {
        int64_t v = sr_fxp_sext(y[i], 13), xi = sr_fxp_sext(x[i], 16);
        cr_assert(v >= -top && v <= top);
        cr_assert(xi >= 0 ? v >= 0 : v <= 0, "tanh x=%lld y=%lld",
                  (long long)xi, (long long)v);
    }
    cr_assert_eq(sr_fxp_sext(y[32767], 13), top);
    cr_assert_eq(sr_fxp_sext(y[32768], 13), -top);

    cr_assert_eq(sr_exp_neg_plain(N, y, fy, x, fx, NULL), SR_OK);
    for (size_t i = 0; i < N; i++) {
        int64_t v = sr_fxp_sext(y[i], 13), xi = sr_fxp_sext(x[i], 16);
        if (xi <= 0)
            cr_assert(v >= 0 && v <= top);
    }
    cr_assert_eq(sr_fxp_sext(y[0], 13), top);

    /* reciprocal and rsqrt of tiny x: saturated, not wrapped */
    sr_fx f12 = sr_fx_make(16, 12);
    cr_assert_eq(sr_recip_plain(N, y, f12, x, f12, NULL), SR_OK);
    for (size_t i = 1; i < 32768; i++) {
        int64_t v = sr_fxp_sext(y[i], 16);
        cr_assert(v > 0, "recip x=%zu y=%lld", i, (long long)v);
        if (i <= 128)
            cr_assert_eq(v, 32767, "recip x=%zu y=%lld", i, (long long)v);
    }
    cr_assert_eq(sr_rsqrt_plain(N, y, sr_fx_make(16, 14), x, f12, NULL), SR_OK);
    for (size_t i = 1; i < 32768; i++)
        cr_assert(sr_fxp_sext(y[i], 16) > 0);
    cr_assert_eq(sr_fxp_sext(y[1], 16), 32767);
    free(x);
    free(y);
}

Test(math_edge, overrides_in_place_and_empty)
{
    sr_fx f = sr_fx_make(16, 12);
    sr_math_params d4 = {4, 0, 0, 0, 0}, g7 = {0, 7, 0, 0, 0};
    sr_math_params guard3 = {0, 0, 3, 0, 0};
    sr_ulp_report r;
    cr_assert_eq(sr_ulp_scan(SR_MATH_EXP, f, f, &d4, &r), SR_OK);
    cr_assert_leq(r.max_ulp, 1);
    cr_assert_eq(sr_ulp_scan(SR_MATH_SIGMOID, f, f, &g7, &r), SR_OK);
    cr_assert_leq(r.max_ulp, 1);
    cr_assert_eq(sr_ulp_scan(SR_MATH_TANH, f, f, &guard3, &r), SR_OK);
    cr_assert_leq(r.max_ulp, 2);

    sr_math_plan P;
    sr_math_plan_make(&P, SR_MATH_SIGMOID, f, f, NULL);
    cr_assert_eq(P.d, 8u);
    cr_assert_eq(P.g, 5u); /* ceil((12 - 2) / 2) */
    sr_math_plan_make(&P, SR_MATH_SIGMOID, f, f, &g7);
    cr_assert_eq(P.g, 7u);

    /* y may alias x, and n = 0 does nothing */
    uint64_t a[300], b[300];
    for (size_t i = 0; i < 300; i++)
        a[i] = b[i] = (i * 2654435761u) & 0xFFFF;
    cr_assert_eq(sr_tanh_plain(300, b, f, b, f, NULL), SR_OK);
    uint64_t c[300];
    cr_assert_eq(sr_tanh_plain(300, c, f, a, f, NULL), SR_OK);
    for (size_t i = 0; i < 300; i++)
        cr_assert_eq(b[i], c[i]);
    cr_assert_eq(sr_sigmoid_plain(0, NULL, f, NULL, f, NULL), SR_OK);
}

Test(math_edge, output_too_narrow_aborts, .signal = SIGABRT)
{
    uint64_t x = 0, y;
    /* scale 12 needs at least 13 bits */
    int rc = sr_sigmoid_plain(1, &y, sr_fx_make(12, 12), &x, sr_fx_make(16, 12),
                              NULL);
    (void)rc;
}

/* Division: every numerator against a set of divisors (and random pairs),
 * against MPFR rounded to nearest and saturated; within 1 ULP. */
#include <mpfr.h>

#include "math/div.h"

static int64_t
div_ref(int64_t num, sr_fx fn, int64_t den, sr_fx fd, sr_fx fy)
{
    mpfr_t a, b;
    mpfr_inits2(128, a, b, (mpfr_ptr)0);
    mpfr_set_si(a, num, MPFR_RNDN);
    mpfr_set_si(b, den, MPFR_RNDN);
    mpfr_div(a, a, b, MPFR_RNDN);
    mpfr_mul_2si(a, a, (long)fy.s + fd.s - fn.s, MPFR_RNDN);
    mpfr_rint(a, a, MPFR_RNDN);
    int64_t hi = sr_fxp_smax(fy.bw), lo = sr_fxp_smin(fy.bw), r;
    if (mpfr_cmp_si(a, hi) > 0)
        r = hi;
    else if (mpfr_cmp_si(a, lo) < 0)
        r = lo;
    else
        r = mpfr_get_si(a, MPFR_RNDN);
    mpfr_clears(a, b, (mpfr_ptr)0);
    return r;
}

Test(math_edge, division_within_one_ulp)
{
    struct {
        sr_fx fn, fd, fy;
    } F[] = {
        {{16, 12}, {16, 12}, {16, 12}},
        {{16, 8}, {16, 10}, {16, 12}},
        {{16, 12}, {16, 4}, {16, 14}},
    };
    int64_t dens[] = {1, 2, 3, 255, 256, 257, 4095, 4096, 4097, 12345, 32767};
    size_t N = 1u << 16;
    uint64_t *num = malloc(N * 8), *den = malloc(N * 8), *y = malloc(N * 8);
    cr_assert(num && den && y);
    for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
        for (size_t d = 0; d < sizeof dens / sizeof dens[0]; d++) {
            for (size_t i = 0; i < N; i++) {
                num[i] = i;
                den[i] = (uint64_t)dens[d];
            }
            cr_assert_eq(
                sr_div_plain(N, y, F[f].fy, num, F[f].fn, den, F[f].fd, NULL),
                SR_OK);
            for (size_t i = 0; i < N; i += (d % 2 ? 1 : 7)) {
                int64_t xn = sr_fxp_sext(num[i], 16);
                int64_t r = div_ref(xn, F[f].fn, dens[d], F[f].fd, F[f].fy);
                int64_t v = sr_fxp_sext(y[i], F[f].fy.bw);
                cr_assert(llabs(v - r) <= 1, "f=%zu %lld / %lld: %lld vs %lld",
                          f, (long long)xn, (long long)dens[d], (long long)v,
                          (long long)r);
            }
        }
    }
    free(num);
    free(den);
    free(y);
}
