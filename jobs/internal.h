/*
 * jobs/internal.h -- helpers shared by the files of jobs/ (not an API).
 */
#ifndef SR_JOBS_INTERNAL_H
#define SR_JOBS_INTERNAL_H

#include <jansson.h>

#include "jobs/bench.h"
#include "jobs/cli.h"

/* Canonical "key=value\n" text of an op and its parameters (the hello's
 * job blob).  Returns its length (< cap) . */
size_t sr_bench_job_text(char *out, size_t cap, const sr_bench_op *op,
                         const sr_bench_params *p);

/*
 * Option words that reproduce p (and n) for a child process: appends at
 * most 2 * 16 strings to argv (each malloc'ed) and returns the count.
 */
int sr_bench_param_args(char **argv, const sr_bench_op *op,
                        const sr_bench_params *p);

/* Defaults of every parameter (see bench.h). */
void sr_bench_params_defaults(sr_bench_params *p, const sr_bench_op *op);

/*
 * Local mode of bench (and demo): run both parties here (sr_local_run)
 * and return the merged report, or NULL; *code gets the exit code.
 */
json_t *sr_bench_local(const sr_bench_op *op, const sr_bench_params *p,
                       const sr_cli *c, int *code);

/* Add the op's parameters to a report object. */
void sr_bench_report_params(json_t *r, const sr_bench_op *op,
                            const sr_bench_params *p);

/*
 * Party mode (`--role` given): joins MPI, connects, runs the op on every
 * lane, reports.  Returns the exit code.
 */
int sr_bench_party(const sr_bench_op *op, const sr_bench_params *p,
                   const sr_cli *c, int *argc, char ***argv);

/*
 * Local mode: run `sirnn <server_args>` and `sirnn <client_args>` (this
 * executable; under `mpirun -np ranks --bind-to none` when ranks > 1)
 * with stdout discarded, wait for both (a failure of one stops the
 * other), and read back the two --report files.  *code gets the exit code
 * of the pair (0, 1 or 2).  Returns the merged report (the client's, with
 * cpu_seconds summed over both parties, peak_rss_mb the max, "ok" both,
 * "local": true), or NULL.
 */
json_t *sr_local_run(char **server_args, char **client_args, unsigned ranks,
                     const char *server_report, const char *client_report,
                     int *code);

/* A free loopback TCP port (probe), 0 on failure. */
unsigned sr_local_free_port(void);

#endif
