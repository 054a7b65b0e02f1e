/*
 * protocols/lut2.c -- two separately masked fields from one 1-of-2^m OT.
 */
#include "protocols/lut2.h"

#include "protocols/lut.h"
#include "protocols/ot.h"
#include "protocols/ot_stream.h"

/*
 * One 1-of-2^m OT call for the whole batch, as protocols/lut.c: row i,
 * entry j is (T1[e] - r1_i) << w2 | (T2[e] - r2_i), e = x_A,i + j mod
 * 2^m, made a block at a time by the OT (protocols/ot_stream.h).
 */
struct lut2_rows {
    const uint64_t *x, *T1, *T2, *r1, *r2;
    unsigned m, w1, w2;
};

static void
lut2_rows_fill(void *ctx, size_t i0, size_t k, uint64_t *msg)
{
    const struct lut2_rows *q = ctx;
    const size_t N = (size_t)1 << q->m;
    const uint64_t mx = sr_mask(q->m), m1 = sr_mask(q->w1),
                   m2 = sr_mask(q->w2);
    for (size_t i = 0; i < k; i++) {
        uint64_t xs = q->x[i0 + i], a = q->r1[i0 + i], b = q->r2[i0 + i];
        uint64_t *row = msg + i * N;
        for (size_t j = 0; j < N; j++) {
            size_t e = (size_t)((xs + j) & mx);
            row[j] = (((q->T1[e] - a) & m1) << q->w2) | ((q->T2[e] - b) & m2);
        }
    }
}

static int
lut2_alice(sr_lane *L, size_t n, uint64_t *y1, uint64_t *y2,
           const uint64_t *x, unsigned m, const uint64_t *T1,
           const uint64_t *T2, unsigned w1, unsigned w2)
{
    uint64_t *r = sr_scratch_u64(L, 2 * n);
    if (r == NULL)
        return SR_ENOMEM;
    uint64_t *r1 = r, *r2 = r + n;
    sr_prg_u64(&L->prg, r1, n, w1);
    sr_prg_u64(&L->prg, r2, n, w2);
    struct lut2_rows q = {x, T1, T2, r1, r2, m, w1, w2};
    /* R -> S: choice code words; S -> R: n x 2^m x (w1 + w2) bits */
    int rc = sr_kkot_send_cb(L, n, lut2_rows_fill, &q, m, w1 + w2);
    for (size_t i = 0; rc == SR_OK && i < n; i++) {
        y1[i] = r1[i]; /* after the OT: y may alias x */
        y2[i] = r2[i];
    }
    sr_scratch_release(L, r);
    return rc;
}

static int
lut2_bob(sr_lane *L, size_t n, uint64_t *y1, uint64_t *y2, const uint64_t *x,
         unsigned m, unsigned w1, unsigned w2)
{
    const uint64_t mx = sr_mask(m), m1 = sr_mask(w1), m2 = sr_mask(w2);
    uint8_t *c = sr_scratch_u8(L, n);
    uint64_t *got = sr_scratch_u64(L, n);
    if (c == NULL || got == NULL) {
        sr_scratch_release(L, got);
        sr_scratch_release(L, c);
        return SR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        c[i] = (uint8_t)(x[i] & mx);
    /* R -> S: choice code words; S -> R: n x 2^m x (w1 + w2) bits */
    int rc = sr_kkot_recv(L, n, got, c, m, w1 + w2);
    for (size_t i = 0; rc == SR_OK && i < n; i++) {
        y1[i] = (got[i] >> w2) & m1;
        y2[i] = got[i] & m2;
    }
    sr_scratch_release(L, got);
    sr_scratch_release(L, c);
    return rc;
}

/* see lut2.h */
int
sr_lut2(sr_lane *L, size_t n, uint64_t *y1, uint64_t *y2, const uint64_t *x,
        unsigned m, const uint64_t *T1, const uint64_t *T2, unsigned w1,
        unsigned w2)
{
    SR_REQUIRE(L != NULL);
    SR_REQUIRE(m >= 1 && m <= SR_LUT_MAX_BITS);
    SR_REQUIRE(w1 >= 1 && w2 >= 1 && w1 + w2 <= 64);
    SR_REQUIRE(n == 0 || (y1 != NULL && y2 != NULL && y1 != y2 && x != NULL &&
                          T1 != NULL && T2 != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    int rc = L->role == SR_ALICE
                 ? lut2_alice(L, n, y1, y2, x, m, T1, T2, w1, w2)
                 : lut2_bob(L, n, y1, y2, x, m, w1, w2);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}
