/*
 * jobs/eval_party.c -- one party of `sirnn eval FN --role server|client` (see
 * eval.h): joins MPI, connects, shares the inputs, runs the function on
 * every lane, reconstructs and checks on the client, reports.
 */
#include "jobs/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* ---- one party ----------------------------------------------------------- */

typedef struct eval_run {
    const sr_eval_opts *e;
    const sr_math_plan *P;
    const sr_math_tab *T;
    sr_fx fx, fy;
    size_t n;
    const uint64_t *x; /* client: cleartext inputs (bw_in patterns) */
    int64_t *y;        /* client: reconstructed outputs (signed) */
    /* results */
    int rc, ok;
    char why[320];
    double seconds, setup_seconds;
    uint64_t sent, recv, wire, rounds, setup_bytes;
} eval_run;

/* Lane t's chunk [off, off + cnt). */
static void
chunk(size_t n, unsigned T, unsigned t, size_t *off, size_t *cnt)
{
    *off = (size_t)((uint64_t)n * t / T);
    *cnt = (size_t)((uint64_t)n * (t + 1) / T) - *off;
}

static void
lane_abort(sr_lane *L)
{
    for (unsigned k = 0; k < L->chan.nconn; k++)
        if (L->chan.fd[k] >= 0)
            shutdown(L->chan.fd[k], SHUT_RDWR);
}

