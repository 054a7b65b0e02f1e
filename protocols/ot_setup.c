/*
 * protocols/ot_setup.c -- the OT state of a lane (struct sr_otpack): the
 * one-time setup (Chou-Orlandi base OTs for IKNP, then the KK base OTs
 * from IKNP), its teardown, and the per-call chunk buffers and packing
 * shared by the flavours in ot.c and ot_kk.c.
 */
#include "protocols/ot_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#define NBASE 128 /* Chou-Orlandi base OTs per direction */
#define NKK 256   /* KK base OTs per direction, made by IKNP */

static void
ext_clear(sr_ot_ext *x)
{
    const size_t w = 128 * (size_t)x->wb;
    if (x->k0 != NULL)
        OPENSSL_cleanse(x->k0, w * sizeof *x->k0);
    if (x->k1 != NULL)
        OPENSSL_cleanse(x->k1, w * sizeof *x->k1);
    free(x->k0);
    free(x->k1);
    free(x->buf);
    free(x->rows);
    free(x->code);
    memset(x, 0, sizeof *x);
}

static void
otpack_free(struct sr_otpack *p)
{
    if (p == NULL)
        return;
    for (int k = 0; k < 2; k++) {
        ext_clear(&p->snd[k]);
        ext_clear(&p->rcv[k]);
    }
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
}

