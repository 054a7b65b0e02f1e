/*
 * tests/test_share.c -- local share arithmetic, open, reveal, split.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/share.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(50);
}

TestSuite(share, .init = arm_alarm);

enum op { OPEN, REVEAL_S, REVEAL_C, BITS_OPEN, CONSTS };

struct run {
    enum op op;
    size_t n;
    unsigned nl, bw;
    uint64_t c;
    uint64_t *x[2], *out[2], *pub;
    uint8_t *b[2], *bo[2];
    uint64_t sent[16][2], rounds[16];
    int inplace;
};

static int
party(sr_lane *L, void *arg)
{
    struct run *c = arg;
    size_t lo = c->n * L->id / c->nl, hi = c->n * (L->id + 1) / c->nl;
    size_t k = hi - lo;
    sr_role r = L->role;
    sr_chan_stats b = sr_lane_stats(L);
    uint64_t *out = c->inplace ? c->x[r] + lo : c->out[r] + lo;
    int rc = SR_OK;
    switch (c->op) {
    case OPEN:
        rc = sr_share_open(L, k, out, c->x[r] + lo, c->bw);
        break;
    case REVEAL_S:
    case REVEAL_C: {
        sr_partyid to = c->op == REVEAL_S ? SR_SERVER : SR_CLIENT;
        rc = sr_share_reveal(L, k, L->party == to ? out : NULL, c->x[r] + lo,
                             c->bw, to);
        break;
    }
    case BITS_OPEN:
        rc = sr_bits_open(L, k, c->inplace ? c->b[r] + lo : c->bo[r] + lo,
                          c->b[r] + lo);
        break;
    case CONSTS:
        /* out = 3 * (x + c + pub) - x, then negated twice */
        sr_share_add_const(L, k, out, c->x[r] + lo, c->c, c->bw);
        sr_share_add_pub(L, k, out, out, c->pub + lo, c->bw);
        sr_share_mul_const(k, out, out, 3, c->bw);
        sr_share_sub(k, out, out, c->x[r] + lo, c->bw);
        sr_share_neg(k, out, out, c->bw);
        sr_share_neg(k, out, out, c->bw);
        sr_share_add(k, out, out, out, c->bw);
        sr_bits_xor_const(L, k, c->bo[r] + lo, c->b[r] + lo, 1);
        break;
    }
    sr_chan_flush(&L->chan);
    sr_chan_stats d = sr_chan_stats_diff(sr_lane_stats(L), b);
    c->sent[L->id][L->party] = d.bytes_sent;
    c->rounds[L->id] = d.rounds;
    return rc;
}

