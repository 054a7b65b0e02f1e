/*
 * protocols/mult.c -- CrossTerm, UMult/SMult (+TR), Hadamard with a clear
 * operand (SIRNN Sec. IV-C, Algorithm 4, Appendix D).
 */
#include "protocols/mult.h"

#include <openssl/evp.h>
#include <string.h>

#include "protocols/mill.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

static unsigned
umin(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

/* 2^e mod 2^64 (0 when e >= 64). */
static uint64_t
pow2(unsigned e)
{
    return e >= 64 ? 0 : (uint64_t)1 << e;
}

/* ---------------------------------------------------------------------
 * CrossTerm.  Choice (t, i) = bit t of x[i] gets r = min(k, 2) random OTs
 * of 64 bits.  Its k pads: for k <= 2 the r random messages themselves
 * (one per value), for k >= 3 the expansion of the 128-bit key made of
 * the two messages (below).  For each value the sender sends
 * pad0 + y - pad1 over bw - t bits (COT from random OT), so every value
 * costs exactly its length and all bits travel in one flight.
 */

/* Public fixed key of the pad expansion (a random permutation). */
static const uint8_t pad_key[16] = "sirnn-crossterm";

static EVP_CIPHER_CTX *
pad_ctx(void)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx != NULL &&
        EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, pad_key, NULL) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    if (ctx != NULL)
        EVP_CIPHER_CTX_set_padding(ctx, 0);
    return ctx;
}

/*
 * Pads of n choices, k >= 3 each, from their keys (key[2i], key[2i+1]):
 * block c of choice i is b = (lo XOR c, hi), its output pi(b) XOR b (MMO
 * with fixed-key AES) gives pads 2c and 2c + 1.  blk and ct hold
 * 2 n ceil(k/2) words each.
 */
static int
expand(EVP_CIPHER_CTX *ctx, const uint64_t *key, size_t n, size_t k,
       uint64_t *p, uint64_t *blk, uint64_t *ct)
{
    const size_t h = (k + 1) / 2;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < h; c++) {
            blk[2 * (i * h + c)] = key[2 * i] ^ c;
            blk[2 * (i * h + c) + 1] = key[2 * i + 1];
        }
    int len = 0;
    if (EVP_EncryptUpdate(ctx, (uint8_t *)ct, &len, (const uint8_t *)blk,
                          (int)(16 * n * h)) != 1)
        return SR_ECRYPTO;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            p[i * k + j] = ct[2 * (i * h) + j] ^ blk[2 * (i * h) + j];
    return SR_OK;
}

/* Scratch of the pad expansion for n choices of k values. */
static size_t
expand_words(size_t n, size_t k)
{
    return k > 2 ? 2 * n * ((k + 1) / 2) : 0;
}

static int
cross_recv(sr_lane *L, size_t n, size_t k, uint64_t *z, const uint64_t *x,
           unsigned mx, unsigned bw)
{
    const unsigned B = umin(mx, bw);
    const size_t nk = n * k, nc = (size_t)B * n, r = k < 2 ? k : 2;
    uint8_t *c = sr_scratch_u8(L, r * nc);
    uint64_t *key = sr_scratch_u64(L, r * nc);
    uint64_t *u = sr_scratch_u64(L, nk);
    uint64_t *p = sr_scratch_u64(L, k > 2 ? nk : 0);
    uint64_t *blk = sr_scratch_u64(L, expand_words(n, k));
    uint64_t *ct = sr_scratch_u64(L, expand_words(n, k));
    EVP_CIPHER_CTX *ctx = k > 2 ? pad_ctx() : NULL;
    int rc = SR_ENOMEM;
    if (c == NULL || key == NULL || u == NULL || p == NULL || blk == NULL ||
        ct == NULL || (k > 2 && ctx == NULL))
        goto out;
    for (unsigned t = 0; t < B; t++)
        for (size_t i = 0; i < n; i++)
            for (size_t q = 0; q < r; q++)
                c[(t * n + i) * r + q] = (x[i] >> t) & 1;
    /* R -> S: random-OT columns, r per choice */
    rc = sr_rot_recv(L, r * nc, key, c, 64);
    if (rc != SR_OK)
        goto out;
    memset(z, 0, nk * sizeof *z);
    for (unsigned t = 0; t < B && rc == SR_OK; t++) {
        const uint64_t *pt = key + (size_t)t * n * r; /* k <= 2 */
        if (k > 2) {
            rc = expand(ctx, pt, n, k, p, blk, ct);
            pt = p;
        }
        /* S -> R: n k values of bw - t bits */
        sr_chan_recv_packed(&L->chan, u, nk, bw - t);
        const uint8_t *ct0 = c + (size_t)t * n * r;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++) {
                uint64_t o = pt[i * k + j] + (ct0[i * r] ? u[i * k + j] : 0);
                z[i * k + j] += o << t;
            }
    }
    for (size_t q = 0; q < nk; q++)
        z[q] &= sr_mask(bw);
    if (rc == SR_OK)
        rc = sr_chan_error(&L->chan);
