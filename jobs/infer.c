/*
 * jobs/infer.c -- `sirnn server` and `sirnn client` (see infer.h): the
 * options and the two commands (model or inputs, the sessions, outputs);
 * one session on the ranks is in jobs/infer_session.c, the model demo in
 * jobs/infer_demo.c.
 */
#include "jobs/infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/heads_fmt.h"
#include "jobs/infer_internal.h"
#include "jobs/jsonerr.h"
#include "jobs/internal.h"
#include "jobs/model_heads.h"
#include "jobs/quantise.h"
#include "jobs/report.h"

/* ---- options ------------------------------------------------------------ */

/* Options each command takes beyond the common ones of sr_cli_common. */
static const char *const server_common[] = {
    "--listen",   "--advertise", "--rank-ports", "--threads",
    "--conns",    "--sessions",  "--report",     "--timeout",
    "--seed",     "--quiet",     "--ranks",      "--tls-psk",
    "--tls-cert", "--tls-key",   "--tls-ca",     NULL};
static const char *const client_common[] = {
    "--connect", "--threads", "--conns", "--report",  "--timeout",
    "--seed",    "--quiet",   "--ranks", "--tls-psk", "--tls-cert",
    "--tls-key", "--tls-ca",  NULL};

static int
listed(const char *const *l, const char *opt)
{
    for (; *l != NULL; l++)
        if (strcmp(*l, opt) == 0)
            return 1;
    return 0;
}

static int
parse(sr_infer_opts *o, sr_cli_role role, int argc, char **argv)
{
    const char *cmd = role == SR_ROLE_SERVER ? "server" : "client";
    memset(o, 0, sizeof *o);
    sr_cli_defaults(&o->c, cmd);
    o->reveal = SR_REVEAL_LABEL;
    const char *const *common =
        role == SR_ROLE_SERVER ? server_common : client_common;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &val);
        const char *opt = name != NULL ? name : argv[i];
        int used = 0, rc = 0;
        const char **dst = NULL;
        if (role == SR_ROLE_SERVER && strcmp(opt, "--model") == 0)
            dst = &o->model;
        else if (role == SR_ROLE_CLIENT && strcmp(opt, "--input") == 0)
            dst = &o->input;
        else if (role == SR_ROLE_CLIENT && strcmp(opt, "--labels") == 0)
            dst = &o->labels;
        else if (role == SR_ROLE_CLIENT && strcmp(opt, "--output") == 0)
            dst = &o->output;
        if (dst != NULL ||
            (role == SR_ROLE_CLIENT && strcmp(opt, "--reveal") == 0)) {
            used = 1;
            if (val == NULL || val[0] == '\0') {
                sr_cli_error(cmd, "%s: needs a value", opt);
                rc = SR_EUSAGE;
            } else if (dst != NULL) {
                *dst = val;
            } else if ((o->reveal = sr_reveal_parse(val)) < 0) {
                sr_cli_error(cmd, "--reveal %s: expected label or logits", val);
                rc = SR_EUSAGE;
            }
        } else if (listed(common, opt)) {
            rc = sr_cli_common(&o->c, opt, val, &used);
        } else {
            sr_cli_error(cmd, "unknown option '%s'", opt);
            rc = SR_EUSAGE;
        }
        int eq = name != NULL;
        free(name);
        if (rc < 0)
            return SR_EUSAGE;
        if (eq && !used) {
            sr_cli_error(cmd, "%s takes no value", opt);
            return SR_EUSAGE;
        }
        if (used && !eq)
            i++;
    }
    o->c.role = role;
    if (role == SR_ROLE_SERVER && o->model == NULL) {
        sr_cli_error(cmd, "--model DIR is required");
        return SR_EUSAGE;
    }
    if (role == SR_ROLE_CLIENT && (o->c.connect == NULL || o->input == NULL)) {
        sr_cli_error(cmd, "--connect HOST:PORT and --input X.npy are required");
        return SR_EUSAGE;
    }
    return sr_cli_finish(&o->c);
}

