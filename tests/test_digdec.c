/*
 * tests/test_digdec.c -- digit decomposition against the cleartext digits
 * for a grid of (bw, d), with traffic equal to the blocks in digdec.h.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/and.h"
#include "protocols/b2a.h"
#include "protocols/digdec.h"
#include "protocols/mill.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(digdec, .init = arm_alarm);

static uint64_t
rnd64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct run {
    int blocks;
    size_t n;
    unsigned bw, d;
    uint64_t *x[2], *z[2];
    uint64_t sent[2];
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_role r = L->role;
    const unsigned k = sr_digdec_count(c->bw, c->d);
    sr_chan_flush(&L->chan);
    sr_chan_stats before = sr_lane_stats(L);
    if (!c->blocks) {
        rc = sr_digdec(L, c->n, c->z[r], c->x[r], c->bw, c->d);
    } else if (k > 1) {
        /* MillEq_d on n (k-1), (k-2) ANDs, B2A_d n (k-2), B2A_last n */
        size_t nl = c->n * (k - 1);
        uint8_t *a = calloc(nl + 1, 1), *b = calloc(nl + 1, 1);
        uint64_t *t = calloc(nl + 1, 8);
        rc = sr_mill_eq(L, nl, a, b, t, c->d);
        for (unsigned i = 2; i < k && rc == SR_OK; i++)
            rc = sr_and(L, c->n, a, a, b);
        if (rc == SR_OK && k > 2)
            rc = sr_b2a(L, c->n * (k - 2), t, a, c->d);
        if (rc == SR_OK)
            rc = sr_b2a(L, c->n, t, a, c->bw - (k - 1) * c->d);
        free(a);
        free(b);
        free(t);
    }
    sr_chan_flush(&L->chan);
    c->sent[r] = sr_chan_stats_diff(sr_lane_stats(L), before).bytes_sent;
    return rc;
}

struct param {
    size_t n;
    unsigned bw, d;
};

ParameterizedTestParameters(digdec, matches_cleartext)
{
    static struct param p[] = {
        {0, 32, 8},    {1, 32, 8},    {1001, 32, 8}, {1001, 16, 8},
        {777, 64, 8},  {777, 63, 8},  {777, 17, 8},  {777, 12, 5},
        {333, 8, 8},   {333, 1, 1},   {333, 2, 1},   {333, 64, 1},
        {333, 64, 64}, {333, 31, 30}, {333, 5, 8},   {4096 + 101, 16, 4},
    };
    return cr_make_param_array(struct param, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct param *p, digdec, matches_cleartext)
{
    const size_t n = p->n, N = n + 1;
    const unsigned bw = p->bw, d = p->d, k = sr_digdec_count(bw, d);
    uint64_t seed = sr_test_seed() ^ (n * 131 + bw * 7 + d);
    uint64_t *x = calloc(N, 8);
    struct run c = {.n = n, .bw = bw, .d = d};
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(N, 8);
        c.z[r] = calloc(N * k, 8);
    }
    const uint64_t mk = sr_mask(bw), md = sr_mask(d);
    const uint64_t edges[] = {0, 1, mk, md, md + 1, mk >> 1, mk - md};
    for (size_t i = 0; i < n; i++) {
        x[i] = (i < 7 ? edges[i] : rnd64(&seed)) & mk;
        uint64_t a = rnd64(&seed) & mk;
        if (i % 5 == 1)
            a = 0;
        if (i % 5 == 2) /* every digit sums to all ones */
            a = (mk - x[i]) & mk ? (x[i] & ~md) | (md - (x[i] & md)) : a;
        if (i % 5 == 3)
            a = mk;
        c.x[SR_ALICE][i] = a & mk;
        c.x[SR_BOB][i] = (x[i] - a) & mk;
    }
    sr_test_opts o = {.seeded = 1, .seed = sr_test_seed()};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    for (unsigned i = 0; i < k; i++) {
        unsigned w = i == k - 1 ? bw - (k - 1) * d : d;
        for (size_t j = 0; j < n; j++) {
            uint64_t got = (c.z[0][i * n + j] + c.z[1][i * n + j]) & sr_mask(w);
            uint64_t want = (x[j] >> (i * d)) & sr_mask(w);
            cr_assert_eq(got, want, "digit %u of x=%llx: %llx", i,
                         (unsigned long long)x[j], (unsigned long long)got);
            cr_assert_eq(c.z[0][i * n + j] & ~sr_mask(w), 0);
            cr_assert_eq(c.z[1][i * n + j] & ~sr_mask(w), 0);
        }
    }
    uint64_t bytes = c.sent[0] + c.sent[1];
    struct run b = c;
    b.blocks = 1;
    cr_assert_eq(sr_test_run(party, &b, &o), SR_OK);
    cr_assert_eq(bytes, b.sent[0] + b.sent[1], "bytes %llu vs %llu",
                 (unsigned long long)bytes,
                 (unsigned long long)(b.sent[0] + b.sent[1]));
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.z[r]);
    }
    free(x);
}
