/*
 * tests/test_math_secure.c -- the secure math functions reconstruct to
 * their cleartext twins bit for bit (exp, sigmoid, tanh, reciprocal on
 * [1, 2) and general, rsqrt), on many formats, edge inputs, n with a remainder
 * and in place; and their traffic per instance stays within the documented
 * budget.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "math/div.h"
#include "math/mathfn.h"
#include "math/secure.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(120);
}

struct sec_run {
    const sr_math_plan *P;
    const sr_math_tab *T;
    size_t n;
    int inplace;
    uint64_t *x[2], *y[2]; /* by role */
    uint64_t bytes[2], rounds[2];
};

static int
sec_party(sr_lane *L, void *arg)
{
    struct sec_run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_role r = L->role;
    sr_chan_flush(&L->chan);
    L->chan.last = 0;
    sr_chan_stats b = sr_lane_stats(L);
    uint64_t *y = c->inplace ? c->x[r] : c->y[r];
    rc = sr_math_run(L, c->P, c->T, c->n, y, c->x[r]);
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), b);
    c->bytes[r] = d.bytes_sent;
    c->rounds[r] = d.rounds;
    return rc;
}

struct sec_case {
    int fn;
    unsigned flags;
    unsigned bwx, sx, bwy, sy;
    size_t n;
    int inplace;
    double max_bytes; /* per instance, both directions (0: not checked) */
    unsigned d, g;    /* parameter overrides (0: by rule) */
    unsigned t;       /* iterations override (0: by rule) */
};

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Inputs: edge values first (0, +-1, extremes, digit boundaries), then
 * random, all inside the function's domain. */
static uint64_t
pick(const struct sec_case *p, size_t i, uint64_t *s)
{
    unsigned bw = p->bwx;
    int64_t lo = -((int64_t)1 << (bw - 1)), hi = ((int64_t)1 << (bw - 1)) - 1;
    int64_t edge[] = {0,    1,   -1,   hi,  lo,   lo + 1, 256,
                      -256, 255, -255, 257, -257, 4096,   -4096};
    int64_t v;
    if (i < sizeof edge / sizeof edge[0])
        v = edge[i];
    else
        v = sr_fxp_sext(rnd(s), bw);
    if (v < lo || v > hi)
        v = 0;
    if (p->fn == SR_MATH_EXP && v > 0)
        v = -v;
    if (p->fn == SR_MATH_RSQRT || (p->fn == SR_MATH_RECIP && !p->flags)) {
        if (v <= 0)
            v = v == lo ? hi : (v == 0 ? 1 : -v);
    }
    if (p->fn == SR_MATH_RECIP && p->flags) {
        int64_t one = (int64_t)1 << p->sx;
        v = one + (int64_t)((uint64_t)v & (uint64_t)(one - 1));
    }
    return (uint64_t)v & sr_mask(bw);
}

static void
run_sec(const struct sec_case *p)
{
    sr_math_params prm = {p->d, p->g, 0, p->flags, p->t};
    sr_math_plan P;
    sr_math_plan_make(&P, p->fn, sr_fx_make(p->bwy, p->sy),
                      sr_fx_make(p->bwx, p->sx), &prm);
    sr_math_tab *T = malloc(sizeof *T);
    cr_assert_not_null(T);
    sr_math_tab_fill(T, &P);
    size_t n = p->n;
    uint64_t *x = malloc(8 * (n + 1)), *want = malloc(8 * (n + 1));
    struct sec_run c = {.P = &P, .T = T, .n = n, .inplace = p->inplace};
    for (int r = 0; r < 2; r++) {
        c.x[r] = malloc(8 * (n + 1));
        c.y[r] = malloc(8 * (n + 1));
    }
    uint64_t s = 0x9E3779B97F4A7C15ull ^ (p->fn * 131 + p->sx * 7 + n);
    for (size_t i = 0; i < n; i++) {
        x[i] = pick(p, i, &s);
        c.x[0][i] = rnd(&s) & sr_mask(p->bwx);
        c.x[1][i] = (x[i] - c.x[0][i]) & sr_mask(p->bwx);
    }
    sr_math_plain_run(&P, T, n, want, x);
    sr_test_opts o = {.nlanes = 1};
    cr_assert_eq(sr_test_run(sec_party, &c, &o), SR_OK);
    uint64_t **y = p->inplace ? c.x : c.y;
    for (size_t i = 0; i < n; i++) {
        uint64_t got = (y[0][i] + y[1][i]) & sr_mask(p->bwy);
        cr_assert_eq(got, want[i],
                     "%s (%u,%u)->(%u,%u) i=%zu x=%lld: secure %lld, twin "
                     "%lld",
                     sr_mathfn_name(p->fn), p->bwx, p->sx, p->bwy, p->sy, i,
                     (long long)sr_fxp_sext(x[i], p->bwx),
                     (long long)sr_fxp_sext(got, p->bwy),
                     (long long)sr_fxp_sext(want[i], p->bwy));
    }
    if (p->max_bytes > 0 && n > 0) {
        double per = (double)(c.bytes[0] + c.bytes[1]) / (double)n;
        cr_assert_leq(per, p->max_bytes, "%s: %.1f B per instance",
                      sr_mathfn_name(p->fn), per);
    }
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y[r]);
    }
    free(x);
    free(want);
    free(T);
}