out:
    EVP_CIPHER_CTX_free(ctx);
    sr_scratch_release(L, ct);
    sr_scratch_release(L, blk);
    sr_scratch_release(L, p);
    sr_scratch_release(L, u);
    sr_scratch_release(L, key);
    sr_scratch_release(L, c);
    return rc;
}

static int
cross_send(sr_lane *L, size_t n, size_t k, uint64_t *z, const uint64_t *y,
           unsigned mx, unsigned bw)
{
    const unsigned B = umin(mx, bw);
    const size_t nk = n * k, nc = (size_t)B * n, r = k < 2 ? k : 2;
    uint64_t *k0 = sr_scratch_u64(L, r * nc);
    uint64_t *k1 = sr_scratch_u64(L, r * nc);
    uint64_t *u = sr_scratch_u64(L, nk);
    uint64_t *p0 = sr_scratch_u64(L, k > 2 ? nk : 0);
    uint64_t *p1 = sr_scratch_u64(L, k > 2 ? nk : 0);
    uint64_t *blk = sr_scratch_u64(L, expand_words(n, k));
    uint64_t *ct = sr_scratch_u64(L, expand_words(n, k));
    EVP_CIPHER_CTX *ctx = k > 2 ? pad_ctx() : NULL;
    int rc = SR_ENOMEM;
    if (k0 == NULL || k1 == NULL || u == NULL || p0 == NULL || p1 == NULL ||
        blk == NULL || ct == NULL || (k > 2 && ctx == NULL))
        goto out;
    /* R -> S: random-OT columns, r per choice */
    rc = sr_rot_send(L, r * nc, k0, k1, 64);
    if (rc != SR_OK)
        goto out;
    memset(z, 0, nk * sizeof *z);
    for (unsigned t = 0; t < B && rc == SR_OK; t++) {
        const uint64_t mt = sr_mask(bw - t);
        const uint64_t *q0 = k0 + (size_t)t * n * r; /* k <= 2 */
        const uint64_t *q1 = k1 + (size_t)t * n * r;
        if (k > 2) {
            rc = expand(ctx, q0, n, k, p0, blk, ct);
            if (rc == SR_OK)
                rc = expand(ctx, q1, n, k, p1, blk, ct);
            q0 = p0;
            q1 = p1;
        }
        for (size_t q = 0; q < nk; q++) {
            u[q] = (q0[q] + y[q] - q1[q]) & mt;
            z[q] -= q0[q] << t;
        }
        /* S -> R: n k values of bw - t bits */
        if (rc == SR_OK)
            sr_chan_send_packed(&L->chan, u, nk, bw - t);
    }
    for (size_t q = 0; q < nk; q++)
        z[q] &= sr_mask(bw);
    if (rc == SR_OK)
        rc = sr_chan_error(&L->chan);
out:
    EVP_CIPHER_CTX_free(ctx);
    sr_scratch_release(L, ct);
    sr_scratch_release(L, blk);
    sr_scratch_release(L, p1);
    sr_scratch_release(L, p0);
    sr_scratch_release(L, u);
    sr_scratch_release(L, k1);
    sr_scratch_release(L, k0);
    return rc;
}

/* see mult.h */
int
sr_cross_recv(sr_lane *L, size_t n, size_t k, uint64_t *z, const uint64_t *x,
              unsigned mx, unsigned bw)
{
    SR_REQUIRE(mx >= 1 && mx <= 64 && bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || k == 0 || (z != NULL && x != NULL));
    if (n == 0 || k == 0)
        return SR_OK;
    const size_t ch = sr_cross_chunk(k, mx, bw);
    int rc = SR_OK;
    for (size_t i = 0; i < n && rc == SR_OK; i += ch)
        rc =
            cross_recv(L, n - i < ch ? n - i : ch, k, z + i * k, x + i, mx, bw);
    return rc;
}

