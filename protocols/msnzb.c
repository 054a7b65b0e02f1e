/*
 * protocols/msnzb.c -- one-hot MSNZB (SIRNN Appendix F, Algorithm 7).
 */
#include "protocols/msnzb.h"

#include <string.h>

#include "protocols/and.h"
#include "protocols/digdec.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "protocols/share.h"

static unsigned
ceil_log2(unsigned v)
{
    unsigned k = 0;
    while (((unsigned)1 << k) < v)
        k++;
    return k;
}

static unsigned
floor_log2(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

/* Digit LUT entry: (local MSNZB << 1) | [v = 0], index 0 for v = 0. */
static uint64_t
digit_entry(uint64_t v)
{
    return v == 0 ? 1 : (uint64_t)floor_log2(v) << 1;
}

/*
 * Step 2 for k elements of one digit row (width dw): u over delta bits
 * (arithmetic; all zero when delta = 0), v zero flags (XOR).
 * Alice, the sender, keeps (r, zb) and offers T[y_A + j] - r, flag ^ zb.
 */
static int
digit_alice(sr_lane *L, size_t k, uint64_t *u, uint8_t *v, const uint64_t *y,
            unsigned dw, unsigned delta, uint64_t *msg)
{
    const size_t N = (size_t)1 << dw;
    if (delta > 0)
        sr_prg_u64(&L->prg, u, k, delta);
    else
        memset(u, 0, k * sizeof *u);
    sr_prg_bits(&L->prg, v, k);
    for (size_t j = 0; j < k; j++)
        for (size_t t = 0; t < N; t++) {
            uint64_t e = digit_entry((y[j] + t) & sr_mask(dw));
            uint64_t a = ((e >> 1) - u[j]) & sr_mask(delta);
            msg[j * N + t] = (a << 1) | ((e & 1) ^ v[j]);
        }
    /* B -> A: code words, A -> B: k x 2^dw x (delta+1) bits */
    return sr_kkot_send(L, k, msg, dw, delta + 1);
}

/* Bob, the receiver, chooses his digit share y_B. */
static int
digit_bob(sr_lane *L, size_t k, uint64_t *u, uint8_t *v, const uint64_t *y,
          unsigned dw, unsigned delta, uint64_t *out, uint8_t *ch)
{
    for (size_t j = 0; j < k; j++)
        ch[j] = (uint8_t)y[j];
    /* B -> A: code words, A -> B: k x 2^dw x (delta+1) bits */
    int rc = sr_kkot_recv(L, k, out, ch, dw, delta + 1);
    for (size_t j = 0; j < k; j++) {
        u[j] = out[j] >> 1;
        v[j] = (uint8_t)(out[j] & 1);
    }
    return rc;
}

/*
 * Step 5: the one-hot vector of position g d + t, where t (delta bits) is
 * shared arithmetically and g (gamma bits) with XOR; Bob's choice is
 * t_B | g_B << delta.  Positions whose t is not below the digit's width
 * (or g >= c) never occur for the true index; their rows are zero.
 */
typedef struct onehot_fmt {
    unsigned bw, d, c, delta, gamma;
} onehot_fmt;

static uint64_t
onehot_row(const onehot_fmt *f, uint64_t tA, uint64_t gA, size_t j)
{
    uint64_t t = (tA + (j & sr_mask(f->delta))) & sr_mask(f->delta);
    uint64_t g = gA ^ (j >> f->delta);
    unsigned dw = g + 1 == f->c ? f->bw - (f->c - 1) * f->d : f->d;
    if (g >= f->c || t >= dw)
        return 0;
    return (uint64_t)1 << (g * f->d + t);
}

static int
onehot_alice(sr_lane *L, size_t k, uint8_t *z, const uint64_t *t,
             const uint64_t *g, const onehot_fmt *f, uint64_t *msg, uint64_t *R)
{
    const unsigned M = f->delta + f->gamma, bw = f->bw;
    const size_t N = (size_t)1 << M;
    sr_prg_u64(&L->prg, R, k, bw);
    for (size_t j = 0; j < k; j++)
        for (size_t q = 0; q < N; q++)
            msg[j * N + q] = onehot_row(f, t[j], g[j], q) ^ R[j];
    /* B -> A: code words, A -> B: k x 2^(delta+gamma) x bw bits */
    int rc = sr_kkot_send(L, k, msg, M, bw);
    for (size_t j = 0; j < k; j++)
        for (unsigned b = 0; b < bw; b++)
            z[j * bw + b] = (uint8_t)((R[j] >> b) & 1);
    return rc;
}

static int
onehot_bob(sr_lane *L, size_t k, uint8_t *z, const uint64_t *t,
           const uint64_t *g, const onehot_fmt *f, uint64_t *out, uint8_t *ch)
{
    const unsigned M = f->delta + f->gamma, bw = f->bw;
    for (size_t j = 0; j < k; j++)
        ch[j] = (uint8_t)(t[j] | g[j] << f->delta);
    /* B -> A: code words, A -> B: k x 2^(delta+gamma) x bw bits */
    int rc = sr_kkot_recv(L, k, out, ch, M, bw);
    for (size_t j = 0; j < k; j++)
        for (unsigned b = 0; b < bw; b++)
            z[j * bw + b] = (uint8_t)((out[j] >> b) & 1);
    return rc;
}

/*
 * Steps 2 and 5 in chunks of sr_msnzb_rows(m) table rows: a chunk's rows
 * are built, offered and consumed before the next (bounded memory).
 * Step 2: the c - 1 full-width digits are one run of (c - 1) n rows
 * (digit-major, contiguous), the last digit a run of n rows.
 */
static int
digit_run(sr_lane *L, size_t rows, uint64_t *u, uint8_t *v, const uint64_t *y,
          unsigned dw, unsigned delta, uint64_t *msg, uint8_t *ch)
{
    const size_t R = sr_msnzb_rows(dw);
    int rc = SR_OK;
    for (size_t q = 0; q < rows && rc == SR_OK; q += R) {
        size_t k = rows - q < R ? rows - q : R;
        if (L->role == SR_ALICE)
            rc = digit_alice(L, k, u + q, v + q, y + q, dw, delta, msg);
        else
            rc = digit_bob(L, k, u + q, v + q, y + q, dw, delta, msg, ch);
    }
    return rc;
}

static int
digit_luts(sr_lane *L, size_t n, uint64_t *u, uint8_t *v, const uint64_t *y,
           unsigned bw, unsigned d, unsigned delta)
{
    const unsigned c = sr_digdec_count(bw, d), dl = bw - (c - 1) * d;
    const size_t R = sr_msnzb_rows(dl < d ? dl : d);
    uint64_t *msg = sr_scratch_u64(L, R << (dl > d ? dl : d));
    uint8_t *ch = sr_scratch_u8(L, R);
    int rc = msg == NULL || ch == NULL ? SR_ENOMEM : SR_OK;
    const size_t nl = (size_t)(c - 1) * n;
    if (rc == SR_OK && c > 1)
        rc = digit_run(L, nl, u, v, y, d, delta, msg, ch);
    if (rc == SR_OK)
        rc = digit_run(L, n, u + nl, v + nl, y + nl, dl, delta, msg, ch);
    sr_scratch_release(L, ch);
    sr_scratch_release(L, msg);
    return rc;
}

static int
onehot_luts(sr_lane *L, size_t n, uint8_t *z, const uint64_t *t,
            const uint64_t *g, const onehot_fmt *f)
{
    const size_t rows = sr_msnzb_rows(f->delta + f->gamma);
    uint64_t *msg = sr_scratch_u64(L, rows << (f->delta + f->gamma));
    uint64_t *R = sr_scratch_u64(L, rows);
    uint8_t *ch = sr_scratch_u8(L, rows);
    int rc = msg == NULL || R == NULL || ch == NULL ? SR_ENOMEM : SR_OK;
    for (size_t j0 = 0; j0 < n && rc == SR_OK; j0 += rows) {
        size_t k = n - j0 < rows ? n - j0 : rows;
        if (L->role == SR_ALICE)
            rc = onehot_alice(L, k, z + j0 * f->bw, t + j0, g + j0, f, msg, R);
        else
            rc = onehot_bob(L, k, z + j0 * f->bw, t + j0, g + j0, f, msg, ch);
    }
    sr_scratch_release(L, ch);
    sr_scratch_release(L, R);
    sr_scratch_release(L, msg);
    return rc;
}

/* see msnzb.h */
int
sr_msnzb(sr_lane *L, size_t n, uint8_t *z, const uint64_t *x, unsigned bw,
         unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= SR_KKOT_MAX_BITS);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL));
    if (n == 0)
        return SR_OK;
    if (bw == 1) { /* bit 0 is x itself (shares mod 2 are XOR shares) */
        for (size_t j = 0; j < n; j++)
            z[j] = (uint8_t)(x[j] & 1);
        return SR_OK;
    }
    const unsigned c = sr_digdec_count(bw, d);
    const onehot_fmt f = {bw, d, c, ceil_log2(d), ceil_log2(c)};
    const size_t cn = (size_t)c * n;
    uint64_t *y = sr_scratch_u64(L, cn);
    uint64_t *u = sr_scratch_u64(L, cn);
    uint8_t *v = sr_scratch_u8(L, cn);
    uint8_t *sel = sr_scratch_u8(L, cn);
    uint8_t *h = sr_scratch_u8(L, cn);
    uint64_t *t = sr_scratch_u64(L, cn);
    uint64_t *g = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (y == NULL || u == NULL || v == NULL || sel == NULL || h == NULL ||
        t == NULL || g == NULL)
        goto out;

    /* 1-2. Digits, then per digit its local MSNZB and zero flag. */
    rc = sr_digdec(L, n, y, x, bw, d);
    if (rc == SR_OK)
        rc = digit_luts(L, n, u, v, y, bw, d, f.delta);
    if (rc != SR_OK)
        goto out;

    /* 3. nv = NOT v (Alice flips); h_i = AND of v_j for j > i. */
    sr_bits_xor_const(L, cn, sel, v, 1);
    if (c > 1) {
        memcpy(h + (size_t)(c - 2) * n, v + (size_t)(c - 1) * n, n);
        for (unsigned i = c - 2; i-- > 0 && rc == SR_OK;)
            rc = sr_and(L, n, h + (size_t)i * n, h + (size_t)(i + 1) * n,
                        v + (size_t)(i + 1) * n);
        /* one batch: sel_i = h_i AND NOT v_i (i < c-1), and the
         * all-zero flag h_0 AND v_0, written after them into y (free
         * now that the digits are consumed) */
        uint8_t *xin = (uint8_t *)y, *yin = xin + cn, *o = yin + cn;
        memcpy(xin, sel, (size_t)(c - 1) * n);
        memcpy(xin + (size_t)(c - 1) * n, v, n);
        memcpy(yin, h, (size_t)(c - 1) * n);
        memcpy(yin + (size_t)(c - 1) * n, h, n);
        if (rc == SR_OK)
            rc = sr_and(L, cn, o, xin, yin);
        memcpy(sel, o, (size_t)(c - 1) * n);
        memcpy(h, o + (size_t)(c - 1) * n, n); /* h[0..n) = all zero */
    } else {
        memcpy(h, v, n);
    }
    if (rc != SR_OK)
        goto out;

    /* 4. t = sum_i sel_i ? t_i : 0 (mod 2^delta); g = XOR of i sel_i. */
    memset(t, 0, cn * sizeof *t);
    if (f.delta > 0)
        rc = sr_mux(L, cn, t, sel, u, f.delta);
    if (rc != SR_OK)
        goto out;
    for (size_t j = 0; j < n; j++) {
        uint64_t gj = 0;
        for (unsigned i = 1; i < c; i++) {
            t[j] += t[(size_t)i * n + j];
            gj ^= sel[(size_t)i * n + j] ? (uint64_t)i : 0;
        }
        t[j] &= sr_mask(f.delta);
        g[j] = gj;
    }

    /* 5. One-hot of position g d + t; x = 0 clears bit 0. */
    rc = onehot_luts(L, n, z, t, g, &f);
    for (size_t j = 0; j < n; j++)
        z[j * bw] ^= h[j];
out:
    sr_scratch_release(L, g);
    sr_scratch_release(L, t);
    sr_scratch_release(L, h);
    sr_scratch_release(L, sel);
    sr_scratch_release(L, v);
    sr_scratch_release(L, u);
    sr_scratch_release(L, y);
    return rc;
}
