/*
 * engine/tls.c -- TLS 1.3 sessions under the channel (see tls.h).
 *
 * Each connection gets one SSL object whose BIO is ours (bio_*): it moves
 * bytes with send(MSG_NOSIGNAL)/recv on the non-blocking socket, so a
 * vanished peer is an error and never a SIGPIPE, and it counts every byte,
 * which is how wire_sent/wire_recv come to count TLS records.  The hooks
 * (tls_read/tls_write) turn SSL's WANT_READ/WANT_WRITE into errno EAGAIN,
 * which the channel answers by polling the socket; SSL_MODE_ENABLE_PARTIAL_
 * WRITE makes SSL_write return after each record, like send(2) returning
 * a short count, and the channel always retries a blocked write with the
 * same buffer and length, which is what OpenSSL requires.  The key files
 * and the SSL_CTX (sr_tls_config_*) are in engine/tls_config.c.
 */
#include "engine/tls.h"

#include "engine/lane.h"
#include "engine/tls_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CONFIRM_BYTE 0xa5       /* the post-handshake confirmation */

/* see tls_internal.h */
void
sr_tls_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* see tls_internal.h */
const char *
sr_tls_ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
    return r != NULL ? r : "unknown OpenSSL error";
}

/* ---- the counting socket BIO ------------------------------------------ */

static int
bio_write(BIO *b, const char *buf, size_t len, size_t *written)
{
    sr_tls_conn *cn = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t w = send(cn->fd, buf, len, MSG_NOSIGNAL);
    if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            BIO_set_retry_write(b);
        return 0;
    }
    cn->wire_out += (uint64_t)w;
    *written = (size_t)w;
    return 1;
}

static int
bio_read(BIO *b, char *buf, size_t len, size_t *readbytes)
{
    sr_tls_conn *cn = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t r = recv(cn->fd, buf, len, 0);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            BIO_set_retry_read(b);
        return 0;
    }
    if (r == 0) {
        cn->eof = 1;            /* BIO_eof() tells SSL it was a clean EOF */
        return 0;
    }
    cn->wire_in += (uint64_t)r;
    *readbytes = (size_t)r;
    return 1;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    sr_tls_conn *cn = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;               /* nothing is buffered here */
    case BIO_CTRL_EOF:
        return cn != NULL && cn->eof;
    default:
        return 0;
    }
}

static int
bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int
bio_destroy(BIO *b)
{
    (void)b;                    /* the socket belongs to the channel */
    return 1;
}

/* see tls_internal.h */
BIO_METHOD *
sr_tls_bio_method_new(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "sirnn socket");
    if (m == NULL)
        return NULL;
    if (!BIO_meth_set_write_ex(m, bio_write) ||
        !BIO_meth_set_read_ex(m, bio_read) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
        !BIO_meth_set_create(m, bio_create) ||
        !BIO_meth_set_destroy(m, bio_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

/* ---- handshakes ---------------------------------------------------------- */

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/*
 * Classifies a failed SSL call on connection k (e = SSL_get_error, sv =
 * errno right after the call) and writes the message.
 */
static int
wrap_fail(sr_tls *t, const sr_tls_config *cfg, unsigned k, int e, int sv,
          const char *stage)
{
    sr_tls_conn *cn = &t->conn[k];
    if (e == SSL_ERROR_ZERO_RETURN ||
        (e == SSL_ERROR_SYSCALL && (cn->eof || sv == EPIPE ||
                                    sv == ECONNRESET || sv == 0))) {
        sr_tls_errf(t->err, sizeof t->err,
                    "sirnn: tls: connection %u: peer closed "
                    "the connection during the %s",
                    k, stage);
        return SR_EPEER;
    }
    if (e == SSL_ERROR_SYSCALL) {
        sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s: %s",
                    k, stage, strerror(sv));
        return SR_EIO;
    }
    /* OpenSSL files a received alert under reason SSL_AD_REASON_OFFSET +
     * the alert code ("tlsv1 alert decrypt error"). */
    int alert = ERR_GET_REASON(ERR_peek_last_error()) >= SSL_AD_REASON_OFFSET;
    const char *hint = cfg->mode == SR_TLS_PSK
                           ? " (do both parties use the same PSK?)" : "";
    long vr = SSL_get_verify_result(cn->ssl);
    if (cfg->mode == SR_TLS_CERT && vr != X509_V_OK)
        sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: peer "
             "certificate refused: %s", k, X509_verify_cert_error_string(vr));
    else if (alert)
        sr_tls_errf(t->err, sizeof t->err,
                    "sirnn: tls: connection %u: refused by "
                    "the peer during the %s: %s%s",
                    k, stage, sr_tls_ossl_reason(), hint);
    else
        sr_tls_errf(t->err, sizeof t->err,
                    "sirnn: tls: connection %u: %s failed: "
                    "%s%s",
                    k, stage, sr_tls_ossl_reason(), hint);
    return SR_ECRYPTO;
}

