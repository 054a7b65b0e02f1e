/*
 * tests/test_chan.c -- framing, striping, counters, exchange, failures.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/chan.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(120);
}

TestSuite(chan, .init = arm_alarm);

static void
fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

struct xfer_case {
    size_t len;
    unsigned nconn;
    int tcp;
};

/* Alice sends len bytes, Bob checks them and sends them back. */
static int
echo_party(sr_lane *L, void *arg)
{
    struct xfer_case *c = arg;
    uint8_t *want = malloc(c->len + 1), *got = malloc(c->len + 1);
    fill(want, c->len, (uint32_t)c->len);
    int rc = SR_OK;
    if (L->role == SR_ALICE) {
        sr_chan_send(&L->chan, want, c->len);
        sr_chan_recv(&L->chan, got, c->len);
    } else {
        sr_chan_recv(&L->chan, got, c->len);
        sr_chan_send(&L->chan, got, c->len);
    }
    if (sr_chan_error(&L->chan) == SR_OK && memcmp(want, got, c->len) != 0)
        rc = SR_ECHECK;
    free(want);
    free(got);
    return rc;
}

ParameterizedTestParameters(chan, echo_sizes)
{
    static struct xfer_case p[] = {
        /* edges at SR_CHAN_FRAME (16 KiB) and SR_CHAN_STRIPE_MIN (32 KiB) */
        {0, 1, 0},
        {1, 1, 0},
        {SR_CHAN_FRAME - 1, 2, 0},
        {SR_CHAN_FRAME, 2, 0},
        {SR_CHAN_FRAME + 1, 2, 0},
        {SR_CHAN_STRIPE_MIN - 1, 2, 0},
        {SR_CHAN_STRIPE_MIN, 2, 0},
        {SR_CHAN_STRIPE_MIN + 1, 8, 0},
        {SR_CHAN_STRIPE_MIN + 1, 3, 1},
        {65536, 4, 0},
        {3u << 20, 8, 0},
        {5u << 20, 2, 1},
        {8u << 20, 1, 1},
        {3 * SR_CHAN_FRAME + 1, 8, 1},
        {1, 8, 1},
    };
    return cr_make_param_array(struct xfer_case, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct xfer_case *p, chan, echo_sizes)
{
    sr_test_opts o = {.nconn = p->nconn, .tcp = p->tcp};
    cr_assert_eq(sr_test_run(echo_party, p, &o), SR_OK, "len=%zu C=%u", p->len,
                 p->nconn);
    cr_assert_eq(o.st[SR_SERVER].bytes_sent, p->len);
    cr_assert_eq(o.st[SR_CLIENT].bytes_sent, p->len);
    cr_assert_eq(o.st[SR_SERVER].bytes_recv, p->len);
    cr_assert_eq(o.rounds, p->len > 0 ? 2u : 0u);
}

/* Many small sends then one receive: one flight each way. */
static int
rounds_party(sr_lane *L, void *arg)
{
    (void)arg;
    uint8_t b[3] = {1, 2, 3}, r[9];
    if (L->role == SR_ALICE) {
        sr_chan_send(&L->chan, b, 3);
        sr_chan_send(&L->chan, b, 3);
        sr_chan_send(&L->chan, b, 3);
        sr_chan_recv(&L->chan, r, 1);
        sr_chan_send(&L->chan, b, 1);
    } else {
        sr_chan_recv(&L->chan, r, 9);
        sr_chan_send(&L->chan, r, 1);
        sr_chan_recv(&L->chan, r, 1);
    }
    return SR_OK;
}

Test(chan, rounds_count_flights)
{
    sr_test_opts o = {0};
    cr_assert_eq(sr_test_run(rounds_party, NULL, &o), SR_OK);
    cr_assert_eq(o.st[SR_SERVER].rounds, 3);
    cr_assert_eq(o.st[SR_CLIENT].rounds, 3);
    cr_assert_eq(o.st[SR_SERVER].bytes_sent, 10);
    cr_assert_eq(o.st[SR_CLIENT].bytes_sent, 1);
}

/* Both sides swap 16 MB at once: must not deadlock. */
static int
exchange_party(sr_lane *L, void *arg)
{
    size_t len = *(size_t *)arg;
    uint8_t *s = malloc(len), *r = malloc(len), *w = malloc(len);
    fill(s, len, L->role == SR_ALICE ? 1 : 2);
    fill(w, len, L->role == SR_ALICE ? 2 : 1);
    sr_chan_exchange(&L->chan, r, len, s, len);
    int rc = memcmp(r, w, len) == 0 ? SR_OK : SR_ECHECK;
    free(s);
    free(r);
    free(w);
    return rc;
}

Test(chan, exchange_large_no_deadlock)
{
    size_t len = 16u << 20;
    for (unsigned c = 1; c <= 4; c *= 2) {
        sr_test_opts o = {.nconn = c, .tcp = 1};
        cr_assert_eq(sr_test_run(exchange_party, &len, &o), SR_OK);
        cr_assert_eq(o.rounds, 1);
        cr_assert_eq(o.st[SR_SERVER].bytes_sent, len);
    }
}

Test(chan, pack_roundtrip)
{
    /* n across the word groups of small widths (64 / bw values a word)
     * and their tails */
    static const size_t ns[] = {0, 1, 3, 7, 8, 21, 39, 63, 64, 65, 130, 257};
    static uint64_t x[260], y[260];
    static uint8_t buf[260 * 8 + 1];
    for (unsigned bw = 1; bw <= 64; bw++) {
        for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
            const size_t n = ns[t];
            for (size_t i = 0; i < n; i++) /* high bits set: packing masks */
                x[i] = 0x9e3779b97f4a7c15ULL * (i + bw) + (i << 40);
            memset(buf, 0xaa, sizeof buf);
            sr_pack(buf, x, n, bw);
            cr_assert_eq(buf[sr_packed_bytes(n, bw)], 0xaa);
            /* the wire layout: bit j of value i is bit i bw + j of the
             * stream, least significant bit of each byte first */
            for (size_t i = 0; i < n; i++)
                for (unsigned j = 0; j < bw; j++) {
                    size_t at = i * bw + j;
                    cr_assert_eq((buf[at / 8] >> (at % 8)) & 1, (x[i] >> j) & 1,
                                 "bw=%u i=%zu bit %u", bw, i, j);
                }
            sr_unpack(y, buf, n, bw);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(x[i] & sr_mask(bw), y[i], "bw=%u n=%zu i=%zu", bw,
                             n, i);
        }
    }
}

