/*
 * protocols/ot_internal.h -- pieces shared by the OT files (not a public
 * API): AES-NI helpers, the bit-matrix transpose, the tweakable
 * correlation-robust hash, Chou-Orlandi base OT, and the correlated-row
 * extension that IKNP (width 128) and Kolesnikov-Kumaresan (width 256)
 * both are.
 *
 * The extension is the only place that knows how correlated rows are made.
 * Everything above it (ROT/COT/chosen in ot.c, 1-of-N in ot_kk.c) consumes rows
 *   receiver: t_i,   sender: q_i = t_i ^ (c_i & s)
 * for receiver code words c_i, so a silent-OT backend could replace
 * ot_ext.c without touching the flavours.
 */
#ifndef SR_PROTOCOLS_OT_INTERNAL_H
#define SR_PROTOCOLS_OT_INTERNAL_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/lane.h"
#include "protocols/ot.h"
#include "protocols/ot_stream.h"

/* ---- AES-128 with AES-NI (ot_aes.c) ---- */

typedef struct sr_ot_aes {
    __m128i rk[11];
} sr_ot_aes;

/* Expand a 16-byte key. */
void sr_ot_aes_init(sr_ot_aes *k, const uint8_t key[16]);

/* The public fixed key of the hash (both parties use the same one). */
void sr_ot_aes_fixed(sr_ot_aes *k);

/* Encrypt n blocks in place with one key. */
void sr_ot_aes_ecb(const sr_ot_aes *k, __m128i *blk, size_t n);

/*
 * Column PRG: for each of ncol keys, nb CTR blocks starting at counter
 * ctr (the counter block is (ctr + b, 0) little-endian).  Column c goes to
 * out + c * stride (stride in blocks).
 */
void sr_ot_aes_ctr_cols(const sr_ot_aes *keys, size_t ncol, uint64_t ctr,
                        size_t nb, __m128i *out, size_t stride);

/*
 * Tweakable correlation-robust hash (Guo-Katz-Wang-Yu TMMO):
 *   H(i, x) = pi(pi(x) ^ i) ^ pi(x)
 * with pi the fixed-key AES and the tweak i = (tw + k, 0) for x[k].
 * out may alias x.
 */
void sr_ot_tmmo(const sr_ot_aes *pi, __m128i *out, const __m128i *x, size_t n,
                uint64_t tw);

/* Same, with the tweak of element k given in tw[k]. */
void sr_ot_tmmo_tw(const sr_ot_aes *pi, __m128i *out, const __m128i *x,
                   size_t n, const uint64_t *tw);

/*
 * Rows of the KK sender: for row i < nrows and j < N,
 *   v[i N + j] = (msg[i N + j] ^ low64(H(tw0 + i, f[i] ^ mask[j]))) & mk
 * (all N hashes of a row share the row's tweak).
 */
void sr_ot_kk_rows(const sr_ot_aes *pi, uint64_t *v, const __m128i *f,
                   size_t nrows, const __m128i *mask, size_t N, uint64_t tw0,
                   uint64_t mk, const uint64_t *msg);

/*
 * The KK sender's reply to one extension chunk: r rows of the call
 * starting at row i0 (tweaks row0 ..), folded q rows f, messages from
 * msg (row i0's first entry; NULL: from rows(ctx, ...)), packed at out.
 * It goes sr_ot_kk_block_rows(m) rows at a time so that the messages
 * and keys of a block stay in cache and the work buffer buf (2 x
 * sr_ot_kk_buf_values(m, r) values) is small and the same for any n.
 */
size_t sr_ot_kk_block_rows(unsigned m);

/* The KK sender of n rows (sr_kkot_send, sr_kkot_send_cb): messages from
 * msg [n x 2^m] or, when msg is NULL, from rows(ctx, ...). */
SR_NODISCARD int sr_ot_kk_send(sr_lane *L, size_t n, const uint64_t *msg,
                               sr_kkot_rows_fn rows, void *ctx, unsigned m,
                               unsigned l);
size_t sr_ot_kk_buf_values(unsigned m, size_t n);
void sr_ot_kk_reply(const struct sr_otpack *ot, const __m128i *f, size_t i0,
                    size_t r, uint64_t row0, unsigned m, unsigned l,
                    const uint64_t *msg, sr_kkot_rows_fn rows, void *ctx,
                    uint64_t *buf, uint8_t *out);

