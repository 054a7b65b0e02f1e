/*
 * jobs/eval.h -- `sirnn eval FN` (DESIGN.md s5, s6) and the helpers that
 * `sirnn eval`, the math bench ops (jobs/bench_math.c) and `sirnn ulp`
 * share.
 *
 * sirnn eval FN --in X.npy --out Y.npy --bw-in B --scale-in S
 *               --bw-out B --scale-out S [--threads T] [common options]
 *
 *   FN in {exp, sigmoid, tanh, recip, rsqrt} (recip is the general
 *   reciprocal with MSNZB normalisation).  X.npy: int32 or int64
 *   fixed-point integers in [-2^(bw_in-1), 2^(bw_in-1)), any shape; Y.npy
 *   (same shape, int64) receives the reconstructed outputs, sign-extended
 *   from bw_out, written through a temporary renamed over the file.
 *
 *   Without --role, both parties run on this machine (two child processes
 *   over loopback TCP, as `sirnn bench`): the parent checks the input,
 *   starts `sirnn eval FN --role server --n N ...` and `sirnn eval FN
 *   --role client --in X --out Y ...`, and prints the client's report.
 *   With --role server the server needs --n N (instances) and the formats
 *   only; with --role client the client reads X.npy.  Both send the job
 *   (fn, n, formats) in the hello: any difference is refused.
 *
 *   Input sharing costs nothing on the wire: on every lane the server's
 *   share is drawn from the lane's shared PRG (random, independent of x)
 *   and the client's share is x minus it.  The run phase (timed, counted
 *   as bytes_total) is the secure function only; afterwards the server
 *   sends its output shares to the client (bw_out bits each, packed), the
 *   client reconstructs, compares with the cleartext twin and tells the
 *   server the verdict (one byte); both reports then carry the same "ok".
 *
 *   The outputs are written only when "ok" (exit 1 otherwise).  Test
 *   hook: with SIRNN_EVAL_CORRUPT set in the client's environment, the
 *   first received output share has its low bit flipped (so "ok": false).
 *
 *   Input errors exit 2 with one line naming the file, the index and the
 *   value: outside [-2^(bw_in-1), 2^(bw_in-1)), outside the domain (exp:
 *   x <= 0; recip, rsqrt: x > 0), or a true result that does not fit the
 *   output format (sr_ulp_reference(...) saturated).  Only one rank per
 *   party (--ranks is not taken).
 */
#ifndef SR_JOBS_EVAL_H
#define SR_JOBS_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "math/fxp.h"
#include "math/plan.h"

/*
 * 0 when sr_math_plan_make accepts fn for fx -> fy (or, with div set, the
 * division plan with numerator and denominator both fx); else SR_EUSAGE
 * with a one-line reason in err.  The plan builders stop the process on a
 * format they cannot serve (SR_REQUIRE), so the probe runs in a child
 * process.
 */
int sr_eval_formats_check(int fn, int div, sr_fx fx, sr_fx fy, char *err,
                          size_t errlen);

/*
 * 1 iff the signed input x (an integer of fx) is in the domain of fn as
 * `sirnn eval` defines it: exp x <= 0, recip and rsqrt x > 0, sigmoid and
 * tanh everything.
 */
int sr_eval_in_domain(sr_mathfn fn, int64_t x);

/* `sirnn eval ARGS...` (argv[0] is "eval"); returns the exit code. */
int sr_cmd_eval(int argc, char **argv);

#endif
