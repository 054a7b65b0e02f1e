/*
 * jobs/bench_math.c -- `sirnn bench` ops of the math functions (SIRNN
 * Sec. V): exp sigmoid tanh recip rsqrt div, each with --bw-in
 * --scale-in --bw-out --scale-out (defaults 16, 12, 16, 12).
 *
 * Inputs are drawn from the pair's common stream inside each function's
 * domain: exp x <= 0 (uniform over [-2^(bw_in-1), 0]), sigmoid and tanh
 * every bw_in-bit pattern, recip and rsqrt x > 0 (uniform over
 * [1, 2^(bw_in-1))).  div: numerator and denominator both have the format
 * (--bw-in, --scale-in); the numerator is any bw_in-bit pattern, the
 * denominator is > 0; the quotient has (--bw-out, --scale-out).
 *
 * prepare builds the plan and its public tables once per lane (untimed)
 * and runs the OT setup; run is one sr_math_run call on the lane's chunk
 * (div: one sr_div call, which builds its plan and tables inside -- a few
 * ms per lane, included in the time); check opens the outputs and
 * compares them with the cleartext twin bit for bit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/bench.h"
#include "jobs/eval.h"
#include "math/div.h"
#include "math/mathfn.h"
#include "math/plan.h"
#include "math/secure.h"
#include "protocols/ot.h"

#define FN_DIV (-2) /* div is not an sr_mathfn */

typedef struct math_state {
    int fn; /* sr_mathfn or FN_DIV */
    sr_fx fx, fy;
    sr_math_plan *P;
    sr_math_tab *T;
    uint64_t *x, *sh, *x2, *sh2, *y, *want;
} math_state;

static sr_fx
fmt_in(const sr_bench_params *p)
{
    return sr_fx_make(p->bw_in, p->scale_in);
}

static sr_fx
fmt_out(const sr_bench_params *p)
{
    return sr_fx_make(p->bw_out, p->scale_out);
}

static int
validate_fn(sr_bench_params *p, char *err, size_t len, int fn)
{
    if (!(p->given & SR_BP_BW_OUT))
        p->bw_out = 16;
    if (p->bw_in < 2 || p->bw_in > 64 || p->bw_out < 2 || p->bw_out > 64 ||
        p->scale_in > 62 || p->scale_out + 1 > p->bw_out) {
        snprintf(err, len,
                 "need 2 <= --bw-in, --bw-out <= 64, --scale-in <= 62 and "
                 "--scale-out < --bw-out");
        return SR_EUSAGE;
    }
    return sr_eval_formats_check(fn == FN_DIV ? 0 : fn, fn == FN_DIV, fmt_in(p),
                                 fmt_out(p), err, len);
}

#define VALIDATE(name, fn)                                                     \
    static int name##_validate(sr_bench_params *p, char *err, size_t len)      \
    {                                                                          \
        return validate_fn(p, err, len, fn);                                   \
    }
VALIDATE(exp, SR_MATH_EXP)
VALIDATE(sigmoid, SR_MATH_SIGMOID)
VALIDATE(tanh, SR_MATH_TANH)
VALIDATE(recip, SR_MATH_RECIP)
VALIDATE(rsqrt, SR_MATH_RSQRT)
VALIDATE(div, FN_DIV)

/*
 * Cleartext values in the domain and this party's shares, from the
 * common stream (both ends draw the same amounts): v uniform over bw bits
 * then mapped into the domain; Alice's share r, Bob's x - r.
 */
static void
domain_inputs(sr_bench_lane *b, uint64_t *x, uint64_t *sh, size_t n,
              unsigned bw, int dom)
{
    const uint64_t m = sr_mask(bw);
    for (size_t i = 0; i < n; i++) {
        uint64_t v, r;
        sr_prg_u64(&b->in, &v, 1, bw);
        sr_prg_u64(&b->in, &r, 1, bw);
        if (dom < 0) { /* x <= 0: -(v mod 2^(bw-1)), 0 included */
            v &= sr_mask(bw - 1);
            v = (0 - v) & m;
        } else if (dom > 0) { /* 1 <= x < 2^(bw-1) */
            v &= sr_mask(bw - 1);
            if (v == 0)
                v = 1;
        }
        x[i] = v;
        sh[i] = b->L->role == SR_ALICE ? r : (v - r) & m;
    }
}

