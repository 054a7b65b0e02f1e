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

#include <string.h>

static int
kk_sender(sr_lane *L, size_t n, const uint64_t *msg, unsigned m, unsigned l)
{
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->snd[1];
    const uint64_t mk = sr_mask(l);
    const size_t N = (size_t)1 << m, nch = sr_ceil_div(n, SR_OT_CHUNK);
    sr_ot_work w;
    if ((rc = sr_ot_work_alloc(&w, n, 2, N, sr_packed_bytes(n * N, l))) !=
        SR_OK)
        return rc;
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
        sr_ot_kk_rows(&L->ot->pi, w.v, w.x, r, L->ot->kkmask, N, row0, mk,
                      msg + i0 * N);
        sr_ot_pack(w.pk + sr_ot_chunk_off(k, N, l), w.v, r * N, l);
    }
    /* S -> R: n x 2^m x l bits, one message per chunk, after all of u */
    for (size_t k = 0; k < nch; k++)
        sr_chan_send(&L->chan, w.pk + sr_ot_chunk_off(k, N, l),
                     sr_ot_chunk_bytes(n, k, N, l));
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
    return kk_sender(L, n, msg, m, l);
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