static void
run_session(const sr_cli *c, const sr_tls_config *tls, sr_session *s,
            eval_run *R)
{
    const int T = (int)s->threads;
    const int client = s->party == SR_CLIENT;
    double t0 = sr_now();
    R->ok = 1;
    sr_lane *lanes = calloc((size_t)T, sizeof *lanes);
    sr_tls *lt = calloc((size_t)T, sizeof *lt);
    int *st = calloc((size_t)T, sizeof *st);
    uint8_t *lok = calloc((size_t)T, 1);
    uint64_t **sh = calloc((size_t)T, sizeof *sh);
    uint64_t **ys = calloc((size_t)T, sizeof *ys);
    sr_chan_stats *mid = calloc((size_t)T, sizeof *mid);
    sr_chan_stats *end = calloc((size_t)T, sizeof *end);
    if (!lanes || !lt || !st || !lok || !sh || !ys || !mid || !end) {
        R->rc = SR_ENOMEM;
        goto out;
    }
    sr_lane_opts lo = {.timeout_ms = (int)c->timeout_s * 1000,
                       .seeded = c->seeded,
                       .seed = c->seed};
    char lerr[SR_TLS_ERRLEN + 32] = "";
    int rc = sr_session_lanes_tls(s, lanes, lt, tls, &lo, lerr, sizeof lerr);
    if (rc != SR_OK) {
        R->rc = rc;
        snprintf(R->why, sizeof R->why, "%s", lerr);
        goto out;
    }

    /* Prepare: input shares (no traffic) and the OT setup (setup). */
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        sr_lane *L = &lanes[t];
        size_t off, cnt;
        chunk(R->n, (unsigned)T, (unsigned)t, &off, &cnt);
        sh[t] = calloc(cnt + 1, 8);
        ys[t] = calloc(cnt + 1, 8);
        if (sh[t] == NULL || ys[t] == NULL) {
            st[t] = SR_ENOMEM;
        } else {
            /* the server's share: the common stream; the client's: x - it */
            sr_prg_u64(&L->shared, sh[t], cnt, R->fx.bw);
            if (client)
                for (size_t i = 0; i < cnt; i++)
                    sh[t][i] = (R->x[off + i] - sh[t][i]) & sr_mask(R->fx.bw);
            st[t] = cnt > 0 ? sr_ot_setup(L) : SR_OK;
        }
        sr_chan_flush(&L->chan);
        if (st[t] == SR_OK)
            st[t] = sr_chan_error(&L->chan);
        if (st[t] != SR_OK)
            lane_abort(L);
        mid[t] = L->chan.st;
    }
    R->setup_seconds = sr_now() - t0 + s->seconds;

    /* Run: the secure function (timed, counted). */
    double t1 = sr_now();
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        sr_lane *L = &lanes[t];
        size_t off, cnt;
        chunk(R->n, (unsigned)T, (unsigned)t, &off, &cnt);
        if (st[t] == SR_OK && cnt > 0) {
            st[t] = sr_math_run(L, R->P, R->T, cnt, ys[t], sh[t]);
            sr_chan_flush(&L->chan);
            if (st[t] == SR_OK)
                st[t] = sr_chan_error(&L->chan);
            if (st[t] != SR_OK)
                lane_abort(L);
        }
        end[t] = L->chan.st;
    }
    R->seconds = sr_now() - t1;

    /* Output: server -> client shares; the client checks and answers. */
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        sr_lane *L = &lanes[t];
        size_t off, cnt;
        chunk(R->n, (unsigned)T, (unsigned)t, &off, &cnt);
        if (st[t] != SR_OK || cnt == 0) {
            lok[t] = 1;
            continue;
        }
        const unsigned bw = R->fy.bw;
        if (!client) {
            /* S -> C: cnt x bw_out bits, packed */
            sr_chan_send_packed(&L->chan, ys[t], cnt, bw);
            sr_chan_flush(&L->chan);
            /* C -> S: 1 byte, the verdict */
            sr_chan_recv(&L->chan, &lok[t], 1);
        } else {
            uint64_t *theirs = calloc(cnt + 1, 8), *want = calloc(cnt + 1, 8);
            if (theirs == NULL || want == NULL) {
                st[t] = SR_ENOMEM;
                lane_abort(L);
            } else {
                /* S -> C: cnt x bw_out bits, packed */
                sr_chan_recv_packed(&L->chan, theirs, cnt, bw);
                sr_math_plain_run(R->P, R->T, cnt, want, R->x + off);
                /* test hook (tests/mpi/eval.sh): a wrong output share */
                if (t == 0 && getenv("SIRNN_EVAL_CORRUPT") != NULL)
                    theirs[0] ^= 1;
                lok[t] = 1;
                for (size_t i = 0; i < cnt; i++) {
                    uint64_t v = (ys[t][i] + theirs[i]) & sr_mask(bw);
                    R->y[off + i] = sr_fxp_sext(v, bw);
                    if (v != (want[i] & sr_mask(bw)) && lok[t]) {
                        lok[t] = 0;
                        snprintf(R->why, sizeof R->why,
                                 "y[%zu] = %lld, twin %lld", off + i,
                                 (long long)sr_fxp_sext(v, bw),
                                 (long long)sr_fxp_sext(want[i], bw));
                    }
                }
                /* C -> S: 1 byte, the verdict */
                sr_chan_send(&L->chan, &lok[t], 1);
                sr_chan_flush(&L->chan);
            }
            free(theirs);
            free(want);
        }
        if (st[t] == SR_OK)
            st[t] = sr_chan_error(&L->chan);
    }
    for (int t = 0; t < T; t++) {
        if (st[t] != SR_OK && R->rc == SR_OK) {
            R->rc = st[t];
            snprintf(R->why, sizeof R->why, "lane %d: %s", t,
                     sr_strerror(st[t]));
        }
        if (!lok[t]) {
            if (R->ok && !client)
                snprintf(R->why, sizeof R->why,
                         "the client's check failed (lane %d)", t);
            R->ok = 0;
        }
        sr_chan_stats d = sr_chan_stats_diff(end[t], mid[t]);
        R->sent += d.bytes_sent;
        R->recv += d.bytes_recv;
        R->wire += d.wire_sent + d.wire_recv;
        if (d.rounds > R->rounds)
            R->rounds = d.rounds;
        R->setup_bytes += mid[t].bytes_sent + mid[t].bytes_recv;
        sr_lane_clear(&lanes[t]);
    }
    R->setup_bytes += s->bytes;
