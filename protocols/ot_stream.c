/*
 * protocols/ot_stream.c -- sr_kkot_send_cb: the 1-of-2^m OT sender of
 * ot_kk.c with the messages generated per chunk (see ot_stream.h).
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
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->snd[1];
    const uint64_t mk = sr_mask(l);
    const size_t N = (size_t)1 << m, nch = sr_ceil_div(n, SR_OT_CHUNK);
    const size_t cr = n < SR_OT_CHUNK ? n : SR_OT_CHUNK;
    uint64_t *msg = malloc(cr * N * sizeof *msg);
    sr_ot_work w;
    if (msg == NULL) {
        return SR_ENOMEM;
    }
    if ((rc = sr_ot_work_alloc(&w, n, 2, N, sr_packed_bytes(n * N, l))) !=
        SR_OK) {
        free(msg);
        return rc;
    }
    for (size_t k = 0; k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        uint64_t row0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* R -> S: r x 256 bits (u), inside the extension */
        sr_ot_ext_send(L, x, r, w.r, &row0);
        rows(ctx, i0, r, msg);
        for (size_t i = 0; i < r; i++)
            w.x[i] = sr_ot_fold(w.r[2 * i], w.r[2 * i + 1]);
        sr_ot_kk_rows(&L->ot->pi, w.v, w.x, r, L->ot->kkmask, N, row0, mk,
                      msg);
        sr_ot_pack(w.pk + sr_ot_chunk_off(k, N, l), w.v, r * N, l);
    }
    /* S -> R: n x 2^m x l bits, one message per chunk, after all of u */
    for (size_t k = 0; k < nch; k++)
        sr_chan_send(&L->chan, w.pk + sr_ot_chunk_off(k, N, l),
                     sr_ot_chunk_bytes(n, k, N, l));
    sr_ot_work_free(&w);
    free(msg);
    return sr_chan_error(&L->chan);
}
