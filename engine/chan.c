/*
 * engine/chan.c -- buffered, striped, counted channel over C sockets.
 *
 * All sockets are non-blocking.  One engine, xfer(), moves a send plan and
 * a receive plan at once: it writes and reads whatever each connection
 * accepts, and only when nothing moved does it poll(2) with the timeout.
 * Sends, receives and exchanges are all calls of xfer(), which is why an
 * exchange cannot deadlock and why a stalled peer ends in SR_ETIMEOUT.
 */
#include "engine/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

__extension__ typedef unsigned __int128 u128;

/* Packing moves whole 64-bit words where the byte order allows. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SR_LITTLE_ENDIAN 1
#else
#define SR_LITTLE_ENDIAN 0
#endif

/*
 * Where the bytes of one message go: connection j carries frames
 * j, j + C, j + 2C, ... of SR_CHAN_FRAME bytes (C = 1 for unstriped).
 */
typedef struct plan {
    uint8_t *buf;
    size_t len;
    unsigned conns; /* 1 or c->nconn */
    size_t total[SR_CHAN_MAX_CONNS];
    size_t done[SR_CHAN_MAX_CONNS];
} plan;

static void
plan_init(plan *p, uint8_t *buf, size_t len, unsigned conns)
{
    p->buf = buf;
    p->len = len;
    p->conns = conns;
    size_t frames = sr_ceil_div(len, SR_CHAN_FRAME);
    for (unsigned j = 0; j < conns; j++) {
        p->done[j] = 0;
        p->total[j] = 0;
        for (size_t f = j; f < frames; f += conns) {
            size_t start = f * SR_CHAN_FRAME;
            size_t flen =
                len - start < SR_CHAN_FRAME ? len - start : SR_CHAN_FRAME;
            p->total[j] += flen;
        }
    }
}

/* The contiguous span connection j handles next: returns its length. */
static size_t
plan_span(const plan *p, unsigned j, uint8_t **at)
{
    if (p->conns == 1) {
        *at = p->buf + p->done[0];
        return p->total[0] - p->done[0];
    }
    size_t k = p->done[j] / SR_CHAN_FRAME, off = p->done[j] % SR_CHAN_FRAME;
    size_t start = (j + k * p->conns) * SR_CHAN_FRAME;
    size_t flen =
        p->len - start < SR_CHAN_FRAME ? p->len - start : SR_CHAN_FRAME;
    *at = p->buf + start + off;
    return flen - off;
}

/*
 * Scatter list of connection j's remaining frames (striped plans): its
 * frames are SR_CHAN_FRAME apart by C frames in the buffer, so one
 * sendmsg/recvmsg moves up to PLAN_IOV of them instead of one syscall per
 * 16 KiB frame.  Returns the number of entries.
 */
enum { PLAN_IOV = 64 };

static int
plan_iov(const plan *p, unsigned j, struct iovec *iov)
{
    int n = 0;
    for (size_t pos = p->done[j]; pos < p->total[j] && n < PLAN_IOV; n++) {
        size_t k = pos / SR_CHAN_FRAME, off = pos % SR_CHAN_FRAME;
        size_t start = (j + k * p->conns) * SR_CHAN_FRAME;
        size_t flen =
            p->len - start < SR_CHAN_FRAME ? p->len - start : SR_CHAN_FRAME;
        iov[n].iov_base = p->buf + start + off;
        iov[n].iov_len = flen - off;
        pos += flen - off;
    }
    return n;
}

static unsigned
plan_conns(const sr_chan *c, size_t len)
{
    return (c->nconn > 1 && len >= SR_CHAN_STRIPE_MIN) ? c->nconn : 1;
}

static long
io_write(sr_chan *c, unsigned k, const void *buf, size_t len)
{
    if (c->io != NULL)
        return c->io->write(c->io->ctx, k, buf, len);
    return (long)send(c->fd[k], buf, len, MSG_NOSIGNAL);
}

