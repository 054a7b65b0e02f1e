/*
 * tests/test_mill.c -- millionaires', Mill&Eq, wrap, MSB, MSB-to-Wrap,
 * DReLU, ReLU against their cleartext definitions, with exact traffic.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/mill.h"
#include "protocols/ot.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(mill, .init = arm_alarm);

/* ---- traffic of the OT calls (docs/ot.md), both directions ---- */
/*
 * docs/ot.md: the receiver sends 16 (IKNP) or 32 (1-of-2^m) bytes per
 * instance; the sender sends per chunk of 4096 instances the packed
 * messages (pr values of l bits per instance).
 */
static uint64_t
packed_chunks(size_t n, size_t pr, unsigned l)
{
    return (uint64_t)(n / 4096) * (4096 * pr * l / 8) +
           ((n % 4096) * pr * l + 7) / 8;
}

static uint64_t
ot_bytes(size_t n, unsigned l)
{
    return 16 * (uint64_t)n + packed_chunks(n, 2, l);
}

static uint64_t
cot_bytes(size_t n, unsigned l)
{
    return 16 * (uint64_t)n + packed_chunks(n, 1, l);
}

static uint64_t
kk_bytes(size_t n, unsigned m, unsigned l)
{
    return 32 * (uint64_t)n + packed_chunks(n, (size_t)1 << m, l);
}

enum op {
    OP_MILL,
    OP_MILL_EQ,
    OP_WRAP,
    OP_MSB,
    OP_M2W_SH,
    OP_M2W_PUB,
    OP_DRELU,
    OP_RELU
};

struct run {
    enum op op;
    size_t n;
    unsigned bw, flags, nlanes;
    uint64_t *x[2];       /* inputs or shares, by role */
    uint8_t *m[2];        /* msb input of MSB-to-Wrap, by role */
    uint8_t *z[2], *e[2]; /* bit outputs by role */
    uint64_t *y[2];       /* ReLU outputs by role */
    int inplace;
    uint64_t sent[64][2]; /* per lane, per role: bytes sent by the op */
    uint64_t rounds[64][2];
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    size_t lo = c->n * L->id / c->nlanes, hi = c->n * (L->id + 1) / c->nlanes;
    size_t k = hi - lo;
    sr_role r = L->role;
    sr_chan_flush(&L->chan);
    /* Count the op's flights from a fresh state: the OT setup may end
     * with either side sending (chan.h: last = 0 means none yet). */
    L->chan.last = 0;
    sr_chan_stats before = sr_lane_stats(L);
    const uint64_t *x = c->x[r] + lo;
    switch (c->op) {
    case OP_MILL:
        rc = sr_mill(L, k, c->z[r] + lo, x, c->bw, c->flags);
        break;
    case OP_MILL_EQ:
        rc = sr_mill_eq(L, k, c->z[r] + lo, c->e[r] + lo, x, c->bw);
        break;
    case OP_WRAP:
        rc = sr_wrap(L, k, c->z[r] + lo, x, c->bw);
        break;
    case OP_MSB:
        rc = sr_msb(L, k, c->z[r] + lo, x, c->bw);
        break;
    case OP_M2W_SH:
    case OP_M2W_PUB: {
        uint8_t *w = c->inplace ? c->m[r] + lo : c->z[r] + lo;
        rc = sr_msb_to_wrap(L, k, w, x, c->m[r] + lo, c->bw,
                            c->op == OP_M2W_SH ? SR_MSB_SHARED : SR_MSB_PUBLIC);
        break;
    }
    case OP_DRELU:
        rc = sr_drelu(L, k, c->z[r] + lo, x, c->bw);
        break;
    case OP_RELU:
        rc = sr_relu(L, k, c->inplace ? c->x[r] + lo : c->y[r] + lo, x, c->bw);
        break;
    }
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), before);
    c->sent[L->id][r] = d.bytes_sent;
    c->rounds[L->id][r] = d.rounds;
    return rc;
}

