/*
 * engine/net_server.c -- rendezvous, server side: listeners of every rank,
 * the hello loop of rank 0 (refusals logged, waiting goes on), the lane
 * table, and the tagged lane connections of each rank.
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

#include <openssl/rand.h>

#include "engine/net.h"
#include "engine/net_internal.h"

/* see net.h */
int
sr_net_server_open(sr_netsrv *S, const sr_world *W, const sr_net_opts *o,
                   char *err, size_t errlen)
{
    memset(S, 0, sizeof *S);
    S->W = *W;
    S->o = *o;
    S->ctl = -1;
    S->lane = -1;
    unsigned port = SR_NET_DEFAULT_PORT;
    int rc = SR_OK;
    if (o->listen != NULL &&
        sr_net_parse_addr(o->listen, 0, S->bound, sizeof S->bound, &port) !=
            SR_OK) {
        sr_net_seterr(err, errlen, "--listen %s: expected [HOST:]PORT",
                      o->listen);
        return SR_EUSAGE;
    }
    if (o->threads < 1 || o->threads > SR_NET_MAX_THREADS || o->conns < 1 ||
        o->conns > SR_CHAN_MAX_CONNS || W->size > SR_NET_MAX_RANKS) {
        sr_net_seterr(err, errlen, "threads, conns or ranks out of range");
        return SR_EUSAGE;
    }
    if (!o->ephemeral && port + (unsigned)W->size > 65535) {
        sr_net_seterr(err, errlen, "port %u + ranks exceeds 65535", port);
        return SR_EUSAGE;
    }
    /* Host names of all ranks: ranks on rank 0's host bind its address. */
    char me[64] = {0};
    gethostname(me, sizeof me - 1);
    char(*names)[64] = calloc((size_t)W->size, sizeof *names);
    if (names == NULL)
        return SR_ENOMEM;
    rc = sr_world_allgather(W, names, me, sizeof me);
    int same = rc == SR_OK && strcmp(names[0], me) == 0;
    const char *bind_host = same ? S->bound : "";
    if (rc == SR_OK && W->rank == 0)
        rc = sr_net_listen_on(S->bound, port, &S->ctl, err, errlen);
    if (rc == SR_OK) {
        S->port = W->rank == 0 ? sr_net_bound_port(S->ctl) : port;
        /* Port 0 (any) for rank 0 means ephemeral lane ports too. */
        unsigned lp =
            o->ephemeral || port == 0 ? 0 : port + 1 + (unsigned)W->rank;
        rc = sr_net_listen_on(bind_host, lp, &S->lane, err, errlen);
    }
    /* Collective: every rank learns whether all listeners exist. */
    struct {
        int32_t rc;
        uint16_t port;
    } mine = {rc, (uint16_t)(S->lane >= 0 ? sr_net_bound_port(S->lane) : 0)},
      *all = calloc((size_t)W->size, sizeof mine);
    if (all == NULL) {
        free(names);
        sr_net_server_close(S);
        return SR_ENOMEM;
    }
    int mrc = sr_world_allgather(W, all, &mine, sizeof mine);
    for (int r = 0; mrc == SR_OK && r < W->size; r++)
        if (all[r].rc != SR_OK && rc == SR_OK) {
            rc = all[r].rc;
            sr_net_seterr(err, errlen, "server rank %d could not listen", r);
        }
    if (mrc != SR_OK)
        rc = mrc;
    if (rc == SR_OK && W->rank == 0) {
        S->hostname = names;
        S->lane_port = calloc((size_t)W->size, sizeof *S->lane_port);
        if (S->lane_port == NULL)
            rc = SR_ENOMEM;
        for (int r = 0; rc == SR_OK && r < W->size; r++)
            S->lane_port[r] = all[r].port;
        names = NULL;
    }
    free(names);
    free(all);
    if (rc != SR_OK)
        sr_net_server_close(S);
    return rc;
}

/* see net.h */
void
sr_net_server_close(sr_netsrv *S)
{
    if (S->ctl >= 0)
        close(S->ctl);
    if (S->lane >= 0)
        close(S->lane);
    S->ctl = S->lane = -1;
    free(S->hostname);
    free(S->lane_port);
    S->hostname = NULL;
    S->lane_port = NULL;
}

/* Refusal or acceptance header of the server's reply. */
static size_t
ack_header(uint8_t *b, uint32_t status, const char *msg)
{
    size_t ml = strlen(msg);
    if (ml > SR_NET_MSG_MAX)
        ml = SR_NET_MSG_MAX;
    memcpy(b, ACK_MAGIC, 8);
    sr_net_put32(b + 8, SR_NET_VERSION);
    sr_net_put32(b + 12, status);
    sr_net_put32(b + 16, (uint32_t)ml);
    memcpy(b + 20, msg, ml);
    return 20 + ml;
}

