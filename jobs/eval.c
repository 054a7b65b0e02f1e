/*
 * jobs/eval.c -- `sirnn eval FN` (jobs/eval.h has the contract): the
 * shared helpers, the options, the input and output files and local mode;
 * one party (--role) is in jobs/eval_party.c.
 */
#include "jobs/eval.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/net.h"
#include "engine/world.h"
#include "jobs/eval_internal.h"
#include "jobs/internal.h"
#include "jobs/npy.h"
#include "jobs/report.h"
#include "math/div.h"
#include "math/mathfn.h"
#include "math/secure.h"
#include "math/ulp.h"
#include "protocols/ot.h"

/* ---- shared helpers ------------------------------------------------------ */

/* see eval.h */
int
sr_eval_formats_check(int fn, int div, sr_fx fx, sr_fx fy, char *err,
                      size_t errlen)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot check the formats (fork failed)");
        return SR_EUSAGE;
    }
    if (pid == 0) {
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0) {
            dup2(dn, STDERR_FILENO);
            close(dn);
        }
        if (div) {
            sr_div_plan *D = malloc(sizeof *D);
            if (D != NULL)
                sr_div_plan_make(D, fy, fx, fx, NULL);
        } else {
            sr_math_plan *P = malloc(sizeof *P);
            if (P != NULL)
                sr_math_plan_make(P, (sr_mathfn)fn, fy, fx, NULL);
        }
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return SR_OK;
    snprintf(err, errlen,
             "formats (%u, %u) -> (%u, %u) are not supported by %s "
             "(docs/math.md, Limits)",
             fx.bw, fx.s, fy.bw, fy.s,
             div ? "div" : sr_mathfn_name((sr_mathfn)fn));
    return SR_EUSAGE;
}

/* see eval.h */
int
sr_eval_in_domain(sr_mathfn fn, int64_t x)
{
    switch (fn) {
    case SR_MATH_EXP:
        return x <= 0;
    case SR_MATH_RECIP:
    case SR_MATH_RSQRT:
        return x > 0;
    default:
        return 1;
    }
}

static const char *
domain_text(sr_mathfn fn)
{
    return fn == SR_MATH_EXP ? "x <= 0" : "x > 0";
}

/* ---- options ------------------------------------------------------------- */

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: sirnn eval FN --in X.npy --out Y.npy --bw-in B "
            "--scale-in S --bw-out B --scale-out S\n"
            "       [--threads T] [--conns C] [--timeout S] [--seed N] "
            "[--quiet] [--report FILE]\n"
            "       [--role server --listen [HOST:]PORT --n N | --role client "
            "--connect HOST:PORT]\n"
            "       [--tls-psk FILE | --tls-cert F --tls-key F --tls-ca F]\n"
            "FN: exp (x <= 0), sigmoid, tanh, recip (x > 0), rsqrt (x > 0)\n");
}

