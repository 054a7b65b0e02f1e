/*
 * protocols/mill.c -- millionaires' comparison (CrypTFlow2, SIRNN App. C);
 * wrap, MSB, MSB-to-Wrap, DReLU and ReLU on top of it: protocols/msb.c.
 */
#include "protocols/mill.h"

#include <string.h>

#include "protocols/internal.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "protocols/ot_stream.h"
#include "protocols/share.h"

/*
 * The shape of one comparison: d leaves of SR_MILL_RADIX bits, or for
 * bw <= SR_MILL_LEAF_MAX one leaf of bw bits (a single 1-of-2^bw OT: fewer
 * bytes and one round less than two 4-bit leaves and an AND, for about
 * the same hashing), and the AND tree over them.  Level v pairs leaf
 * j with j + 2^v for j = 0, 2^(v+1), ...; a pair costs two ANDs
 * (gt and eq), one on the leftmost path when equality is not wanted.
 */
struct mill_plan {
    unsigned bw, d, m; /* m: bits of the leaf OT (4, or bw if d = 1) */
    unsigned levels;
    size_t ands[8]; /* ANDs per comparison at each level */
    size_t A;       /* total ANDs per comparison */
    size_t singles; /* of them, lone gt ANDs (plain triples) */
    size_t pairs;   /* gt/eq AND pairs sharing eq_hi (correlated) */
    unsigned flags;
    int want_eq;
};

static void
mill_plan_make(struct mill_plan *p, unsigned bw, unsigned flags, int want_eq)
{
    p->bw = bw;
    p->flags = flags;
    p->want_eq = want_eq;
    p->d =
        bw <= SR_MILL_LEAF_MAX ? 1 : (bw + SR_MILL_RADIX - 1) / SR_MILL_RADIX;
    p->m = p->d == 1 ? bw : SR_MILL_RADIX;
    p->levels = 0;
    p->A = p->singles = p->pairs = 0;
    for (unsigned i = 1; i < p->d; i *= 2) {
        size_t k = 0;
        for (unsigned j = 0; j + i < p->d; j += 2 * i) {
            int single = j == 0 && !want_eq;
            k += single ? 1 : 2;
            p->singles += single ? 1 : 0;
            p->pairs += single ? 0 : 1;
        }
        p->ands[p->levels++] = k;
        p->A += k;
    }
}

/* Leaf predicate of Alice's digit a against Bob's candidate v. */
static unsigned
leaf_cmp(unsigned a, unsigned v, unsigned j, unsigned flags)
{
    int lt = (flags & SR_MILL_LT) != 0;
    int or_eq = j == 0 && (flags & SR_MILL_GE) != 0;
    if (lt)
        return or_eq ? a <= v : a < v;
    return or_eq ? a >= v : a > v;
}

/*
 * Working state of one chunk of c comparisons: gt/eq leaf shares
 * (leaf j of comparison i at j * c + i), the triples, OT buffers.
 */
struct mill_work {
    uint8_t *gt, *eq, *ta, *tb, *tc;
    uint8_t *choice;
    uint64_t *buf; /* Alice: msg rows; Bob: received values */
    size_t k;      /* plain triples: c singles, then extras */
    /* correlated triples (a, b1, b2, c1 = a b1, c2 = a b2), c pairs */
    size_t kc;
    uint8_t *ca, *cb1, *cb2, *cc1, *cc2, *cchoice;
    uint64_t *cout; /* Bob: received values of the correlated rows */
};

/*
 * Correlated triples: one 1-of-8 OT_2 per pair.  Alice draws a, b1, b2,
 * c1, c2; Bob's choice is his (a, b1, b2) and he gets his c1, c2 with
 * c1_A ^ c1_B = (a_A ^ a_B)(b1_A ^ b1_B), likewise c2.
 */
struct corr_rows {
    sr_prg *g;
    struct mill_work *w;
};

