/*
 * protocols/b2a.c -- boolean to arithmetic shares with one COT
 * (SIRNN Sec. III "B2A").
 */
#include "protocols/b2a.h"

#include "protocols/ot.h"

/*
 * b = bA + bB - 2 bA bB.  Alice is COT sender with correlation -2 bA:
 * she gets a random m0 and Bob gets m0 + bB (-2 bA); Alice keeps bA - m0,
 * Bob bB + what he got.
 */
static int
b2a_alice(sr_lane *L, size_t n, uint64_t *y, const uint8_t *b, unsigned bw)
{
    const uint64_t mk = sr_mask(bw);
    uint64_t *delta = sr_scratch_u64(L, 2 * n);
    if (delta == NULL)
        return SR_ENOMEM;
    uint64_t *m0 = delta + n;
    for (size_t i = 0; i < n; i++)
        delta[i] = (0 - 2 * (uint64_t)(b[i] & 1)) & mk;
    /* B -> A: COT columns; A -> B: n x bw bits corrections */
    int rc = sr_cot_send(L, n, m0, delta, bw);
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        y[i] = ((uint64_t)(b[i] & 1) - m0[i]) & mk;
    sr_scratch_release(L, delta);
    return rc;
}

static int
b2a_bob(sr_lane *L, size_t n, uint64_t *y, const uint8_t *b, unsigned bw)
{
    const uint64_t mk = sr_mask(bw);
    uint8_t *ch = sr_scratch_u8(L, n);
    if (ch == NULL)
        return SR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ch[i] = b[i] & 1;
    /* B -> A: COT columns; A -> B: n x bw bits corrections */
    int rc = sr_cot_recv(L, n, y, ch, bw);
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        y[i] = (y[i] + ch[i]) & mk;
    sr_scratch_release(L, ch);
    return rc;
}

/* see b2a.h */
int
sr_b2a(sr_lane *L, size_t n, uint64_t *y, const uint8_t *b, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && b != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    if (bw == 1) {
        /* mod 2, b = bA + bB: the boolean share is the arithmetic one. */
        for (size_t i = 0; i < n; i++)
            y[i] = b[i] & 1;
        return sr_chan_error(&L->chan);
    }
    /* One COT call for the whole batch (rounds constant in n; scratch
     * 16 bytes per instance on Alice, 1 on Bob). */
    int rc = L->role == SR_ALICE ? b2a_alice(L, n, y, b, bw)
                                 : b2a_bob(L, n, y, b, bw);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}