/* Parse argv (argv[0] = "eval"); 0 or the exit code after a message. */
static int
parse(int argc, char **argv, sr_cli *c, sr_eval_opts *e)
{
    sr_cli_defaults(c, "eval");
    memset(e, 0, sizeof *e);
    int fn = sr_mathfn_parse(argv[1]);
    if (fn < 0) {
        sr_cli_error("eval",
                     "unknown function '%s' (exp, sigmoid, tanh, "
                     "recip, rsqrt)",
                     argv[1]);
        return 2;
    }
    e->fn = (sr_mathfn)fn;
    static const char *const fmt_opts[] = {"--bw-in", "--scale-in", "--bw-out",
                                           "--scale-out"};
    for (int i = 2; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &val);
        const char *opt = name != NULL ? name : argv[i];
        int eq = name != NULL, used = 0;
        int rc = sr_cli_common(c, opt, val, &used);
        if (rc == 0) {
            used = 1;
            uint64_t v;
            int k = -1;
            for (int j = 0; j < 4; j++)
                if (strcmp(opt, fmt_opts[j]) == 0)
                    k = j;
            if (k >= 0) {
                rc = sr_cli_uint("eval", opt, val, k % 2 ? 0 : 2,
                                 k % 2 ? 62 : 64, &v);
                if (rc == SR_OK) {
                    unsigned *dst[] = {&e->bw_in, &e->scale_in, &e->bw_out,
                                       &e->scale_out};
                    *dst[k] = (unsigned)v;
                    e->given |= 1u << k;
                    rc = 1;
                }
            } else if (strcmp(opt, "--n") == 0) {
                rc = sr_cli_uint("eval", opt, val, 1, (uint64_t)1 << 32, &v);
                if (rc == SR_OK) {
                    e->n = v;
                    e->given |= 16;
                    rc = 1;
                }
            } else if (strcmp(opt, "--in") == 0 || strcmp(opt, "--out") == 0) {
                if (val == NULL || val[0] == '\0') {
                    sr_cli_error("eval", "%s: needs a file name", opt);
                    rc = SR_EUSAGE;
                } else {
                    *(opt[3] == 'n' ? &e->in : &e->out) = val;
                    rc = 1;
                }
            } else {
                sr_cli_error("eval", "unknown option '%s'", opt);
                rc = SR_EUSAGE;
            }
        }
        free(name);
        if (rc < 0)
            return 2;
        if (eq && !used) {
            sr_cli_error("eval", "%s takes no value", opt);
            return 2;
        }
        if (used && !eq)
            i++;
    }
    if (sr_cli_finish(c) != SR_OK)
        return 2;
    if ((e->given & 15) != 15) {
        sr_cli_error("eval", "--bw-in, --scale-in, --bw-out and --scale-out "
                             "are required");
        return 2;
    }
    if (c->ranks > 1) {
        sr_cli_error("eval", "--ranks: eval runs one rank per party");
        return 2;
    }
    if (c->role == SR_ROLE_SERVER) {
        if (!(e->given & 16)) {
            sr_cli_error("eval", "--role server needs --n N (the number of "
                                 "inputs of the client)");
            return 2;
        }
        if (e->in != NULL || e->out != NULL) {
            sr_cli_error("eval", "--in/--out are client options");
            return 2;
        }
    } else {
        if (e->in == NULL || e->out == NULL) {
            sr_cli_error("eval", "--in X.npy and --out Y.npy are required");
            return 2;
        }
        if (c->role == SR_ROLE_NONE && (e->given & 16)) {
            sr_cli_error("eval", "--n is a server option (the client's n is "
                                 "the size of --in)");
            return 2;
        }
    }
    if (e->scale_out + 1 > e->bw_out || e->scale_in + 1 > e->bw_in) {
        sr_cli_error("eval", "need --scale-in < --bw-in and --scale-out < "
                             "--bw-out");
        return 2;
    }
    char err[200];
    if (sr_eval_formats_check(e->fn, 0, sr_fx_make(e->bw_in, e->scale_in),
                              sr_fx_make(e->bw_out, e->scale_out), err,
                              sizeof err) != SR_OK) {
        sr_cli_error("eval", "%s", err);
        return 2;
    }
    return 0;
}

/* see eval_internal.h */
int
sr_eval_load_input(const sr_eval_opts *e, sr_npy *a, uint64_t **x)
{
    char err[SR_NPY_ERRLEN];
    *x = NULL;
    int rc = sr_npy_load(a, e->in, SR_NPY_INT, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        return rc == SR_ENOMEM ? 1 : 2;
    }
    if (a->n == 0) {
        sr_cli_error("eval", "%s: no values", e->in);
        return 2;
    }
    const sr_fx fx = sr_fx_make(e->bw_in, e->scale_in);
    const sr_fx fy = sr_fx_make(e->bw_out, e->scale_out);
    const int64_t lo = sr_fxp_smin(e->bw_in), hi = sr_fxp_smax(e->bw_in);
    for (size_t i = 0; i < a->n; i++) {
        int64_t v = a->i64[i];
        if (v < lo || v > hi) {
            sr_cli_error("eval",
                         "%s: index %zu: value %lld is outside [%lld, %lld] "
                         "(--bw-in %u)",
                         e->in, i, (long long)v, (long long)lo, (long long)hi,
                         e->bw_in);
            return 2;
        }
        if (!sr_eval_in_domain(e->fn, v)) {
            sr_cli_error("eval",
                         "%s: index %zu: value %lld is outside the domain "
                         "of %s (%s)",
                         e->in, i, (long long)v, sr_mathfn_name(e->fn),
                         domain_text(e->fn));
            return 2;
        }
        int sat = 0;
        (void)sr_ulp_reference(e->fn, v, fx, fy, &sat);
        if (sat) {
            sr_cli_error("eval",
                         "%s: index %zu: value %lld: %s(%.17g) does not fit "
                         "the output format (%u, %u)",
                         e->in, i, (long long)v, sr_mathfn_name(e->fn),
                         (double)v / (double)((uint64_t)1 << e->scale_in),
                         e->bw_out, e->scale_out);
            return 2;
        }
    }
    *x = malloc(a->n * sizeof **x);
    if (*x == NULL) {
        sr_cli_error("eval", "out of memory");
        return 1;
    }
    for (size_t i = 0; i < a->n; i++)
        (*x)[i] = (uint64_t)a->i64[i] & sr_mask(e->bw_in);
    return 0;
}