ParameterizedTestParameters(math_secure, matches_twin)
{
    static struct sec_case c[] = {
        /* the budgets (reference bytes, 1.5x fewer for sigmoid
         * and tanh: 2953, 2922, exp 2004, recip 1113, rsqrt 5701) are
         * met; these pin the measured bytes (docs/math.md, n = 10000)
         * + 1 B, with the two-field LUT (protocols/lut2.h) */
        {SR_MATH_SIGMOID, 0, 16, 12, 16, 12, 1003, 0, 2683, 0, 0, 0},
        {SR_MATH_TANH, 0, 16, 12, 16, 12, 1003, 0, 2818, 0, 0, 0},
        {SR_MATH_EXP, 0, 16, 12, 16, 12, 1003, 0, 1766, 0, 0, 0},
        {SR_MATH_RECIP, SR_MATH_UNIT_RANGE, 16, 12, 16, 12, 1003, 0, 857, 0,
         0, 0},
        {SR_MATH_SIGMOID, 0, 16, 8, 16, 14, 257, 1, 0, 0, 0, 0},
        {SR_MATH_TANH, 0, 16, 8, 16, 8, 257, 0, 0, 0, 0, 0},
        {SR_MATH_EXP, 0, 16, 8, 16, 14, 257, 1, 0, 0, 0, 0},
        {SR_MATH_SIGMOID, 0, 16, 12, 13, 12, 300, 0, 0, 0, 0, 0},
        {SR_MATH_TANH, 0, 16, 12, 13, 12, 300, 0, 0, 0, 0, 0},
        {SR_MATH_EXP, 0, 16, 12, 13, 12, 300, 0, 0, 0, 0, 0},
        {SR_MATH_RECIP, SR_MATH_UNIT_RANGE, 16, 13, 13, 12, 300, 1, 0, 0, 0, 0},
        {SR_MATH_SIGMOID, 0, 8, 4, 8, 6, 200, 0, 0, 0, 0, 0},
        {SR_MATH_TANH, 0, 8, 4, 8, 6, 200, 0, 0, 0, 0, 0},
        {SR_MATH_EXP, 0, 8, 4, 8, 6, 200, 0, 0, 0, 0, 0},
        {SR_MATH_SIGMOID, 0, 32, 16, 32, 16, 200, 0, 0, 0, 0, 0},
        {SR_MATH_TANH, 0, 32, 16, 32, 16, 200, 0, 0, 0, 0, 0},
        {SR_MATH_EXP, 0, 32, 16, 32, 16, 200, 0, 0, 0, 0, 0},
        {SR_MATH_RSQRT, 0, 16, 12, 16, 12, 1003, 0, 3111, 0, 0, 0},
        {SR_MATH_RECIP, 0, 16, 12, 16, 12, 1003, 0, 3147, 0, 0, 0},
        {SR_MATH_RECIP, 0, 16, 12, 16, 12, 1003, 1, 0, 0, 0, 0},
        {SR_MATH_RSQRT, 0, 16, 4, 16, 13, 300, 1, 0, 0, 0, 0},
        {SR_MATH_RECIP, 0, 16, 8, 16, 14, 300, 0, 0, 0, 0, 0},
        {SR_MATH_RSQRT, 0, 8, 4, 8, 5, 200, 0, 0, 0, 0, 0},
        {SR_MATH_RECIP, 0, 8, 4, 8, 4, 200, 0, 0, 0, 0, 0},
        /* overrides: 4-bit digits (a deeper product tree), wider LUTs */
        {SR_MATH_EXP, 0, 16, 12, 16, 12, 300, 0, 0, 4, 0, 0},
        {SR_MATH_SIGMOID, 0, 16, 10, 16, 12, 300, 0, 0, 4, 7, 0},
        {SR_MATH_TANH, 0, 16, 10, 16, 12, 300, 0, 0, 5, 8, 0},
        {SR_MATH_RSQRT, 0, 16, 10, 16, 12, 300, 0, 0, 0, 4, 0},
        /* one iteration (t = 1 by rule at bw_y 32; forced at 16) */
        /* (bytes: docs/math.md "Communication", n = 10000, + ~4 B) */
        {SR_MATH_RECIP, 0, 32, 16, 32, 16, 300, 0, 11450, 0, 0, 0},
        {SR_MATH_RECIP, 0, 32, 24, 32, 24, 300, 1, 10442, 0, 0, 0},
        {SR_MATH_RECIP, 0, 32, 8, 32, 24, 300, 0, 0, 0, 0, 0},
        {SR_MATH_RSQRT, 0, 32, 24, 32, 24, 300, 0, 11848, 0, 0, 0},
        {SR_MATH_RSQRT, 0, 32, 8, 32, 24, 300, 1, 0, 0, 0, 0},
        {SR_MATH_RSQRT, 0, 40, 20, 32, 28, 300, 0, 0, 0, 0, 0},
        {SR_MATH_RECIP, 0, 16, 12, 16, 12, 300, 0, 0, 0, 0, 1},
        {SR_MATH_RSQRT, 0, 16, 4, 16, 13, 300, 0, 0, 0, 0, 1},
        {SR_MATH_RSQRT, SR_MATH_NO_ITER, 32, 16, 32, 16, 300, 0, 0, 0, 0, 0},
        {SR_MATH_SIGMOID, 0, 16, 12, 16, 12, 1, 0, 0, 0, 0, 0},
        {SR_MATH_TANH, 0, 16, 12, 16, 12, 0, 0, 0, 0, 0, 0},
    };
    return cr_make_param_array(struct sec_case, c, sizeof c / sizeof c[0]);
}

