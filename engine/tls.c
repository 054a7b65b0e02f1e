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
 * same buffer and length, which is what OpenSSL requires.
 */
#include "engine/tls.h"

#include "engine/lane.h"

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

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The reason of OpenSSL's latest queued error, for messages. */
static const char *
ossl_reason(void)
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

static BIO_METHOD *
bio_method_new(void)
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

/* ---- configuration ------------------------------------------------------ */

/* An encrypted private key fails to load instead of prompting on a TTY. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

/* The context both modes share: TLS 1.3 only, no tickets, no cache. */
static int
config_new(sr_tls_config *cfg, sr_tls_mode mode)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = mode;
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    cfg->ctx = ctx;
    cfg->bio = bio_method_new();
    if (ctx == NULL || cfg->bio == NULL)
        return SR_ECRYPTO;
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_num_tickets(ctx, 0))
        return SR_ECRYPTO;
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_default_passwd_cb(ctx, no_password);
    return SR_OK;
}

/* A resumption-style session carrying the external PSK. */
static SSL_SESSION *
psk_session(SSL *ssl, const sr_tls_config *cfg)
{
    static const unsigned char aes128gcm[2] = { 0x13, 0x01 };
    const SSL_CIPHER *ci = SSL_CIPHER_find(ssl, aes128gcm);
    SSL_SESSION *s = SSL_SESSION_new();
    if (ci == NULL || s == NULL ||
        !SSL_SESSION_set1_master_key(s, cfg->psk, cfg->psk_len) ||
        !SSL_SESSION_set_cipher(s, ci) ||
        !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}

/* Client side: offer identity "sirnn" (md is NULL, or SHA-256 after a
 * HelloRetryRequest: the only suite we allow uses SHA-256). */
static int
psk_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
           size_t *idlen, SSL_SESSION **sess)
{
    const sr_tls_config *cfg = SSL_get_app_data(ssl);
    *sess = NULL;
    *id = NULL;
    *idlen = 0;
    if (md != NULL && EVP_MD_get_type(md) != NID_sha256)
        return 1;               /* no PSK for another hash */
    *sess = psk_session(ssl, cfg);
    if (*sess == NULL)
        return 0;
    *id = (const unsigned char *)SR_TLS_PSK_IDENTITY;
    *idlen = strlen(SR_TLS_PSK_IDENTITY);
    return 1;
}

/* Server side: only identity "sirnn" is known. */
static int
psk_find_cb(SSL *ssl, const unsigned char *id, size_t idlen,
            SSL_SESSION **sess)
{
    const sr_tls_config *cfg = SSL_get_app_data(ssl);
    *sess = NULL;
    if (idlen != strlen(SR_TLS_PSK_IDENTITY) ||
        memcmp(id, SR_TLS_PSK_IDENTITY, idlen) != 0)
        return 1;               /* unknown identity: no PSK, fails later */
    *sess = psk_session(ssl, cfg);
    return *sess != NULL;
}

/* see tls.h */
int
sr_tls_config_set_psk(sr_tls_config *cfg, const uint8_t *key, size_t len)
{
    SR_REQUIRE(key != NULL && len >= SR_TLS_PSK_MIN && len <= SR_TLS_PSK_MAX);
    int rc = config_new(cfg, SR_TLS_PSK);
    if (rc != SR_OK)
        return rc;
    memcpy(cfg->psk, key, len);
    cfg->psk_len = len;
    if (!SSL_CTX_set_ciphersuites(cfg->ctx, "TLS_AES_128_GCM_SHA256"))
        return SR_ECRYPTO;
    SSL_CTX_set_psk_use_session_callback(cfg->ctx, psk_use_cb);
    SSL_CTX_set_psk_find_session_callback(cfg->ctx, psk_find_cb);
    return SR_OK;
}

static int
is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
           ch == '\v' || ch == '\f';
}

static int
hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * Streams the file through a three-state scanner (leading blanks, digits,
 * trailing blanks), so a file of any size gets the exact digit count.
 * Keeps at most SR_TLS_PSK_MAX * 2 digits.
 */
