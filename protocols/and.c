/*
 * protocols/and.c -- bit triples from 1-of-16 OT_2 and Beaver AND
 * (SIRNN Sec. III "AND"; CrypTFlow2 Sec. 3.1).
 */
#include "protocols/and.h"

#include "protocols/internal.h"
#include "protocols/ot.h"
#include "protocols/ot_stream.h"

/*
 * Triple rows: instance t carries triples 2t and 2t+1.  Alice draws one
 * byte per instance: bits 0-1 her a's, 2-3 her b's, 4-5 her c's.  For
 * Bob's choice v = aB | bB << 2 (two bits each) she offers
 *   M[v] = cA XOR ((aA XOR aB) AND (bA XOR bB))   (2 bits),
 * so Bob's received value is his c share of both triples.
 */
/* see internal.h */
void
sr_triples_alice(sr_prg *g, size_t k, uint64_t *msg, uint8_t *a, uint8_t *b,
                 uint8_t *c)
{
    const size_t t_n = sr_triple_ots(k);
    uint8_t rnd[256];
    for (size_t t0 = 0; t0 < t_n; t0 += sizeof rnd) {
        size_t cnt = t_n - t0 < sizeof rnd ? t_n - t0 : sizeof rnd;
        sr_prg_bytes(g, rnd, cnt);
        for (size_t u = 0; u < cnt; u++) {
            size_t t = t0 + u;
            unsigned aa = rnd[u] & 3, bb = (rnd[u] >> 2) & 3,
                     cc = (rnd[u] >> 4) & 3;
            uint64_t *row = msg + 16 * t;
            for (unsigned v = 0; v < 16; v++)
                row[v] = cc ^ ((aa ^ (v & 3)) & (bb ^ (v >> 2)));
            for (unsigned s = 0; s < 2 && 2 * t + s < k; s++) {
                a[2 * t + s] = (uint8_t)((aa >> s) & 1);
                b[2 * t + s] = (uint8_t)((bb >> s) & 1);
                c[2 * t + s] = (uint8_t)((cc >> s) & 1);
            }
        }
    }
}

/* see internal.h */
void
sr_triples_bob_choose(sr_prg *g, size_t k, uint8_t *choice, uint8_t *a,
                      uint8_t *b)
{
    const size_t t_n = sr_triple_ots(k);
    sr_prg_bytes(g, choice, t_n);
    for (size_t t = 0; t < t_n; t++) {
        choice[t] &= 15;
        for (unsigned s = 0; s < 2 && 2 * t + s < k; s++) {
            a[2 * t + s] = (uint8_t)((choice[t] >> s) & 1);
            b[2 * t + s] = (uint8_t)((choice[t] >> (2 + s)) & 1);
        }
    }
}

/* see internal.h */
void
sr_triples_bob_finish(size_t k, uint8_t *c, const uint64_t *out)
{
    for (size_t i = 0; i < k; i++)
        c[i] = (uint8_t)((out[i / 2] >> (i % 2)) & 1);
}

/*
 * Beaver: with e = x ^ a and f = y ^ b public,
 *   x y = (a ^ e)(b ^ f) = c ^ e b ^ f a ^ e f,
 * each party takes c_P ^ e b_P ^ f a_P and Alice adds e f.
 */
/* e = x ^ a, f = y ^ b for k ANDs, packed as e (k bits) then f. */
static void
and_mask(size_t k, uint8_t *ef, uint8_t *packed, const uint8_t *x,
         const uint8_t *y, const uint8_t *a, const uint8_t *b)
{
    for (size_t i = 0; i < k; i++) {
        ef[i] = (uint8_t)((x[i] ^ a[i]) & 1);
        ef[k + i] = (uint8_t)((y[i] ^ b[i]) & 1);
    }
    sr_bits_pack(packed, ef, 2 * k);
}

