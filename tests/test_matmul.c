/*
 * tests/test_matmul.c -- matrix multiplication (both shared, one operand
 * known to the server or the client, left or right) against the exact
 * integer product mod 2^bw; traffic against the formulas of matmul.h.
 * Two lane pairs run the same product, so the server plays both roles.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/ext.h"
#include "protocols/matmul.h"
#include "protocols/mill.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(matmul, .init = arm_alarm);

static uint64_t
ext64(uint64_t x, unsigned m, int sgn)
{
    x &= sr_mask(m);
    if (sgn && m < 64 && (x >> (m - 1)))
        x |= ~sr_mask(m);
    return x;
}

static uint64_t
cross_bytes(size_t n, size_t k, unsigned mx, unsigned bw)
{
    const unsigned B = mx < bw ? mx : bw;
    const size_t r = k < 2 ? k : 2, ch = sr_cross_chunk(k, mx, bw);
    uint64_t b = 0;
    if (k == 0)
        return 0;
    for (size_t i = 0; i < n; i += ch) { /* mult.h: per chunk */
        size_t c = n - i < ch ? n - i : ch;
        b += 16 * (uint64_t)(r * c * B);
        for (unsigned t = 0; t < B; t++)
            b += ((uint64_t)c * k * (bw - t) + 7) / 8;
    }
    return b;
}

static double
cross_est(size_t nc, size_t K, unsigned mx, unsigned bw)
{
    unsigned B = mx < bw ? mx : bw;
    double b = 0;
    for (unsigned t = 0; t < B; t++)
        b += (double)nc * (128.0 * (K < 2 ? K : 2) + (double)K * (bw - t));
    return b;
}

enum mode { M_SHARED, M_KNOWN };

struct run {
    enum mode mode;
    int blocks;
    size_t d1, d2, d3;
    unsigned ma, mb, bw, flags;
    uint64_t *A[2], *B[2], *W; /* shares by party; clear W */
    uint64_t *Z[2][2];         /* [lane][party] */
    uint64_t sent[2][2];
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    const int p = L->party;
    sr_chan_flush(&L->chan);
    sr_chan_stats before = sr_lane_stats(L);
    if (c->blocks) {
        /* Ext (shared mode, bw > ma + mb) and the wraps of matmul.h */
        size_t na = c->d1 * c->d2, nb = c->d2 * c->d3;
        uint64_t *t = calloc(na + nb + 1, 8);
        uint8_t *w = calloc(na + nb + 1, 1);
        unsigned ma = c->ma, mb = c->mb;
        if (c->mode == M_SHARED && c->bw > ma + mb) {
            if (mb >= ma) {
                rc =
                    sr_ext_zero(L, nb, t, t, NULL, mb, c->bw - ma, SR_MSB_NONE);
                mb = c->bw - ma;
            } else {
                rc =
                    sr_ext_zero(L, na, t, t, NULL, ma, c->bw - mb, SR_MSB_NONE);
                ma = c->bw - mb;
            }
        }
        if (c->mode == M_SHARED) {
            if (rc == SR_OK)
                rc = sr_wrap(L, na, w, t, ma);
            if (rc == SR_OK)
                rc = sr_wrap(L, nb, w, t, mb);
        } else {
            size_t nx = (c->flags & SR_KNOWN_A) ? nb : na;
            rc = sr_wrap(L, nx, w, t, c->mb);
        }
        free(t);
        free(w);
    } else if (c->mode == M_SHARED) {
        rc = sr_matmul(L, c->d1, c->d2, c->d3, c->Z[L->id][p], c->A[p], c->B[p],
                       c->ma, c->mb, c->bw, c->flags);
    } else {
        const uint64_t *W = sr_known_here(L, c->flags) ? c->W : NULL;
        const uint64_t *X = (c->flags & SR_KNOWN_A) ? c->B[p] : c->A[p];
        rc = sr_matmul_known(L, c->d1, c->d2, c->d3, c->Z[L->id][p], W, X,
                             c->ma, c->mb, c->bw, c->flags);
    }
    sr_chan_flush(&L->chan);
    c->sent[L->id][p] = sr_chan_stats_diff(sr_lane_stats(L), before).bytes_sent;
    return rc;
}

