/*
 * jobs/ulp_cmd.h -- `sirnn ulp FN`: the precision of a math function's
 * twin against MPFR, no network (math/ulp.h).
 *
 * sirnn ulp FN --bw-in B --scale-in S --bw-out B --scale-out S [--report F]
 *
 *   FN in {exp, sigmoid, tanh, recip, rsqrt}.  Runs sr_ulp_scan over every
 *   input of (bw_in, scale_in) (2^bw_in patterns up to 20 bits, else 2^20
 *   of them) inside the function's domain as math/ulp.h defines it (note:
 *   rsqrt there is x >= 0.1) and prints one JSON line:
 *
 *   {"sirnn": V, "op": FN, "bw_in": .., "scale_in": .., "bw_out": ..,
 *    "scale_out": .., "count": .., "max_ulp": .., "mean_ulp": ..,
 *    "exact": .., "saturated": .., "worst_x": .., "worst_y": ..,
 *    "worst_ref": .., "seconds": ..}
 *
 *   (an ulp is 2^-scale_out).  Exit 0, or 2 on a usage error or formats
 *   the function cannot serve.
 */
#ifndef SR_JOBS_ULP_CMD_H
#define SR_JOBS_ULP_CMD_H

/* `sirnn ulp ARGS...` (argv[0] is "ulp"); returns the exit code. */
int sr_cmd_ulp(int argc, char **argv);

#endif
