/*
 * jobs/benchrun.c -- `sirnn bench OP --role server|client`: one party's
 * ranks, lanes and phases, and its report (jobs/bench.h has the phase
 * contract).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/net.h"
#include "engine/world.h"
#include "jobs/bench.h"
#include "jobs/internal.h"
#include "jobs/progress.h"
#include "jobs/report.h"

/* What each rank sends to rank 0 (same layout on every rank). */
typedef struct rank_res {
    int32_t rc; /* first error other than a failed check */
    int32_t ok; /* every check passed */
    double seconds, setup_seconds, cpu, setup_cpu, rss;
    uint64_t sent, recv, wire, rounds, setup_bytes;
    double extra[SR_BENCH_EXTRA_MAX];
    char why[160];
} rank_res;

/* see bench.h */
void
sr_bench_progress(sr_bench_lane *b, double fraction)
{
    if (b->progress == NULL)
        return;
    sr_progress *pg = b->progress;
    if (fraction < 0)
        fraction = 0;
    sr_progress_update(pg, (uint64_t)(fraction * (double)pg->total));
}

/* Make a failing lane's peer notice at once instead of at its timeout. */
static void
lane_abort(sr_lane *L)
{
    for (unsigned k = 0; k < L->chan.nconn; k++)
        if (L->chan.fd[k] >= 0)
            shutdown(L->chan.fd[k], SHUT_RDWR);
}

static void
note(rank_res *me, int st, const sr_bench_lane *b)
{
    if (st == SR_ECHECK) {
        if (me->ok) {
            me->ok = 0;
            snprintf(me->why, sizeof me->why, "%s",
                     b->why[0] ? b->why : "check failed");
        }
    } else if (st != SR_OK && me->rc == SR_OK) {
        me->rc = st;
        snprintf(me->why, sizeof me->why, "lane %u: %s", b->L->id,
                 sr_strerror(st));
    }
}

