/*
 * engine/net.c -- rendezvous, common part: socket helpers with deadlines,
 * address parsing, job comparison, sessions and their lanes.  The server
 * side is in net_server.c, the client side in net_client.c; the wire
 * format is documented in net.h.
 */
#include "engine/net.h"
#include "engine/net_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#define SOCKBUF (4 << 20)

/* see net_internal.h */
void
sr_net_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* see net_internal.h */
void
sr_net_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* see net_internal.h */
uint32_t
sr_net_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* see net_internal.h */
int
sr_net_ms_left(double deadline)
{
    double left = deadline - sr_now();
    if (left <= 0)
        return 0;
    return left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
}

/* see net_internal.h */
double
sr_net_deadline_of(int timeout_ms)
{
    return sr_now() + (timeout_ms > 0 ? timeout_ms : 60000) / 1000.0;
}

/* Socket options every party socket gets.  A fixed SO_RCVBUF turns off
 * the kernel's autotuning, so it is set only when the kernel's maximum
 * allows the full 4 MiB. */
/* see net_internal.h */
void
sr_net_tune(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static const char *const files[2] = {"/proc/sys/net/core/wmem_max",
                                         "/proc/sys/net/core/rmem_max"};
    static const int opt[2] = {SO_SNDBUF, SO_RCVBUF};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        long mx = 0;
        if (f != NULL) {
            if (fscanf(f, "%ld", &mx) != 1)
                mx = 0;
            fclose(f);
        }
        if (mx >= SOCKBUF) {
            int v = SOCKBUF;
            setsockopt(fd, SOL_SOCKET, opt[k], &v, sizeof v);
        }
    }
}

