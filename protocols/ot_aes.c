/*
 * protocols/ot_aes.c -- AES-128 with AES-NI for the OT extension: key
 * expansion, batched ECB, many-key CTR (the column PRG) and the tweakable
 * correlation-robust hash TMMO of Guo, Katz, Wang, Yu ("Efficient and
 * Secure Multiparty Computation from Fixed-Key Block Ciphers", S&P 2020).
 */
#include "protocols/ot_internal.h"

#include <string.h>

static __m128i
expand_step(__m128i k, __m128i t)
{
    /* t holds RotWord(SubWord(w3)) ^ rcon in its top word. */
    t = _mm_shuffle_epi32(t, 0xff);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, t);
}

/* see ot_internal.h */
void
sr_ot_aes_init(sr_ot_aes *k, const uint8_t key[16])
{
    __m128i x = _mm_loadu_si128((const __m128i *)key);
    k->rk[0] = x;
    /* The round constant must be an immediate, hence the unrolling. */
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x01));
    k->rk[1] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x02));
    k->rk[2] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x04));
    k->rk[3] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x08));
    k->rk[4] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x10));
    k->rk[5] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x20));
    k->rk[6] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x40));
    k->rk[7] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x80));
    k->rk[8] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x1b));
    k->rk[9] = x;
    x = expand_step(x, _mm_aeskeygenassist_si128(x, 0x36));
    k->rk[10] = x;
}

/* see ot_internal.h */
void
sr_ot_aes_fixed(sr_ot_aes *k)
{
    /* Any public constant works; these are the first digits of pi. */
    static const uint8_t key[16] = {0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3,
                                    0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e,
                                    0x03, 0x70, 0x73, 0x44};
    sr_ot_aes_init(k, key);
}

#define UNROLL _Pragma("GCC unroll 16")

/* Eight blocks through one key, kept in registers (hence the unrolls). */
static inline void
aes8(const __m128i *rk, __m128i *b)
{
    UNROLL
    for (int j = 0; j < 8; j++)
        b[j] = _mm_xor_si128(b[j], rk[0]);
    UNROLL
    for (int r = 1; r < 10; r++) {
        UNROLL
        for (int j = 0; j < 8; j++)
            b[j] = _mm_aesenc_si128(b[j], rk[r]);
    }
    UNROLL
    for (int j = 0; j < 8; j++)
        b[j] = _mm_aesenclast_si128(b[j], rk[10]);
}

static inline __m128i
aes1(const __m128i *rk, __m128i b)
{
    b = _mm_xor_si128(b, rk[0]);
    UNROLL
    for (int r = 1; r < 10; r++)
        b = _mm_aesenc_si128(b, rk[r]);
    return _mm_aesenclast_si128(b, rk[10]);
}

/* ---- VAES (AVX-512) kernels: four blocks per instruction ---- */

#define VAES_TARGET __attribute__((target("avx512f,avx512bw,vaes")))

VAES_TARGET static inline void
aes_z8(const __m512i *rk, __m512i *b)
{
    UNROLL
    for (int j = 0; j < 8; j++)
        b[j] = _mm512_xor_si512(b[j], rk[0]);
    UNROLL
    for (int r = 1; r < 10; r++)
        UNROLL
    for (int j = 0; j < 8; j++)
        b[j] = _mm512_aesenc_epi128(b[j], rk[r]);
    UNROLL
    for (int j = 0; j < 8; j++)
        b[j] = _mm512_aesenclast_epi128(b[j], rk[10]);
}

VAES_TARGET static void
bcast_keys(__m512i *rk, const sr_ot_aes *k)
{
    UNROLL
    for (int r = 0; r < 11; r++)
        rk[r] = _mm512_broadcast_i32x4(k->rk[r]);
}

/* TMMO on 32 blocks per step; tweak of x[i] is tw0 + i, or tw[i]. */
VAES_TARGET static size_t
tmmo_vaes(const sr_ot_aes *pi, __m128i *out, const __m128i *x, size_t n,
          uint64_t tw0, const uint64_t *tw)
{
    __m512i rk[11];
    bcast_keys(rk, pi);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512i a[8], b[8];
        UNROLL
        for (int j = 0; j < 8; j++)
            a[j] = _mm512_loadu_si512((const void *)(x + i + 4 * (size_t)j));
        aes_z8(rk, a);
        UNROLL
        for (int j = 0; j < 8; j++) {
            size_t e = i + 4 * (size_t)j;
            __m512i t = tw != NULL
                            ? _mm512_set_epi64(0, (long long)tw[e + 3], 0,
                                               (long long)tw[e + 2], 0,
                                               (long long)tw[e + 1], 0,
                                               (long long)tw[e])
                            : _mm512_set_epi64(0, (long long)(tw0 + e + 3), 0,
                                               (long long)(tw0 + e + 2), 0,
                                               (long long)(tw0 + e + 1), 0,
                                               (long long)(tw0 + e));
            b[j] = _mm512_xor_si512(a[j], t);
        }
        aes_z8(rk, b);
        UNROLL
        for (int j = 0; j < 8; j++)
            _mm512_storeu_si512((void *)(out + i + 4 * (size_t)j),
                                _mm512_xor_si512(a[j], b[j]));
    }
    return i;
}