static long
io_read(sr_chan *c, unsigned k, void *buf, size_t len)
{
    if (c->io != NULL)
        return c->io->read(c->io->ctx, k, buf, len);
    return (long)recv(c->fd[k], buf, len, 0);
}

/* Move the next bytes of plan p on connection j (write or read): one
 * scattered syscall for a striped plan on a plain socket, else one span. */
static long
io_plan(sr_chan *c, plan *p, unsigned j, int writing)
{
    if (p->conns > 1 && c->io == NULL) {
        struct iovec iov[PLAN_IOV];
        struct msghdr m = {.msg_iov = iov,
                           .msg_iovlen = (size_t)plan_iov(p, j, iov)};
        return writing ? (long)sendmsg(c->fd[j], &m, MSG_NOSIGNAL)
                       : (long)recvmsg(c->fd[j], &m, 0);
    }
    uint8_t *at;
    size_t n = plan_span(p, j, &at);
    return writing ? io_write(c, j, at, n) : io_read(c, j, at, n);
}

/* Error code for a failed read/write (r <= 0). */
static int
io_errcode(long r)
{
    if (r == 0)
        return SR_EPEER;
    if (errno == EPIPE || errno == ECONNRESET)
        return SR_EPEER;
    return SR_EIO;
}

/*
 * Before blocking on connection j with want bytes still to come: wake when
 * min(want, SR_CHAN_LOWAT_MAX) of them are there.  Data that trickles in
 * (a shaped link, several lanes sharing one) otherwise wakes the lane for
 * every few packets.  Safe: the peer sends the whole message without
 * waiting for this side, and the kernel grows the receive buffer to twice
 * the mark.  Plain sockets only (under TLS the bytes on the wire are not
 * the message's); a socket that refuses the option is left as it is.
 */
static void
set_lowat(sr_chan *c, unsigned j, size_t want)
{
    if (c->io != NULL || c->lowat[j] < 0)
        return;
    int v = (int)(want < SR_CHAN_LOWAT_MAX ? want : SR_CHAN_LOWAT_MAX);
    if (v < 1)
        v = 1;
    if (v == c->lowat[j] || (v == 1 && c->lowat[j] == 0))
        return;
    if (setsockopt(c->fd[j], SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0)
        c->lowat[j] = v;
    else
        c->lowat[j] = -1;
}

/*
 * Move both plans to completion (either may be NULL).  Returns SR_OK or the
 * error; does not touch c->err.
 */
static int
xfer(sr_chan *c, plan *s, plan *r)
{
    struct pollfd pfd[SR_CHAN_MAX_CONNS];

    for (;;) {
        int moved = 0, pending = 0;
        short want[SR_CHAN_MAX_CONNS] = {0};

        for (unsigned j = 0; s != NULL && j < s->conns; j++) {
            while (s->done[j] < s->total[j]) {
                long w = io_plan(c, s, j, 1);
                if (w > 0) {
                    s->done[j] += (size_t)w;
                    c->st.wire_sent += (uint64_t)w;
                    moved = 1;
                    continue;
                }
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                              errno == EINTR)) {
                    want[j] |= POLLOUT;
                    pending = 1;
                    break;
                }
                return io_errcode(w);
            }
        }
        for (unsigned j = 0; r != NULL && j < r->conns; j++) {
            while (r->done[j] < r->total[j]) {
                long g = io_plan(c, r, j, 0);
                if (g > 0) {
                    r->done[j] += (size_t)g;
                    c->st.wire_recv += (uint64_t)g;
                    moved = 1;
                    continue;
                }
                if (g < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                              errno == EINTR)) {
                    want[j] |= POLLIN;
                    pending = 1;
                    break;
                }
                return io_errcode(g);
            }
        }
        if (!pending)
            return SR_OK;
        if (moved)
            continue;

        nfds_t np = 0;
        for (unsigned j = 0; j < c->nconn; j++) {
            if (want[j] == 0)
                continue;
            if ((want[j] & POLLIN) && r != NULL)
                set_lowat(c, j, r->total[j] - r->done[j]);
            pfd[np].fd = c->fd[j];
            pfd[np].events = want[j];
            pfd[np].revents = 0;
            np++;
        }
        int pr = poll(pfd, np, c->timeout_ms);
        if (pr == 0)
            return SR_ETIMEOUT;
        if (pr < 0 && errno != EINTR)
            return SR_EIO;
    }
}

