/*
 * engine/lane.c -- lane setup, scratch memory, parallel split.
 */
#include "engine/lane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* see lane.h */
double
sr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* see lane.h */
int
sr_lane_init(sr_lane *L, sr_partyid party, unsigned id, const int *fds,
             unsigned nconn, const sr_lane_opts *opts)
{
    memset(L, 0, sizeof *L);
    L->party = party;
    L->id = id;
    L->role = sr_lane_role(party, id);
    double t0 = sr_now();

    int rc = sr_chan_init(&L->chan, fds, nconn,
                          opts != NULL ? opts->timeout_ms : 0);
    if (rc != SR_OK)
        return rc;
    if (opts != NULL)
        L->chan.io = opts->io;

    uint8_t key[16], mine[16], theirs[16];
    if (opts != NULL && opts->seeded) {
        char label[64];
        L->seeded = 1;
        L->seed = opts->seed;
        snprintf(label, sizeof label, "lane %u party %d private", id,
                 (int)party);
        sr_prg_derive_key(key, opts->seed, label);
        snprintf(label, sizeof label, "lane %u party %d shared", id,
                 (int)party);
        sr_prg_derive_key(mine, opts->seed, label);
        rc = sr_prg_init(&L->prg, key);
    } else {
        rc = sr_prg_init_random(&L->prg);
        if (rc == SR_OK && RAND_bytes(mine, sizeof mine) != 1)
            rc = SR_ECRYPTO;
    }
    if (rc != SR_OK)
        goto fail;

    /* Both directions at once: A -> B and B -> A, 16 bytes each. */
    sr_chan_exchange(&L->chan, theirs, sizeof theirs, mine, sizeof mine);
    rc = sr_chan_error(&L->chan);
    if (rc != SR_OK)
        goto fail;
    for (int k = 0; k < 16; k++)
        key[k] = mine[k] ^ theirs[k];
    rc = sr_prg_init(&L->shared, key);
    if (rc != SR_OK)
        goto fail;
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(mine, sizeof mine);
    L->setup = L->chan.st;
    L->setup_seconds = sr_now() - t0;
    return SR_OK;
fail:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(mine, sizeof mine);
    sr_lane_clear(L);
    return rc;
}

/* see lane.h */
void
sr_lane_clear(sr_lane *L)
{
    if (L->ot != NULL && L->ot_free != NULL)
        L->ot_free(L->ot);
    L->ot = NULL;
    sr_prg_clear(&L->prg);
    sr_prg_clear(&L->shared);
    sr_chan_clear(&L->chan);
}

/* see lane.h */
uint64_t *
sr_scratch_u64(sr_lane *L, size_t n)
{
    (void)L;
    if (n > SIZE_MAX / sizeof(uint64_t))
        return NULL;
    return malloc(n > 0 ? n * sizeof(uint64_t) : 1);
}

/* see lane.h */
uint8_t *
sr_scratch_u8(sr_lane *L, size_t n)
{
    (void)L;
    return malloc(n > 0 ? n : 1);
}

/* see lane.h */
void
sr_scratch_release(sr_lane *L, void *p)
{
    (void)L;
    free(p);
}

/* see lane.h */
int
sr_lanes_split(const sr_lanes *ls, size_t n, size_t min_chunk,
               sr_lane_chunk_fn fn, void *arg)
{
    SR_REQUIRE(ls->count >= 1);
    if (min_chunk == 0)
        min_chunk = 1;
    size_t use = ls->count;
    if (n / min_chunk < use)
        use = n / min_chunk > 0 ? n / min_chunk : 1;
    int rc = SR_OK;
    if (use == 1)
        return fn(&ls->lane[0], 0, n, arg);
#pragma omp parallel for num_threads((int)use) schedule(static, 1)
    for (size_t k = 0; k < use; k++) {
        size_t off = n * k / use, end = n * (k + 1) / use;
        int r = fn(&ls->lane[k], off, end - off, arg);
        if (r != SR_OK) {
#pragma omp critical(sr_lanes_split_rc)
            if (rc == SR_OK)
                rc = r;
        }
    }
    return rc;
}