/*
 * Rank 0: read one client's hello on ctl and check it.  Returns SR_OK,
 * SR_EMISMATCH (msg says why; send a refusal) or an I/O code (just drop
 * the connection).
 */
static int
read_hello(sr_netsrv *S, sr_net_ctl *ctl, double deadline, uint64_t *bytes,
           char *msg, size_t msglen)
{
    uint8_t *b = malloc(SR_NET_HELLO_HEAD + SR_NET_JOB_MAX);
    if (b == NULL)
        return SR_ENOMEM;
    sr_net_hello h;
    size_t have = 0;
    int rc = 16;
    /* Read as much as the parser asks for, until it has a whole hello. */
    while (rc > 0) {
        size_t want = (size_t)rc;
        /* flow: client -> server: hello (header, then the job) */
        rc = sr_net_ctl_io(ctl, b + have, want - have, deadline, 0);
        if (rc != SR_OK)
            break;
        *bytes += want - have;
        have = want;
        rc = sr_net_hello_parse(b, have, &h, msg, msglen);
    }
    if (rc == SR_OK) {
        rc = SR_EMISMATCH;
        if (h.ranks != (uint32_t)S->W.size)
            snprintf(msg, msglen, "ranks: server %d, client %u", S->W.size,
                     h.ranks);
        else if (h.threads != 0 && h.threads != S->o.threads)
            snprintf(msg, msglen, "threads: server %u, client %u", S->o.threads,
                     h.threads);
        else if (h.conns != 0 && h.conns != S->o.conns)
            snprintf(msg, msglen, "conns: server %u, client %u", S->o.conns,
                     h.conns);
        else if (h.job_kind != S->o.job_kind)
            snprintf(msg, msglen, "job: server runs %s, client %s",
                     sr_net_kind_name(S->o.job_kind),
                     sr_net_kind_name(h.job_kind));
        else if (sr_net_job_diff(h.job_kind, S->o.job, S->o.job_len, h.job,
                                 h.job_len, msg, msglen))
            ;
        else
            rc = SR_OK;
    }
    free(b);
    return rc;
}

/* Rank 0: the OK reply with the lane table; the advertised host of ranks
 * on this host is what the client reached us on. */
static int
send_table(sr_netsrv *S, sr_net_ctl *ctl, const uint8_t nonce[SR_NET_NONCE],
           double deadline, uint64_t *bytes)
{
    int fd = ctl->fd;
    char here[NI_MAXHOST] = "";
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, here, sizeof here, NULL, 0,
                    NI_NUMERICHOST);
    /* A v4 client on a dual-stack socket shows as ::ffff:a.b.c.d. */
    if (strncmp(here, "::ffff:", 7) == 0 && strchr(here + 7, ':') == NULL)
        memmove(here, here + 7, strlen(here + 7) + 1);
    size_t R = (size_t)S->W.size;
    uint8_t *b = malloc(20 + 12 + SR_NET_NONCE + R * (4 + SR_NET_HOST_MAX));
    if (b == NULL)
        return SR_ENOMEM;
    size_t n = ack_header(b, 0, "");
    sr_net_put32(b + n, (uint32_t)R);
    sr_net_put32(b + n + 4, S->o.threads);
    sr_net_put32(b + n + 8, S->o.conns);
    memcpy(b + n + 12, nonce, SR_NET_NONCE);
    n += 12 + SR_NET_NONCE;
    for (size_t r = 0; r < R; r++) {
        const char *h = S->o.advertise != NULL ? S->o.advertise
                        : strcmp(S->hostname[r], S->hostname[0]) == 0
                            ? here
                            : S->hostname[r];
        size_t hl = strlen(h);
        if (hl == 0 || hl > SR_NET_HOST_MAX) {
            free(b);
            return SR_EUSAGE;
        }
        b[n] = (uint8_t)hl;
        b[n + 1] = (uint8_t)(hl >> 8);
        memcpy(b + n + 2, h, hl);
        n += 2 + hl;
        b[n] = (uint8_t)S->lane_port[r];
        b[n + 1] = (uint8_t)(S->lane_port[r] >> 8);
        n += 2;
    }
    /* flow: server -> client: ack, R T C nonce, lane table */
    int rc = sr_net_ctl_io(ctl, b, n, deadline, 1);
    *bytes += n;
    free(b);
    return rc;
}

/*
 * Close after a refusal without a reset: a close() with unread input (a
 * job we did not read) would send RST and could destroy the refusal
 * before the client reads it.  So: no more writes, discard what the
 * client still sends for up to 200 ms, then close.
 */
static void
drain_close(int fd)
{
    shutdown(fd, SHUT_WR);
    double deadline = sr_now() + 0.2;
    uint8_t junk[4096];
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int ms = sr_net_ms_left(deadline);
        if (ms == 0 || poll(&pf, 1, ms) <= 0)
            break;
        if (recv(fd, junk, sizeof junk, MSG_DONTWAIT) <= 0)
            break;
    }
    close(fd);
}