/* Bob closes mid-message: Alice's receive fails with SR_EPEER. */
static int
close_party(sr_lane *L, void *arg)
{
    (void)arg;
    uint8_t buf[1000] = {0};
    if (L->role == SR_ALICE) {
        sr_chan_send(&L->chan, buf, 1);
        sr_chan_recv(&L->chan, buf, sizeof buf);
        int e = sr_chan_error(&L->chan);
        /* sticky: later calls do nothing and keep the first error */
        sr_chan_send(&L->chan, buf, 5);
        sr_chan_recv(&L->chan, buf, 5);
        if (sr_chan_error(&L->chan) != e)
            return SR_ECHECK;
        L->chan.err = SR_OK; /* the harness returns the channel's */
        return e == SR_EPEER ? SR_OK : SR_ECHECK;
    }
    sr_chan_recv(&L->chan, buf, 1);
    sr_chan_send(&L->chan, buf, 10); /* only 10 of 1000 bytes */
    sr_chan_flush(&L->chan);
    for (unsigned k = 0; k < L->chan.nconn; k++)
        shutdown(L->chan.fd[k], SHUT_RDWR);
    return SR_OK;
}

Test(chan, peer_closes_mid_message)
{
    sr_test_opts o = {.nconn = 2, .tcp = 1};
    int rc = sr_test_run(close_party, NULL, &o);
    cr_assert_eq(rc, SR_OK, "rc=%d", rc);
}

/* Bob never answers: Alice times out instead of hanging. */
static int
stall_party(sr_lane *L, void *arg)
{
    (void)arg;
    uint8_t b = 0;
    if (L->role == SR_ALICE) {
        L->chan.timeout_ms = 300;
        sr_chan_recv(&L->chan, &b, 1);
        int e = sr_chan_error(&L->chan);
        sr_chan_send(&L->chan, &b, 1); /* release Bob */
        L->chan.err = SR_OK;
        sr_chan_send(&L->chan, &b, 1);
        sr_chan_flush(&L->chan);
        return e == SR_ETIMEOUT ? SR_OK : SR_ECHECK;
    }
    sr_chan_recv(&L->chan, &b, 1);
    return SR_OK;
}

Test(chan, stalled_peer_times_out)
{
    cr_assert_eq(sr_test_run2(stall_party, NULL), SR_OK);
}
