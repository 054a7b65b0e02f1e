/*
 * engine/lane.h -- a lane: one thread's end of a lane pair (DESIGN.md s2).
 *
 * A lane owns its channel, a private PRG, a PRG shared with the peer lane,
 * the OT state of both directions (installed by protocols/ot.h), scratch
 * memory and counters.  One thread uses a lane at a time; there are no
 * locks.  Every protocol takes an sr_lane * first.
 */
#ifndef SR_ENGINE_LANE_H
#define SR_ENGINE_LANE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/chan.h"
#include "engine/common.h"
#include "engine/prg.h"

struct sr_otpack;   /* protocols/ot.h; the engine only holds the pointer */

typedef struct sr_lane {
    sr_role role;          /* protocol role P0/P1 on this lane */
    sr_partyid party;      /* server or client */
    unsigned id;           /* lane index: rank * T + thread */
    sr_chan chan;
    sr_prg prg;            /* private randomness (RAND_bytes or --seed) */
    sr_prg shared;         /* stream common to both lanes of the pair */
    int seeded;            /* 1 in --seed (insecure, reproducible) runs */
    uint64_t seed;         /* the --seed value when seeded */
    struct sr_otpack *ot;  /* OT state, NULL until the OT setup ran */
    void (*ot_free)(struct sr_otpack *); /* set by whoever installs ot */
    sr_chan_stats setup;   /* traffic of the one-time setup */
    double setup_seconds;  /* its duration */
} sr_lane;

/* Protocol role of lane id for a party: even lanes server = P0 (Alice). */
static inline sr_role
sr_lane_role(sr_partyid party, unsigned id)
{
    int server_is_alice = (id % 2 == 0);
    return (party == SR_SERVER) == server_is_alice ? SR_ALICE : SR_BOB;
}

/* Options of sr_lane_init. */
typedef struct sr_lane_opts {
    int timeout_ms;        /* <= 0: 60000 */
    int seeded;            /* nonzero: derive all randomness from seed */
    uint64_t seed;
    const sr_chan_io *io;  /* transport hooks (TLS) installed before the
                              first byte, or NULL; see engine/tls.h */
} sr_lane_opts;

/*
 * Sets up a lane on nconn connected sockets (ownership passes to the lane,
 * even on failure) and agrees on the shared PRG with the peer lane (each
 * side contributes 16 random bytes; the key is their XOR): one exchange,
 * counted in L->setup.  opts may be NULL.
 */
SR_NODISCARD int sr_lane_init(sr_lane *L, sr_partyid party, unsigned id,
                              const int *fds, unsigned nconn,
                              const sr_lane_opts *opts);

/* Frees everything (OT state included); idempotent; safe after a failed
 * init. */
void sr_lane_clear(sr_lane *L);

/* Counter snapshot of the lane's channel. */
static inline sr_chan_stats
sr_lane_stats(const sr_lane *L)
{
    return L->chan.st;
}

/* 1 when this lane belongs to the server party. */
static inline int
sr_lane_is_server(const sr_lane *L)
{
    return L->party == SR_SERVER;
}

/*
 * Scratch memory for temporaries; release in reverse order.  Returns NULL
 * on allocation failure; release(NULL) is a no-op.  Zero-length requests
 * return a valid pointer.
 */
uint64_t *sr_scratch_u64(sr_lane *L, size_t n);
uint8_t *sr_scratch_u8(sr_lane *L, size_t n);
void sr_scratch_release(sr_lane *L, void *p);

/* Monotonic wall clock in seconds. */
double sr_now(void);

/*
 * A rank's lanes.  sr_lanes_split cuts [0, n) into contiguous chunks, one
 * per lane (chunks shorter than min_chunk are avoided by using fewer
 * lanes), runs fn on each lane in parallel OpenMP threads and returns the
 * first error.  Both parties split identically because n, count and
 * min_chunk are the same on both sides.
 */
typedef struct sr_lanes {
    sr_lane *lane;
    unsigned count;
} sr_lanes;

typedef int (*sr_lane_chunk_fn)(sr_lane *L, size_t off, size_t len,
                                void *arg);

SR_NODISCARD int sr_lanes_split(const sr_lanes *ls, size_t n,
                                size_t min_chunk, sr_lane_chunk_fn fn,
                                void *arg);

#endif