/* see chan.h */
int
sr_chan_init(sr_chan *c, const int *fds, unsigned nconn, int timeout_ms)
{
    SR_REQUIRE(nconn >= 1 && nconn <= SR_CHAN_MAX_CONNS);
    memset(c, 0, sizeof *c);
    for (unsigned j = 0; j < SR_CHAN_MAX_CONNS; j++)
        c->fd[j] = -1;
    c->nconn = nconn;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 60000;
    for (unsigned j = 0; j < nconn; j++) {
        c->fd[j] = fds[j];
        int fl = fcntl(fds[j], F_GETFL);
        if (fl < 0 || fcntl(fds[j], F_SETFL, fl | O_NONBLOCK) < 0) {
            sr_chan_clear(c);
            return SR_EIO;
        }
    }
    c->wbuf = malloc(SR_CHAN_WBUF);
    if (c->wbuf == NULL) {
        sr_chan_clear(c);
        return SR_ENOMEM;
    }
    return SR_OK;
}

/* see chan.h */
void
sr_chan_clear(sr_chan *c)
{
    for (unsigned j = 0; j < c->nconn && j < SR_CHAN_MAX_CONNS; j++) {
        if (c->fd[j] >= 0)
            close(c->fd[j]);
        c->fd[j] = -1;
    }
    c->nconn = 0;
    free(c->wbuf);
    c->wbuf = NULL;
    c->wlen = 0;
}

/* see chan.h */
void
sr_chan_fail(sr_chan *c, int code)
{
    if (c->err == SR_OK && code != SR_OK)
        c->err = code;
}

/* see chan.h */
void
sr_chan_flush(sr_chan *c)
{
    if (c->err != SR_OK || c->wlen == 0)
        return;
    plan p;
    plan_init(&p, c->wbuf, c->wlen, 1);
    sr_chan_fail(c, xfer(c, &p, NULL));
    c->wlen = 0;
}

static void
count_round(sr_chan *c, int kind)
{
    if (c->last != kind || kind == 3)
        c->st.rounds++;
    c->last = kind;
}

/* see chan.h */
void
sr_chan_send(sr_chan *c, const void *buf, size_t len)
{
    if (c->err != SR_OK || len == 0)
        return;
    count_round(c, 1);
    c->st.bytes_sent += len;
    unsigned conns = plan_conns(c, len);
    if (conns == 1 && len < SR_CHAN_WBUF) {
        if (c->wlen + len > SR_CHAN_WBUF)
            sr_chan_flush(c);
        memcpy(c->wbuf + c->wlen, buf, len);
        c->wlen += len;
        return;
    }
    sr_chan_flush(c);
    if (c->err != SR_OK)
        return;
    plan p;
    plan_init(&p, (uint8_t *)(uintptr_t)buf, len, conns);
    sr_chan_fail(c, xfer(c, &p, NULL));
}

/* see chan.h */
void
sr_chan_recv(sr_chan *c, void *buf, size_t len)
{
    if (len == 0)
        return;
    if (c->err == SR_OK) {
        count_round(c, 2);
        sr_chan_flush(c);
    }
    if (c->err != SR_OK) {
        memset(buf, 0, len);
        return;
    }
    plan p;
    plan_init(&p, buf, len, plan_conns(c, len));
    sr_chan_fail(c, xfer(c, NULL, &p));
    if (c->err != SR_OK)
        memset(buf, 0, len);
    else
        c->st.bytes_recv += len;
}