static int
psk_parse(int fd, const char *path, uint8_t *key, size_t *keylen, char *err,
          size_t errlen)
{
    uint8_t nib[2 * SR_TLS_PSK_MAX];
    unsigned char buf[4096];
    size_t ndig = 0, off = 0, blank_at = 0;
    int state = 0;              /* 0 leading blanks, 1 digits, 2 trailing */
    int first = -1, rc = SR_OK;

    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            errf(err, errlen, "sirnn: %s: cannot read: %s", path,
                 strerror(errno));
            rc = SR_EUSAGE;
            goto out;
        }
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++) {
            int ch = buf[i];
            if (state == 0 && is_blank(ch))
                continue;
            if (state == 0)
                state = 1;
            if (first < 0)
                first = ch;
            if (state == 1 && is_blank(ch)) {
                state = 2;
                blank_at = off;
            } else if (state == 2 && !is_blank(ch)) {
                errf(err, errlen,
                     "sirnn: %s: PSK has a non-hex character at offset %zu",
                     path, blank_at);
                rc = SR_EUSAGE;
                goto out;
            } else if (state == 1) {
                int v = hexval(ch);
                if (v < 0 && off == 1 && first == '0' &&
                    (ch == 'x' || ch == 'X')) {
                    errf(err, errlen,
                         "sirnn: %s: PSK must be hex digits without a 0x "
                         "prefix", path);
                    rc = SR_EUSAGE;
                    goto out;
                }
                if (v < 0) {
                    errf(err, errlen,
                         "sirnn: %s: PSK has a non-hex character at offset "
                         "%zu", path, off);
                    rc = SR_EUSAGE;
                    goto out;
                }
                if (ndig < sizeof nib)
                    nib[ndig] = (uint8_t)v;
                ndig++;
            }
            off++;
        }
    }
    if (ndig < 2 * SR_TLS_PSK_MIN || ndig > 2 * SR_TLS_PSK_MAX) {
        errf(err, errlen, "sirnn: %s: PSK too %s: %zu hex digits, need %d to "
             "%d", path, ndig < 2 * SR_TLS_PSK_MIN ? "short" : "long", ndig,
             2 * SR_TLS_PSK_MIN, 2 * SR_TLS_PSK_MAX);
        rc = SR_EUSAGE;
        goto out;
    }
    if (ndig % 2 != 0) {
        errf(err, errlen, "sirnn: %s: PSK has an odd number of hex digits "
             "(%zu)", path, ndig);
        rc = SR_EUSAGE;
        goto out;
    }
    for (size_t i = 0; i < ndig / 2; i++)
        key[i] = (uint8_t)(nib[2 * i] << 4 | nib[2 * i + 1]);
    *keylen = ndig / 2;
out:
    OPENSSL_cleanse(nib, sizeof nib);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* see tls.h */
int
sr_tls_config_load_psk(sr_tls_config *cfg, const char *path, char *err,
                       size_t errlen)
{
    SR_REQUIRE(cfg != NULL && path != NULL);
    memset(cfg, 0, sizeof *cfg);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        errf(err, errlen, "sirnn: %s: cannot open: %s", path,
             strerror(errno));
        return SR_EUSAGE;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        errf(err, errlen, "sirnn: %s: not a regular file", path);
        close(fd);
        return SR_EUSAGE;
    }
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
        errf(err, errlen, "sirnn: %s: readable by group or others; chmod "
             "600 it", path);
        close(fd);
        return SR_EUSAGE;
    }
    uint8_t key[SR_TLS_PSK_MAX];
    size_t len = 0;
    int rc = psk_parse(fd, path, key, &len, err, errlen);
    close(fd);
    if (rc == SR_OK) {
        rc = sr_tls_config_set_psk(cfg, key, len);
        if (rc != SR_OK)
            errf(err, errlen, "sirnn: %s: TLS setup failed: %s", path,
                 ossl_reason());
    }
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* A file we cannot open gets strerror, not OpenSSL's wording. */
static int
check_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        errf(err, errlen, "sirnn: %s: cannot open: %s", path,
             strerror(errno));
        return SR_EUSAGE;
    }
    close(fd);
    return SR_OK;
}

