/*
 * tests/test_msnzb.c -- one-hot MSNZB against floor(log2 x) (none for x = 0)
 * for a grid of (bw, d), with traffic equal to the formula in msnzb.h.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/and.h"
#include "protocols/digdec.h"
#include "protocols/msnzb.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(msnzb, .init = arm_alarm);

static uint64_t
rnd64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* docs/ot.md: 1-of-2^m OT, 32 B per instance from the receiver, packed
 * rows per chunk of 4096 from the sender. */
static uint64_t
kk_bytes(size_t n, unsigned m, unsigned l)
{
    size_t pr = (size_t)1 << m;
    if (n == 0)
        return 0;
    return 32 * (uint64_t)n + (uint64_t)(n / 4096) * (4096 * pr * l / 8) +
           ((n % 4096) * pr * l + 7) / 8;
}

static unsigned
ceil_log2(unsigned v)
{
    unsigned k = 0;
    while ((1u << k) < v)
        k++;
    return k;
}

struct run {
    int blocks;
    size_t n;
    unsigned bw, d;
    uint64_t *x[2];
    uint8_t *z[2];
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
    size_t lo = all->n * L->id / all->nlanes;
    size_t hi = all->n * (L->id + 1) / all->nlanes;
    const size_t n = hi - lo;
    for (int q = 0; q < 2; q++) {
        c->x[q] = all->x[q] + lo;
        c->z[q] = all->z[q] + lo * all->bw;
    }
    const unsigned k = sr_digdec_count(c->bw, c->d), de = ceil_log2(c->d);
    sr_chan_flush(&L->chan);
    sr_chan_stats before = sr_lane_stats(L);
    if (!c->blocks) {
        rc = sr_msnzb(L, n, c->z[r], c->x[r], c->bw, c->d);
    } else if (c->bw > 1) {
        /* the non-OT blocks: DigDec, k-2 ANDs of n and one of k n,
         * MUX_delta on k n */
        uint64_t *t = calloc(k * n + 1, 8);
        uint8_t *a = calloc(k * n + 1, 1);
        rc = sr_digdec(L, n, t, c->x[r], c->bw, c->d);
        for (unsigned i = 2; i < k && rc == SR_OK; i++)
            rc = sr_and(L, n, a, a, a);
        if (rc == SR_OK && k > 1)
            rc = sr_and(L, k * n, a, a, a);
        if (rc == SR_OK && de > 0)
            rc = sr_mux(L, k * n, t, a, t, de);
        free(t);
        free(a);
    }
    sr_chan_flush(&L->chan);
    all->sent[L->id][r] =
        sr_chan_stats_diff(sr_lane_stats(L), before).bytes_sent;
    return rc;
}

/* The OT part of the formula: KK per call of at most sr_msnzb_rows rows. */
static uint64_t
kk_calls(size_t rows, unsigned m, unsigned l)
{
    uint64_t b = 0;
    for (size_t q = 0; q < rows; q += sr_msnzb_rows(m))
        b += kk_bytes(rows - q < sr_msnzb_rows(m) ? rows - q : sr_msnzb_rows(m),
                      m, l);
    return b;
}

static uint64_t
ot_part(size_t n, unsigned bw, unsigned d)
{
    const unsigned k = sr_digdec_count(bw, d), de = ceil_log2(d);
    const unsigned ga = ceil_log2(k), dl = bw - (k - 1) * d;
    if (bw == 1)
        return 0;
    return kk_calls((k - 1) * n, d, de + 1) + kk_calls(n, dl, de + 1) +
           kk_calls(n, de + ga, bw);
}

struct param {
    size_t n;
    unsigned bw, d;
};

ParameterizedTestParameters(msnzb, matches_cleartext)
{
    static struct param p[] = {
        {0, 16, 8},   {1, 16, 8},   {1001, 16, 8},      {1001, 32, 8},
        {333, 64, 8}, {333, 63, 7}, {333, 17, 8},       {333, 12, 5},
        {333, 8, 8},  {333, 2, 1},  {333, 1, 1},        {333, 5, 2},
        {333, 5, 8},  {333, 3, 7},  {4096 + 77, 16, 4}, {12001, 32, 8},
        {333, 64, 1}, {333, 64, 2}, {333, 64, 3},       {333, 9, 8},
    };
    return cr_make_param_array(struct param, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct param *p, msnzb, matches_cleartext)
{
    const size_t n = p->n, N = n + 1;
    const unsigned bw = p->bw, d = p->d;
    uint64_t seed = sr_test_seed() ^ (n * 131 + bw * 7 + d);
    uint64_t *x = calloc(N, 8);
    struct run c = {.n = n, .bw = bw, .d = d, .nlanes = n > 500 ? 2 : 1};
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(N, 8);
        c.z[r] = calloc(N * bw, 1);
    }
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++) {
        if (i < 2 * bw + 2) /* 0, then every 2^k and 2^k - 1 */
            x[i] = i == 0 ? 0
                          : ((uint64_t)1 << ((i - 1) / 2 % bw)) - ((i - 1) % 2);
        else /* random magnitude */
            x[i] = rnd64(&seed) >> (rnd64(&seed) % 64);
        x[i] &= mk;
        uint64_t a = rnd64(&seed) & mk;
        if (i % 5 == 1)
            a = 0;
        c.x[SR_ALICE][i] = a;
        c.x[SR_BOB][i] = (x[i] - a) & mk;
    }
    sr_test_opts o = {.nlanes = c.nlanes, .seeded = 1, .seed = sr_test_seed()};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    for (size_t j = 0; j < n; j++) {
        unsigned want = x[j] ? 63u - (unsigned)__builtin_clzll(x[j]) : 0;
        for (unsigned b = 0; b < bw; b++) {
            uint8_t got = c.z[0][j * bw + b] ^ c.z[1][j * bw + b];
            cr_assert_eq(got, x[j] != 0 && b == want, "x=%llx bit %u",
                         (unsigned long long)x[j], b);
        }
    }
    uint64_t bytes = 0, e = 0;
    for (unsigned l = 0; l < c.nlanes; l++)
        bytes += c.sent[l][0] + c.sent[l][1];
    struct run b = c;
    b.blocks = 1;
    memset(b.sent, 0, sizeof b.sent);
    cr_assert_eq(sr_test_run(party, &b, &o), SR_OK);
    for (unsigned l = 0; l < c.nlanes; l++)
        e += b.sent[l][0] + b.sent[l][1] +
             ot_part(n * (l + 1) / c.nlanes - n * l / c.nlanes, bw, d);
    cr_assert_eq(bytes, e, "bytes %llu vs %llu", (unsigned long long)bytes,
                 (unsigned long long)e);
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.z[r]);
    }
    free(x);
}
