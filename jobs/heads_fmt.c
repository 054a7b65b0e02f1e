/*
 * jobs/heads_fmt.c -- "fixed_point" of an rnnpool-heads model (see
 * heads_fmt.h).
 */
#include "jobs/heads_fmt.h"

#include <stdio.h>
#include <string.h>

#include "jobs/eval.h"
#include "jobs/quantise.h"
#include "math/plan.h"

/* The entries of f, in schema order; returns the count. */
static size_t
entries(sr_fp_entry *e, sr_heads_fmt *f)
{
    const sr_fp_entry all[] = {
        {"weights", "rnn1.W", &f->rnn.W1}, {"weights", "rnn1.U", &f->rnn.U1},
        {"weights", "rnn2.W", &f->rnn.W2}, {"weights", "rnn2.U", &f->rnn.U2},
        {"tensors", "act", &f->act},       {"tensors", "rnn.a", &f->rnn.a},
        {"tensors", "rnn.z", &f->rnn.z},   {"tensors", "rnn.c", &f->rnn.c},
        {"tensors", "rnn.k", &f->rnn.k},   {"tensors", "rnn.h", &f->rnn.h},
        {"tensors", "ss", &f->ss},         {"tensors", "r", &f->r},
        {"tensors", "l2", &f->l2},         {"tensors", "out", &f->out},
    };
    const size_t n = sizeof all / sizeof all[0];
    memcpy(e, all, sizeof all);
    return n;
}

#define MAX_ENTRIES 16

static int
bad(char *err, size_t errlen, const char *key, const char *detail)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", key, detail);
    return SR_EUSAGE;
}

/* s_lo <= s_hi, named */
static int
le(char *err, size_t errlen, const char *key, unsigned lo, const char *lo_txt,
   unsigned hi, const char *hi_txt)
{
    if (lo <= hi)
        return SR_OK;
    char d[200];
    snprintf(d, sizeof d,
             "needs %s <= %s (found %u > %u: a truncation would shift left)",
             lo_txt, hi_txt, lo, hi);
    return bad(err, errlen, key, d);
}

/* see heads_fmt.h */
int
sr_heads_fmt_check(const sr_heads_fmt *f, char *err, size_t errlen)
{
    sr_heads_fmt c = *f;
    sr_fp_entry e[MAX_ENTRIES];
    const size_t n = entries(e, &c);
    char d[256];
    if (c.in.bw != 16 || c.in.s > 15)
        return bad(err, errlen, "input", "expected bw 16 and scale 0..15");
    for (size_t i = 0; i < n; i++) {
        const sr_fx x = *e[i].fx;
        const int wide = e[i].fx == &c.ss || e[i].fx == &c.r;
        if (wide)
            continue;
        if (x.bw != 16 || x.s > 15) {
            snprintf(d, sizeof d,
                     "expected bw 16 and scale 0..15, found "
                     "bw %u scale %u",
                     x.bw, x.s);
            char k[64];
            snprintf(k, sizeof k, "%s.%s", e[i].sec, e[i].key);
            return bad(err, errlen, k, d);
        }
    }
    if (c.ss.bw < 2 || c.ss.bw > 62 || c.ss.s >= c.ss.bw)
        return bad(err, errlen, "tensors.ss",
                   "expected bw 2..62 and scale < bw");
    if (c.r.bw < 2 || c.r.bw > 48 || c.r.s >= c.r.bw)
        return bad(err, errlen, "tensors.r",
                   "expected bw 2..48 and scale < bw");
    const sr_rnnpool_fmt *r = &c.rnn;
    int rc = le(err, errlen, "tensors.rnn.a", r->a.s, "s(rnn.a)",
                c.act.s + r->W1.s, "s(act) + s(rnn1.W)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.rnn.a", r->a.s, "s(rnn.a)",
                r->h.s + r->U1.s, "s(rnn.h) + s(rnn1.U)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.rnn.a", r->a.s, "s(rnn.a)",
                r->h.s + r->W2.s, "s(rnn.h) + s(rnn2.W)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.rnn.a", r->a.s, "s(rnn.a)",
                r->h.s + r->U2.s, "s(rnn.h) + s(rnn2.U)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.rnn.h", r->h.s, "s(rnn.h)",
                r->k.s + r->c.s, "s(rnn.k) + s(rnn.c)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.rnn.h", c.act.s, "s(act)", r->h.s,
                "s(rnn.h)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.ss", c.ss.s, "s(ss)", 2u * c.act.s,
                "2 s(act)");
    if (rc == SR_OK)
        rc = le(err, errlen, "tensors.l2", c.l2.s, "s(l2)", c.act.s + c.r.s,
                "s(act) + s(r)");
    if (rc != SR_OK)
        return rc;
    /* the math plans: sigmoid a -> z, tanh a -> c, rsqrt ss -> r */
    static const struct {
        int fn;
        const char *key;
    } fns[] = {{SR_MATH_SIGMOID, "tensors.rnn.z"},
               {SR_MATH_TANH, "tensors.rnn.c"},
               {SR_MATH_RSQRT, "tensors.r"}};
    const sr_fx fx[3][2] = {{r->a, r->z}, {r->a, r->c}, {c.ss, c.r}};
    for (size_t i = 0; i < 3; i++) {
        char why[200] = "";
        if (sr_eval_formats_check(fns[i].fn, 0, fx[i][0], fx[i][1], why,
                                  sizeof why) != 0) {
            snprintf(d, sizeof d, "%s cannot run at these formats: %.150s",
                     sr_mathfn_name((sr_mathfn)fns[i].fn), why);
            return bad(err, errlen, fns[i].key, d);
        }
    }
    return SR_OK;
}

/* see heads_fmt.h */
int
sr_heads_fixed_point_parse(sr_heads_fmt *f, const json_t *fp, const char *what,
                           char *err, size_t errlen)
{
    SR_REQUIRE(f != NULL && what != NULL);
    sr_heads_fmt c;
    sr_heads_fmt_default(&c);
    sr_fp_entry e[MAX_ENTRIES];
    const size_t n = entries(e, &c);
    int rc = sr_fixed_point_read(fp, &c.in, e, n, 0, what, err, errlen);
    if (rc != SR_OK)
        return rc;
    c.rnn.x = c.act;
    char why[400];
    if (sr_heads_fmt_check(&c, why, sizeof why) != SR_OK)
        return sr_fixed_point_error(err, errlen, what, "", why);
    *f = c;
    return SR_OK;
}

/* see heads_fmt.h */
int
sr_heads_model_fmt(sr_heads_fmt *f, const json_t *fp, const char *what,
                   char *err, size_t errlen)
{
    if (fp == NULL) {
        sr_heads_fmt_default(f);
        return SR_OK;
    }
    return sr_heads_fixed_point_parse(f, fp, what, err, errlen);
}

/* see heads_fmt.h */
json_t *
sr_heads_fixed_point_json(const sr_heads_fmt *f)
{
    sr_heads_fmt c = *f;
    sr_fp_entry e[MAX_ENTRIES];
    const size_t n = entries(e, &c);
    return sr_fixed_point_write(c.in, e, n);
}
