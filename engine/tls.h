/*
 * engine/tls.h -- optional TLS 1.3 (OpenSSL) under a lane's channel
 * (DESIGN.md s3, docs/security.md).
 *
 * Two objects:
 *
 *  - sr_tls_config, one per process: the mode and its secrets, loaded and
 *    validated once from the files the user named (--tls-psk FILE, or
 *    --tls-cert/--tls-key/--tls-ca), holding one OpenSSL SSL_CTX that every
 *    lane of the process shares (OpenSSL makes SSL_new on a shared context
 *    thread-safe).  Load errors are SR_EUSAGE with a one-line message
 *    "sirnn: <file>: <what>" in err.
 *
 *  - sr_tls, one per lane: one TLS session per connection of the lane,
 *    and the sr_chan_io hooks that carry the channel's bytes through them.
 *
 * Modes:
 *  PSK   TLS 1.3 external PSK, identity "sirnn", cipher suite
 *        TLS_AES_128_GCM_SHA256, (EC)DHE key exchange on top of the PSK
 *        (psk_dhe_ke: forward secrecy).  Both parties load the same key.
 *  CERT  mutual authentication: each party presents its certificate and
 *        key and verifies the peer's chain against the CA file.  Any
 *        certificate the CA signed is accepted (no host-name check), so
 *        the CA should be dedicated to the deployment.  Cipher suites
 *        TLS_AES_128_GCM_SHA256 (preferred), then AES-256-GCM and
 *        ChaCha20-Poly1305 (all with 22 bytes of overhead per record).
 *  Both: TLS 1.3 only, no session tickets or resumption: every connection
 *        runs a full handshake with a fresh X25519 (or other ECDHE) key.
 *
 * Order of calls on one lane (the transport must be TLS from the first
 * channel byte, since sr_lane_init already exchanges seeds):
 *
 *     int fds[C];                         connected sockets
 *     sr_tls t;
 *     rc = sr_tls_wrap(&t, &cfg, is_server, fds, C, timeout_ms);
 *                                         handshakes on all C connections
 *     sr_lane_opts lo = { .timeout_ms = ..., .io = sr_tls_io(&t, &L->chan) };
 *     rc = sr_lane_init(L, party, id, fds, C, &lo);
 *     ... protocols ...
 *     sr_lane_clear(L);                   closes the sockets
 *     sr_tls_clear(&t);                   frees the sessions
 *
 * sr_tls_lane_init does the first three steps in one call.  Each lane
 * needs its own sr_tls and so its own sr_lane_opts.io.  The rendezvous
 * connection is wrapped the same way (nconn = 1) right after connect/
 * accept, before the hello, which then goes through sr_tls_send_all/
 * sr_tls_recv_all: no protocol byte leaves before the peer is
 * authenticated.
 *
 * Errors after the wrap: a TLS failure under the channel (a tampered or
 * forged record, an alert) makes the channel fail with SR_EIO (SR_EPEER
 * for a closed connection); t->err then holds OpenSSL's reason.
 *
 * sr_tls_wrap may run on blocking or non-blocking sockets: it switches
 * them to non-blocking mode itself (sr_chan_init does the same) and
 * drives all C handshakes at once with poll(2).  It does not take
 * ownership of the sockets.  A failure in any handshake fails the wrap;
 * the caller closes the sockets (or shuts them down) so the peer sees EOF.
 *
 * Counting.  The hooks return plaintext byte counts, so the channel's
 * payload counters (bytes_sent/bytes_recv) stay protocol payload only.
 * Every byte that crosses a socket goes through a small BIO of ours that
 * counts it; after each hook call the hook adds the difference between the
 * TLS bytes moved and the plaintext it reports into the channel's
 * wire_sent/wire_recv, so that those count TLS records exactly (header,
 * content type and tag: 22 bytes per record of at most 16384 payload
 * bytes with AES-GCM).  The handshakes are not in the channel's counters:
 * they are in sr_tls.hs_sent/hs_recv (setup traffic).
 *
 * The handshakes end with a confirmation: each side sends one encrypted
 * byte and reads the peer's.  In TLS 1.3 a client finishes its handshake
 * before the server has checked the client's certificate; the
 * confirmation makes a refused peer fail inside sr_tls_wrap on both sides
 * (SR_ECRYPTO with a message), not later in the first protocol read.
 */
