/*
 * protocols/ot.c -- the 1-of-2 flavours of protocols/ot.h (random,
 * correlated, chosen) on IKNP rows (ot_ext.c, width 128).  The 1-of-2^m
 * flavour is in ot_kk.c, the setup in ot_setup.c.  Message flows and
 * sizes: docs/ot.md.
 *
 * Every flavour works chunk by chunk (SR_OT_CHUNK rows): the receiver
 * sends u for every chunk in one flight; the sender turns each
 * chunk into its masked messages, keeps them packed, and sends them (one
 * message per chunk, in order) after the last chunk, so a call costs the
 * same rounds for every n and neither side ever blocks on a full socket
 * while the other one writes.
 */
#include "protocols/ot_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- 1-of-2 flavours on IKNP rows ---- */

enum kind { ROT, COT, CHOSEN, CHOSEN128 };

/* Values per row the sender sends (of l bits; 64 for CHOSEN128). */
static size_t
per_row_of(enum kind k)
{
    return k == ROT ? 0 : k == COT ? 1 : k == CHOSEN ? 2 : 4;
}

static int
iknp_sender(sr_lane *L, enum kind kind, size_t n, uint64_t *m0, uint64_t *m1,
            const uint64_t *in0, const uint64_t *in1, unsigned l)
{
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->snd[0];
    const uint64_t mk = sr_mask(l);
    const size_t pr = per_row_of(kind), nch = sr_ceil_div(n, SR_OT_CHUNK);
    sr_ot_work w;
    if ((rc = sr_ot_work_alloc(&w, n, 1, 4, sr_packed_bytes(n * pr, l))) !=
        SR_OK)
        return rc;
    for (size_t k = 0; k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        uint64_t row0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* R -> S: r x 128 bits (u), inside the extension */
        sr_ot_ext_send(L, x, r, w.r, &row0);
        for (size_t i = 0; i < r; i++)
            w.x[i] = _mm_xor_si128(w.r[i], x->s[0]);
        sr_ot_tmmo(&L->ot->pi, w.h, w.r, r, row0); /* H(q) */
        sr_ot_tmmo(&L->ot->pi, w.x, w.x, r, row0); /* H(q^s) */
        uint64_t *v = w.v;
        for (size_t i = 0; i < r; i++) {
            uint64_t h0 = sr_ot_lo64(w.h[i]) & mk, h1 = sr_ot_lo64(w.x[i]) & mk;
            size_t g = i0 + i;
            switch (kind) {
            case ROT:
                m0[g] = h0;
                m1[g] = h1;
                break;
            case COT: /* receiver with b = 1 adds H(q^s) back */
                v[i] = (h0 + in0[g] - h1) & mk;
                m0[g] = h0; /* after reading delta: m0 may alias it */
                break;
            case CHOSEN:
                v[2 * i] = (in0[g] ^ h0) & mk;
                v[2 * i + 1] = (in1[g] ^ h1) & mk;
                break;
            case CHOSEN128: /* l = 64 here: whole words */
                v[4 * i] = in0[2 * g] ^ h0;
                v[4 * i + 1] = in0[2 * g + 1] ^ sr_ot_hi64(w.h[i]);
                v[4 * i + 2] = in1[2 * g] ^ h1;
                v[4 * i + 3] = in1[2 * g + 1] ^ sr_ot_hi64(w.x[i]);
                break;
            }
        }
        if (pr > 0)
            sr_ot_pack(w.pk + sr_ot_chunk_off(k, pr, l), v, r * pr, l);
    }
    /* S -> R: n x pr x l bits, one message per chunk, after all of u */
    for (size_t k = 0; pr > 0 && k < nch; k++)
        sr_chan_send(&L->chan, w.pk + sr_ot_chunk_off(k, pr, l),
                     sr_ot_chunk_bytes(n, k, pr, l));
    sr_ot_work_free(&w);
    return sr_chan_error(&L->chan);
}