/* CTR for one key: 32 counter blocks per step. */
VAES_TARGET static size_t
ctr_vaes(const sr_ot_aes *k, uint64_t ctr, size_t nb, __m128i *out)
{
    __m512i rk[11];
    bcast_keys(rk, k);
    size_t b = 0;
    for (; b + 32 <= nb; b += 32) {
        __m512i x[8];
        UNROLL
        for (int j = 0; j < 8; j++) {
            uint64_t c = ctr + b + 4 * (uint64_t)j;
            x[j] =
                _mm512_set_epi64(0, (long long)(c + 3), 0, (long long)(c + 2),
                                 0, (long long)(c + 1), 0, (long long)c);
        }
        aes_z8(rk, x);
        UNROLL
        for (int j = 0; j < 8; j++)
            _mm512_storeu_si512((void *)(out + b + 4 * (size_t)j), x[j]);
    }
    return b;
}

/*
 * One 1-of-N row of the KK sender: for j < N,
 *   v[j] = (msg[j] ^ low64(H(tw, f ^ mask[j]))) & mk.
 */
VAES_TARGET static size_t
kkrow_vaes(const sr_ot_aes *pi, uint64_t *v, __m128i f, const __m128i *mask,
           size_t N, uint64_t tw, uint64_t mk, const uint64_t *msg)
{
    __m512i rk[11];
    bcast_keys(rk, pi);
    const __m512i F = _mm512_broadcast_i32x4(f);
    const __m512i T = _mm512_set_epi64(0, (long long)tw, 0, (long long)tw, 0,
                                       (long long)tw, 0, (long long)tw);
    const __m256i M = _mm256_set1_epi64x((long long)mk);
    size_t j = 0;
    for (; j + 32 <= N; j += 32) {
        __m512i a[8], b[8];
        UNROLL
        for (int e = 0; e < 8; e++)
            a[e] = _mm512_xor_si512(
                F,
                _mm512_loadu_si512((const void *)(mask + j + 4 * (size_t)e)));
        aes_z8(rk, a);
        UNROLL
        for (int e = 0; e < 8; e++)
            b[e] = _mm512_xor_si512(a[e], T);
        aes_z8(rk, b);
        UNROLL
        for (int e = 0; e < 8; e++) {
            /* low 64 bits of each lane: qwords 0, 2, 4, 6 */
            __m512i h = _mm512_xor_si512(a[e], b[e]);
            __m256i lo =
                _mm512_castsi512_si256(_mm512_maskz_compress_epi64(0x55, h));
            size_t idx = j + 4 * (size_t)e;
            __m256i m = _mm256_loadu_si256((const __m256i *)(msg + idx));
            lo = _mm256_and_si256(_mm256_xor_si256(lo, m), M);
            _mm256_storeu_si256((__m256i *)(v + idx), lo);
        }
    }
    return j;
}

/* see ot_internal.h */
int
sr_ot_have_vaes(void)
{
    return __builtin_cpu_supports("vaes") &&
           __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw");
}

/* see ot_internal.h */
void
sr_ot_aes_ecb(const sr_ot_aes *k, __m128i *blk, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i b[8];
        UNROLL
        for (int j = 0; j < 8; j++)
            b[j] = blk[i + (size_t)j];
        aes8(k->rk, b);
        UNROLL
        for (int j = 0; j < 8; j++)
            blk[i + (size_t)j] = b[j];
    }
    for (; i < n; i++)
        blk[i] = aes1(k->rk, blk[i]);
}

