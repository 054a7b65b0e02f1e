/*
 * jobs/infer_heads.c -- the rnnpool-heads part of a `sirnn server` /
 * `sirnn client` session (see infer_internal.h, docs/heads.md s10): the
 * public model at the request's image size, every image in turn on all
 * R x T lanes of the party, the client's detections and CSV.
 */
#include "jobs/infer_internal.h"

#include <stdlib.h>
#include <string.h>

#include "jobs/progress.h"

/* see infer_internal.h */
int
sr_infer_heads_prepare(sr_infer_party *p, char *why, size_t whylen)
{
    memset(&p->hS, 0, sizeof p->hS);
    memset(&p->hpub, 0, sizeof p->hpub);
    const sr_card_request *r = &p->req;
    int rc;
    if (p->who == SR_SERVER) {
        /* the same weights at another image size: only cfg and dims change
         * (a shallow copy; p->hq keeps ownership) */
        p->hqs = *p->hq;
        p->hqs.cfg.height = r->height;
        p->hqs.cfg.width = r->width;
        rc = sr_heads_dims_make(&p->hqs.dims, &p->hqs.cfg, why, whylen);
        if (rc == SR_OK)
            sr_heads_public_of(&p->hpub, &p->hqs);
    } else {
        rc = sr_card_heads_pub(&p->hpub, &p->card, r, why, whylen);
    }
    if (rc == SR_OK && sr_heads_sec_init(&p->hS, &p->hpub) != SR_OK) {
        rc = SR_ENOMEM;
        snprintf(why, whylen, "out of memory");
    }
    if (rc == SR_OK && p->who == SR_CLIENT && p->W->rank == 0) {
        const size_t B = r->batch, P = p->hpub.dims.priors;
        p->hloc = calloc(B * P * 4, sizeof *p->hloc);
        p->hconf = calloc(B * P * p->hpub.cfg.classes, sizeof *p->hconf);
        if (p->hloc == NULL || p->hconf == NULL) {
            rc = SR_ENOMEM;
            snprintf(why, whylen, "out of memory");
        }
    }
    return rc;
}

/* sr_heads_par's collective: the party's ranks over MPI. */
static int
allgather(void *ctx, uint64_t *buf, size_t n, const size_t *off,
          const size_t *len)
{
    (void)n;
    return sr_world_allgatherv((const sr_world *)ctx, buf, off, len);
}

/* see infer_internal.h */
int
sr_infer_heads_run(sr_infer_party *p, const sr_lanes *ls,
                   sr_heads_sec_stats *st)
{
    const sr_heads_fx *pb = &p->hpub;
    const size_t B = p->req.batch, npx = pb->cfg.height * pb->cfg.width;
    const size_t nl = pb->dims.priors * 4,
                 nc = pb->dims.priors * pb->cfg.classes;
    const int client = p->who == SR_CLIENT, rank0 = p->W->rank == 0;
    int64_t *img = NULL;
    if (client && (img = malloc((npx ? npx : 1) * sizeof *img)) == NULL)
        return SR_ENOMEM;
    const sr_heads_par par = {.rank = (unsigned)p->W->rank,
                              .ranks = (unsigned)p->W->size,
                              .allgather = allgather,
                              .ctx = (void *)p->W};
    sr_progress pg;
    sr_progress_start(&pg, "inference", B, p->o->c.quiet || !client || !rank0);
    int rc = SR_OK;
    for (size_t i = 0; i < B && rc == SR_OK; i++) {
        /* [B, H, W] or [B, H, W, 1]: image i is the same npx values */
        if (client)
            sr_heads_fx_quantise(npx, img, p->x->f64 + i * npx, pb->f.in);
        rc = sr_heads_secure_infer_lanes(
            ls, &par, &p->hS, client && rank0 ? p->hloc + i * nl : NULL,
            client && rank0 ? p->hconf + i * nc : NULL, img,
            client ? NULL : &p->hqs, st);
        sr_progress_update(&pg, i + 1);
    }
    sr_progress_end(&pg);
    free(img);
    return rc;
}

/* see infer_internal.h */
void
sr_infer_heads_end(sr_infer_party *p)
{
    sr_heads_sec_clear(&p->hS);
    memset(&p->hpub, 0, sizeof p->hpub);
    memset(&p->hqs, 0, sizeof p->hqs);
}

/* see infer_internal.h */
void
sr_heads_csv_header(FILE *fh)
{
    fputs("index,pred,boxes\n", fh);
}

/* see infer_internal.h */
size_t
sr_heads_csv_row(FILE *fh, size_t index, const sr_heads_cfg *cfg,
                 const sr_heads_dims *d, const double *loc, const double *conf,
                 double *scratch, size_t *keep)
{
    const size_t P = d->priors;
    double *pr = scratch, *bx = pr + 4 * P, *sc = bx + 4 * P;
    const size_t n = sr_heads_detect(cfg, d, loc, conf, SR_HEADS_SCORE,
                                     SR_HEADS_IOU, pr, bx, sc, keep, P);
    const double W = (double)cfg->width, H = (double)cfg->height;
    fprintf(fh, "%zu,%zu,", index, n);
    for (size_t k = 0; k < n; k++) {
        const double *b = bx + 4 * keep[k];
        fprintf(fh, "%s%.9g %.9g %.9g %.9g %.9g", k ? ";" : "", b[0] * W,
                b[1] * H, b[2] * W, b[3] * H, sc[keep[k]]);
    }
    fputc('\n', fh);
    return n;
}

/* see infer_internal.h */
int
sr_infer_heads_write(sr_infer_party *p, FILE *fh)
{
    const sr_heads_cfg *cfg = &p->card.heads.cfg;
    sr_heads_cfg at = *cfg;
    at.height = p->req.height;
    at.width = p->req.width;
    sr_heads_dims d;
    if (sr_heads_dims_make(&d, &at, NULL, 0) != SR_OK)
        return SR_EUSAGE; /* (checked at the card exchange) */
    const size_t B = p->req.batch, P = d.priors, K = at.classes;
    const sr_fx fo = p->card.heads.f.out;
    double *fl = malloc(sizeof(double) * (P * (4 + K) + 9 * P));
    size_t *keep = malloc(sizeof(size_t) * (P ? P : 1));
    free(p->pred);
    p->pred = calloc(B ? B : 1, sizeof *p->pred);
    if (fl == NULL || keep == NULL || p->pred == NULL) {
        free(fl);
        free(keep);
        return SR_ENOMEM;
    }
    sr_heads_csv_header(fh);
    for (size_t b = 0; b < B; b++) {
        sr_heads_fx_value(P * 4, fl, p->hloc + b * P * 4, fo);
        sr_heads_fx_value(P * K, fl + P * 4, p->hconf + b * P * K, fo);
        p->pred[b] = (long)sr_heads_csv_row(fh, b, &at, &d, fl, fl + P * 4,
                                            fl + P * (4 + K), keep);
    }
    free(keep);
    free(fl);
    return SR_OK;
}