static void
corr_rows_fill(void *ctx, size_t t0, size_t r, uint64_t *msg)
{
    struct corr_rows *q = ctx;
    struct mill_work *w = q->w;
    uint8_t rnd[256];
    for (size_t u0 = 0; u0 < r; u0 += sizeof rnd) {
        size_t cnt = r - u0 < sizeof rnd ? r - u0 : sizeof rnd;
        sr_prg_bytes(q->g, rnd, cnt);
        for (size_t u = 0; u < cnt; u++) {
            size_t t = t0 + u0 + u;
            unsigned a = rnd[u] & 1, b1 = rnd[u] >> 1 & 1, b2 = rnd[u] >> 2 & 1,
                     c1 = rnd[u] >> 3 & 1, c2 = rnd[u] >> 4 & 1;
            uint64_t *row = msg + 8 * (u0 + u);
            for (unsigned v = 0; v < 8; v++) {
                unsigned aa = a ^ (v & 1);
                row[v] = (c1 ^ (aa & (b1 ^ (v >> 1 & 1)))) |
                         (uint64_t)(c2 ^ (aa & (b2 ^ (v >> 2)))) << 1;
            }
            w->ca[t] = (uint8_t)a;
            w->cb1[t] = (uint8_t)b1;
            w->cb2[t] = (uint8_t)b2;
            w->cc1[t] = (uint8_t)c1;
            w->cc2[t] = (uint8_t)c2;
        }
    }
}

/* Context of Alice's row generator (sr_kkot_send_cb). */
struct mill_rows {
    const struct mill_plan *p;
    size_t c, leaves, k;
    const uint64_t *x;
    struct mill_work *w;
    sr_prg *g;
    uint8_t tbl[2][1 << SR_MILL_LEAF_MAX][1 << SR_MILL_LEAF_MAX];
};

/*
 * Rows t0 .. t0 + r - 1 of Alice's OT: leaf rows (leaf j of comparison i
 * at row j * c + i) offer tbl[j == 0][a][v] ^ her output bits, then the
 * triple rows, drawn in order from her PRG.
 */
static void
mill_rows_fill(void *ctx, size_t t0, size_t r, uint64_t *msg)
{
    struct mill_rows *q = ctx;
    const struct mill_plan *p = q->p;
    const size_t N = (size_t)1 << p->m;
    const uint64_t lm = p->d > 1 || p->want_eq ? 3 : 1;
    size_t t = t0, end = t0 + r;
    for (; t < end && t < q->leaves; t++) {
        size_t j = t / q->c, i = t % q->c;
        unsigned a =
            (unsigned)(q->x[i] >> (SR_MILL_RADIX * j)) & (unsigned)(N - 1);
        const uint8_t *tr = q->tbl[j == 0][a];
        const uint64_t rr = (uint64_t)(q->w->gt[t] | q->w->eq[t] << 1);
        uint64_t *row = msg + (t - t0) * N;
        for (unsigned v = 0; v < N; v++)
            row[v] = (tr[v] ^ rr) & lm;
    }
    if (t < end) {
        /* Triple rows u0 .. u0 + (end - t) - 1: triples 2 u0 ... */
        size_t u0 = t - q->leaves, kk = 2 * (end - t);
        if (kk > q->k - 2 * u0)
            kk = q->k - 2 * u0;
        sr_triples_alice(q->g, kk, msg + (t - t0) * N, q->w->ta + 2 * u0,
                         q->w->tb + 2 * u0, q->w->tc + 2 * u0);
    }
}

/* 1. Alice: leaf messages and triple rows, then the OT (sender). */
static int
mill_alice(sr_lane *L, const struct mill_plan *p, size_t c, const uint64_t *x,
           struct mill_work *w)
{
    const size_t N = (size_t)1 << p->m;
    const size_t leaves = (size_t)p->d * c;
    /* Her leaf output shares are random bits (stored in gt/eq). */
    sr_prg_bytes(&L->prg, w->gt, leaves);
    for (size_t t = 0; t < leaves; t++) {
        w->eq[t] = (uint8_t)((w->gt[t] >> 1) & 1);
        w->gt[t] &= 1;
    }
    struct mill_rows q = {.p = p,
                          .c = c,
                          .leaves = leaves,
                          .k = w->k,
                          .x = x,
                          .w = w,
                          .g = &L->prg};
    /* tbl[lowest?][a][v] = cmp(a, v) | (a == v) << 1 (N <= 64). */
    for (unsigned lo = 0; lo < 2; lo++)
        for (unsigned a = 0; a < N; a++)
            for (unsigned v = 0; v < N; v++)
                q.tbl[lo][a][v] =
                    (uint8_t)(leaf_cmp(a, v, lo ? 0 : 1, p->flags) | (a == v)
                                                                         << 1);
    const size_t rows = leaves + sr_triple_ots(q.k);
    const unsigned l = p->d > 1 || p->want_eq ? 2 : 1;
    if (p->m == 1) {
        /* bw = 1 (no triples): a plain 1-of-2 OT is cheaper than 1-of-2
         * KKOT. */
        uint64_t *m0 = w->buf, *m1 = m0 + rows, two[2];
        for (size_t t = 0; t < rows; t++) {
            mill_rows_fill(&q, t, 1, two);
            m0[t] = two[0];
            m1[t] = two[1];
        }
        /* B -> A: OT columns; A -> B: n x 2 x l bits */
        return sr_ot_send(L, rows, m0, m1, l);
    }
    struct corr_rows cq = {&L->prg, w};
    const sr_kkot_batch bt[2] = {
        {.n = rows, .m = p->m, .l = l, .rows = mill_rows_fill, .ctx = &q},
        {.n = w->kc, .m = 3, .l = 2, .rows = corr_rows_fill, .ctx = &cq},
    };
    /* B -> A: choice code words of both batches; A -> B: rows x 2^m x l
     * bits, then kc x 8 x 2 bits (correlated triples) */
    return sr_kkot_send_multi(L, 2, bt);
}

