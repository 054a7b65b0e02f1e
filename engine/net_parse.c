/*
 * engine/net_parse.c -- the rendezvous messages read from the peer, as
 * pure functions over a buffer (net.h has the wire format), the control
 * connection's I/O (plain or TLS) and the TLS lanes of a session.
 *
 * The parsers never read past len, bound every length before using it,
 * and are what tests/fuzz/hello drives with arbitrary bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/net.h"
#include "engine/net_internal.h"

/* see net_internal.h */
int
sr_net_tls_on(const sr_tls_config *cfg)
{
    return cfg != NULL && cfg->mode != SR_TLS_OFF;
}

/* see net_internal.h */
const char *
sr_net_unprefix(const char *msg)
{
    return strncmp(msg, "sirnn: ", 7) == 0 ? msg + 7 : msg;
}

/* see net_internal.h */
int
sr_net_ctl_io(sr_net_ctl *c, void *buf, size_t len, double deadline,
              int writing)
{
    if (c->tls == NULL)
        return sr_net_io_full(c->fd, buf, len, deadline, writing);
    if (len == 0)
        return SR_OK;
    int ms = sr_net_ms_left(deadline);
    if (ms == 0)
        return SR_ETIMEOUT;
    return writing ? sr_tls_send_all(c->tls, 0, buf, len, ms)
                   : sr_tls_recv_all(c->tls, 0, buf, len, ms);
}

static void say(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *msg, size_t msglen, const char *fmt, ...)
{
    if (msg == NULL || msglen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}

/* see net.h */
int
sr_net_hello_parse(const uint8_t *b, size_t len, sr_net_hello *h, char *msg,
                   size_t msglen)
{
    memset(h, 0, sizeof *h);
    if (len < 16)
        return 16;
    if (memcmp(b, HELLO_MAGIC, 8) != 0) {
        say(msg, msglen, "magic: not a sirnn client");
        return SR_EMISMATCH;
    }
    h->version = sr_net_get32(b + 8);
    h->ranks = sr_net_get32(b + 12);
    if (h->version != SR_NET_VERSION) {
        say(msg, msglen, "version: server %u, client %u", SR_NET_VERSION,
            h->version);
        return SR_EMISMATCH;
    }
    if (len < SR_NET_HELLO_HEAD)
        return SR_NET_HELLO_HEAD;
    h->threads = sr_net_get32(b + 16);
    h->conns = sr_net_get32(b + 20);
    h->job_kind = sr_net_get32(b + 24);
    h->job_len = sr_net_get32(b + 28);
    if (h->job_len > SR_NET_JOB_MAX) {
        say(msg, msglen, "job: %u bytes exceeds %u", h->job_len,
            (unsigned)SR_NET_JOB_MAX);
        return SR_EMISMATCH;
    }
    size_t total = SR_NET_HELLO_HEAD + (size_t)h->job_len;
    if (len < total)
        return (int)total;
    if (len > total) {
        say(msg, msglen, "hello: %zu bytes, expected %zu", len, total);
        return SR_EMISMATCH;
    }
    h->job = b + SR_NET_HELLO_HEAD;
    return SR_OK;
}

/* A host name as the lane table may carry it: printable, no blanks. */
static int
host_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] > 0x7e)
            return 0;
    return 1;
}

