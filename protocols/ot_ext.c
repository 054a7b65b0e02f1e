/*
 * protocols/ot_ext.c -- the correlated-row extension behind IKNP (Ishai,
 * Kilian, Nissim, Petrank 2003; width 128) and Kolesnikov-Kumaresan 1-of-N
 * (2013; width 256, Walsh-Hadamard code words), and the bit-matrix
 * transpose it needs.
 *
 * Receiver, per column j < w (base-OT sender, keys k0_j, k1_j):
 *   G0_j = PRG(k0_j), G1_j = PRG(k1_j)   (one bit per row)
 *   t_i  = row i of [G0_0 .. G0_{w-1}]               (one transpose)
 *   u_j  = G0_j ^ G1_j ^ C_j                          -> sent, w bits/row
 * where C_j is column j of the code words c_i (IKNP: the choice bits for
 * every j; KK: parity(c_i & j)).  Sender (base-OT receiver with choice
 * bits s, keys k_{s_j}):
 *   q_i  = row i of [PRG(k_{s_j}) ^ s_j u_j]_j  = t_i ^ (c_i & s)
 * since bit j of that is G0_j if s_j = 0 and G1_j ^ G0_j ^ G1_j ^ c_ij
 * if s_j = 1 (one transpose).
 *
 * On the wire u is column-major for the first nrow & ~7 rows of the chunk
 * (whole bytes per column) and row-major for the last nrow % 8 rows, so
 * a chunk costs exactly nrow * w bits for every nrow: no padding.
 *
 * The PRG streams of a direction advance by whole 128-row blocks per
 * chunk; both sides advance identically, so no stream bit is used twice.
 */
#include "protocols/ot_internal.h"

#include <string.h>

/*
 * AVX2 version, any nr % 32 == 0, nc % 8 == 0.  Take one byte (8
 * columns) from each of 32 consecutive rows; the movemask of the 32 bytes
 * collects bit 7 of each, that is column cc + 7 of rows rr .. rr + 31: 32
 * bits of output row cc + 7.  Shift every byte left by one and repeat for
 * columns cc + 6 down to cc.
 */
static void
transpose_avx2(uint8_t *out, const uint8_t *in, size_t nr, size_t nc)
{
    const size_t rb = nr / 8, cb = nc / 8;
    for (size_t rr = 0; rr < nr; rr += 32) {
        for (size_t cc = 0; cc < nc; cc += 8) {
            uint8_t g[32];
            for (int k = 0; k < 32; k++)
                g[k] = in[(rr + (size_t)k) * cb + cc / 8];
            __m256i v = _mm256_loadu_si256((const __m256i *)g);
            for (int i = 7; i >= 0; i--) {
                uint32_t w = (uint32_t)_mm256_movemask_epi8(v);
                memcpy(out + (cc + (size_t)i) * rb + rr / 8, &w, 4);
                v = _mm256_add_epi8(v, v);
            }
        }
    }
}

#define Z_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,gfni")))

/*
 * AVX-512 version for nr % 64 == 0, nc % 64 == 0, on 64 x 64 tiles:
 *  1. 8 x 8 loads: V_g qword k = 8 bytes (64 columns) of row 8g + k;
 *  2. a byte shuffle per V_g: qword j = byte j of rows 8g .. 8g + 7
 *     (rows in reverse order within the qword, for step 4);
 *  3. an 8 x 8 qword transpose over the V_g: W_j qword g = byte j of rows
 *     8g + 7 .. 8g, an 8 x 8 bit matrix;
 *  4. one GF2P8AFFINEQB transposes all eight bit matrices of W_j (with
 *     x = 0x8040201008040201, byte p of the result gets bit p of every
 *     matrix row, the rows read from the top byte down, hence the
 *     reversal), a byte shuffle gathers each column's 8 bytes into a
 *     qword, and a scatter stores the eight 64-bit pieces of output rows
 *     cc + 8j .. cc + 8j + 7.
 */