/* The session announcement rank 0 broadcasts to the other server ranks. */
typedef struct go_msg {
    int32_t rc;
    uint8_t nonce[SR_NET_NONCE];
} go_msg;

/* Rank 0: one accepted client: TLS (when on), hello, reply.  SR_OK when
 * the client passed; otherwise the client was refused or dropped and a
 * line is logged. */
static int
serve_hello(sr_netsrv *S, sr_session *s, int fd)
{
    /* A silent client holds us at most min(timeout, 10 s). */
    int hello_ms = S->o.timeout_ms > 0 && S->o.timeout_ms < 10000
                       ? S->o.timeout_ms
                       : 10000;
    sr_tls t;
    memset(&t, 0, sizeof t);
    sr_net_ctl ctl = {.fd = fd, .tls = NULL};
    int rc = SR_OK;
    if (sr_net_tls_on(S->o.tls)) {
        rc = sr_tls_wrap(&t, S->o.tls, 1, &fd, 1, hello_ms);
        if (rc != SR_OK) {
            fprintf(stderr, "sirnn: server: refused client %s: %s\n", s->peer,
                    sr_net_unprefix(t.err));
            sr_tls_clear(&t);
            close(fd);
            return rc;
        }
        ctl.tls = &t;
    }
    char msg[SR_NET_MSG_MAX];
    uint64_t bytes = 0;
    rc = read_hello(S, &ctl, sr_net_deadline_of(hello_ms), &bytes, msg,
                    sizeof msg);
    if (rc == SR_OK) {
        if (RAND_bytes(s->nonce, SR_NET_NONCE) != 1)
            rc = SR_ECRYPTO;
        if (rc == SR_OK)
            rc = send_table(S, &ctl, s->nonce,
                            sr_net_deadline_of(S->o.timeout_ms), &bytes);
        if (rc != SR_OK)
            fprintf(stderr, "sirnn: server: client %s dropped: %s\n", s->peer,
                    rc == SR_ECRYPTO && t.err[0] ? sr_net_unprefix(t.err)
                                                 : sr_strerror(rc));
    } else if (rc == SR_EMISMATCH) {
        uint8_t b[20 + SR_NET_MSG_MAX];
        size_t n = ack_header(b, 1, msg);
        /* flow: server -> client: refusal naming the field */
        (void)sr_net_ctl_io(&ctl, b, n, sr_net_deadline_of(2000), 1);
        fprintf(stderr, "sirnn: server: refused client %s: %s\n", s->peer, msg);
    } else {
        fprintf(stderr, "sirnn: server: client %s dropped: %s\n", s->peer,
                rc == SR_ECRYPTO && t.err[0] ? sr_net_unprefix(t.err)
                                             : sr_strerror(rc));
    }
    /* Setup traffic: with TLS, every byte on the wire (handshake and
     * records); otherwise the hello's bytes. */
    if (ctl.tls != NULL)
        bytes = t.conn[0].wire_out + t.conn[0].wire_in;
    sr_tls_clear(&t);
    if (rc == SR_OK) {
        s->bytes += bytes;
        close(fd);
    } else if (rc == SR_EMISMATCH) {
        drain_close(fd);
    } else {
        close(fd);
    }
    return rc;
}

/* Rank 0: wait for a client that passes the hello. */
static int
hello_loop(sr_netsrv *S, sr_session *s, double deadline, char *err,
           size_t errlen)
{
    for (;;) {
        int fd;
        int rc =
            sr_net_accept_until(S->ctl, deadline, &fd, s->peer, sizeof s->peer);
        if (rc == SR_ETIMEOUT) {
            sr_net_seterr(err, errlen,
                          "no client connected within the timeout");
            return rc;
        }
        if (rc != SR_OK) {
            sr_net_seterr(err, errlen, "accept: %s", strerror(errno));
            return rc;
        }
        if (serve_hello(S, s, fd) == SR_OK)
            return SR_OK;
    }
}

struct pending {
    int fd;
    size_t got;
    uint8_t tag[TAG_LEN];
    char peer[80];
};