/* z = c ^ e b ^ f a (^ e f for Alice), e and f = own XOR peer's. */
static void
and_finish(sr_lane *L, size_t k, uint8_t *z, const uint8_t *ef,
           const uint8_t *in, const uint8_t *a, const uint8_t *b,
           const uint8_t *c)
{
    const uint8_t alice = L->role == SR_ALICE;
    for (size_t i = 0; i < k; i++) {
        uint8_t e = (uint8_t)(ef[i] ^ ((in[i / 8] >> (i % 8)) & 1));
        size_t j = k + i;
        uint8_t f = (uint8_t)(ef[j] ^ ((in[j / 8] >> (j % 8)) & 1));
        z[i] = (uint8_t)(c[i] ^ (e & b[i]) ^ (f & a[i]) ^ (alice & e & f));
    }
}

/* see internal.h */
int
sr_and_with_triples(sr_lane *L, size_t k, uint8_t *z, const uint8_t *x,
                    const uint8_t *y, const uint8_t *a, const uint8_t *b,
                    const uint8_t *c)
{
    if (k == 0)
        return sr_chan_error(&L->chan);
    const size_t nb = sr_ceil_div(2 * k, 8);
    uint8_t *ef = sr_scratch_u8(L, 2 * k);
    uint8_t *buf = sr_scratch_u8(L, 2 * nb);
    if (ef == NULL || buf == NULL) {
        sr_scratch_release(L, buf);
        sr_scratch_release(L, ef);
        return SR_ENOMEM;
    }
    and_mask(k, ef, buf, x, y, a, b);
    /* A <-> B: 2k bits (e then f) each way */
    sr_chan_exchange(&L->chan, buf + nb, nb, buf, nb);
    and_finish(L, k, z, ef, buf + nb, a, b, c);
    sr_scratch_release(L, buf);
    sr_scratch_release(L, ef);
    return sr_chan_error(&L->chan);
}

/* Scratch of one sr_and call (the whole batch: one OT call, so the
 * rounds do not depend on n; about 8 bytes per AND, plus 8 per triple
 * row on Bob). */
struct and_work {
    uint8_t *a, *b, *c, *ef, *pk, *choice;
    uint64_t *buf; /* Alice: message rows; Bob: received values */
};

/*
 * A triple's a and b are independent of the OT's outputs, so each side
 * can mask its inputs before the triple OT and the openings ride on the
 * OT's two flights: Bob sends e_B, f_B with his choice code words, Alice
 * sends e_A, f_A after her masked rows.  2 rounds instead of 3.
 */
/* Alice's triple rows, drawn chunk by chunk for sr_kkot_send_cb. */
struct and_rows {
    sr_prg *g;
    size_t k;
    uint8_t *a, *b, *c;
};

static void
and_rows_fill(void *ctx, size_t t0, size_t r, uint64_t *msg)
{
    struct and_rows *q = ctx;
    size_t kk = 2 * r;
    if (kk > q->k - 2 * t0)
        kk = q->k - 2 * t0;
    sr_triples_alice(q->g, kk, msg, q->a + 2 * t0, q->b + 2 * t0,
                     q->c + 2 * t0);
}

static int
and_alice(sr_lane *L, size_t k, uint8_t *z, const uint8_t *x, const uint8_t *y,
          struct and_work *w)
{
    const size_t nb = sr_ceil_div(2 * k, 8);
    /* 1. B -> A: Bob's e, f (2k bits), then his code words */
    sr_chan_recv(&L->chan, w->pk + nb, nb);
    struct and_rows q = {&L->prg, k, w->a, w->b, w->c};
    /* 1. B -> A: choice code words; 2. A -> B: masked rows (1-of-16 OT_2) */
    int rc = sr_kkot_send_cb(L, sr_triple_ots(k), and_rows_fill, &q, 4, 2);
    if (rc != SR_OK)
        return rc;
    and_mask(k, w->ef, w->pk, x, y, w->a, w->b);
    /* 2. A -> B: Alice's e, f (2k bits) */
    sr_chan_send(&L->chan, w->pk, nb);
    sr_chan_flush(&L->chan);
    and_finish(L, k, z, w->ef, w->pk + nb, w->a, w->b, w->c);
    return sr_chan_error(&L->chan);
}

