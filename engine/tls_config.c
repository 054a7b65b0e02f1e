/*
 * engine/tls_config.c -- the TLS configuration (see tls.h): the SSL_CTX
 * both modes share, the external PSK (key file, callbacks) and the
 * certificate mode's files.  The per-lane transport is in engine/tls.c.
 */
#include "engine/tls.h"

#include "engine/tls_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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
    cfg->bio = sr_tls_bio_method_new();
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
            sr_tls_errf(err, errlen, "sirnn: %s: cannot read: %s", path,
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
                sr_tls_errf(err, errlen,
                     "sirnn: %s: PSK has a non-hex character at offset %zu",
                     path, blank_at);
                rc = SR_EUSAGE;
                goto out;
            } else if (state == 1) {
                int v = hexval(ch);
                if (v < 0 && off == 1 && first == '0' &&
                    (ch == 'x' || ch == 'X')) {
                    sr_tls_errf(err, errlen,
                         "sirnn: %s: PSK must be hex digits without a 0x "
                         "prefix", path);
                    rc = SR_EUSAGE;
                    goto out;
                }
                if (v < 0) {
                    sr_tls_errf(err, errlen,
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
        sr_tls_errf(err, errlen,
                    "sirnn: %s: PSK too %s: %zu hex digits, need %d to "
                    "%d",
                    path, ndig < 2 * SR_TLS_PSK_MIN ? "short" : "long", ndig,
                    2 * SR_TLS_PSK_MIN, 2 * SR_TLS_PSK_MAX);
        rc = SR_EUSAGE;
        goto out;
    }
    if (ndig % 2 != 0) {
        sr_tls_errf(err, errlen,
                    "sirnn: %s: PSK has an odd number of hex digits "
                    "(%zu)",
                    path, ndig);
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
        sr_tls_errf(err, errlen, "sirnn: %s: cannot open: %s", path,
             strerror(errno));
        return SR_EUSAGE;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sr_tls_errf(err, errlen, "sirnn: %s: not a regular file", path);
        close(fd);
        return SR_EUSAGE;
    }
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
        sr_tls_errf(err, errlen,
                    "sirnn: %s: readable by group or others; chmod "
                    "600 it",
                    path);
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
            sr_tls_errf(err, errlen, "sirnn: %s: TLS setup failed: %s", path,
                 sr_tls_ossl_reason());
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
        sr_tls_errf(err, errlen, "sirnn: %s: cannot open: %s", path,
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
        sr_tls_errf(err, errlen, "sirnn: tls: setup failed: %s",
                    sr_tls_ossl_reason());
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
        sr_tls_errf(err, errlen, "sirnn: tls: setup failed: %s",
                    sr_tls_ossl_reason());
        return SR_ECRYPTO;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        sr_tls_errf(err, errlen, "sirnn: %s: cannot load certificate: %s", cert,
             sr_tls_ossl_reason());
        return SR_EUSAGE;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
        ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
        sr_tls_errf(err, errlen, "sirnn: %s: cannot load private key: %s", key,
             sr_tls_ossl_reason());
        return SR_EUSAGE;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        sr_tls_errf(err, errlen, "sirnn: %s: private key does not match the "
             "certificate in %s", key, cert);
        return SR_EUSAGE;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        sr_tls_errf(err, errlen, "sirnn: %s: cannot load CA certificates: %s",
                    ca, sr_tls_ossl_reason());
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
