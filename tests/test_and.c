/*
 * tests/test_and.c -- AND of boolean shares: cleartext match, in-place,
 * lanes, exact traffic.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocols/and.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(and, .init = arm_alarm);

/* docs/ot.md: 1-of-2^m OT_l, receiver 32 B per instance, sender the
 * packed rows per chunk of 4096 instances. */
static uint64_t
kk_bytes(size_t n, unsigned m, unsigned l)
{
    size_t pr = (size_t)1 << m;
    return 32 * (uint64_t)n + (uint64_t)(n / 4096) * (4096 * pr * l / 8) +
           ((n % 4096) * pr * l + 7) / 8;
}

/* Chunking of sr_and: AND_CHUNK = 2^19 ANDs per triple call. */
static uint64_t
and_bytes(size_t n)
{
    uint64_t b = 0;
    for (size_t off = 0; off < n; off += (size_t)1 << 19) {
        size_t k = n - off < ((size_t)1 << 19) ? n - off : (size_t)1 << 19;
        b += kk_bytes((k + 1) / 2, 4, 2) + 2 * ((2 * k + 7) / 8);
    }
    return b;
}

struct run {
    size_t n;
    unsigned nl;
    int inplace;
    uint8_t *x[2], *y[2], *z[2];
    uint64_t sent[16], rounds[16];
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    size_t lo = c->n * L->id / c->nl, hi = c->n * (L->id + 1) / c->nl;
    sr_role r = L->role;
    sr_chan_flush(&L->chan);
    /* Count the op's flights from a fresh state: the OT setup may end
     * with either side sending (chan.h: last = 0 means none yet). */
    L->chan.last = 0;
    sr_chan_stats b = sr_lane_stats(L);
    uint8_t *z = c->inplace ? c->x[r] + lo : c->z[r] + lo;
    rc = sr_and(L, hi - lo, z, c->x[r] + lo, c->y[r] + lo);
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), b);
    c->sent[2 * L->id + r] = d.bytes_sent;
    c->rounds[2 * L->id + r] = d.rounds;
    return rc;
}

struct p {
    size_t n;
    unsigned nl;
    int inplace;
};

ParameterizedTestParameters(and, matches_cleartext)
{
    static struct p ps[] = {
        {0, 1, 0},
        {1, 1, 0},
        {2, 1, 1},
        {1001, 1, 0},
        {1001, 3, 1},
        {(1 << 19) + 101, 2, 0},
        {(1 << 19) * 2 + 3, 1, 0}, /* 3 former 2^19 chunks */
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, and, matches_cleartext)
{
    struct run c = {.n = p->n, .nl = p->nl, .inplace = p->inplace};
    uint64_t s = sr_test_seed() + p->n;
    uint8_t *want = malloc(p->n + 1);
    for (int r = 0; r < 2; r++) {
        c.x[r] = malloc(p->n + 1);
        c.y[r] = malloc(p->n + 1);
        c.z[r] = malloc(p->n + 1);
    }
    for (size_t i = 0; i < p->n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned v = (unsigned)(s >> 33);
        c.x[0][i] = v & 1;
        c.x[1][i] = (v >> 1) & 1;
        c.y[0][i] = (v >> 2) & 1;
        c.y[1][i] = (v >> 3) & 1;
        want[i] = (uint8_t)((c.x[0][i] ^ c.x[1][i]) & (c.y[0][i] ^ c.y[1][i]));
    }
    sr_test_opts o = {.nlanes = p->nl};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    for (size_t i = 0; i < p->n; i++) {
        uint8_t *za = p->inplace ? c.x[0] : c.z[0];
        uint8_t *zb = p->inplace ? c.x[1] : c.z[1];
        cr_assert_eq(za[i] ^ zb[i], want[i], "i=%zu", i);
    }
    uint64_t got = 0, exp = 0;
    for (unsigned k = 0; k < p->nl; k++) {
        size_t lo = p->n * k / p->nl, hi = p->n * (k + 1) / p->nl;
        exp += and_bytes(hi - lo);
        got += c.sent[2 * k] + c.sent[2 * k + 1];
        if (hi - lo > 0) { /* any n: one OT call, constant rounds */
            cr_assert_eq(c.rounds[2 * k], 2); /* openings ride on the OT */
            cr_assert_eq(c.rounds[2 * k + 1], 2);
        }
    }
    cr_assert_eq(got, exp, "n=%zu got %llu want %llu", p->n,
                 (unsigned long long)got, (unsigned long long)exp);
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y[r]);
        free(c.z[r]);
    }
    free(want);
}
