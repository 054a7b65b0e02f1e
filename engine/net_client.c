/*
 * engine/net_client.c -- rendezvous, client side: rank 0's hello, the lane
 * table by broadcast, and every rank's tagged lane connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/net.h"
#include "engine/net_internal.h"

/* Broadcast from client rank 0 to its ranks. */
typedef struct cli_go {
    int32_t rc;
    uint32_t T, C;
    uint32_t table_len;
    uint8_t nonce[SR_NET_NONCE];
} cli_go;

/* Rank 0: connect, hello, read the reply; table gets the raw lane table. */
static int
client_hello(sr_session *s, const sr_world *W, const sr_net_opts *o, cli_go *go,
             uint8_t **table, char *err, size_t errlen)
{
    char host[SR_NET_HOST_MAX + 1];
    unsigned port;
    if (o->connect == NULL ||
        sr_net_parse_addr(o->connect, 1, host, sizeof host, &port) != SR_OK) {
        sr_net_seterr(err, errlen, "--connect %s: expected HOST:PORT",
                      o->connect ? o->connect : "(missing)");
        return SR_EUSAGE;
    }
    SR_REQUIRE(o->job_len <= SR_NET_JOB_MAX);
    double deadline = sr_net_deadline_of(o->timeout_ms);
    int fd;
    int rc = sr_net_connect_until(host, port, deadline, &fd, err, errlen);
    if (rc != SR_OK)
        return rc;
    snprintf(s->peer, sizeof s->peer, "%s", o->connect);
    sr_tls t;
    memset(&t, 0, sizeof t);
    sr_net_ctl ctl = {.fd = fd, .tls = NULL};
    if (sr_net_tls_on(o->tls)) {
        rc = sr_tls_wrap(&t, o->tls, 0, &fd, 1, sr_net_ms_left(deadline));
        if (rc != SR_OK) {
            sr_net_seterr(err, errlen, "%s: %s", o->connect,
                          sr_net_unprefix(t.err));
            sr_tls_clear(&t);
            close(fd);
            return rc;
        }
        ctl.tls = &t;
    }
    uint8_t h[SR_NET_HELLO_HEAD];
    memcpy(h, HELLO_MAGIC, 8);
    sr_net_put32(h + 8, SR_NET_VERSION);
    sr_net_put32(h + 12, (uint32_t)W->size);
    sr_net_put32(h + 16, o->threads);
    sr_net_put32(h + 20, o->conns);
    sr_net_put32(h + 24, o->job_kind);
    sr_net_put32(h + 28, (uint32_t)o->job_len);
    /* flow: client -> server: hello (header, job) */
    rc = sr_net_ctl_io(&ctl, h, sizeof h, deadline, 1);
    if (rc == SR_OK && o->job_len > 0)
        rc = sr_net_ctl_io(&ctl, (void *)o->job, o->job_len, deadline, 1);
    uint64_t bytes = sizeof h + o->job_len;
    /* flow: server -> client: ack or refusal, then R T C nonce and table;
     * read as much as the parser asks for. */
    size_t cap = SR_NET_ACK_HEAD + SR_NET_MSG_MAX + 12 + SR_NET_NONCE +
                 (size_t)W->size * (4 + SR_NET_HOST_MAX);
    uint8_t *b = rc == SR_OK ? malloc(cap) : NULL;
    if (rc == SR_OK && b == NULL)
        rc = SR_ENOMEM;
    sr_net_reply r;
    char msg[SR_NET_MSG_MAX + 64] = "";
    size_t have = 0;
    int pr = rc == SR_OK ? 1 : rc; /* one byte first: a TLS alert is short */
    while (pr > 0) {
        if ((size_t)pr > cap) { /* more ranks than ours: caught below */
            pr = SR_ECHECK;
            snprintf(msg, sizeof msg, "server reply too long");
            break;
        }
        rc = sr_net_ctl_io(&ctl, b + have, (size_t)pr - have, deadline, 0);
        if (rc != SR_OK) {
            pr = rc;
            break;
        }
        bytes += (size_t)pr - have;
        have = (size_t)pr;
        pr = sr_net_reply_parse(b, have, &r, msg, sizeof msg);
    }
    rc = pr;
    if (rc != SR_OK && have >= 1 && ctl.tls == NULL &&
        (b[0] == 0x15 || b[0] == 0x16)) {
        snprintf(msg, sizeof msg,
                 "%s speaks TLS: give --tls-psk or "
                 "--tls-cert/--tls-key/--tls-ca",
                 o->connect);
        rc = SR_ECRYPTO;
    } else if (rc == SR_EPEER && have == 0 && ctl.tls == NULL) {
        snprintf(msg, sizeof msg,
                 "hello with %s: peer closed the connection "
                 "(does the server require TLS?)",
                 o->connect);
    }
    if (rc == SR_OK && (r.ranks != (uint32_t)W->size ||
                        (o->threads && r.threads != o->threads) ||
                        (o->conns && r.conns != o->conns))) {
        snprintf(msg, sizeof msg, "server reply out of range (R=%u T=%u C=%u)",
                 r.ranks, r.threads, r.conns);
        rc = SR_EMISMATCH;
    }
    if (ctl.tls != NULL)
        bytes = t.conn[0].wire_out + t.conn[0].wire_in;
    s->bytes += bytes;
    if (rc != SR_OK) {
        if (msg[0] != '\0')
            sr_net_seterr(err, errlen, "%s", msg);
        else if (rc == SR_ECRYPTO && t.err[0] != '\0')
            sr_net_seterr(err, errlen, "hello with %s: %s", o->connect,
                          sr_net_unprefix(t.err));
        else
            sr_net_seterr(err, errlen, "hello with %s: %s", o->connect,
                          sr_strerror(rc));
        /* A malformed reply is a server that is not ours: a mismatch. */
        if (rc == SR_ECHECK)
            rc = SR_EMISMATCH;
        sr_tls_clear(&t);
        close(fd);
        free(b);
        return rc;
    }
    sr_tls_clear(&t);
    close(fd);
    uint8_t *tb = malloc(r.table_len);
    if (tb == NULL) {
        free(b);
        return SR_ENOMEM;
    }
    memcpy(tb, r.table, r.table_len);
    go->T = r.threads;
    go->C = r.conns;
    go->table_len = (uint32_t)r.table_len;
    memcpy(go->nonce, r.nonce, SR_NET_NONCE);
    free(b);
    *table = tb;
    return SR_OK;
}

