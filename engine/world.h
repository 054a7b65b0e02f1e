/*
 * engine/world.h -- the MPI rank layout of one party (DESIGN.md s2).
 *
 * The only engine module that talks to MPI (and engine/world.c the only
 * engine file that includes <mpi.h>).  A process started without mpirun
 * is a world of one rank and never calls MPI at all; under mpirun every
 * rank calls MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread
 * makes MPI calls).  Collectives are over MPI_COMM_WORLD, root rank 0,
 * and on a world of one they are local copies.
 */
#ifndef SR_ENGINE_WORLD_H
#define SR_ENGINE_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

typedef struct sr_world {
    int rank; /* 0 .. size - 1 */
    int size; /* R */
    int mpi;  /* 1 when MPI_Init ran (launched by mpirun) */
} sr_world;

/*
 * Joins MPI when the process was launched by mpirun (Open MPI or PMIx
 * environment), else makes a one-rank world.  SR_EMPI on failure.
 */
SR_NODISCARD int sr_world_init(sr_world *W, int *argc, char ***argv);

/*
 * A world without MPI: rank 0 of `size`.  For tests of rank 0's side of
 * the rendezvous only: collectives stay local copies, so size > 1 merely
 * makes this rank claim size ranks.
 */
void sr_world_local(sr_world *W, int size);

/* Leaves MPI (MPI_Finalize) if joined; idempotent. */
void sr_world_finalize(sr_world *W);

/* Broadcast len bytes from rank 0 to every rank. */
SR_NODISCARD int sr_world_bcast(const sr_world *W, void *buf, size_t len);

/*
 * The same for a broadcast that may be long in coming (rank 0 waiting for a
 * client): the other ranks sleep between tests (MPI_Ibcast + MPI_Test
 * every 5 ms) instead of spinning on a core.
 */
SR_NODISCARD int sr_world_bcast_idle(const sr_world *W, void *buf, size_t len);

/*
 * Gather len bytes from every rank to rank 0: recv (size * len bytes, on
 * rank 0 only; ignored elsewhere) gets rank k's block at k * len.
 */
SR_NODISCARD int sr_world_gather(const sr_world *W, void *recv,
                                 const void *send, size_t len);

/* Every rank gets every rank's block (recv holds size * len bytes). */
SR_NODISCARD int sr_world_allgather(const sr_world *W, void *recv,
                                    const void *send, size_t len);

/*
 * In-place all-gather of segments of one uint64 array: rank k has filled
 * buf[off[k], off[k] + len[k]) (off, len: one entry per rank, the same on
 * every rank; segments must not overlap); on return every rank holds every
 * segment (MPI_Allgatherv with MPI_IN_PLACE; when a count or offset does
 * not fit an int, one MPI_Bcast per rank in chunks of at most INT_MAX
 * elements).  On a world of one: nothing to do.
 */
SR_NODISCARD int sr_world_allgatherv(const sr_world *W, uint64_t *buf,
                                     const size_t *off, const size_t *len);

/* Max of one double over all ranks, result on every rank. */
SR_NODISCARD int sr_world_max(const sr_world *W, double *v);

/* Barrier over all ranks. */
SR_NODISCARD int sr_world_barrier(const sr_world *W);

/* Ends every rank of the party with exit code `code` (MPI_Abort under
 * MPI, exit() otherwise).  Only jobs/ calls it. */
SR_NORETURN void sr_world_abort(const sr_world *W, int code);

#endif
