/*
 * jobs/infer.c -- `sirnn server` and `sirnn client` (see infer.h): one
 * party's ranks, the card exchange, the secure inference of the rank's
 * slice over its lanes, outputs and the report; and the model demo (both
 * parties here, at the end of this file).
 */
#include "jobs/infer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/net.h"
#include "engine/world.h"
#include "jobs/card.h"
#include "jobs/cli.h"
#include "jobs/internal.h"
#include "jobs/progress.h"
#include "jobs/quantise.h"
#include "jobs/report.h"
#include "layers/fastgrnn_secure.h"

/* ---- options ------------------------------------------------------------ */

typedef struct infer_opts {
    sr_cli c;
    const char *model, *input, *labels, *output;
    int reveal; /* sr_reveal */
} infer_opts;

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
parse(infer_opts *o, sr_cli_role role, int argc, char **argv)
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

/* ---- one session on one rank -------------------------------------------- */

/* What each rank sends to rank 0 (same layout on every rank). */
typedef struct rank_res {
    int32_t rc;
    char why[240];
    double seconds, setup_seconds, cpu, rss;
    uint64_t sent, recv, wire, rounds, setup_bytes;
    sr_fastgrnn_stats st;
} rank_res;

/* The card or request text that rank 0 broadcasts. */
typedef struct xfer {
    int32_t rc;
    uint32_t len;
    char text[SR_CARD_MAX];
} xfer;

typedef struct party {
    const infer_opts *o;
    const sr_tls_config *tls;
    const sr_world *W;
    sr_partyid who;
    /* server */
    const sr_fastgrnn_fx *q;
    const sr_card *card_srv;
    /* client: raw inputs (every rank) and its request */
    const sr_npy *x;
    sr_card_request req;
    /* results: the card (client), the request (server), refusal */
    sr_card card;
    int refused;
    char msg[400];
    /* client rank 0: gathered outputs [B], [B K] */
    long *pred;
    uint64_t *logits;
} party;

static void
lane_abort(sr_lane *L)
{
    for (unsigned k = 0; k < L->chan.nconn; k++)
        if (L->chan.fd[k] >= 0)
            shutdown(L->chan.fd[k], SHUT_RDWR);
}

static void
put32(uint8_t b[4], uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t b[4])
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

/* Send u32 length + text on lane L. */
static void
send_text(sr_lane *L, const char *t, size_t len)
{
    uint8_t h[4];
    put32(h, (uint32_t)len);
    sr_chan_send(&L->chan, h, 4);
    sr_chan_send(&L->chan, t, len);
    sr_chan_flush(&L->chan);
}

/* Receive u32 length + text (at most SR_CARD_MAX) into x. */
static void
recv_text(sr_lane *L, xfer *x)
{
    uint8_t h[4];
    sr_chan_recv(&L->chan, h, 4);
    x->rc = sr_chan_error(&L->chan);
    x->len = get32(h);
    if (x->rc == SR_OK && x->len > SR_CARD_MAX) {
        x->rc = SR_ECHECK;
        snprintf(x->text, sizeof x->text, "peer's card/request: %u bytes",
                 x->len);
        return;
    }
    if (x->rc == SR_OK)
        sr_chan_recv(&L->chan, x->text, x->len);
    x->rc = sr_chan_error(&L->chan);
}

/*
 * Rank 0, lane 0: the card (server -> client), then the request
 * (client -> server); the text rank 0 received goes to every rank.
 * Returns the decode/check outcome (SR_OK, SR_EUSAGE = refused, or an
 * I/O code with p->msg set).
 */
static int
exchange_card(party *p, sr_lane *L0, int lanes_ok)
{
    xfer *x = calloc(1, sizeof *x);
    if (x == NULL)
        return SR_ENOMEM;
    if (p->W->rank == 0) {
        if (!lanes_ok) {
            x->rc = SR_EIO;
        } else if (p->who == SR_SERVER) {
            char card[SR_CARD_MAX];
            size_t n = sr_card_encode(card, sizeof card, p->card_srv);
            send_text(L0, card, n); /* S -> C: the model card */
            recv_text(L0, x);       /* C -> S: the request */
        } else {
            recv_text(L0, x); /* S -> C: the model card */
            char req[512];
            size_t n = sr_card_request_encode(req, sizeof req, &p->req);
            send_text(L0, req, n); /* C -> S: the request */
            if (x->rc == SR_OK)
                x->rc = sr_chan_error(&L0->chan);
        }
    }
    int rc = sr_world_bcast(p->W, x, sizeof *x);
    if (rc == SR_OK)
        rc = x->rc;
    char err[300] = "";
    if (rc == SR_OK && p->who == SR_SERVER) {
        rc = sr_card_request_decode(&p->req, x->text, x->len, err, sizeof err);
        p->card = *p->card_srv;
    } else if (rc == SR_OK) {
        rc = sr_card_decode(&p->card, x->text, x->len, err, sizeof err);
    }
    if (rc == SR_OK)
        rc = sr_card_check(&p->card, &p->req, err, sizeof err);
    if (rc == SR_EUSAGE) {
        p->refused = 1;
        snprintf(p->msg, sizeof p->msg, "%s", err);
    } else if (rc != SR_OK) {
        snprintf(p->msg, sizeof p->msg, "model card exchange: %.300s",
                 x->rc == SR_ECHECK ? x->text : sr_strerror(rc));
    }
    free(x);
    return rc;
}