/* ---- expected traffic, re-derived from the protocol description ---- */
static uint64_t
mill_bytes(size_t c, unsigned bw, int want_eq)
{
    if (c == 0)
        return 0;
    unsigned d = bw <= 6 ? 1 : (bw + 3) / 4;
    if (d == 1) {
        unsigned l = want_eq ? 2 : 1;
        return bw == 1 ? ot_bytes(c, l) : kk_bytes(c, bw, l);
    }
    /* lone gt ANDs: plain triples (half a 1-of-16 OT_2 row, 2 opened
     * bits); gt/eq pairs: a correlated triple (a 1-of-8 OT_2, 3 opened
     * bits); one exchange per level */
    size_t S = 0, Q = 0;
    uint64_t open = 0;
    for (unsigned i = 1; i < d; i *= 2) {
        size_t s1 = 0, q1 = 0;
        for (unsigned j = 0; j + i < d; j += 2 * i) {
            if (j == 0 && !want_eq)
                s1++;
            else
                q1++;
        }
        S += s1;
        Q += q1;
        open += 2 * ((2 * c * s1 + 3 * c * q1 + 7) / 8);
    }
    return kk_bytes(c * d + (c * S + 1) / 2, 4, 2) + kk_bytes(c * Q, 3, 2) +
           open;
}

static uint64_t
mux_bytes(size_t c, unsigned bw)
{
    return 2 * cot_bytes(c, bw);
}

static uint64_t
op_bytes(enum op op, size_t c, unsigned bw)
{
    switch (op) {
    case OP_MILL:
        return mill_bytes(c, bw, 0);
    case OP_MILL_EQ:
        return mill_bytes(c, bw, 1);
    case OP_WRAP:
        return mill_bytes(c, bw, 0);
    case OP_MSB:
    case OP_DRELU:
        return bw == 1 ? 0 : mill_bytes(c, bw - 1, 0);
    case OP_M2W_SH:
        return c ? kk_bytes(c, 2, 1) : 0;
    case OP_M2W_PUB:
        return c ? ot_bytes(c, 1) : 0;
    case OP_RELU:
        return (bw == 1 ? 0 : mill_bytes(c, bw - 1, 0)) +
               (c ? mux_bytes(c, bw) : 0);
    }
    return 0;
}

static uint64_t
mill_rounds(unsigned bw)
{
    unsigned d = bw <= 6 ? 1 : (bw + 3) / 4, lv = 0;
    for (unsigned i = 1; i < d; i *= 2)
        lv++;
    return 2 + lv;
}

/* Rounds of one call on c > 0 instances (any c: the rounds are constant
 * in n). */
static uint64_t
op_rounds(enum op op, unsigned bw)
{
    switch (op) {
    case OP_MILL:
    case OP_MILL_EQ:
    case OP_WRAP:
        return mill_rounds(bw);
    case OP_MSB:
    case OP_DRELU:
        return bw == 1 ? 0 : mill_rounds(bw - 1);
    case OP_M2W_SH:
    case OP_M2W_PUB:
        return 2;
    case OP_RELU:
        return (bw == 1 ? 0 : mill_rounds(bw - 1)) + 3;
    }
    return 0;
}

static int
cmp_flag(uint64_t a, uint64_t b, unsigned flags)
{
    switch (flags) {
    case SR_MILL_GE:
        return a >= b;
    case SR_MILL_LT:
        return a < b;
    case SR_MILL_LE:
        return a <= b;
    default:
        return a > b;
    }
}

/* Inputs: edges first, then random; shares wrap and don't. */
static void
make_inputs(struct run *c, uint64_t seed)
{
    const uint64_t mk = sr_mask(c->bw);
    const uint64_t half = (uint64_t)1 << (c->bw - 1);
    const uint64_t ed[] = {0, 1, mk, half - 1, half, half + 1, mk - 1, 2};
    const size_t ne = sizeof ed / sizeof ed[0];
    uint64_t s = seed;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t a, b;
        if (i < ne * ne) {
            a = ed[i / ne] & mk;
            b = ed[i % ne] & mk;
        } else if (i % 5 == 0) {
            a = b = sr_test_rand64(&s) & mk; /* equal */
        } else if (i % 5 == 1) {
            a = sr_test_rand64(&s) & mk; /* neighbours */
            b = (a + 1) & mk;
        } else {
            a = sr_test_rand64(&s) & mk;
            b = sr_test_rand64(&s) & mk;
        }
        c->x[SR_ALICE][i] = a;
        c->x[SR_BOB][i] = b;
        c->m[SR_ALICE][i] = (uint8_t)(sr_test_rand64(&s) & 1);
    }
}