#ifndef SR_ENGINE_TLS_H
#define SR_ENGINE_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/chan.h"
#include "engine/common.h"

#define SR_TLS_PSK_MIN 16              /* bytes: 32 hex digits */
#define SR_TLS_PSK_MAX 64              /* bytes: 128 hex digits */
#define SR_TLS_PSK_IDENTITY "sirnn"
#define SR_TLS_ERRLEN 256              /* a good size for err buffers */

typedef enum { SR_TLS_OFF = 0, SR_TLS_PSK = 1, SR_TLS_CERT = 2 } sr_tls_mode;

struct ssl_ctx_st;                     /* OpenSSL's SSL_CTX */
struct ssl_st;                         /* OpenSSL's SSL */
struct bio_method_st;                  /* OpenSSL's BIO_METHOD */

typedef struct sr_tls_config {
    sr_tls_mode mode;
    uint8_t psk[SR_TLS_PSK_MAX];       /* PSK mode: the key */
    size_t psk_len;
    struct ssl_ctx_st *ctx;            /* built by the load functions */
    struct bio_method_st *bio;         /* our counting socket BIO */
} sr_tls_config;

/*
 * PSK mode from a key file: hex text, an even number of 32 to 128 hex
 * digits, either case, no "0x", white space around it ignored (inside it,
 * none).  The file must be a regular file not readable by group or
 * others.  On failure returns SR_EUSAGE (SR_ENOMEM, SR_ECRYPTO if OpenSSL
 * fails) and writes one line without a newline to err (errlen > 0), one of
 *   sirnn: FILE: cannot open: <strerror>
 *   sirnn: FILE: not a regular file
 *   sirnn: FILE: readable by group or others; chmod 600 it
 *   sirnn: FILE: PSK must be hex digits without a 0x prefix
 *   sirnn: FILE: PSK has a non-hex character at offset N
 *   sirnn: FILE: PSK too short: N hex digits, need 32 to 128
 *   sirnn: FILE: PSK too long: N hex digits, need 32 to 128
 *   sirnn: FILE: PSK has an odd number of hex digits (N)
 * (checked in this order; N counts from the first non-blank character).
 * cfg is overwritten; sr_tls_config_clear it afterwards, also on failure.
 */
SR_NODISCARD int sr_tls_config_load_psk(sr_tls_config *cfg, const char *path,
                                        char *err, size_t errlen);

/*
 * PSK mode from key bytes already in memory (16 to 64 bytes).  For
 * programs and tests that do not read a file.
 */
SR_NODISCARD int sr_tls_config_set_psk(sr_tls_config *cfg, const uint8_t *key,
                                       size_t len);

/*
 * Certificate mode: cert (PEM, leaf first, chain allowed), its private key
 * (PEM) and the CA (PEM) both parties verify against.  On failure returns
 * SR_EUSAGE and writes "sirnn: FILE: cannot load <what>: <OpenSSL reason>"
 * (or "sirnn: FILE: private key does not match the certificate in CERT").
 */
SR_NODISCARD int sr_tls_config_load_cert(sr_tls_config *cfg, const char *cert,
                                         const char *key, const char *ca,
                                         char *err, size_t errlen);

/* Frees the context and wipes the key; idempotent; safe on a zeroed or
 * failed config. */
void sr_tls_config_clear(sr_tls_config *cfg);

/* One connection of a lane. */
typedef struct sr_tls_conn {
    struct ssl_st *ssl;
    int fd;
    uint64_t wire_out;                 /* TLS bytes written to fd */
    uint64_t wire_in;                  /* TLS bytes read from fd */
    int eof;                           /* the peer closed its end */
} sr_tls_conn;

typedef struct sr_tls {
    unsigned nconn;
    sr_tls_conn conn[SR_CHAN_MAX_CONNS];
    sr_chan *chan;                     /* bound by sr_tls_io, or NULL */
    sr_chan_io io;
    uint64_t hs_sent, hs_recv;         /* handshake + confirmation bytes */
    char err[SR_TLS_ERRLEN];           /* message of the last failure */
} sr_tls;