Z_TARGET static void
transpose_z(uint8_t *out, const uint8_t *in, size_t nr, size_t nc)
{
    const size_t rb = nr / 8, cb = nc / 8;
    uint8_t pidx[64], qidx[64];
    for (int j = 0; j < 8; j++)
        for (int k = 0; k < 8; k++) {
            pidx[8 * j + (7 - k)] = (uint8_t)(8 * k + j);
            qidx[8 * j + k] = (uint8_t)(8 * k + j);
        }
    const __m512i P = _mm512_loadu_si512((const void *)pidx);
    const __m512i Q = _mm512_loadu_si512((const void *)qidx);
    const __m512i I = _mm512_set1_epi64(0x8040201008040201LL);
    const __m512i vo = _mm512_set_epi64(7 * (long long)rb, 6 * (long long)rb,
                                        5 * (long long)rb, 4 * (long long)rb,
                                        3 * (long long)rb, 2 * (long long)rb,
                                        (long long)rb, 0);
    const __m512i i2a = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i i2b = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    const __m512i i3a = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i i3b = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    for (size_t rr = 0; rr < nr; rr += 64) {
        for (size_t cc = 0; cc < nc; cc += 64) {
            __m512i V[8], W[8];
            const uint8_t *base = in + rr * cb + cc / 8;
            for (int g = 0; g < 8; g++) {
                /* Eight plain loads: gathers are slow on some cores. */
                const uint8_t *b8 = base + 8 * (size_t)g * cb;
                __m128i q0 = _mm_loadl_epi64((const __m128i *)b8);
                __m128i q1 = _mm_loadl_epi64((const __m128i *)(b8 + 2 * cb));
                __m128i q2 = _mm_loadl_epi64((const __m128i *)(b8 + 4 * cb));
                __m128i q3 = _mm_loadl_epi64((const __m128i *)(b8 + 6 * cb));
                q0 = _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(q0),
                                                   (const double *)(b8 + cb)));
                q1 = _mm_castpd_si128(_mm_loadh_pd(
                    _mm_castsi128_pd(q1), (const double *)(b8 + 3 * cb)));
                q2 = _mm_castpd_si128(_mm_loadh_pd(
                    _mm_castsi128_pd(q2), (const double *)(b8 + 5 * cb)));
                q3 = _mm_castpd_si128(_mm_loadh_pd(
                    _mm_castsi128_pd(q3), (const double *)(b8 + 7 * cb)));
                __m256i lo =
                    _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
                __m256i hi =
                    _mm256_inserti128_si256(_mm256_castsi128_si256(q2), q3, 1);
                V[g] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
                V[g] = _mm512_permutexvar_epi8(P, V[g]);
            }
            /* qword transpose: level 1 pairs, level 2 lanes, level 3
             * halves (see the index vectors). */
            __m512i Lo[4], Hi[4];
            for (int p = 0; p < 4; p++) {
                Lo[p] = _mm512_unpacklo_epi64(V[2 * p], V[2 * p + 1]);
                Hi[p] = _mm512_unpackhi_epi64(V[2 * p], V[2 * p + 1]);
            }
            for (int h = 0; h < 2; h++) {
                const __m512i *X = h == 0 ? Lo : Hi;
                __m512i F0 = _mm512_permutex2var_epi64(X[0], i2a, X[1]);
                __m512i G0 = _mm512_permutex2var_epi64(X[0], i2b, X[1]);
                __m512i F1 = _mm512_permutex2var_epi64(X[2], i2a, X[3]);
                __m512i G1 = _mm512_permutex2var_epi64(X[2], i2b, X[3]);
                W[h] = _mm512_permutex2var_epi64(F0, i3a, F1);
                W[h + 4] = _mm512_permutex2var_epi64(F0, i3b, F1);
                W[h + 2] = _mm512_permutex2var_epi64(G0, i3a, G1);
                W[h + 6] = _mm512_permutex2var_epi64(G0, i3b, G1);
            }
            for (int j = 0; j < 8; j++) {
                __m512i y = _mm512_gf2p8affine_epi64_epi8(I, W[j], 0);
                y = _mm512_permutexvar_epi8(Q, y);
                _mm512_i64scatter_epi64(
                    out + (cc + 8 * (size_t)j) * rb + rr / 8, vo, y, 1);
            }
        }
    }
}