/* see infer.h */
int
sr_cmd_server(int argc, char **argv)
{
    sr_infer_opts o;
    if (parse(&o, SR_ROLE_SERVER, argc, argv) != SR_OK)
        return 2;
    /* the model first: a bad model is a usage error before any waiting */
    char err[1024] = "";
    sr_model m;
    int rc = sr_model_load_any(&m, o.model, err, sizeof err);
    const int heads = rc == SR_OK && m.type == SR_MODEL_RNNPOOL_HEADS;
    sr_fastgrnn_fmt f;
    sr_heads_fx hq;
    memset(&hq, 0, sizeof hq);
    sr_card card;
    if (heads) {
        /* formats: model.json's fixed_point or the defaults (heads_fmt.h) */
        char what[4200];
        snprintf(what, sizeof what, "%s/model.json", o.model);
        sr_heads_fmt hf;
        rc = sr_heads_model_fmt(&hf, m.heads->fixed_point, what, err,
                                sizeof err);
        if (rc == SR_OK &&
            sr_heads_fx_init(&hq, &m.heads->net, &hf, NULL) != SR_OK) {
            snprintf(err, sizeof err, "sirnn: server: out of memory");
            rc = SR_ENOMEM;
        }
        if (rc == SR_OK)
            sr_card_make_heads(&card, m.heads->name, &hq);
    } else if (rc == SR_OK) {
        rc = sr_model_formats(&f, &m, o.model, err, sizeof err);
    }
    if (rc == SR_OK && !heads) {
        sr_card_make(&card, &m, &f);
        char why[200];
        if (sr_fastgrnn_secure_check(&card.pub, why, sizeof why) != SR_OK) {
            snprintf(err, sizeof err, "sirnn: %s/model.json: fixed_point: %s",
                     o.model, why);
            rc = SR_EUSAGE;
        }
    }
    sr_fastgrnn_fx q;
    memset(&q, 0, sizeof q);
    if (rc == SR_OK && !heads) {
        const sr_fastgrnn_float fp = sr_model_float(&m);
        rc = sr_fastgrnn_fx_init(&q, &fp, &f, NULL);
        if (rc != SR_OK)
            snprintf(err, sizeof err, "sirnn: server: out of memory");
    }
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        sr_heads_fx_clear(&hq);
        sr_model_clear(&m);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    sr_world W;
    sr_tls_config tls;
    int code = sr_infer_party_start(&o, &W, &tls, &argc, &argv);
    if (code != 0) {
        sr_heads_fx_clear(&hq);
        sr_fastgrnn_fx_clear(&q);
        sr_model_clear(&m);
        return code;
    }
    sr_net_opts no = sr_infer_net_opts(&o, &tls);
    no.threads = o.c.threads ? o.c.threads : 1;
    no.conns = o.c.conns ? o.c.conns : 1;
    sr_netsrv NS;
    char nerr[600] = "";
    rc = sr_net_server_open(&NS, &W, &no, nerr, sizeof nerr);
    if (rc != SR_OK) {
        if (W.rank == 0)
            sr_cli_error("server", "%s", nerr);
        code = rc == SR_EUSAGE ? 2 : 1;
    } else {
        if (W.rank == 0 && !o.c.quiet)
            fprintf(stderr,
                    "sirnn: server: model %s on %s (%d rank(s), %u "
                    "thread(s), %u conn(s))\n",
                    card.name, o.c.listen ? o.c.listen : "port 7000", W.size,
                    no.threads, no.conns);
        sr_infer_party p = {.o = &o,
                            .tls = &tls,
                            .W = &W,
                            .who = SR_SERVER,
                            .q = &q,
                            .card_srv = &card,
                            .hq = &hq};
        for (unsigned k = 0; o.c.sessions == 0 || k < o.c.sessions;) {
            sr_session s;
            memset(&s, 0, sizeof s);
            rc = sr_net_server_accept(&NS, &s, nerr, sizeof nerr);
            if (rc != SR_OK && !s.joined) {
                if (W.rank == 0)
                    sr_cli_error("server", "%s", nerr);
                code = 1;
                break;
            }
            json_t *rep = NULL;
            p.refused = 0;
            int sc = rc == SR_OK ? sr_infer_session(&p, &s, &rep) : 1;
            if (rc != SR_OK && W.rank == 0)
                sr_cli_error("server", "session %u failed: %s", k + 1, nerr);
            if (sc == 2) {
                /* refused: one line, not a session */
                if (W.rank == 0)
                    sr_cli_error("server", "refused client %s: %s", s.peer,
                                 p.msg);
                sr_session_clear(&s);
                continue;
            }
            if (sc != 0)
                code = 1;
            if (rep != NULL) {
                if (o.c.report != NULL &&
                    sr_report_emit(rep, o.c.report, 0) != SR_OK)
                    code = 1;
                if (!o.c.quiet)
                    fprintf(stderr,
                            "sirnn: server: session %u: %lld sample(s) in "
                            "%.2f s\n",
                            k + 1,
                            (long long)json_integer_value(
                                json_object_get(rep, "batch")),
                            json_number_value(json_object_get(rep, "seconds")));
                json_decref(rep);
            }
            sr_session_clear(&s);
            k++;
        }
        sr_net_server_close(&NS);
    }
    sr_tls_config_clear(&tls);
    sr_world_finalize(&W);
    sr_heads_fx_clear(&hq);
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
    return code;
}