/* 1 when the CPU has VAES and AVX-512 (the wide AES kernels run). */
int sr_ot_have_vaes(void);

/*
 * 256 -> 128-bit linear fold before hashing a 1-of-N row (docs/ot.md):
 *   fold(x0, x1) = x0 ^ c * x1   in GF(2^128) = GF(2)[X] / (X^128 + X^7 +
 * X^2 + X + 1), bit k of a block (little-endian) the coefficient of X^k.
 * For every pair of Walsh-Hadamard code words C(j) != C(j'), the map
 * s -> fold((C(j) ^ C(j')) & s) has rank >= SR_OT_FOLD_RANK over GF(2), so
 * the hashed correlation keeps that many bits of entropy (checked by
 * tests/test_ot.c); c was picked by a search for the largest minimum.
 */
#define SR_OT_FOLD_HI 0x6b0d549b6f03675aULL
#define SR_OT_FOLD_LO 0x1600a35a099950d9ULL
#define SR_OT_FOLD_RANK 126

static inline __m128i
sr_ot_gf_mul(__m128i x, __m128i c)
{
    __m128i lo = _mm_clmulepi64_si128(x, c, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, c, 0x11);
    __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(x, c, 0x01),
                                _mm_clmulepi64_si128(x, c, 0x10));
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    /* X^128 = X^7 + X^2 + X + 1 (0x87): fold hi down twice. */
    const __m128i p = _mm_set_epi64x(0, 0x87);
    __m128i t0 = _mm_clmulepi64_si128(hi, p, 0x00); /* h0 * p, 71 bits */
    __m128i t1 = _mm_clmulepi64_si128(hi, p, 0x01); /* h1 * p, at X^64 */
    lo = _mm_xor_si128(lo, _mm_xor_si128(t0, _mm_slli_si128(t1, 8)));
    __m128i t2 = _mm_clmulepi64_si128(_mm_srli_si128(t1, 8), p, 0x00);
    return _mm_xor_si128(lo, t2);
}

static inline __m128i
sr_ot_fold(__m128i x0, __m128i x1)
{
    const __m128i c =
        _mm_set_epi64x((long long)SR_OT_FOLD_HI, (long long)SR_OT_FOLD_LO);
    return _mm_xor_si128(x0, sr_ot_gf_mul(x1, c));
}

/* ---- bit-matrix transpose (ot_ext.c) ---- */

/*
 * in: nr rows of nc bits (row r at in + r * nc / 8, bit k of a row is bit
 * k % 8 of byte k / 8); out: nc rows of nr bits.  nr % 32 == 0,
 * nc % 8 == 0.
 */
void sr_ot_transpose(uint8_t *out, const uint8_t *in, size_t nr, size_t nc);

/* ---- base OT (ot_base.c) ---- */

/*
 * n Chou-Orlandi OTs in each direction at once, both parties calling it
 * with the same n: as sender this side gets k0[j], k1[j]; as receiver
 * with choice s[j] (0/1) it gets ks[j] = k_{s[j]} of the peer's pairs.
 * Randomness from L->prg.  Two exchanges (2 rounds), 33 + 33 n bytes
 * each way.
 */
SR_NODISCARD int sr_ot_base(sr_lane *L, size_t n, uint8_t (*k0)[16],
                            uint8_t (*k1)[16], uint8_t (*ks)[16],
                            const uint8_t *s);

/* ---- correlated-row extension (ot_ext.c) ---- */

#define SR_OT_CHUNK 4096 /* rows per chunk, multiple of 128 */

typedef struct sr_ot_ext {
    unsigned wb;   /* row width in 128-bit blocks: 1 (IKNP), 2 (KK) */
    __m128i s[2];  /* sender: the base-OT choice bits as a row mask */
    sr_ot_aes *k0; /* sender: k_{s_j}; receiver: k0_j (128 wb keys) */
    sr_ot_aes *k1; /* receiver: k1_j; NULL on the sender */
    uint64_t blk;  /* next unused 128-row block of the stream */
    __m128i *buf;  /* 2 * 128 wb * SR_OT_CHUNK / 128 blocks */
    __m128i *rows; /* SR_OT_CHUNK * wb blocks: the u message */
    __m128i *code; /* receiver: 9 * SR_OT_CHUNK / 128 blocks */
} sr_ot_ext;