static int
math_prepare_fn(sr_bench_lane *b, int fn)
{
    math_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SR_ENOMEM;
    b->state = s;
    s->fn = fn;
    s->fx = fmt_in(b->p);
    s->fy = fmt_out(b->p);
    const size_t n = b->n;
    s->x = calloc(n + 1, 8);
    s->sh = calloc(n + 1, 8);
    s->y = calloc(n + 1, 8);
    s->want = calloc(n + 1, 8);
    if (!s->x || !s->sh || !s->y || !s->want)
        return SR_ENOMEM;
    if (fn == FN_DIV) {
        s->x2 = calloc(n + 1, 8);
        s->sh2 = calloc(n + 1, 8);
        if (!s->x2 || !s->sh2)
            return SR_ENOMEM;
        domain_inputs(b, s->x, s->sh, n, s->fx.bw, 0);
        domain_inputs(b, s->x2, s->sh2, n, s->fx.bw, 1);
        int rc =
            sr_div_plain(n, s->want, s->fy, s->x, s->fx, s->x2, s->fx, NULL);
        if (rc != SR_OK)
            return rc;
    } else {
        s->P = malloc(sizeof *s->P);
        s->T = malloc(sizeof *s->T);
        if (s->P == NULL || s->T == NULL)
            return SR_ENOMEM;
        sr_math_plan_make(s->P, (sr_mathfn)fn, s->fy, s->fx, NULL);
        sr_math_tab_fill(s->T, s->P);
        int dom = fn == SR_MATH_EXP                            ? -1
                  : fn == SR_MATH_RECIP || fn == SR_MATH_RSQRT ? 1
                                                               : 0;
        domain_inputs(b, s->x, s->sh, n, s->fx.bw, dom);
        sr_math_plain_run(s->P, s->T, n, s->want, s->x);
    }
    if (n == 0)
        return SR_OK;
    return sr_ot_setup(b->L);
}

#define PREPARE(name, fn)                                                      \
    static int name##_prepare(sr_bench_lane *b)                                \
    {                                                                          \
        return math_prepare_fn(b, fn);                                         \
    }
PREPARE(exp, SR_MATH_EXP)
PREPARE(sigmoid, SR_MATH_SIGMOID)
PREPARE(tanh, SR_MATH_TANH)
PREPARE(recip, SR_MATH_RECIP)
PREPARE(rsqrt, SR_MATH_RSQRT)
PREPARE(div, FN_DIV)

static int
math_run(sr_bench_lane *b)
{
    math_state *s = b->state;
    if (b->n == 0)
        return SR_OK;
    if (s->fn == FN_DIV)
        return sr_div(b->L, b->n, s->y, s->fy, s->sh, s->fx, s->sh2, s->fx);
    return sr_math_run(b->L, s->P, s->T, b->n, s->y, s->sh);
}

static int
math_check(sr_bench_lane *b)
{
    math_state *s = b->state;
    if (b->n == 0)
        return SR_OK;
    int rc = sr_bench_open(b, s->y, s->y, b->n, s->fy.bw);
    if (rc != SR_OK)
        return rc;
    return sr_bench_expect(b, "y", s->y, s->want, b->n, s->fy.bw);
}

static void
math_cleanup(sr_bench_lane *b)
{
    math_state *s = b->state;
    if (s == NULL)
        return;
    free(s->P);
    free(s->T);
    free(s->x);
    free(s->sh);
    free(s->x2);
    free(s->sh2);
    free(s->y);
    free(s->want);
    free(s);
    b->state = NULL;
}

#define P_MATH (SR_BP_BW_IN | SR_BP_SCALE_IN | SR_BP_BW_OUT | SR_BP_SCALE_OUT)

#define MATH_OP(var, opname, sum, fam)                                         \
    const sr_bench_op var = {                                                  \
        .name = opname,                                                        \
        .summary = sum,                                                        \
        .params = P_MATH,                                                      \
        .default_n = 0,                                                        \
        .validate = fam##_validate,                                            \
        .prepare = fam##_prepare,                                              \
        .run = math_run,                                                       \
        .check = math_check,                                                   \
        .cleanup = math_cleanup,                                               \
    }

MATH_OP(sr_bench_op_exp, "exp",
        "e^x for x <= 0: (--bw-in, --scale-in) -> (--bw-out, --scale-out)",
        exp);
MATH_OP(sr_bench_op_sigmoid, "sigmoid",
        "sigmoid: (--bw-in, --scale-in) -> (--bw-out, --scale-out)", sigmoid);
MATH_OP(sr_bench_op_tanh, "tanh",
        "tanh: (--bw-in, --scale-in) -> (--bw-out, --scale-out)", tanh);
MATH_OP(sr_bench_op_recip, "recip",
        "1/x for x > 0 (MSNZB normalised, saturating)", recip);
MATH_OP(sr_bench_op_rsqrt, "rsqrt",
        "1/sqrt(x) for x > 0 (MSNZB normalised, saturating)", rsqrt);
MATH_OP(sr_bench_op_div, "div",
        "num / den, both (--bw-in, --scale-in), den > 0 -> --bw-out, "
        "--scale-out",
        div);