/* Opens the CSV output: path through a temporary file (tmp), or stdout. */
static FILE *
csv_open(const char *path, char *tmp, size_t tmplen)
{
    if (path == NULL)
        return stdout;
    snprintf(tmp, tmplen, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *fh = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fh == NULL)
        sr_cli_error("client", "cannot write %s", path);
    return fh;
}

/* Closes it: renamed over path, or stdout flushed. */
static int
csv_close(FILE *fh, const char *path, const char *tmp, int bad)
{
    bad |= ferror(fh) != 0;
    if (path == NULL)
        return bad || fflush(fh) != 0 ? SR_EIO : SR_OK;
    bad |= fclose(fh) != 0;
    if (!bad)
        bad = chmod(tmp, 0644) != 0 || rename(tmp, path) != 0;
    if (bad) {
        unlink(tmp);
        sr_cli_error("client", "cannot write %s", path);
        return SR_EIO;
    }
    return SR_OK;
}

/* The CSV of DESIGN.md s7 to path (temp + rename) or stdout. */
static int
write_csv(const char *path, size_t B, size_t K, const long *pred,
          const uint64_t *lo, const sr_fx *flo)
{
    char tmp[4096];
    FILE *fh = csv_open(path, tmp, sizeof tmp);
    if (fh == NULL)
        return SR_EIO;
    fprintf(fh, "index,pred");
    for (size_t k = 0; flo != NULL && k < K; k++)
        fprintf(fh, ",logit_%zu", k);
    fputc('\n', fh);
    for (size_t b = 0; b < B; b++) {
        fprintf(fh, "%zu,%ld", b, pred[b]);
        for (size_t k = 0; flo != NULL && k < K; k++)
            fprintf(fh, ",%.17g", sr_fx_value(lo[b * K + k], *flo));
        fputc('\n', fh);
    }
    return csv_close(fh, path, tmp, 0);
}

/* The heads CSV (docs/heads.md s10); p->pred gets the head counts. */
static int
write_heads_csv(const char *path, sr_infer_party *p)
{
    char tmp[4096];
    FILE *fh = csv_open(path, tmp, sizeof tmp);
    if (fh == NULL)
        return SR_EIO;
    const int rc = sr_infer_heads_write(p, fh);
    if (rc == SR_ENOMEM)
        sr_cli_error("client", "out of memory");
    return csv_close(fh, path, tmp, rc != SR_OK);
}