/* see chan.h */
void
sr_chan_exchange(sr_chan *c, void *rbuf, size_t rlen, const void *sbuf,
                 size_t slen)
{
    if (c->err == SR_OK && (rlen > 0 || slen > 0)) {
        count_round(c, 3);
        sr_chan_flush(c);
    }
    if (c->err != SR_OK) {
        if (rlen > 0)
            memset(rbuf, 0, rlen);
        return;
    }
    plan ps, pr;
    plan_init(&ps, (uint8_t *)(uintptr_t)sbuf, slen, plan_conns(c, slen));
    plan_init(&pr, rbuf, rlen, plan_conns(c, rlen));
    sr_chan_fail(c, xfer(c, &ps, &pr));
    if (c->err != SR_OK) {
        if (rlen > 0)
            memset(rbuf, 0, rlen);
        return;
    }
    c->st.bytes_sent += slen;
    c->st.bytes_recv += rlen;
}

/* Append the low nbits (<= 64) of w to the bit stream (acc, nb, out, o). */
static inline void
bits_put(uint8_t *out, size_t *o, u128 *acc, unsigned *nb, uint64_t w,
         unsigned nbits)
{
    *acc |= (u128)w << *nb;
    *nb += nbits;
    if (*nb >= 64) {
        uint64_t v = (uint64_t)*acc;
#if SR_LITTLE_ENDIAN
        memcpy(out + *o, &v, 8);
        *o += 8;
#else
        for (unsigned k = 0; k < 8; k++)
            out[(*o)++] = (uint8_t)(v >> (8 * k));
#endif
        *acc >>= 64;
        *nb -= 64;
    }
}

/* see chan.h */
void
sr_pack(uint8_t *out, const uint64_t *x, size_t n, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
#if SR_LITTLE_ENDIAN
    if (bw == 64) { /* the words as they are */
        memcpy(out, x, n * 8);
        return;
    }
#endif
    if (bw % 8 == 0) {
        size_t b = bw / 8;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = x[i];
            for (size_t k = 0; k < b; k++)
                out[i * b + k] = (uint8_t)(v >> (8 * k));
        }
        return;
    }
    /* g = floor(64 / bw) values at a time form one word of g bw bits */
    const uint64_t m = sr_mask(bw);
    const unsigned g = 64 / bw;
    u128 acc = 0;
    unsigned nb = 0;
    size_t o = 0, i = 0;
    if (g > 1)
        for (; i + g <= n; i += g) {
            uint64_t w = 0;
            for (unsigned k = 0; k < g; k++)
                w |= (x[i + k] & m) << (k * bw);
            bits_put(out, &o, &acc, &nb, w, g * bw);
        }
    for (; i < n; i++) {
        acc |= (u128)(x[i] & m) << nb;
        nb += bw;
        if (nb >= 64) {
            uint64_t v = (uint64_t)acc;
#if SR_LITTLE_ENDIAN
            memcpy(out + o, &v, 8);
            o += 8;
#else
            for (unsigned k = 0; k < 8; k++)
                out[o++] = (uint8_t)(v >> (8 * k));
#endif
            acc >>= 64;
            nb -= 64;
        }
    }
    while (nb > 0) {
        out[o++] = (uint8_t)acc;
        acc >>= 8;
        nb = nb > 8 ? nb - 8 : 0;
    }
}

/* The next nbits (<= 64) of the stream in[0..nbytes) (acc, nb, o). */
static inline uint64_t
bits_get(const uint8_t *in, size_t nbytes, size_t *o, u128 *acc, unsigned *nb,
         unsigned nbits)
{
    while (*nb < nbits) {
        uint64_t w = 0;
        unsigned take = 0;
#if SR_LITTLE_ENDIAN
        if (*o + 8 <= nbytes) { /* a whole word */
            memcpy(&w, in + *o, 8);
            *o += 8;
            take = 8;
        }
#endif
        while (take < 8 && *o < nbytes)
            w |= (uint64_t)in[(*o)++] << (8 * take++);
        *acc |= (u128)w << *nb;
        *nb += 8 * take;
    }
    const uint64_t v = (uint64_t)*acc & sr_mask(nbits);
    *acc >>= nbits;
    *nb -= nbits;
    return v;
}

