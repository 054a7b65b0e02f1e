/*
 * protocols/ot_kk.c -- 1-out-of-2^m OT (Kolesnikov and Kumaresan, "Improved
 * OT Extension for Transferring Short Secrets", CRYPTO 2013) on the
 * width-256 rows of ot_ext.c with Walsh-Hadamard code words, as SIRNN's
 * reference does (256 receiver bits per OT).  Flows and sizes: docs/ot.md.
 *
 * Sender row i, entry j: key H(i, fold(q_i ^ (C(j) & s))), and since fold
 * is linear that is H(i, fold(q_i) ^ kkmask[j]) with kkmask precomputed at
 * setup.  Receiver: H(i, fold(t_i)), t_i = q_i ^ (C(c_i) & s).
 */
#include "protocols/ot_internal.h"

#include <stdlib.h>
#include <string.h>

/* Messages and keys of about 16384 entries (128 KiB each) per block. */
#define KK_BLOCK_VALUES 16384

/* see ot_internal.h */
size_t
sr_ot_kk_block_rows(unsigned m)
{
    /* a multiple of 64 rows, so that every block packs to whole words */
    size_t b = (size_t)KK_BLOCK_VALUES >> m;
    return b < 64 ? 64 : b > SR_OT_CHUNK ? SR_OT_CHUNK : b;
}

/* see ot_internal.h */
size_t
sr_ot_kk_buf_values(unsigned m, size_t n)
{
    size_t b = sr_ot_kk_block_rows(m);
    return (n < b ? (n ? n : 1) : b) << m;
}

/* see ot_internal.h */
void
sr_ot_kk_reply(const struct sr_otpack *ot, const __m128i *f, size_t i0,
               size_t r, uint64_t row0, unsigned m, unsigned l,
               const uint64_t *msg, sr_kkot_rows_fn rows, void *ctx,
               uint64_t *buf, uint8_t *out)
{
    const size_t N = (size_t)1 << m, B = sr_ot_kk_block_rows(m);
    const size_t cap = sr_ot_kk_buf_values(m, r);
    uint64_t *v = buf, *mb = buf + cap;
    for (size_t s = 0; s < r; s += B) {
        size_t b = r - s < B ? r - s : B;
        const uint64_t *src = msg != NULL ? msg + s * N : mb;
        if (msg == NULL)
            rows(ctx, i0 + s, b, mb);
        sr_ot_kk_rows(&ot->pi, v, f + s, b, ot->kkmask, N, row0 + s, sr_mask(l),
                      src);
        /* s is a multiple of 64 rows: block s starts on a whole byte */
        sr_ot_pack(out + s * N * l / 8, v, b * N, l);
    }
}

/* see ot_internal.h */
int
sr_ot_kk_send(sr_lane *L, size_t n, const uint64_t *msg, sr_kkot_rows_fn rows,
              void *ctx, unsigned m, unsigned l)
{
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->snd[1];
    const size_t N = (size_t)1 << m, nch = sr_ceil_div(n, SR_OT_CHUNK);
    sr_ot_work w;
    if ((rc = sr_ot_work_alloc(&w, n, 2, 0, sr_packed_bytes(n * N, l))) !=
        SR_OK)
        return rc;
    uint64_t *buf = malloc(2 * sr_ot_kk_buf_values(m, n) * sizeof *buf);
    if (buf == NULL) {
        sr_ot_work_free(&w);
        return SR_ENOMEM;
    }
    for (size_t k = 0; k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        uint64_t row0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* R -> S: r x 256 bits (u), inside the extension */
        sr_ot_ext_send(L, x, r, w.r, &row0);
        /* Row i's keys: H(i, fold(q_i ^ (C(j) & s))), and fold is linear,
         * so fold(q_i) ^ kkmask[j]. */
        for (size_t i = 0; i < r; i++)
            w.x[i] = sr_ot_fold(w.r[2 * i], w.r[2 * i + 1]);
        sr_ot_kk_reply(L->ot, w.x, i0, r, row0, m, l,
                       msg != NULL ? msg + i0 * N : NULL, rows, ctx, buf,
                       w.pk + sr_ot_chunk_off(k, N, l));
    }
    /* S -> R: n x 2^m x l bits, one message per chunk, after all of u */
    for (size_t k = 0; k < nch; k++)
        sr_chan_send(&L->chan, w.pk + sr_ot_chunk_off(k, N, l),
                     sr_ot_chunk_bytes(n, k, N, l));
    free(buf);
    sr_ot_work_free(&w);
    return sr_chan_error(&L->chan);
}

static int
kk_receiver(sr_lane *L, size_t n, uint64_t *out, const uint8_t *c, unsigned m,
            unsigned l)
{
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->rcv[1];
    const uint64_t mk = sr_mask(l);
    const size_t N = (size_t)1 << m, nch = sr_ceil_div(n, SR_OT_CHUNK);
    sr_ot_work w;
    if ((rc = sr_ot_work_alloc(
             &w, n, 2, 1,
             sr_packed_bytes((n < SR_OT_CHUNK ? n : SR_OT_CHUNK) * N, l))) !=
        SR_OK)
        return rc;
    for (size_t k = 0; k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        uint64_t row0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* R -> S: r x 256 bits (u), inside the extension */
        sr_ot_ext_recv(L, x, r, w.r, c + i0, &row0);
        for (size_t i = 0; i < r; i++)
            w.x[i] = sr_ot_fold(w.r[2 * i], w.r[2 * i + 1]);
        sr_ot_tmmo(&L->ot->pi, w.h, w.x, r, row0);
        for (size_t i = 0; i < r; i++)
            out[i0 + i] = sr_ot_lo64(w.h[i]);
    }
    for (size_t k = 0; k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* S -> R: n x 2^m x l bits, one message per chunk */
        sr_chan_recv(&L->chan, w.pk, sr_ot_chunk_bytes(n, k, N, l));
        if (sr_chan_error(&L->chan) != SR_OK)
            break;
        /* Only entry c_i of row i is needed: read it in place. */
        for (size_t i = 0; i < r; i++)
            out[i0 + i] = (out[i0 + i] ^
                           sr_ot_get_bits(w.pk, (i * N + c[i0 + i]) * l, l)) &
                          mk;
    }
    sr_ot_work_free(&w);
    return sr_chan_error(&L->chan);
}

/* see ot.h */
int
sr_kkot_send(sr_lane *L, size_t n, const uint64_t *msg, unsigned m, unsigned l)
{
    SR_REQUIRE(m >= 1 && m <= SR_KKOT_MAX_BITS);
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || msg != NULL);
    if (n == 0)
        return SR_OK;
    return sr_ot_kk_send(L, n, msg, NULL, NULL, m, l);
}

/* see ot.h */
int
sr_kkot_recv(sr_lane *L, size_t n, uint64_t *out, const uint8_t *c, unsigned m,
             unsigned l)
{
    SR_REQUIRE(m >= 1 && m <= SR_KKOT_MAX_BITS);
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (out != NULL && c != NULL));
    for (size_t i = 0; i < n; i++)
        SR_REQUIRE(c[i] < (1u << m));
    if (n == 0)
        return SR_OK;
    return kk_receiver(L, n, out, c, m, l);
}
