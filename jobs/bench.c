/*
 * jobs/bench.c -- the op table, the helpers for ops, option parsing and
 * the entry point of `sirnn bench`.
 */
#include "jobs/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/net.h"
#include "jobs/internal.h"
#include "jobs/report.h"

/* ---- the table: one extern and one line per op ------------------------- */

extern const sr_bench_op sr_bench_op_net;         /* jobs/bench_net.c */
extern const sr_bench_op sr_bench_op_ot;          /* jobs/bench_ot.c */
extern const sr_bench_op sr_bench_op_millionaire; /* jobs/bench_core.c */
extern const sr_bench_op sr_bench_op_wrap;
extern const sr_bench_op sr_bench_op_msb;
extern const sr_bench_op sr_bench_op_relu;
extern const sr_bench_op sr_bench_op_and;
extern const sr_bench_op sr_bench_op_b2a;
extern const sr_bench_op sr_bench_op_mux;
extern const sr_bench_op sr_bench_op_lut;
extern const sr_bench_op sr_bench_op_zext; /* jobs/bench_sirnn.c */
extern const sr_bench_op sr_bench_op_sext;
extern const sr_bench_op sr_bench_op_tr;
extern const sr_bench_op sr_bench_op_lrs;
extern const sr_bench_op sr_bench_op_ars;
extern const sr_bench_op sr_bench_op_divpow2;
extern const sr_bench_op sr_bench_op_umult;
extern const sr_bench_op sr_bench_op_smult;
extern const sr_bench_op sr_bench_op_matmul;
extern const sr_bench_op sr_bench_op_digdec;
extern const sr_bench_op sr_bench_op_msnzb;
extern const sr_bench_op sr_bench_op_exp; /* jobs/bench_math.c */
extern const sr_bench_op sr_bench_op_sigmoid;
extern const sr_bench_op sr_bench_op_tanh;
extern const sr_bench_op sr_bench_op_recip;
extern const sr_bench_op sr_bench_op_rsqrt;
extern const sr_bench_op sr_bench_op_div;

const sr_bench_op *const sr_bench_ops[] = {
    &sr_bench_op_net,         &sr_bench_op_ot,
    &sr_bench_op_millionaire, &sr_bench_op_wrap,
    &sr_bench_op_msb,         &sr_bench_op_relu,
    &sr_bench_op_and,         &sr_bench_op_b2a,
    &sr_bench_op_mux,         &sr_bench_op_lut,
    &sr_bench_op_zext,        &sr_bench_op_sext,
    &sr_bench_op_tr,          &sr_bench_op_lrs,
    &sr_bench_op_ars,         &sr_bench_op_divpow2,
    &sr_bench_op_umult,       &sr_bench_op_smult,
    &sr_bench_op_matmul,      &sr_bench_op_digdec,
    &sr_bench_op_msnzb,       &sr_bench_op_exp,
    &sr_bench_op_sigmoid,     &sr_bench_op_tanh,
    &sr_bench_op_recip,       &sr_bench_op_rsqrt,
    &sr_bench_op_div,         NULL,
};

/* see bench.h */
const sr_bench_op *
sr_bench_find(const char *name)
{
    for (size_t i = 0; sr_bench_ops[i] != NULL; i++)
        if (strcmp(sr_bench_ops[i]->name, name) == 0)
            return sr_bench_ops[i];
    return NULL;
}

/* ---- helpers for ops ---------------------------------------------------- */

/* see bench.h */
void
sr_bench_inputs(sr_bench_lane *b, uint64_t *x, uint64_t *sh, size_t n,
                unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    const uint64_t m = sr_mask(bw);
    for (size_t i = 0; i < n; i++) {
        uint64_t v, r;
        sr_prg_u64(&b->in, &v, 1, bw);
        sr_prg_u64(&b->in, &r, 1, bw);
        if (x != NULL)
            x[i] = v;
        if (sh != NULL)
            sh[i] = b->L->role == SR_ALICE ? r : (v - r) & m;
    }
}

/* see bench.h */
void
sr_bench_inputs_bits(sr_bench_lane *b, uint8_t *x, uint8_t *sh, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t v[2];
        sr_prg_bits(&b->in, v, 2);
        if (x != NULL)
            x[i] = v[0];
        if (sh != NULL)
            sh[i] = b->L->role == SR_ALICE ? v[1] : (uint8_t)(v[0] ^ v[1]);
    }
}