static int
and_bob(sr_lane *L, size_t k, uint8_t *z, const uint8_t *x, const uint8_t *y,
        struct and_work *w)
{
    const size_t nb = sr_ceil_div(2 * k, 8);
    sr_triples_bob_choose(&L->prg, k, w->choice, w->a, w->b);
    and_mask(k, w->ef, w->pk, x, y, w->a, w->b);
    /* 1. B -> A: Bob's e, f (2k bits), then his code words */
    sr_chan_send(&L->chan, w->pk, nb);
    /* 1. B -> A: choice code words; 2. A -> B: masked rows (1-of-16 OT_2) */
    int rc = sr_kkot_recv(L, sr_triple_ots(k), w->buf, w->choice, 4, 2);
    if (rc != SR_OK)
        return rc;
    sr_triples_bob_finish(k, w->c, w->buf);
    /* 2. A -> B: Alice's e, f (2k bits) */
    sr_chan_recv(&L->chan, w->pk + nb, nb);
    and_finish(L, k, z, w->ef, w->pk + nb, w->a, w->b, w->c);
    return sr_chan_error(&L->chan);
}

/* see and.h */
int
sr_and(sr_lane *L, size_t n, uint8_t *z, const uint8_t *x, const uint8_t *y)
{
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL && y != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    const size_t cap = n;
    const size_t rows = sr_triple_ots(cap), nb = sr_ceil_div(2 * cap, 8);
    struct and_work w;
    uint8_t *bytes = sr_scratch_u8(L, 5 * cap + 2 * nb + rows);
    w.buf = sr_scratch_u64(L, L->role == SR_ALICE ? 1 : rows);
    if (bytes == NULL || w.buf == NULL) {
        sr_scratch_release(L, w.buf);
        sr_scratch_release(L, bytes);
        return SR_ENOMEM;
    }
    w.a = bytes;
    w.b = w.a + cap;
    w.c = w.b + cap;
    w.ef = w.c + cap;      /* 2 cap */
    w.pk = w.ef + 2 * cap; /* own packed e, f then the peer's */
    w.choice = w.pk + 2 * nb;
    /* z is written after x, y are read: z may alias x or y. */
    int rc = L->role == SR_ALICE ? and_alice(L, n, z, x, y, &w)
                                 : and_bob(L, n, z, x, y, &w);
    sr_scratch_release(L, w.buf);
    sr_scratch_release(L, bytes);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}

/* see internal.h */
int
sr_triples(sr_lane *L, size_t k, uint8_t *a, uint8_t *b, uint8_t *c)
{
    SR_REQUIRE(k == 0 || (a != NULL && b != NULL && c != NULL));
    if (k == 0)
        return sr_chan_error(&L->chan);
    const size_t rows = sr_triple_ots(k);
    int rc;
    if (L->role == SR_ALICE) {
        struct and_rows q = {&L->prg, k, a, b, c};
        /* B -> A: choice code words; A -> B: rows x 16 x 2 bits */
        rc = sr_kkot_send_cb(L, rows, and_rows_fill, &q, 4, 2);
    } else {
        uint8_t *ch = sr_scratch_u8(L, rows);
        uint64_t *out = sr_scratch_u64(L, rows);
        if (ch == NULL || out == NULL) {
            sr_scratch_release(L, out);
            sr_scratch_release(L, ch);
            return SR_ENOMEM;
        }
        sr_triples_bob_choose(&L->prg, k, ch, a, b);
        /* B -> A: choice code words; A -> B: rows x 16 x 2 bits */
        rc = sr_kkot_recv(L, rows, out, ch, 4, 2);
        if (rc == SR_OK)
            sr_triples_bob_finish(k, c, out);
        sr_scratch_release(L, out);
        sr_scratch_release(L, ch);
    }
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}