ParameterizedTest(struct sec_case *p, math_secure, matches_twin,
                  .init = arm_alarm)
{
    run_sec(p);
}

/* Division: secure == twin bit for bit. */
struct div_run {
    size_t n;
    sr_fx fy, fn, fd;
    uint64_t *num[2], *den[2], *y[2];
    uint64_t bytes[2];
};

static int
div_party(sr_lane *L, void *arg)
{
    struct div_run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_role r = L->role;
    sr_chan_flush(&L->chan);
    sr_chan_stats b = sr_lane_stats(L);
    rc = sr_div(L, c->n, c->y[r], c->fy, c->num[r], c->fn, c->den[r], c->fd);
    sr_chan_flush(&L->chan);
    c->bytes[r] = sr_chan_stats_diff(sr_lane_stats(L), b).bytes_sent;
    return rc;
}

Test(math_secure, division_matches_twin, .init = arm_alarm)
{
    struct div_run c = {
        .n = 777, .fy = {16, 12}, .fn = {16, 12}, .fd = {16, 8}};
    size_t n = c.n;
    uint64_t *num = malloc(8 * n), *den = malloc(8 * n), *want = malloc(8 * n);
    for (int r = 0; r < 2; r++) {
        c.num[r] = malloc(8 * n);
        c.den[r] = malloc(8 * n);
        c.y[r] = malloc(8 * n);
    }
    uint64_t s = 0xD1B54A32D192ED03ull;
    for (size_t i = 0; i < n; i++) {
        num[i] = rnd(&s) & 0xFFFF;
        den[i] = i < 16 ? (uint64_t)1 << i % 15 : (rnd(&s) & 0x7FFF) | 1;
        if (i == 16)
            num[i] = 0x8000; /* most negative: saturates */
        c.num[0][i] = rnd(&s) & 0xFFFF;
        c.num[1][i] = (num[i] - c.num[0][i]) & 0xFFFF;
        c.den[0][i] = rnd(&s) & 0xFFFF;
        c.den[1][i] = (den[i] - c.den[0][i]) & 0xFFFF;
    }
    cr_assert_eq(sr_div_plain(n, want, c.fy, num, c.fn, den, c.fd, NULL),
                 SR_OK);
    sr_test_opts o = {.nlanes = 1};
    cr_assert_eq(sr_test_run(div_party, &c, &o), SR_OK);
    for (size_t i = 0; i < n; i++) {
        uint64_t got = (c.y[0][i] + c.y[1][i]) & 0xFFFF;
        cr_assert_eq(got, want[i], "i=%zu %lld / %lld: %lld vs twin %lld", i,
                     (long long)sr_fxp_sext(num[i], 16), (long long)den[i],
                     (long long)sr_fxp_sext(got, 16),
                     (long long)sr_fxp_sext(want[i], 16));
    }
    for (int r = 0; r < 2; r++) {
        free(c.num[r]);
        free(c.den[r]);
        free(c.y[r]);
    }
    free(num);
    free(den);
    free(want);
}