/* The rank's slice [off, off + len) of the batch. */
static void
slice(const sr_world *W, size_t B, size_t *off, size_t *len)
{
    const size_t R = (size_t)W->size, r = (size_t)W->rank;
    *off = B * r / R;
    *len = B * (r + 1) / R - *off;
}

/* Samples per lane and chunk: bounds the activations in memory (kws: about
 * 256 x 99 x 100 x 8 bytes per tensor). */
#define INFER_CHUNK_PER_LANE 256

/* Run the rank's slice in chunks (progress between them). */
static int
run_slice(party *p, const sr_lanes *ls, const sr_fastgrnn_sec *S, size_t off,
          size_t len, long *pred, uint64_t *lo, sr_fastgrnn_stats *st)
{
    const sr_fastgrnn_pub *P = &S->pub;
    const size_t TD = P->T * P->D;
    uint64_t *xq = NULL;
    if (p->who == SR_CLIENT) {
        xq = malloc((len * TD > 0 ? len * TD : 1) * sizeof *xq);
        if (xq == NULL)
            return SR_ENOMEM;
        (void)sr_fx_quantise(len * TD, xq, p->x->f64 + off * TD, P->f.x);
    }
    sr_progress pg;
    sr_progress_start(&pg, "inference", len,
                      p->o->c.quiet || p->who != SR_CLIENT || p->W->rank != 0);
    /* All samples of the slice advance together (DESIGN s2), so a chunk
     * costs the round count of one inference whatever its size; chunks only
     * bound memory (INFER_CHUNK_PER_LANE samples per lane at a time) and
     * pace the progress line.  Both parties cut identically: len and the
     * lane count agree. */
    size_t chunk = INFER_CHUNK_PER_LANE * (size_t)ls->count;
    if (chunk > len)
        chunk = len > 0 ? len : 1;
    int rc = SR_OK;
    for (size_t done = 0; done < len && rc == SR_OK; done += chunk) {
        const size_t n = len - done < chunk ? len - done : chunk;
        rc = sr_fastgrnn_secure_infer_lanes(
            ls, S, n, pred != NULL ? pred + done : NULL,
            lo != NULL ? lo + done * P->K : NULL,
            xq != NULL ? xq + done * TD : NULL, p->q, p->req.reveal, st);
        sr_progress_update(&pg, done + n);
    }
    sr_progress_end(&pg);
    free(xq);
    return rc;
}