/* 1. Bob: his digits and triple bits are the choices (receiver). */
static int
mill_bob(sr_lane *L, const struct mill_plan *p, size_t c, const uint64_t *x,
         struct mill_work *w)
{
    const size_t N = (size_t)1 << p->m;
    const size_t leaves = (size_t)p->d * c;
    for (unsigned j = 0; j < p->d; j++)
        for (size_t i = 0; i < c; i++)
            w->choice[j * c + i] =
                (uint8_t)((x[i] >> (SR_MILL_RADIX * j)) & (N - 1));
    const size_t k = w->k;
    sr_triples_bob_choose(&L->prg, k, w->choice + leaves, w->ta, w->tb);
    const size_t rows = leaves + sr_triple_ots(k);
    const unsigned l = p->d > 1 || p->want_eq ? 2 : 1;
    int rc;
    if (p->m == 1) {
        /* B -> A: OT columns; A -> B: n x 2 x l bits */
        rc = sr_ot_recv(L, rows, w->buf, w->choice, l);
    } else {
        sr_prg_bytes(&L->prg, w->cchoice, w->kc);
        for (size_t t = 0; t < w->kc; t++) {
            w->cchoice[t] &= 7;
            w->ca[t] = w->cchoice[t] & 1;
            w->cb1[t] = w->cchoice[t] >> 1 & 1;
            w->cb2[t] = w->cchoice[t] >> 2;
        }
        const sr_kkot_batch bt[2] = {
            {.n = rows, .m = p->m, .l = l, .out = w->buf, .c = w->choice},
            {.n = w->kc, .m = 3, .l = 2, .out = w->cout, .c = w->cchoice},
        };
        /* B -> A: choice code words of both batches; A -> B: rows x 2^m
         * x l bits, then kc x 8 x 2 bits (correlated triples) */
        rc = sr_kkot_recv_multi(L, 2, bt);
    }
    if (rc != SR_OK)
        return rc;
    for (size_t t = 0; t < w->kc; t++) {
        w->cc1[t] = (uint8_t)(w->cout[t] & 1);
        w->cc2[t] = (uint8_t)(w->cout[t] >> 1 & 1);
    }
    for (size_t t = 0; t < leaves; t++) {
        w->gt[t] = (uint8_t)(w->buf[t] & 1);
        w->eq[t] = (uint8_t)((w->buf[t] >> 1) & 1);
    }
    sr_triples_bob_finish(k, w->tc, w->buf + leaves);
    return SR_OK;
}

/*
 * 2. The AND tree, one exchange per level (both parties alike):
 *   gt_lo <- gt_hi XOR (eq_hi AND gt_lo),  eq_lo <- eq_hi AND eq_lo.
 * A pair (both ANDs) uses one correlated triple and opens e = eq_hi ^ a,
 * f1 = gt_lo ^ b1, f2 = eq_lo ^ b2 (3 bits); a lone gt AND (j = 0
 * without equality) a plain triple (e, f: 2 bits).  Per level one
 * exchange of ceil((2 s + 3 q) / 8) bytes each way, s lone ANDs and q
 * pairs of the level (over all c comparisons).
 */