/* see ot_internal.h */
void *
sr_ot_alloc64(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static int
ext_alloc(sr_ot_ext *x, unsigned wb, int receiver)
{
    const size_t w = 128 * (size_t)wb, nb = SR_OT_CHUNK / 128;
    x->wb = wb;
    x->blk = 0;
    x->k0 = sr_ot_alloc64(w * sizeof *x->k0);
    x->k1 = receiver ? sr_ot_alloc64(w * sizeof *x->k1) : NULL;
    x->buf = sr_ot_alloc64(2 * w * nb * sizeof(__m128i));
    x->rows = sr_ot_alloc64(SR_OT_CHUNK * (size_t)wb * sizeof(__m128i));
    x->code = receiver ? sr_ot_alloc64(9 * nb * sizeof(__m128i)) : NULL;
    if (x->k0 == NULL || (receiver && (x->k1 == NULL || x->code == NULL)) ||
        x->buf == NULL || x->rows == NULL)
        return SR_ENOMEM;
    return SR_OK;
}

static __m128i
bits_to_block(const uint8_t *bits)
{
    uint8_t b[16] = {0};
    for (int k = 0; k < 128; k++)
        b[k / 8] |= (uint8_t)((bits[k] & 1) << (k % 8));
    return _mm_loadu_si128((const __m128i *)b);
}

/*
 * The 256 base OTs of each KK direction are random OTs from the IKNP
 * extension just set up (as in libOTe): the KK sender is the base-OT
 * receiver, so it takes the IKNP receiver side with choices s_KK and
 * keys H(t_j); the peer, IKNP sender, gets H(q_j) and H(q_j ^ s).  Both
 * parties send their rows first, then read the peer's (4 KiB each way,
 * one round, and every party ends on a receive, so the first op's
 * flights are counted from scratch).
 */
static void
kk_bases(sr_lane *L, struct sr_otpack *p, const uint8_t *skk, __m128i *a,
         __m128i *b)
{
    uint64_t row0;
    /* R -> S both ways: 256 x 128 bits (u), inside the extension */
    sr_ot_ext_recv(L, &p->rcv[0], NKK, a, skk, &row0);
    sr_ot_tmmo(&p->pi, a, a, NKK, row0);
    for (size_t j = 0; j < NKK; j++)
        sr_ot_aes_init(&p->snd[1].k0[j], (const uint8_t *)&a[j]);
    sr_ot_ext_send(L, &p->snd[0], NKK, a, &row0);
    for (size_t j = 0; j < NKK; j++)
        b[j] = _mm_xor_si128(a[j], p->snd[0].s[0]);
    sr_ot_tmmo(&p->pi, a, a, NKK, row0);
    sr_ot_tmmo(&p->pi, b, b, NKK, row0);
    for (size_t j = 0; j < NKK; j++) {
        sr_ot_aes_init(&p->rcv[1].k0[j], (const uint8_t *)&a[j]);
        sr_ot_aes_init(&p->rcv[1].k1[j], (const uint8_t *)&b[j]);
    }
}

static int
setup_run(sr_lane *L, struct sr_otpack *p)
{
    uint8_t(*k0)[16] = malloc(NBASE * 16), (*k1)[16] = malloc(NBASE * 16),
    (*ks)[16] = malloc(NBASE * 16);
    __m128i *a = sr_ot_alloc64(3 * NKK * sizeof(__m128i));
    uint8_t s[NBASE + NKK];
    int rc = SR_ENOMEM;
    if (k0 == NULL || k1 == NULL || ks == NULL || a == NULL)
        goto out;
    for (int k = 0; k < 2; k++) {
        if ((rc = ext_alloc(&p->snd[k], (unsigned)k + 1, 0)) != SR_OK ||
            (rc = ext_alloc(&p->rcv[k], (unsigned)k + 1, 1)) != SR_OK)
            goto out;
    }
    sr_ot_aes_fixed(&p->pi);
    /* Our choice bits as extension sender: s_IKNP (128), s_KK (256). */
    sr_prg_bits(&L->prg, s, NBASE + NKK);
    rc = sr_ot_base(L, NBASE, k0, k1, ks, s);
    if (rc != SR_OK)
        goto out;
    for (size_t j = 0; j < NBASE; j++) {
        sr_ot_aes_init(&p->snd[0].k0[j], ks[j]);
        sr_ot_aes_init(&p->rcv[0].k0[j], k0[j]);
        sr_ot_aes_init(&p->rcv[0].k1[j], k1[j]);
    }
    p->snd[0].s[0] = bits_to_block(s);
    p->snd[1].s[0] = bits_to_block(s + NBASE);
    p->snd[1].s[1] = bits_to_block(s + NBASE + 128);
    kk_bases(L, p, s + NBASE, a, a + NKK);
    for (unsigned j = 0; j < 256; j++) {
        __m128i c[2];
        sr_ot_wh(c, j);
        p->kkmask[j] = sr_ot_fold(_mm_and_si128(c[0], p->snd[1].s[0]),
                                  _mm_and_si128(c[1], p->snd[1].s[1]));
    }
out:
    OPENSSL_cleanse(s, sizeof s);
    if (a != NULL)
        OPENSSL_cleanse(a, 3 * NKK * sizeof(__m128i));
    if (k0 != NULL)
        OPENSSL_cleanse(k0, NBASE * 16);
    if (k1 != NULL)
        OPENSSL_cleanse(k1, NBASE * 16);
    if (ks != NULL)
        OPENSSL_cleanse(ks, NBASE * 16);
    free(a);
    free(k0);
    free(k1);
    free(ks);
    return rc;
}

/* see ot.h */
int
sr_ot_setup(sr_lane *L)
{
    if (L->ot != NULL)
        return SR_OK;
    double t0 = sr_now();
    sr_chan_stats before = L->chan.st;
    struct sr_otpack *p = sr_ot_alloc64(sizeof *p);
    if (p == NULL)
        return SR_ENOMEM;
    memset(p, 0, sizeof *p);
    int rc = setup_run(L, p);
    if (rc == SR_OK)
        rc = sr_chan_error(&L->chan);
    if (rc != SR_OK) {
        otpack_free(p);
        return rc;
    }
    L->ot = p;
    L->ot_free = otpack_free;
    /* The base OTs are setup, not part of whichever op ran them. */
    sr_chan_stats d = sr_chan_stats_diff(L->chan.st, before);
    L->setup.bytes_sent += d.bytes_sent;
    L->setup.bytes_recv += d.bytes_recv;
    L->setup.rounds += d.rounds;
    L->setup.wire_sent += d.wire_sent;
    L->setup.wire_recv += d.wire_recv;
    L->setup_seconds += sr_now() - t0;
    return SR_OK;
}

/* ---- shared chunk bookkeeping ---- */

#define PK_MAP_MIN ((size_t)1 << 20)

/* see ot_internal.h */
void
sr_ot_work_free(sr_ot_work *w)
{
    free(w->r);
    free(w->c);
    free(w->h);
    free(w->x);
    free(w->v);
    if (w->pkmap > 0)
        munmap(w->pk, w->pkmap);
    else
        free(w->pk);
}

/* Buffers for chunks of up to min(n, SR_OT_CHUNK) rows, rounded up to
 * whole 128-row blocks (the extension writes whole blocks). */
/* see ot_internal.h */
int
sr_ot_work_alloc(sr_ot_work *w, size_t n, unsigned wb, size_t per_row,
                 size_t pkbytes)
{
    memset(w, 0, sizeof *w);
    size_t rows = n < SR_OT_CHUNK ? sr_ceil_div(n, 128) * 128 : SR_OT_CHUNK;
    size_t rb = rows * (size_t)wb * sizeof(__m128i);
    size_t hb = rows * 2 * sizeof(__m128i);
    w->r = sr_ot_alloc64(rb);
    w->c = sr_ot_alloc64(rb);
    w->h = sr_ot_alloc64(hb);
    w->x = sr_ot_alloc64(hb);
    w->v = malloc((rows * per_row + 1) * sizeof(uint64_t)); /* 0: unused */
    /* get_bits reads 9 bytes: 16 of slack.  A large reply buffer is
     * mapped pre-faulted: filling it 4 KiB fault by fault costs about as
     * much as computing it. */
    if (pkbytes >= PK_MAP_MIN) {
        void *p = mmap(NULL, pkbytes + 16, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p != MAP_FAILED) {
            w->pk = p;
            w->pkmap = pkbytes + 16;
        }
    } else {
        w->pk = malloc(pkbytes + 16);
    }
    if (w->r == NULL || w->c == NULL || w->h == NULL || w->x == NULL ||
        w->v == NULL || w->pk == NULL) {
        sr_ot_work_free(w);
        return SR_ENOMEM;
    }
    return SR_OK;
}

/* sr_pack / sr_unpack (same wire format), with the whole-byte widths as
 * plain little-endian stores the compiler can vectorise. */
/* see ot_internal.h */
void
sr_ot_pack(uint8_t *out, const uint64_t *x, size_t n, unsigned l)
{
    switch (l) {
    case 64:
        memcpy(out, x, n * 8);
        return;
    case 32:
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)x[i];
            memcpy(out + 4 * i, &v, 4);
        }
        return;
    case 16:
        for (size_t i = 0; i < n; i++) {
            uint16_t v = (uint16_t)x[i];
            memcpy(out + 2 * i, &v, 2);
        }
        return;
    case 8:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)x[i];
        return;
    default:
        sr_pack(out, x, n, l);
    }
}

/* see ot_internal.h */
void
sr_ot_unpack(uint64_t *x, const uint8_t *in, size_t n, unsigned l)
{
    switch (l) {
    case 64:
        memcpy(x, in, n * 8);
        return;
    case 32:
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, in + 4 * i, 4);
            x[i] = v;
        }
        return;
    case 16:
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            x[i] = v;
        }
        return;
    case 8:
        for (size_t i = 0; i < n; i++)
            x[i] = in[i];
        return;
    default:
        sr_unpack(x, in, n, l);
    }
}

/* Packed bytes of chunk k's messages (per_row values of l bits per row). */
/* see ot_internal.h */
size_t
sr_ot_chunk_bytes(size_t n, size_t k, size_t per_row, unsigned l)
{
    size_t r = n - k * SR_OT_CHUNK;
    if (r > SR_OT_CHUNK)
        r = SR_OT_CHUNK;
    return sr_packed_bytes(r * per_row, l);
}

/* Chunk k starts at this byte: every full chunk packs to whole bytes. */
/* see ot_internal.h */
size_t
sr_ot_chunk_off(size_t k, size_t per_row, unsigned l)
{
    return k * sr_packed_bytes(SR_OT_CHUNK * per_row, l);
}