/* see infer.h */
int
sr_cmd_client(int argc, char **argv)
{
    sr_infer_opts o;
    if (parse(&o, SR_ROLE_CLIENT, argc, argv) != SR_OK)
        return 2;
    /* the inputs first: a bad file never bothers the server */
    char err[1024] = "";
    sr_npy x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    int rc = sr_npy_load(&x, o.input, SR_NPY_FLOAT, err, sizeof err);
    if (rc == SR_OK)
        rc = sr_input_check(&x, o.input,
                            "(B, T, D) sequences (FastGRNN) or (B, H, W) / "
                            "(B, H, W, 1) images",
                            err, sizeof err);
    if (rc == SR_OK && o.labels != NULL) {
        rc = sr_npy_load(&y, o.labels, SR_NPY_INT, err, sizeof err);
        if (rc == SR_OK && (y.ndim != 1 || y.shape[0] != x.shape[0])) {
            snprintf(err, sizeof err,
                     "sirnn: %s: shape: expected (%zu,) labels, one per "
                     "input",
                     o.labels, x.shape[0]);
            rc = SR_EUSAGE;
        }
    }
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        sr_npy_clear(&x);
        sr_npy_clear(&y);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    sr_world W;
    sr_tls_config tls;
    int code = sr_infer_party_start(&o, &W, &tls, &argc, &argv);
    if (code != 0) {
        sr_npy_clear(&x);
        sr_npy_clear(&y);
        return code;
    }
    sr_infer_party p = {
        .o = &o, .tls = &tls, .W = &W, .who = SR_CLIENT, .x = &x};
    /* the request itself follows the card's type (infer_session.c) */
    p.req.batch = x.shape[0];
    p.req.reveal = (sr_reveal)o.reveal;
    sr_net_opts no = sr_infer_net_opts(&o, &tls);
    sr_session s;
    memset(&s, 0, sizeof s);
    char nerr[600] = "";
    rc = sr_net_client_connect(&s, &W, &no, nerr, sizeof nerr);
    if (rc != SR_OK) {
        if (W.rank == 0)
            sr_cli_error("client", "%s", nerr);
        code = rc == SR_EMISMATCH || rc == SR_EUSAGE ? 2 : 1;
    } else {
        json_t *rep = NULL;
        code = sr_infer_session(&p, &s, &rep);
        if (code == 2 && W.rank == 0)
            sr_cli_error("client", "refused: %s", p.msg);
        const int heads = p.card.type == SR_MODEL_RNNPOOL_HEADS;
        if (code == 0 && W.rank == 0 && heads &&
            write_heads_csv(o.output, &p) != SR_OK)
            code = 1;
        if (code == 0 && W.rank == 0) {
            const size_t B = p.req.batch, K = p.card.pub.K;
            size_t hits = 0;
            for (size_t b = 0; o.labels != NULL && b < B; b++) {
                if (heads && y.i64[b] < 0) {
                    sr_cli_error(o.labels,
                                 "label %zu is %lld, expected a head count "
                                 ">= 0",
                                 b, (long long)y.i64[b]);
                    code = 2;
                    break;
                }
                if (!heads && (y.i64[b] < 0 || (size_t)y.i64[b] >= K)) {
                    sr_cli_error(o.labels, "label %zu is %lld, expected 0..%zu",
                                 b, (long long)y.i64[b], K - 1);
                    code = 2;
                    break;
                }
                hits += p.pred[b] == (long)y.i64[b];
            }
            if (code == 0 && o.labels != NULL && rep != NULL) {
                json_t *a = json_object();
                json_object_set_new(a, "secure",
                                    json_real((double)hits / (double)B));
                json_object_set_new(rep, "accuracy", a);
                if (!o.c.quiet)
                    fprintf(stderr,
                            "sirnn: client: secure accuracy %.6f "
                            "(%zu/%zu)\n",
                            (double)hits / (double)B, hits, B);
            }
            if (code == 0 && !heads &&
                write_csv(o.output, B, K, p.pred, p.logits,
                          p.req.reveal == SR_REVEAL_LOGITS
                              ? &p.card.pub.f.logits
                              : NULL) != SR_OK)
                code = 1;
            if (code == 0 && rep != NULL && o.c.report != NULL &&
                sr_report_emit(rep, o.c.report, 0) != SR_OK)
                code = 1;
        }
        json_decref(rep);
    }
    free(p.pred);
    free(p.logits);
    free(p.hloc);
    free(p.hconf);
    sr_session_clear(&s);
    sr_tls_config_clear(&tls);
    sr_world_finalize(&W);
    sr_npy_clear(&x);
    sr_npy_clear(&y);
    return code;
}
