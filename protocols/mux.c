/*
 * protocols/mux.c -- multiplexer with one COT in each direction
 * (SIRNN Sec. III "Multiplexer", the 2(lambda + l) variant).
 */
#include "protocols/mux.h"

#include "protocols/ot.h"

/*
 * With s = sA XOR sB = sA + sB (1 - 2 sA):
 *   s xA = sA xA + sB (1 - 2 sA) xA.
 * Alice is COT sender with correlation (1 - 2 sA) xA: she gets m0, Bob
 * (choice sB) gets m0 + sB (1 - 2 sA) xA; Alice keeps sA xA - m0.  The
 * same with the roles swapped gives s xB.  Each party's output share is
 * its own term plus what it received as COT receiver.
 */
static void
mux_delta(size_t n, uint64_t *delta, uint64_t *own, const uint8_t *sel,
          const uint64_t *x, uint64_t mk)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t s = sel[i] & 1;
        delta[i] = (s ? 0 - x[i] : x[i]) & mk; /* (1 - 2s) x */
        own[i] = (s ? x[i] : 0) & mk;          /* s x */
    }
}

static int
mux_alice(sr_lane *L, size_t n, uint64_t *y, const uint8_t *sel,
          const uint64_t *x, unsigned bw, uint64_t *t, uint8_t *ch)
{
    const uint64_t mk = sr_mask(bw);
    uint64_t *delta = t, *own = t + n, *m0 = t + 2 * n, *got = t + 3 * n;
    mux_delta(n, delta, own, sel, x, mk);
    for (size_t i = 0; i < n; i++)
        ch[i] = sel[i] & 1;
    /* 1. B -> A: COT columns; A -> B: n x bw bits (Alice sends) */
    int rc = sr_cot_send(L, n, m0, delta, bw);
    /* 2. A -> B: COT columns; B -> A: n x bw bits (Bob sends) */
    if (rc == SR_OK)
        rc = sr_cot_recv(L, n, got, ch, bw);
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        y[i] = (own[i] - m0[i] + got[i]) & mk;
    return rc;
}

static int
mux_bob(sr_lane *L, size_t n, uint64_t *y, const uint8_t *sel,
        const uint64_t *x, unsigned bw, uint64_t *t, uint8_t *ch)
{
    const uint64_t mk = sr_mask(bw);
    uint64_t *delta = t, *own = t + n, *m0 = t + 2 * n, *got = t + 3 * n;
    mux_delta(n, delta, own, sel, x, mk);
    for (size_t i = 0; i < n; i++)
        ch[i] = sel[i] & 1;
    /* 1. B -> A: COT columns; A -> B: n x bw bits (Alice sends) */
    int rc = sr_cot_recv(L, n, got, ch, bw);
    /* 2. A -> B: COT columns; B -> A: n x bw bits (Bob sends) */
    if (rc == SR_OK)
        rc = sr_cot_send(L, n, m0, delta, bw);
    for (size_t i = 0; rc == SR_OK && i < n; i++)
        y[i] = (own[i] - m0[i] + got[i]) & mk;
    return rc;
}

/* see mux.h */
int
sr_mux(sr_lane *L, size_t n, uint64_t *y, const uint8_t *sel, const uint64_t *x,
       unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    SR_REQUIRE(n == 0 || (y != NULL && sel != NULL && x != NULL));
    if (n == 0)
        return sr_chan_error(&L->chan);
    /* The whole batch in one pair of COT calls (rounds constant in n;
     * scratch 33 bytes per instance). */
    const size_t cap = n;
    uint64_t *t = sr_scratch_u64(L, 4 * cap);
    uint8_t *ch = sr_scratch_u8(L, cap);
    if (t == NULL || ch == NULL) {
        sr_scratch_release(L, ch);
        sr_scratch_release(L, t);
        return SR_ENOMEM;
    }
    int rc = SR_OK;
    for (size_t off = 0; off < n && rc == SR_OK; off += cap) {
        size_t k = n - off < cap ? n - off : cap;
        rc = L->role == SR_ALICE
                 ? mux_alice(L, k, y + off, sel + off, x + off, bw, t, ch)
                 : mux_bob(L, k, y + off, sel + off, x + off, bw, t, ch);
    }
    sr_scratch_release(L, ch);
    sr_scratch_release(L, t);
    return rc != SR_OK ? rc : sr_chan_error(&L->chan);
}