/* see net_internal.h */
int
sr_net_set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Read or write exactly len bytes before the deadline. */
/* see net_internal.h */
int
sr_net_io_full(int fd, void *buf, size_t len, double deadline, int writing)
{
    uint8_t *p = buf;
    while (len > 0) {
        struct pollfd pf = {.fd = fd, .events = writing ? POLLOUT : POLLIN};
        int ms = sr_net_ms_left(deadline);
        if (ms == 0)
            return SR_ETIMEOUT;
        int r = poll(&pf, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return SR_EIO;
        if (r == 0)
            return SR_ETIMEOUT;
        ssize_t k = writing ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                            : recv(fd, p, len, MSG_DONTWAIT);
        if (k < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (k == 0 && !writing)
            return SR_EPEER;
        if (k <= 0)
            return errno == ECONNRESET || errno == EPIPE ? SR_EPEER : SR_EIO;
        p += k;
        len -= (size_t)k;
    }
    return SR_OK;
}

/* see net_internal.h */
void
sr_net_addr_text(const struct sockaddr *sa, socklen_t sl, char *out,
                 size_t outlen)
{
    char h[64], p[8];
    if (getnameinfo(sa, sl, h, sizeof h, p, sizeof p,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    if (sa->sa_family == AF_INET6)
        snprintf(out, outlen, "[%s]:%s", h, p);
    else
        snprintf(out, outlen, "%s:%s", h, p);
}

/* see net.h */
int
sr_net_parse_addr(const char *s, int need_host, char *host, size_t hostlen,
                  unsigned *port)
{
    if (s == NULL || *s == '\0')
        return SR_EUSAGE;
    const char *ps;
    size_t hl;
    const char *hs = s;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return SR_EUSAGE;
        hs = s + 1;
        hl = (size_t)(rb - hs);
        ps = rb + 2;
    } else {
        const char *c = strrchr(s, ':');
        if (c == NULL) {
            hl = 0;
            ps = s;
        } else {
            if (strchr(s, ':') != c)
                return SR_EUSAGE; /* bare IPv6 needs brackets */
            hl = (size_t)(c - s);
            ps = c + 1;
        }
    }
    if ((need_host && hl == 0) || hl >= hostlen || hl > SR_NET_HOST_MAX)
        return SR_EUSAGE;
    if (*ps == '\0' || strlen(ps) > 5)
        return SR_EUSAGE;
    unsigned v = 0;
    for (const char *q = ps; *q; q++) {
        if (*q < '0' || *q > '9')
            return SR_EUSAGE;
        v = v * 10 + (unsigned)(*q - '0');
    }
    if (v > 65535)
        return SR_EUSAGE;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = v;
    return SR_OK;
}

/* Listen on host (or every address when host is "") at port. */
/* see net_internal.h */
int
sr_net_listen_on(const char *host, unsigned port, int *fd_out, char *err,
                 size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    int fd = -1, saved = 0;
    if (host[0] == '\0') {
        /* Dual stack first, IPv4 if IPv6 is not available. */
        fd = socket(AF_INET6, SOCK_STREAM, 0);
        if (fd >= 0) {
            int zero = 0, one = 1;
            struct sockaddr_in6 a6;
            memset(&a6, 0, sizeof a6);
            a6.sin6_family = AF_INET6;
            a6.sin6_addr = in6addr_any;
            a6.sin6_port = htons((uint16_t)port);
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sr_net_tune(fd);
            if (bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0 &&
                listen(fd, 128) == 0)
                goto done;
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    int gai = getaddrinfo(host[0] ? host : NULL, ps, &hints, &res);
    if (gai != 0) {
        sr_net_seterr(err, errlen, "listen %s:%u: %s", host, port,
                      gai_strerror(gai));
        return SR_EUSAGE;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sr_net_tune(fd);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        sr_net_seterr(err, errlen, "listen %s%s%u: %s", host,
                      host[0] ? ":" : "port ", port, strerror(saved));
        return SR_EIO;
    }
done:
    if (sr_net_set_nonblock(fd, 1) < 0) {
        close(fd);
        return SR_EIO;
    }
    *fd_out = fd;
    return SR_OK;
}

/* see net_internal.h */
unsigned
sr_net_bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Accept one connection before the deadline (SR_ETIMEOUT otherwise). */
/* see net_internal.h */
int
sr_net_accept_until(int lfd, double deadline, int *fd, char *peer,
                    size_t peerlen)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int c = accept(lfd, (struct sockaddr *)&ss, &sl);
        if (c >= 0) {
            sr_net_set_nonblock(c, 0);
            sr_net_tune(c);
            sr_net_addr_text((struct sockaddr *)&ss, sl, peer, peerlen);
            *fd = c;
            return SR_OK;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNABORTED)
            return SR_EIO;
        struct pollfd pf = {.fd = lfd, .events = POLLIN};
        int ms = sr_net_ms_left(deadline);
        if (ms == 0)
            return SR_ETIMEOUT;
        if (poll(&pf, 1, ms) == 0)
            return SR_ETIMEOUT;
    }
}

/*
 * Connect to host:port, retrying refused/unreachable attempts every 50 ms
 * until the deadline.  err names the address on failure.
 */
/* see net_internal.h */
int
sr_net_connect_until(const char *host, unsigned port, double deadline,
                     int *fd_out, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    int gai = getaddrinfo(host, ps, &hints, &res);
    if (gai != 0) {
        sr_net_seterr(err, errlen, "connect %s:%u: %s", host, port,
                      gai_strerror(gai));
        return SR_EUSAGE;
    }
    int last = ETIMEDOUT;
    for (;;) {
        for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
            if (fd < 0) {
                last = errno;
                continue;
            }
            sr_net_tune(fd);
            sr_net_set_nonblock(fd, 1);
            int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (r < 0 && errno == EINPROGRESS) {
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                int ms = sr_net_ms_left(deadline);
                if (ms > 0 && poll(&pf, 1, ms) == 1) {
                    int e = 0;
                    socklen_t el = sizeof e;
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
                    r = e == 0 ? 0 : -1;
                    errno = e;
                } else {
                    errno = ETIMEDOUT;
                }
            }
            if (r == 0) {
                sr_net_set_nonblock(fd, 0);
                freeaddrinfo(res);
                *fd_out = fd;
                return SR_OK;
            }
            last = errno;
            close(fd);
        }
        if (sr_net_ms_left(deadline) <= 50)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    freeaddrinfo(res);
    sr_net_seterr(err, errlen, "connect %s:%u: %s (gave up at the timeout)",
                  host, port, strerror(last));
    return SR_ETIMEOUT;
}

/* ---- job comparison ---------------------------------------------------- */

/* see net_internal.h */
const char *
sr_net_kind_name(uint32_t k)
{
    switch (k) {
    case SR_JOB_BENCH:
        return "bench";
    case SR_JOB_EVAL:
        return "eval";
    case SR_JOB_MODEL:
        return "model";
    default:
        return "unknown";
    }
}

/* Value of key in a key=value blob: pointer and length, or NULL. */
static const char *
kv_find(const char *b, size_t len, const char *key, size_t klen, size_t *vlen)
{
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && b[e] != '\n')
            e++;
        if (e - i > klen && memcmp(b + i, key, klen) == 0 &&
            b[i + klen] == '=') {
            *vlen = e - i - klen - 1;
            return b + i + klen + 1;
        }
        i = e + 1;
    }
    return NULL;
}

/* Walk the keys of a: first key whose value differs in b (or is absent). */
static int
kv_diff_one(const char *a, size_t alen, const char *b, size_t blen,
            int a_is_srv, char *msg, size_t msglen)
{
    size_t i = 0;
    while (i < alen) {
        size_t e = i;
        while (e < alen && a[e] != '\n')
            e++;
        const char *eq = memchr(a + i, '=', e - i);
        size_t klen = eq != NULL ? (size_t)(eq - (a + i)) : e - i;
        size_t avl = eq != NULL ? e - i - klen - 1 : 0, bvl = 0;
        const char *av = eq != NULL ? eq + 1 : a + e;
        const char *bv = kv_find(b, blen, a + i, klen, &bvl);
        if (bv == NULL || bvl != avl || memcmp(av, bv, avl) != 0) {
            int kl = klen > 40 ? 40 : (int)klen;
            int al = avl > 60 ? 60 : (int)avl, bl = bvl > 60 ? 60 : (int)bvl;
            const char *none = "(none)";
            if (a_is_srv)
                snprintf(msg, msglen, "%.*s: server %.*s, client %.*s", kl,
                         a + i, al, av, bv ? bl : 6, bv ? bv : none);
            else
                snprintf(msg, msglen, "%.*s: server %.*s, client %.*s", kl,
                         a + i, bv ? bl : 6, bv ? bv : none, al, av);
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

/* see net.h */
int
sr_net_job_diff(uint32_t kind, const void *srv, size_t srv_len, const void *cli,
                size_t cli_len, char *msg, size_t msglen)
{
    if (kind == SR_JOB_BENCH || kind == SR_JOB_EVAL) {
        if (kv_diff_one(srv, srv_len, cli, cli_len, 1, msg, msglen))
            return 1;
        return kv_diff_one(cli, cli_len, srv, srv_len, 0, msg, msglen);
    }
    if (srv_len != cli_len || memcmp(srv, cli, srv_len) != 0) {
        snprintf(msg, msglen, "job: the %s jobs differ",
                 sr_net_kind_name(kind));
        return 1;
    }
    return 0;
}

/* ---- sessions -------------------------------------------------------------
 */

/* see net.h */
int
sr_session_lanes(sr_session *s, sr_lane *lanes, const sr_lane_opts *lo)
{
    return sr_session_lanes_wrap(s, lanes, lo, NULL, NULL);
}

/* see net.h */
int
sr_session_lanes_wrap(sr_session *s, sr_lane *lanes, const sr_lane_opts *lo,
                      sr_lane_wrap_fn wrap, void *ctx)
{
    SR_REQUIRE(s->fds != NULL && s->threads >= 1);
    int rc = SR_OK;
    int T = (int)s->threads;
    memset(lanes, 0, (size_t)T * sizeof *lanes);
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        sr_lane_opts mine = {0};
        if (lo != NULL)
            mine = *lo;
        int *fds = &s->fds[(size_t)t * s->conns];
        int r = wrap != NULL
                    ? wrap(ctx, &lanes[t], (unsigned)t, fds, s->conns, &mine)
                    : SR_OK;
        if (r == SR_OK)
            r = sr_lane_init(&lanes[t], s->party,
                             s->rank * s->threads + (unsigned)t, fds, s->conns,
                             &mine);
        else
            for (unsigned c = 0; c < s->conns; c++)
                close(fds[c]);
        if (r != SR_OK) {
#pragma omp critical(sr_session_lanes_rc)
            if (rc == SR_OK)
                rc = r;
        }
    }
    /* The sockets belong to the lanes now (even after a failure). */
    for (size_t i = 0; i < (size_t)s->threads * s->conns; i++)
        s->fds[i] = -1;
    if (rc != SR_OK)
        for (int t = 0; t < T; t++)
            sr_lane_clear(&lanes[t]);
    return rc;
}

/* see net.h */
void
sr_session_clear(sr_session *s)
{
    if (s->fds != NULL)
        for (size_t i = 0; i < (size_t)s->threads * s->conns; i++)
            if (s->fds[i] >= 0)
                close(s->fds[i]);
    free(s->fds);
    s->fds = NULL;
}

/* see net_internal.h */
int
sr_net_session_alloc(sr_session *s, sr_partyid party, const sr_world *W,
                     unsigned T, unsigned C)
{
    s->party = party;
    s->rank = (unsigned)W->rank;
    s->ranks = (unsigned)W->size;
    s->threads = T;
    s->conns = C;
    free(s->fds);
    s->fds = malloc((size_t)T * C * sizeof *s->fds);
    if (s->fds == NULL)
        return SR_ENOMEM;
    for (size_t i = 0; i < (size_t)T * C; i++)
        s->fds[i] = -1;
    return SR_OK;
}

/* see net_internal.h */
int
sr_net_agree(const sr_world *W, int rc)
{
    if (W->size == 1)
        return rc;
    int32_t mine = rc, *all = calloc((size_t)W->size, sizeof *all);
    if (all == NULL)
        return SR_ENOMEM;
    int r = sr_world_allgather(W, all, &mine, sizeof mine);
    for (int k = 0; r == SR_OK && k < W->size; k++)
        if (all[k] != SR_OK) {
            r = all[k];
            break;
        }
    free(all);
    return r;
}
