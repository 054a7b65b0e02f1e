/*
 * protocols/lut.c -- table lookups with one 1-of-2^m OT per instance
 * (SIRNN Sec. III "Lookup tables").
 */
#include "protocols/lut.h"

#include "protocols/ot.h"

/* Rows of 2^m messages per OT call: bounds scratch to about 32 MiB. */
#define LUT_ENTRIES ((size_t)1 << 22)

/*
 * The OT sender (Alice for sr_lut, the table owner for sr_lut_private)
 * draws her output share r and offers the table rotated by her index
 * share: M[j] = T[(x_S + j) mod 2^m] - r.  The receiver chooses
 * j = x_R and gets T[x] - r.
 */
static int
lut_sender(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
           const uint64_t *T, unsigned bw)
{
    const size_t N = (size_t)1 << m;
    const uint64_t mx = sr_mask(m), my = sr_mask(bw);
    const size_t cap = n < LUT_ENTRIES / N ? n : LUT_ENTRIES / N;
    /* Both sides cut the batch at the same chunk boundaries. */
    uint64_t *msg = sr_scratch_u64(L, cap * N);
    uint64_t *r = sr_scratch_u64(L, cap);
    if (msg == NULL || r == NULL) {
        sr_scratch_release(L, r);
        sr_scratch_release(L, msg);
        return SR_ENOMEM;
    }
    int rc = SR_OK;
    for (size_t off = 0; off < n && rc == SR_OK; off += cap) {
        size_t k = n - off < cap ? n - off : cap;
        sr_prg_u64(&L->prg, r, k, bw);
        for (size_t i = 0; i < k; i++) {
            uint64_t xs = x[off + i];
            uint64_t *row = msg + i * N;
            for (size_t j = 0; j < N; j++)
                row[j] = (T[(xs + j) & mx] - r[i]) & my;
        }
        /* R -> S: choice code words; S -> R: n x 2^m x bw bits */
        rc = sr_kkot_send(L, k, msg, m, bw);
        for (size_t i = 0; rc == SR_OK && i < k; i++)
            y[off + i] = r[i]; /* after the OT: y may alias x */
    }
    sr_scratch_release(L, r);
    sr_scratch_release(L, msg);
    return rc;
}

static int
lut_receiver(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
             unsigned bw)
{
    const uint64_t mx = sr_mask(m);
    /* The same chunks as the sender's: LUT_ENTRIES / 2^m instances. */
    const size_t cap = n < (LUT_ENTRIES >> m) ? n : (LUT_ENTRIES >> m);
    uint8_t *c = sr_scratch_u8(L, cap);
    if (c == NULL)
        return SR_ENOMEM;
    int rc = SR_OK;
    for (size_t off = 0; off < n && rc == SR_OK; off += cap) {
        size_t k = n - off < cap ? n - off : cap;
        for (size_t i = 0; i < k; i++)
            c[i] = (uint8_t)(x[off + i] & mx);
        /* R -> S: choice code words; S -> R: n x 2^m x bw bits */
        rc = sr_kkot_recv(L, k, y + off, c, m, bw);
    }
    sr_scratch_release(L, c);
    return rc;
}

static int
lut_run(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
        const uint64_t *T, unsigned bw, int sender)
{
    if (n == 0)
        return sr_chan_error(&L->chan);
    int rc = sender ? lut_sender(L, n, y, x, m, T, bw)
                    : lut_receiver(L, n, y, x, m, bw);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}

/* see lut.h */
int
sr_lut(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
       const uint64_t *T, unsigned bw)
{
    SR_REQUIRE(m >= 1 && m <= SR_LUT_MAX_BITS);
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL && T != NULL));
    return lut_run(L, n, y, x, m, T, bw, L->role == SR_ALICE);
}

/* see lut.h */
int
sr_lut_known(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
             const uint64_t *T, unsigned bw, sr_partyid owner)
{
    SR_REQUIRE(m >= 1 && m <= SR_LUT_MAX_BITS);
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(owner == SR_SERVER || owner == SR_CLIENT);
    const int mine = L->party == owner;
    SR_REQUIRE(n == 0 || (y != NULL && T != NULL && (!mine || x != NULL)));
    const uint64_t mx = sr_mask(m), my = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        y[i] = mine ? T[x[i] & mx] & my : 0;
    return sr_chan_error(&L->chan);
}

/* see lut.h */
int
sr_lut_private(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
               const uint64_t *T, unsigned bw, sr_partyid owner)
{
    SR_REQUIRE(m >= 1 && m <= SR_LUT_MAX_BITS);
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(owner == SR_SERVER || owner == SR_CLIENT);
    const int mine = L->party == owner;
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL && (!mine || T != NULL)));
    return lut_run(L, n, y, x, m, T, bw, mine);
}
