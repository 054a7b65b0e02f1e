/*
 * protocols/ot_stream.h -- 1-of-2^m OT whose sender's messages are made
 * chunk by chunk by a callback, so that a protocol can run one OT call
 * (one flight each way) over any n without holding all n x 2^m entries.
 */
#ifndef SR_PROTOCOLS_OT_STREAM_H
#define SR_PROTOCOLS_OT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"

/*
 * Fills the messages of rows i0 .. i0 + r - 1: row i0 + i, entry j at
 * msg[i * 2^m + j] (low l bits used).  Called with consecutive,
 * increasing ranges covering [0, n) exactly once each, r <= 4096.
 */
typedef void (*sr_kkot_rows_fn)(void *ctx, size_t i0, size_t r,
                                uint64_t *msg);

/*
 * sr_kkot_send with the messages from rows(ctx, ...): the same wire
 * traffic, rounds and matching receiver (sr_kkot_recv) as sr_kkot_send.
 * Extra memory: two blocks of about 16384 entries (messages and keys,
 * made and packed a block at a time) plus the packed replies.
 */
SR_NODISCARD int sr_kkot_send_cb(sr_lane *L, size_t n, sr_kkot_rows_fn rows,
                                 void *ctx, unsigned m, unsigned l);

/*
 * Several 1-of-2^m OT batches (each its own n, m, l) in one flight each
 * way: the receiver sends the code words of batch 0, 1, ... before it
 * reads anything, the sender replies to all of them after the last.
 * Traffic: the sum of the batches' sr_kkot_send traffic; 2 rounds in
 * all.  Batches with n = 0 are skipped.  The peer calls
 * sr_kkot_recv_multi with the same batches' n, m, l in the same order.
 */
typedef struct sr_kkot_batch {
    size_t n;
    unsigned m, l;
    sr_kkot_rows_fn rows; /* sender */
    void *ctx;            /* sender */
    uint64_t *out;        /* receiver: n outputs */
    const uint8_t *c;     /* receiver: n choices < 2^m */
} sr_kkot_batch;

SR_NODISCARD int sr_kkot_send_multi(sr_lane *L, unsigned nb,
                                    const sr_kkot_batch *b);
SR_NODISCARD int sr_kkot_recv_multi(sr_lane *L, unsigned nb,
                                    const sr_kkot_batch *b);

#endif