/* see bench.h */
int
sr_bench_open(sr_bench_lane *b, uint64_t *out, const uint64_t *sh, size_t n,
              unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    uint64_t *theirs = sr_scratch_u64(b->L, n);
    if (theirs == NULL)
        return SR_ENOMEM;
    /* A <-> B: n x 8 bytes each way */
    sr_chan_exchange(&b->L->chan, theirs, n * 8, sh, n * 8);
    for (size_t i = 0; i < n; i++)
        out[i] = (sh[i] + theirs[i]) & sr_mask(bw);
    sr_scratch_release(b->L, theirs);
    return sr_chan_error(&b->L->chan);
}

/* see bench.h */
int
sr_bench_open_bits(sr_bench_lane *b, uint8_t *out, const uint8_t *sh, size_t n)
{
    uint8_t *theirs = sr_scratch_u8(b->L, n);
    if (theirs == NULL)
        return SR_ENOMEM;
    /* A <-> B: n bytes each way */
    sr_chan_exchange(&b->L->chan, theirs, n, sh, n);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((sh[i] ^ theirs[i]) & 1);
    sr_scratch_release(b->L, theirs);
    return sr_chan_error(&b->L->chan);
}

/* see bench.h */
int
sr_bench_expect(sr_bench_lane *b, const char *what, const uint64_t *got,
                const uint64_t *want, size_t n, unsigned bw)
{
    const uint64_t m = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        if (((got[i] ^ want[i]) & m) != 0) {
            snprintf(b->why, sizeof b->why,
                     "%s[%zu] = %llu, want %llu (lane %u)", what, b->off + i,
                     (unsigned long long)(got[i] & m),
                     (unsigned long long)(want[i] & m), b->L->id);
            return SR_ECHECK;
        }
    return SR_OK;
}

/* ---- parameters --------------------------------------------------------- */

enum { P_UINT, P_KIND, P_DIMS, P_KNOWN, P_MSB };

static const struct popt {
    const char *opt, *key;
    unsigned bit;
    int type;
    uint64_t lo, hi;
    size_t off; /* of the unsigned field (P_UINT) */
} popts[] = {
    {"--bw", "bw", SR_BP_BW, P_UINT, 1, 64, offsetof(sr_bench_params, bw)},
    {"--bw2", "bw2", SR_BP_BW2, P_UINT, 1, 64, offsetof(sr_bench_params, bw2)},
    {"--bw-out", "bw_out", SR_BP_BW_OUT, P_UINT, 1, 64,
     offsetof(sr_bench_params, bw_out)},
    {"--shift", "shift", SR_BP_SHIFT, P_UINT, 0, 64,
     offsetof(sr_bench_params, shift)},
    {"--l", "l", SR_BP_L, P_UINT, 1, 128, offsetof(sr_bench_params, l)},
    {"--N", "N", SR_BP_N_OT, P_UINT, 2, 256, offsetof(sr_bench_params, N)},
    {"--kind", "kind", SR_BP_KIND, P_KIND, 0, 0, 0},
    {"--digit", "digit", SR_BP_DIGIT, P_UINT, 1, 64,
     offsetof(sr_bench_params, digit)},
    {"--dims", "dims", SR_BP_DIMS, P_DIMS, 0, 0, 0},
    {"--known", "known", SR_BP_KNOWN, P_KNOWN, 0, 0, 0},
    {"--msb-known", "msb_known", SR_BP_MSB_KNOWN, P_MSB, 0, 0, 0},
    {"--bw-in", "bw_in", SR_BP_BW_IN, P_UINT, 1, 64,
     offsetof(sr_bench_params, bw_in)},
    {"--scale-in", "scale_in", SR_BP_SCALE_IN, P_UINT, 0, 64,
     offsetof(sr_bench_params, scale_in)},
    {"--scale-out", "scale_out", SR_BP_SCALE_OUT, P_UINT, 0, 64,
     offsetof(sr_bench_params, scale_out)},
};
#define NPOPTS (sizeof popts / sizeof popts[0])

static const char *const known_names[] = {"none", "server"};
static const char *const msb_names[] = {"none", "public", "shared"};