struct sr_otpack {
    sr_ot_ext snd[2];    /* [0] IKNP sender, [1] KK sender */
    sr_ot_ext rcv[2];    /* [0] IKNP receiver, [1] KK receiver */
    sr_ot_aes pi;        /* fixed-key AES of the hash */
    __m128i kkmask[256]; /* fold(WH(j) & s_KK) for the KK sender */
};

/*
 * Row-stream extension of one chunk of nrow <= SR_OT_CHUNK rows.
 * Receiver: gives nrow choices ch (IKNP, wb = 1: bits, any nonzero is 1;
 * KK, wb = 2: values < 256), whose code words are c_i = ch_i 1^128 or
 * WH(ch_i); gets the rows t (128 * ceil(nrow / 128) rows of wb blocks:
 * size the buffer for whole blocks); sends nrow * 16 wb bytes (one
 * message): the first nrow & ~7 bits of every u column, then the last
 * nrow % 8 rows of u in row form.
 * Sender: receives that message and gets q = t ^ (c & s), same layout.
 * *row0 receives the global index of the chunk's first row (the tweak
 * base).  Both sides call with the same nrow.
 */
void sr_ot_ext_recv(sr_lane *L, sr_ot_ext *x, size_t nrow, __m128i *t,
                    const uint8_t *ch, uint64_t *row0);
void sr_ot_ext_send(sr_lane *L, sr_ot_ext *x, size_t nrow, __m128i *q,
                    uint64_t *row0);

/* Walsh-Hadamard code word of j < 256: bit k is parity(j & k). */
void sr_ot_wh(__m128i out[2], unsigned j);

/* ---- per-call buffers and packing (ot_setup.c) ---- */

/* 64-byte aligned allocation (free with free()). */
void *sr_ot_alloc64(size_t bytes);

/* Scratch of one call: row blocks and hash outputs for one chunk. */
typedef struct sr_ot_work {
    __m128i *r;   /* chunk rows x wb blocks: t, q */
    __m128i *c;   /* chunk rows x wb blocks: code words (receiver) */
    __m128i *h;   /* hash outputs, 2 per row */
    __m128i *x;   /* hash inputs, 2 per row */
    uint64_t *v;  /* per_row unpacked values per row */
    uint8_t *pk;  /* packed messages of the whole call (sender) or of
                     one chunk (receiver), + 16 bytes of slack */
    size_t pkmap; /* nonzero: pk is an mmap of this many bytes */
} sr_ot_work;

/* Buffers for chunks of min(n, SR_OT_CHUNK) rows of width wb blocks,
 * per_row values per row, and pkbytes of packed messages. */
SR_NODISCARD int sr_ot_work_alloc(sr_ot_work *w, size_t n, unsigned wb,
                                  size_t per_row, size_t pkbytes);
void sr_ot_work_free(sr_ot_work *w);

/* sr_pack / sr_unpack, faster for l = 8, 16, 32, 64. */
void sr_ot_pack(uint8_t *out, const uint64_t *x, size_t n, unsigned l);
void sr_ot_unpack(uint64_t *x, const uint8_t *in, size_t n, unsigned l);

/* Packed bytes of chunk k of a call of n rows, per_row values of l bits
 * per row, and the byte where it starts (full chunks pack to whole
 * bytes). */
size_t sr_ot_chunk_bytes(size_t n, size_t k, size_t per_row, unsigned l);
size_t sr_ot_chunk_off(size_t k, size_t per_row, unsigned l);

/* Value of l bits at bit offset off of a packed string (sr_pack order). */
static inline uint64_t
sr_ot_get_bits(const uint8_t *pk, size_t off, unsigned l)
{
    uint64_t v;
    const uint8_t *p = pk + off / 8;
    unsigned sh = (unsigned)(off % 8);
    memcpy(&v, p, 8);
    v >>= sh;
    if (sh + l > 64)
        v |= (uint64_t)p[8] << (64 - sh);
    return v;
}

static inline uint64_t
sr_ot_lo64(__m128i x)
{
    return (uint64_t)_mm_cvtsi128_si64(x);
}

static inline uint64_t
sr_ot_hi64(__m128i x)
{
    return (uint64_t)_mm_extract_epi64(x, 1);
}

#endif