/* see mult.h */
int
sr_cross_send(sr_lane *L, size_t n, size_t k, uint64_t *z, const uint64_t *y,
              unsigned mx, unsigned bw)
{
    SR_REQUIRE(mx >= 1 && mx <= 64 && bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || k == 0 || (z != NULL && y != NULL));
    if (n == 0 || k == 0)
        return SR_OK;
    const size_t ch = sr_cross_chunk(k, mx, bw);
    int rc = SR_OK;
    for (size_t i = 0; i < n && rc == SR_OK; i += ch)
        rc = cross_send(L, n - i < ch ? n - i : ch, k, z + i * k, y + i * k, mx,
                        bw);
    return rc;
}

/* ---------------------------------------------------------------------
 * Both cross terms of a product of two shared operands: term 1 has Alice
 * as receiver (her bits, Bob's values), term 2 Bob.  z = sum of both.
 */
static int
cross_pair_alice(sr_lane *L, size_t n, size_t k, uint64_t *z, uint64_t *t,
                 const uint64_t *bits, const uint64_t *vals, unsigned mx,
                 unsigned bw)
{
    int rc = sr_cross_recv(L, n, k, z, bits, mx, bw); /* term 1 */
    if (rc == SR_OK)
        rc = sr_cross_send(L, n, k, t, vals, mx, bw); /* term 2 */
    return rc;
}

static int
cross_pair_bob(sr_lane *L, size_t n, size_t k, uint64_t *z, uint64_t *t,
               const uint64_t *bits, const uint64_t *vals, unsigned mx,
               unsigned bw)
{
    int rc = sr_cross_send(L, n, k, z, vals, mx, bw); /* term 1 */
    if (rc == SR_OK)
        rc = sr_cross_recv(L, n, k, t, bits, mx, bw); /* term 2 */
    return rc;
}

/* see mult.h */
int
sr_cross_pair(sr_lane *L, size_t n, size_t k, uint64_t *z, const uint64_t *bits,
              const uint64_t *vals, unsigned mx, unsigned bw)
{
    SR_REQUIRE(n == 0 || k == 0 || (z != NULL && bits != NULL && vals != NULL));
    if (n == 0 || k == 0)
        return SR_OK;
    uint64_t *t = sr_scratch_u64(L, n * k);
    if (t == NULL)
        return SR_ENOMEM;
    int rc = L->role == SR_ALICE
                 ? cross_pair_alice(L, n, k, z, t, bits, vals, mx, bw)
                 : cross_pair_bob(L, n, k, z, t, bits, vals, mx, bw);
    for (size_t q = 0; q < n * k; q++)
        z[q] = (z[q] + t[q]) & sr_mask(bw);
    sr_scratch_release(L, t);
    return rc;
}

/* Map mult's MSB flags to ext.h's, adding the flip for signed operands. */
static unsigned
msb_kind(unsigned flags, unsigned is_signed)
{
    unsigned f = (flags & SR_MULT_MSB_PUBLIC)   ? SR_MSB_PUBLIC
                 : (flags & SR_MULT_MSB_SHARED) ? SR_MSB_SHARED
                                                : SR_MSB_NONE;
    return (f != SR_MSB_NONE && is_signed) ? f | SR_MSB_FLIP : f;
}

/*
 * out = msb, complemented when kind has SR_MSB_FLIP (the MSB of x' =
 * x + 2^(m-1) is NOT MSB(x)): public bits flip on both sides, shared bits
 * on Alice's.
 */
static void
msb_flip(const sr_lane *L, uint8_t *out, const uint8_t *msb, size_t n,
         unsigned kind)
{
    uint8_t f = (kind & SR_MSB_FLIP) &&
                ((kind & ~SR_MSB_FLIP) == SR_MSB_PUBLIC || L->role == SR_ALICE);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((msb[i] ^ f) & 1);
}

/*
 * The shared-shared product, see the algebra in mult.h.  Scratch: x', y'
 * (offset operands), wraps, cross terms, mux outputs.
 */
