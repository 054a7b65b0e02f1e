/*
 * tests/test_mult.c -- CrossTerm, UMult/SMult (mixed widths, starred
 * variants), SMultTR and the Hadamard product with a clear operand,
 * against exact cleartext products; traffic against the header formulas.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/mill.h"
#include "protocols/mult.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "protocols/trunc.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(mult, .init = arm_alarm);

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

enum op {
    OP_TR_MSB,
    OP_MULT,
    OP_MSB,
    OP_TR,
    OP_KNOWN,
    OP_CROSS,
    OP_BLK_WRAP,
    OP_BLK_MUX,
    OP_BLK_M2W,
    OP_BLK_TR
};

struct run {
    enum op op;
    size_t n, k;
    unsigned m, nb, bw, s, flags, nlanes, inplace;
    uint64_t *x[2], *y[2], *z[2]; /* by party (SR_SERVER, SR_CLIENT) */
    uint8_t *mx[2], *my[2];
    uint64_t *w; /* clear operand (known) */
    uint64_t sent[8][2];
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    const int p = L->party;
    size_t lo = c->n * L->id / c->nlanes, hi = c->n * (L->id + 1) / c->nlanes;
    size_t n = hi - lo;
    sr_chan_flush(&L->chan);
    sr_chan_stats before = sr_lane_stats(L);
    const uint64_t *x = c->x[p] + lo, *y = c->y[p] + lo;
    uint64_t *z = c->inplace ? c->x[p] + lo : c->z[p] + lo;
    const uint8_t *mx = c->mx[p] ? c->mx[p] + lo : NULL;
    const uint8_t *my = c->my[p] ? c->my[p] + lo : NULL;
    uint8_t *bits = calloc(n + 1, 1), *bits2 = calloc(2 * n + 1, 1);
    uint64_t *tmp = calloc(n + 1, 8), *tmp2 = calloc(2 * n + 1, 8);
    switch (c->op) {
    case OP_MULT:
        rc = sr_mult(L, n, z, x, y, c->m, c->nb, c->bw, c->flags);
        break;
    case OP_MSB:
        rc = sr_mult_msb(L, n, z, x, y, mx, my, c->m, c->nb, c->bw, c->flags);
        break;
    case OP_TR:
        rc = sr_mult_tr(L, n, z, x, y, c->m, c->nb, c->bw, c->s, c->flags);
        break;
    case OP_TR_MSB:
        rc = sr_mult_tr_msb(L, n, z, x, y, mx, my, c->m, c->nb, c->bw, c->s,
                            c->flags);
        break;
    case OP_KNOWN: {
        const uint64_t *w = sr_known_here(L, c->flags) ? c->w + lo : NULL;
        rc = sr_mult_known(L, n, z, w, y, my, c->m, c->nb, c->bw, c->flags);
        break;
    }
    case OP_CROSS:
        /* the server holds the choice values x, the client k values each */
        if (p == SR_SERVER)
            rc = sr_cross_recv(L, n, c->k, c->z[p] + lo * c->k, x, c->m, c->bw);
        else
            rc = sr_cross_send(L, n, c->k, c->z[p] + lo * c->k,
                               c->y[p] + lo * c->k, c->m, c->bw);
        break;
    case OP_BLK_WRAP: /* Wrap_m on x, Wrap_nb on y (one call if m = nb) */
        if (c->m == c->nb) {
            rc = sr_wrap(L, 2 * n, bits2, tmp2, c->m);
            break;
        }
        rc = sr_wrap(L, n, bits, x, c->m);
        if (rc == SR_OK && c->nb)
            rc = sr_wrap(L, n, bits, y, c->nb);
        break;
    case OP_BLK_M2W:
        if (c->m == c->nb) {
            rc = sr_msb_to_wrap(L, 2 * n, bits2, tmp2, bits2, c->m, c->flags);
            break;
        }
        rc = sr_msb_to_wrap(L, n, bits, x, mx, c->m, c->flags);
        if (rc == SR_OK && c->nb)
            rc = sr_msb_to_wrap(L, n, bits, y, my, c->nb, c->flags);
        break;
    case OP_BLK_MUX: /* MUX_(bw-m), MUX_(bw-nb) (one call if m = nb) */
        if (c->m == c->nb && c->bw > c->m) {
            rc = sr_mux(L, 2 * n, tmp2, bits2, tmp2, c->bw - c->m);
            break;
        }
        if (c->bw > c->m)
            rc = sr_mux(L, n, tmp, bits, tmp, c->bw - c->m);
        if (rc == SR_OK && c->bw > c->nb)
            rc = sr_mux(L, n, tmp, bits, tmp, c->bw - c->nb);
        break;
    case OP_BLK_TR:
        rc = sr_trunc_reduce(L, n, tmp, tmp, c->bw, c->s);
        break;
    }
    free(bits);
    free(tmp);
    free(bits2);
    free(tmp2);
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), before);
    c->sent[L->id][p] = d.bytes_sent;
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

