/*
 * protocols/ot_stream.c -- the 1-of-2^m OT sender of ot_kk.c with the
 * messages generated block by block, alone (sr_kkot_send_cb) or several
 * batches in one flight (see ot_stream.h).
 */
#include "protocols/ot_stream.h"

#include "protocols/ot.h"
#include "protocols/ot_internal.h"

#include <stdlib.h>

/* see ot_stream.h */
int
sr_kkot_send_cb(sr_lane *L, size_t n, sr_kkot_rows_fn rows, void *ctx,
                unsigned m, unsigned l)
{
    SR_REQUIRE(m >= 1 && m <= SR_KKOT_MAX_BITS);
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || rows != NULL);
    if (n == 0)
        return SR_OK;
    return sr_ot_kk_send(L, n, NULL, rows, ctx, m, l);
}

#define MULTI_MAX 4

/* see ot_stream.h */
int
sr_kkot_send_multi(sr_lane *L, unsigned nb, const sr_kkot_batch *b)
{
    SR_REQUIRE(nb <= MULTI_MAX);
    size_t tot = 0;
    for (unsigned q = 0; q < nb; q++) {
        SR_REQUIRE(b[q].m >= 1 && b[q].m <= SR_KKOT_MAX_BITS);
        SR_REQUIRE(b[q].l >= 1 && b[q].l <= 64);
        SR_REQUIRE(b[q].n == 0 || b[q].rows != NULL);
        tot += b[q].n;
    }
    if (tot == 0)
        return SR_OK;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->snd[1];
    sr_ot_work w[MULTI_MAX];
    uint64_t *msg = NULL;
    unsigned ready = 0;
    for (; ready < nb && rc == SR_OK; ready++) {
        const size_t n = b[ready].n, N = (size_t)1 << b[ready].m;
        rc = sr_ot_work_alloc(&w[ready], n ? n : 1, 2, 0,
                              sr_packed_bytes(n * N, b[ready].l));
        if (rc != SR_OK)
            break;
    }
    if (rc == SR_OK) {
        size_t big = 0;
        for (unsigned q = 0; q < nb; q++) {
            size_t e = sr_ot_kk_buf_values(b[q].m, b[q].n);
            big = e > big ? e : big;
        }
        msg = malloc(2 * big * sizeof *msg);
        if (msg == NULL)
            rc = SR_ENOMEM;
    }
    for (unsigned q = 0; q < nb && rc == SR_OK; q++) {
        const size_t n = b[q].n, N = (size_t)1 << b[q].m;
        const unsigned l = b[q].l;
        const size_t nch = sr_ceil_div(n, SR_OT_CHUNK);
        for (size_t k = 0; k < nch; k++) {
            size_t i0 = k * SR_OT_CHUNK, r = n - i0;
            uint64_t row0;
            if (r > SR_OT_CHUNK)
                r = SR_OT_CHUNK;
            /* R -> S: r x 256 bits (u) of batch q, inside the extension */
            sr_ot_ext_send(L, x, r, w[q].r, &row0);
            for (size_t i = 0; i < r; i++)
                w[q].x[i] = sr_ot_fold(w[q].r[2 * i], w[q].r[2 * i + 1]);
            sr_ot_kk_reply(L->ot, w[q].x, i0, r, row0, b[q].m, l, NULL,
                           b[q].rows, b[q].ctx, msg,
                           w[q].pk + sr_ot_chunk_off(k, N, l));
        }
    }
    /* S -> R: every batch's n x 2^m x l bits, one message per chunk,
     * after all of the code words */
    for (unsigned q = 0; q < nb && rc == SR_OK; q++) {
        const size_t N = (size_t)1 << b[q].m;
        for (size_t k = 0; k < sr_ceil_div(b[q].n, SR_OT_CHUNK); k++)
            sr_chan_send(&L->chan, w[q].pk + sr_ot_chunk_off(k, N, b[q].l),
                         sr_ot_chunk_bytes(b[q].n, k, N, b[q].l));
    }
    for (unsigned q = 0; q < ready; q++)
        sr_ot_work_free(&w[q]);
    free(msg);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}

/* see ot_stream.h */
int
sr_kkot_recv_multi(sr_lane *L, unsigned nb, const sr_kkot_batch *b)
{
    SR_REQUIRE(nb <= MULTI_MAX);
    size_t tot = 0;
    for (unsigned q = 0; q < nb; q++) {
        SR_REQUIRE(b[q].m >= 1 && b[q].m <= SR_KKOT_MAX_BITS);
        SR_REQUIRE(b[q].l >= 1 && b[q].l <= 64);
        SR_REQUIRE(b[q].n == 0 || (b[q].out != NULL && b[q].c != NULL));
        for (size_t i = 0; i < b[q].n; i++)
            SR_REQUIRE(b[q].c[i] < (1u << b[q].m));
        tot += b[q].n;
    }
    if (tot == 0)
        return SR_OK;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->rcv[1];
    sr_ot_work w[MULTI_MAX];
    unsigned ready = 0;
    for (; ready < nb; ready++) {
        const size_t n = b[ready].n ? b[ready].n : 1;
        const size_t N = (size_t)1 << b[ready].m;
        rc = sr_ot_work_alloc(
            &w[ready], n, 2, 1,
            sr_packed_bytes((n < SR_OT_CHUNK ? n : SR_OT_CHUNK) * N,
                            b[ready].l));
        if (rc != SR_OK)
            break;
    }
    for (unsigned q = 0; q < nb && rc == SR_OK; q++) {
        const size_t n = b[q].n;
        for (size_t k = 0; k < sr_ceil_div(n, SR_OT_CHUNK); k++) {
            size_t i0 = k * SR_OT_CHUNK, r = n - i0;
            uint64_t row0;
            if (r > SR_OT_CHUNK)
                r = SR_OT_CHUNK;
            /* R -> S: r x 256 bits (u) of batch q, inside the extension */
            sr_ot_ext_recv(L, x, r, w[q].r, b[q].c + i0, &row0);
            for (size_t i = 0; i < r; i++)
                w[q].x[i] = sr_ot_fold(w[q].r[2 * i], w[q].r[2 * i + 1]);
            sr_ot_tmmo(&L->ot->pi, w[q].h, w[q].x, r, row0);
            for (size_t i = 0; i < r; i++)
                b[q].out[i0 + i] = sr_ot_lo64(w[q].h[i]);
        }
    }
    for (unsigned q = 0; q < nb && rc == SR_OK; q++) {
        const size_t n = b[q].n, N = (size_t)1 << b[q].m;
        const unsigned l = b[q].l;
        for (size_t k = 0; k < sr_ceil_div(n, SR_OT_CHUNK); k++) {
            size_t i0 = k * SR_OT_CHUNK, r = n - i0;
            if (r > SR_OT_CHUNK)
                r = SR_OT_CHUNK;
            /* S -> R: batch q's n x 2^m x l bits, one message per chunk */
            sr_chan_recv(&L->chan, w[q].pk, sr_ot_chunk_bytes(n, k, N, l));
            if (sr_chan_error(&L->chan) != SR_OK)
                break;
            for (size_t i = 0; i < r; i++)
                b[q].out[i0 + i] =
                    (b[q].out[i0 + i] ^
                     sr_ot_get_bits(w[q].pk, (i * N + b[q].c[i0 + i]) * l, l)) &
                    sr_mask(l);
        }
    }
    for (unsigned q = 0; q < ready; q++)
        sr_ot_work_free(&w[q]);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}