/* see internal.h */
void
sr_bench_params_defaults(sr_bench_params *p, const sr_bench_op *op)
{
    memset(p, 0, sizeof *p);
    p->n = op->default_n ? op->default_n : 65536;
    p->bw = p->bw2 = p->bw_out = 32;
    p->shift = 12;
    p->l = 32;
    p->N = 16;
    p->digit = 8;
    p->bw_in = 16;
    p->scale_in = p->scale_out = 12;
    p->bytes = (uint64_t)1 << 24;
}

static unsigned *
ufield(sr_bench_params *p, const struct popt *o)
{
    return (unsigned *)((char *)p + o->off);
}

/* Parse one op option; SR_EUSAGE after printing on error. */
static int
param_set(sr_bench_params *p, const struct popt *o, const char *val)
{
    uint64_t v;
    if (val == NULL) {
        sr_cli_error("bench", "%s: needs a value", o->opt);
        return SR_EUSAGE;
    }
    switch (o->type) {
    case P_UINT:
        if (sr_cli_uint("bench", o->opt, val, o->lo, o->hi, &v) != SR_OK)
            return SR_EUSAGE;
        *ufield(p, o) = (unsigned)v;
        if (o->bit == SR_BP_N_OT && (v & (v - 1)) != 0) {
            sr_cli_error("bench", "--N: %s is not a power of two", val);
            return SR_EUSAGE;
        }
        break;
    case P_KIND: {
        size_t len = strlen(val);
        if (len == 0 || len >= SR_BENCH_KIND_MAX ||
            strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789") != len) {
            sr_cli_error("bench", "--kind: bad value '%s'", val);
            return SR_EUSAGE;
        }
        memcpy(p->kind, val, len + 1);
        break;
    }
    case P_DIMS: {
        const char *s = val;
        for (int k = 0; k < 3; k++) {
            char buf[24];
            size_t len = strcspn(s, ",");
            if (len == 0 || len >= sizeof buf || (k < 2 && s[len] != ',') ||
                (k == 2 && s[len] != '\0')) {
                sr_cli_error("bench", "--dims: expected d1,d2,d3, not '%s'",
                             val);
                return SR_EUSAGE;
            }
            memcpy(buf, s, len);
            buf[len] = '\0';
            if (sr_cli_uint("bench", "--dims", buf, 1, 1u << 20, &v) != SR_OK)
                return SR_EUSAGE;
            p->dims[k] = (unsigned)v;
            s += len + 1;
        }
        break;
    }
    case P_KNOWN:
    case P_MSB: {
        const char *const *names = o->type == P_KNOWN ? known_names : msb_names;
        int count = o->type == P_KNOWN ? 2 : 3, found = -1;
        for (int k = 0; k < count; k++)
            if (strcmp(val, names[k]) == 0)
                found = k;
        if (found < 0) {
            sr_cli_error("bench", "%s: bad value '%s'", o->opt, val);
            return SR_EUSAGE;
        }
        if (o->type == P_KNOWN)
            p->known = found;
        else
            p->msb_known = found;
        break;
    }
    }
    p->given |= o->bit;
    return SR_OK;
}

/* The text form of parameter o's value. */
static void
param_text(char *out, size_t cap, const sr_bench_params *p,
           const struct popt *o)
{
    switch (o->type) {
    case P_UINT:
        snprintf(out, cap, "%u", *ufield((sr_bench_params *)p, o));
        break;
    case P_KIND:
        snprintf(out, cap, "%s", p->kind);
        break;
    case P_DIMS:
        snprintf(out, cap, "%u,%u,%u", p->dims[0], p->dims[1], p->dims[2]);
        break;
    case P_KNOWN:
        snprintf(out, cap, "%s", known_names[p->known]);
        break;
    case P_MSB:
        snprintf(out, cap, "%s", msb_names[p->msb_known]);
        break;
    }
}

/* see internal.h */
size_t
sr_bench_job_text(char *out, size_t cap, const sr_bench_op *op,
                  const sr_bench_params *p)
{
    size_t n = (size_t)snprintf(out, cap, "op=%s\nn=%llu\n", op->name,
                                (unsigned long long)p->n);
    for (size_t i = 0; i < NPOPTS && n < cap; i++)
        if (op->params & popts[i].bit) {
            char v[64];
            param_text(v, sizeof v, p, &popts[i]);
            n += (size_t)snprintf(out + n, cap - n, "%s=%s\n", popts[i].key, v);
        }
    if ((op->params & SR_BP_BYTES) && n < cap)
        n += (size_t)snprintf(out + n, cap - n, "bytes=%llu\n",
                              (unsigned long long)p->bytes);
    SR_REQUIRE(n < cap);
    return n;
}