static int
mult_core(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
          const uint64_t *y, const uint8_t *msbx, const uint8_t *msby,
          unsigned m, unsigned nb, unsigned bw, unsigned flags)
{
    const unsigned sx = flags & SR_MULT_SIGNED_A ? 1 : 0;
    const unsigned sy = flags & SR_MULT_SIGNED_B ? 1 : 0;
    const unsigned kx = msb_kind(flags, sx), ky = msb_kind(flags, sy);
    const uint64_t mb = sr_mask(bw);
    /* [x'; y'], [w_x; w_y], [MSB x; MSB y], [V_y; V_x], [t1; t2] */
    uint64_t *p = sr_scratch_u64(L, 2 * n);
    uint8_t *w = sr_scratch_u8(L, 2 * n);
    uint8_t *ms = sr_scratch_u8(L, 2 * n);
    uint64_t *v = sr_scratch_u64(L, 2 * n);
    uint64_t *t = sr_scratch_u64(L, 2 * n);
    uint64_t *c = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (p == NULL || w == NULL || ms == NULL || v == NULL || t == NULL ||
        c == NULL)
        goto out;
    uint64_t *xp = p, *yp = p + n;

    /* 1. Unsigned offsets x' = x + 2^(m-1), y' = y + 2^(n-1) (Alice). */
    sr_share_add_const(L, n, xp, x, sx ? pow2(m - 1) : 0, m);
    sr_share_add_const(L, n, yp, y, sy ? pow2(nb - 1) : 0, nb);

    /* 2. Wraps of the shares of x' and y' (one call when m = n).  Known
     *    MSBs are copied with the signed offset's flip applied here. */
    const unsigned kind = kx & ~SR_MSB_FLIP;
    if (msbx != NULL) {
        msb_flip(L, ms, msbx, n, kx);
        msb_flip(L, ms + n, msby, n, ky);
    }
    if (m == nb) {
        rc = sr_ext_wrap(L, 2 * n, w, p, msbx ? ms : NULL, m, kind);
    } else {
        rc = sr_ext_wrap(L, n, w, xp, msbx ? ms : NULL, m, kind);
        if (rc == SR_OK)
            rc = sr_ext_wrap(L, n, w + n, yp, msbx ? ms + n : NULL, nb, kind);
    }
    if (rc != SR_OK)
        goto out;

    /* 3. Cross terms x'_A y'_B + x'_B y'_A; the narrower side's bits. */
    const uint64_t *bits = m <= nb ? xp : yp, *vals = m <= nb ? yp : xp;
    rc = sr_cross_pair(L, n, 1, c, bits, vals, umin(m, nb), bw);
    if (rc != SR_OK)
        goto out;

    /* 4. t1 = w_x (Y' - sy 2^(n-1)) mod 2^(bw-m), t2 = w_y (X' - ...)
     *    mod 2^(bw-n) (one MUX call when m = n). */
    memset(t, 0, 2 * n * sizeof *t);
    sr_share_add_const(L, n, v, yp, (uint64_t)0 - (sy ? pow2(nb - 1) : 0), 64);
    sr_share_add_const(L, n, v + n, xp, (uint64_t)0 - (sx ? pow2(m - 1) : 0),
                       64);
    for (size_t i = 0; i < n; i++) {
        v[i] &= sr_mask(bw > m ? bw - m : 0);
        v[n + i] &= sr_mask(bw > nb ? bw - nb : 0);
    }
    if (m == nb && bw > m) {
        rc = sr_mux(L, 2 * n, t, w, v, bw - m);
    } else {
        if (bw > m)
            rc = sr_mux(L, n, t, w, v, bw - m);
        if (rc == SR_OK && bw > nb)
            rc = sr_mux(L, n, t + n, w + n, v + n, bw - nb);
    }
    if (rc != SR_OK)
        goto out;

    /* 5. Local terms. */
    const uint64_t cy = sy ? pow2(nb - 1) : 0, cx = sx ? pow2(m - 1) : 0;
    for (size_t i = 0; i < n; i++)
        z[i] = (xp[i] * yp[i] + c[i] - (t[i] << (m & 63)) * (bw > m) -
                (t[n + i] << (nb & 63)) * (bw > nb) - cy * xp[i] - cx * yp[i]) &
               mb;
    sr_share_add_const(L, n, z, z, (sx && sy) ? pow2(m + nb - 2) : 0, bw);
out:
    sr_scratch_release(L, c);
    sr_scratch_release(L, t);
    sr_scratch_release(L, v);
    sr_scratch_release(L, ms);
    sr_scratch_release(L, w);
    sr_scratch_release(L, p);
    return rc;
}

