/*
 * engine/world.c -- MPI rank bookkeeping; the one engine file with MPI.
 */
#include "engine/world.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

/* Launched by mpirun?  Open MPI sets OMPI_COMM_WORLD_SIZE, PMIx PMIX_RANK,
 * MPICH/Hydra PMI_RANK. */
static int
under_launcher(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL ||
           getenv("PMIX_RANK") != NULL || getenv("PMI_RANK") != NULL;
}

/* see world.h */
int
sr_world_init(sr_world *W, int *argc, char ***argv)
{
    W->rank = 0;
    W->size = 1;
    W->mpi = 0;
    if (!under_launcher())
        return SR_OK;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS)
        return SR_EMPI;
    W->mpi = 1;
    if (MPI_Comm_rank(MPI_COMM_WORLD, &W->rank) != MPI_SUCCESS ||
        MPI_Comm_size(MPI_COMM_WORLD, &W->size) != MPI_SUCCESS)
        return SR_EMPI;
    return SR_OK;
}

/* see world.h */
void
sr_world_local(sr_world *W, int size)
{
    W->rank = 0;
    W->size = size > 0 ? size : 1;
    W->mpi = 0;
}

/* see world.h */
void
sr_world_finalize(sr_world *W)
{
    if (W->mpi) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin)
            MPI_Finalize();
        W->mpi = 0;
    }
}

/* see world.h */
int
sr_world_bcast(const sr_world *W, void *buf, size_t len)
{
    if (!W->mpi || W->size == 1)
        return SR_OK;
    SR_REQUIRE(len <= INT_MAX);
    return MPI_Bcast(buf, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS
               ? SR_OK
               : SR_EMPI;
}

/* see world.h */
int
sr_world_bcast_idle(const sr_world *W, void *buf, size_t len)
{
    if (!W->mpi || W->size == 1)
        return SR_OK;
    SR_REQUIRE(len <= INT_MAX);
    MPI_Request rq;
    if (MPI_Ibcast(buf, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD, &rq) !=
        MPI_SUCCESS)
        return SR_EMPI;
    for (;;) {
        int done = 0;
        if (MPI_Test(&rq, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return SR_EMPI;
        if (done)
            return SR_OK;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* see world.h */
int
sr_world_gather(const sr_world *W, void *recv, const void *send, size_t len)
{
    if (!W->mpi || W->size == 1) {
        if (W->rank == 0 && len > 0)
            memmove(recv, send, len);
        return SR_OK;
    }
    SR_REQUIRE(len <= INT_MAX);
    return MPI_Gather(send, (int)len, MPI_BYTE, recv, (int)len, MPI_BYTE, 0,
                      MPI_COMM_WORLD) == MPI_SUCCESS
               ? SR_OK
               : SR_EMPI;
}

/* see world.h */
int
sr_world_allgather(const sr_world *W, void *recv, const void *send, size_t len)
{
    if (!W->mpi || W->size == 1) {
        if (len > 0)
            memmove(recv, send, len);
        return SR_OK;
    }
    SR_REQUIRE(len <= INT_MAX);
    return MPI_Allgather(send, (int)len, MPI_BYTE, recv, (int)len, MPI_BYTE,
                         MPI_COMM_WORLD) == MPI_SUCCESS
               ? SR_OK
               : SR_EMPI;
}

/* see world.h */
int
sr_world_allgatherv(const sr_world *W, uint64_t *buf, const size_t *off,
                    const size_t *len)
{
    if (!W->mpi || W->size == 1)
        return SR_OK;
    const size_t R = (size_t)W->size;
    int *cnt = malloc(2 * R * sizeof *cnt);
    if (cnt == NULL)
        return SR_ENOMEM;
    int *dsp = cnt + R, fits = 1;
    for (size_t k = 0; k < R; k++) {
        fits &= len[k] <= INT_MAX && off[k] <= INT_MAX;
        cnt[k] = fits ? (int)len[k] : 0;
        dsp[k] = fits ? (int)off[k] : 0;
    }
    int rc = SR_OK;
    if (fits) {
        rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, cnt, dsp,
                            MPI_UINT64_T, MPI_COMM_WORLD) == MPI_SUCCESS
                 ? SR_OK
                 : SR_EMPI;
    } else {
        /* every rank walks the same segments in the same chunks */
        for (size_t k = 0; k < R && rc == SR_OK; k++)
            for (size_t d = 0; d < len[k] && rc == SR_OK;) {
                const size_t n =
                    len[k] - d < (size_t)INT_MAX ? len[k] - d : INT_MAX;
                if (MPI_Bcast(buf + off[k] + d, (int)n, MPI_UINT64_T, (int)k,
                              MPI_COMM_WORLD) != MPI_SUCCESS)
                    rc = SR_EMPI;
                d += n;
            }
    }
    free(cnt);
    return rc;
}

/* see world.h */
int
sr_world_max(const sr_world *W, double *v)
{
    if (!W->mpi || W->size == 1)
        return SR_OK;
    double in = *v;
    return MPI_Allreduce(&in, v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) ==
                   MPI_SUCCESS
               ? SR_OK
               : SR_EMPI;
}

/* see world.h */
int
sr_world_barrier(const sr_world *W)
{
    if (!W->mpi || W->size == 1)
        return SR_OK;
    return MPI_Barrier(MPI_COMM_WORLD) == MPI_SUCCESS ? SR_OK : SR_EMPI;
}

/* see world.h */
void
sr_world_abort(const sr_world *W, int code)
{
    if (W->mpi && W->size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}
