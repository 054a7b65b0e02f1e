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
 * Extra memory: one chunk of 4096 x 2^m entries plus the packed replies.
 */
SR_NODISCARD int sr_kkot_send_cb(sr_lane *L, size_t n, sr_kkot_rows_fn rows,
                                 void *ctx, unsigned m, unsigned l);

#endif
