/*
 * protocols/share.c -- local share arithmetic, open, reveal, split; the
 * bit-packing helpers of internal.h.
 */
#include "protocols/share.h"

#include "protocols/internal.h"

/* see share.h */
void
sr_share_add_const(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                   uint64_t c, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    const uint64_t mk = sr_mask(bw);
    const uint64_t add = L->role == SR_ALICE ? c : 0;
    for (size_t i = 0; i < n; i++)
        y[i] = (x[i] + add) & mk;
}

/* see share.h */
void
sr_share_add_pub(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                 const uint64_t *c, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL && c != NULL));
    const uint64_t mk = sr_mask(bw);
    const uint64_t on = L->role == SR_ALICE ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < n; i++)
        y[i] = (x[i] + (c[i] & on)) & mk;
}

/* see share.h */
void
sr_share_add(size_t n, uint64_t *z, const uint64_t *x, const uint64_t *y,
             unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL && y != NULL));
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        z[i] = (x[i] + y[i]) & mk;
}

/* see share.h */
void
sr_share_sub(size_t n, uint64_t *z, const uint64_t *x, const uint64_t *y,
             unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL && y != NULL));
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        z[i] = (x[i] - y[i]) & mk;
}

/* see share.h */
void
sr_share_neg(size_t n, uint64_t *y, const uint64_t *x, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        y[i] = (0 - x[i]) & mk;
}

/* see share.h */
void
sr_share_mul_const(size_t n, uint64_t *y, const uint64_t *x, uint64_t c,
                   unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && x != NULL));
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        y[i] = (x[i] * c) & mk;
}

/* see share.h */
void
sr_bits_xor_const(sr_lane *L, size_t n, uint8_t *y, const uint8_t *b, uint8_t c)
{
    SR_REQUIRE(n == 0 || (y != NULL && b != NULL));
    const uint8_t f = L->role == SR_ALICE ? (uint8_t)(c & 1) : 0;
    for (size_t i = 0; i < n; i++)
        y[i] = (uint8_t)((b[i] ^ f) & 1);
}

/* see internal.h */
void
sr_bits_pack(uint8_t *out, const uint8_t *b, size_t n)
{
    size_t full = n / 8;
    for (size_t k = 0; k < full; k++) {
        const uint8_t *p = b + 8 * k;
        out[k] = (uint8_t)((p[0] & 1) | (p[1] & 1) << 1 | (p[2] & 1) << 2 |
                           (p[3] & 1) << 3 | (p[4] & 1) << 4 | (p[5] & 1) << 5 |
                           (p[6] & 1) << 6 | (p[7] & 1) << 7);
    }
    if (n % 8) {
        uint8_t v = 0;
        for (size_t i = 8 * full; i < n; i++)
            v |= (uint8_t)((b[i] & 1) << (i % 8));
        out[full] = v;
    }
}

/* see internal.h */
void
sr_bits_unpack(uint8_t *b, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)((in[i / 8] >> (i % 8)) & 1);
}

/* see share.h */
int
sr_share_open(sr_lane *L, size_t n, uint64_t *out, const uint64_t *x,
              unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (out != NULL && x != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    const size_t nb = sr_packed_bytes(n, bw);
    uint8_t *buf = sr_scratch_u8(L, 2 * nb);
    if (buf == NULL)
        return SR_ENOMEM;
    sr_pack(buf, x, n, bw);
    /* A <-> B: n x bw bits each way */
    sr_chan_exchange(&L->chan, buf + nb, nb, buf, nb);
    const uint64_t mk = sr_mask(bw);
    uint64_t *peer = sr_scratch_u64(L, n);
    if (peer == NULL) {
        sr_scratch_release(L, buf);
        return SR_ENOMEM;
    }
    sr_unpack(peer, buf + nb, n, bw);
    for (size_t i = 0; i < n; i++)
        out[i] = (x[i] + peer[i]) & mk;
    sr_scratch_release(L, peer);
    sr_scratch_release(L, buf);
    return sr_chan_error(&L->chan);
}

/*
 * Reveal: the sending party packs its shares; the receiving party adds
 * them to its own.  One dispatch on "am I the receiver".
 */
static void
reveal_send(sr_lane *L, size_t n, const uint64_t *x, unsigned bw)
{
    /* other -> to_party: n x bw bits */
    sr_chan_send_packed(&L->chan, x, n, bw);
    sr_chan_flush(&L->chan);
}

static int
reveal_recv(sr_lane *L, size_t n, uint64_t *out, const uint64_t *x, unsigned bw)
{
    uint64_t *peer = sr_scratch_u64(L, n);
    if (peer == NULL)
        return SR_ENOMEM;
    /* other -> to_party: n x bw bits */
    sr_chan_recv_packed(&L->chan, peer, n, bw);
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        out[i] = (x[i] + peer[i]) & mk;
    sr_scratch_release(L, peer);
    return SR_OK;
}

/* see share.h */
int
sr_share_reveal(sr_lane *L, size_t n, uint64_t *out, const uint64_t *x,
                unsigned bw, sr_partyid to_party)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(to_party == SR_SERVER || to_party == SR_CLIENT);
    const int me = L->party == to_party;
    SR_REQUIRE(n == 0 || (x != NULL && (!me || out != NULL)));
    if (n == 0)
        return sr_chan_error(&L->chan);
    int rc = SR_OK;
    if (me)
        rc = reveal_recv(L, n, out, x, bw);
    else
        reveal_send(L, n, x, bw);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}

/* see share.h */
int
sr_bits_open(sr_lane *L, size_t n, uint8_t *out, const uint8_t *b)
{
    SR_REQUIRE(n == 0 || (out != NULL && b != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    const size_t nb = sr_ceil_div(n, 8);
    uint8_t *buf = sr_scratch_u8(L, 2 * nb);
    if (buf == NULL)
        return SR_ENOMEM;
    sr_bits_pack(buf, b, n);
    /* A <-> B: n bits each way */
    sr_chan_exchange(&L->chan, buf + nb, nb, buf, nb);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((b[i] ^ (buf[nb + i / 8] >> (i % 8))) & 1);
    sr_scratch_release(L, buf);
    return sr_chan_error(&L->chan);
}

/* see share.h */
void
sr_share_split(sr_prg *prg, size_t n, uint64_t *a, uint64_t *b,
               const uint64_t *x, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (a != NULL && b != NULL && x != NULL));
    if (n == 0)
        return;
    sr_prg_u64(prg, a, n, bw);
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        b[i] = (x[i] - a[i]) & mk;
}

/* see share.h */
void
sr_bits_split(sr_prg *prg, size_t n, uint8_t *a, uint8_t *b, const uint8_t *x)
{
    SR_REQUIRE(n == 0 || (a != NULL && b != NULL && x != NULL));
    if (n == 0)
        return;
    sr_prg_bits(prg, a, n);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)((x[i] ^ a[i]) & 1);
}
