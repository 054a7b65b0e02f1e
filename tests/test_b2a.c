/*
 * tests/test_b2a.c -- boolean to arithmetic: cleartext match, widths,
 * lanes, exact traffic.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocols/b2a.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(b2a, .init = arm_alarm);

/* docs/ot.md: COT_l, receiver 16 B per instance, sender the packed
 * corrections per chunk of 4096 instances. */
static uint64_t
cot_bytes(size_t n, unsigned l)
{
    return 16 * (uint64_t)n + (uint64_t)(n / 4096) * (4096 * l / 8) +
           ((n % 4096) * l + 7) / 8;
}

struct run {
    size_t n;
    unsigned nl, bw;
    uint8_t *b[2];
    uint64_t *y[2];
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
    rc = sr_b2a(L, hi - lo, c->y[r] + lo, c->b[r] + lo, c->bw);
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), b);
    c->sent[2 * L->id + r] = d.bytes_sent;
    c->rounds[2 * L->id + r] = d.rounds;
    return rc;
}

struct p {
    size_t n;
    unsigned nl;
};

ParameterizedTestParameters(b2a, matches_cleartext)
{
    static struct p ps[] = {
        {0, 1}, {1, 1}, {1001, 1}, {1003, 3}, {4096 * 2 + 77, 2},
        {(1 << 20) * 2 + 5, 1}, /* 3 former 2^20 chunks: still 2 rounds */
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, b2a, matches_cleartext)
{
    static const unsigned bws[] = {1, 2, 7, 8, 16, 31, 32, 63, 64};
    for (size_t w = 0; w < sizeof bws / sizeof bws[0]; w++) {
        unsigned bw = bws[w];
        struct run c = {.n = p->n, .nl = p->nl, .bw = bw};
        uint64_t s = sr_test_seed() + p->n + bw;
        for (int r = 0; r < 2; r++) {
            c.b[r] = malloc(p->n + 1);
            c.y[r] = malloc(8 * (p->n + 1));
        }
        for (size_t i = 0; i < p->n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            c.b[0][i] = (s >> 40) & 1;
            c.b[1][i] = (s >> 41) & 1;
        }
        sr_test_opts o = {.nlanes = p->nl};
        cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
        for (size_t i = 0; i < p->n; i++)
            cr_assert_eq((c.y[0][i] + c.y[1][i]) & sr_mask(bw),
                         (uint64_t)(c.b[0][i] ^ c.b[1][i]), "bw=%u i=%zu", bw,
                         i);
        uint64_t got = 0, exp = 0;
        for (unsigned k = 0; k < p->nl; k++) {
            size_t lo = p->n * k / p->nl, hi = p->n * (k + 1) / p->nl;
            exp += bw == 1 ? 0 : cot_bytes(hi - lo, bw);
            got += c.sent[2 * k] + c.sent[2 * k + 1];
            if (bw > 1 && hi > lo)
                cr_assert_eq(c.rounds[2 * k], 2);
        }
        cr_assert_eq(got, exp, "bw=%u n=%zu got %llu want %llu", bw, p->n,
                     (unsigned long long)got, (unsigned long long)exp);
        for (int r = 0; r < 2; r++) {
            free(c.b[r]);
            free(c.y[r]);
        }
    }
}