/* Bytes of a block op on the same sizes (per lane chunks as in c). */
static uint64_t
blocks(const struct run *c, enum op op, unsigned m, unsigned nb, unsigned flags)
{
    struct run b = *c;
    b.op = op;
    b.m = m;
    b.nb = nb;
    b.flags = flags;
    b.inplace = 0;
    memset(b.sent, 0, sizeof b.sent);
    for (int p = 0; p < 2; p++) {
        b.x[p] = calloc(c->n + 1, 8);
        b.y[p] = calloc(c->n + 1, 8);
        b.mx[p] = calloc(c->n + 1, 1);
        b.my[p] = calloc(c->n + 1, 1);
    }
    sr_test_opts o = {.nlanes = c->nlanes};
    cr_assert_eq(sr_test_run(party, &b, &o), SR_OK);
    for (int p = 0; p < 2; p++) {
        free(b.x[p]);
        free(b.y[p]);
        free(b.mx[p]);
        free(b.my[p]);
    }
    return total(&b);
}

/* Expected traffic of c (header formulas), summed over the lane chunks. */
static uint64_t
expected(const struct run *c)
{
    const unsigned m = c->m, nb = c->nb, bw = c->bw;
    const unsigned mu = m < nb ? m : nb;
    const unsigned kinds = c->flags & (SR_MULT_MSB_PUBLIC | SR_MULT_MSB_SHARED);
    const unsigned mf =
        kinds == SR_MULT_MSB_PUBLIC ? SR_MSB_PUBLIC : SR_MSB_SHARED;
    uint64_t e = 0;
    for (unsigned l = 0; l < c->nlanes; l++) {
        size_t n = c->n * (l + 1) / c->nlanes - c->n * l / c->nlanes;
        switch (c->op) {
        case OP_MULT:
        case OP_MSB:
        case OP_TR:
        case OP_TR_MSB:
            e += 2 * cross_bytes(n, 1, mu, bw);
            break;
        case OP_KNOWN:
            e += cross_bytes(n, 1, nb, bw) +
                 (bw > nb ? cross_bytes(n, 1, 1, bw - nb) : 0);
            break;
        case OP_CROSS:
            e += cross_bytes(n, c->k, m, bw);
            break;
        default:
            break;
        }
    }
    switch (c->op) {
    case OP_MULT:
        e += blocks(c, OP_BLK_WRAP, m, nb, 0) + blocks(c, OP_BLK_MUX, m, nb, 0);
        break;
    case OP_TR:
        e += blocks(c, OP_BLK_WRAP, m, nb, 0) +
             blocks(c, OP_BLK_MUX, m, nb, 0) + blocks(c, OP_BLK_TR, m, nb, 0);
        break;
    case OP_MSB:
        e += blocks(c, OP_BLK_M2W, m, nb, mf) + blocks(c, OP_BLK_MUX, m, nb, 0);
        break;
    case OP_TR_MSB:
        e += blocks(c, OP_BLK_M2W, m, nb, mf) +
             blocks(c, OP_BLK_MUX, m, nb, 0) + blocks(c, OP_BLK_TR, m, nb, 0);
        break;
    case OP_KNOWN:
        e += kinds ? blocks(c, OP_BLK_M2W, nb, 0, mf)
                   : blocks(c, OP_BLK_WRAP, nb, 0, 0);
        break;
    default:
        break;
    }
    return e;
}

struct param {
    enum op op;
    size_t n, k;
    unsigned m, nb, bw, s, flags, nlanes, inplace;
};