/* see internal.h */
int
sr_bench_param_args(char **argv, const sr_bench_op *op,
                    const sr_bench_params *p)
{
    int k = 0;
    char v[64];
    argv[k++] = strdup("--n");
    snprintf(v, sizeof v, "%llu", (unsigned long long)p->n);
    argv[k++] = strdup(v);
    for (size_t i = 0; i < NPOPTS; i++)
        if (op->params & popts[i].bit) {
            argv[k++] = strdup(popts[i].opt);
            param_text(v, sizeof v, p, &popts[i]);
            argv[k++] = strdup(v);
        }
    if (op->params & SR_BP_BYTES) {
        argv[k++] = strdup("--bytes");
        snprintf(v, sizeof v, "%llu", (unsigned long long)p->bytes);
        argv[k++] = strdup(v);
    }
    return k;
}

/* see internal.h */
void
sr_bench_report_params(json_t *r, const sr_bench_op *op,
                       const sr_bench_params *p)
{
    for (size_t i = 0; i < NPOPTS; i++) {
        if (!(op->params & popts[i].bit))
            continue;
        if (popts[i].type == P_UINT) {
            json_object_set_new(
                r, popts[i].key,
                json_integer(*ufield((sr_bench_params *)p, &popts[i])));
        } else if (popts[i].type == P_DIMS) {
            json_t *d = json_array();
            for (int k = 0; k < 3; k++)
                json_array_append_new(d, json_integer(p->dims[k]));
            json_object_set_new(r, "dims", d);
        } else {
            char v[64];
            param_text(v, sizeof v, p, &popts[i]);
            json_object_set_new(r, popts[i].key, json_string(v));
        }
    }
    if (op->params & SR_BP_BYTES)
        json_object_set_new(r, "bytes", json_integer((json_int_t)p->bytes));
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: sirnn bench OP [--n N] [op params] [--threads T] "
               "[--conns C] [--ranks R]\n"
               "       [--role server|client --listen [HOST:]PORT | "
               "--connect HOST:PORT]\n"
               "       [--timeout S] [--seed N] [--quiet] [--report FILE]\n"
               "       [--tls-psk FILE | --tls-cert F --tls-key F --tls-ca F]\n"
               "ops:\n");
    for (size_t i = 0; sr_bench_ops[i] != NULL; i++)
        fprintf(f, "  %-12s %s\n", sr_bench_ops[i]->name,
                sr_bench_ops[i]->summary);
}

/* ---- entry -------------------------------------------------------------- */

/* see internal.h */
json_t *
sr_bench_local(const sr_bench_op *op, const sr_bench_params *p, const sr_cli *c,
               int *code)
{
    *code = 2;
    if (getenv("OMPI_COMM_WORLD_SIZE") != NULL) {
        sr_cli_error(c->cmd,
                     "without --role, run sirnn %s without "
                     "mpirun (use --ranks R)",
                     c->cmd);
        return NULL;
    }
    *code = 1;
    unsigned port = sr_local_free_port();
    char rep[2][64] = {"/tmp/sirnn-bench-s-XXXXXX",
                       "/tmp/sirnn-bench-c-XXXXXX"};
    for (int k = 0; k < 2; k++) {
        int fd = mkstemp(rep[k]);
        if (fd < 0) {
            sr_cli_error(c->cmd, "cannot make a temporary file");
            return NULL;
        }
        close(fd);
    }
    char *args[2][80];
    char v[64];
    for (int k = 0; k < 2; k++) {
        int n = 0;
        char **a = args[k];
        a[n++] = strdup("bench");
        a[n++] = strdup(op->name);
        n += sr_bench_param_args(a + n, op, p);
        a[n++] = strdup("--role");
        a[n++] = strdup(k == 0 ? "server" : "client");
        snprintf(v, sizeof v, "127.0.0.1:%u", port);
        a[n++] = strdup(k == 0 ? "--listen" : "--connect");
        a[n++] = strdup(v);
        a[n++] = strdup("--timeout");
        snprintf(v, sizeof v, "%u", c->timeout_s);
        a[n++] = strdup(v);
        a[n++] = strdup("--report");
        a[n++] = strdup(rep[k]);
        if (k == 0) {
            a[n++] = strdup("--rank-ports");
            a[n++] = strdup("ephemeral");
        }
        if (c->threads) {
            a[n++] = strdup("--threads");
            snprintf(v, sizeof v, "%u", c->threads);
            a[n++] = strdup(v);
        }
        if (c->conns) {
            a[n++] = strdup("--conns");
            snprintf(v, sizeof v, "%u", c->conns);
            a[n++] = strdup(v);
        }
        if (c->seeded) {
            a[n++] = strdup("--seed");
            snprintf(v, sizeof v, "%llu", (unsigned long long)c->seed);
            a[n++] = strdup(v);
        }
        n += sr_cli_child_args(c, a + n);
        if (k == 0 || c->quiet)
            a[n++] = strdup("--quiet");
        a[n] = NULL;
    }
    json_t *r = sr_local_run(args[0], args[1], c->ranks ? c->ranks : 1, rep[0],
                             rep[1], code);
    for (int k = 0; k < 2; k++) {
        for (char **a = args[k]; *a != NULL; a++)
            free(*a);
        unlink(rep[k]);
    }
    return r;
}