/* see mult.h */
int
sr_mult(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x, const uint64_t *y,
        unsigned m, unsigned nb, unsigned bw, unsigned flags)
{
    SR_REQUIRE(m >= 1 && m <= 64 && nb >= 1 && nb <= 64);
    SR_REQUIRE(bw >= 1 && bw <= 64 && bw <= m + nb);
    SR_REQUIRE((flags & ~SR_MULT_SIGNED) == 0);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL && y != NULL));
    if (n == 0)
        return SR_OK;
    return mult_core(L, n, z, x, y, NULL, NULL, m, nb, bw, flags);
}

/* see mult.h */
int
sr_mult_msb(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
            const uint64_t *y, const uint8_t *msbx, const uint8_t *msby,
            unsigned m, unsigned nb, unsigned bw, unsigned flags)
{
    const unsigned kinds = flags & (SR_MULT_MSB_PUBLIC | SR_MULT_MSB_SHARED);
    SR_REQUIRE(m >= 1 && m <= 64 && nb >= 1 && nb <= 64);
    SR_REQUIRE(bw >= 1 && bw <= 64 && bw <= m + nb);
    SR_REQUIRE(kinds == SR_MULT_MSB_PUBLIC || kinds == SR_MULT_MSB_SHARED);
    SR_REQUIRE((flags & ~(SR_MULT_SIGNED | kinds)) == 0);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL && y != NULL && msbx != NULL &&
                          msby != NULL));
    if (n == 0)
        return SR_OK;
    return mult_core(L, n, z, x, y, msbx, msby, m, nb, bw, flags);
}

/* see mult.h */
int
sr_mult_tr(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
           const uint64_t *y, unsigned m, unsigned nb, unsigned bw, unsigned s,
           unsigned flags)
{
    SR_REQUIRE(s < bw);
    SR_REQUIRE(n == 0 || z != NULL);
    uint64_t *t = sr_scratch_u64(L, n);
    if (t == NULL)
        return SR_ENOMEM;
    int rc = sr_mult(L, n, t, x, y, m, nb, bw, flags);
    if (rc == SR_OK)
        rc = sr_trunc_reduce(L, n, z, t, bw, s);
    sr_scratch_release(L, t);
    return rc;
}

/* see mult.h */
int
sr_mult_tr_msb(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
               const uint64_t *y, const uint8_t *msbx, const uint8_t *msby,
               unsigned m, unsigned nb, unsigned bw, unsigned s, unsigned flags)
{
    SR_REQUIRE(s < bw);
    SR_REQUIRE(n == 0 || z != NULL);
    uint64_t *t = sr_scratch_u64(L, n);
    if (t == NULL)
        return SR_ENOMEM;
    int rc = sr_mult_msb(L, n, t, x, y, msbx, msby, m, nb, bw, flags);
    if (rc == SR_OK)
        rc = sr_trunc_reduce(L, n, z, t, bw, s);
    sr_scratch_release(L, t);
    return rc;
}

/*
 * Owner of w: COT sender for both cross terms.  ws = w sign- or
 * zero-extended to 64 bits (so mod 2^bw it is the integer w).
 */