/* Run the op's phases on this rank's lanes of one session. */
static void
run_session(const sr_bench_op *op, const sr_bench_params *p, const sr_cli *c,
            const sr_tls_config *tls, const sr_world *W, sr_session *s,
            rank_res *me)
{
    memset(me, 0, sizeof *me);
    me->ok = 1;
    int barriered = 0;
    const int T = (int)s->threads;
    const unsigned LT = s->ranks * s->threads;
    double t0 = sr_now(), cpu0 = sr_report_cpu_seconds();
    sr_lane *lanes = calloc((size_t)T, sizeof *lanes);
    sr_bench_lane *bl = calloc((size_t)T, sizeof *bl);
    int *st = calloc((size_t)T, sizeof *st);
    sr_chan_stats *mid = calloc((size_t)T, sizeof *mid);
    sr_chan_stats *end = calloc((size_t)T, sizeof *end);
    sr_tls *lt = calloc((size_t)T, sizeof *lt); /* one TLS per lane */
    if (lanes == NULL || bl == NULL || st == NULL || mid == NULL ||
        end == NULL || lt == NULL) {
        me->rc = SR_ENOMEM;
        goto out;
    }
    sr_lane_opts lo = {.timeout_ms = (int)c->timeout_s * 1000,
                       .seeded = c->seeded,
                       .seed = c->seed};
    char lerr[SR_TLS_ERRLEN + 32] = "";
    int rc = sr_session_lanes_tls(s, lanes, lt, tls, &lo, lerr, sizeof lerr);
    if (rc != SR_OK) {
        me->rc = rc;
        snprintf(me->why, sizeof me->why, "%.150s", lerr);
        goto out;
    }
    sr_progress pg;
    sr_progress_start(&pg, op->name, 1000,
                      c->quiet || s->party != SR_CLIENT || s->rank != 0);

    /* Phase 1: prepare (setup traffic). */
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        sr_bench_lane *b = &bl[t];
        unsigned g = s->rank * s->threads + (unsigned)t;
        b->L = &lanes[t];
        b->p = p;
        b->nlanes = LT;
        b->off = (size_t)(p->n * g / LT);
        b->n = (size_t)(p->n * (g + 1) / LT) - b->off;
        b->progress = t == 0 ? &pg : NULL;
        uint8_t key[16];
        sr_prg_bytes(&lanes[t].shared, key, sizeof key);
        st[t] = sr_prg_init(&b->in, key);
        if (st[t] == SR_OK && op->prepare != NULL)
            st[t] = op->prepare(b);
        sr_chan_flush(&lanes[t].chan);
        if (st[t] == SR_OK)
            st[t] = sr_chan_error(&lanes[t].chan);
        if (st[t] != SR_OK)
            lane_abort(&lanes[t]);
        mid[t] = lanes[t].chan.st;
    }
    me->setup_seconds = sr_now() - t0 + s->seconds;
    /* This party's ranks start the timed phase together (the peer's
     * ranks are held by the protocol itself). */
    barriered = 1;
    if (sr_world_barrier(W) != SR_OK && me->rc == SR_OK)
        me->rc = SR_EMPI;

    /* Phase 2: run (timed, counted; its CPU is cpu_seconds). */
    double t1 = sr_now(), cpu1 = sr_report_cpu_seconds();
    me->setup_cpu = cpu1 - cpu0;
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        if (st[t] == SR_OK) {
            st[t] = op->run(&bl[t]);
            sr_chan_flush(&lanes[t].chan);
            if (st[t] == SR_OK)
                st[t] = sr_chan_error(&lanes[t].chan);
            if (st[t] != SR_OK && st[t] != SR_ECHECK)
                lane_abort(&lanes[t]);
        }
        end[t] = lanes[t].chan.st;
    }
    me->seconds = sr_now() - t1;
    me->cpu = sr_report_cpu_seconds() - cpu1;
    sr_progress_end(&pg);

    /* Phase 3: check (not counted). */
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        if (st[t] == SR_OK && op->check != NULL) {
            st[t] = op->check(&bl[t]);
            sr_chan_flush(&lanes[t].chan);
            if (st[t] == SR_OK)
                st[t] = sr_chan_error(&lanes[t].chan);
        }
    }
    for (int t = 0; t < T; t++) {
        note(me, st[t], &bl[t]);
        sr_chan_stats d = sr_chan_stats_diff(end[t], mid[t]);
        me->sent += d.bytes_sent;
        me->recv += d.bytes_recv;
        me->wire += d.wire_sent + d.wire_recv;
        if (d.rounds > me->rounds)
            me->rounds = d.rounds;
        me->setup_bytes += mid[t].bytes_sent + mid[t].bytes_recv;
        for (int k = 0; k < SR_BENCH_EXTRA_MAX && op->extra[k].name; k++) {
            double v = bl[t].extra[k];
            if (op->extra[k].reduce == SR_BENCH_MAX)
                me->extra[k] = (t == 0 || v > me->extra[k]) ? v : me->extra[k];
            else
                me->extra[k] += v;
        }
        if (op->cleanup != NULL && bl[t].L != NULL)
            op->cleanup(&bl[t]);
        sr_prg_clear(&bl[t].in);
        sr_lane_clear(&lanes[t]);
    }
    me->setup_bytes += s->bytes;
out:
    for (int t = 0; lt != NULL && t < T; t++)
        sr_tls_clear(&lt[t]);
    free(lt);
    if (!barriered) { /* the other ranks of this party wait there */
        int brc = sr_world_barrier(W);
        (void)brc;
    }
    if (me->cpu == 0.0 && me->setup_cpu == 0.0) /* stopped before */
        me->setup_cpu = sr_report_cpu_seconds() - cpu0;
    me->rss = sr_report_peak_rss_mb();
    free(lanes);
    free(bl);
    free(st);
    free(mid);
    free(end);
}

