/*
 * tests/test_trunc.c -- TR, LRS, ARS (with and without known MSBs) and
 * DivPow2 against cleartext definitions (floor / toward zero); traffic
 * equals the sum of the blocks the header lists, each run alone.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/and.h"
#include "protocols/b2a.h"
#include "protocols/mill.h"
#include "protocols/ot.h"
#include "protocols/trunc.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(trunc, .init = arm_alarm);

static uint64_t
sext(uint64_t x, unsigned m)
{
    x &= sr_mask(m);
    if (m < 64 && (x >> (m - 1)))
        x |= ~sr_mask(m);
    return x;
}

enum op { OP_TR, OP_LRS, OP_ARS, OP_DIV };

struct run {
    enum op op;
    int blocks; /* 1: run the header's blocks instead */
    size_t n;
    unsigned bw, s, flags, inplace;
    uint64_t *x[2], *y[2];
    uint8_t *msb[2];
    unsigned nlanes;     /* lane pairs; lane l takes its slice of n */
    uint64_t sent[4][2]; /* [lane][role] */
};

/* The blocks listed in trunc.h for op, on this lane's (dummy) inputs. */
static int
blocks(sr_lane *L, struct run *c)
{
    const size_t n = c->n;
    const unsigned bw = c->bw, s = c->s;
    sr_role r = L->role;
    uint8_t *b1 = calloc(n + 1, 1), *b2 = calloc(n + 1, 1);
    uint64_t *a = calloc(n + 1, 8);
    int rc = SR_OK;
    if (s == 0)
        goto out;
    if (c->op == OP_TR) {
        rc = sr_wrap(L, n, b1, c->x[r], s);
        if (rc == SR_OK)
            rc = sr_b2a(L, n, a, b1, bw - s);
        goto out;
    }
    if (c->op == OP_DIV) {
        uint64_t *a2 = calloc(2 * n + 1, 8);
        uint8_t *b3 = calloc(2 * n + 1, 1);
        rc = sr_mill_eq(L, n, b1, b2, c->x[r], s);
        if (rc == SR_OK)
            rc = sr_and(L, n, b1, b1, b2);
        if (rc == SR_OK && bw - s > 1 && c->flags == SR_MSB_NONE)
            rc = sr_mill_eq(L, n, b1, b2, c->x[r], bw - s - 1);
        if (rc == SR_OK && bw - s > 1 && c->flags == SR_MSB_NONE)
            rc = sr_and(L, n, b1, b1, b2);
        if (rc == SR_OK)
            rc = sr_msb_to_wrap(L, n, b1, c->x[r], b2, bw,
                                c->flags == SR_MSB_PUBLIC ? SR_MSB_PUBLIC
                                                          : SR_MSB_SHARED);
        if (rc == SR_OK && c->flags != SR_MSB_PUBLIC)
            rc = sr_and(L, n, b1, b1, b2);
        if (rc == SR_OK)
            rc = sr_b2a(L, 2 * n, a2, b3, bw);
        if (rc == SR_OK)
            rc = sr_b2a(L, n, a, b1, s);
        free(a2);
        free(b3);
        goto out;
    }
    if (rc == SR_OK)
        rc = sr_wrap(L, n, b1, c->x[r], s);
    unsigned f = c->flags;
    if (rc == SR_OK && f == SR_MSB_NONE) {
        rc = sr_mill_eq(L, n, b1, b2, c->x[r], bw - s);
        if (rc == SR_OK)
            rc = sr_and(L, n, b1, b1, b2);
    } else if (rc == SR_OK) {
        rc = sr_msb_to_wrap(L, n, b1, c->x[r], b2, bw, f);
    }
    if (rc == SR_OK)
        rc = sr_b2a(L, n, a, b1, bw);
    if (rc == SR_OK)
        rc = sr_b2a(L, n, a, b1, s);
out:
    free(b1);
    free(b2);
    free(a);
    return rc;
}