/* see ot_internal.h */
void
sr_ot_transpose(uint8_t *out, const uint8_t *in, size_t nr, size_t nc)
{
    if (nr % 64 == 0 && nc % 64 == 0 && __builtin_cpu_supports("avx512vbmi") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("gfni"))
        transpose_z(out, in, nr, nc);
    else
        transpose_avx2(out, in, nr, nc);
}

/* see ot_internal.h */
void
sr_ot_wh(__m128i out[2], unsigned j)
{
    uint8_t b[32];
    memset(b, 0, sizeof b);
    for (unsigned k = 0; k < 256; k++)
        if (__builtin_parity(j & k))
            b[k / 8] |= (uint8_t)(1u << (k % 8));
    out[0] = _mm_loadu_si128((const __m128i *)b);
    out[1] = _mm_loadu_si128((const __m128i *)(b + 16));
}

/*
 * Packed bit column of n choices into nb blocks (zero beyond n): bit i is
 * bit `bit` of ch[i], or (bit < 0) whether ch[i] is nonzero.
 */
static void
pack_plane(__m128i *col, const uint8_t *ch, size_t n, size_t nb, int bit)
{
    uint32_t *o = (uint32_t *)col;
    const __m256i zero = _mm256_setzero_si256();
    memset(col, 0, nb * 16);
    for (size_t i = 0; i < n; i += 32) {
        uint8_t tmp[32];
        const uint8_t *p = ch + i;
        if (n - i < 32) {
            memset(tmp, 0, sizeof tmp);
            memcpy(tmp, p, n - i);
            p = tmp;
        }
        __m256i v = _mm256_loadu_si256((const __m256i *)p);
        uint32_t m;
        if (bit < 0)
            m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero));
        else /* bit `bit` of every byte to its top: 16-bit shifts suffice */
            m = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(v, 7 - bit));
        if (n - i < 32)
            m &= ((uint32_t)1 << (n - i)) - 1;
        o[i / 32] = m;
    }
}

/*
 * XOR the receiver's code words, in column form, into the w columns of
 * u (nb blocks each).  IKNP: every column is the choice bits.  KK: column
 * k is parity(c_i & k), the XOR of the bit planes of c named by k; walking
 * k in Gray-code order changes one plane per column.
 */
static void
add_codes(const sr_ot_ext *x, __m128i *u, const uint8_t *ch, size_t n,
          size_t nb)
{
    __m128i *run = x->code, *plane = x->code + nb;
    if (x->wb == 1) {
        pack_plane(run, ch, n, nb, -1);
        for (size_t j = 0; j < 128; j++)
            for (size_t b = 0; b < nb; b++)
                u[j * nb + b] = _mm_xor_si128(u[j * nb + b], run[b]);
        return;
    }
    for (int b = 0; b < 8; b++)
        pack_plane(plane + (size_t)b * nb, ch, n, nb, b);
    memset(run, 0, nb * 16); /* column 0 is all zero */
    for (unsigned t = 1; t < 256; t++) {
        unsigned k = t ^ (t >> 1), b = (unsigned)__builtin_ctz(t);
        for (size_t e = 0; e < nb; e++) {
            run[e] = _mm_xor_si128(run[e], plane[b * nb + e]);
            u[k * nb + e] = _mm_xor_si128(u[k * nb + e], run[e]);
        }
    }
}