static int
mill_tree(sr_lane *L, const struct mill_plan *p, size_t c, struct mill_work *w)
{
    size_t soff = 0, coff = 0;
    const uint8_t one = L->role == SR_ALICE;
    for (unsigned i = 1; i < p->d; i *= 2) {
        /* masked operands, bit-major: e, f of the s lone ANDs, then e,
         * f1, f2 of the q pairs */
        size_t s = 0, q = 0;
        for (unsigned j = 0; j + i < p->d; j += 2 * i)
            if (j == 0 && !p->want_eq)
                s += c;
            else
                q += c;
        const size_t nbits = 2 * s + 3 * q, nb = sr_ceil_div(nbits, 8);
        uint8_t *bits = sr_scratch_u8(L, nbits + 2 * nb + 1);
        if (bits == NULL)
            return SR_ENOMEM;
        uint8_t *pk = bits + nbits;
        size_t si = 0, qi = 0;
        for (unsigned j = 0; j + i < p->d; j += 2 * i) {
            const uint8_t *ehi = w->eq + (j + i) * c;
            const uint8_t *glo = w->gt + j * c, *elo = w->eq + j * c;
            for (size_t r = 0; r < c; r++) {
                if (j == 0 && !p->want_eq) {
                    size_t t = soff + si + r;
                    bits[si + r] = ehi[r] ^ w->ta[t];
                    bits[s + si + r] = glo[r] ^ w->tb[t];
                } else {
                    size_t t = coff + qi + r;
                    bits[2 * s + qi + r] = ehi[r] ^ w->ca[t];
                    bits[2 * s + q + qi + r] = glo[r] ^ w->cb1[t];
                    bits[2 * s + 2 * q + qi + r] = elo[r] ^ w->cb2[t];
                }
            }
            if (j == 0 && !p->want_eq)
                si += c;
            else
                qi += c;
        }
        sr_bits_pack(pk, bits, nbits);
        /* A <-> B: e, f of the lone ANDs, e, f1, f2 of the pairs */
        sr_chan_exchange(&L->chan, pk + nb, nb, pk, nb);
        int rc = sr_chan_error(&L->chan);
        if (rc != SR_OK) {
            sr_scratch_release(L, bits);
            return rc;
        }
        uint8_t *peer = sr_scratch_u8(L, nbits + 1);
        if (peer == NULL) {
            sr_scratch_release(L, bits);
            return SR_ENOMEM;
        }
        sr_bits_unpack(peer, pk + nb, nbits);
        for (size_t b = 0; b < nbits; b++)
            bits[b] ^= peer[b]; /* opened values */
        si = qi = 0;
        for (unsigned j = 0; j + i < p->d; j += 2 * i) {
            const uint8_t *ghi = w->gt + (j + i) * c;
            uint8_t *glo = w->gt + j * c, *elo = w->eq + j * c;
            for (size_t r = 0; r < c; r++) {
                if (j == 0 && !p->want_eq) {
                    size_t t = soff + si + r;
                    uint8_t E = bits[si + r], F = bits[s + si + r];
                    uint8_t z = w->tc[t] ^ (E & w->tb[t]) ^ (F & w->ta[t]) ^
                                (one & E & F);
                    glo[r] = ghi[r] ^ z;
                } else {
                    size_t t = coff + qi + r;
                    uint8_t E = bits[2 * s + qi + r];
                    uint8_t F1 = bits[2 * s + q + qi + r];
                    uint8_t F2 = bits[2 * s + 2 * q + qi + r];
                    uint8_t z1 = w->cc1[t] ^ (E & w->cb1[t]) ^ (F1 & w->ca[t]) ^
                                 (one & E & F1);
                    uint8_t z2 = w->cc2[t] ^ (E & w->cb2[t]) ^ (F2 & w->ca[t]) ^
                                 (one & E & F2);
                    glo[r] = ghi[r] ^ z1;
                    elo[r] = z2;
                }
            }
            if (j == 0 && !p->want_eq)
                si += c;
            else
                qi += c;
        }
        sr_scratch_release(L, peer);
        sr_scratch_release(L, bits);
        soff += s;
        coff += q;
    }
    return SR_OK;
}

static void
mill_work_free(sr_lane *L, struct mill_work *w, uint8_t *bytes)
{
    sr_scratch_release(L, w->buf);
    sr_scratch_release(L, bytes);
}

/*
 * Runs the comparison on all n inputs at once; gt and eq (may be NULL).
 * xk > 0 (only when bw > SR_MILL_LEAF_MAX): xk extra bit triples ride on
 * the same OT and are written to xa, xb, xc.
 */