/* see net.h */
int
sr_net_reply_parse(const uint8_t *b, size_t len, sr_net_reply *r, char *msg,
                   size_t msglen)
{
    memset(r, 0, sizeof *r);
    if (len < SR_NET_ACK_HEAD)
        return SR_NET_ACK_HEAD;
    r->version = sr_net_get32(b + 8);
    r->status = sr_net_get32(b + 12);
    r->msg_len = sr_net_get32(b + 16);
    if (memcmp(b, ACK_MAGIC, 8) != 0 || r->msg_len > SR_NET_MSG_MAX) {
        say(msg, msglen, "not a sirnn server");
        return SR_ECHECK;
    }
    size_t n = SR_NET_ACK_HEAD + r->msg_len;
    if (len < n)
        return (int)n;
    for (uint32_t i = 0; i < r->msg_len; i++) {
        uint8_t ch = b[SR_NET_ACK_HEAD + i];
        r->msg[i] = ch < 0x20 || ch > 0x7e ? '?' : (char)ch;
    }
    r->msg[r->msg_len] = '\0';
    if (r->status != 0) {
        if (len > n) {
            say(msg, msglen, "reply: %zu bytes, expected %zu", len, n);
            return SR_ECHECK;
        }
        say(msg, msglen, "refused by server: %s", r->msg);
        return SR_EMISMATCH;
    }
    if (r->version != SR_NET_VERSION) {
        say(msg, msglen, "version: server %u, client %u", r->version,
            SR_NET_VERSION);
        return SR_ECHECK;
    }
    if (len < n + 12 + SR_NET_NONCE)
        return (int)(n + 12 + SR_NET_NONCE);
    r->ranks = sr_net_get32(b + n);
    r->threads = sr_net_get32(b + n + 4);
    r->conns = sr_net_get32(b + n + 8);
    memcpy(r->nonce, b + n + 12, SR_NET_NONCE);
    if (r->ranks < 1 || r->ranks > SR_NET_MAX_RANKS || r->threads < 1 ||
        r->threads > SR_NET_MAX_THREADS || r->conns < 1 ||
        r->conns > SR_CHAN_MAX_CONNS) {
        say(msg, msglen, "server reply out of range (R=%u T=%u C=%u)", r->ranks,
            r->threads, r->conns);
        return SR_ECHECK;
    }
    n += 12 + SR_NET_NONCE;
    size_t t0 = n;
    for (uint32_t k = 0; k < r->ranks; k++) {
        if (len < n + 2)
            return (int)(n + 2);
        size_t hl = (size_t)b[n] | (size_t)b[n + 1] << 8;
        if (hl < 1 || hl > SR_NET_HOST_MAX) {
            say(msg, msglen, "lane table: bad host length %zu", hl);
            return SR_ECHECK;
        }
        if (len < n + 4 + hl)
            return (int)(n + 4 + hl);
        if (!host_ok(b + n + 2, hl)) {
            say(msg, msglen, "lane table: bad host name of rank %u", k);
            return SR_ECHECK;
        }
        n += 4 + hl;
    }
    if (len > n) {
        say(msg, msglen, "reply: %zu bytes, expected %zu", len, n);
        return SR_ECHECK;
    }
    r->table = b + t0;
    r->table_len = n - t0;
    return SR_OK;
}

/* see net.h */
int
sr_net_table_entry(const uint8_t *table, size_t table_len, unsigned k,
                   char *host, size_t hostlen, unsigned *port)
{
    SR_REQUIRE(hostlen > SR_NET_HOST_MAX);
    size_t n = 0;
    for (unsigned i = 0;; i++) {
        if (n + 2 > table_len)
            return SR_ECHECK;
        size_t hl = (size_t)table[n] | (size_t)table[n + 1] << 8;
        if (hl > SR_NET_HOST_MAX || n + 4 + hl > table_len)
            return SR_ECHECK;
        if (i == k) {
            memcpy(host, table + n + 2, hl);
            host[hl] = '\0';
            *port = (unsigned)table[n + 2 + hl] | (unsigned)table[n + 3 + hl]
                                                      << 8;
            return SR_OK;
        }
        n += 4 + hl;
    }
}

/* ---- TLS lanes ------------------------------------------------------------
 */

typedef struct tls_hook {
    const sr_tls_config *cfg;
    sr_tls *t;
    int is_server, timeout_ms;
} tls_hook;

/* Runs in lane t's thread: handshakes, then the hooks for sr_lane_init. */
static int
tls_wrap_lane(void *ctx, sr_lane *L, unsigned t, const int *fds, unsigned nconn,
              sr_lane_opts *lo)
{
    tls_hook *h = ctx;
    int rc =
        sr_tls_wrap(&h->t[t], h->cfg, h->is_server, fds, nconn, h->timeout_ms);
    if (rc == SR_OK)
        lo->io = sr_tls_io(&h->t[t], &L->chan);
    return rc;
}

/* see net.h */
int
sr_session_lanes_tls(sr_session *s, sr_lane *lanes, sr_tls *tls,
                     const sr_tls_config *cfg, const sr_lane_opts *lo,
                     char *err, size_t errlen)
{
    if (!sr_net_tls_on(cfg)) {
        int rc = sr_session_lanes(s, lanes, lo);
        if (rc != SR_OK)
            sr_net_seterr(err, errlen, "lane setup: %s", sr_strerror(rc));
        return rc;
    }
    memset(tls, 0, (size_t)s->threads * sizeof *tls);
    tls_hook h = {.cfg = cfg,
                  .t = tls,
                  .is_server = s->party == SR_SERVER,
                  .timeout_ms = lo != NULL ? lo->timeout_ms : 0};
    int rc = sr_session_lanes_wrap(s, lanes, lo, tls_wrap_lane, &h);
    int told = 0;
    for (unsigned t = 0; t < s->threads; t++) {
        s->bytes += tls[t].hs_sent + tls[t].hs_recv;
        if (rc != SR_OK && !told && tls[t].err[0] != '\0') {
            sr_net_seterr(err, errlen, "lane %u: %s", s->rank * s->threads + t,
                          sr_net_unprefix(tls[t].err));
            told = 1;
        }
    }
    if (rc != SR_OK && !told)
        sr_net_seterr(err, errlen, "lane setup: %s", sr_strerror(rc));
    return rc;
}