static int
iknp_receiver(sr_lane *L, enum kind kind, size_t n, uint64_t *out,
              const uint8_t *b, unsigned l)
{
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    sr_ot_ext *x = &L->ot->rcv[0];
    const uint64_t mk = sr_mask(l);
    const size_t pr = per_row_of(kind), nch = sr_ceil_div(n, SR_OT_CHUNK);
    sr_ot_work w;
    if ((rc = sr_ot_work_alloc(
             &w, n, 1, 4,
             sr_packed_bytes((n < SR_OT_CHUNK ? n : SR_OT_CHUNK) * pr, l))) !=
        SR_OK)
        return rc;
    for (size_t k = 0; k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        uint64_t row0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* R -> S: r x 128 bits (u), inside the extension */
        sr_ot_ext_recv(L, x, r, w.r, b + i0, &row0);
        sr_ot_tmmo(&L->ot->pi, w.h, w.r, r, row0); /* H(t) */
        if (kind == CHOSEN128)
            memcpy(out + 2 * i0, w.h, r * 16);
        else
            for (size_t i = 0; i < r; i++)
                out[i0 + i] = sr_ot_lo64(w.h[i]) & mk;
    }
    for (size_t k = 0; pr > 0 && k < nch; k++) {
        size_t i0 = k * SR_OT_CHUNK, r = n - i0;
        if (r > SR_OT_CHUNK)
            r = SR_OT_CHUNK;
        /* S -> R: n x pr x l bits, one message per chunk */
        sr_chan_recv(&L->chan, w.pk, sr_ot_chunk_bytes(n, k, pr, l));
        if (sr_chan_error(&L->chan) != SR_OK)
            break;
        sr_ot_unpack(w.v, w.pk, r * pr, l);
        for (size_t i = 0; i < r; i++) {
            uint64_t *o = &out[i0 + i];
            uint64_t bi = b[i0 + i] ? 1 : 0;
            if (kind == COT) {
                *o = (*o + (w.v[i] & (0 - bi))) & mk;
            } else if (kind == CHOSEN) {
                *o = (*o ^ w.v[2 * i + bi]) & mk;
            } else {
                o = &out[2 * (i0 + i)];
                o[0] ^= w.v[4 * i + 2 * bi];
                o[1] ^= w.v[4 * i + 2 * bi + 1];
            }
        }
    }
    sr_ot_work_free(&w);
    return sr_chan_error(&L->chan);
}

/* see ot.h */
int
sr_ot_send(sr_lane *L, size_t n, const uint64_t *m0, const uint64_t *m1,
           unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (m0 != NULL && m1 != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_sender(L, CHOSEN, n, NULL, NULL, m0, m1, l);
}

/* see ot.h */
int
sr_ot_recv(sr_lane *L, size_t n, uint64_t *out, const uint8_t *b, unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (out != NULL && b != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_receiver(L, CHOSEN, n, out, b, l);
}

/* see ot.h */
int
sr_ot_send128(sr_lane *L, size_t n, const uint64_t *m0, const uint64_t *m1)
{
    SR_REQUIRE(n == 0 || (m0 != NULL && m1 != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_sender(L, CHOSEN128, n, NULL, NULL, m0, m1, 64);
}

/* see ot.h */
int
sr_ot_recv128(sr_lane *L, size_t n, uint64_t *out, const uint8_t *b)
{
    SR_REQUIRE(n == 0 || (out != NULL && b != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_receiver(L, CHOSEN128, n, out, b, 64);
}

/* see ot.h */
int
sr_cot_send(sr_lane *L, size_t n, uint64_t *m0, const uint64_t *delta,
            unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (m0 != NULL && delta != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_sender(L, COT, n, m0, NULL, delta, NULL, l);
}

/* see ot.h */
int
sr_cot_recv(sr_lane *L, size_t n, uint64_t *out, const uint8_t *b, unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (out != NULL && b != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_receiver(L, COT, n, out, b, l);
}

/* see ot.h */
int
sr_rot_send(sr_lane *L, size_t n, uint64_t *m0, uint64_t *m1, unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (m0 != NULL && m1 != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_sender(L, ROT, n, m0, m1, NULL, NULL, l);
}

/* see ot.h */
int
sr_rot_recv(sr_lane *L, size_t n, uint64_t *out, const uint8_t *b, unsigned l)
{
    SR_REQUIRE(l >= 1 && l <= 64);
    SR_REQUIRE(n == 0 || (out != NULL && b != NULL));
    if (n == 0)
        return SR_OK;
    return iknp_receiver(L, ROT, n, out, b, l);
}