static int
mill_run(sr_lane *L, size_t n, uint8_t *gt, uint8_t *eq, const uint64_t *x,
         unsigned bw, unsigned flags, size_t xk, uint8_t *xa, uint8_t *xb,
         uint8_t *xcc)
{
    if (n == 0)
        return sr_chan_error(&L->chan);
    if (bw == 0) {
        /* Empty inputs are equal: gt = 0 (or 1 for GE/LE), eq = 1. */
        const uint8_t one = L->role == SR_ALICE;
        for (size_t i = 0; i < n; i++) {
            gt[i] = (flags & SR_MILL_GE) ? one : 0;
            if (eq != NULL)
                eq[i] = one;
        }
        return sr_chan_error(&L->chan);
    }
    struct mill_plan p;
    mill_plan_make(&p, bw, flags, eq != NULL);
    /* The whole batch at once: every flight carries all n comparisons,
     * so the rounds do not depend on n (memory is linear in n). */
    const size_t c = n;
    const size_t leaves = (size_t)p.d * c, k = c * p.singles + xk;
    const size_t kc = c * p.pairs;
    const size_t rows = leaves + sr_triple_ots(k);
    const size_t nbytes = 2 * leaves + 3 * k + rows + 6 * kc;
    uint8_t *bytes = sr_scratch_u8(L, nbytes);
    struct mill_work w;
    /* Alice: the m0/m1 of the bw = 1 OT; Bob: the received values. */
    w.buf = sr_scratch_u64(L, L->role == SR_ALICE ? (p.m == 1 ? 2 * rows : 1)
                                                  : rows + c * p.pairs);
    if (bytes == NULL || w.buf == NULL) {
        mill_work_free(L, &w, bytes);
        return SR_ENOMEM;
    }
    w.gt = bytes;
    w.eq = w.gt + leaves;
    w.ta = w.eq + leaves;
    w.tb = w.ta + k;
    w.tc = w.tb + k;
    w.choice = w.tc + k;
    w.k = k;
    w.kc = kc;
    w.ca = w.choice + rows;
    w.cb1 = w.ca + kc;
    w.cb2 = w.cb1 + kc;
    w.cc1 = w.cb2 + kc;
    w.cc2 = w.cc1 + kc;
    w.cchoice = w.cc2 + kc;
    w.cout = w.buf + (L->role == SR_ALICE ? 0 : rows);
    const uint64_t mk = sr_mask(bw);
    uint64_t *xc = sr_scratch_u64(L, c);
    if (xc == NULL) {
        mill_work_free(L, &w, bytes);
        return SR_ENOMEM;
    }
    for (size_t i = 0; i < c; i++)
        xc[i] = x[i] & mk;
    int rc = L->role == SR_ALICE ? mill_alice(L, &p, c, xc, &w)
                                 : mill_bob(L, &p, c, xc, &w);
    if (rc == SR_OK)
        rc = mill_tree(L, &p, c, &w);
    for (size_t i = 0; rc == SR_OK && i < c; i++) {
        gt[i] = w.gt[i];
        if (eq != NULL)
            eq[i] = w.eq[i];
    }
    if (rc == SR_OK && xk > 0) {
        memcpy(xa, w.ta + (k - xk), xk);
        memcpy(xb, w.tb + (k - xk), xk);
        memcpy(xcc, w.tc + (k - xk), xk);
    }
    sr_scratch_release(L, xc);
    mill_work_free(L, &w, bytes);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}

/* see mill.h */
int
sr_mill(sr_lane *L, size_t n, uint8_t *z, const uint64_t *x, unsigned bw,
        unsigned flags)
{
    SR_REQUIRE(bw <= 64);
    SR_REQUIRE(flags <= SR_MILL_LE);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL));
    return mill_run(L, n, z, NULL, x, bw, flags, 0, NULL, NULL, NULL);
}

/* see mill.h */
int
sr_mill_eq(sr_lane *L, size_t n, uint8_t *gt, uint8_t *eq, const uint64_t *x,
           unsigned bw)
{
    SR_REQUIRE(bw <= 64);
    SR_REQUIRE(n == 0 || (gt != NULL && eq != NULL && x != NULL));
    SR_REQUIRE(gt != eq || n == 0);
    return mill_run(L, n, gt, eq, x, bw, SR_MILL_GT, 0, NULL, NULL, NULL);
}

/* see internal.h */
int
sr_mill_eq_triples(sr_lane *L, size_t n, uint8_t *gt, uint8_t *eq,
                   const uint64_t *x, unsigned bw, size_t k, uint8_t *a,
                   uint8_t *b, uint8_t *c)
{
    SR_REQUIRE(bw > SR_MILL_LEAF_MAX && bw <= 64);
    SR_REQUIRE(n > 0 && gt != NULL && eq != NULL && x != NULL && gt != eq);
    SR_REQUIRE(k == 0 || (a != NULL && b != NULL && c != NULL));
    return mill_run(L, n, gt, eq, x, bw, SR_MILL_GT, k, a, b, c);
}
