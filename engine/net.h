/*
 * engine/net.h -- TCP rendezvous of the two parties (DESIGN.md s3).
 *
 * Server rank 0 listens on --listen [HOST:]PORT (default port 7000; IPv6
 * as [::1]:7000).  Every server rank also opens ONE lane listener for all
 * its lanes and connections: port PORT + 1 + rank, or an ephemeral port
 * (opts.ephemeral).  Client rank 0 connects to --connect HOST:PORT,
 * retrying until the timeout, so either side may start first, and the two
 * exchange a hello (all integers little-endian; every length read from
 * the peer is bounded):
 *
 *   client -> server  "SIRNNHLO" | version u32 | R u32 | T u32 | C u32 |
 *                     job kind u32 | job len u32 (<= SR_NET_JOB_MAX) | job
 *                     (T, C = 0: adopt the server's)
 *   server -> client  "SIRNNACK" | version u32 | status u32 (0 ok, else
 *                     refused) | msg len u32 (<= 512) | msg
 *                     and when ok: R u32 | T u32 | C u32 | nonce[16] |
 *                     R x (host len u16 (1..255) | host | port u16)
 *
 * The server compares version, R, T, C (when the client gave them) and
 * the job (kind, then the job's key=value lines: the first differing key
 * is named).  On a mismatch it sends the refusal naming the field, logs
 * one line `sirnn: server: refused client ADDR: FIELD: ...` and waits for
 * the next client; the client gets SR_EMISMATCH with the same text.
 *
 * After the hello, client ranks get (nonce, T, C, lane table) by MPI
 * broadcast, and client rank r opens T x C connections to server rank r's
 * lane listener, each starting with a tag
 *
 *   "SRLN" | nonce[16] | lane id u32 | conn index u32     (28 bytes)
 *
 * answered by one byte: 'K' accepted, 'X' rejected.  The server accepts a
 * tag only for the session's nonce, a lane of its rank (rank * T + t) and
 * a connection index < C not yet taken; anything else is a stray and is
 * closed (logged unless quiet).  Sockets get TCP_NODELAY and, where the
 * kernel allows, 4 MiB socket buffers (otherwise autotuning stays on).
 *
 * TLS (opts.tls set, not SR_TLS_OFF): the control connection runs a TLS
 * handshake (sr_tls_wrap) right after connect/accept and the hello and
 * reply go through it; a client that fails it is refused like a
 * mismatch (logged, the wait goes on; the client gets SR_ECRYPTO).  Lane
 * connections exchange their tag in the clear, then sr_session_lanes_tls
 * runs each lane's handshakes before sr_lane_init.  With TLS, the
 * session's bytes count the TLS wire (handshakes and records).
 */
#ifndef SR_ENGINE_NET_H
#define SR_ENGINE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"
#include "engine/tls.h"
#include "engine/world.h"

#define SR_NET_VERSION 1u
#define SR_NET_DEFAULT_PORT 7000
#define SR_NET_JOB_MAX 4096
#define SR_NET_MSG_MAX 512
#define SR_NET_HOST_MAX 255
#define SR_NET_MAX_RANKS 1024
#define SR_NET_MAX_THREADS 256
#define SR_NET_NONCE 16

/* Job kinds carried by the hello (opaque blob, kind-tagged). */
#define SR_JOB_BENCH 1u /* "key=value\n" lines: op and parameters */
#define SR_JOB_EVAL 2u
#define SR_JOB_MODEL 3u /* the model card (later issue) */

typedef struct sr_net_opts {
    const char *listen;    /* server: "[HOST:]PORT"; NULL: port 7000 */
    const char *connect;   /* client: "HOST:PORT" */
    const char *advertise; /* server: host name in the lane table */
    int ephemeral;         /* server: ephemeral lane ports */
    int timeout_ms;        /* waits (connect retries, reads, accepts) */
    unsigned threads;      /* server: T; client: requested T or 0 */
    unsigned conns;        /* server: C; client: requested C or 0 */
    uint32_t job_kind;
    const void *job; /* job blob, job_len <= SR_NET_JOB_MAX */
    size_t job_len;
    int quiet; /* no log lines for strays */
    /* TLS for the control connection (hello) and, through
     * sr_session_lanes_tls, every lane connection; NULL or mode
     * SR_TLS_OFF: plain TCP. */
    const sr_tls_config *tls;
} sr_net_opts;

