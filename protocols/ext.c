/*
 * protocols/ext.c -- zero and signed extension (SIRNN Algorithm 1).
 *
 * Over the integers x_A + x_B = x + 2^m * w with w = wrap(x_A, x_B, 2^m),
 * so x = x_A + x_B - 2^m * w exactly, and reducing that mod 2^bw gives
 * shares of the zero-extended value.  Only w needs a protocol: boolean
 * shares from a millionaires' (or MSB-to-wrap), then arithmetic shares of
 * w over the bw - m bits that survive the factor 2^m.
 */
#include "protocols/ext.h"

#include <string.h>

#include "protocols/b2a.h"
#include "protocols/mill.h"
#include "protocols/share.h"

/* see ext.h */
int
sr_ext_wrap(sr_lane *L, size_t n, uint8_t *w, const uint64_t *x,
            const uint8_t *msb, unsigned m, unsigned flags)
{
    unsigned kind = flags & ~SR_MSB_FLIP;

    SR_REQUIRE(m >= 1 && m <= 64);
    SR_REQUIRE(sr_msb_flags_ok(kind));
    SR_REQUIRE(n == 0 || (w != NULL && x != NULL));
    SR_REQUIRE(kind == SR_MSB_NONE || n == 0 || msb != NULL);
    if (n == 0)
        return SR_OK;
    if (kind == SR_MSB_NONE)
        return sr_wrap(L, n, w, x, m);
    if (!(flags & SR_MSB_FLIP))
        return sr_msb_to_wrap(L, n, w, x, msb, m, kind);

    /* A public bit flips on both sides; a shared one on Alice's only. */
    uint8_t *f = sr_scratch_u8(L, n);
    if (f == NULL)
        return SR_ENOMEM;
    uint8_t t = (kind == SR_MSB_PUBLIC || L->role == SR_ALICE) ? 1 : 0;
    for (size_t i = 0; i < n; i++)
        f[i] = (uint8_t)((msb[i] ^ t) & 1);
    int rc = sr_msb_to_wrap(L, n, w, x, f, m, kind);
    sr_scratch_release(L, f);
    return rc;
}

/*
 * y = x - 2^m * B2A(w) mod 2^bw.  Both roles run the same steps (the
 * wrap and B2A sub-protocols do their own role dispatch), so there is no
 * _alice/_bob split here.
 */
static int
ext_zero(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
         const uint8_t *msb, unsigned m, unsigned bw, unsigned flags)
{
    const uint64_t mb = sr_mask(bw), mm = sr_mask(m);

    if (bw == m) {
        if (y != x)
            memmove(y, x, n * sizeof *y);
        return SR_OK;
    }
    uint8_t *w = sr_scratch_u8(L, n);
    uint64_t *a = sr_scratch_u64(L, n);
    int rc = SR_ENOMEM;
    if (w == NULL || a == NULL)
        goto out;
    rc = sr_ext_wrap(L, n, w, x, msb, m, flags);
    if (rc != SR_OK)
        goto out;
    rc = sr_b2a(L, n, a, w, bw - m); /* a = w over bw - m bits */
    if (rc != SR_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        y[i] = ((x[i] & mm) - (a[i] << m)) & mb;
out:
    sr_scratch_release(L, a);
    sr_scratch_release(L, w);
    return rc;
}

/* see ext.h */
int
sr_ext_zero(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
            const uint8_t *msb, unsigned m, unsigned bw, unsigned flags)
{
    SR_REQUIRE(m >= 1 && m <= bw && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    SR_REQUIRE(sr_msb_flags_ok(flags));
    SR_REQUIRE(flags == SR_MSB_NONE || n == 0 || msb != NULL);
    if (n == 0)
        return SR_OK;
    return ext_zero(L, n, y, x, msb, m, bw, flags);
}

/* see ext.h */
int
sr_ext_signed(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
              const uint8_t *msb, unsigned m, unsigned bw, unsigned flags)
{
    SR_REQUIRE(m >= 1 && m <= bw && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    SR_REQUIRE(sr_msb_flags_ok(flags));
    SR_REQUIRE(flags == SR_MSB_NONE || n == 0 || msb != NULL);
    if (n == 0)
        return SR_OK;
    if (bw == m) {
        if (y != x)
            memmove(y, x, n * sizeof *y);
        return SR_OK;
    }
    /* x' = x + 2^(m-1) is unsigned with MSB(x') = not MSB(x). */
    uint64_t *t = sr_scratch_u64(L, n);
    if (t == NULL)
        return SR_ENOMEM;
    const uint64_t h = (uint64_t)1 << (m - 1);
    sr_share_add_const(L, n, t, x, h, m);
    unsigned f = flags == SR_MSB_NONE ? flags : flags | SR_MSB_FLIP;
    int rc = ext_zero(L, n, y, t, msb, m, bw, f);
    if (rc == SR_OK)
        sr_share_add_const(L, n, y, y, (uint64_t)0 - h, bw);
    sr_scratch_release(L, t);
    return rc;
}