/* Rank 0: the report of one session from every rank's results. */
static json_t *
make_report(const sr_bench_op *op, const sr_bench_params *p,
            const sr_session *s, const rank_res *all)
{
    json_t *r = sr_report_new(s->party == SR_SERVER ? "server" : "client");
    json_object_set_new(r, "op", json_string(op->name));
    json_object_set_new(r, "n", json_integer((json_int_t)p->n));
    json_object_set_new(r, "ranks", json_integer(s->ranks));
    json_object_set_new(r, "threads", json_integer(s->threads));
    json_object_set_new(r, "conns", json_integer(s->conns));
    sr_bench_report_params(r, op, p);
    double sec = 0, ssec = 0, cpu = 0, scpu = 0, rss = 0;
    uint64_t sent = 0, recv = 0, wire = 0, rounds = 0, setup = 0;
    int ok = 1;
    double extra[SR_BENCH_EXTRA_MAX] = {0};
    json_t *per = json_array();
    for (unsigned k = 0; k < s->ranks; k++) {
        const rank_res *m = &all[k];
        sec = m->seconds > sec ? m->seconds : sec;
        ssec = m->setup_seconds > ssec ? m->setup_seconds : ssec;
        cpu += m->cpu;
        scpu += m->setup_cpu;
        rss = m->rss > rss ? m->rss : rss;
        sent += m->sent;
        recv += m->recv;
        wire += m->wire;
        rounds = m->rounds > rounds ? m->rounds : rounds;
        setup += m->setup_bytes;
        ok = ok && m->ok;
        for (int e = 0; e < SR_BENCH_EXTRA_MAX && op->extra[e].name; e++)
            extra[e] = op->extra[e].reduce == SR_BENCH_MAX
                           ? (m->extra[e] > extra[e] ? m->extra[e] : extra[e])
                           : extra[e] + m->extra[e];
        json_t *pr = json_object();
        json_object_set_new(pr, "rank", json_integer(k));
        json_object_set_new(pr, "seconds", json_real(m->seconds));
        json_object_set_new(pr, "bytes_sent",
                            json_integer((json_int_t)m->sent));
        json_object_set_new(pr, "bytes_received",
                            json_integer((json_int_t)m->recv));
        json_array_append_new(per, pr);
    }
    uint64_t total = sent + recv;
    json_object_set_new(r, "seconds", json_real(sec));
    json_object_set_new(r, "ops_per_second",
                        json_real(sec > 0 ? (double)p->n / sec : 0.0));
    json_object_set_new(r, "bytes_sent", json_integer((json_int_t)sent));
    json_object_set_new(r, "bytes_received", json_integer((json_int_t)recv));
    json_object_set_new(r, "bytes_total", json_integer((json_int_t)total));
    json_object_set_new(r, "bytes_per_instance",
                        json_real(p->n ? (double)total / (double)p->n : 0.0));
    json_object_set_new(r, "rounds", json_integer((json_int_t)rounds));
    json_object_set_new(r, "wire_bytes", json_integer((json_int_t)wire));
    json_object_set_new(r, "ok", json_boolean(ok));
    json_object_set_new(r, "setup_bytes", json_integer((json_int_t)setup));
    json_object_set_new(r, "setup_seconds", json_real(ssec));
    json_object_set_new(r, "cpu_seconds", json_real(cpu));
    json_object_set_new(r, "setup_cpu_seconds", json_real(scpu));
    json_object_set_new(r, "peak_rss_mb", json_real(rss));
    json_object_set_new(r, "per_rank", per);
    const double lanes = (double)s->ranks * s->threads;
    for (int e = 0; e < SR_BENCH_EXTRA_MAX && op->extra[e].name; e++)
        json_object_set_new(r, op->extra[e].name,
                            json_real(op->extra[e].reduce == SR_BENCH_MEAN
                                          ? extra[e] / lanes
                                          : extra[e]));
    return r;
}

/* One session on every rank; returns the exit code. */
static int
bench_session(const sr_bench_op *op, const sr_bench_params *p, const sr_cli *c,
              const sr_tls_config *tls, const sr_world *W, sr_session *s)
{
    rank_res me;
    run_session(op, p, c, tls, W, s, &me);
    rank_res *all = calloc((size_t)W->size, sizeof *all);
    if (all == NULL)
        return 1;
    int rc = sr_world_gather(W, all, &me, sizeof me);
    int code = 0;
    if (W->rank == 0 && rc == SR_OK) {
        const char *who = s->party == SR_SERVER ? "server" : "client";
        for (int k = 0; k < W->size && code == 0; k++)
            if (all[k].rc != SR_OK) {
                sr_cli_error("bench", "%s rank %d: %s", who, k, all[k].why);
                code = 1;
            }
        if (code == 0) {
            json_t *r = make_report(op, p, s, all);
            if (sr_report_emit(r, c->report, 1) != SR_OK)
                code = 1;
            if (!json_is_true(json_object_get(r, "ok"))) {
                for (int k = 0; k < W->size; k++)
                    if (!all[k].ok) {
                        sr_cli_error("bench", "%s: check failed: %s", who,
                                     all[k].why);
                        break;
                    }
                code = 1;
            }
            json_decref(r);
        }
    } else if (rc != SR_OK) {
        code = 1;
    }
    free(all);
    return code;
}

