/*
 * tests/test_heads_fmt.c -- the "fixed_point" object of an rnnpool-heads
 * model (jobs/heads_fmt.h): the default formats round-trip, every key is
 * required and checked, and formats the layers cannot run are refused with
 * the key named (never an abort).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "jobs/heads_fmt.h"

static void
setup(void)
{
    alarm(60);
}

TestSuite(heads_fmt, .init = setup);

static int
fmt_eq(const sr_heads_fmt *a, const sr_heads_fmt *b)
{
    const sr_fx *x = (const sr_fx *)a, *y = (const sr_fx *)b;
    for (size_t i = 0; i < sizeof *a / sizeof(sr_fx); i++)
        if (x[i].bw != y[i].bw || x[i].s != y[i].s)
            return 0;
    return 1;
}

/* The default object with one entry replaced (sec NULL: top level); a
 * NULL value deletes it. */
static json_t *
edited(const char *sec, const char *key, json_t *val)
{
    sr_heads_fmt d;
    sr_heads_fmt_default(&d);
    json_t *o = sr_heads_fixed_point_json(&d);
    json_t *where = sec != NULL ? json_object_get(o, sec) : o;
    cr_assert_not_null(where);
    if (val == NULL)
        json_object_del(where, key);
    else
        json_object_set_new(where, key, val);
    return o;
}

static void
expect_error(json_t *o, const char *want)
{
    sr_heads_fmt f;
    char err[512] = "";
    cr_assert_eq(
        sr_heads_fixed_point_parse(&f, o, "m/model.json", err, sizeof err),
        SR_EUSAGE, "accepted (expected \"%s\")", want);
    cr_assert(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err,
              want);
    cr_assert(strncmp(err, "sirnn: m/model.json: fixed_point", 32) == 0, "%s",
              err);
    cr_assert(strchr(err, '\n') == NULL);
    json_decref(o);
}

static json_t *
fx(int bw, int s)
{
    return json_pack("{s:i, s:i}", "bw", bw, "scale", s);
}

Test(heads_fmt, default_round_trip)
{
    sr_heads_fmt d, f;
    sr_heads_fmt_default(&d);
    char err[256] = "";
    cr_assert_eq(sr_heads_fmt_check(&d, err, sizeof err), SR_OK, "%s", err);
    json_t *o = sr_heads_fixed_point_json(&d);
    memset(&f, 0xff, sizeof f);
    cr_assert_eq(sr_heads_fixed_point_parse(&f, o, "m", err, sizeof err), SR_OK,
                 "%s", err);
    cr_assert(fmt_eq(&f, &d));
    json_decref(o);
    /* absent object: the defaults */
    memset(&f, 0xff, sizeof f);
    cr_assert_eq(sr_heads_model_fmt(&f, NULL, "m", err, sizeof err), SR_OK);
    cr_assert(fmt_eq(&f, &d));
}

Test(heads_fmt, other_formats_accepted)
{
    /* a coarser act and a wider rsqrt output still run */
    json_t *o = edited("tensors", "act", fx(16, 10));
    json_object_set_new(json_object_get(o, "tensors"), "r", fx(28, 18));
    json_object_set_new(json_object_get(o, "tensors"), "l2", fx(16, 13));
    sr_heads_fmt f;
    char err[256] = "";
    cr_assert_eq(sr_heads_fixed_point_parse(&f, o, "m", err, sizeof err), SR_OK,
                 "%s", err);
    cr_assert_eq(f.act.s, 10);
    cr_assert_eq(f.rnn.x.s, 10); /* RNNPool reads the activations */
    cr_assert_eq(f.r.bw, 28);
    json_decref(o);
}

Test(heads_fmt, structure_errors)
{
    expect_error(edited(NULL, "version", json_integer(2)), "version");
    expect_error(edited(NULL, "calibration", json_object()),
                 "fixed_point.calibration: unknown key");
    expect_error(edited(NULL, "input", NULL), "fixed_point.input: missing");
    expect_error(edited(NULL, "tensors", json_string("x")),
                 "fixed_point.tensors: expected an object");
    expect_error(edited("tensors", "rnn.a", NULL),
                 "fixed_point.tensors.rnn.a: missing");
    expect_error(edited("weights", "rnn3.W", fx(16, 14)),
                 "fixed_point.weights.rnn3.W: unknown key");
    expect_error(edited("tensors", "act", json_integer(16)),
                 "fixed_point.tensors.act: expected {\"bw\"");
    expect_error(edited("tensors", "act", fx(16, 70)),
                 "fixed_point.tensors.act: bw must be 1..64");
    expect_error(json_string("no"), "fixed_point: expected an object");
}

Test(heads_fmt, constraint_errors)
{
    expect_error(edited(NULL, "input", fx(32, 14)), "input: expected bw 16");
    expect_error(edited("tensors", "out", fx(24, 10)),
                 "tensors.out: expected bw 16 and scale 0..15");
    json_t *o = edited("weights", "rnn1.W", fx(16, 3));
    json_object_set_new(json_object_get(o, "tensors"), "rnn.a", fx(16, 15));
    expect_error(o, "tensors.rnn.a: needs s(rnn.a) <= s(act) + s(rnn1.W) "
                    "(found 15 > 14");
    expect_error(edited("tensors", "rnn.h", fx(16, 10)),
                 "tensors.rnn.h: needs s(act) <= s(rnn.h)");
    expect_error(edited("tensors", "ss", fx(32, 23)),
                 "tensors.ss: needs s(ss) <= 2 s(act)");
    expect_error(edited("tensors", "ss", fx(63, 16)), "tensors.ss: expected");
    expect_error(edited("tensors", "r", fx(50, 16)), "tensors.r: expected");
    expect_error(edited("tensors", "r", fx(24, 2)),
                 "tensors.l2: needs s(l2) <= s(act) + s(r)");
    /* a math plan the algorithms cannot serve (docs/math.md, Limits) */
    expect_error(edited("tensors", "ss", fx(60, 20)),
                 "tensors.r: rsqrt cannot run at these formats");
}