/* see chan.h */
void
sr_unpack(uint64_t *x, const uint8_t *in, size_t n, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
#if SR_LITTLE_ENDIAN
    if (bw == 64) {
        memcpy(x, in, n * 8);
        return;
    }
#endif
    if (bw % 8 == 0) {
        size_t b = bw / 8;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = 0;
            for (size_t k = 0; k < b; k++)
                v |= (uint64_t)in[i * b + k] << (8 * k);
            x[i] = v;
        }
        return;
    }
    const uint64_t m = sr_mask(bw);
    const unsigned g = 64 / bw;
    const size_t nbytes = sr_packed_bytes(n, bw);
    u128 acc = 0;
    unsigned nb = 0;
    size_t o = 0, i = 0;
    if (g > 1)
        for (; i + g <= n; i += g) {
            uint64_t w = bits_get(in, nbytes, &o, &acc, &nb, g * bw);
            for (unsigned k = 0; k < g; k++)
                x[i + k] = (w >> (k * bw)) & m;
        }
    for (; i < n; i++)
        x[i] = bits_get(in, nbytes, &o, &acc, &nb, bw);
}

/* see chan.h */
void
sr_chan_send_packed(sr_chan *c, const uint64_t *x, size_t n, unsigned bw)
{
    size_t len = sr_packed_bytes(n, bw);
    if (len == 0 || c->err != SR_OK)
        return;
    uint8_t *tmp = malloc(len);
    if (tmp == NULL) {
        sr_chan_fail(c, SR_ENOMEM);
        return;
    }
    sr_pack(tmp, x, n, bw);
    sr_chan_send(c, tmp, len);
    free(tmp);
}

/* see chan.h */
void
sr_chan_recv_packed(sr_chan *c, uint64_t *x, size_t n, unsigned bw)
{
    size_t len = sr_packed_bytes(n, bw);
    if (len == 0)
        return;
    uint8_t *tmp = malloc(len);
    if (tmp == NULL) {
        sr_chan_fail(c, SR_ENOMEM);
        memset(x, 0, n * sizeof *x);
        return;
    }
    sr_chan_recv(c, tmp, len);
    sr_unpack(x, tmp, n, bw);
    free(tmp);
}

/* see chan.h */
void
sr_chan_send_bits(sr_chan *c, const uint8_t *b, size_t n)
{
    size_t len = sr_ceil_div(n, 8);
    if (len == 0 || c->err != SR_OK)
        return;
    uint8_t *tmp = calloc(len, 1);
    if (tmp == NULL) {
        sr_chan_fail(c, SR_ENOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i >> 3] |= (uint8_t)((b[i] & 1) << (i & 7));
    sr_chan_send(c, tmp, len);
    free(tmp);
}

/* see chan.h */
void
sr_chan_recv_bits(sr_chan *c, uint8_t *b, size_t n)
{
    size_t len = sr_ceil_div(n, 8);
    if (len == 0)
        return;
    uint8_t *tmp = malloc(len);
    if (tmp == NULL) {
        sr_chan_fail(c, SR_ENOMEM);
        memset(b, 0, n);
        return;
    }
    sr_chan_recv(c, tmp, len);
    for (size_t i = 0; i < n; i++)
        b[i] = (tmp[i >> 3] >> (i & 7)) & 1;
    free(tmp);
}

/* see chan.h */
sr_chan_stats
sr_chan_stats_diff(sr_chan_stats a, sr_chan_stats b)
{
    sr_chan_stats d;
    d.bytes_sent = a.bytes_sent - b.bytes_sent;
    d.bytes_recv = a.bytes_recv - b.bytes_recv;
    d.rounds = a.rounds - b.rounds;
    d.wire_sent = a.wire_sent - b.wire_sent;
    d.wire_recv = a.wire_recv - b.wire_recv;
    return d;
}