static void
run_case(enum op op, size_t n, unsigned nl, unsigned bw, int inplace)
{
    const uint64_t mk = sr_mask(bw);
    struct run c = {.op = op, .n = n, .nl = nl, .bw = bw, .inplace = inplace};
    sr_prg g;
    uint8_t key[16];
    sr_prg_derive_key(key, sr_test_seed(), "test_share");
    cr_assert_eq(sr_prg_init(&g, key), SR_OK);
    uint64_t *v = malloc(8 * (n + 1));
    uint8_t *vb = malloc(n + 1);
    c.pub = malloc(8 * (n + 1));
    for (int r = 0; r < 2; r++) {
        c.x[r] = malloc(8 * (n + 1));
        c.out[r] = calloc(n + 1, 8);
        c.b[r] = malloc(n + 1);
        c.bo[r] = calloc(n + 1, 1);
    }
    sr_prg_u64(&g, v, n + 1, bw);
    sr_prg_bits(&g, vb, n + 1);
    sr_prg_u64(&g, c.pub, n + 1, bw);
    if (n > 0)
        v[0] = mk;
    c.c = (uint64_t)0x123456789abcdefULL & mk;
    sr_share_split(&g, n, c.x[0], c.x[1], v, bw);
    sr_bits_split(&g, n, c.b[0], c.b[1], vb);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq((c.x[0][i] + c.x[1][i]) & mk, v[i]);
        cr_assert_eq(c.b[0][i] ^ c.b[1][i], vb[i]);
    }
    sr_test_opts o = {.nlanes = nl};
    cr_assert_eq(sr_test_run(party, &c, &o), SR_OK);
    uint64_t **out = inplace ? c.x : c.out;
    for (size_t i = 0; i < n; i++) {
        switch (op) {
        case OPEN:
            cr_assert_eq(out[0][i], v[i], "bw=%u i=%zu", bw, i);
            cr_assert_eq(out[1][i], v[i]);
            break;
        case REVEAL_S:
        case REVEAL_C: {
            /* by role: find which role was the receiving party's on the
             * lane of element i */
            unsigned k = 0;
            while (n * (k + 1) / nl <= i)
                k++;
            sr_role to =
                sr_lane_role(op == REVEAL_S ? SR_SERVER : SR_CLIENT, k);
            cr_assert_eq(out[to][i], v[i], "bw=%u i=%zu", bw, i);
            if (!inplace)
                cr_assert_eq(out[sr_peer(to)][i], 0);
            break;
        }
        case BITS_OPEN: {
            uint8_t **bo = inplace ? c.b : c.bo;
            cr_assert_eq(bo[0][i], vb[i]);
            cr_assert_eq(bo[1][i], vb[i]);
            break;
        }
        case CONSTS: {
            uint64_t w = (3 * (v[i] + c.c + c.pub[i]) - v[i]) * 2;
            cr_assert_eq((out[0][i] + out[1][i]) & mk, w & mk);
            cr_assert_eq(c.bo[0][i] ^ c.bo[1][i], vb[i] ^ 1);
            break;
        }
        }
    }
    for (unsigned k = 0; k < nl; k++) {
        size_t cnt = n * (k + 1) / nl - n * k / nl;
        uint64_t s = c.sent[k][SR_SERVER], cl = c.sent[k][SR_CLIENT];
        uint64_t nb = (cnt * bw + 7) / 8, bb = (cnt + 7) / 8;
        switch (op) {
        case OPEN:
            cr_assert(s == nb && cl == nb);
            cr_assert_eq(c.rounds[k], cnt ? 1 : 0);
            break;
        case REVEAL_S:
            cr_assert(s == 0 && cl == nb);
            break;
        case REVEAL_C:
            cr_assert(s == nb && cl == 0);
            break;
        case BITS_OPEN:
            cr_assert(s == bb && cl == bb);
            break;
        case CONSTS:
            cr_assert(s == 0 && cl == 0);
            break;
        }
    }
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.out[r]);
        free(c.b[r]);
        free(c.bo[r]);
    }
    free(c.pub);
    free(v);
    free(vb);
    sr_prg_clear(&g);
}

struct p {
    unsigned op;
    size_t n;
    unsigned nl;
    int inplace;
};

ParameterizedTestParameters(share, all_widths)
{
    static struct p ps[] = {
        {OPEN, 0, 1, 0},         {OPEN, 1, 1, 0},        {OPEN, 1001, 3, 1},
        {REVEAL_S, 1001, 2, 0},  {REVEAL_C, 1001, 1, 1}, {REVEAL_C, 7, 3, 0},
        {BITS_OPEN, 1001, 2, 0}, {BITS_OPEN, 9, 1, 1},   {CONSTS, 1001, 2, 0},
        {CONSTS, 0, 1, 0},
    };
    return cr_make_param_array(struct p, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct p *p, share, all_widths)
{
    static const unsigned bws[] = {1, 2, 7, 8, 16, 31, 32, 63, 64};
    for (size_t w = 0; w < sizeof bws / sizeof bws[0]; w++)
        run_case((enum op)p->op, p->n, p->nl, bws[w], p->inplace);
}