/* One session on this rank. */
static void
run_session(party *p, sr_session *s, rank_res *me)
{
    memset(me, 0, sizeof *me);
    const int T = (int)s->threads;
    const double t0 = sr_now(), cpu0 = sr_report_cpu_seconds();
    sr_lane *lanes = calloc((size_t)T, sizeof *lanes);
    sr_chan_stats *mid = calloc(2 * (size_t)T, sizeof *mid); /* chan, setup */
    sr_tls *lt = calloc((size_t)T, sizeof *lt);
    long *pred = NULL;
    uint64_t *lo = NULL, *blk = NULL;
    sr_fastgrnn_sec S;
    memset(&S, 0, sizeof S);
    int rc = lanes && mid && lt ? SR_OK : SR_ENOMEM;
    sr_lane_opts lopt = {.timeout_ms = (int)p->o->c.timeout_s * 1000,
                         .seeded = p->o->c.seeded,
                         .seed = p->o->c.seed};
    char lerr[SR_TLS_ERRLEN + 32] = "";
    int lanes_ok = 0;
    if (rc == SR_OK) {
        rc = sr_session_lanes_tls(s, lanes, lt, p->tls, &lopt, lerr,
                                  sizeof lerr);
        lanes_ok = rc == SR_OK;
        if (rc != SR_OK)
            snprintf(me->why, sizeof me->why, "%.230s", lerr);
    }
    /* every rank takes part in the broadcast, even after a failure */
    int xrc = exchange_card(p, lanes_ok ? &lanes[0] : NULL, lanes_ok);
    if (rc == SR_OK && xrc != SR_OK) {
        rc = xrc;
        snprintf(me->why, sizeof me->why, "%.230s", p->msg);
    }
    if (p->refused) {
        rc = SR_EUSAGE;
        goto out;
    }
    if (rc == SR_OK)
        rc = sr_fastgrnn_sec_init(&S, &p->card.pub);
    const size_t B = p->req.batch, K = p->card.pub.K;
    size_t off = 0, len = 0;
    slice(p->W, B, &off, &len);
    if (rc == SR_OK && p->who == SR_CLIENT) {
        pred = calloc(len ? len : 1, sizeof *pred);
        lo = calloc(len * K > 0 ? len * K : 1, sizeof *lo);
        if (pred == NULL || lo == NULL)
            rc = SR_ENOMEM;
    }
    for (int t = 0; t < T && lanes_ok; t++) {
        mid[t] = lanes[t].chan.st;
        mid[T + t] = lanes[t].setup;
    }
    me->setup_seconds = sr_now() - t0 + s->seconds;
    if (sr_world_barrier(p->W) != SR_OK && rc == SR_OK)
        rc = SR_EMPI;

    /* the timed, counted part */
    const double t1 = sr_now();
    if (rc == SR_OK) {
        sr_lanes ls = {lanes, (unsigned)T};
        rc = run_slice(p, &ls, &S, off, len, pred, lo, &me->st);
        for (int t = 0; t < T; t++) {
            sr_chan_flush(&lanes[t].chan);
            if (rc != SR_OK)
                lane_abort(&lanes[t]);
        }
        if (rc != SR_OK)
            snprintf(me->why, sizeof me->why, "%s", sr_strerror(rc));
    }
    me->seconds = sr_now() - t1;
    for (int t = 0; t < T && lanes_ok; t++) {
        /* the OT setup (run lazily inside the timed part) is setup, not
         * inference: L->setup counts it */
        const sr_chan_stats su = sr_chan_stats_diff(lanes[t].setup, mid[T + t]);
        const sr_chan_stats d = sr_chan_stats_diff(
            sr_chan_stats_diff(lanes[t].chan.st, mid[t]), su);
        me->sent += d.bytes_sent;
        me->recv += d.bytes_recv;
        me->wire += d.wire_sent + d.wire_recv;
        if (d.rounds > me->rounds)
            me->rounds = d.rounds;
        me->setup_bytes += mid[t].bytes_sent + mid[t].bytes_recv +
                           su.bytes_sent + su.bytes_recv;
        me->setup_seconds += lanes[t].setup_seconds / T;
    }
    me->setup_bytes += s->bytes;

    /* client: gather the outputs on rank 0 */
    if (p->who == SR_CLIENT && !p->refused) {
        const size_t R = (size_t)p->W->size, mx = (B + R - 1) / R;
        const size_t bl = 1 + mx + mx * K;
        blk = calloc(bl * (p->W->rank == 0 ? R + 1 : 1), sizeof *blk);
        if (blk == NULL) {
            rc = SR_ENOMEM;
        } else {
            uint64_t *mine = blk + (p->W->rank == 0 ? R * bl : 0);
            mine[0] = len;
            for (size_t b = 0; pred != NULL && b < len; b++)
                mine[1 + b] = (uint64_t)pred[b];
            if (lo != NULL)
                memcpy(mine + 1 + mx, lo, len * K * sizeof *lo);
            int grc = sr_world_gather(p->W, blk, mine, bl * sizeof *blk);
            if (grc != SR_OK && rc == SR_OK)
                rc = grc;
            if (p->W->rank == 0 && grc == SR_OK) {
                p->pred = calloc(B ? B : 1, sizeof *p->pred);
                p->logits = calloc(B * K > 0 ? B * K : 1, sizeof *p->logits);
                for (size_t r = 0; r < R && p->pred && p->logits; r++) {
                    size_t o2, l2;
                    const sr_world Wr = {(int)r, (int)R, 0};
                    slice(&Wr, B, &o2, &l2);
                    const uint64_t *b = blk + r * bl;
                    for (size_t i = 0; i < l2; i++)
                        p->pred[o2 + i] = (long)b[1 + i];
                    memcpy(p->logits + o2 * K, b + 1 + mx, l2 * K * sizeof *b);
                }
            }
        }
    }
out:
    if (rc != SR_OK && me->why[0] == '\0')
        snprintf(me->why, sizeof me->why, "%s", sr_strerror(rc));
    me->rc = rc;
    for (int t = 0; lanes != NULL && t < T; t++)
        sr_lane_clear(&lanes[t]);
    for (int t = 0; lt != NULL && t < T; t++)
        sr_tls_clear(&lt[t]);
    sr_fastgrnn_sec_clear(&S);
    me->cpu = sr_report_cpu_seconds() - cpu0;
    me->rss = sr_report_peak_rss_mb();
    free(blk);
    free(lo);
    free(pred);
    free(lt);
    free(mid);
    free(lanes);
}

