/*
 * tests/test_eval.c -- the math bench ops (jobs/bench_math.c) run through
 * their phases on a lane pair, and the helpers of jobs/eval.h (domains,
 * the format probe).  The command lines are tested by tests/mpi/eval.sh.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobs/bench.h"
#include "jobs/eval.h"
#include "jobs/internal.h"
#include "math/plan.h"
#include "tests/twoparty.h"

static void
setup(void)
{
    alarm(60);
}

TestSuite(eval, .init = setup);

typedef struct op_arg {
    const sr_bench_op *op;
    sr_bench_params p;
    size_t n;
    int st[2]; /* check result per party */
    uint64_t run_bytes[2];
} op_arg;

/* One party: the framework's phases on one lane (prepare, run, check). */
static int
op_party(sr_lane *L, void *argp)
{
    op_arg *a = argp;
    sr_bench_lane b;
    memset(&b, 0, sizeof b);
    b.L = L;
    b.p = &a->p;
    b.n = a->n;
    b.nlanes = 1;
    uint8_t key[16];
    sr_prg_bytes(&L->shared, key, sizeof key);
    int rc = sr_prg_init(&b.in, key);
    if (rc == SR_OK)
        rc = a->op->prepare(&b);
    sr_chan_flush(&L->chan);
    sr_chan_stats s0 = L->chan.st;
    if (rc == SR_OK)
        rc = a->op->run(&b);
    sr_chan_flush(&L->chan);
    sr_chan_stats s1 = L->chan.st;
    if (rc == SR_OK) {
        rc = a->op->check(&b);
        sr_chan_flush(&L->chan);
    }
    sr_chan_stats d = sr_chan_stats_diff(s1, s0);
    a->run_bytes[L->party] = d.bytes_sent + d.bytes_recv;
    a->st[L->party] = rc;
    if (b.why[0])
        fprintf(stderr, "%s: %s\n", a->op->name, b.why);
    a->op->cleanup(&b);
    sr_prg_clear(&b.in);
    return rc == SR_ECHECK ? SR_OK : rc;
}

static void
run_op(const char *name, size_t n, unsigned bw_in, unsigned s_in,
       unsigned bw_out, unsigned s_out)
{
    op_arg a;
    memset(&a, 0, sizeof a);
    a.op = sr_bench_find(name);
    cr_assert_not_null(a.op, "op %s not registered", name);
    sr_bench_params_defaults(&a.p, a.op);
    a.p.n = n;
    a.p.bw_in = bw_in;
    a.p.scale_in = s_in;
    a.p.bw_out = bw_out;
    a.p.scale_out = s_out;
    a.p.given = SR_BP_BW_IN | SR_BP_SCALE_IN | SR_BP_BW_OUT | SR_BP_SCALE_OUT;
    char err[200] = "";
    cr_assert_eq(a.op->validate(&a.p, err, sizeof err), SR_OK, "%s: %s", name,
                 err);
    a.n = n;
    cr_assert_eq(sr_test_run2(op_party, &a), SR_OK, "%s", name);
    cr_assert_eq(a.st[SR_SERVER], SR_OK, "%s: server check", name);
    cr_assert_eq(a.st[SR_CLIENT], SR_OK, "%s: client check", name);
    /* the run phase's traffic, seen from both ends, is the same */
    cr_assert_eq(a.run_bytes[SR_SERVER], a.run_bytes[SR_CLIENT]);
    cr_assert_gt(a.run_bytes[SR_SERVER], 0);
}

Test(eval, bench_ops_match_the_twin)
{
    static const char *const ops[] = {"exp",   "sigmoid", "tanh",
                                      "recip", "rsqrt",   "div"};
    for (size_t i = 0; i < 6; i++)
        run_op(ops[i], 700, 16, 12, 16, 12);
    /* other formats, including bw_out = s_out + 1 */
    run_op("sigmoid", 300, 12, 8, 9, 8);
    run_op("tanh", 300, 12, 8, 10, 8);
    run_op("exp", 300, 20, 10, 14, 13);
    run_op("rsqrt", 300, 20, 10, 16, 8);
}