/* see net.h */
int
sr_net_client_connect(sr_session *s, const sr_world *W, const sr_net_opts *o,
                      char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    double t0 = sr_now();
    cli_go go;
    memset(&go, 0, sizeof go);
    uint8_t *tb = NULL;
    if (W->rank == 0)
        go.rc = client_hello(s, W, o, &go, &tb, err, errlen);
    int rc = sr_world_bcast_idle(W, &go, sizeof go);
    if (rc == SR_OK)
        rc = go.rc;
    if (rc != SR_OK) {
        free(tb);
        if (W->rank != 0)
            sr_net_seterr(err, errlen, "rank 0 could not join: %s",
                          sr_strerror(rc));
        return rc;
    }
    if (W->rank != 0) {
        tb = malloc(go.table_len > 0 ? go.table_len : 1);
        if (tb == NULL)
            return SR_ENOMEM; /* rank 0 waits for the bcast; MPI aborts */
    }
    rc = sr_world_bcast(W, tb, go.table_len);
    if (rc == SR_OK)
        rc = sr_net_session_alloc(s, SR_CLIENT, W, go.T, go.C);
    if (rc != SR_OK) {
        free(tb);
        return rc;
    }
    memcpy(s->nonce, go.nonce, SR_NET_NONCE);
    char host[SR_NET_HOST_MAX + 1];
    unsigned port;
    rc =
        sr_net_table_entry(tb, go.table_len, s->rank, host, sizeof host, &port);
    free(tb);
    double deadline = sr_net_deadline_of(o->timeout_ms);
    if (rc != SR_OK)
        sr_net_seterr(err, errlen, "lane table: no entry for rank %u", s->rank);
    for (unsigned t = 0; rc == SR_OK && t < s->threads; t++)
        for (unsigned c = 0; rc == SR_OK && c < s->conns; c++) {
            int fd;
            rc = sr_net_connect_until(host, port, deadline, &fd, err, errlen);
            if (rc != SR_OK)
                break;
            uint8_t tag[TAG_LEN], ack = 0;
            memcpy(tag, TAG_MAGIC, 4);
            memcpy(tag + 4, s->nonce, SR_NET_NONCE);
            sr_net_put32(tag + 4 + SR_NET_NONCE, s->rank * s->threads + t);
            sr_net_put32(tag + 8 + SR_NET_NONCE, c);
            rc = sr_net_io_full(fd, tag, TAG_LEN, deadline, 1);
            if (rc == SR_OK)
                rc = sr_net_io_full(fd, &ack, 1, deadline, 0);
            s->bytes += TAG_LEN + 1;
            if (rc == SR_OK && ack != 'K')
                rc = SR_EMISMATCH;
            if (rc != SR_OK) {
                sr_net_seterr(err, errlen, "lane %u connection %u to %s:%u: %s",
                              s->rank * s->threads + t, c, host, port,
                              ack == 'X' ? "rejected by the server"
                                         : sr_strerror(rc));
                close(fd);
                break;
            }
            s->fds[t * s->conns + c] = fd;
        }
    /* All ranks of the party agree, so that none goes on alone. */
    int arc = sr_net_agree(W, rc);
    if (arc != SR_OK && rc == SR_OK) {
        rc = arc;
        sr_net_seterr(err, errlen, "another rank failed to connect its lanes");
    }
    s->seconds = sr_now() - t0;
    if (rc != SR_OK)
        sr_session_clear(s);
    return rc;
}
