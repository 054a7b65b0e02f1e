/*
 * tests/twoparty.h -- run a two-party function in one process: lane pairs
 * as threads over socketpairs (or loopback TCP), no globals involved.
 */
#ifndef SR_TESTS_TWOPARTY_H
#define SR_TESTS_TWOPARTY_H

#include "engine/lane.h"

typedef int (*sr_test_fn)(sr_lane *L, void *arg);

typedef struct sr_test_opts {
    unsigned nconn;    /* connections per lane (0 means 1) */
    unsigned nlanes;   /* lane pairs run in parallel (0 means 1) */
    int tcp;           /* 1: loopback TCP instead of socketpair */
    int timeout_ms;    /* channel timeout (0: 20000) */
    int seeded;        /* 1: derive randomness from seed */
    uint64_t seed;
    /* Filled on return: each party's counters summed over its lanes
     * (index SR_SERVER / SR_CLIENT), excluding lane setup, and the max
     * rounds over lanes and parties. */
    sr_chan_stats st[2];
    uint64_t rounds;
    uint64_t setup_bytes;  /* both parties, all lanes */
} sr_test_opts;

/*
 * Runs fn on both ends of every lane pair (server lane k and client lane k
 * in their own threads).  Returns SR_OK or the first error (a server error
 * first).  When one side fails, its sockets are shut down so the other
 * cannot hang.  The lane roles follow sr_lane_role (lane 0: server Alice).
 */
int sr_test_run(sr_test_fn fn, void *arg, sr_test_opts *opts);

/* sr_test_run with one lane pair and one socketpair connection. */
int sr_test_run2(sr_test_fn fn, void *arg);

/* Make nconn connected stream socket pairs: a[k] <-> b[k]. */
int sr_test_socketpairs(int *a, int *b, unsigned nconn, int tcp);

/* Test seed: SR_TEST_SEED from the environment, else a fixed default. */
uint64_t sr_test_seed(void);

/* splitmix64: the next value of a cheap deterministic stream for test
 * inputs (not for protocol randomness). */
uint64_t sr_test_rand64(uint64_t *state);

#endif
