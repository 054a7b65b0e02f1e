/*
 * engine/chan.h -- one lane's channel to its peer lane: C >= 1 stream
 * sockets (TCP or a socketpair), buffered, striped, counted.
 *
 * Contract (docs/channel.md):
 *  - Messages carry no headers.  Both sides know every message's length
 *    from the protocol, so the mapping of bytes to connections is a pure
 *    function of the message sequence: a message shorter than
 *    SR_CHAN_STRIPE_MIN, or any message when C = 1, goes on connection 0;
 *    a longer one is cut into SR_CHAN_FRAME-byte frames, frame k on
 *    connection k mod C (the last frame may be short).  The receiver
 *    reassembles in order.
 *  - Small sends are buffered; the buffer is flushed before every blocking
 *    read (sr_chan_recv flushes by itself), by sr_chan_flush, and when it
 *    fills.  So a protocol never deadlocks on its own buffered bytes.
 *  - Two sides that both send a large message at the same time must use
 *    sr_chan_exchange, which reads and writes at once; two plain sends would
 *    deadlock once the socket buffers fill.
 *  - Errors are sticky: the first failure is recorded, later sends and
 *    receives do nothing (receives zero their output), and sr_chan_error
 *    returns the code.  A protocol returns sr_chan_error() at its end.
 *  - Every wait is bounded by timeout_ms of no progress: SR_ETIMEOUT.
 *  - Counters: payload bytes sent/received, and rounds.  A round is a
 *    maximal run of sends before a receive (a message flight); a party's
 *    count rises when it sends after having received (or at its first send),
 *    and when it receives after having sent (or at its first receive).  An
 *    exchange is one round.  Over a protocol both parties count the same.
 *  - A channel is used by one thread at a time.
 */
#ifndef SR_ENGINE_CHAN_H
#define SR_ENGINE_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

#define SR_CHAN_MAX_CONNS 64
/* 16 KiB frames from 32 KiB up: an OT chunk's message (4096 instances,
 * 16-32 KiB of replies, 64-128 KiB of extension rows) spans connections. */
#define SR_CHAN_FRAME ((size_t)1 << 14)          /* 16 KiB stripe frame */
#define SR_CHAN_STRIPE_MIN ((size_t)1 << 15)     /* stripe from 32 KiB up */
#define SR_CHAN_WBUF ((size_t)1 << 16)           /* small-send buffer */
/* A receiver about to block wakes once min(rest of the message on that
 * connection, this) bytes are there, not at every packet (SO_RCVLOWAT). */
#define SR_CHAN_LOWAT_MAX ((size_t)1 << 18)

/* Counters of one channel (or a difference of two snapshots). */
typedef struct sr_chan_stats {
    uint64_t bytes_sent;   /* protocol payload written */
    uint64_t bytes_recv;   /* protocol payload read */
    uint64_t rounds;       /* message flights, see above */
    uint64_t wire_sent;    /* bytes on the wire incl. TLS records */
    uint64_t wire_recv;
} sr_chan_stats;

/*
 * Optional transport hooks (TLS, fault injection).  When set, the channel
 * calls them instead of recv(2)/send(2) on connection k; they follow the
 * same conventions (return > 0 bytes moved, 0 on EOF for reads, -1 with
 * errno EAGAIN when they would block, -1 otherwise).  The channel retries a
 * read before every poll, so data a hook holds buffered (TLS records) is
 * never stranded.  wire_sent/wire_recv count what the hooks return unless
 * the hook adds its own record overhead through sr_chan.st.
 */
typedef struct sr_chan_io {
    long (*read)(void *ctx, unsigned k, void *buf, size_t len);
    long (*write)(void *ctx, unsigned k, const void *buf, size_t len);
    void *ctx;
} sr_chan_io;

typedef struct sr_chan {
    int fd[SR_CHAN_MAX_CONNS];
    unsigned nconn;
    int timeout_ms;
    int err;                /* sticky first error, SR_OK while healthy */
    int last;               /* 0 none yet, 1 last op sent, 2 last op received */
    uint8_t *wbuf;          /* buffered small sends, for connection 0 */
    size_t wlen;
    sr_chan_stats st;
    const sr_chan_io *io;   /* NULL: plain read/write */
    int lowat[SR_CHAN_MAX_CONNS]; /* SO_RCVLOWAT set on fd[j]; 0: default,
                                     -1: not settable (left alone) */
} sr_chan;

/*
 * Takes ownership of nconn connected stream sockets (closed by clear) and
 * switches them to non-blocking mode.  timeout_ms <= 0 means 60000.
 */
SR_NODISCARD int sr_chan_init(sr_chan *c, const int *fds, unsigned nconn,
                              int timeout_ms);

/* Closes the sockets and frees the buffer; idempotent, safe after failed
 * init (the struct must then be zeroed or come from a failed init). */
void sr_chan_clear(sr_chan *c);

/* Queue len bytes to the peer (buffered or striped, see above). */
void sr_chan_send(sr_chan *c, const void *buf, size_t len);

/* Read exactly len bytes from the peer; flushes pending sends first. */
void sr_chan_recv(sr_chan *c, void *buf, size_t len);

/* Write out every buffered byte. */
void sr_chan_flush(sr_chan *c);

/*
 * Symmetric swap: send slen bytes and receive rlen bytes at once (both
 * sides call it, with mirrored lengths).  One round.  sbuf and rbuf must
 * not overlap.
 */
void sr_chan_exchange(sr_chan *c, void *rbuf, size_t rlen, const void *sbuf,
                      size_t slen);

/* Pack n values of bw bits (low bits of each x[i]) and send them. */
void sr_chan_send_packed(sr_chan *c, const uint64_t *x, size_t n,
                         unsigned bw);
/* Receive n values of bw bits sent by sr_chan_send_packed. */
void sr_chan_recv_packed(sr_chan *c, uint64_t *x, size_t n, unsigned bw);
/* Same for bits (uint8_t 0/1), packed 8 per byte. */
void sr_chan_send_bits(sr_chan *c, const uint8_t *b, size_t n);
void sr_chan_recv_bits(sr_chan *c, uint8_t *b, size_t n);

/* The sticky error (SR_OK while healthy). */
static inline int
sr_chan_error(const sr_chan *c)
{
    return c->err;
}

/* Record an error unless one is already recorded (used by callers that
 * detect a protocol mismatch on received data). */
void sr_chan_fail(sr_chan *c, int code);

/* Difference of two counter snapshots (after - before). */
sr_chan_stats sr_chan_stats_diff(sr_chan_stats after, sr_chan_stats before);

/*
 * Bit packing used on the wire: value i occupies bits [i*bw, (i+1)*bw) of
 * the little-endian bit string.  out must hold sr_packed_bytes(n, bw).
 */
void sr_pack(uint8_t *out, const uint64_t *x, size_t n, unsigned bw);
void sr_unpack(uint64_t *x, const uint8_t *in, size_t n, unsigned bw);

#endif