static void
run_case_opt(enum op op, size_t n, unsigned bw, unsigned flags, unsigned nl,
             int inplace, int tcp)
{
    struct run *c = calloc(1, sizeof *c);
    c->op = op;
    c->n = n;
    c->bw = bw;
    c->flags = flags;
    c->nlanes = nl;
    c->inplace = inplace;
    for (int r = 0; r < 2; r++) {
        c->x[r] = calloc(n + 1, sizeof(uint64_t));
        c->y[r] = calloc(n + 1, sizeof(uint64_t));
        c->m[r] = calloc(n + 1, 1);
        c->z[r] = calloc(n + 1, 1);
        c->e[r] = calloc(n + 1, 1);
    }
    make_inputs(c, sr_test_seed() ^ (bw * 131 + n * 7 + op));
    const uint64_t mk = sr_mask(bw);
    uint64_t *xs = calloc(n + 1, sizeof(uint64_t)); /* secret for shares */
    uint8_t *msb = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        xs[i] = (c->x[SR_ALICE][i] + c->x[SR_BOB][i]) & mk;
        msb[i] = (uint8_t)((xs[i] >> (bw - 1)) & 1);
        if (op == OP_M2W_SH)
            c->m[SR_BOB][i] = (uint8_t)(msb[i] ^ c->m[SR_ALICE][i]);
        else if (op == OP_M2W_PUB)
            c->m[SR_ALICE][i] = c->m[SR_BOB][i] = msb[i];
    }
    sr_test_opts o = {.nlanes = nl, .tcp = tcp, .nconn = tcp ? 3 : 1};
    int rc = sr_test_run(party, c, &o);
    cr_assert_eq(rc, SR_OK, "op=%d bw=%u n=%zu rc=%d", op, bw, n, rc);
    for (size_t i = 0; i < n; i++) {
        uint64_t a = c->x[SR_ALICE][i], b = c->x[SR_BOB][i];
        uint8_t z = (uint8_t)(c->z[SR_ALICE][i] ^ c->z[SR_BOB][i]);
        switch (op) {
        case OP_MILL:
            cr_assert_eq(z, cmp_flag(a, b, flags), "i=%zu a=%llx b=%llx", i,
                         (unsigned long long)a, (unsigned long long)b);
            break;
        case OP_MILL_EQ: {
            uint8_t e = (uint8_t)(c->e[SR_ALICE][i] ^ c->e[SR_BOB][i]);
            cr_assert_eq(z, a > b, "gt i=%zu", i);
            cr_assert_eq(e, a == b, "eq i=%zu", i);
            break;
        }
        case OP_WRAP:
        case OP_M2W_SH:
        case OP_M2W_PUB: {
            uint8_t want = bw == 64 ? (a + b < a) : ((a + b) >> bw) & 1;
            if (op != OP_WRAP && inplace) /* w written over msb */
                z = (uint8_t)(c->m[SR_ALICE][i] ^ c->m[SR_BOB][i]);
            cr_assert_eq(z, want, "wrap i=%zu a=%llx b=%llx", i,
                         (unsigned long long)a, (unsigned long long)b);
            break;
        }
        case OP_MSB:
            cr_assert_eq(z, msb[i], "msb i=%zu", i);
            break;
        case OP_DRELU:
            cr_assert_eq(z, msb[i] ^ 1, "drelu i=%zu", i);
            break;
        case OP_RELU: {
            const uint64_t *ya = inplace ? c->x[SR_ALICE] : c->y[SR_ALICE];
            const uint64_t *yb = inplace ? c->x[SR_BOB] : c->y[SR_BOB];
            uint64_t y = (ya[i] + yb[i]) & mk;
            cr_assert_eq(y, msb[i] ? 0 : xs[i], "relu i=%zu", i);
            break;
        }
        }
    }
    /* Exact bytes: per lane the documented formula. */
    uint64_t want = 0, got = 0;
    for (unsigned k = 0; k < nl; k++) {
        size_t lo = n * k / nl, hi = n * (k + 1) / nl;
        want += op_bytes(op, hi - lo, bw);
        got += c->sent[k][0] + c->sent[k][1];
        if (hi > lo)
            for (int r = 0; r < 2; r++)
                cr_assert_eq(c->rounds[k][r], op_rounds(op, bw),
                             "rounds op=%d bw=%u: %llu", op, bw,
                             (unsigned long long)c->rounds[k][r]);
    }
    cr_assert_eq(got, want, "bytes op=%d bw=%u n=%zu: got %llu want %llu", op,
                 bw, n, (unsigned long long)got, (unsigned long long)want);
    cr_assert_eq(o.st[SR_SERVER].bytes_sent + o.st[SR_CLIENT].bytes_sent, got);
    for (int r = 0; r < 2; r++) {
        free(c->x[r]);
        free(c->y[r]);
        free(c->m[r]);
        free(c->z[r]);
        free(c->e[r]);
    }
    free(xs);
    free(msb);
    free(c);
}