static int
party(sr_lane *L, void *arg)
{
    struct run *all = arg, lc = *all, *c = &lc;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_role r = L->role;
    /* this lane's slice (lane 1 has the server as Bob) */
    size_t lo = all->n * L->id / all->nlanes;
    size_t hi = all->n * (L->id + 1) / all->nlanes;
    c->n = hi - lo;
    for (int q = 0; q < 2; q++) {
        c->x[q] = all->x[q] + lo;
        c->y[q] = all->y[q] + lo;
        c->msb[q] = all->msb[q] ? all->msb[q] + lo : NULL;
    }
    sr_chan_flush(&L->chan);
    sr_chan_stats before = sr_lane_stats(L);
    uint64_t *y = c->inplace ? c->x[r] : c->y[r];
    if (c->blocks) {
        rc = blocks(L, c);
    } else {
        switch (c->op) {
        case OP_TR:
            rc = sr_trunc_reduce(L, c->n, y, c->x[r], c->bw, c->s);
            break;
        case OP_LRS:
            rc = sr_trunc_lrs(L, c->n, y, c->x[r], c->msb[r], c->bw, c->s,
                              c->flags);
            break;
        case OP_ARS:
            rc = sr_trunc_ars(L, c->n, y, c->x[r], c->msb[r], c->bw, c->s,
                              c->flags);
            break;
        case OP_DIV:
            rc = sr_trunc_divpow2(L, c->n, y, c->x[r], c->msb[r], c->bw, c->s,
                                  c->flags);
            break;
        }
    }
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), before);
    all->sent[L->id][r] = d.bytes_sent;
    return rc;
}

static uint64_t
total(const struct run *c)
{
    uint64_t t = 0;
    for (unsigned l = 0; l < c->nlanes; l++)
        t += c->sent[l][0] + c->sent[l][1];
    return t;
}

static uint64_t
want(enum op op, uint64_t x, unsigned bw, unsigned s)
{
    switch (op) {
    case OP_TR:
        return (x >> s) & sr_mask(bw - s);
    case OP_LRS:
        return x >> s;
    case OP_ARS:
        return (uint64_t)((int64_t)sext(x, bw) >> s) & sr_mask(bw);
    case OP_DIV: {
        int64_t v = (int64_t)sext(x, bw);
        uint64_t q;
        if (v >= 0) {
            q = (uint64_t)v >> s;
        } else {
            uint64_t mag = (uint64_t)0 - (uint64_t)v;
            q = (uint64_t)0 - (mag >> s);
        }
        return q & sr_mask(bw);
    }
    }
    return 0;
}

struct param {
    enum op op;
    size_t n;
    unsigned bw, s, flags, inplace;
};