/* Rank 0: the report of one session. */
static json_t *
make_report(const party *p, const sr_session *s, const rank_res *all)
{
    const sr_fastgrnn_fmt *f = &p->card.pub.f;
    const size_t B = p->req.batch;
    json_t *r = sr_report_new(p->who == SR_SERVER ? "server" : "client");
    json_object_set_new(r, "model", json_string(p->card.name));
    json_object_set_new(r, "n", json_integer((json_int_t)B));
    json_object_set_new(r, "batch", json_integer((json_int_t)B));
    json_object_set_new(r, "ranks", json_integer(s->ranks));
    json_object_set_new(r, "threads", json_integer(s->threads));
    json_object_set_new(r, "conns", json_integer(s->conns));
    json_object_set_new(r, "bw_in", json_integer(f->x.bw));
    json_object_set_new(r, "scale_in", json_integer(f->x.s));
    json_object_set_new(r, "bw_out", json_integer(f->logits.bw));
    json_object_set_new(r, "scale_out", json_integer(f->logits.s));
    json_object_set_new(r, "reveal",
                        json_string(sr_reveal_name(p->req.reveal)));
    double sec = 0, ssec = 0, cpu = 0, rss = 0;
    uint64_t sent = 0, recv = 0, wire = 0, rounds = 0, setup = 0;
    sr_fastgrnn_stats L;
    memset(&L, 0, sizeof L);
    json_t *per = json_array();
    for (unsigned k = 0; k < s->ranks; k++) {
        const rank_res *m = &all[k];
        sec = m->seconds > sec ? m->seconds : sec;
        ssec = m->setup_seconds > ssec ? m->setup_seconds : ssec;
        cpu += m->cpu;
        rss = m->rss > rss ? m->rss : rss;
        sent += m->sent, recv += m->recv, wire += m->wire;
        rounds = m->rounds > rounds ? m->rounds : rounds;
        setup += m->setup_bytes;
        for (unsigned b = 0; b < SR_FG_NBLOCKS; b++) {
            if (m->st.seconds[b] > L.seconds[b])
                L.seconds[b] = m->st.seconds[b];
            if (m->st.rounds[b] > L.rounds[b])
                L.rounds[b] = m->st.rounds[b];
            L.bytes[b] += m->st.bytes[b];
        }
        json_t *pr = json_object();
        json_object_set_new(pr, "rank", json_integer(k));
        json_object_set_new(pr, "seconds", json_real(m->seconds));
        json_object_set_new(pr, "bytes_sent",
                            json_integer((json_int_t)m->sent));
        json_object_set_new(pr, "bytes_received",
                            json_integer((json_int_t)m->recv));
        json_array_append_new(per, pr);
    }
    const uint64_t total = sent + recv;
    json_object_set_new(r, "seconds", json_real(sec));
    json_object_set_new(r, "ops_per_second",
                        json_real(sec > 0 ? (double)B / sec : 0.0));
    json_object_set_new(r, "bytes_sent", json_integer((json_int_t)sent));
    json_object_set_new(r, "bytes_received", json_integer((json_int_t)recv));
    json_object_set_new(r, "bytes_total", json_integer((json_int_t)total));
    json_object_set_new(r, "bytes_per_instance",
                        json_real(B ? (double)total / (double)B : 0.0));
    json_object_set_new(r, "rounds", json_integer((json_int_t)rounds));
    json_object_set_new(r, "wire_bytes", json_integer((json_int_t)wire));
    json_object_set_new(r, "ok", json_true());
    json_object_set_new(r, "setup_bytes", json_integer((json_int_t)setup));
    json_object_set_new(r, "setup_seconds", json_real(ssec));
    json_object_set_new(r, "cpu_seconds", json_real(cpu));
    json_object_set_new(r, "peak_rss_mb", json_real(rss));
    json_object_set_new(r, "per_rank", per);
    json_t *layers = json_array();
    for (unsigned b = 0; b < SR_FG_NBLOCKS; b++) {
        json_t *l = json_object();
        json_object_set_new(l, "name", json_string(sr_fastgrnn_block_name(b)));
        json_object_set_new(l, "seconds", json_real(L.seconds[b]));
        json_object_set_new(l, "bytes_total",
                            json_integer((json_int_t)L.bytes[b]));
        json_object_set_new(l, "rounds", json_integer((json_int_t)L.rounds[b]));
        json_array_append_new(layers, l);
    }
    json_object_set_new(r, "layers", layers);
    return r;
}

/*
 * One session on every rank, gathered on rank 0.  Returns 0, 1 (failed)
 * or 2 (refused: p->refused, p->msg); *rep (rank 0, may be NULL) gets the
 * report.
 */
static int
session(party *p, sr_session *s, json_t **rep)
{
    rank_res me;
    run_session(p, s, &me);
    if (p->refused)
        return 2;
    rank_res *all = calloc((size_t)p->W->size, sizeof *all);
    if (all == NULL)
        return 1;
    int rc = sr_world_gather(p->W, all, &me, sizeof me);
    int code = rc == SR_OK ? 0 : 1;
    if (p->W->rank == 0 && rc == SR_OK) {
        const char *who = p->who == SR_SERVER ? "server" : "client";
        for (int k = 0; k < p->W->size && code == 0; k++)
            if (all[k].rc != SR_OK) {
                sr_cli_error(who, "rank %d: %s", k, all[k].why);
                code = 1;
            }
        if (code == 0 && rep != NULL)
            *rep = make_report(p, s, all);
    }
    free(all);
    return code;
}

