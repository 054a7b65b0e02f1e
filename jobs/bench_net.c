/*
 * jobs/bench_net.c -- `sirnn bench net`: channel throughput and latency
 * per lane, every byte checked.  The worked example of jobs/bench.h.
 *
 * Per lane, with B = --bytes (per direction) cut into messages of
 * min(B, 4 MiB) (so a large message is striped over the C connections):
 *   1. server -> client: B bytes, then the client answers with 8 bytes
 *      (the number of corrupted messages it saw);
 *   2. client -> server: the same the other way;
 *   3. both at once: B bytes each way with sr_chan_exchange;
 *   4. round trips: --n pings of 8 bytes with the server pinging, then
 *      --n with the client pinging; rtt = median of the pinger's times.
 * Message k carries the pair's common pattern (drawn from b->in) with k
 * written into its first 8 bytes, so a lost, reordered or damaged
 * message is detected.  Here n is the number of pings per lane and
 * direction (default 1000), not split over lanes.
 *
 * Fault injection for tests: with SIRNN_BENCH_NET_CORRUPT=1 in the
 * server's environment, server lane 0 flips one bit of its first message,
 * so the check must fail ("ok": false, exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/bench.h"

#define NET_MSG ((size_t)4 << 20)

typedef struct net_state {
    uint8_t *pat[2]; /* pattern of each direction: [0] s->c, [1] c->s */
    uint8_t *sbuf, *rbuf;
    size_t msg;        /* message size */
    uint64_t bad;      /* corrupted messages this side received */
    uint64_t peer_bad; /* ... that the peer reported */
    double *rtt;       /* this side's ping times */
    int corrupt;       /* test hook, see above */
} net_state;

static int
net_prepare(sr_bench_lane *b)
{
    net_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SR_ENOMEM;
    b->state = s;
    s->msg = b->p->bytes < NET_MSG ? (size_t)b->p->bytes : NET_MSG;
    s->pat[0] = malloc(s->msg);
    s->pat[1] = malloc(s->msg);
    s->sbuf = malloc(s->msg);
    s->rbuf = malloc(s->msg);
    s->rtt = malloc((b->p->n ? b->p->n : 1) * sizeof *s->rtt);
    if (!s->pat[0] || !s->pat[1] || !s->sbuf || !s->rbuf || !s->rtt)
        return SR_ENOMEM;
    sr_prg_bytes(&b->in, s->pat[0], s->msg);
    sr_prg_bytes(&b->in, s->pat[1], s->msg);
    const char *e = getenv("SIRNN_BENCH_NET_CORRUPT");
    s->corrupt = e != NULL && strcmp(e, "1") == 0 && sr_lane_is_server(b->L) &&
                 b->L->id == 0;
    return SR_OK;
}

/* Message k of direction d: the pattern stamped with k. */
static void
stamp(uint8_t *out, const uint8_t *pat, size_t len, uint64_t k)
{
    memcpy(out, pat, len);
    for (size_t i = 0; i < 8 && i < len; i++)
        out[i] ^= (uint8_t)(k >> (8 * i));
}

static int
same(const uint8_t *got, const uint8_t *pat, size_t len, uint64_t k)
{
    for (size_t i = 0; i < 8 && i < len; i++)
        if (got[i] != (uint8_t)(pat[i] ^ (uint8_t)(k >> (8 * i))))
            return 0;
    return len <= 8 || memcmp(got + 8, pat + 8, len - 8) == 0;
}

static size_t
msg_len(const sr_bench_lane *b, const net_state *s, uint64_t k)
{
    uint64_t left = b->p->bytes - k * s->msg;
    return left < s->msg ? (size_t)left : s->msg;
}

/* Phase 1 or 2: direction d (0: server sends).  Returns MB/s. */
static double
one_way(sr_bench_lane *b, net_state *s, int d, double base)
{
    sr_chan *c = &b->L->chan;
    const uint64_t msgs = sr_ceil_div((size_t)b->p->bytes, s->msg);
    const int sending = sr_lane_is_server(b->L) == (d == 0);
    double t0 = sr_now();
    uint8_t ack[8];
    for (uint64_t k = 0; k < msgs; k++) {
        size_t len = msg_len(b, s, k);
        if (sending) {
            stamp(s->sbuf, s->pat[d], len, k);
            if (s->corrupt && k == 0)
                s->sbuf[len / 2] ^= 1;
            sr_chan_send(c, s->sbuf, len); /* sender -> receiver: len */
        } else {
            sr_chan_recv(c, s->rbuf, len); /* sender -> receiver: len */
            if (sr_chan_error(c) == SR_OK && !same(s->rbuf, s->pat[d], len, k))
                s->bad++;
        }
        sr_bench_progress(b, base + 0.3 * (double)(k + 1) / (double)msgs);
    }
    if (sending) {
        sr_chan_recv(c, ack, 8); /* receiver -> sender: 8 */
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v |= (uint64_t)ack[i] << (8 * i);
        s->peer_bad += v;
    } else {
        for (int i = 0; i < 8; i++)
            ack[i] = (uint8_t)(s->bad >> (8 * i));
        sr_chan_send(c, ack, 8); /* receiver -> sender: 8 */
        sr_chan_flush(c);
    }
    double t = sr_now() - t0;
    return t > 0 ? (double)b->p->bytes / t / 1e6 : 0.0;
}

