/*
 * protocols/lut.c -- table lookups with one 1-of-2^m OT per instance
 * (SIRNN Sec. III "Lookup tables").
 */
#include "protocols/lut.h"

#include "protocols/ot.h"
#include "protocols/ot_stream.h"

/*
 * The OT sender (Alice for sr_lut, the table owner for sr_lut_private)
 * draws her output share r and offers the table rotated by her index
 * share: M[j] = T[(x_S + j) mod 2^m] - r.  The receiver chooses
 * j = x_R and gets T[x] - r.  One OT call for the whole batch (rounds
 * constant in n); the sender's rows are made chunk by chunk.
 */
struct lut_rows {
    const uint64_t *x, *T, *r;
    unsigned m, bw;
};

static void
lut_rows_fill(void *ctx, size_t i0, size_t k, uint64_t *msg)
{
    const struct lut_rows *q = ctx;
    const size_t N = (size_t)1 << q->m;
    const uint64_t mx = sr_mask(q->m), my = sr_mask(q->bw);
    for (size_t i = 0; i < k; i++) {
        uint64_t xs = q->x[i0 + i], ri = q->r[i0 + i];
        uint64_t *row = msg + i * N;
        for (size_t j = 0; j < N; j++)
            row[j] = (q->T[(xs + j) & mx] - ri) & my;
    }
}

static int
lut_sender(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
           const uint64_t *T, unsigned bw)
{
    uint64_t *r = sr_scratch_u64(L, n);
    if (r == NULL)
        return SR_ENOMEM;
    sr_prg_u64(&L->prg, r, n, bw);
    struct lut_rows q = {x, T, r, m, bw};
    /* R -> S: choice code words; S -> R: n x 2^m x bw bits */
    int rc = sr_kkot_send_cb(L, n, lut_rows_fill, &q, m, bw);
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        y[i] = r[i]; /* after the OT: y may alias x */
    sr_scratch_release(L, r);
    return rc;
}

static int
lut_receiver(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned m,
             unsigned bw)
{
    const uint64_t mx = sr_mask(m);
    uint8_t *c = sr_scratch_u8(L, n);
    if (c == NULL)
        return SR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        c[i] = (uint8_t)(x[i] & mx);
    /* R -> S: choice code words; S -> R: n x 2^m x bw bits */
    int rc = sr_kkot_recv(L, n, y, c, m, bw);
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
