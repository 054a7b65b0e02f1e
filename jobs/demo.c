/*
 * jobs/demo.c -- `sirnn demo`.  For now a local two-party self-test: the
 * `bench net` exchange (every byte checked) through the real rendezvous,
 * summarised for humans.  The secure-inference demo replaces it later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/internal.h"

/* see internal.h */
int
sr_demo_main(int argc, char **argv)
{
    sr_cli c;
    sr_cli_defaults(&c, "demo");
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &val);
        const char *opt = name != NULL ? name : argv[i];
        int used = 0, rc = 0;
        if (strcmp(opt, "--ranks") == 0 || strcmp(opt, "--threads") == 0 ||
            strcmp(opt, "--conns") == 0 || strcmp(opt, "--quiet") == 0 ||
            strcmp(opt, "--timeout") == 0 || strcmp(opt, "--seed") == 0)
            rc = sr_cli_common(&c, opt, val, &used);
        else if (strcmp(opt, "--model") == 0 || strcmp(opt, "--samples") == 0) {
            sr_cli_error("demo", "%s: not implemented yet", opt);
            rc = SR_EUSAGE;
        } else {
            sr_cli_error("demo", "unknown option '%s'", opt);
            rc = SR_EUSAGE;
        }
        int eq = name != NULL;
        free(name);
        if (rc < 0)
            return 2;
        if (eq && !used) {
            sr_cli_error("demo", "%s takes no value", opt);
            return 2;
        }
        if (used && !eq)
            i++;
    }
    if (sr_cli_finish(&c) != SR_OK)
        return 2;
    const sr_bench_op *op = sr_bench_find("net");
    sr_bench_params p;
    sr_bench_params_defaults(&p, op);
    p.bytes = (uint64_t)8 << 20;
    p.n = 200;
    if (!c.quiet)
        fprintf(stderr, "sirnn demo: local two-party self-test (server and "
                        "client over loopback TCP)\n");
    int code;
    json_t *r = sr_bench_local(op, &p, &c, &code);
    if (r == NULL)
        return code;
    int ok = json_is_true(json_object_get(r, "ok"));
    printf("sirnn demo: %s: %lld ranks x %lld threads x %lld conns per "
           "party\n",
           ok ? "ok" : "FAILED",
           (long long)json_integer_value(json_object_get(r, "ranks")),
           (long long)json_integer_value(json_object_get(r, "threads")),
           (long long)json_integer_value(json_object_get(r, "conns")));
    printf("  exchanged and checked %.1f MB in %.2f s: %.0f MB/s both ways, "
           "round trip %.1f us\n",
           (double)json_integer_value(json_object_get(r, "bytes_total")) / 1e6,
           json_number_value(json_object_get(r, "seconds")),
           json_number_value(json_object_get(r, "throughput_mb_s")),
           json_number_value(json_object_get(r, "rtt_us")));
    printf("  (the secure-inference demo comes with the model layers)\n");
    json_decref(r);
    return code;
}
