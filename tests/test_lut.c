/*
 * tests/test_lut.c -- table lookups: public table with shared index,
 * index known by one party, private table; exact traffic.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocols/lut.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(lut, .init = arm_alarm);

/* docs/ot.md: 1-of-2^m OT_l, receiver 32 B per instance, sender the
 * packed rows per chunk of 4096 instances. */
static uint64_t
kk_bytes(size_t n, unsigned m, unsigned l)
{
    size_t pr = (size_t)1 << m;
    return 32 * (uint64_t)n + (uint64_t)(n / 4096) * (4096 * pr * l / 8) +
           ((n % 4096) * pr * l + 7) / 8;
}

enum kind { SHARED, KNOWN, PRIVATE };

struct run {
    enum kind kind;
    size_t n;
    unsigned nl, m, bw;
    sr_partyid owner;
    int inplace;
    const uint64_t *T;
    uint64_t *x[2], *y[2]; /* by role */
    uint64_t *xc;          /* cleartext index (KNOWN) */
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
    uint64_t *y = c->inplace ? c->x[r] + lo : c->y[r] + lo;
    int mine = L->party == c->owner;
    switch (c->kind) {
    case SHARED:
        rc = sr_lut(L, hi - lo, y, c->x[r] + lo, c->m, c->T, c->bw);
        break;
    case KNOWN:
        rc = sr_lut_known(L, hi - lo, c->y[r] + lo, mine ? c->xc + lo : NULL,
                          c->m, c->T, c->bw, c->owner);
        break;
    case PRIVATE:
        rc = sr_lut_private(L, hi - lo, y, c->x[r] + lo, c->m,
                            mine ? c->T : NULL, c->bw, c->owner);
        break;
    }
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), b);
    c->sent[2 * L->id + r] = d.bytes_sent;
    c->rounds[2 * L->id + r] = d.rounds;
    return rc;
}

static void
run_case(enum kind kind, size_t n, unsigned nl, unsigned m, unsigned bw,
         sr_partyid owner, int inplace)
{
    const size_t N = (size_t)1 << m;
    const uint64_t mx = sr_mask(m), my = sr_mask(bw);
    uint64_t *T = malloc(8 * N);
    uint64_t s = sr_test_seed() ^ (m * 977 + bw * 31 + n);
    for (size_t j = 0; j < N; j++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        T[j] = j == 0 ? my : (j == 1 ? 0 : (s ^ (s >> 31)) & my);
    }
    struct run c = {.kind = kind,
                    .n = n,
                    .nl = nl,
                    .m = m,
                    .bw = bw,
                    .owner = owner,
                    .inplace = inplace,
                    .T = T};
    c.xc = malloc(8 * (n + 1));
    for (int r = 0; r < 2; r++) {
        c.x[r] = malloc(8 * (n + 1));
        c.y[r] = malloc(8 * (n + 1));
    }
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t v = i < N ? i : (s >> 20) & mx;
        c.xc[i] = v;
        c.x[0][i] = (s >> 3) & mx;
        c.x[1][i] = (v - c.x[0][i]) & mx;
    }
    sr_test_opts o = {.nlanes = nl};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    uint64_t **y = inplace && kind != KNOWN ? c.x : c.y;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq((y[0][i] + y[1][i]) & my, T[c.xc[i]],
                     "kind=%d m=%u bw=%u i=%zu", kind, m, bw, i);
    uint64_t got = 0, exp = 0;
    for (unsigned k = 0; k < nl; k++) {
        size_t lo = n * k / nl, hi = n * (k + 1) / nl;
        exp += kind == KNOWN ? 0 : kk_bytes(hi - lo, m, bw);
        got += c.sent[2 * k] + c.sent[2 * k + 1];
        if (kind != KNOWN && hi > lo)
            cr_assert_eq(c.rounds[2 * k], 2);
    }
    cr_assert_eq(got, exp, "kind=%d m=%u bw=%u n=%zu: %llu vs %llu", kind, m,
                 bw, n, (unsigned long long)got, (unsigned long long)exp);
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y[r]);
    }
    free(c.xc);
    free(T);
}

struct p {
    unsigned m, bw;
    size_t n;
    unsigned nl;
    int inplace;
};

ParameterizedTestParameters(lut, shared_index)
{
    static struct p ps[] = {
        {1, 1, 1, 1, 0},     {1, 64, 1001, 1, 0}, {2, 7, 1001, 2, 1},
        {4, 16, 1001, 1, 0}, {8, 16, 1001, 1, 0}, {8, 16, 1003, 3, 1},
        {8, 64, 300, 1, 0},  {5, 13, 0, 1, 0},    {6, 31, 4096 + 5, 2, 0},
        {3, 32, 1001, 1, 1}, {7, 63, 257, 1, 0},
        /* 3 former chunks (2^22 / 2^m rows each): still 2 rounds */
        {8, 8, 2 * 16384 + 9, 1, 0}, {4, 16, 2 * 262144 + 7, 1, 1},
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, lut, shared_index)
{
    run_case(SHARED, p->n, p->nl, p->m, p->bw, SR_SERVER, p->inplace);
}

ParameterizedTestParameters(lut, private_table)
{
    static struct p ps[] = {
        {1, 1, 1, 1, 0},
        {8, 16, 1001, 2, 0},
        {4, 64, 333, 3, 1},
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, lut, private_table)
{
    run_case(PRIVATE, p->n, p->nl, p->m, p->bw, SR_SERVER, p->inplace);
    run_case(PRIVATE, p->n, p->nl, p->m, p->bw, SR_CLIENT, p->inplace);
}

Test(lut, known_index_is_local)
{
    run_case(KNOWN, 1001, 1, 8, 16, SR_SERVER, 0);
    run_case(KNOWN, 1001, 2, 4, 64, SR_CLIENT, 0);
    run_case(KNOWN, 0, 1, 1, 1, SR_CLIENT, 0);
}
