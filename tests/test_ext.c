/*
 * tests/test_ext.c -- ZExt / SExt (and the starred known-MSB variants)
 * against their cleartext definitions; traffic equals the sum of the
 * blocks the header lists (each block run alone on the same sizes).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/b2a.h"
#include "protocols/ext.h"
#include "protocols/mill.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(ext, .init = arm_alarm);

static uint64_t
sext(uint64_t x, unsigned m)
{
    x &= sr_mask(m);
    if (m < 64 && (x >> (m - 1)))
        x |= ~sr_mask(m);
    return x;
}

enum op { OP_ZEXT, OP_SEXT, OP_BLOCKS };

struct run {
    enum op op;
    size_t n;
    unsigned m, bw, flags, inplace;
    uint64_t *x[2], *y[2];
    uint8_t *msb[2];
    unsigned nlanes;     /* lane pairs; lane l takes its slice of n */
    uint64_t sent[4][2]; /* [lane][role] */
};

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
    switch (c->op) {
    case OP_ZEXT:
        rc = sr_ext_zero(L, c->n, y, c->x[r], c->msb[r], c->m, c->bw, c->flags);
        break;
    case OP_SEXT:
        rc = sr_ext_signed(L, c->n, y, c->x[r], c->msb[r], c->m, c->bw,
                           c->flags);
        break;
    case OP_BLOCKS: {
        /* the blocks of the header's traffic line, on the same sizes */
        uint8_t *w = calloc(c->n + 1, 1);
        uint64_t *a = calloc(c->n + 1, 8);
        if (c->flags == SR_MSB_NONE)
            rc = sr_wrap(L, c->n, w, c->x[r], c->m);
        else
            rc = sr_msb_to_wrap(L, c->n, w, c->x[r], c->msb[r], c->m, c->flags);
        if (rc == SR_OK && c->bw > c->m)
            rc = sr_b2a(L, c->n, a, w, c->bw - c->m);
        free(w);
        free(a);
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

struct param {
    size_t n;
    unsigned m, bw, flags, sgn, inplace;
};

ParameterizedTestParameters(ext, matches_cleartext)
{
    static struct param p[] = {
        {0, 8, 16, SR_MSB_NONE, 0, 0},
        {1, 1, 2, SR_MSB_NONE, 0, 0},
        {1, 1, 2, SR_MSB_NONE, 1, 0},
        {333, 1, 64, SR_MSB_NONE, 1, 0},
        {333, 1, 7, SR_MSB_SHARED, 0, 0},
        {1001, 16, 32, SR_MSB_NONE, 0, 0},
        {1001, 16, 32, SR_MSB_NONE, 1, 1},
        {1001, 16, 32, SR_MSB_PUBLIC, 1, 0},
        {1001, 16, 32, SR_MSB_SHARED, 1, 0},
        {1001, 16, 32, SR_MSB_PUBLIC, 0, 0},
        {1001, 16, 32, SR_MSB_SHARED, 0, 1},
        {777, 32, 64, SR_MSB_NONE, 0, 0},
        {777, 32, 64, SR_MSB_NONE, 1, 0},
        {777, 63, 64, SR_MSB_SHARED, 1, 0},
        {777, 63, 64, SR_MSB_NONE, 0, 0},
        {500, 12, 12, SR_MSB_NONE, 1, 0},
        {500, 64, 64, SR_MSB_NONE, 0, 0},
        {4096 + 101, 8, 31, SR_MSB_NONE, 1, 0},
        {300, 5, 9, SR_MSB_PUBLIC, 1, 1},
    };
    return cr_make_param_array(struct param, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct param *p, ext, matches_cleartext)
{
    const size_t n = p->n, N = n + 1;
    const unsigned m = p->m, bw = p->bw;
    uint64_t seed = sr_test_seed() ^ (n * 131 + m * 7 + bw + p->flags * 3);
    uint64_t *x = calloc(N, 8);
    struct run c = {.nlanes = n > 500 ? 2 : 1,
                    .op = p->sgn ? OP_SEXT : OP_ZEXT,
                    .n = n,
                    .m = m,
                    .bw = bw,
                    .flags = p->flags,
                    .inplace = p->inplace};
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(N, 8);
        c.y[r] = calloc(N, 8);
        c.msb[r] = calloc(N, 1);
    }
    const uint64_t mm = sr_mask(m);
    const uint64_t edges[] = {0, 1, mm, mm >> 1, (mm >> 1) + 1, 2};
    for (size_t i = 0; i < n; i++) {
        x[i] = (i < 6 ? edges[i] : sr_test_rand64(&seed)) & mm;
        uint64_t a = sr_test_rand64(&seed) & mm;
        if (i % 7 == 1)
            a = 0; /* no wrap */
        if (i % 7 == 2)
            a = mm; /* wraps unless x = mm */
        if (i % 7 == 3)
            a = x[i]; /* Bob's share 0 */
        c.x[SR_ALICE][i] = a;
        c.x[SR_BOB][i] = (x[i] - a) & mm;
        uint8_t b = (uint8_t)((x[i] >> (m - 1)) & 1);
        if (p->flags == SR_MSB_PUBLIC) {
            c.msb[0][i] = c.msb[1][i] = b;
        } else {
            uint8_t s = (uint8_t)(sr_test_rand64(&seed) & 1);
            c.msb[0][i] = s;
            c.msb[1][i] = s ^ b;
        }
    }
    uint8_t *keep[2] = {c.msb[0], c.msb[1]};
    if (p->flags == SR_MSB_NONE)
        c.msb[0] = c.msb[1] = NULL;

    sr_test_opts o = {.nlanes = c.nlanes, .seeded = 1, .seed = sr_test_seed()};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    for (size_t i = 0; i < n; i++) {
        uint64_t *ya = p->inplace ? c.x[0] : c.y[0];
        uint64_t *yb = p->inplace ? c.x[1] : c.y[1];
        uint64_t got = (ya[i] + yb[i]) & sr_mask(bw);
        uint64_t want = (p->sgn ? sext(x[i], m) : x[i]) & sr_mask(bw);
        cr_assert_eq(got, want, "i=%zu x=%llx m=%u bw=%u got=%llx", i,
                     (unsigned long long)x[i], m, bw, (unsigned long long)got);
        cr_assert_eq(ya[i] >> 1 >> (bw - 1), 0); /* reduced shares */
        cr_assert_eq(yb[i] >> 1 >> (bw - 1), 0);
    }
    uint64_t bytes = total(&c);

    /* traffic = the blocks of the header, run alone */
    if (bw > m || n == 0) {
        for (int r = 0; r < 2 && p->inplace; r++) /* fresh valid shares */
            memset(c.x[r], 0, N * 8);
        struct run b = c;
        b.op = OP_BLOCKS;
        memset(b.sent, 0, sizeof b.sent);
        cr_assert_eq(sr_test_run(party, &b, &o), SR_OK);
        cr_assert_eq(bytes, total(&b), "bytes %llu vs %llu",
                     (unsigned long long)bytes, (unsigned long long)total(&b));
    } else {
        cr_assert_eq(bytes, 0);
    }
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y[r]);
        free(keep[r]);
    }
    free(x);
}
