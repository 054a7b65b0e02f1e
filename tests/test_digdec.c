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

struct run {
    size_t n;
    unsigned bw, d;
    uint64_t *x[2], *z[2];
    uint64_t sent[2], rounds[2];
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_role r = L->role;
    sr_chan_flush(&L->chan);
    /* Count the op's flights from a fresh state (as tests/test_mill.c). */
    L->chan.last = 0;
    sr_chan_stats before = sr_lane_stats(L);
    rc = sr_digdec(L, c->n, c->z[r], c->x[r], c->bw, c->d);
    sr_chan_flush(&L->chan);
    sr_chan_stats df = sr_chan_stats_diff(sr_lane_stats(L), before);
    c->sent[r] = df.bytes_sent;
    c->rounds[r] = df.rounds;
    return rc;
}

/* ---- traffic and rounds re-derived from digdec.h / ot.h ---- */
static uint64_t
cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t
kk_bytes(uint64_t k, unsigned m, unsigned l)
{
    return k ? 32 * k + cdiv(k * ((uint64_t)1 << m) * l, 8) : 0;
}

static uint64_t
cot_bytes(uint64_t k, unsigned l)
{
    return k ? 16 * k + cdiv(k * l, 8) : 0;
}

/* Mill&Eq of N comparisons at width d with X extra triples in its OT. */
static uint64_t
milleq_bytes(uint64_t N, unsigned d, uint64_t X)
{
    unsigned dd = d <= 6 ? 1 : (d + 3) / 4;
    if (dd == 1)
        return d == 1 ? 16 * N + cdiv(2 * N * 2, 8) : kk_bytes(N, d, 2);
    /* every tree pair (gt and eq ANDs) is one correlated triple: a
     * 1-of-8 OT_2 row and 3 opened bits; X plain triples ride on the
     * 1-of-16 call */
    uint64_t Q = 0, open = 0;
    for (unsigned i = 1; i < dd; i *= 2) {
        uint64_t q = 0;
        for (unsigned j = 0; j + i < dd; j += 2 * i)
            q++;
        Q += q;
        open += 2 * cdiv(3 * N * q, 8);
    }
    return kk_bytes(N * dd + cdiv(X, 2), 4, 2) + kk_bytes(N * Q, 3, 2) + open;
}

static unsigned
milleq_rounds(unsigned d)
{
    unsigned dd = d <= 6 ? 1 : (d + 3) / 4, lv = 0;
    for (unsigned i = 1; i < dd; i *= 2)
        lv++;
    return 2 + lv;
}

/* The carry plan of digdec.c: prefix (Sklansky) for d > 6, else ripple;
 * ands[s] per element at step s.  Returns the number of steps. */
static unsigned
plan(unsigned m, unsigned d, uint64_t *ands)
{
    unsigned ns = 0;
    if (d > 6) {
        for (unsigned s = 0; (1u << s) < m; s++) {
            ands[ns] = 0;
            for (unsigned i = 0; i < m; i++)
                if (i >> s & 1)
                    ands[ns] += 1 + (i >> (s + 1) != 0);
            ns++;
        }
    } else {
        for (unsigned i = 1; i < m; i++)
            ands[ns++] = 1;
    }
    return ns;
}

static uint64_t
want_bytes(uint64_t n, unsigned bw, unsigned d)
{
    const unsigned c = sr_digdec_count(bw, d), m = c - 1;
    if (n == 0 || c == 1)
        return 0;
    uint64_t ands[64], A = 0, open = 0, sep = 0;
    unsigned ns = plan(m, d, ands);
    for (unsigned s = 0; s < ns; s++) {
        A += ands[s];
        open += 2 * cdiv(2 * n * ands[s], 8);
        /* a standalone sr_and: its own 1-of-16 call */
        sep += kk_bytes(cdiv(n * ands[s], 2), 4, 2);
    }
    uint64_t b = d == 1 ? 0 : cot_bytes(n * m, d);
    if (d > 6)
        return milleq_bytes(n * m, d, n * A) + open + b;
    if (ns > 2)
        return milleq_bytes(n * m, d, 0) + kk_bytes(cdiv(n * A, 2), 4, 2) +
               open + b;
    return milleq_bytes(n * m, d, 0) + sep + open + b;
}

static uint64_t
want_rounds(uint64_t n, unsigned bw, unsigned d)
{
    const unsigned c = sr_digdec_count(bw, d), m = c - 1;
    if (n == 0 || c == 1)
        return 0;
    uint64_t ands[64];
    unsigned ns = plan(m, d, ands);
    unsigned cr = d > 6 ? ns : ns > 2 ? 2 + ns : 2 * ns;
    cr_assert_eq(cr, sr_digdec_carry_rounds(bw, d));
    return milleq_rounds(d) + cr + (d == 1 ? 0 : 2);
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
        x[i] = (i < 7 ? edges[i] : sr_test_rand64(&seed)) & mk;
        uint64_t a = sr_test_rand64(&seed) & mk;
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
    uint64_t bytes = c.sent[0] + c.sent[1], wb = want_bytes(n, bw, d);
    cr_assert_eq(bytes, wb, "bw=%u d=%u bytes %llu vs %llu", bw, d,
                 (unsigned long long)bytes, (unsigned long long)wb);
    /* Table V: (c-1)(lambda(d+2) + 15d + 20) bits per element. */
    uint64_t paper = (uint64_t)n * (k - 1) * (128 * (d + 2) + 15 * d + 20);
    cr_assert_leq(8 * bytes, paper + 64, "bw=%u d=%u: %llu bits vs paper %llu",
                  bw, d, (unsigned long long)(8 * bytes),
                  (unsigned long long)paper);
    for (int r = 0; r < 2; r++)
        cr_assert_eq(c.rounds[r], want_rounds(n, bw, d),
                     "bw=%u d=%u rounds %llu vs %llu", bw, d,
                     (unsigned long long)c.rounds[r],
                     (unsigned long long)want_rounds(n, bw, d));
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.z[r]);
    }
    free(x);
}