/* see tls.h */
int
sr_tls_config_load_cert(sr_tls_config *cfg, const char *cert,
                        const char *key, const char *ca, char *err,
                        size_t errlen)
{
    SR_REQUIRE(cfg != NULL && cert != NULL && key != NULL && ca != NULL);
    int rc = config_new(cfg, SR_TLS_CERT);
    if (rc != SR_OK) {
        errf(err, errlen, "sirnn: tls: setup failed: %s", ossl_reason());
        return rc;
    }
    if ((rc = check_open(cert, err, errlen)) != SR_OK ||
        (rc = check_open(key, err, errlen)) != SR_OK ||
        (rc = check_open(ca, err, errlen)) != SR_OK)
        return rc;
    SSL_CTX *ctx = cfg->ctx;
    ERR_clear_error();
    /* AES-128-GCM first, as in PSK mode (128-bit level, like the OTs). */
    if (!SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
                                       "TLS_AES_256_GCM_SHA384:"
                                       "TLS_CHACHA20_POLY1305_SHA256")) {
        errf(err, errlen, "sirnn: tls: setup failed: %s", ossl_reason());
        return SR_ECRYPTO;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        errf(err, errlen, "sirnn: %s: cannot load certificate: %s", cert,
             ossl_reason());
        return SR_EUSAGE;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
        ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
        errf(err, errlen, "sirnn: %s: cannot load private key: %s", key,
             ossl_reason());
        return SR_EUSAGE;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        errf(err, errlen, "sirnn: %s: private key does not match the "
             "certificate in %s", key, cert);
        return SR_EUSAGE;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        errf(err, errlen, "sirnn: %s: cannot load CA certificates: %s", ca,
             ossl_reason());
        return SR_EUSAGE;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    ERR_clear_error();
    return SR_OK;
}

/* see tls.h */
void
sr_tls_config_clear(sr_tls_config *cfg)
{
    if (cfg == NULL)
        return;
    SSL_CTX_free(cfg->ctx);     /* NULL is a no-op */
    BIO_meth_free(cfg->bio);
    OPENSSL_cleanse(cfg, sizeof *cfg);
    cfg->ctx = NULL;
    cfg->bio = NULL;
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
        errf(t->err, sizeof t->err, "sirnn: tls: connection %u: peer closed "
             "the connection during the %s", k, stage);
        return SR_EPEER;
    }
    if (e == SSL_ERROR_SYSCALL) {
        errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s: %s", k,
             stage, strerror(sv));
        return SR_EIO;
    }
    /* OpenSSL files a received alert under reason SSL_AD_REASON_OFFSET +
     * the alert code ("tlsv1 alert decrypt error"). */
    int alert = ERR_GET_REASON(ERR_peek_last_error()) >= SSL_AD_REASON_OFFSET;
    const char *hint = cfg->mode == SR_TLS_PSK
                           ? " (do both parties use the same PSK?)" : "";
    long vr = SSL_get_verify_result(cn->ssl);
    if (cfg->mode == SR_TLS_CERT && vr != X509_V_OK)
        errf(t->err, sizeof t->err, "sirnn: tls: connection %u: peer "
             "certificate refused: %s", k, X509_verify_cert_error_string(vr));
    else if (alert)
        errf(t->err, sizeof t->err, "sirnn: tls: connection %u: refused by "
             "the peer during the %s: %s%s", k, stage, ossl_reason(), hint);
    else
        errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s failed: "
             "%s%s", k, stage, ossl_reason(), hint);
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
                errf(t->err, sizeof t->err, "sirnn: tls: connection %u: "
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
            errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s", k,
                 strerror(errno));
            return SR_EIO;
        }
        cn->ssl = SSL_new(cfg->ctx);
        BIO *b = BIO_new(cfg->bio);
        if (cn->ssl == NULL || b == NULL) {
            BIO_free(b);
            errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s", k,
                 ossl_reason());
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
            errf(t->err, sizeof t->err, "sirnn: tls: connection %u: no "
                 "TLS handshake with the peer within %d ms", k, timeout_ms);
            rc = SR_ETIMEOUT;
            break;
        }
        if (pr < 0 && errno != EINTR) {
            errf(t->err, sizeof t->err, "sirnn: tls: poll: %s",
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

/* ---- the channel hooks ---------------------------------------------------- */

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
        errf(t->err, sizeof t->err, "sirnn: tls: connection %u: %s", k,
             ossl_reason());
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
