/*
 * jobs/eval_internal.h -- what the files of `sirnn eval` share
 * (jobs/eval.c: options, files, local mode; jobs/eval_party.c: one
 * party).  Not an API.
 */
#ifndef SR_JOBS_EVAL_INTERNAL_H
#define SR_JOBS_EVAL_INTERNAL_H

#include <stdint.h>

#include "jobs/cli.h"
#include "jobs/npy.h"
#include "math/mathfn.h"

/* The parsed options of `sirnn eval FN`. */
typedef struct sr_eval_opts {
    sr_mathfn fn;
    const char *in, *out;
    unsigned bw_in, scale_in, bw_out, scale_out;
    unsigned given; /* 1 bw_in, 2 scale_in, 4 bw_out, 8 scale_out, 16 n */
    uint64_t n;
} sr_eval_opts;

/*
 * Load and check X.npy: *x gets the values as bw_in-bit patterns.
 * Returns 0 or the exit code (2) after a message.
 */
int sr_eval_load_input(const sr_eval_opts *e, sr_npy *a, uint64_t **x);

/* Write Y.npy through a temporary in the same directory, then rename.
 * Returns 0 or the exit code (1) after a message. */
int sr_eval_write_output(const char *path, const sr_npy *shape,
                         const int64_t *y);

/*
 * Party mode (`--role` given): joins MPI, connects, runs the function on
 * every lane, reports.  Returns the exit code.
 */
int sr_eval_party(const sr_cli *c, const sr_eval_opts *e, int *argc,
                  char ***argv);

#endif