/* see eval_internal.h */
int
sr_eval_write_output(const char *path, const sr_npy *shape, const int64_t *y)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (tmp == NULL)
        return 1;
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sr_cli_error("eval", "%s: cannot create a temporary file", path);
        free(tmp);
        return 1;
    }
    close(fd);
    char err[SR_NPY_ERRLEN];
    int rc = sr_npy_save_i64(tmp, SR_NPY_I8, shape->shape, shape->ndim, y, err,
                             sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        unlink(tmp);
        free(tmp);
        return 1;
    }
    if (rename(tmp, path) != 0) {
        sr_cli_error("eval", "%s: cannot rename the temporary file", path);
        unlink(tmp);
        free(tmp);
        return 1;
    }
    free(tmp);
    return 0;
}

static void
append_num(char **a, int *n, const char *opt, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    a[(*n)++] = strdup(opt);
    a[(*n)++] = strdup(buf);
}

/* ---- local mode ---------------------------------------------------------- */

static int
eval_local(const sr_cli *c, const sr_eval_opts *e)
{
    if (getenv("OMPI_COMM_WORLD_SIZE") != NULL) {
        sr_cli_error("eval", "without --role, run sirnn eval without mpirun");
        return 2;
    }
    sr_npy a;
    uint64_t *x = NULL;
    int code = sr_eval_load_input(e, &a, &x);
    free(x);
    size_t n = a.n;
    sr_npy_clear(&a);
    if (code != 0)
        return code;
    unsigned port = sr_local_free_port();
    char rep[2][64] = {"/tmp/sirnn-eval-s-XXXXXX", "/tmp/sirnn-eval-c-XXXXXX"};
    for (int k = 0; k < 2; k++) {
        int fd = mkstemp(rep[k]);
        if (fd < 0) {
            sr_cli_error("eval", "cannot make a temporary file");
            if (k == 1)
                unlink(rep[0]);
            return 1;
        }
        close(fd);
    }
    char *args[2][64];
    char v[64];
    for (int k = 0; k < 2; k++) {
        int m = 0;
        char **A = args[k];
        A[m++] = strdup("eval");
        A[m++] = strdup(sr_mathfn_name(e->fn));
        append_num(A, &m, "--bw-in", e->bw_in);
        append_num(A, &m, "--scale-in", e->scale_in);
        append_num(A, &m, "--bw-out", e->bw_out);
        append_num(A, &m, "--scale-out", e->scale_out);
        A[m++] = strdup("--role");
        A[m++] = strdup(k == 0 ? "server" : "client");
        snprintf(v, sizeof v, "127.0.0.1:%u", port);
        A[m++] = strdup(k == 0 ? "--listen" : "--connect");
        A[m++] = strdup(v);
        if (k == 0) {
            append_num(A, &m, "--n", n);
            A[m++] = strdup("--rank-ports");
            A[m++] = strdup("ephemeral");
        } else {
            A[m++] = strdup("--in");
            A[m++] = strdup(e->in);
            A[m++] = strdup("--out");
            A[m++] = strdup(e->out);
        }
        append_num(A, &m, "--timeout", c->timeout_s);
        A[m++] = strdup("--report");
        A[m++] = strdup(rep[k]);
        if (c->threads)
            append_num(A, &m, "--threads", c->threads);
        if (c->conns)
            append_num(A, &m, "--conns", c->conns);
        if (c->seeded)
            append_num(A, &m, "--seed", (unsigned long long)c->seed);
        m += sr_cli_child_args(c, A + m);
        if (k == 0 || c->quiet)
            A[m++] = strdup("--quiet");
        A[m] = NULL;
    }
    json_t *r = sr_local_run(args[0], args[1], 1, rep[0], rep[1], &code);
    for (int k = 0; k < 2; k++) {
        for (char **p = args[k]; *p != NULL; p++)
            free(*p);
        unlink(rep[k]);
    }
    if (r != NULL) {
        if (sr_report_emit(r, c->report, 1) != SR_OK && code == 0)
            code = 1;
        json_decref(r);
    }
    return code;
}

/* see eval.h */
int
sr_cmd_eval(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "sirnn: eval: missing FN (sirnn eval --help)\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    sr_cli c;
    sr_eval_opts e;
    int code = parse(argc, argv, &c, &e);
    if (code != 0)
        return code;
    if (c.role == SR_ROLE_NONE)
        return eval_local(&c, &e);
    return sr_eval_party(&c, &e, &argc, &argv);
}
