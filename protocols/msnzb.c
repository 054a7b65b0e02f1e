/*
 * protocols/msnzb.c -- one-hot MSNZB (SIRNN Appendix F, Algorithm 7).
 */
#include "protocols/msnzb.h"

#include <string.h>

#include "protocols/and.h"
#include "protocols/digdec.h"
#include "protocols/internal.h"
#include "protocols/mill.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "protocols/ot_stream.h"
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
 * Step 2 on a run of k rows of one digit width dw: u over delta bits
 * (arithmetic; all zero when delta = 0), v zero flags (XOR).  Alice, the
 * sender, keeps (u, v) and offers T[y_A + j] - u, flag ^ v; one OT call
 * for the whole run, rows made chunk by chunk.
 */
struct digit_rows {
    const uint64_t *y, *u;
    const uint8_t *v;
    unsigned dw, delta;
};

static void
digit_rows_fill(void *ctx, size_t i0, size_t k, uint64_t *msg)
{
    const struct digit_rows *q = ctx;
    const size_t N = (size_t)1 << q->dw;
    for (size_t j = 0; j < k; j++)
        for (size_t t = 0; t < N; t++) {
            uint64_t e = digit_entry((q->y[i0 + j] + t) & sr_mask(q->dw));
            uint64_t a = ((e >> 1) - q->u[i0 + j]) & sr_mask(q->delta);
            msg[j * N + t] = (a << 1) | ((e & 1) ^ q->v[i0 + j]);
        }
}

static int
digit_run(sr_lane *L, size_t k, uint64_t *u, uint8_t *v, const uint64_t *y,
          unsigned dw, unsigned delta, uint64_t *out, uint8_t *ch)
{
    int rc;
    if (L->role == SR_ALICE) {
        if (delta > 0)
            sr_prg_u64(&L->prg, u, k, delta);
        else
            memset(u, 0, k * sizeof *u);
        sr_prg_bits(&L->prg, v, k);
        struct digit_rows q = {y, u, v, dw, delta};
        /* B -> A: code words, A -> B: k x 2^dw x (delta+1) bits */
        return sr_kkot_send_cb(L, k, digit_rows_fill, &q, dw, delta + 1);
    }
    /* Bob, the receiver, chooses his digit share y_B. */
    for (size_t j = 0; j < k; j++)
        ch[j] = (uint8_t)y[j];
    /* B -> A: code words, A -> B: k x 2^dw x (delta+1) bits */
    rc = sr_kkot_recv(L, k, out, ch, dw, delta + 1);
    for (size_t j = 0; rc == SR_OK && j < k; j++) {
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

struct onehot_rows {
    const onehot_fmt *f;
    const uint64_t *t, *g, *R;
};

static void
onehot_rows_fill(void *ctx, size_t i0, size_t k, uint64_t *msg)
{
    const struct onehot_rows *q = ctx;
    const size_t N = (size_t)1 << (q->f->delta + q->f->gamma);
    for (size_t j = 0; j < k; j++)
        for (size_t r = 0; r < N; r++)
            msg[j * N + r] =
                onehot_row(q->f, q->t[i0 + j], q->g[i0 + j], r) ^ q->R[i0 + j];
}

/* Step 5 on all n elements in one OT call. */
static int
onehot_lut(sr_lane *L, size_t n, uint8_t *z, const uint64_t *t,
           const uint64_t *g, const onehot_fmt *f)
{
    const unsigned M = f->delta + f->gamma, bw = f->bw;
    uint64_t *R = sr_scratch_u64(L, n);
    uint8_t *ch = L->role == SR_ALICE ? NULL : sr_scratch_u8(L, n);
    if (R == NULL || (L->role != SR_ALICE && ch == NULL)) {
        sr_scratch_release(L, ch);
        sr_scratch_release(L, R);
        return SR_ENOMEM;
    }
    int rc;
    if (L->role == SR_ALICE) {
        sr_prg_u64(&L->prg, R, n, bw);
        struct onehot_rows q = {f, t, g, R};
        /* B -> A: code words, A -> B: n x 2^(delta+gamma) x bw bits */
        rc = sr_kkot_send_cb(L, n, onehot_rows_fill, &q, M, bw);
    } else {
        for (size_t j = 0; j < n; j++)
            ch[j] = (uint8_t)(t[j] | g[j] << f->delta);
        /* B -> A: code words, A -> B: n x 2^(delta+gamma) x bw bits */
        rc = sr_kkot_recv(L, n, R, ch, M, bw);
    }
    for (size_t j = 0; rc == SR_OK && j < n; j++)
        for (unsigned b = 0; b < bw; b++)
            z[j * bw + b] = (uint8_t)((R[j] >> b) & 1);
    sr_scratch_release(L, ch);
    sr_scratch_release(L, R);
    return rc;
}

/*
 * Step 2 for all digits: the c - 1 full-width digits and the last one
 * are one OT call when the last digit has the full width, else two.
 */
static int
digit_luts(sr_lane *L, size_t n, uint64_t *u, uint8_t *v, const uint64_t *y,
           unsigned bw, unsigned d, unsigned delta)
{
    const unsigned c = sr_digdec_count(bw, d), dl = bw - (c - 1) * d;
    const size_t cn = (size_t)c * n;
    const size_t nl = dl == d ? cn : (size_t)(c - 1) * n;
    uint64_t *out = L->role == SR_ALICE ? NULL : sr_scratch_u64(L, cn);
    uint8_t *ch = L->role == SR_ALICE ? NULL : sr_scratch_u8(L, cn);
    if (L->role != SR_ALICE && (out == NULL || ch == NULL)) {
        sr_scratch_release(L, ch);
        sr_scratch_release(L, out);
        return SR_ENOMEM;
    }
    int rc = SR_OK;
    if (nl > 0)
        rc = digit_run(L, nl, u, v, y, d, delta, out, ch);
    if (rc == SR_OK && nl < cn)
        rc = digit_run(L, n, u + nl, v + nl, y + nl, dl, delta, out, ch);
    sr_scratch_release(L, ch);
    sr_scratch_release(L, out);
    return rc;
}

/*
 * Step 3 plan: h_i = AND of v_j for j > i, i = 0 .. c-2, as a Sklansky
 * prefix over the reversed list v_(c-1), ..., v_1 (element r is
 * v_(c-1-r); h_i is the prefix ending at r = c-2-i), then one step for
 * sel_i = h_i AND NOT v_i and the zero flag h_0 AND v_0.
 * sr_msnzb_ands(bw, d): ANDs per element; sr_msnzb_and_steps: steps.
 */
static unsigned
suffix_steps(unsigned m)
{
    unsigned s = 0;
    while (((unsigned)1 << s) < m)
        s++;
    return s;
}

static size_t
suffix_ands(unsigned m, unsigned s)
{
    size_t k = 0;
    for (unsigned i = 0; i < m; i++)
        k += i >> s & 1;
    return k;
}

/* see msnzb.h */
size_t
sr_msnzb_ands(unsigned bw, unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= SR_KKOT_MAX_BITS);
    const unsigned c = sr_digdec_count(bw, d);
    if (bw == 1 || c == 1)
        return 0;
    size_t k = c;
    for (unsigned s = 0; s < suffix_steps(c - 1); s++)
        k += suffix_ands(c - 1, s);
    return k;
}

/* see msnzb.h */
unsigned
sr_msnzb_and_steps(unsigned bw, unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= SR_KKOT_MAX_BITS);
    const unsigned c = sr_digdec_count(bw, d);
    return bw == 1 || c == 1 ? 0 : 1 + suffix_steps(c - 1);
}