/*
 * Advances connection k as far as it goes without blocking: handshake
 * (state 0), confirmation byte out (1), confirmation byte in (2), done (3).
 * Returns SR_OK with *want the poll events it waits for (0 when done).
 */
static int
wrap_step(sr_tls *t, const sr_tls_config *cfg, unsigned k, int *state,
          short *want)
{
    SSL *ssl = t->conn[k].ssl;
    static const unsigned char confirm = CONFIRM_BYTE;
    *want = 0;
    while (*state < 3) {
        ERR_clear_error();
        int r;
        size_t n = 0;
        unsigned char got = 0;
        const char *stage = "handshake";
        if (*state == 0) {
            r = SSL_do_handshake(ssl);
        } else if (*state == 1) {
            r = SSL_write_ex(ssl, &confirm, 1, &n);
            stage = "confirmation";
        } else {
            r = SSL_read_ex(ssl, &got, 1, &n);
            stage = "confirmation";
        }
        int sv = errno;
        if (r == 1) {
            if (*state == 2 && got != CONFIRM_BYTE) {
                sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: "
                     "bad confirmation byte", k);
                return SR_ECHECK;
            }
            (*state)++;
            continue;
        }
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_WANT_READ) {
            *want = POLLIN;
            return SR_OK;
        }
        if (e == SSL_ERROR_WANT_WRITE) {
            *want = POLLOUT;
            return SR_OK;
        }
        return wrap_fail(t, cfg, k, e, sv, stage);
    }
    return SR_OK;
}

/*
 * After a failed wrap: end our half of every connection (FIN after the
 * alert OpenSSL sent) and read until the peer ends its half, for at most a
 * second.  Closing a TCP socket with unread bytes sends a reset, which
 * makes the peer's kernel drop our alert unread; this way the peer reads
 * the alert and fails with its reason.
 */
static void
linger_close(sr_tls *t, double deadline)
{
    double end = now_ms() + 1000;
    if (end > deadline)
        end = deadline;
    int open[SR_CHAN_MAX_CONNS];
    for (unsigned k = 0; k < t->nconn; k++) {
        shutdown(t->conn[k].fd, SHUT_WR);
        open[k] = 1;
    }
    for (;;) {
        struct pollfd pfd[SR_CHAN_MAX_CONNS];
        nfds_t np = 0;
        for (unsigned k = 0; k < t->nconn; k++) {
            unsigned char junk[4096];
            while (open[k]) {
                ssize_t r = recv(t->conn[k].fd, junk, sizeof junk, 0);
                if (r > 0)
                    continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                              errno == EINTR))
                    break;
                open[k] = 0;            /* EOF or error: done */
            }
            if (!open[k])
                continue;
            pfd[np].fd = t->conn[k].fd;
            pfd[np].events = POLLIN;
            pfd[np].revents = 0;
            np++;
        }
        double left = end - now_ms();
        if (np == 0 || left <= 0)
            return;
        if (poll(pfd, np, (int)left + 1) == 0)
            return;
    }
}

