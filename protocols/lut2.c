/*
 * protocols/lut2.c -- two separately masked fields from one 1-of-2^m OT.
 */
#include "protocols/lut2.h"

#include "protocols/lut.h"
#include "protocols/ot.h"

/* Rows of 2^m messages per OT call (as protocols/lut.c): both sides cut
 * the batch at the same chunk boundaries. */
#define LUT2_ENTRIES ((size_t)1 << 22)

static size_t
lut2_cap(size_t n, unsigned m)
{
    size_t c = LUT2_ENTRIES >> m;
    return n < c ? n : c;
}

static int
lut2_alice(sr_lane *L, size_t n, uint64_t *y1, uint64_t *y2,
           const uint64_t *x, unsigned m, const uint64_t *T1,
           const uint64_t *T2, unsigned w1, unsigned w2)
{
    const size_t N = (size_t)1 << m, cap = lut2_cap(n, m);
    const uint64_t mx = sr_mask(m), m1 = sr_mask(w1), m2 = sr_mask(w2);
    uint64_t *msg = sr_scratch_u64(L, cap * N);
    uint64_t *r = sr_scratch_u64(L, 2 * cap);
    if (msg == NULL || r == NULL) {
        sr_scratch_release(L, r);
        sr_scratch_release(L, msg);
        return SR_ENOMEM;
    }
    int rc = SR_OK;
    for (size_t off = 0; off < n && rc == SR_OK; off += cap) {
        size_t k = n - off < cap ? n - off : cap;
        uint64_t *r1 = r, *r2 = r + k;
        sr_prg_u64(&L->prg, r1, k, w1);
        sr_prg_u64(&L->prg, r2, k, w2);
        for (size_t i = 0; i < k; i++) {
            uint64_t xs = x[off + i];
            uint64_t *row = msg + i * N;
            for (size_t j = 0; j < N; j++) {
                size_t e = (size_t)((xs + j) & mx);
                row[j] = (((T1[e] - r1[i]) & m1) << w2) | ((T2[e] - r2[i]) & m2);
            }
        }
        /* R -> S: choice code words; S -> R: k x 2^m x (w1 + w2) bits */
        rc = sr_kkot_send(L, k, msg, m, w1 + w2);
        for (size_t i = 0; rc == SR_OK && i < k; i++) {
            y1[off + i] = r1[i]; /* after the OT: y may alias x */
            y2[off + i] = r2[i];
        }
    }
    sr_scratch_release(L, r);
    sr_scratch_release(L, msg);
    return rc;
}

static int
lut2_bob(sr_lane *L, size_t n, uint64_t *y1, uint64_t *y2, const uint64_t *x,
         unsigned m, unsigned w1, unsigned w2)
{
    const size_t cap = lut2_cap(n, m);
    const uint64_t mx = sr_mask(m), m1 = sr_mask(w1), m2 = sr_mask(w2);
    uint8_t *c = sr_scratch_u8(L, cap);
    uint64_t *got = sr_scratch_u64(L, cap);
    if (c == NULL || got == NULL) {
        sr_scratch_release(L, got);
        sr_scratch_release(L, c);
        return SR_ENOMEM;
    }
    int rc = SR_OK;
    for (size_t off = 0; off < n && rc == SR_OK; off += cap) {
        size_t k = n - off < cap ? n - off : cap;
        for (size_t i = 0; i < k; i++)
            c[i] = (uint8_t)(x[off + i] & mx);
        /* R -> S: choice code words; S -> R: k x 2^m x (w1 + w2) bits */
        rc = sr_kkot_recv(L, k, got, c, m, w1 + w2);
        for (size_t i = 0; rc == SR_OK && i < k; i++) {
            y1[off + i] = (got[i] >> w2) & m1;
            y2[off + i] = got[i] & m2;
        }
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
