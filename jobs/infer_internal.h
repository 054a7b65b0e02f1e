/*
 * jobs/infer_internal.h -- what the files of `sirnn server` and `sirnn
 * client` share (jobs/infer.c: options and the commands; jobs/
 * infer_session.c: one session on every rank).  Not an API.
 */
#ifndef SR_JOBS_INFER_INTERNAL_H
#define SR_JOBS_INFER_INTERNAL_H

#include <jansson.h>
#include <stdio.h>

#include "engine/net.h"
#include "engine/tls.h"
#include "engine/world.h"
#include "jobs/card.h"
#include "jobs/cli.h"
#include "jobs/npy.h"
#include "layers/fastgrnn_secure.h"
#include "layers/heads_secure.h"

/* The parsed options of `sirnn server` / `sirnn client`. */
typedef struct sr_infer_opts {
    sr_cli c;
    const char *model, *input, *labels, *output;
    int reveal; /* sr_reveal */
} sr_infer_opts;

/* One party's state across a session (every rank). */
typedef struct sr_infer_party {
    const sr_infer_opts *o;
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
    /* client rank 0: gathered outputs [B], [B K] (heads: pred = the head
     * counts, set by sr_infer_heads_write) */
    long *pred;
    uint64_t *logits;
    /* type rnnpool-heads (jobs/infer_heads.c) */
    const sr_heads_fx *hq; /* server: the quantised model (card's size) */
    sr_heads_fx hqs;       /* server: hq at the request's image size */
    sr_heads_fx hpub;      /* this session's public model (both) */
    sr_heads_sec hS;       /* its plans */
    int64_t *hloc, *hconf; /* client rank 0: [B][priors 4], [B][priors K] */
} sr_infer_party;

/*
 * Heads session steps on every rank (jobs/infer_heads.c), after the card
 * exchange: prepare (public model at the request's size, plans, client
 * rank 0's outputs; untimed), run (every image in turn on all R x T
 * lanes: sr_heads_secure_infer_lanes; progress on client rank 0), end
 * (frees the plans; hloc/hconf stay for the command).  SR_OK or a code;
 * why gets a reason.
 */
int sr_infer_heads_prepare(sr_infer_party *p, char *why, size_t whylen);
int sr_infer_heads_run(sr_infer_party *p, const sr_lanes *ls,
                       sr_heads_sec_stats *st);
void sr_infer_heads_end(sr_infer_party *p);

/*
 * The heads predictions CSV (docs/heads.md s10): header
 * `index,pred,boxes`, one row per image: the head count and the kept boxes
 * `x0 y0 x1 y1 score;...` (pixels, %.9g) of sr_heads_detect (thresholds
 * SR_HEADS_SCORE, SR_HEADS_IOU) on loc/conf as floats.  sr_heads_csv_row
 * writes one row and returns the count (scratch: 9 priors doubles, keep:
 * priors entries).
 */
#define SR_HEADS_SCORE 0.5
#define SR_HEADS_IOU 0.3
void sr_heads_csv_header(FILE *fh);
size_t sr_heads_csv_row(FILE *fh, size_t index, const sr_heads_cfg *cfg,
                        const sr_heads_dims *d, const double *loc,
                        const double *conf, double *scratch, size_t *keep);

/* Client rank 0: the CSV of the session's hloc/hconf to fh; p->pred gets
 * the counts.  SR_OK or SR_ENOMEM. */
int sr_infer_heads_write(sr_infer_party *p, FILE *fh);

/*
 * One session on every rank, gathered on rank 0.  Returns 0, 1 (failed)
 * or 2 (refused: p->refused, p->msg); *rep (rank 0, may be NULL) gets the
 * report.
 */
int sr_infer_session(sr_infer_party *p, sr_session *s, json_t **rep);

/* The network options of o (job: the model card hello). */
sr_net_opts sr_infer_net_opts(const sr_infer_opts *o, const sr_tls_config *tls);

/* MPI world, --ranks check, TLS; returns 0 or the exit code. */
int sr_infer_party_start(const sr_infer_opts *o, sr_world *W,
                         sr_tls_config *tls, int *argc, char ***argv);

#endif