ParameterizedTestParameters(trunc, matches_cleartext)
{
    static struct param p[] = {
        {OP_TR, 0, 32, 12, SR_MSB_NONE, 0},
        {OP_TR, 1001, 32, 12, SR_MSB_NONE, 0},
        {OP_TR, 1001, 32, 0, SR_MSB_NONE, 0},
        {OP_TR, 1001, 32, 31, SR_MSB_NONE, 1},
        {OP_TR, 333, 2, 1, SR_MSB_NONE, 0},
        {OP_TR, 333, 64, 63, SR_MSB_NONE, 0},
        {OP_TR, 333, 64, 17, SR_MSB_NONE, 0},
        {OP_LRS, 1001, 32, 12, SR_MSB_NONE, 0},
        {OP_LRS, 1001, 32, 12, SR_MSB_PUBLIC, 1},
        {OP_LRS, 1001, 32, 12, SR_MSB_SHARED, 0},
        {OP_LRS, 333, 2, 1, SR_MSB_NONE, 0},
        {OP_LRS, 333, 64, 63, SR_MSB_NONE, 0},
        {OP_LRS, 333, 64, 1, SR_MSB_SHARED, 0},
        {OP_LRS, 333, 16, 0, SR_MSB_NONE, 0},
        {OP_ARS, 1001, 32, 12, SR_MSB_NONE, 0},
        {OP_ARS, 1001, 32, 12, SR_MSB_PUBLIC, 0},
        {OP_ARS, 1001, 32, 12, SR_MSB_SHARED, 1},
        {OP_ARS, 333, 2, 1, SR_MSB_NONE, 0},
        {OP_ARS, 333, 64, 63, SR_MSB_NONE, 0},
        {OP_ARS, 333, 64, 5, SR_MSB_PUBLIC, 0},
        {OP_ARS, 333, 16, 15, SR_MSB_SHARED, 0},
        {OP_ARS, 4096 + 101, 16, 7, SR_MSB_NONE, 0},
        {OP_DIV, 1001, 32, 12, SR_MSB_NONE, 0},
        {OP_DIV, 1001, 32, 12, SR_MSB_NONE, 1},
        {OP_DIV, 333, 2, 1, SR_MSB_NONE, 0},
        {OP_DIV, 333, 64, 63, SR_MSB_NONE, 0},
        {OP_DIV, 333, 64, 1, SR_MSB_NONE, 0},
        {OP_DIV, 333, 16, 0, SR_MSB_NONE, 0},
        {OP_DIV, 333, 16, 15, SR_MSB_NONE, 0},
        {OP_DIV, 1001, 32, 12, SR_MSB_PUBLIC, 0},
        {OP_DIV, 1001, 32, 12, SR_MSB_SHARED, 1},
        {OP_DIV, 333, 2, 1, SR_MSB_SHARED, 0},
        {OP_DIV, 333, 64, 63, SR_MSB_PUBLIC, 0},
    };
    return cr_make_param_array(struct param, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct param *p, trunc, matches_cleartext)
{
    const size_t n = p->n, N = n + 1;
    const unsigned bw = p->bw, s = p->s;
    uint64_t seed = sr_test_seed() ^ (n * 131 + bw * 7 + s + p->op * 1009);
    uint64_t *x = calloc(N, 8);
    struct run c = {.nlanes = n > 500 ? 2 : 1,
                    .op = p->op,
                    .n = n,
                    .bw = bw,
                    .s = s,
                    .flags = p->flags,
                    .inplace = p->inplace};
    uint8_t *keep[2];
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(N, 8);
        c.y[r] = calloc(N, 8);
        keep[r] = c.msb[r] = calloc(N, 1);
    }
    const uint64_t mk = sr_mask(bw), ms = sr_mask(s);
    const uint64_t edges[] = {
        0,  1,      mk,      mk >> 1,        (mk >> 1) + 1,
        ms, ms + 1, mk - ms, (mk - ms) & mk, 2};
    for (size_t i = 0; i < n; i++) {
        x[i] = (i < 10 ? edges[i] : sr_test_rand64(&seed)) & mk;
        if (i >= 10 && i % 9 == 0)
            x[i] &= ~ms; /* exact multiples of 2^s */
        uint64_t a = sr_test_rand64(&seed) & mk;
        if (i % 7 == 1)
            a = 0;
        if (i % 7 == 2)
            a = mk;
        if (i % 7 == 3)
            a = x[i];
        if (i % 7 == 4)
            a = (x[i] & ms) | (sr_test_rand64(&seed) & ~ms & mk); /* low no carry */
        c.x[SR_ALICE][i] = a;
        c.x[SR_BOB][i] = (x[i] - a) & mk;
        uint8_t b = (uint8_t)((x[i] >> (bw - 1)) & 1);
        if (p->flags == SR_MSB_PUBLIC) {
            c.msb[0][i] = c.msb[1][i] = b;
        } else {
            uint8_t t = (uint8_t)(sr_test_rand64(&seed) & 1);
            c.msb[0][i] = t;
            c.msb[1][i] = t ^ b;
        }
    }
    if (p->flags == SR_MSB_NONE)
        c.msb[0] = c.msb[1] = NULL;

    sr_test_opts o = {.nlanes = c.nlanes, .seeded = 1, .seed = sr_test_seed()};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    const unsigned ow = p->op == OP_TR ? bw - s : bw;
    for (size_t i = 0; i < n; i++) {
        uint64_t *ya = p->inplace ? c.x[0] : c.y[0];
        uint64_t *yb = p->inplace ? c.x[1] : c.y[1];
        uint64_t got = (ya[i] + yb[i]) & sr_mask(ow);
        uint64_t w = want(p->op, x[i], bw, s);
        cr_assert_eq(got, w, "op=%d i=%zu x=%llx bw=%u s=%u got=%llx want=%llx",
                     p->op, i, (unsigned long long)x[i], bw, s,
                     (unsigned long long)got, (unsigned long long)w);
        cr_assert_eq(ya[i] & ~sr_mask(ow), 0);
        cr_assert_eq(yb[i] & ~sr_mask(ow), 0);
    }

    uint64_t bytes = total(&c);
    struct run b = c;
    b.blocks = 1;
    memset(b.sent, 0, sizeof b.sent);
    b.msb[0] = keep[0];
    b.msb[1] = keep[1];
    cr_assert_eq(sr_test_run(party, &b, &o), SR_OK);
    cr_assert_eq(bytes, total(&b), "bytes %llu vs blocks %llu",
                 (unsigned long long)bytes, (unsigned long long)total(&b));
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y[r]);
        free(keep[r]);
    }
    free(x);
}
