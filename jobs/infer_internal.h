/*
 * jobs/infer_internal.h -- what the files of `sirnn server` and `sirnn
 * client` share (jobs/infer.c: options and the commands; jobs/
 * infer_session.c: one session on every rank).  Not an API.
 */
#ifndef SR_JOBS_INFER_INTERNAL_H
#define SR_JOBS_INFER_INTERNAL_H

#include <jansson.h>

#include "engine/net.h"
#include "engine/tls.h"
#include "engine/world.h"
#include "jobs/card.h"
#include "jobs/cli.h"
#include "jobs/npy.h"
#include "layers/fastgrnn_secure.h"

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
    /* client rank 0: gathered outputs [B], [B K] */
    long *pred;
    uint64_t *logits;
} sr_infer_party;

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