/* see ot_internal.h */
void
sr_ot_ext_recv(sr_lane *L, sr_ot_ext *x, size_t nrow, __m128i *t,
               const uint8_t *ch, uint64_t *row0)
{
    SR_REQUIRE(nrow <= SR_OT_CHUNK);
    const size_t w = 128 * (size_t)x->wb, nb = sr_ceil_div(nrow, 128);
    const size_t r8 = nrow & ~(size_t)7, cbytes = r8 / 8;
    __m128i *cols = x->buf, *u = x->buf + w * nb;
    *row0 = x->blk * 128;

    sr_ot_aes_ctr_cols(x->k0, w, x->blk, nb, cols, nb);
    sr_ot_aes_ctr_cols(x->k1, w, x->blk, nb, u, nb);
    x->blk += nb;
    for (size_t k = 0; k < w * nb; k++)
        u[k] = _mm_xor_si128(u[k], cols[k]);
    add_codes(x, u, ch, nrow, nb);
    sr_ot_transpose((uint8_t *)t, (const uint8_t *)cols, w, 128 * nb);

    /* The message: the first r8 bits of every u column, then the last
     * nrow - r8 rows of u in row form (w bits each). */
    const uint8_t *msg = (const uint8_t *)u;
    if (r8 != 128 * nb) {
        uint8_t *m = (uint8_t *)x->rows;
        for (size_t j = 0; j < w; j++)
            memcpy(m + j * cbytes, (const uint8_t *)(u + j * nb), cbytes);
        uint8_t *tail = m + w * cbytes;
        memset(tail, 0, (nrow - r8) * w / 8);
        for (size_t i = r8; i < nrow; i++)
            for (size_t j = 0; j < w; j++) {
                const uint8_t *cj = (const uint8_t *)(u + j * nb);
                if ((cj[i / 8] >> (i % 8)) & 1)
                    tail[(i - r8) * w / 8 + j / 8] |= (uint8_t)(1u << (j % 8));
            }
        msg = m;
    }
    /* R -> S: nrow x w bits (u) */
    sr_chan_send(&L->chan, msg, nrow * w / 8);
}

/* d ^= s over len bytes, 32 at a time (-O2 does not vectorise this). */
static void
xor_bytes(uint8_t *d, const uint8_t *s, size_t len)
{
    size_t k = 0;
    for (; k + 32 <= len; k += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(d + k));
        __m256i b = _mm256_loadu_si256((const __m256i *)(s + k));
        _mm256_storeu_si256((__m256i *)(d + k), _mm256_xor_si256(a, b));
    }
    for (; k < len; k++)
        d[k] ^= s[k];
}

/* see ot_internal.h */
void
sr_ot_ext_send(sr_lane *L, sr_ot_ext *x, size_t nrow, __m128i *q,
               uint64_t *row0)
{
    SR_REQUIRE(nrow <= SR_OT_CHUNK);
    const unsigned wb = x->wb;
    const size_t w = 128 * (size_t)wb, nb = sr_ceil_div(nrow, 128);
    const size_t r8 = nrow & ~(size_t)7, cbytes = r8 / 8;
    __m128i *cols = x->buf;
    const uint8_t *m = (const uint8_t *)x->rows;
    *row0 = x->blk * 128;

    sr_ot_aes_ctr_cols(x->k0, w, x->blk, nb, cols, nb);
    x->blk += nb;
    /* R -> S: nrow x w bits (u) */
    sr_chan_recv(&L->chan, x->rows, nrow * w / 8);
    /* Column j: G(k_{s_j}) ^ s_j u_j, on the column part of the message. */
    const uint8_t *s = (const uint8_t *)x->s;
    for (size_t j = 0; j < w; j++) {
        if (!((s[j / 8] >> (j % 8)) & 1))
            continue;
        xor_bytes((uint8_t *)(cols + j * nb), m + j * cbytes, cbytes);
    }
    sr_ot_transpose((uint8_t *)q, (const uint8_t *)cols, w, 128 * nb);
    /* The last rows came in row form: q_i ^= u_i & s. */
    for (size_t i = r8; i < nrow; i++)
        for (unsigned h = 0; h < wb; h++) {
            __m128i ui = _mm_loadu_si128(
                (const __m128i *)(m + w * cbytes + (i - r8) * w / 8 + 16 * h));
            q[i * wb + h] =
                _mm_xor_si128(q[i * wb + h], _mm_and_si128(ui, x->s[h]));
        }
}