/* see ot_internal.h */
void
sr_ot_aes_ctr_cols(const sr_ot_aes *keys, size_t ncol, uint64_t ctr, size_t nb,
                   __m128i *out, size_t stride)
{
    size_t c = 0;
    if (nb >= 32 && sr_ot_have_vaes()) {
        for (; c < ncol; c++) {
            __m128i *o = out + c * stride;
            size_t b = ctr_vaes(&keys[c], ctr, nb, o);
            for (; b < nb; b++)
                o[b] =
                    aes1(keys[c].rk, _mm_set_epi64x(0, (long long)(ctr + b)));
        }
        return;
    }
    /* Eight columns at a time: eight independent keys keep the AES unit
     * busy just as eight blocks of one key would. */
    for (; c + 8 <= ncol; c += 8) {
        const sr_ot_aes *k = keys + c;
        for (size_t b = 0; b < nb; b++) {
            __m128i ct = _mm_set_epi64x(0, (long long)(ctr + b));
            __m128i x[8];
            UNROLL
            for (int j = 0; j < 8; j++)
                x[j] = _mm_xor_si128(ct, k[j].rk[0]);
            UNROLL
            for (int r = 1; r < 10; r++)
                UNROLL
            for (int j = 0; j < 8; j++)
                x[j] = _mm_aesenc_si128(x[j], k[j].rk[r]);
            UNROLL
            for (int j = 0; j < 8; j++)
                out[(c + (size_t)j) * stride + b] =
                    _mm_aesenclast_si128(x[j], k[j].rk[10]);
        }
    }
    for (; c < ncol; c++)
        for (size_t b = 0; b < nb; b++)
            out[c * stride + b] =
                aes1(keys[c].rk, _mm_set_epi64x(0, (long long)(ctr + b)));
}

/* TMMO of x[i] with tweak tw0 + i (tw == NULL) or tw[i], from i0 on. */
static void
tmmo_sse(const sr_ot_aes *pi, __m128i *out, const __m128i *x, size_t i,
         size_t n, uint64_t tw0, const uint64_t *tw)
{
    for (; i + 8 <= n; i += 8) {
        __m128i a[8], b[8];
        UNROLL
        for (int j = 0; j < 8; j++)
            a[j] = x[i + (size_t)j];
        aes8(pi->rk, a); /* pi(x) */
        UNROLL
        for (int j = 0; j < 8; j++) {
            size_t e = i + (size_t)j;
            uint64_t t = tw != NULL ? tw[e] : tw0 + e;
            b[j] = _mm_xor_si128(a[j], _mm_set_epi64x(0, (long long)t));
        }
        aes8(pi->rk, b); /* pi(pi(x) ^ i) */
        UNROLL
        for (int j = 0; j < 8; j++)
            out[i + (size_t)j] = _mm_xor_si128(a[j], b[j]);
    }
    for (; i < n; i++) {
        uint64_t t = tw != NULL ? tw[i] : tw0 + i;
        __m128i a = aes1(pi->rk, x[i]);
        __m128i b =
            aes1(pi->rk, _mm_xor_si128(a, _mm_set_epi64x(0, (long long)t)));
        out[i] = _mm_xor_si128(a, b);
    }
}

/* see ot_internal.h */
void
sr_ot_tmmo(const sr_ot_aes *pi, __m128i *out, const __m128i *x, size_t n,
           uint64_t tw)
{
    size_t i = sr_ot_have_vaes() ? tmmo_vaes(pi, out, x, n, tw, NULL) : 0;
    tmmo_sse(pi, out, x, i, n, tw, NULL);
}

/* see ot_internal.h */
void
sr_ot_tmmo_tw(const sr_ot_aes *pi, __m128i *out, const __m128i *x, size_t n,
              const uint64_t *tw)
{
    size_t i = sr_ot_have_vaes() ? tmmo_vaes(pi, out, x, n, 0, tw) : 0;
    tmmo_sse(pi, out, x, i, n, 0, tw);
}

/* see ot_internal.h */
void
sr_ot_kk_rows(const sr_ot_aes *pi, uint64_t *v, const __m128i *f, size_t nrows,
              const __m128i *mask, size_t N, uint64_t tw0, uint64_t mk,
              const uint64_t *msg)
{
    const int wide = sr_ot_have_vaes();
    if (wide && N >= 32) {
        /* N is a power of two: whole rows in the wide kernel. */
        for (size_t i = 0; i < nrows; i++)
            kkrow_vaes(pi, v + i * N, f[i], mask, N, tw0 + i, mk, msg + i * N);
        return;
    }
    /* Short rows: hash several rows per batch of 64 entries. */
    __m128i x[64], h[64];
    uint64_t t[64];
    const size_t total = nrows * N, nm = N - 1;
    const unsigned m = (unsigned)__builtin_ctzll(N); /* N = 2^m */
    for (size_t e0 = 0; e0 < total; e0 += 64) {
        size_t cnt = total - e0 < 64 ? total - e0 : 64;
        for (size_t e = 0; e < cnt; e++) {
            size_t g = e0 + e;
            x[e] = _mm_xor_si128(f[g >> m], mask[g & nm]);
            t[e] = tw0 + (g >> m);
        }
        size_t done = wide ? tmmo_vaes(pi, h, x, cnt, 0, t) : 0;
        tmmo_sse(pi, h, x, done, cnt, 0, t);
        for (size_t e = 0; e < cnt; e++)
            v[e0 + e] = (msg[e0 + e] ^ (uint64_t)_mm_cvtsi128_si64(h[e])) & mk;
    }
}
