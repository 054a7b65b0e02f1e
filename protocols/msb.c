/*
 * protocols/msb.c -- what SIRNN builds on the millionaires' comparison of
 * protocols/mill.c: wrap, MSB, DReLU, ReLU, and MSB-to-Wrap (App. C,
 * Sec. IV-E).  Declared in protocols/mill.h.
 */
#include "protocols/mill.h"

#include "protocols/internal.h"
#include "protocols/mux.h"
#include "protocols/ot.h"
#include "protocols/share.h"

/* see mill.h */
int
sr_wrap(sr_lane *L, size_t n, uint8_t *w, const uint64_t *x, unsigned bw)
{
    SR_REQUIRE(bw <= 64);
    SR_REQUIRE(n == 0 || (w != NULL && x != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    /* xA + xB >= 2^bw  <=>  xA > 2^bw - 1 - xB (bw = 0: no wrap). */
    const uint64_t mk = sr_mask(bw);
    uint64_t *in = sr_scratch_u64(L, n);
    if (in == NULL)
        return SR_ENOMEM;
    const uint64_t flip = L->role == SR_ALICE ? 0 : mk;
    for (size_t i = 0; i < n; i++)
        in[i] = (x[i] ^ flip) & mk;
    int rc = sr_mill(L, n, w, in, bw, SR_MILL_GT);
    sr_scratch_release(L, in);
    return rc;
}

/* see mill.h */
int
sr_msb(sr_lane *L, size_t n, uint8_t *msb, const uint64_t *x, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (msb != NULL && x != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    int rc = SR_OK;
    if (bw == 1) {
        for (size_t i = 0; i < n; i++)
            msb[i] = (uint8_t)(x[i] & 1);
        return sr_chan_error(&L->chan);
    }
    /* msb(x) = msb(xA) ^ msb(xB) ^ carry out of the low bw - 1 bits. */
    rc = sr_wrap(L, n, msb, x, bw - 1);
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        msb[i] = (uint8_t)(msb[i] ^ ((x[i] >> (bw - 1)) & 1));
    return rc;
}

/* see mill.h */
int
sr_drelu(sr_lane *L, size_t n, uint8_t *d, const uint64_t *x, unsigned bw)
{
    int rc = sr_msb(L, n, d, x, bw);
    if (rc == SR_OK)
        sr_bits_xor_const(L, n, d, d, 1);
    return rc;
}

/* see mill.h */
int
sr_relu(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    uint8_t *d = sr_scratch_u8(L, n);
    if (d == NULL)
        return SR_ENOMEM;
    int rc = sr_drelu(L, n, d, x, bw);
    if (rc == SR_OK)
        rc = sr_mux(L, n, y, d, x, bw);
    sr_scratch_release(L, d);
    return rc;
}

/*
 * MSB-to-Wrap (SIRNN Sec. IV-E).  With a = msb(xA), b = msb(xB) and
 * m = MSB(x), the carry c into bit bw-1 satisfies m = a ^ b ^ c, and
 * wrap = maj(a, b, c), so wrap = (a ^ b) ? !m : a.  Alice offers
 * wrap(a, b, m) ^ r for every value of Bob's unknowns.
 */
static unsigned
wrap_of(unsigned a, unsigned b, unsigned m)
{
    return (a ^ b) ? (m ^ 1u) : a;
}

static int
m2w_alice(sr_lane *L, size_t n, uint8_t *w, const uint64_t *x,
          const uint8_t *msb, unsigned bw, unsigned flags, uint64_t *msg,
          uint8_t *r)
{
    sr_prg_bits(&L->prg, r, n);
    int rc;
    if (flags == SR_MSB_SHARED) {
        /* Bob's choice v = b | mB << 1; m = mA ^ mB. */
        for (size_t i = 0; i < n; i++) {
            unsigned a = (unsigned)(x[i] >> (bw - 1)) & 1, mA = msb[i] & 1;
            for (unsigned v = 0; v < 4; v++)
                msg[4 * i + v] = wrap_of(a, v & 1, mA ^ (v >> 1)) ^ r[i];
        }
        /* B -> A: choice code words; A -> B: n x 4 x 1 bits */
        rc = sr_kkot_send(L, n, msg, 2, 1);
    } else {
        uint64_t *m0 = msg, *m1 = msg + n;
        for (size_t i = 0; i < n; i++) {
            unsigned a = (unsigned)(x[i] >> (bw - 1)) & 1, m = msb[i] & 1;
            m0[i] = wrap_of(a, 0, m) ^ r[i];
            m1[i] = wrap_of(a, 1, m) ^ r[i];
        }
        /* B -> A: OT columns; A -> B: n x 2 x 1 bits */
        rc = sr_ot_send(L, n, m0, m1, 1);
    }
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        w[i] = r[i];
    return rc;
}

static int
m2w_bob(sr_lane *L, size_t n, uint8_t *w, const uint64_t *x, const uint8_t *msb,
        unsigned bw, unsigned flags, uint64_t *out, uint8_t *ch)
{
    int rc;
    if (flags == SR_MSB_SHARED) {
        for (size_t i = 0; i < n; i++)
            ch[i] = (uint8_t)(((x[i] >> (bw - 1)) & 1) | (msb[i] & 1) << 1);
        /* B -> A: choice code words; A -> B: n x 4 x 1 bits */
        rc = sr_kkot_recv(L, n, out, ch, 2, 1);
    } else {
        for (size_t i = 0; i < n; i++)
            ch[i] = (uint8_t)((x[i] >> (bw - 1)) & 1);
        /* B -> A: OT columns; A -> B: n x 2 x 1 bits */
        rc = sr_ot_recv(L, n, out, ch, 1);
    }
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        w[i] = (uint8_t)(out[i] & 1);
    return rc;
}

/* see mill.h */
int
sr_msb_to_wrap(sr_lane *L, size_t n, uint8_t *w, const uint64_t *x,
               const uint8_t *msb, unsigned bw, unsigned flags)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(flags == SR_MSB_SHARED || flags == SR_MSB_PUBLIC);
    SR_REQUIRE(n == 0 || (w != NULL && x != NULL && msb != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    /* One OT call for the whole batch (rounds constant in n): 4 words
     * per instance of scratch. */
    uint64_t *buf = sr_scratch_u64(L, 4 * n);
    uint8_t *tmp = sr_scratch_u8(L, n);
    if (buf == NULL || tmp == NULL) {
        sr_scratch_release(L, tmp);
        sr_scratch_release(L, buf);
        return SR_ENOMEM;
    }
    int rc = L->role == SR_ALICE
                 ? m2w_alice(L, n, w, x, msb, bw, flags, buf, tmp)
                 : m2w_bob(L, n, w, x, msb, bw, flags, buf, tmp);
    sr_scratch_release(L, tmp);
    sr_scratch_release(L, buf);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}