Test(eval, bench_validate)
{
    const sr_bench_op *op = sr_bench_find("sigmoid");
    cr_assert_not_null(op);
    cr_assert_eq(op->params,
                 SR_BP_BW_IN | SR_BP_SCALE_IN | SR_BP_BW_OUT | SR_BP_SCALE_OUT);
    sr_bench_params p;
    sr_bench_params_defaults(&p, op);
    char err[200] = "";
    cr_assert_eq(op->validate(&p, err, sizeof err), SR_OK);
    cr_assert_eq(p.bw_out, 16); /* the math default, not bench's 32 */
    cr_assert_eq(p.bw_in, 16);
    cr_assert_eq(p.scale_in, 12);
    cr_assert_eq(p.scale_out, 12);
    p.scale_out = 16;
    p.given |= SR_BP_BW_OUT;
    cr_assert_eq(op->validate(&p, err, sizeof err), SR_EUSAGE);
    op = sr_bench_find("recip");
    sr_bench_params_defaults(&p, op);
    p.bw_in = p.bw_out = 32;
    p.scale_in = p.scale_out = 16;
    p.given = SR_BP_BW_OUT;
    cr_assert_eq(op->validate(&p, err, sizeof err), SR_OK); /* t = 1 */
    p.bw_out = 48; /* r P would exceed 64 bits */
    err[0] = '\0';
    cr_assert_eq(op->validate(&p, err, sizeof err), SR_EUSAGE);
    cr_assert_str_eq(err, "formats (32, 16) -> (48, 16) are not supported by "
                          "recip (docs/math.md, Limits)");
}

Test(eval, formats_check)
{
    char err[200];
    for (int fn = SR_MATH_EXP; fn <= SR_MATH_RSQRT; fn++)
        cr_assert_eq(sr_eval_formats_check(fn, 0, sr_fx_make(16, 12),
                                           sr_fx_make(16, 12), err, sizeof err),
                     SR_OK, "%s", sr_mathfn_name((sr_mathfn)fn));
    cr_assert_eq(sr_eval_formats_check(0, 1, sr_fx_make(16, 12),
                                       sr_fx_make(16, 12), err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_eval_formats_check(SR_MATH_RSQRT, 0, sr_fx_make(32, 16),
                                       sr_fx_make(32, 16), err, sizeof err),
                 SR_OK);
    cr_assert_eq(sr_eval_formats_check(SR_MATH_RECIP, 0, sr_fx_make(32, 16),
                                       sr_fx_make(32, 16), err, sizeof err),
                 SR_OK); /* one iteration (docs/math.md) */
    cr_assert_eq(sr_eval_formats_check(SR_MATH_RECIP, 0, sr_fx_make(32, 16),
                                       sr_fx_make(48, 16), err, sizeof err),
                 SR_EUSAGE);
    cr_assert_eq(sr_eval_formats_check(0, 1, sr_fx_make(32, 16),
                                       sr_fx_make(32, 16), err, sizeof err),
                 SR_EUSAGE);
    cr_assert_str_eq(err, "formats (32, 16) -> (32, 16) are not supported by "
                          "div (docs/math.md, Limits)");
}

Test(eval, domains)
{
    cr_assert(sr_eval_in_domain(SR_MATH_EXP, 0));
    cr_assert(sr_eval_in_domain(SR_MATH_EXP, -32768));
    cr_assert(!sr_eval_in_domain(SR_MATH_EXP, 1));
    for (int fn = SR_MATH_RECIP; fn <= SR_MATH_RSQRT; fn++) {
        cr_assert(!sr_eval_in_domain((sr_mathfn)fn, 0));
        cr_assert(!sr_eval_in_domain((sr_mathfn)fn, -1));
        cr_assert(sr_eval_in_domain((sr_mathfn)fn, 1));
    }
    cr_assert(sr_eval_in_domain(SR_MATH_SIGMOID, -32768));
    cr_assert(sr_eval_in_domain(SR_MATH_TANH, 32767));
}
