/*
 * tests/test_lut2.c -- two-field table lookup: both fields reconstruct to
 * the tables bit for bit; exact traffic (one KK OT of w1 + w2 bits).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocols/lut2.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(lut2, .init = arm_alarm);

/* docs/ot.md: 1-of-2^m OT_l, receiver 32 B per instance, sender the
 * packed rows per chunk of 4096 instances (as tests/test_lut.c). */
static uint64_t
kk_bytes(size_t n, unsigned m, unsigned l)
{
    size_t pr = (size_t)1 << m;
    return 32 * (uint64_t)n + (uint64_t)(n / 4096) * (4096 * pr * l / 8) +
           ((n % 4096) * pr * l + 7) / 8;
}

struct run {
    size_t n;
    unsigned nl, m, w1, w2;
    int inplace;
    const uint64_t *T1, *T2;
    uint64_t *x[2], *y1[2], *y2[2]; /* by role */
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
    L->chan.last = 0; /* count the op's flights from a fresh state */
    sr_chan_stats b = sr_lane_stats(L);
    uint64_t *y1 = c->inplace ? c->x[r] + lo : c->y1[r] + lo;
    rc = sr_lut2(L, hi - lo, y1, c->y2[r] + lo, c->x[r] + lo, c->m, c->T1,
                 c->T2, c->w1, c->w2);
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), b);
    c->sent[2 * L->id + r] = d.bytes_sent;
    c->rounds[2 * L->id + r] = d.rounds;
    return rc;
}

static void
run_case(size_t n, unsigned nl, unsigned m, unsigned w1, unsigned w2,
         int inplace)
{
    const size_t N = (size_t)1 << m;
    const uint64_t mx = sr_mask(m), m1 = sr_mask(w1), m2 = sr_mask(w2);
    uint64_t *T1 = malloc(8 * N), *T2 = malloc(8 * N);
    uint64_t s = sr_test_seed() ^ (m * 977 + w1 * 31 + w2 * 7 + n);
    for (size_t j = 0; j < N; j++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        /* extremes in the first entries; unreduced bits above w must
         * not leak into the other field */
        T1[j] = j == 0 ? ~(uint64_t)0 : (j == 1 ? 0 : s ^ (s >> 29));
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        T2[j] = j == 0 ? ~(uint64_t)0 : (j == 2 ? 0 : s ^ (s >> 31));
    }
    struct run c = {.n = n,
                    .nl = nl,
                    .m = m,
                    .w1 = w1,
                    .w2 = w2,
                    .inplace = inplace,
                    .T1 = T1,
                    .T2 = T2};
    uint64_t *xc = malloc(8 * (n + 1));
    for (int r = 0; r < 2; r++) {
        c.x[r] = malloc(8 * (n + 1));
        c.y1[r] = malloc(8 * (n + 1));
        c.y2[r] = malloc(8 * (n + 1));
    }
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t v = i < N ? i : (s >> 20) & mx;
        xc[i] = v;
        c.x[0][i] = (s >> 3) & mx;
        c.x[1][i] = (v - c.x[0][i]) & mx;
    }
    sr_test_opts o = {.nlanes = nl};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    uint64_t **y1 = inplace ? c.x : c.y1;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq((y1[0][i] + y1[1][i]) & m1, T1[xc[i]] & m1,
                     "m=%u w1=%u i=%zu", m, w1, i);
        cr_assert_eq((c.y2[0][i] + c.y2[1][i]) & m2, T2[xc[i]] & m2,
                     "m=%u w2=%u i=%zu", m, w2, i);
        /* shares are reduced to their width */
        for (int r = 0; r < 2; r++) {
            cr_assert_eq(y1[r][i] & ~m1, 0);
            cr_assert_eq(c.y2[r][i] & ~m2, 0);
        }
    }
    uint64_t got = 0, exp = 0;
    for (unsigned k = 0; k < nl; k++) {
        size_t lo = n * k / nl, hi = n * (k + 1) / nl;
        exp += kk_bytes(hi - lo, m, w1 + w2);
        got += c.sent[2 * k] + c.sent[2 * k + 1];
        if (hi > lo)
            cr_assert_eq(c.rounds[2 * k], 2);
    }
    cr_assert_eq(got, exp, "m=%u w=%u+%u n=%zu: %llu vs %llu", m, w1, w2, n,
                 (unsigned long long)got, (unsigned long long)exp);
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y1[r]);
        free(c.y2[r]);
    }
    free(xc);
    free(T1);
    free(T2);
}

struct p {
    unsigned m, w1, w2;
    size_t n;
    unsigned nl;
    int inplace;
};

ParameterizedTestParameters(lut2, two_fields)
{
    static struct p ps[] = {
        {1, 1, 1, 1, 1, 0},      {8, 14, 1, 1001, 1, 0},
        {8, 1, 15, 1003, 2, 1},  {5, 15, 14, 1001, 1, 0},
        {7, 20, 19, 300, 3, 1},  {4, 32, 32, 333, 1, 0},
        {6, 63, 1, 4096 + 5, 2, 0}, {3, 1, 63, 257, 1, 1},
        {2, 9, 9, 0, 1, 0},
        /* one OT call over several extension chunks and 64-row blocks */
        {8, 13, 14, 20000 + 3, 1, 0},
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, lut2, two_fields)
{
    run_case(p->n, p->nl, p->m, p->w1, p->w2, p->inplace);
}