/* Every rank: accept this rank's T x C tagged lane connections. */
static int
accept_lanes(sr_netsrv *S, sr_session *s, double deadline, char *err,
             size_t errlen)
{
    unsigned T = s->threads, C = s->conns, need = T * C, have = 0;
    struct pending *pd = calloc(MAX_PENDING, sizeof *pd);
    struct pollfd *pf = calloc(MAX_PENDING + 1, sizeof *pf);
    if (pd == NULL || pf == NULL) {
        free(pd);
        free(pf);
        return SR_ENOMEM;
    }
    unsigned np = 0;
    int rc = SR_OK;
    while (have < need) {
        pf[0].fd = S->lane;
        pf[0].events = np < MAX_PENDING ? POLLIN : 0;
        for (unsigned i = 0; i < np; i++) {
            pf[1 + i].fd = pd[i].fd;
            pf[1 + i].events = POLLIN;
        }
        int ms = sr_net_ms_left(deadline);
        int r = ms == 0 ? 0 : poll(pf, 1 + np, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r == 0 ? SR_ETIMEOUT : SR_EIO;
            sr_net_seterr(err, errlen,
                          "rank %u: %u of %u lane connections arrived", s->rank,
                          have, need);
            break;
        }
        if (pf[0].revents & POLLIN) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            int c = accept(S->lane, (struct sockaddr *)&ss, &sl);
            if (c >= 0) {
                sr_net_set_nonblock(c, 1);
                sr_net_tune(c);
                pd[np].fd = c;
                pd[np].got = 0;
                sr_net_addr_text((struct sockaddr *)&ss, sl, pd[np].peer,
                                 sizeof pd[np].peer);
                np++;
            }
        }
        for (unsigned i = 0; i < np; i++) {
            if (!(pf[1 + i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct pending *p = &pd[i];
            ssize_t k = recv(p->fd, p->tag + p->got, TAG_LEN - p->got, 0);
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            const char *why = NULL;
            if (k <= 0) {
                why = "closed before its tag";
            } else {
                p->got += (size_t)k;
                if (p->got < TAG_LEN)
                    continue;
            }
            uint32_t lane = 0, conn = 0;
            if (why == NULL) {
                s->bytes += TAG_LEN + 1;
                lane = sr_net_get32(p->tag + 4 + SR_NET_NONCE);
                conn = sr_net_get32(p->tag + 8 + SR_NET_NONCE);
                if (memcmp(p->tag, TAG_MAGIC, 4) != 0)
                    why = "not a sirnn lane";
                else if (memcmp(p->tag + 4, s->nonce, SR_NET_NONCE) != 0)
                    why = "wrong session nonce";
                else if (lane < s->rank * T || lane >= (s->rank + 1) * T)
                    why = "lane not served by this rank";
                else if (conn >= C)
                    why = "connection index out of range";
                else if (s->fds[(lane - s->rank * T) * C + conn] >= 0)
                    why = "duplicate connection";
            }
            uint8_t ack = why == NULL ? 'K' : 'X';
            if (why == NULL) {
                sr_net_set_nonblock(p->fd, 0);
                if (sr_net_io_full(p->fd, &ack, 1, sr_net_deadline_of(2000),
                                   1) == SR_OK) {
                    s->fds[(lane - s->rank * T) * C + conn] = p->fd;
                    have++;
                } else {
                    close(p->fd);
                }
            } else {
                if (k > 0)
                    (void)send(p->fd, &ack, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (!S->o.quiet)
                    fprintf(stderr,
                            "sirnn: server: rejected connection from %s: %s\n",
                            p->peer, why);
                close(p->fd);
            }
            pd[i] = pd[np - 1];
            pf[1 + i] = pf[np];
            np--;
            i--;
        }
    }
    for (unsigned i = 0; i < np; i++)
        close(pd[i].fd);
    free(pd);
    free(pf);
    return rc;
}

/* see net.h */
int
sr_net_server_accept(sr_netsrv *S, sr_session *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    double t0 = sr_now();
    double deadline = sr_net_deadline_of(S->o.timeout_ms);
    go_msg go;
    memset(&go, 0, sizeof go);
    if (S->W.rank == 0) {
        go.rc = hello_loop(S, s, deadline, err, errlen);
        memcpy(go.nonce, s->nonce, SR_NET_NONCE);
    }
    int rc = sr_world_bcast_idle(&S->W, &go, sizeof go);
    if (rc == SR_OK)
        rc = go.rc;
    if (rc != SR_OK) {
        if (S->W.rank != 0)
            sr_net_seterr(err, errlen, "rank 0 found no client: %s",
                          sr_strerror(rc));
        return rc;
    }
    s->joined = 1;
    rc = sr_net_session_alloc(s, SR_SERVER, &S->W, S->o.threads, S->o.conns);
    if (rc != SR_OK)
        return rc;
    memcpy(s->nonce, go.nonce, SR_NET_NONCE);
    rc = accept_lanes(S, s, sr_net_deadline_of(S->o.timeout_ms), err, errlen);
    /* All ranks of the party agree, so that none goes on alone. */
    int arc = sr_net_agree(&S->W, rc);
    if (arc != SR_OK && rc == SR_OK) {
        rc = arc;
        sr_net_seterr(err, errlen, "another rank failed to connect its lanes");
    }
    s->seconds = sr_now() - t0;
    if (rc != SR_OK)
        sr_session_clear(s);
    return rc;
}