ParameterizedTestParameters(mult, matches_cleartext)
{
    static struct param p[] = {
        {OP_MULT, 0, 1, 16, 16, 32, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 1001, 1, 16, 16, 32, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 1001, 1, 16, 16, 32, 0, SR_MULT_UNSIGNED, 2, 1},
        {OP_MULT, 1001, 1, 8, 16, 24, 0, SR_MULT_SIGNED_A, 1, 0},
        {OP_MULT, 1001, 1, 16, 8, 20, 0, SR_MULT_SIGNED_B, 2, 0},
        {OP_MULT, 333, 1, 1, 1, 2, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 333, 1, 1, 64, 64, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 333, 1, 1, 64, 64, 0, SR_MULT_UNSIGNED, 1, 0},
        {OP_MULT, 333, 1, 32, 32, 64, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 333, 1, 64, 64, 64, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 333, 1, 13, 7, 5, 0, SR_MULT_SIGNED, 1, 0},
        {OP_MULT, 333, 1, 13, 7, 16, 0, SR_MULT_UNSIGNED, 1, 1},
        {OP_MSB, 1001, 1, 16, 16, 32, 0, SR_MULT_SIGNED | SR_MULT_MSB_PUBLIC, 1,
         0},
        {OP_MSB, 1001, 1, 16, 12, 28, 0, SR_MULT_SIGNED | SR_MULT_MSB_SHARED, 2,
         0},
        {OP_MSB, 333, 1, 12, 12, 24, 0, SR_MULT_SIGNED_A | SR_MULT_MSB_SHARED,
         2, 0},
        {OP_MSB, 333, 1, 12, 12, 20, 0, SR_MULT_SIGNED_B | SR_MULT_MSB_PUBLIC,
         1, 0},
        {OP_MSB, 333, 1, 9, 12, 21, 0, SR_MULT_UNSIGNED | SR_MULT_MSB_SHARED, 1,
         1},
        {OP_TR, 1001, 1, 16, 16, 32, 14, SR_MULT_SIGNED, 1, 0},
        {OP_TR, 333, 1, 8, 8, 16, 0, SR_MULT_SIGNED, 1, 0},
        {OP_TR, 333, 1, 8, 8, 16, 15, SR_MULT_UNSIGNED, 1, 0},
        {OP_TR_MSB, 1001, 1, 16, 16, 32, 14,
         SR_MULT_SIGNED | SR_MULT_MSB_PUBLIC, 2, 0},
        {OP_TR_MSB, 333, 1, 14, 16, 30, 12, SR_MULT_SIGNED | SR_MULT_MSB_SHARED,
         1, 1},
        {OP_KNOWN, 1001, 1, 8, 16, 32, 0, SR_MULT_SIGNED | SR_KNOWN_BY_SERVER,
         2, 0},
        {OP_KNOWN, 1001, 1, 8, 16, 32, 0, SR_MULT_SIGNED | SR_KNOWN_BY_CLIENT,
         2, 1},
        {OP_KNOWN, 333, 1, 64, 1, 64, 0, SR_MULT_SIGNED | SR_KNOWN_BY_SERVER, 1,
         0},
        {OP_KNOWN, 333, 1, 1, 64, 64, 0, SR_MULT_UNSIGNED | SR_KNOWN_BY_CLIENT,
         1, 0},
        {OP_KNOWN, 333, 1, 16, 16, 8, 0, SR_MULT_SIGNED_B | SR_KNOWN_BY_SERVER,
         1, 0},
        {OP_KNOWN, 333, 1, 16, 16, 40, 0,
         SR_MULT_SIGNED | SR_KNOWN_BY_SERVER | SR_MULT_MSB_SHARED, 1, 0},
        {OP_KNOWN, 333, 1, 16, 16, 40, 0,
         SR_MULT_SIGNED_A | SR_KNOWN_BY_CLIENT | SR_MULT_MSB_PUBLIC, 2, 0},
        {OP_CROSS, 101, 1, 8, 0, 16, 0, 0, 1, 0},
        {OP_CROSS, 101, 2, 9, 0, 13, 0, 0, 1, 0},
        {OP_CROSS, 101, 35, 8, 0, 16, 0, 0, 1, 0},
        {OP_CROSS, 7, 3, 64, 0, 64, 0, 0, 2, 0},
        {OP_CROSS, 7, 5, 1, 0, 1, 0, 0, 1, 0},
        {OP_CROSS, 50, 4, 20, 0, 12, 0, 0, 1, 0},
        {OP_CROSS, 131, 1000, 64, 0, 64, 0, 0, 1, 0}, /* 3 chunks */
    };
    return cr_make_param_array(struct param, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct param *p, mult, matches_cleartext)
{
    const size_t n = p->n, N = n + 1, K = p->k;
    const unsigned m = p->m, nb = p->nb, bw = p->bw;
    const int sa = !!(p->flags & SR_MULT_SIGNED_A);
    const int sb = !!(p->flags & SR_MULT_SIGNED_B);
    uint64_t seed = sr_test_seed() ^ (n * 131 + m * 7 + nb * 71 + bw +
                                      p->op * 1009 + p->flags * 17);
    struct run c = {.op = p->op,
                    .n = n,
                    .k = K,
                    .m = m,
                    .nb = nb,
                    .bw = bw,
                    .s = p->s,
                    .flags = p->flags,
                    .nlanes = p->nlanes,
                    .inplace = p->inplace};
    uint64_t *x = calloc(N, 8), *y = calloc(N * K, 8);
    uint8_t *keep[4];
    for (int q = 0; q < 2; q++) {
        c.x[q] = calloc(N, 8);
        c.y[q] = calloc(N * K, 8);
        c.z[q] = calloc(N * K, 8);
        keep[q] = c.mx[q] = calloc(N, 1);
        keep[2 + q] = c.my[q] = calloc(N, 1);
    }
    c.w = calloc(N, 8);
    const uint64_t mm = sr_mask(m), mn = sr_mask(nb ? nb : 64);
    const uint64_t ex[] = {0, 1, mm, mm >> 1, (mm >> 1) + 1};
    const uint64_t ey[] = {0, 1, mn, mn >> 1, (mn >> 1) + 1};
    const unsigned kinds = p->flags & (SR_MULT_MSB_PUBLIC | SR_MULT_MSB_SHARED);
    for (size_t i = 0; i < n; i++) {
        x[i] = (i < 25 ? ex[i / 5] : sr_test_rand64(&seed)) & mm;
        c.w[i] = x[i];
        uint64_t a = sr_test_rand64(&seed) & mm;
        if (i % 7 == 1)
            a = 0;
        c.x[SR_SERVER][i] = a;
        c.x[SR_CLIENT][i] = (x[i] - a) & mm;
        if (p->op == OP_CROSS) { /* server: clear x */
            c.x[SR_SERVER][i] = x[i];
            for (size_t j = 0; j < K; j++)
                c.y[SR_CLIENT][i * K + j] = y[i * K + j] =
                    sr_test_rand64(&seed) & sr_mask(bw);
            continue;
        }
        y[i] = (i < 25 ? ey[i % 5] : sr_test_rand64(&seed)) & mn;
        a = sr_test_rand64(&seed) & mn;
        if (i % 5 == 2)
            a = mn;
        c.y[SR_SERVER][i] = a;
        c.y[SR_CLIENT][i] = (y[i] - a) & mn;
        uint8_t bx = (uint8_t)((x[i] >> (m - 1)) & 1);
        uint8_t by = (uint8_t)((y[i] >> (nb - 1)) & 1);
        uint8_t t = (uint8_t)(sr_test_rand64(&seed) & 1), u = (uint8_t)(t ^ 1);
        if (kinds == SR_MULT_MSB_PUBLIC) {
            c.mx[0][i] = c.mx[1][i] = bx;
            c.my[0][i] = c.my[1][i] = by;
        } else {
            c.mx[0][i] = t;
            c.mx[1][i] = t ^ bx;
            c.my[0][i] = u;
            c.my[1][i] = u ^ by;
        }
    }
    if (kinds == 0)
        c.mx[0] = c.mx[1] = c.my[0] = c.my[1] = NULL;

    sr_test_opts o = {.nlanes = p->nlanes, .seeded = 1, .seed = sr_test_seed()};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);

    const int tr = p->op == OP_TR || p->op == OP_TR_MSB;
    unsigned ow = tr ? bw - p->s : bw;
    uint64_t *za = p->inplace ? c.x[0] : c.z[0];
    uint64_t *zb = p->inplace ? c.x[1] : c.z[1];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < (p->op == OP_CROSS ? K : 1); j++) {
            size_t q = i * (p->op == OP_CROSS ? K : 1) + j;
            uint64_t got = (za[q] + zb[q]) & sr_mask(ow);
            uint64_t want;
            if (p->op == OP_CROSS)
                want = (x[i] * y[q]) & sr_mask(bw);
            else
                want = (ext64(x[i], m, sa) * ext64(y[i], nb, sb)) & sr_mask(bw);
            if (tr)
                want = (want >> p->s) & sr_mask(ow);
            cr_assert_eq(
                got, want, "op=%d i=%zu j=%zu x=%llx y=%llx got=%llx want=%llx",
                p->op, i, j, (unsigned long long)x[i], (unsigned long long)y[q],
                (unsigned long long)got, (unsigned long long)want);
            cr_assert_eq(za[q] & ~sr_mask(ow), 0);
            cr_assert_eq(zb[q] & ~sr_mask(ow), 0);
        }
    }
    uint64_t bytes = total(&c);
    c.mx[0] = keep[0];
    c.mx[1] = keep[1];
    c.my[0] = keep[2];
    c.my[1] = keep[3];
    uint64_t e = expected(&c);
    cr_assert_eq(bytes, e, "bytes %llu expected %llu",
                 (unsigned long long)bytes, (unsigned long long)e);
    for (int q = 0; q < 2; q++) {
        free(c.x[q]);
        free(c.y[q]);
        free(c.z[q]);
    }
    for (int q = 0; q < 4; q++)
        free(keep[q]);
    free(c.w);
    free(x);
    free(y);
}