/* see internal.h */
int
sr_bench_party(const sr_bench_op *op, const sr_bench_params *p, const sr_cli *c,
               int *argc, char ***argv)
{
    sr_world W;
    if (sr_world_init(&W, argc, argv) != SR_OK) {
        sr_cli_error("bench", "MPI_Init failed");
        return 1;
    }
    const char *who = c->role == SR_ROLE_SERVER ? "server" : "client";
    if (c->ranks != 0 && c->ranks != (unsigned)W.size) {
        if (W.rank == 0)
            sr_cli_error("bench",
                         "--ranks %u: this %s runs %d rank(s); "
                         "start it with mpirun -np %u",
                         c->ranks, who, W.size, c->ranks);
        sr_world_finalize(&W);
        return 2;
    }
    sr_tls_config tls;
    int tcode = sr_cli_tls_load_ex(c, &tls, W.rank == 0);
    if (tcode != 0) {
        sr_tls_config_clear(&tls);
        sr_world_finalize(&W);
        return tcode;
    }
    char job[SR_NET_JOB_MAX];
    size_t jl = sr_bench_job_text(job, sizeof job, op, p);
    sr_net_opts o = {
        .listen = c->listen,
        .connect = c->connect,
        .advertise = c->advertise,
        .ephemeral = c->ephemeral,
        .timeout_ms = (int)c->timeout_s * 1000,
        .threads = c->threads,
        .conns = c->conns,
        .job_kind = SR_JOB_BENCH,
        .job = job,
        .job_len = jl,
        .quiet = c->quiet,
        .tls = &tls,
    };
    char err[600] = "";
    int code = 0;
    sr_session s;
    memset(&s, 0, sizeof s);
    if (c->role == SR_ROLE_SERVER) {
        o.threads = c->threads ? c->threads : 1;
        o.conns = c->conns ? c->conns : 1;
        sr_netsrv S;
        int rc = sr_net_server_open(&S, &W, &o, err, sizeof err);
        if (rc != SR_OK) {
            if (W.rank == 0)
                sr_cli_error("server", "%s", err);
            sr_tls_config_clear(&tls);
            sr_world_finalize(&W);
            return rc == SR_EUSAGE ? 2 : 1;
        }
        if (W.rank == 0 && !c->quiet)
            fprintf(stderr,
                    "sirnn: server: listening on %s (%d rank(s), "
                    "%u thread(s), %u conn(s))\n",
                    c->listen ? c->listen : "port 7000", W.size, o.threads,
                    o.conns);
        /* A failed session (the client vanished, a lane broke) is logged
         * in one line and the server goes on with the next one; the exit
         * code is 1 when any session failed.  Only a wait that saw no
         * client at all ends the loop. */
        for (unsigned k = 0; c->sessions == 0 || k < c->sessions; k++) {
            rc = sr_net_server_accept(&S, &s, err, sizeof err);
            if (rc != SR_OK && !s.joined) {
                if (W.rank == 0)
                    sr_cli_error("server", "%s", err);
                code = 1;
                break;
            }
            int sc = rc == SR_OK ? bench_session(op, p, c, &tls, &W, &s) : 1;
            if (rc != SR_OK && (W.rank == 0 || rc != SR_ETIMEOUT))
                sr_cli_error("server", "session %u failed: %s", k + 1, err);
            if (sc != 0)
                code = 1;
            sr_session_clear(&s);
        }
        sr_net_server_close(&S);
    } else {
        int rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
        if (rc != SR_OK) {
            if (W.rank == 0)
                sr_cli_error("client", "%s", err);
            code = rc == SR_EMISMATCH || rc == SR_EUSAGE ? 2 : 1;
        } else {
            code = bench_session(op, p, c, &tls, &W, &s);
        }
        sr_session_clear(&s);
    }
    sr_tls_config_clear(&tls);
    sr_world_finalize(&W);
    return code;
}