/* One AND step of k pairs: Beaver with triples (1 round) or sr_and. */
static int
and_step(sr_lane *L, size_t k, uint8_t *z, const uint8_t *x, const uint8_t *y,
         const uint8_t *ta, const uint8_t *tb, const uint8_t *tc)
{
    if (ta != NULL)
        /* A <-> B: e, f bits of the step's k ANDs */
        return sr_and_with_triples(L, k, z, x, y, ta, tb, tc);
    /* B -> A: e, f and code words; A -> B: rows, e, f (sr_and) */
    return sr_and(L, k, z, x, y);
}

/*
 * Step 3 (c >= 2): sel (c n) from the zero flags v (c n) and h (n: the
 * all-zero flag out).  nv (c n) holds NOT v.  Triples ta/tb/tc (NULL:
 * sr_and per step) in step order.  gx, gy, gz, hh: scratch of c n each.
 */
static int
select_digits(sr_lane *L, size_t n, unsigned c, uint8_t *sel, uint8_t *h,
              const uint8_t *v, const uint8_t *nv, uint8_t *hh, uint8_t *gx,
              uint8_t *gy, uint8_t *gz, const uint8_t *ta, const uint8_t *tb,
              const uint8_t *tc)
{
    const unsigned m = c - 1;
    const size_t cn = (size_t)c * n;
    /* hh row r: prefix over v_(c-1) .. v_(c-1-r), r < m */
    for (unsigned r = 0; r < m; r++)
        memcpy(hh + (size_t)r * n, v + (size_t)(c - 1 - r) * n, n);
    size_t off = 0;
    int rc = SR_OK;
    for (unsigned s = 0; s < suffix_steps(m) && rc == SR_OK; s++) {
        size_t k = 0;
        for (unsigned r = 0; r < m; r++)
            if (r >> s & 1) {
                size_t lo = (size_t)((r >> s << s) - 1);
                memcpy(gx + k, hh + (size_t)r * n, n);
                memcpy(gy + k, hh + lo * n, n);
                k += n;
            }
        rc = and_step(L, k, gz, gx, gy, ta ? ta + off : NULL,
                      ta ? tb + off : NULL, ta ? tc + off : NULL);
        off += k;
        k = 0;
        for (unsigned r = 0; rc == SR_OK && r < m; r++)
            if (r >> s & 1) {
                memcpy(hh + (size_t)r * n, gz + k, n);
                k += n;
            }
    }
    if (rc != SR_OK)
        return rc;
    /* h_i = hh row c-2-i.  One batch: sel_i = h_i AND NOT v_i (i < c-1)
     * and the all-zero flag h_0 AND v_0. */
    for (unsigned i = 0; i < m; i++) {
        memcpy(gx + (size_t)i * n, nv + (size_t)i * n, n);
        memcpy(gy + (size_t)i * n, hh + (size_t)(c - 2 - i) * n, n);
    }
    memcpy(gx + (size_t)m * n, v, n);
    memcpy(gy + (size_t)m * n, hh + (size_t)(c - 2) * n, n);
    rc = and_step(L, cn, gz, gx, gy, ta ? ta + off : NULL,
                  ta ? tb + off : NULL, ta ? tc + off : NULL);
    if (rc != SR_OK)
        return rc;
    memcpy(sel, gz, (size_t)m * n);
    memcpy(h, gz + (size_t)m * n, n);
    return SR_OK;
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
    /* Step 3's triples: from DigDec's Mill&Eq call when it has a 1-of-16
     * call (d > 6), else from their own OT when that saves rounds
     * (more than 2 steps), else sr_and per step. */
    const unsigned steps = sr_msnzb_and_steps(bw, d);
    const int dd_tr = c >= 2 && d > SR_MILL_LEAF_MAX;
    const int own_tr = c >= 2 && !dd_tr && steps > 2;
    const size_t tk = dd_tr || own_tr ? sr_msnzb_ands(bw, d) * n : 0;
    uint64_t *y = sr_scratch_u64(L, cn);
    uint64_t *u = sr_scratch_u64(L, cn);
    uint8_t *v = sr_scratch_u8(L, cn);
    uint8_t *sel = sr_scratch_u8(L, cn);
    uint8_t *h = sr_scratch_u8(L, cn);
    uint64_t *t = sr_scratch_u64(L, cn);
    uint64_t *g = sr_scratch_u64(L, n);
    uint8_t *tr = sr_scratch_u8(L, 3 * tk + 4 * cn + 1);
    int rc = SR_ENOMEM;
    if (y == NULL || u == NULL || v == NULL || sel == NULL || h == NULL ||
        t == NULL || g == NULL || tr == NULL)
        goto out;
    uint8_t *ta = tr, *tb = ta + tk, *tc = tb + tk, *hh = tc + tk;
    uint8_t *gx = hh + cn, *gy = gx + cn, *gz = gy + cn;

    /* 1-2. Digits, then per digit its local MSNZB and zero flag. */
    if (dd_tr)
        rc = sr_digdec_triples(L, n, y, x, bw, d, tk, ta, tb, tc);
    else
        rc = sr_digdec(L, n, y, x, bw, d);
    if (rc == SR_OK)
        rc = digit_luts(L, n, u, v, y, bw, d, f.delta);
    if (rc == SR_OK && own_tr)
        rc = sr_triples(L, tk, ta, tb, tc);
    if (rc != SR_OK)
        goto out;

    /* 3. nv = NOT v (Alice flips); h_i = AND of v_j for j > i. */
    sr_bits_xor_const(L, cn, sel, v, 1);
    if (c > 1) {
        /* sel holds NOT v: read before sel is written */
        rc = select_digits(L, n, c, sel, h, v, sel, hh, gx, gy, gz,
                           tk ? ta : NULL, tk ? tb : NULL, tk ? tc : NULL);
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
    rc = onehot_lut(L, n, z, t, g, &f);
    for (size_t j = 0; rc == SR_OK && j < n; j++)
        z[j * bw] ^= h[j];
out:
    sr_scratch_release(L, tr);
    sr_scratch_release(L, g);
    sr_scratch_release(L, t);
    sr_scratch_release(L, h);
    sr_scratch_release(L, sel);
    sr_scratch_release(L, v);
    sr_scratch_release(L, u);
    sr_scratch_release(L, y);
    return rc;
}