static sr_net_opts
net_opts(const infer_opts *o, const sr_tls_config *tls)
{
    sr_net_opts n = {
        .listen = o->c.listen,
        .connect = o->c.connect,
        .advertise = o->c.advertise,
        .ephemeral = o->c.ephemeral,
        .timeout_ms = (int)o->c.timeout_s * 1000,
        .threads = o->c.threads,
        .conns = o->c.conns,
        .job_kind = SR_JOB_MODEL,
        .job = SR_CARD_HELLO,
        .job_len = strlen(SR_CARD_HELLO),
        .quiet = o->c.quiet,
        .tls = tls,
    };
    return n;
}

/* MPI world, --ranks check, TLS; returns 0 or the exit code. */
static int
party_start(const infer_opts *o, sr_world *W, sr_tls_config *tls, int *argc,
            char ***argv)
{
    const char *who = o->c.cmd;
    if (sr_world_init(W, argc, argv) != SR_OK) {
        sr_cli_error(who, "MPI_Init failed");
        return 1;
    }
    if (o->c.ranks != 0 && o->c.ranks != (unsigned)W->size) {
        if (W->rank == 0)
            sr_cli_error(who,
                         "--ranks %u: this %s runs %d rank(s); start it "
                         "with mpirun -np %u",
                         o->c.ranks, who, W->size, o->c.ranks);
        sr_world_finalize(W);
        return 2;
    }
    int tcode = sr_cli_tls_load_ex(&o->c, tls, W->rank == 0);
    if (tcode != 0) {
        sr_tls_config_clear(tls);
        sr_world_finalize(W);
    }
    return tcode;
}