/* see tls.h */
int
sr_tls_wrap(sr_tls *t, const sr_tls_config *cfg, int is_server,
            const int *fds, unsigned nconn, int timeout_ms)
{
    SR_REQUIRE(t != NULL && cfg != NULL && fds != NULL);
    SR_REQUIRE(cfg->ctx != NULL && cfg->bio != NULL);
    SR_REQUIRE(nconn >= 1 && nconn <= SR_CHAN_MAX_CONNS);
    memset(t, 0, sizeof *t);
    t->nconn = nconn;
    for (unsigned k = 0; k < nconn; k++)
        t->conn[k].fd = fds[k];
    if (timeout_ms <= 0)
        timeout_ms = 60000;
    double deadline = now_ms() + timeout_ms;

    for (unsigned k = 0; k < nconn; k++) {
        sr_tls_conn *cn = &t->conn[k];
        int fl = fcntl(cn->fd, F_GETFL);
        if (fl < 0 || fcntl(cn->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
            sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s",
                        k, strerror(errno));
            return SR_EIO;
        }
        cn->ssl = SSL_new(cfg->ctx);
        BIO *b = BIO_new(cfg->bio);
        if (cn->ssl == NULL || b == NULL) {
            BIO_free(b);
            sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s",
                        k, sr_tls_ossl_reason());
            return SR_ENOMEM;
        }
        BIO_set_data(b, cn);
        SSL_set_bio(cn->ssl, b, b);         /* one reference, owned by ssl */
        SSL_set_app_data(cn->ssl, (void *)(uintptr_t)cfg);
        if (is_server)
            SSL_set_accept_state(cn->ssl);
        else
            SSL_set_connect_state(cn->ssl);
    }

    /*
     * A connection that merely sees EOF (state 4) lets the others go on:
     * a peer that refused us on connection 0 sends its alert there and
     * ends the others silently, and the alert is the message to report.
     */
    int state[SR_CHAN_MAX_CONNS] = { 0 };
    struct pollfd pfd[SR_CHAN_MAX_CONNS];
    char eof_err[SR_TLS_ERRLEN] = "";
    int rc = SR_OK;
    for (;;) {
        nfds_t np = 0;
        for (unsigned k = 0; k < nconn; k++) {
            short want = 0;
            if (state[k] == 4)
                continue;
            rc = wrap_step(t, cfg, k, &state[k], &want);
            if (rc == SR_EPEER) {
                state[k] = 4;
                if (eof_err[0] == '\0')
                    memcpy(eof_err, t->err, sizeof eof_err);
                continue;
            }
            if (rc != SR_OK)
                goto out;
            if (want == 0)
                continue;
            pfd[np].fd = t->conn[k].fd;
            pfd[np].events = want;
            pfd[np].revents = 0;
            np++;
        }
        rc = SR_OK;
        if (np == 0)
            break;
        double left = deadline - now_ms();
        int pr = left > 0 ? poll(pfd, np, (int)left + 1) : 0;
        if (pr == 0 || now_ms() >= deadline) {
            unsigned k = 0;
            while (k < nconn && state[k] == 3)
                k++;
            sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: no "
                 "TLS handshake with the peer within %d ms", k, timeout_ms);
            rc = SR_ETIMEOUT;
            break;
        }
        if (pr < 0 && errno != EINTR) {
            sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: poll: %s",
                 strerror(errno));
            rc = SR_EIO;
            goto out;
        }
    }
    if (eof_err[0] != '\0') {          /* EOF beats our own timeout */
        memcpy(t->err, eof_err, sizeof eof_err);
        rc = SR_EPEER;
    }
out:
    if (rc != SR_OK)
        linger_close(t, deadline);
    for (unsigned k = 0; k < nconn; k++) {
        t->hs_sent += t->conn[k].wire_out;
        t->hs_recv += t->conn[k].wire_in;
    }
    ERR_clear_error();
    return rc;
}

/* ---- the channel hooks ----------------------------------------------------
 */

/*
 * Adds to the bound channel's wire counters the TLS bytes this call moved
 * beyond the plaintext it reports (which the channel counts itself).
 * Unsigned wrap-around is intended: a call that finishes a record begun by
 * an earlier, blocked call moves fewer TLS bytes than plaintext, and the
 * running sums stay exact.
 */
static void
account(sr_tls *t, const sr_tls_conn *cn, uint64_t out0, uint64_t in0,
        uint64_t plain_out, uint64_t plain_in)
{
    if (t->chan == NULL)
        return;
    t->chan->st.wire_sent += (cn->wire_out - out0) - plain_out;
    t->chan->st.wire_recv += (cn->wire_in - in0) - plain_in;
}

/* The send/recv convention for a failed SSL call: -1 and errno, or 0. */
static long
hook_fail(sr_tls *t, unsigned k, int e, int sv, int reading)
{
    sr_tls_conn *cn = &t->conn[k];
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        if (reading)
            return 0;
        errno = EPIPE;
        return -1;
    case SSL_ERROR_SYSCALL:
        if (cn->eof || sv == 0) {
            if (reading)
                return 0;
            sv = EPIPE;
        }
        errno = sv;
        return -1;
    default:
        sr_tls_errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s", k,
             sr_tls_ossl_reason());
        errno = EPROTO;
        return -1;
    }
}