/* Formula part of matmul.h (OT-level terms), one lane. */
static uint64_t
formula(const struct run *c)
{
    const size_t d1 = c->d1, d2 = c->d2, d3 = c->d3;
    const size_t na = d1 * d2, nb = d2 * d3;
    unsigned m = c->ma, n = c->mb, bw = c->bw;
    if (d1 * d3 == 0 || d2 == 0)
        return 0;
    if (c->mode == M_KNOWN) {
        int left = (c->flags & SR_KNOWN_B) != 0;
        size_t nx = left ? na : nb, K = left ? d3 : d1;
        return cross_bytes(nx, K, n, bw) +
               (bw > n ? cross_bytes(nx, K, 1, bw - n) : 0);
    }
    if (bw > m + n) {
        if (n >= m)
            n = bw - m;
        else
            m = bw - n;
    }
    uint64_t b = cross_est(nb, d1, n, bw) < cross_est(na, d3, m, bw)
                     ? 2 * cross_bytes(nb, d1, n, bw)
                     : 2 * cross_bytes(na, d3, m, bw);
    if (bw > m)
        b += 2 * cross_bytes(na, d3, 1, bw - m);
    if (bw > n)
        b += 2 * cross_bytes(nb, d1, 1, bw - n);
    return b;
}

struct param {
    enum mode mode;
    size_t d1, d2, d3;
    unsigned ma, mb, bw, flags;
};