/* see infer.h */
int
sr_cmd_server(int argc, char **argv)
{
    infer_opts o;
    if (parse(&o, SR_ROLE_SERVER, argc, argv) != SR_OK)
        return 2;
    /* the model first: a bad model is a usage error before any waiting */
    char err[1024] = "";
    sr_model m;
    int rc = sr_model_load(&m, o.model, err, sizeof err);
    sr_fastgrnn_fmt f;
    if (rc == SR_OK)
        rc = sr_model_formats(&f, &m, o.model, err, sizeof err);
    sr_card card;
    if (rc == SR_OK) {
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
    if (rc == SR_OK) {
        const sr_fastgrnn_float fp = sr_model_float(&m);
        rc = sr_fastgrnn_fx_init(&q, &fp, &f, NULL);
        if (rc != SR_OK)
            snprintf(err, sizeof err, "sirnn: server: out of memory");
    }
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        sr_model_clear(&m);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    sr_world W;
    sr_tls_config tls;
    int code = party_start(&o, &W, &tls, &argc, &argv);
    if (code != 0) {
        sr_fastgrnn_fx_clear(&q);
        sr_model_clear(&m);
        return code;
    }
    sr_net_opts no = net_opts(&o, &tls);
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
        party p = {.o = &o,
                   .tls = &tls,
                   .W = &W,
                   .who = SR_SERVER,
                   .q = &q,
                   .card_srv = &card};
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
            int sc = rc == SR_OK ? session(&p, &s, &rep) : 1;
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
    sr_fastgrnn_fx_clear(&q);
    sr_model_clear(&m);
    return code;
}

/* The CSV of DESIGN.md s7 to path (temp + rename) or stdout. */
static int
write_csv(const char *path, size_t B, size_t K, const long *pred,
          const uint64_t *lo, const sr_fx *flo)
{
    char tmp[4096];
    FILE *fh = stdout;
    if (path != NULL) {
        snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
        int fd = mkstemp(tmp);
        fh = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (fh == NULL) {
            sr_cli_error("client", "cannot write %s", path);
            return SR_EIO;
        }
    }
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
    int bad = ferror(fh) != 0;
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

/* see infer.h */
int
sr_cmd_client(int argc, char **argv)
{
    infer_opts o;
    if (parse(&o, SR_ROLE_CLIENT, argc, argv) != SR_OK)
        return 2;
    /* the inputs first: a bad file never bothers the server */
    char err[1024] = "";
    sr_npy x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    int rc = sr_npy_load(&x, o.input, SR_NPY_FLOAT, err, sizeof err);
    if (rc == SR_OK && (x.ndim != 3 || x.shape[0] == 0 ||
                        sr_npy_find_nonfinite(x.f64, x.n) < x.n)) {
        snprintf(err, sizeof err,
                 "sirnn: %s: expected finite float inputs of shape [B, T, D] "
                 "with B >= 1",
                 o.input);
        rc = SR_EUSAGE;
    }
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
    int code = party_start(&o, &W, &tls, &argc, &argv);
    if (code != 0) {
        sr_npy_clear(&x);
        sr_npy_clear(&y);
        return code;
    }
    party p = {.o = &o, .tls = &tls, .W = &W, .who = SR_CLIENT, .x = &x};
    p.req.batch = x.shape[0];
    p.req.timesteps = x.shape[1];
    p.req.input_dim = x.shape[2];
    p.req.reveal = (sr_reveal)o.reveal;
    sr_net_opts no = net_opts(&o, &tls);
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
        code = session(&p, &s, &rep);
        if (code == 2 && W.rank == 0)
            sr_cli_error("client", "refused: %s", p.msg);
        if (code == 0 && W.rank == 0) {
            const size_t B = p.req.batch, K = p.card.pub.K;
            size_t hits = 0;
            for (size_t b = 0; o.labels != NULL && b < B; b++) {
                if (y.i64[b] < 0 || (size_t)y.i64[b] >= K) {
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
            if (code == 0 && write_csv(o.output, B, K, p.pred, p.logits,
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
    sr_session_clear(&s);
    sr_tls_config_clear(&tls);
    sr_world_finalize(&W);
    sr_npy_clear(&x);
    sr_npy_clear(&y);
    return code;
}

/* ---- sirnn demo (the model demo) ---------------------------------------- */

/* Default --samples per bundled model: about a minute on a 2-core machine
 * (docs/cli.md has the measured times). */
#define DEMO_SAMPLES_KWS 80
#define DEMO_SAMPLES_OTHER 100

/* DIR of the model: a path as given, or a bundled name resolved to
 * models/NAME beside the binary's directory (build/sirnn -> ../models),
 * in it, or in the current directory.  1 when found. */
static int
resolve_model(const char *arg, char *dir, size_t len)
{
    char path[4200];
    if (strchr(arg, '/') != NULL) {
        snprintf(dir, len, "%s", arg);
        return 1;
    }
    char exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
        *slash = '\0';
    const char *fmt[] = {"%s/../models/%s", "%s/models/%s", "%.0smodels/%s"};
    for (size_t i = 0; i < 3; i++) {
        if (i < 2 && slash == NULL)
            continue;
        snprintf(path, sizeof path, fmt[i], exe, arg);
        char mj[4300];
        snprintf(mj, sizeof mj, "%s/model.json", path);
        if (access(mj, R_OK) == 0) {
            snprintf(dir, len, "%.4000s", path);
            return 1;
        }
    }
    if (access(arg, R_OK) == 0) { /* a directory in the current one */
        snprintf(dir, len, "%s", arg);
        return 1;
    }
    return 0;
}

/* Reads the client's CSV back: pred [B] and, when logits, lo [B K]. */
static int
read_csv(const char *path, size_t B, size_t K, long *pred, double *lo,
         int logits)
{
    FILE *fh = fopen(path, "r");
    if (fh == NULL)
        return SR_EIO;
    int rc = SR_OK;
    char line[1 << 14];
    if (fgets(line, sizeof line, fh) == NULL)
        rc = SR_ECHECK;
    for (size_t b = 0; b < B && rc == SR_OK; b++) {
        if (fgets(line, sizeof line, fh) == NULL) {
            rc = SR_ECHECK;
            break;
        }
        char *e = line;
        size_t idx = strtoull(e, &e, 10);
        if (*e != ',' || idx != b) {
            rc = SR_ECHECK;
            break;
        }
        pred[b] = strtol(e + 1, &e, 10);
        for (size_t k = 0; logits && k < K && rc == SR_OK; k++) {
            if (*e != ',')
                rc = SR_ECHECK;
            else
                lo[b * K + k] = strtod(e + 1, &e);
        }
    }
    fclose(fh);
    return rc;
}

/* Plain (fixed-point twin) and float predictions and logits of x. */
static int
demo_reference(sr_model *m, const char *dir, const double *x, size_t B,
               long *pp, double *lp, long *pf, char *err, size_t errlen)
{
    const size_t K = m->classes, n = B * m->timesteps * m->input_dim;
    sr_fastgrnn_fmt f;
    int rc = sr_model_formats(&f, m, dir, err, errlen); /* folds m */
    if (rc != SR_OK)
        return rc;
    const sr_fastgrnn_float fp = sr_model_float(m);
    sr_fastgrnn_fx q;
    rc = sr_fastgrnn_fx_init(&q, &fp, &f, NULL);
    if (rc != SR_OK)
        return rc;
    uint64_t *xq = malloc((n ? n : 1) * sizeof *xq);
    uint64_t *lq = malloc((B * K > 0 ? B * K : 1) * sizeof *lq);
    double *lf = malloc((B * K > 0 ? B * K : 1) * sizeof *lf);
    rc = xq && lq && lf ? SR_OK : SR_ENOMEM;
    if (rc == SR_OK) {
        (void)sr_fx_quantise(n, xq, x, f.x);
        rc = sr_fastgrnn_fx_logits(&q, B, lq, xq, NULL);
    }
    if (rc == SR_OK) {
        sr_fastgrnn_fx_argmax(B, K, pp, lq, f.logits.bw);
        for (size_t i = 0; i < B * K; i++)
            lp[i] = sr_fx_value(lq[i], f.logits);
        rc = sr_fastgrnn_float_logits(&fp, B, lf, x);
    }
    if (rc == SR_OK)
        sr_fastgrnn_float_argmax(B, K, pf, lf);
    free(lf);
    free(lq);
    free(xq);
    sr_fastgrnn_fx_clear(&q);
    return rc;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
dupf(const char *fmt, ...)
{
    char b[4300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    return strdup(b);
}

/* see infer.h */
int
sr_cmd_demo_model(int argc, char **argv)
{
    sr_cli c;
    sr_cli_defaults(&c, "demo");
    const char *model = "kws";
    uint64_t samples = 0;
    int reveal = SR_REVEAL_LOGITS;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *name = sr_cli_split_eq(argv[i], &val);
        const char *opt = name != NULL ? name : argv[i];
        int used = 0, rc = 0;
        if (strcmp(opt, "--ranks") == 0 || strcmp(opt, "--threads") == 0 ||
            strcmp(opt, "--conns") == 0 || strcmp(opt, "--quiet") == 0 ||
            strcmp(opt, "--timeout") == 0 || strcmp(opt, "--seed") == 0 ||
            strcmp(opt, "--tls-psk") == 0)
            rc = sr_cli_common(&c, opt, val, &used);
        else if (strcmp(opt, "--model") == 0 && val != NULL && val[0]) {
            model = val;
            used = 1;
        } else if (strcmp(opt, "--samples") == 0) {
            used = 1;
            rc = val == NULL
                     ? SR_EUSAGE
                     : sr_cli_uint("demo", opt, val, 1, 1u << 20, &samples);
            if (val == NULL)
                sr_cli_error("demo", "--samples: needs a value");
        } else if (strcmp(opt, "--reveal") == 0 && val != NULL) {
            used = 1;
            if ((reveal = sr_reveal_parse(val)) < 0) {
                sr_cli_error("demo", "--reveal %s: expected label or logits",
                             val);
                rc = SR_EUSAGE;
            }
        } else {
            sr_cli_error("demo", "unknown option or missing value '%s'", opt);
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
    char dir[4096];
    if (!resolve_model(model, dir, sizeof dir)) {
        sr_cli_error("demo",
                     "--model %s: no models/%s next to the binary or "
                     "in the current directory",
                     model, model);
        return 2;
    }
    char err[1024] = "", px[4200], py[4200];
    sr_model m;
    int rc = sr_model_load(&m, dir, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    snprintf(px, sizeof px, "%s/X_test.npy", dir);
    snprintf(py, sizeof py, "%s/Y_test.npy", dir);
    sr_npy x, y;
    memset(&y, 0, sizeof y);
    rc = sr_input_load(&x, px, m.timesteps, m.input_dim, err, sizeof err);
    if (rc == SR_OK)
        rc = sr_labels_load(&y, py, x.shape[0], m.classes, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err);
        sr_npy_clear(&x);
        sr_model_clear(&m);
        return rc == SR_EUSAGE ? 2 : 1;
    }
    size_t B = samples                      ? (size_t)samples
               : strcmp(m.name, "kws") == 0 ? DEMO_SAMPLES_KWS
                                            : DEMO_SAMPLES_OTHER;
    if (B > x.shape[0])
        B = x.shape[0];
    const size_t K = m.classes;

    /* the client's files: the first B test samples */
    char tmp[64] = "/tmp/sirnn-demo-XXXXXX";
    if (mkdtemp(tmp) == NULL) {
        sr_cli_error("demo", "cannot make a temporary directory");
        sr_npy_clear(&x), sr_npy_clear(&y), sr_model_clear(&m);
        return 1;
    }
    char fx[128], fy[128], fcsv[128], rep[2][128];
    snprintf(fx, sizeof fx, "%s/X.npy", tmp);
    snprintf(fy, sizeof fy, "%s/Y.npy", tmp);
    snprintf(fcsv, sizeof fcsv, "%s/pred.csv", tmp);
    snprintf(rep[0], sizeof rep[0], "%s/server.json", tmp);
    snprintf(rep[1], sizeof rep[1], "%s/client.json", tmp);
    const size_t xs[3] = {B, m.timesteps, m.input_dim}, ys[1] = {B};
    rc = sr_npy_save_f64(fx, SR_NPY_F8, xs, 3, x.f64, err, sizeof err);
    if (rc == SR_OK)
        rc = sr_npy_save_i64(fy, SR_NPY_I8, ys, 1, y.i64, err, sizeof err);
    int code = 1;
    json_t *r = NULL;
    long *ps = calloc(B, sizeof *ps), *pp = calloc(B, sizeof *pp);
    long *pf = calloc(B, sizeof *pf);
    double *ls = calloc(B * K, sizeof *ls), *lp = calloc(B * K, sizeof *lp);
    if (rc != SR_OK || !ps || !pp || !pf || !ls || !lp) {
        fprintf(stderr, "%s\n", err[0] ? err : "sirnn: demo: out of memory");
        goto done;
    }
    if (!c.quiet)
        fprintf(stderr,
                "sirnn demo: model %s (%s), %zu test sample(s), server and "
                "client here over loopback TCP\n",
                m.name, dir, B);
    unsigned port = sr_local_free_port();
    char *args[2][64];
    for (int k = 0; k < 2; k++) {
        int n = 0;
        char **a = args[k];
        if (k == 0) {
            a[n++] = strdup("server");
            a[n++] = strdup("--model");
            a[n++] = strdup(dir);
            a[n++] = dupf("--listen=127.0.0.1:%u", port);
            a[n++] = strdup("--rank-ports=ephemeral");
            a[n++] = strdup("--quiet");
        } else {
            a[n++] = strdup("client");
            a[n++] = dupf("--connect=127.0.0.1:%u", port);
            a[n++] = dupf("--input=%s", fx);
            a[n++] = dupf("--labels=%s", fy);
            a[n++] = dupf("--output=%s", fcsv);
            a[n++] = dupf("--reveal=%s", sr_reveal_name((sr_reveal)reveal));
            if (c.quiet)
                a[n++] = strdup("--quiet");
        }
        a[n++] = dupf("--report=%s", rep[k]);
        a[n++] = dupf("--timeout=%u", c.timeout_s);
        if (c.ranks)
            a[n++] = dupf("--ranks=%u", c.ranks);
        if (c.threads)
            a[n++] = dupf("--threads=%u", c.threads);
        if (c.conns)
            a[n++] = dupf("--conns=%u", c.conns);
        if (c.seeded)
            a[n++] = dupf("--seed=%llu", (unsigned long long)c.seed);
        n += sr_cli_child_args(&c, a + n);
        a[n] = NULL;
    }
    r = sr_local_run(args[0], args[1], c.ranks ? c.ranks : 1, rep[0], rep[1],
                     &code);
    for (int k = 0; k < 2; k++)
        for (char **a = args[k]; *a != NULL; a++)
            free(*a);
    if (r == NULL)
        goto done;
    if (read_csv(fcsv, B, K, ps, ls, reveal == SR_REVEAL_LOGITS) != SR_OK) {
        sr_cli_error("demo", "%s: cannot read the client's predictions", fcsv);
        code = 1;
        goto done;
    }
    rc = demo_reference(&m, dir, x.f64, B, pp, lp, pf, err, sizeof err);
    if (rc != SR_OK) {
        fprintf(stderr, "%s\n", err[0] ? err : "sirnn: demo: reference failed");
        code = 1;
        goto done;
    }
    size_t hs = 0, hp = 0, hf = 0, agree = 0, same_lo = 0;
    for (size_t b = 0; b < B; b++) {
        hs += ps[b] == (long)y.i64[b];
        hp += pp[b] == (long)y.i64[b];
        hf += pf[b] == (long)y.i64[b];
        agree += ps[b] == pp[b];
        int same = 1;
        for (size_t k = 0; k < K; k++)
            same &= ls[b * K + k] == lp[b * K + k];
        same_lo += same;
    }
    const double sec = json_number_value(json_object_get(r, "seconds"));
    const double bytes =
        (double)json_integer_value(json_object_get(r, "bytes_total"));
    const long long rounds = json_integer_value(json_object_get(r, "rounds"));
    printf("sirnn demo: %s, %zu sample(s), %lld rank(s) x %lld thread(s) "
           "per party\n",
           m.name, B,
           (long long)json_integer_value(json_object_get(r, "ranks")),
           (long long)json_integer_value(json_object_get(r, "threads")));
    printf("  accuracy: secure %.4f (%zu/%zu), plain %.4f, float %.4f\n",
           (double)hs / (double)B, hs, B, (double)hp / (double)B,
           (double)hf / (double)B);
    printf("  secure == plain: %zu/%zu labels", agree, B);
    if (reveal == SR_REVEAL_LOGITS)
        printf(", %zu/%zu logit vectors bit for bit", same_lo, B);
    printf("\n  time %.2f s (%.2f s per sample), communication %.1f MB "
           "(%.1f MB per sample), %lld rounds\n",
           sec, sec / (double)B, bytes / 1e6, bytes / 1e6 / (double)B, rounds);
    const int exact =
        agree == B && (reveal != SR_REVEAL_LOGITS || same_lo == B);
    if (!exact) {
        sr_cli_error("demo", "the secure outputs differ from the cleartext "
                             "twin");
        code = 1;
    }
done:
    json_decref(r);
    free(ps), free(pp), free(pf), free(ls), free(lp);
    unlink(fx), unlink(fy), unlink(fcsv), unlink(rep[0]), unlink(rep[1]);
    rmdir(tmp);
    sr_npy_clear(&x);
    sr_npy_clear(&y);
    sr_model_clear(&m);
    return code;
}
