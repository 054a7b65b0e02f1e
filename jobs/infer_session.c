/*
 * jobs/infer_session.c -- one session of `sirnn server` / `sirnn client`
 * (see infer.h) on one party's ranks: the card exchange, the secure
 * inference of the rank's slice over its lanes, outputs gathered on rank
 * 0 and the report; the MPI/TLS start of a party.
 */
#include "jobs/infer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jobs/internal.h"
#include "jobs/progress.h"
#include "jobs/quantise.h"
#include "jobs/report.h"
#include "protocols/ot.h"

/* ---- one session on one rank -------------------------------------------- */

/* What each rank sends to rank 0 (same layout on every rank). */
typedef struct rank_res {
    int32_t rc;
    char why[240];
    double seconds, setup_seconds, cpu, setup_cpu, rss;
    uint64_t sent, recv, wire, rounds, setup_bytes;
    sr_fastgrnn_stats st;
    sr_heads_sec_stats hst; /* type rnnpool-heads */
} rank_res;

/* The card or request text that rank 0 broadcasts. */
typedef struct xfer {
    int32_t rc;
    uint32_t len;
    char text[SR_CARD_MAX];
} xfer;

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
exchange_card(sr_infer_party *p, sr_lane *L0, int lanes_ok)
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
            /* the request depends on the card's type: FastGRNN [B, T, D]
             * or heads images [B, H, W] (an undecodable card: the
             * FastGRNN form; this client then gives up below) */
            sr_card *c = calloc(1, sizeof *c);
            sr_card_request rq;
            char why[300] = "", req[512];
            size_t n;
            if (c != NULL && x->rc == SR_OK &&
                sr_card_decode(c, x->text, x->len, why, sizeof why) != SR_OK) {
                /* tell the server why (it logs one line); every rank
                 * refuses below by its own decode */
                n = sr_card_refusal_encode(req, sizeof req, why);
            } else {
                sr_card_request_for(&rq, c != NULL ? c : &p->card,
                                    (size_t)p->x->ndim, p->x->shape,
                                    (sr_reveal)p->o->reveal);
                n = sr_card_request_encode(req, sizeof req, &rq);
            }
            free(c);
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
        if (rc == SR_OK)
            sr_card_request_for(&p->req, &p->card, (size_t)p->x->ndim,
                                p->x->shape, (sr_reveal)p->o->reveal);
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
run_slice(sr_infer_party *p, const sr_lanes *ls, const sr_fastgrnn_sec *S,
          size_t off, size_t len, long *pred, uint64_t *lo,
          sr_fastgrnn_stats *st)
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
run_session(sr_infer_party *p, sr_session *s, rank_res *me)
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
    const int heads = p->card.type == SR_MODEL_RNNPOOL_HEADS;
    if (rc == SR_OK && heads)
        rc = sr_infer_heads_prepare(p, me->why, sizeof me->why);
    else if (rc == SR_OK)
        rc = sr_fastgrnn_sec_init(&S, &p->card.pub);
    /* The OT setup now, untimed, so that seconds, bytes and CPU of the
     * timed part are the inference's alone (each lane pair on its own
     * thread: lane pairs are independent). */
    if (rc == SR_OK) {
        int orc = SR_OK;
#pragma omp parallel for num_threads(T) schedule(static, 1)
        for (int t = 0; t < T; t++) {
            int r = sr_ot_setup(&lanes[t]);
            sr_chan_flush(&lanes[t].chan);
            if (r != SR_OK) {
                lane_abort(&lanes[t]);
#pragma omp critical
                orc = r;
            }
        }
        rc = orc;
    }
    const size_t B = p->req.batch, K = p->card.pub.K;
    size_t off = 0, len = 0;
    slice(p->W, B, &off, &len);
    if (rc == SR_OK && p->who == SR_CLIENT && !heads) {
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
    const double t1 = sr_now(), cpu1 = sr_report_cpu_seconds();
    me->setup_cpu = cpu1 - cpu0;
    if (rc == SR_OK) {
        sr_lanes ls = {lanes, (unsigned)T};
        if (heads)
            rc = sr_infer_heads_run(p, &ls, &me->hst);
        else
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
    me->cpu = sr_report_cpu_seconds() - cpu1;
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
    if (p->who == SR_CLIENT && !p->refused && !heads) {
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
    sr_infer_heads_end(p);
    if (me->cpu == 0.0 && me->setup_cpu == 0.0) /* stopped before */
        me->setup_cpu = sr_report_cpu_seconds() - cpu0;
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
make_report(const sr_infer_party *p, const sr_session *s, const rank_res *all)
{
    const sr_fastgrnn_fmt *f = &p->card.pub.f;
    const int heads = p->card.type == SR_MODEL_RNNPOOL_HEADS;
    const size_t B = p->req.batch;
    json_t *r = sr_report_new(p->who == SR_SERVER ? "server" : "client");
    json_object_set_new(r, "model", json_string(p->card.name));
    json_object_set_new(r, "n", json_integer((json_int_t)B));
    json_object_set_new(r, "batch", json_integer((json_int_t)B));
    json_object_set_new(r, "ranks", json_integer(s->ranks));
    json_object_set_new(r, "threads", json_integer(s->threads));
    json_object_set_new(r, "conns", json_integer(s->conns));
    const sr_heads_fmt *hf = &p->card.heads.f;
    const sr_fx fin = heads ? hf->in : f->x, fout = heads ? hf->out : f->logits;
    json_object_set_new(r, "bw_in", json_integer(fin.bw));
    json_object_set_new(r, "scale_in", json_integer(fin.s));
    json_object_set_new(r, "bw_out", json_integer(fout.bw));
    json_object_set_new(r, "scale_out", json_integer(fout.s));
    json_object_set_new(
        r, "reveal",
        json_string(heads ? "loc,conf" : sr_reveal_name(p->req.reveal)));
    if (heads) {
        json_object_set_new(r, "height",
                            json_integer((json_int_t)p->req.height));
        json_object_set_new(r, "width", json_integer((json_int_t)p->req.width));
    }
    double sec = 0, ssec = 0, cpu = 0, scpu = 0, rss = 0;
    uint64_t sent = 0, recv = 0, wire = 0, rounds = 0, setup = 0;
    sr_fastgrnn_stats L;
    memset(&L, 0, sizeof L);
    sr_heads_sec_stats HL;
    memset(&HL, 0, sizeof HL);
    uint64_t rev_bytes = 0; /* heads: what the parts do not count */
    double rev_sec = 0;
    json_t *per = json_array();
    for (unsigned k = 0; k < s->ranks; k++) {
        const rank_res *m = &all[k];
        sec = m->seconds > sec ? m->seconds : sec;
        ssec = m->setup_seconds > ssec ? m->setup_seconds : ssec;
        cpu += m->cpu;
        scpu += m->setup_cpu;
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
        for (unsigned b = 0; b < SR_HS_NPARTS; b++) {
            if (m->hst.seconds[b] > HL.seconds[b])
                HL.seconds[b] = m->hst.seconds[b];
            if (m->hst.rounds[b] > HL.rounds[b])
                HL.rounds[b] = m->hst.rounds[b];
            HL.bytes[b] += m->hst.bytes[b];
        }
        uint64_t pb = 0;
        double ps = 0;
        for (unsigned b = 0; b < SR_HS_NPARTS; b++)
            pb += m->hst.bytes[b], ps += m->hst.seconds[b];
        rev_bytes += m->sent + m->recv > pb ? m->sent + m->recv - pb : 0;
        rev_sec = m->seconds - ps > rev_sec ? m->seconds - ps : rev_sec;
        json_t *pr = json_object();
        json_object_set_new(pr, "rank", json_integer(k));
        json_object_set_new(pr, "seconds", json_real(m->seconds));
        json_object_set_new(pr, "bytes_sent",
                            json_integer((json_int_t)m->sent));
        json_object_set_new(pr, "bytes_received",
                            json_integer((json_int_t)m->recv));
        json_object_set_new(pr, "peak_rss_mb", json_real(m->rss));
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
    json_object_set_new(r, "setup_cpu_seconds", json_real(scpu));
    json_object_set_new(r, "peak_rss_mb", json_real(rss));
    json_object_set_new(r, "per_rank", per);
    json_t *layers = json_array();
    for (unsigned b = 0; heads && b < SR_HS_NPARTS; b++) {
        char name[48];
        snprintf(name, sizeof name, "heads.%s", sr_heads_part_name(b));
        json_t *l = json_object();
        json_object_set_new(l, "name", json_string(name));
        json_object_set_new(l, "seconds", json_real(HL.seconds[b]));
        json_object_set_new(l, "bytes_total",
                            json_integer((json_int_t)HL.bytes[b]));
        json_object_set_new(l, "rounds",
                            json_integer((json_int_t)HL.rounds[b]));
        json_array_append_new(layers, l);
    }
    if (heads) {
        /* the reveal of loc and conf, one flight per image (with the
         * client's quantisation and waits: the time not in a part) */
        json_t *l = json_object();
        json_object_set_new(l, "name", json_string("heads.reveal"));
        json_object_set_new(l, "seconds", json_real(rev_sec));
        json_object_set_new(l, "bytes_total",
                            json_integer((json_int_t)rev_bytes));
        json_object_set_new(l, "rounds", json_integer((json_int_t)B));
        json_array_append_new(layers, l);
    }
    for (unsigned b = 0; !heads && b < SR_FG_NBLOCKS; b++) {
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

/* see infer_internal.h */
int
sr_infer_session(sr_infer_party *p, sr_session *s, json_t **rep)
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

/* see infer_internal.h */
sr_net_opts
sr_infer_net_opts(const sr_infer_opts *o, const sr_tls_config *tls)
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

/* see infer_internal.h */
int
sr_infer_party_start(const sr_infer_opts *o, sr_world *W, sr_tls_config *tls,
                     int *argc, char ***argv)
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