static long
tls_write(void *ctx, unsigned k, const void *buf, size_t len)
{
    sr_tls *t = ctx;
    SR_REQUIRE(k < t->nconn);
    sr_tls_conn *cn = &t->conn[k];
    uint64_t out0 = cn->wire_out, in0 = cn->wire_in;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(cn->ssl, buf, len, &n);
    int sv = errno;
    account(t, cn, out0, in0, r == 1 ? n : 0, 0);
    if (r == 1)
        return (long)n;
    return hook_fail(t, k, SSL_get_error(cn->ssl, r), sv, 0);
}

static long
tls_read(void *ctx, unsigned k, void *buf, size_t len)
{
    sr_tls *t = ctx;
    SR_REQUIRE(k < t->nconn);
    sr_tls_conn *cn = &t->conn[k];
    uint64_t out0 = cn->wire_out, in0 = cn->wire_in;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(cn->ssl, buf, len, &n);
    int sv = errno;
    account(t, cn, out0, in0, 0, r == 1 ? n : 0);
    if (r == 1)
        return (long)n;
    return hook_fail(t, k, SSL_get_error(cn->ssl, r), sv, 1);
}

/* Moves exactly len bytes on connection k, polling; see tls.h. */
static int
io_all(sr_tls *t, unsigned k, uint8_t *buf, size_t len, int timeout_ms,
       int writing)
{
    SR_REQUIRE(t != NULL && k < t->nconn && (buf != NULL || len == 0));
    sr_tls_conn *cn = &t->conn[k];
    double deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 60000);
    size_t done = 0;
    while (done < len) {
        size_t n = 0;
        ERR_clear_error();
        int r = writing ? SSL_write_ex(cn->ssl, buf + done, len - done, &n)
                        : SSL_read_ex(cn->ssl, buf + done, len - done, &n);
        int sv = errno;
        if (r == 1) {
            done += n;
            continue;
        }
        int e = SSL_get_error(cn->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            long h = hook_fail(t, k, e, sv, !writing);
            if (h == 0 || errno == EPIPE || errno == ECONNRESET)
                return SR_EPEER;
            return errno == EPROTO ? SR_ECRYPTO : SR_EIO;
        }
        struct pollfd p = { .fd = cn->fd, .revents = 0,
                            .events = e == SSL_ERROR_WANT_READ ? POLLIN
                                                               : POLLOUT };
        double left = deadline - now_ms();
        int pr = left > 0 ? poll(&p, 1, (int)left + 1) : 0;
        if (pr == 0)
            return SR_ETIMEOUT;
        if (pr < 0 && errno != EINTR)
            return SR_EIO;
    }
    return SR_OK;
}

/* see tls.h */
int
sr_tls_send_all(sr_tls *t, unsigned k, const void *buf, size_t len,
                int timeout_ms)
{
    return io_all(t, k, (uint8_t *)(uintptr_t)buf, len, timeout_ms, 1);
}

/* see tls.h */
int
sr_tls_recv_all(sr_tls *t, unsigned k, void *buf, size_t len, int timeout_ms)
{
    return io_all(t, k, buf, len, timeout_ms, 0);
}

/* see tls.h */
const sr_chan_io *
sr_tls_io(sr_tls *t, sr_chan *c)
{
    SR_REQUIRE(t != NULL && t->nconn >= 1);
    t->chan = c;
    t->io.read = tls_read;
    t->io.write = tls_write;
    t->io.ctx = t;
    return &t->io;
}

/* see tls.h */
int
sr_tls_lane_init(sr_lane *L, sr_tls *t, const sr_tls_config *cfg,
                 sr_partyid party, unsigned id, const int *fds,
                 unsigned nconn, const sr_lane_opts *opts)
{
    sr_lane_opts lo = { 0 };
    if (opts != NULL)
        lo = *opts;
    memset(L, 0, sizeof *L);
    int rc = sr_tls_wrap(t, cfg, party == SR_SERVER, fds, nconn,
                         lo.timeout_ms);
    if (rc != SR_OK) {
        for (unsigned k = 0; k < nconn; k++)
            close(fds[k]);
        return rc;
    }
    lo.io = sr_tls_io(t, &L->chan);
    return sr_lane_init(L, party, id, fds, nconn, &lo);
}

/* see tls.h */
void
sr_tls_clear(sr_tls *t)
{
    if (t == NULL)
        return;
    for (unsigned k = 0; k < t->nconn && k < SR_CHAN_MAX_CONNS; k++) {
        SSL_free(t->conn[k].ssl);   /* frees the BIO; sends nothing */
        t->conn[k].ssl = NULL;
    }
    t->nconn = 0;
    t->chan = NULL;
}