out:
    for (int t = 0; lt != NULL && t < T; t++)
        sr_tls_clear(&lt[t]);
    for (int t = 0; t < T; t++) {
        if (sh != NULL)
            free(sh[t]);
        if (ys != NULL)
            free(ys[t]);
    }
    free(lanes);
    free(lt);
    free(st);
    free(lok);
    free(sh);
    free(ys);
    free(mid);
    free(end);
}

static json_t *
make_report(const sr_eval_opts *e, const sr_session *s, const eval_run *R,
            double cpu0)
{
    json_t *r = sr_report_new(s->party == SR_SERVER ? "server" : "client");
    json_object_set_new(r, "op", json_string(sr_mathfn_name(e->fn)));
    json_object_set_new(r, "n", json_integer((json_int_t)R->n));
    json_object_set_new(r, "batch", json_integer(1));
    json_object_set_new(r, "ranks", json_integer(s->ranks));
    json_object_set_new(r, "threads", json_integer(s->threads));
    json_object_set_new(r, "conns", json_integer(s->conns));
    json_object_set_new(r, "bw_in", json_integer(e->bw_in));
    json_object_set_new(r, "scale_in", json_integer(e->scale_in));
    json_object_set_new(r, "bw_out", json_integer(e->bw_out));
    json_object_set_new(r, "scale_out", json_integer(e->scale_out));
    uint64_t total = R->sent + R->recv;
    json_object_set_new(r, "seconds", json_real(R->seconds));
    json_object_set_new(
        r, "ops_per_second",
        json_real(R->seconds > 0 ? (double)R->n / R->seconds : 0.0));
    json_object_set_new(r, "bytes_sent", json_integer((json_int_t)R->sent));
    json_object_set_new(r, "bytes_received", json_integer((json_int_t)R->recv));
    json_object_set_new(r, "bytes_total", json_integer((json_int_t)total));
    json_object_set_new(r, "bytes_per_instance",
                        json_real(R->n ? (double)total / (double)R->n : 0.0));
    json_object_set_new(r, "rounds", json_integer((json_int_t)R->rounds));
    json_object_set_new(r, "wire_bytes", json_integer((json_int_t)R->wire));
    json_object_set_new(r, "ok", json_boolean(R->ok));
    json_object_set_new(r, "setup_bytes",
                        json_integer((json_int_t)R->setup_bytes));
    json_object_set_new(r, "setup_seconds", json_real(R->setup_seconds));
    json_object_set_new(r, "cpu_seconds",
                        json_real(sr_report_cpu_seconds() - cpu0));
    json_object_set_new(r, "peak_rss_mb", json_real(sr_report_peak_rss_mb()));
    json_t *per = json_array(), *pr = json_object();
    json_object_set_new(pr, "rank", json_integer(0));
    json_object_set_new(pr, "seconds", json_real(R->seconds));
    json_object_set_new(pr, "bytes_sent", json_integer((json_int_t)R->sent));
    json_object_set_new(pr, "bytes_received",
                        json_integer((json_int_t)R->recv));
    json_array_append_new(per, pr);
    json_object_set_new(r, "per_rank", per);
    return r;
}