/* One party-rank's end of a connected session. */
typedef struct sr_session {
    sr_partyid party;
    unsigned rank, ranks, threads, conns;
    uint8_t nonce[SR_NET_NONCE];
    int *fds;       /* threads * conns sockets, fds[t * C + c] */
    uint64_t bytes; /* rendezvous bytes sent + received, this rank */
    double seconds; /* rendezvous wall time, this rank */
    char peer[300]; /* the peer address (rank 0) */
    int joined;     /* a client passed the hello (all ranks know) */
} sr_session;

/* A server rank's listeners, kept across sessions. */
typedef struct sr_netsrv {
    sr_world W;
    sr_net_opts o;
    int ctl;                         /* rank 0: control listener, else -1 */
    int lane;                        /* this rank's lane listener */
    unsigned port;                   /* control port (rank 0) */
    char bound[SR_NET_HOST_MAX + 1]; /* listen HOST or "" */
    /* rank 0: per rank, its host name, same-host flag, and lane port */
    char (*hostname)[64];
    uint16_t *lane_port;
} sr_netsrv;

/*
 * Server: every rank opens its listeners (collective).  err gets one line
 * on failure (e.g. "listen 127.0.0.1:7000: Address already in use").
 */
SR_NODISCARD int sr_net_server_open(sr_netsrv *S, const sr_world *W,
                                    const sr_net_opts *o, char *err,
                                    size_t errlen);

/*
 * Server: wait (up to the timeout) for one client that passes the hello,
 * then accept its lane connections (collective over the server ranks).
 * Refused clients are logged and do not end the wait.  SR_ETIMEOUT when
 * no valid client came.
 */
SR_NODISCARD int sr_net_server_accept(sr_netsrv *S, sr_session *s, char *err,
                                      size_t errlen);

/* Closes the listeners; idempotent. */
void sr_net_server_close(sr_netsrv *S);

/*
 * Client: connect, hello, lane connections (collective over the client
 * ranks).  SR_EMISMATCH when the server refused (err names the field).
 */
SR_NODISCARD int sr_net_client_connect(sr_session *s, const sr_world *W,
                                       const sr_net_opts *o, char *err,
                                       size_t errlen);

/*
 * Make the session's T lanes of this rank (lane t gets id rank * T + t and
 * the C sockets fds[t * C ...], which pass to the lane), in parallel
 * threads.  lanes must hold threads entries.  On failure every lane is
 * cleared.
 */
SR_NODISCARD int sr_session_lanes(sr_session *s, sr_lane *lanes,
                                  const sr_lane_opts *lo);

/*
 * The same with a per-lane hook run (in the lane's thread) before
 * sr_lane_init: it gets the lane struct (not yet initialised; its address
 * is final, e.g. for sr_tls_io(&t, &L->chan)), the thread index, the C
 * sockets and a copy of the lane options it may change (e.g. set ->io for
 * TLS).  A hook that fails returns its code; the lane's sockets are then
 * closed.
 */
typedef int (*sr_lane_wrap_fn)(void *ctx, sr_lane *L, unsigned t,
                               const int *fds, unsigned nconn,
                               sr_lane_opts *lo);
SR_NODISCARD int sr_session_lanes_wrap(sr_session *s, sr_lane *lanes,
                                       const sr_lane_opts *lo,
                                       sr_lane_wrap_fn wrap, void *ctx);