/* Phase 3: both directions at once.  Returns MB/s of both together. */
static double
both_ways(sr_bench_lane *b, net_state *s)
{
    sr_chan *c = &b->L->chan;
    const uint64_t msgs = sr_ceil_div((size_t)b->p->bytes, s->msg);
    const int mine = sr_lane_is_server(b->L) ? 0 : 1;
    double t0 = sr_now();
    for (uint64_t k = 0; k < msgs; k++) {
        size_t len = msg_len(b, s, k);
        stamp(s->sbuf, s->pat[mine], len, k);
        /* A <-> B: len bytes each way */
        sr_chan_exchange(c, s->rbuf, len, s->sbuf, len);
        if (sr_chan_error(c) == SR_OK &&
            !same(s->rbuf, s->pat[1 - mine], len, k))
            s->bad++;
        sr_bench_progress(b, 0.6 + 0.3 * (double)(k + 1) / (double)msgs);
    }
    double t = sr_now() - t0;
    return t > 0 ? 2.0 * (double)b->p->bytes / t / 1e6 : 0.0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Phase 4: pings; the server pings first.  Returns the median in us. */
static double
pings(sr_bench_lane *b, net_state *s)
{
    sr_chan *c = &b->L->chan;
    const uint64_t n = b->p->n;
    for (int turn = 0; turn < 2; turn++) {
        const int pinger = sr_lane_is_server(b->L) == (turn == 0);
        for (uint64_t k = 0; k < n; k++) {
            uint8_t m[8], e[8];
            for (int i = 0; i < 8; i++)
                m[i] = (uint8_t)(k >> (8 * i)) ^ (uint8_t)turn;
            if (pinger) {
                double t0 = sr_now();
                sr_chan_send(c, m, 8); /* pinger -> echoer: 8 */
                sr_chan_recv(c, e, 8); /* echoer -> pinger: 8 */
                s->rtt[k] = (sr_now() - t0) * 1e6;
                if (sr_chan_error(c) == SR_OK && memcmp(m, e, 8) != 0)
                    s->bad++;
            } else {
                sr_chan_recv(c, e, 8); /* pinger -> echoer: 8 */
                if (sr_chan_error(c) == SR_OK && memcmp(m, e, 8) != 0)
                    s->bad++;
                sr_chan_send(c, e, 8); /* echoer -> pinger: 8 */
                sr_chan_flush(c);
            }
        }
    }
    if (n == 0)
        return 0.0;
    qsort(s->rtt, n, sizeof *s->rtt, cmp_double);
    return n % 2 ? s->rtt[n / 2] : (s->rtt[n / 2 - 1] + s->rtt[n / 2]) / 2;
}

static int
net_run(sr_bench_lane *b)
{
    net_state *s = b->state;
    double s2c = one_way(b, s, 0, 0.0);
    double c2s = one_way(b, s, 1, 0.3);
    double both = both_ways(b, s);
    double rtt = pings(b, s);
    b->extra[0] = both;
    b->extra[1] = s2c;
    b->extra[2] = c2s;
    b->extra[3] = rtt;
    return sr_chan_error(&b->L->chan);
}

static int
net_check(sr_bench_lane *b)
{
    net_state *s = b->state;
    if (s->bad != 0 || s->peer_bad != 0) {
        snprintf(b->why, sizeof b->why,
                 "lane %u: %llu corrupted messages received here, %llu by "
                 "the peer",
                 b->L->id, (unsigned long long)s->bad,
                 (unsigned long long)s->peer_bad);
        return SR_ECHECK;
    }
    return SR_OK;
}

static void
net_cleanup(sr_bench_lane *b)
{
    net_state *s = b->state;
    if (s == NULL)
        return;
    free(s->pat[0]);
    free(s->pat[1]);
    free(s->sbuf);
    free(s->rbuf);
    free(s->rtt);
    free(s);
    b->state = NULL;
}

static int
net_validate(sr_bench_params *p, char *err, size_t errlen)
{
    if (p->n > 1000000) {
        snprintf(err, errlen, "--n (pings per lane) at most 1000000");
        return SR_EUSAGE;
    }
    return SR_OK;
}

const sr_bench_op sr_bench_op_net = {
    .name = "net",
    .summary = "channel throughput (--bytes per direction and lane) and "
               "round-trip latency (--n pings)",
    .params = SR_BP_BYTES,
    .default_n = 1000,
    .validate = net_validate,
    .prepare = net_prepare,
    .run = net_run,
    .check = net_check,
    .cleanup = net_cleanup,
    .extra = {{"throughput_mb_s", SR_BENCH_SUM},
              {"throughput_s2c_mb_s", SR_BENCH_SUM},
              {"throughput_c2s_mb_s", SR_BENCH_SUM},
              {"rtt_us", SR_BENCH_MEAN}},
};
