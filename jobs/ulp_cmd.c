/*
 * jobs/ulp_cmd.c -- `sirnn ulp FN` (jobs/ulp_cmd.h).
 */
#include "jobs/ulp_cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/common.h"
#include "engine/lane.h"
#include "jobs/cli.h"
#include "jobs/eval.h"
#include "jobs/report.h"
#include "math/ulp.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: sirnn ulp FN --bw-in B --scale-in S --bw-out B "
               "--scale-out S [--report FILE]\n"
               "FN: exp, sigmoid, tanh, recip, rsqrt\n");
}

/* see ulp_cmd.h */
int
sr_cmd_ulp(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "sirnn: ulp: missing FN (sirnn ulp --help)\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    int fn = sr_mathfn_parse(argv[1]);
    if (fn < 0) {
        sr_cli_error("ulp",
                     "unknown function '%s' (exp, sigmoid, tanh, "
                     "recip, rsqrt)",
                     argv[1]);
        return 2;
    }
    static const char *const opts[] = {"--bw-in", "--scale-in", "--bw-out",
                                       "--scale-out"};
    unsigned val[4] = {0, 0, 0, 0}, given = 0;
    const char *report = NULL;
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &v);
        const char *opt = name != NULL ? name : argv[i];
        int rc = SR_EUSAGE, k = -1;
        for (int j = 0; j < 4; j++)
            if (strcmp(opt, opts[j]) == 0)
                k = j;
        if (k >= 0) {
            uint64_t u;
            rc = sr_cli_uint("ulp", opt, v, k % 2 ? 0 : 2, k % 2 ? 62 : 64, &u);
            if (rc == SR_OK) {
                val[k] = (unsigned)u;
                given |= 1u << k;
            }
        } else if (strcmp(opt, "--report") == 0) {
            if (v == NULL || v[0] == '\0')
                sr_cli_error("ulp", "--report: needs a file name");
            else {
                report = v;
                rc = SR_OK;
            }
        } else {
            sr_cli_error("ulp", "unknown option '%s'", opt);
        }
        if (name == NULL)
            i++;
        free(name);
        if (rc != SR_OK)
            return 2;
    }
    if (given != 15) {
        sr_cli_error("ulp", "--bw-in, --scale-in, --bw-out and --scale-out "
                            "are required");
        return 2;
    }
    if (val[1] + 1 > val[0] || val[3] + 1 > val[2]) {
        sr_cli_error("ulp", "need --scale-in < --bw-in and --scale-out < "
                            "--bw-out");
        return 2;
    }
    const sr_fx fx = sr_fx_make(val[0], val[1]),
                fy = sr_fx_make(val[2], val[3]);
    char err[200];
    if (sr_eval_formats_check(fn, 0, fx, fy, err, sizeof err) != SR_OK) {
        sr_cli_error("ulp", "%s", err);
        return 2;
    }
    sr_ulp_report u;
    double t0 = sr_now();
    if (sr_ulp_scan((sr_mathfn)fn, fx, fy, NULL, &u) != SR_OK) {
        sr_cli_error("ulp", "out of memory");
        return 1;
    }
    json_t *r = json_object();
    json_object_set_new(r, "sirnn", json_string(SR_VERSION));
    json_object_set_new(r, "op", json_string(sr_mathfn_name((sr_mathfn)fn)));
    static const char *const keys[] = {"bw_in", "scale_in", "bw_out",
                                       "scale_out"};
    for (int k = 0; k < 4; k++)
        json_object_set_new(r, keys[k], json_integer(val[k]));
    json_object_set_new(r, "count", json_integer((json_int_t)u.count));
    json_object_set_new(r, "max_ulp", json_integer((json_int_t)u.max_ulp));
    json_object_set_new(r, "mean_ulp", json_real(u.mean_ulp));
    json_object_set_new(r, "exact", json_integer((json_int_t)u.exact));
    json_object_set_new(r, "saturated", json_integer((json_int_t)u.saturated));
    json_object_set_new(r, "worst_x", json_integer(u.worst_x));
    json_object_set_new(r, "worst_y", json_integer(u.worst_y));
    json_object_set_new(r, "worst_ref", json_integer(u.worst_ref));
    json_object_set_new(r, "seconds", json_real(sr_now() - t0));
    int code = sr_report_emit(r, report, 1) == SR_OK ? 0 : 1;
    json_decref(r);
    return code;
}