/*
 * Runs the TLS handshakes (is_server: this side accepts) on nconn
 * connected sockets, then the confirmation.  Connection k of one side
 * must be connection k of the other.  The whole wrap is bounded by
 * timeout_ms (<= 0: 60000).  Returns SR_OK, or
 *   SR_ECRYPTO   the peer was refused or refused us (wrong PSK, a
 *                certificate the CA did not sign, not TLS at all),
 *   SR_EPEER     the peer closed a connection without saying why,
 *   SR_ETIMEOUT  the deadline passed,
 *   SR_EIO / SR_ENOMEM,
 * and then t->err holds a one-line message (no newline), one of
 *   sirnn: tls: connection K: handshake failed: <OpenSSL reason>[ hint]
 *   sirnn: tls: connection K: refused by the peer during the handshake:
 *          <alert received>[ hint]        (or "during the confirmation")
 *   sirnn: tls: connection K: peer certificate refused: <verify error>
 *   sirnn: tls: connection K: peer closed the connection during the ...
 *   sirnn: tls: connection K: no TLS handshake with the peer within N ms
 * where the hint, in PSK mode, is " (do both parties use the same PSK?)".
 * When one connection only sees EOF, the others are still driven, so the
 * reported error is the alert on the connection where the peer refused.
 * After a failure the sockets are half-closed (shutdown SHUT_WR) and
 * drained for at most a second, so that the peer reads our TLS alert
 * rather than a TCP reset; the caller then closes them.
 * t needs no init; call sr_tls_clear afterwards in every case.  t must not
 * move in memory after the wrap (the BIOs point into it); cfg must
 * outlive t.  Safe to call from several threads at once with one cfg.
 */
SR_NODISCARD int sr_tls_wrap(sr_tls *t, const sr_tls_config *cfg,
                             int is_server, const int *fds, unsigned nconn,
                             int timeout_ms);

/*
 * The hooks to install as c->io (through sr_lane_opts.io, or directly
 * after sr_chan_init on the same sockets, in the same order).  Binds t to
 * c so that c->st.wire_* count TLS records; c may be NULL (then wire_*
 * count plaintext).  c may be an sr_chan not yet initialised: only its
 * address is kept.  Valid until sr_tls_clear.
 */
const sr_chan_io *sr_tls_io(sr_tls *t, sr_chan *c);

/*
 * One call per lane: sr_tls_wrap (is_server = the party is the server),
 * then sr_lane_init with opts (may be NULL) and the hooks as opts->io.
 * The sockets pass to the lane even on failure, as with sr_lane_init: a
 * failed wrap closes them.  Returns the first error; a TLS failure leaves
 * its message in t->err.  On success clear the lane first, then t:
 *     sr_lane_clear(L); sr_tls_clear(t);
 * On failure the lane is cleared already; call sr_tls_clear(t).
 */
struct sr_lane;
struct sr_lane_opts;
SR_NODISCARD int sr_tls_lane_init(struct sr_lane *L, sr_tls *t,
                                  const sr_tls_config *cfg, sr_partyid party,
                                  unsigned id, const int *fds, unsigned nconn,
                                  const struct sr_lane_opts *opts);

/*
 * Blocking-style I/O on connection k of a wrapped sr_tls without a
 * channel, for the rendezvous (hello, tags): moves exactly len bytes,
 * polling the socket, within timeout_ms (<= 0: 60000).  Returns SR_OK,
 * SR_ETIMEOUT, SR_EPEER (EOF), SR_ECRYPTO (a TLS error: t->err says
 * which) or SR_EIO.  Not counted in any channel; the bytes show in
 * t->conn[k].wire_out/wire_in.  Do not mix with a channel that uses the
 * same connection at the same time.
 */
SR_NODISCARD int sr_tls_send_all(sr_tls *t, unsigned k, const void *buf,
                                 size_t len, int timeout_ms);
SR_NODISCARD int sr_tls_recv_all(sr_tls *t, unsigned k, void *buf,
                                 size_t len, int timeout_ms);

/*
 * Frees the sessions (sends nothing, closes no socket).  Idempotent.
 * Clear the channel or lane that uses the hooks first, or never use it
 * again.
 */
void sr_tls_clear(sr_tls *t);

#endif
