/*
 * jobs/plain.h -- the command bodies of `sirnn plain` and `sirnn quantise`
 * (DESIGN.md s5, s7), wired into the dispatcher by jobs/main.c.
 *
 * sirnn plain --model DIR --input X.npy [--float] [--labels Y.npy]
 *             [--output PRED.csv]
 *   Cleartext inference: the fixed-point twin (layers/fastgrnn.h) with the
 *   formats of model.json's "fixed_point" (or chosen on load by the rule
 *   of jobs/quantise.h when absent), or the float model with --float.
 *   Writes the predictions CSV (header `index,pred,logit_0,...`, every
 *   logit exact: %.17g of int / 2^scale, or of the double with --float)
 *   to PRED.csv, or to stdout without --output.  With --labels, one line
 *   `plain: fixed accuracy A (C/B)` (or `float accuracy`) goes to stdout
 *   when --output is given, else to stderr (stdout stays pure CSV).
 *   Type rnnpool-heads: images [B, H, W] or [B, H, W, 1] (at most the
 *   model's size) through sr_heads_fx_run (or sr_heads_float_run with
 *   --float); the CSV `index,pred,boxes` of `sirnn client` (jobs/
 *   infer_internal.h, docs/heads.md s10); labels are head counts.
 *
 * Both return the process exit code: 0 ok, 1 runtime failure (a failed
 * write), 2 usage or bad input, with one line `sirnn: <what>: <detail>`
 * on stderr.  argv[0] is the command name.
 */
#ifndef SR_JOBS_PLAIN_H
#define SR_JOBS_PLAIN_H

#include "jobs/quantise.h"

int sr_cmd_plain(int argc, char **argv);

/* `sirnn quantise` (see quantise.h). */
int sr_cmd_quantise(int argc, char **argv);

#endif