/*
 * sr_session_lanes with TLS (cfg not NULL and not SR_TLS_OFF): in each
 * lane's thread, sr_tls_wrap on its C sockets (the session's party = the
 * TLS server side, bounded by lo->timeout_ms), then sr_lane_init with the
 * TLS hooks.  tls must hold s->threads entries (any contents) that stay
 * in place while the lanes live; after the lanes are cleared call
 * sr_tls_clear on every entry, also on failure.  The handshake bytes of
 * all lanes are added to s->bytes (setup traffic).  On failure err gets
 * one line (the first lane's TLS message when TLS failed).  With cfg NULL
 * or off this is sr_session_lanes (tls may then be NULL).
 */
SR_NODISCARD int sr_session_lanes_tls(sr_session *s, sr_lane *lanes,
                                      sr_tls *tls, const sr_tls_config *cfg,
                                      const sr_lane_opts *lo, char *err,
                                      size_t errlen);

/* Closes sockets still owned by the session; idempotent. */
void sr_session_clear(sr_session *s);

/*
 * Job comparison used by the server (exposed for tests): 0 when a and b
 * are equal, else writes "KEY: server V1, client V2" into msg.  Blobs of
 * kind SR_JOB_BENCH / SR_JOB_EVAL are compared as key=value lines, others
 * byte for byte.
 */
int sr_net_job_diff(uint32_t kind, const void *srv, size_t srv_len,
                    const void *cli, size_t cli_len, char *msg, size_t msglen);

/*
 * Pure parsers of what the rendezvous reads from the peer (exposed for
 * tests and fuzzing; they never read past len and bound every length).
 * Each returns SR_OK when b[0..len) is exactly one complete, well-formed
 * message; a positive number N when b is a valid prefix and the message
 * needs N bytes in total (read up to N, then call again); or an error
 * with a one-line reason in msg.
 */
#define SR_NET_HELLO_HEAD 32 /* fixed part of the client hello */
#define SR_NET_ACK_HEAD 20   /* fixed part of the server's reply */

typedef struct sr_net_hello {
    uint32_t version, ranks, threads, conns, job_kind, job_len;
    const uint8_t *job; /* points into the buffer */
} sr_net_hello;

/*
 * The client hello.  Errors: SR_EMISMATCH "magic: not a sirnn client",
 * "version: server V, client W", "job: N bytes exceeds 4096",
 * "hello: N bytes, expected M" (len beyond the message).
 */
int sr_net_hello_parse(const uint8_t *b, size_t len, sr_net_hello *h, char *msg,
                       size_t msglen);

typedef struct sr_net_reply {
    uint32_t version, status, msg_len;
    char msg[SR_NET_MSG_MAX + 1]; /* refusal text, non-printables as '?' */
    uint32_t ranks, threads, conns;
    uint8_t nonce[SR_NET_NONCE];
    const uint8_t *table; /* lane table (points into the buffer) */
    size_t table_len;
} sr_net_reply;

/*
 * The server's reply.  A refusal (status != 0) is complete after its
 * message: SR_EMISMATCH with "refused by server: MSG".  Errors: SR_ECHECK
 * "not a sirnn server" (magic or message length), "version: server V,
 * client W", "server reply out of range (R=.. T=.. C=..)", "lane table:
 * bad host length N" (a host must be 1..255 bytes of printable ASCII
 * without spaces), "reply: N bytes, expected M".
 */
int sr_net_reply_parse(const uint8_t *b, size_t len, sr_net_reply *r, char *msg,
                       size_t msglen);

/* Host (NUL-terminated, hostlen > SR_NET_HOST_MAX) and port of rank k in
 * a lane table that sr_net_reply_parse accepted.  SR_ECHECK when k is
 * beyond it. */
int sr_net_table_entry(const uint8_t *table, size_t table_len, unsigned k,
                       char *host, size_t hostlen, unsigned *port);

/*
 * Parse "[HOST:]PORT" / "HOST:PORT" / "[V6]:PORT".  host gets "" when
 * absent (need_host = 0 only).  Returns SR_OK or SR_EUSAGE.
 */
SR_NODISCARD int sr_net_parse_addr(const char *s, int need_host, char *host,
                                   size_t hostlen, unsigned *port);

#endif