/* see eval_internal.h */
int
sr_eval_party(const sr_cli *c, const sr_eval_opts *e, int *argc, char ***argv)
{
    double cpu0 = sr_report_cpu_seconds();
    const int client = c->role == SR_ROLE_CLIENT;
    sr_npy a;
    memset(&a, 0, sizeof a);
    uint64_t *x = NULL;
    int64_t *y = NULL;
    uint64_t n = e->n;
    if (client) {
        int code = sr_eval_load_input(e, &a, &x);
        if (code != 0) {
            sr_npy_clear(&a);
            return code;
        }
        n = a.n;
        y = calloc(n, sizeof *y);
        if (y == NULL) {
            sr_npy_clear(&a);
            free(x);
            return 1;
        }
    }
    sr_world W;
    if (sr_world_init(&W, argc, argv) != SR_OK) {
        sr_cli_error("eval", "MPI_Init failed");
        sr_npy_clear(&a);
        free(x);
        free(y);
        return 1;
    }
    int code = 0;
    sr_math_plan *P = malloc(sizeof *P);
    sr_math_tab *Tb = malloc(sizeof *Tb);
    sr_tls_config tls;
    memset(&tls, 0, sizeof tls);
    int tls_loaded = 0;
    if (W.size != 1) {
        sr_cli_error("eval", "eval runs one rank per party (not under mpirun "
                             "-np > 1)");
        code = 2;
        goto done;
    }
    if (P == NULL || Tb == NULL) {
        sr_cli_error("eval", "out of memory");
        code = 1;
        goto done;
    }
    const sr_fx fx = sr_fx_make(e->bw_in, e->scale_in);
    const sr_fx fy = sr_fx_make(e->bw_out, e->scale_out);
    sr_math_plan_make(P, e->fn, fy, fx, NULL);
    sr_math_tab_fill(Tb, P);
    tls_loaded = 1;
    code = sr_cli_tls_load(c, &tls);
    if (code != 0)
        goto done;
    char job[SR_NET_JOB_MAX];
    int jl = snprintf(job, sizeof job,
                      "op=eval\nfn=%s\nn=%llu\nbw_in=%u\nscale_in=%u\n"
                      "bw_out=%u\nscale_out=%u\n",
                      sr_mathfn_name(e->fn), (unsigned long long)n, e->bw_in,
                      e->scale_in, e->bw_out, e->scale_out);
    sr_net_opts o = {
        .listen = c->listen,
        .connect = c->connect,
        .advertise = c->advertise,
        .ephemeral = c->ephemeral,
        .timeout_ms = (int)c->timeout_s * 1000,
        .threads = c->threads,
        .conns = c->conns,
        .job_kind = SR_JOB_EVAL,
        .job = job,
        .job_len = (size_t)jl,
        .quiet = c->quiet,
        .tls = &tls,
    };
    char err[600] = "";
    sr_session s;
    memset(&s, 0, sizeof s);
    int rc;
    if (!client) {
        o.threads = c->threads ? c->threads : 1;
        o.conns = c->conns ? c->conns : 1;
        sr_netsrv S;
        rc = sr_net_server_open(&S, &W, &o, err, sizeof err);
        if (rc != SR_OK) {
            sr_cli_error("server", "%s", err);
            code = rc == SR_EUSAGE ? 2 : 1;
            goto done;
        }
        if (!c->quiet)
            fprintf(stderr, "sirnn: eval: server listening on %s\n",
                    c->listen ? c->listen : "port 7000");
        rc = sr_net_server_accept(&S, &s, err, sizeof err);
        sr_net_server_close(&S);
        if (rc != SR_OK) {
            sr_cli_error("server", "%s", err);
            sr_session_clear(&s);
            code = 1;
            goto done;
        }
    } else {
        rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
        if (rc != SR_OK) {
            sr_cli_error("client", "%s", err);
            sr_session_clear(&s);
            code = rc == SR_EMISMATCH || rc == SR_EUSAGE ? 2 : 1;
            goto done;
        }
    }
    eval_run R;
    memset(&R, 0, sizeof R);
    R.e = e;
    R.P = P;
    R.T = Tb;
    R.fx = fx;
    R.fy = fy;
    R.n = (size_t)n;
    R.x = x;
    R.y = y;
    run_session(c, &tls, &s, &R);
    sr_session_clear(&s);
    if (R.rc != SR_OK) {
        sr_cli_error("eval", "%s: %s", client ? "client" : "server", R.why);
        code = 1;
        goto done;
    }
    if (client && R.ok)
        code = sr_eval_write_output(e->out, &a, y);
    json_t *r = make_report(e, &s, &R, cpu0);
    if (sr_report_emit(r, c->report, 1) != SR_OK && code == 0)
        code = 1;
    json_decref(r);
    if (!R.ok) {
        sr_cli_error("eval", "check failed: %s", R.why);
        code = 1;
    }
done:
    if (tls_loaded)
        sr_tls_config_clear(&tls);
    sr_world_finalize(&W);
    free(P);
    free(Tb);
    sr_npy_clear(&a);
    free(x);
    free(y);
    return code;
}