static int
known_owner(sr_lane *L, size_t n, uint64_t *z, const uint64_t *w,
            const uint64_t *xp, const uint8_t *wx, unsigned mw, unsigned nx,
            unsigned bw, unsigned flags)
{
    const unsigned sw = flags & SR_MULT_SIGNED_A ? 1 : 0;
    const unsigned sx = flags & SR_MULT_SIGNED_B ? 1 : 0;
    uint64_t *ws = sr_scratch_u64(L, n);
    uint64_t *c = sr_scratch_u64(L, n);
    uint64_t *d = sr_scratch_u64(L, n);
    uint64_t *t = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (ws == NULL || c == NULL || d == NULL || t == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = w[i] & sr_mask(mw);
        if (sw && mw < 64 && (v >> (mw - 1)))
            v |= ~sr_mask(mw);
        ws[i] = v;
    }
    /* 1. Cross term w * x'_peer: the peer's nx bits choose. */
    rc = sr_cross_send(L, n, 1, c, ws, nx, bw);
    /* 2. w * wrap: w w_own + w_peer * w (1 - 2 w_own), over bw - nx. */
    memset(t, 0, n * sizeof *t);
    if (rc == SR_OK && bw > nx) {
        for (size_t i = 0; i < n; i++)
            d[i] = wx[i] ? (uint64_t)0 - ws[i] : ws[i];
        rc = sr_cross_send(L, n, 1, t, d, 1, bw - nx);
        for (size_t i = 0; i < n; i++)
            t[i] += wx[i] ? ws[i] : 0;
    }
    if (rc == SR_OK)
        for (size_t i = 0; i < n; i++)
            z[i] = (ws[i] * xp[i] + c[i] - (bw > nx ? t[i] << nx : 0) -
                    (sx ? ws[i] << (nx - 1) : 0)) &
                   sr_mask(bw);
out:
    sr_scratch_release(L, t);
    sr_scratch_release(L, d);
    sr_scratch_release(L, c);
    sr_scratch_release(L, ws);
    return rc;
}

/* The peer of the owner: COT receiver with its share bits and wrap bit. */
static int
known_peer(sr_lane *L, size_t n, uint64_t *z, const uint64_t *xp,
           const uint8_t *wx, unsigned nx, unsigned bw)
{
    uint64_t *c = sr_scratch_u64(L, n);
    uint64_t *b = sr_scratch_u64(L, n);
    uint64_t *t = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (c == NULL || b == NULL || t == NULL)
        goto out;
    rc = sr_cross_recv(L, n, 1, c, xp, nx, bw);
    memset(t, 0, n * sizeof *t);
    if (rc == SR_OK && bw > nx) {
        for (size_t i = 0; i < n; i++)
            b[i] = wx[i];
        rc = sr_cross_recv(L, n, 1, t, b, 1, bw - nx);
    }
    if (rc == SR_OK)
        for (size_t i = 0; i < n; i++)
            z[i] = (c[i] - (bw > nx ? t[i] << nx : 0)) & sr_mask(bw);
out:
    sr_scratch_release(L, t);
    sr_scratch_release(L, b);
    sr_scratch_release(L, c);
    return rc;
}

/* see mult.h */
int
sr_mult_known(sr_lane *L, size_t n, uint64_t *z, const uint64_t *w,
              const uint64_t *x, const uint8_t *msbx, unsigned mw, unsigned nx,
              unsigned bw, unsigned flags)
{
    const unsigned own = flags & (SR_KNOWN_BY_SERVER | SR_KNOWN_BY_CLIENT);
    const unsigned kinds = flags & (SR_MULT_MSB_PUBLIC | SR_MULT_MSB_SHARED);
    SR_REQUIRE(mw >= 1 && mw <= 64 && nx >= 1 && nx <= 64);
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(own == SR_KNOWN_BY_SERVER || own == SR_KNOWN_BY_CLIENT);
    SR_REQUIRE(kinds != (SR_MULT_MSB_PUBLIC | SR_MULT_MSB_SHARED));
    SR_REQUIRE((flags & ~(SR_MULT_SIGNED | own | kinds)) == 0);
    const int here = sr_known_here(L, flags);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL && (!here || w != NULL)));
    SR_REQUIRE(n == 0 || kinds == 0 || msbx != NULL);
    if (n == 0)
        return SR_OK;

    const unsigned sx = flags & SR_MULT_SIGNED_B ? 1 : 0;
    uint64_t *xp = sr_scratch_u64(L, n);
    uint8_t *wx = sr_scratch_u8(L, n);
    int rc = SR_ENOMEM;
    if (xp == NULL || wx == NULL)
        goto out;
    sr_share_add_const(L, n, xp, x, sx ? pow2(nx - 1) : 0, nx);
    rc = sr_ext_wrap(L, n, wx, xp, msbx, nx, msb_kind(flags, sx));
    if (rc != SR_OK)
        goto out;
    if (here)
        rc = known_owner(L, n, z, w, xp, wx, mw, nx, bw, flags);
    else
        rc = known_peer(L, n, z, xp, wx, nx, bw);
out:
    sr_scratch_release(L, wx);
    sr_scratch_release(L, xp);
    return rc;
}