ParameterizedTestParameters(matmul, matches_cleartext)
{
    static struct param p[] = {
        {M_SHARED, 1, 100, 35, 8, 8, 16, SR_MULT_SIGNED},
        {M_SHARED, 3, 5, 7, 8, 8, 16, SR_MULT_UNSIGNED},
        {M_SHARED, 3, 1, 7, 8, 12, 20, SR_MULT_SIGNED},
        {M_SHARED, 7, 5, 3, 12, 8, 20, SR_MULT_SIGNED_A},
        {M_SHARED, 4, 5, 2, 8, 8, 24, SR_MULT_SIGNED},    /* extend B */
        {M_SHARED, 4, 5, 2, 12, 8, 27, SR_MULT_SIGNED_B}, /* extend A */
        {M_SHARED, 1, 1, 1, 1, 1, 2, SR_MULT_SIGNED},
        {M_SHARED, 2, 3, 1, 32, 32, 64, SR_MULT_SIGNED},
        {M_SHARED, 2, 3, 4, 16, 16, 8, SR_MULT_SIGNED},
        {M_SHARED, 0, 3, 4, 16, 16, 8, SR_MULT_SIGNED},
        {M_SHARED, 2, 0, 4, 16, 16, 8, SR_MULT_SIGNED},
        {M_KNOWN, 1, 100, 35, 8, 8, 16,
         SR_MULT_SIGNED | SR_KNOWN_B | SR_KNOWN_BY_SERVER},
        {M_KNOWN, 35, 100, 1, 8, 8, 16,
         SR_MULT_SIGNED | SR_KNOWN_A | SR_KNOWN_BY_SERVER},
        {M_KNOWN, 3, 5, 7, 8, 16, 32,
         SR_MULT_SIGNED | SR_KNOWN_B | SR_KNOWN_BY_CLIENT},
        {M_KNOWN, 3, 1, 7, 16, 8, 12,
         SR_MULT_SIGNED_B | SR_KNOWN_A | SR_KNOWN_BY_CLIENT},
        {M_KNOWN, 5, 4, 2, 64, 64, 64,
         SR_MULT_UNSIGNED | SR_KNOWN_A | SR_KNOWN_BY_SERVER},
        {M_KNOWN, 2, 3, 5, 1, 1, 9,
         SR_MULT_SIGNED_A | SR_KNOWN_B | SR_KNOWN_BY_SERVER},
    };
    return cr_make_param_array(struct param, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct param *p, matmul, matches_cleartext)
{
    const size_t d1 = p->d1, d2 = p->d2, d3 = p->d3;
    const size_t na = d1 * d2, nb = d2 * d3, nz = d1 * d3;
    const int sa = !!(p->flags & SR_MULT_SIGNED_A);
    const int sb = !!(p->flags & SR_MULT_SIGNED_B);
    uint64_t seed =
        sr_test_seed() ^ (d1 * 1000003 + d2 * 1009 + d3 + p->flags * 7 + p->bw);
    struct run c = {.mode = p->mode,
                    .d1 = d1,
                    .d2 = d2,
                    .d3 = d3,
                    .ma = p->ma,
                    .mb = p->mb,
                    .bw = p->bw,
                    .flags = p->flags};
    uint64_t *A = calloc(na + 1, 8), *B = calloc(nb + 1, 8);
    for (int q = 0; q < 2; q++) {
        c.A[q] = calloc(na + 1, 8);
        c.B[q] = calloc(nb + 1, 8);
        c.Z[0][q] = calloc(nz + 1, 8);
        c.Z[1][q] = calloc(nz + 1, 8);
    }
    /* In known mode the clear W takes A's widths (ma) and the shared X
     * B's (mb): fill A/B cleartexts accordingly. */
    int known_a = p->mode == M_KNOWN && (p->flags & SR_KNOWN_A);
    int known_b = p->mode == M_KNOWN && (p->flags & SR_KNOWN_B);
    unsigned wa = known_b ? p->mb : p->ma, wb = known_b ? p->ma : p->mb;
    for (size_t q = 0; q < na; q++) {
        A[q] = sr_test_rand64(&seed) & sr_mask(wa);
        if (q == 0)
            A[q] = sr_mask(wa); /* -1 / max */
        if (q == 1)
            A[q] = (sr_mask(wa) >> 1) + 1; /* min */
        uint64_t a = sr_test_rand64(&seed) & sr_mask(wa);
        c.A[SR_SERVER][q] = a;
        c.A[SR_CLIENT][q] = (A[q] - a) & sr_mask(wa);
    }
    for (size_t q = 0; q < nb; q++) {
        B[q] = sr_test_rand64(&seed) & sr_mask(wb);
        if (q == 0)
            B[q] = (sr_mask(wb) >> 1) + 1;
        uint64_t a = sr_test_rand64(&seed) & sr_mask(wb);
        c.B[SR_SERVER][q] = a;
        c.B[SR_CLIENT][q] = (B[q] - a) & sr_mask(wb);
    }
    c.W = known_a ? A : B;
    int sga = known_b ? sb : sa, sgb = known_b ? sa : sb;

    sr_test_opts o = {.nlanes = 2, .seeded = 1, .seed = sr_test_seed()};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < d1; i++)
            for (size_t j = 0; j < d3; j++) {
                uint64_t want = 0;
                for (size_t k = 0; k < d2; k++)
                    want += ext64(A[i * d2 + k], wa, sga) *
                            ext64(B[k * d3 + j], wb, sgb);
                want &= sr_mask(p->bw);
                uint64_t za = c.Z[l][0][i * d3 + j], zb = c.Z[l][1][i * d3 + j];
                cr_assert_eq((za + zb) & sr_mask(p->bw), want,
                             "lane %d Z[%zu][%zu]", l, i, j);
                cr_assert_eq(za & ~sr_mask(p->bw), 0);
                cr_assert_eq(zb & ~sr_mask(p->bw), 0);
            }
    uint64_t bytes = c.sent[0][0] + c.sent[0][1] + c.sent[1][0] + c.sent[1][1];
    struct run b = c;
    b.blocks = 1;
    memset(b.sent, 0, sizeof b.sent);
    cr_assert_eq(sr_test_run(party, &b, &o), SR_OK);
    uint64_t e = b.sent[0][0] + b.sent[0][1] + b.sent[1][0] + b.sent[1][1];
    if (d1 * d3 == 0 || d2 == 0)
        e = 0;
    e += 2 * formula(&c);
    cr_assert_eq(bytes, e, "bytes %llu vs %llu", (unsigned long long)bytes,
                 (unsigned long long)e);
    for (int q = 0; q < 2; q++) {
        free(c.A[q]);
        free(c.B[q]);
        free(c.Z[0][q]);
        free(c.Z[1][q]);
    }
    free(A);
    free(B);
}