/* Local mode: print the merged report. */
static int
bench_local(const sr_bench_op *op, const sr_bench_params *p, const sr_cli *c)
{
    int code;
    json_t *r = sr_bench_local(op, p, c, &code);
    if (r != NULL) {
        if (sr_report_emit(r, c->report, 1) != SR_OK && code == 0)
            code = 1;
        json_decref(r);
    }
    return code;
}

/* see bench.h */
int
sr_bench_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "--list") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const sr_bench_op *op = sr_bench_find(argv[1]);
    if (op == NULL) {
        sr_cli_error("bench", "unknown op '%s' (sirnn bench --list)", argv[1]);
        return 2;
    }
    sr_cli c;
    sr_cli_defaults(&c, "bench");
    sr_bench_params p;
    sr_bench_params_defaults(&p, op);
    for (int i = 2; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &val);
        const char *opt = name != NULL ? name : argv[i];
        int eq = name != NULL, used = 0, rc = 0;
        rc = sr_cli_common(&c, opt, val, &used);
        if (rc == 0 && strcmp(opt, "--n") == 0) {
            uint64_t v;
            rc = sr_cli_uint("bench", "--n", val, 0, (uint64_t)1 << 40, &v);
            if (rc == SR_OK) {
                p.n = v;
                rc = 1;
                used = 1;
            }
        } else if (rc == 0 && strcmp(opt, "--bytes") == 0 &&
                   (op->params & SR_BP_BYTES)) {
            uint64_t v;
            rc = sr_cli_uint("bench", "--bytes", val, 1, (uint64_t)1 << 36, &v);
            if (rc == SR_OK) {
                p.bytes = v;
                p.given |= SR_BP_BYTES;
                rc = 1;
                used = 1;
            }
        } else if (rc == 0) {
            for (size_t k = 0; k < NPOPTS; k++)
                if (strcmp(opt, popts[k].opt) == 0) {
                    if (!(op->params & popts[k].bit)) {
                        sr_cli_error("bench", "%s: not a parameter of op %s",
                                     opt, op->name);
                        rc = SR_EUSAGE;
                    } else {
                        rc = param_set(&p, &popts[k], val);
                        rc = rc == SR_OK ? 1 : rc;
                        used = 1;
                    }
                    break;
                }
            if (rc == 0 && strcmp(opt, "--bytes") == 0) {
                sr_cli_error("bench", "--bytes: not a parameter of op %s",
                             op->name);
                rc = SR_EUSAGE;
            } else if (rc == 0) {
                sr_cli_error("bench", "unknown option '%s'", opt);
                rc = SR_EUSAGE;
            }
        }
        free(name);
        if (rc < 0)
            return 2;
        if (eq && !used) {
            sr_cli_error("bench", "%s takes no value", opt);
            return 2;
        }
        if (used && !eq)
            i++;
    }
    if (sr_cli_finish(&c) != SR_OK)
        return 2;
    if (op->validate != NULL) {
        char err[200] = "";
        if (op->validate(&p, err, sizeof err) != SR_OK) {
            sr_cli_error("bench", "%s: %s", op->name,
                         err[0] ? err : "bad parameters");
            return 2;
        }
    }
    if (c.role == SR_ROLE_NONE)
        return bench_local(op, &p, &c);
    return sr_bench_party(op, &p, &c, &argc, &argv);
}