static void
run_case(enum op op, size_t n, unsigned bw, unsigned flags, unsigned nl,
         int inplace)
{
    run_case_opt(op, n, bw, flags, nl, inplace, 0);
}

static const unsigned widths[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 32, 63, 64};
#define NW (sizeof widths / sizeof widths[0])

struct p {
    unsigned op;
    size_t n;
    unsigned nl;
    int inplace;
};

ParameterizedTestParameters(mill, all_widths)
{
    static struct p ps[] = {
        {OP_MILL, 1001, 1, 0},    {OP_MILL, 1, 1, 0},
        {OP_MILL, 0, 1, 0},       {OP_MILL, 1003, 3, 0},
        {OP_MILL_EQ, 1001, 1, 0}, {OP_MILL_EQ, 77, 2, 0},
        {OP_WRAP, 1001, 1, 0},    {OP_WRAP, 1, 2, 0},
        {OP_MSB, 1001, 1, 0},     {OP_MSB, 1003, 2, 0},
        {OP_M2W_SH, 1001, 1, 0},  {OP_M2W_SH, 1001, 2, 1},
        {OP_M2W_PUB, 1001, 1, 0}, {OP_M2W_PUB, 99, 3, 1},
        {OP_DRELU, 1001, 1, 0},   {OP_RELU, 1001, 1, 0},
        {OP_RELU, 1001, 2, 1},    {OP_RELU, 0, 1, 0},
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, mill, all_widths)
{
    /* Every width on one lane; a sample of widths on several lanes. */
    for (size_t w = 0; w < NW; w++)
        if (p->nl == 1 || w % 3 == 0)
            run_case((enum op)p->op, p->n, widths[w], SR_MILL_GT, p->nl,
                     p->inplace);
}

Test(mill, flags_ge_lt_le)
{
    for (unsigned f = SR_MILL_GE; f <= SR_MILL_LE; f++)
        for (size_t w = 0; w < NW; w++)
            run_case(OP_MILL, 333, widths[w], f, 1, 0);
}

Test(mill, large_batch_constant_rounds)
{
    /* Batches spanning several of the former 32 MiB chunks (about 9000
     * comparisons at 64 bits, 19000 at 32): bytes and rounds must equal
     * the one-call formulas (run_case_opt asserts both on every lane). */
    run_case(OP_MILL, 40009, 64, SR_MILL_GT, 1, 0);
    run_case(OP_MSB, 70001, 32, SR_MILL_GT, 1, 0);
    run_case(OP_RELU, 60013, 32, SR_MILL_GT, 2, 0);
    run_case(OP_M2W_SH, 1100003, 32, SR_MILL_GT, 1, 0);
}

/* bw = 0: empty inputs are equal; no traffic. */
struct zero_run {
    uint8_t gt[2][5], eq[2][5], ge[2][5], w[2][5];
    uint64_t sent[2];
};

static int
zero_party(sr_lane *L, void *arg)
{
    struct zero_run *c = arg;
    uint64_t x[5] = {0, 1, 2, 3, 4};
    sr_role r = L->role;
    int rc = sr_mill_eq(L, 5, c->gt[r], c->eq[r], x, 0);
    if (rc == SR_OK)
        rc = sr_mill(L, 5, c->ge[r], x, 0, SR_MILL_GE);
    if (rc == SR_OK)
        rc = sr_wrap(L, 5, c->w[r], x, 0);
    c->sent[r] = sr_lane_stats(L).bytes_sent - L->setup.bytes_sent;
    return rc;
}

Test(mill, zero_width)
{
    struct zero_run c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(sr_test_run2(zero_party, &c), SR_OK);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(c.gt[0][i] ^ c.gt[1][i], 0);
        cr_assert_eq(c.eq[0][i] ^ c.eq[1][i], 1);
        cr_assert_eq(c.ge[0][i] ^ c.ge[1][i], 1);
        cr_assert_eq(c.w[0][i] ^ c.w[1][i], 0);
    }
    cr_assert_eq(c.sent[0] + c.sent[1], 0);
}

Test(mill, tcp_striped)
{
    /* Loopback TCP with 3 connections per lane; a 64-bit chunked batch
     * whose OT messages exceed the striping threshold. */
    run_case_opt(OP_RELU, 20011, 64, SR_MILL_GT, 2, 1, 1);
    run_case_opt(OP_MILL_EQ, 1001, 17, SR_MILL_GT, 1, 0, 1);
}
