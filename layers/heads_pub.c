/*
 * layers/heads_pub.c -- the public model of the head-counting network
 * from public data (see heads_pub.h).
 */
#include "layers/heads_pub.h"

#include <stdio.h>
#include <string.h>

/* see heads_pub.h */
size_t
sr_heads_nblocks(const sr_heads_cfg *cfg)
{
    size_t n = 0;
    for (size_t j = 0; j < cfg->nstages && j < SR_HEADS_MAX_STAGES; j++)
        n += cfg->stage[j].n;
    return n;
}

/* see heads_pub.h */
size_t
sr_heads_nexpand(const sr_heads_cfg *cfg)
{
    size_t n = 0;
    for (size_t j = 0; j < cfg->nstages && j < SR_HEADS_MAX_STAGES; j++)
        n += cfg->stage[j].t != 1 ? cfg->stage[j].n : 0;
    return n;
}

/* see heads_pub.h */
void
sr_heads_desc_of(sr_heads_desc *d, const sr_heads_fx *q)
{
    memset(d, 0, sizeof *d);
    d->cfg = q->cfg;
    d->f = q->f;
    d->ws.conv0 = q->conv0.fw.s;
    const size_t nb = sr_heads_nblocks(&q->cfg);
    for (size_t b = 0; b < nb && b < SR_HEADS_MAX_BLOCKS; b++) {
        d->ws.expand[b] = q->has_expand[b] ? q->expand[b].fw.s : 0;
        d->ws.dw[b] = q->dw[b].fw.s;
        d->ws.project[b] = q->project[b].fw.s;
    }
    for (size_t j = 0; j < q->cfg.nstages && j < SR_HEADS_MAX_STAGES; j++) {
        d->ws.loc[j] = q->loc[j].fw.s;
        d->ws.conf[j] = q->conf[j].fw.s;
    }
}

/* One public convolution (the shapes of sr_heads_float_init, the formats
 * of sr_heads_fx_init's qconv_init). */
static int
pconv(sr_heads_qconv *c, const char *what, size_t cin, size_t cout, size_t k,
      size_t stride, size_t groups, int relu6, sr_fx fin, sr_fx fout,
      unsigned ws, char *err, size_t errlen)
{
    if (ws > 15)
        return sr_usage_error(err, errlen, "%s: weight scale %u above 15", what,
                              ws);
    if (fin.s + ws < fout.s)
        return sr_usage_error(
            err, errlen,
            "%s: weight scale %u: s_in %u + s_w < s_out %u (a "
            "left shift)",
            what, ws, fin.s, fout.s);
    memset(c, 0, sizeof *c);
    c->sh = sr_conv2d_same(cin, cout, k, stride, groups);
    c->relu6 = relu6;
    c->fin = fin;
    c->fout = fout;
    c->fw = sr_fx_make(16, ws);
    c->shift = fin.s + ws - fout.s;
    return SR_OK;
}

static int
fmt_ok(const sr_heads_fmt *f, char *err, size_t errlen)
{
    const sr_fx *r16[] = {&f->rnn.x,  &f->rnn.W1, &f->rnn.U1, &f->rnn.W2,
                          &f->rnn.U2, &f->rnn.a,  &f->rnn.z,  &f->rnn.c,
                          &f->rnn.k,  &f->rnn.h,  &f->in,     &f->act,
                          &f->l2,     &f->out};
    for (size_t i = 0; i < sizeof r16 / sizeof r16[0]; i++)
        if (r16[i]->bw != 16 || r16[i]->s > 15)
            return sr_usage_error(err, errlen,
                                  "formats: 16-bit tensors with scale <= 15 "
                                  "expected, found (%u, %u)",
                                  r16[i]->bw, r16[i]->s);
    const sr_rnnpool_fmt *r = &f->rnn;
    if (r->x.s != f->act.s)
        return sr_usage_error(err, errlen, "formats: rnn.x must equal act");
    if (r->a.s > r->x.s + r->W1.s || r->a.s > r->h.s + r->U1.s ||
        r->a.s > r->h.s + r->W2.s || r->a.s > r->h.s + r->U2.s ||
        r->h.s > r->k.s + r->c.s || r->h.s < f->act.s ||
        f->ss.s > 2u * f->act.s || f->l2.s > f->act.s + f->r.s)
        return sr_usage_error(err, errlen,
                              "formats: a truncation would shift left");
    if (f->ss.bw < 2 || f->ss.bw > 62 || f->ss.s >= f->ss.bw || f->r.bw < 2 ||
        f->r.bw > 62 || f->r.s >= f->r.bw)
        return sr_usage_error(err, errlen, "formats: ss or r out of range");
    return SR_OK;
}

/* see heads_pub.h */
int
sr_heads_pub_make(sr_heads_fx *pub, const sr_heads_desc *d, char *err,
                  size_t errlen)
{
    memset(pub, 0, sizeof *pub);
    const sr_heads_cfg *cfg = &d->cfg;
    const sr_heads_fmt *f = &d->f;
    int rc = sr_heads_dims_make(&pub->dims, cfg, err, errlen);
    if (rc == SR_OK)
        rc = fmt_ok(f, err, errlen);
    if (rc != SR_OK) {
        memset(pub, 0, sizeof *pub);
        return rc;
    }
    pub->cfg = *cfg;
    pub->f = *f;
    const size_t C0 = cfg->conv0, h1 = cfg->hid1, h2 = cfg->hid2;
    rc = pconv(&pub->conv0, "conv0", 1, C0, 3, 2, 1, 1, f->in, f->act,
               d->ws.conv0, err, errlen);
    sr_rnnpool_fx *rn = &pub->rnn;
    rn->rows = rn->cols = cfg->patch;
    rn->f = f->rnn;
    rn->rnn1.in = C0;
    rn->rnn1.hid = h1;
    rn->rnn2.in = h1;
    rn->rnn2.hid = h2;
    size_t C = 4 * h2, nb = 0;
    sr_fx cur = f->rnn.h;
    char what[48];
    for (size_t j = 0; j < cfg->nstages && rc == SR_OK; j++) {
        const sr_heads_stage *s = &cfg->stage[j];
        for (size_t b = 0; b < s->n && rc == SR_OK; b++, nb++) {
            const size_t st = b == 0 ? s->s : 1, hid = C * s->t;
            pub->has_expand[nb] = s->t != 1;
            pub->residual[nb] = st == 1 && C == s->c;
            sr_fx din = cur;
            if (pub->has_expand[nb]) {
                snprintf(what, sizeof what, "block%zu.expand", nb);
                rc = pconv(&pub->expand[nb], what, C, hid, 1, 1, 1, 1, cur,
                           f->act, d->ws.expand[nb], err, errlen);
                din = f->act;
            }
            snprintf(what, sizeof what, "block%zu.dw", nb);
            if (rc == SR_OK)
                rc = pconv(&pub->dw[nb], what, hid, hid, 3, st, hid, 1, din,
                           f->act, d->ws.dw[nb], err, errlen);
            snprintf(what, sizeof what, "block%zu.project", nb);
            if (rc == SR_OK)
                rc = pconv(&pub->project[nb], what, hid, s->c, 1, 1, 1, 0,
                           f->act, f->act, d->ws.project[nb], err, errlen);
            C = s->c;
            cur = f->act;
        }
        const sr_fx hin = j + 1 < cfg->nstages ? f->l2 : cur;
        snprintf(what, sizeof what, "loc%zu", j);
        if (rc == SR_OK)
            rc = pconv(&pub->loc[j], what, C, 4, 3, 1, 1, 0, hin, f->out,
                       d->ws.loc[j], err, errlen);
        snprintf(what, sizeof what, "conf%zu", j);
        if (rc == SR_OK)
            rc = pconv(&pub->conf[j], what, C, sr_heads_conf_channels(cfg, j),
                       3, 1, 1, 0, hin, f->out, d->ws.conf[j], err, errlen);
    }
    if (rc != SR_OK) {
        memset(pub, 0, sizeof *pub);
        return rc;
    }
    sr_math_plan_make(&rn->sig, SR_MATH_SIGMOID, f->rnn.z, f->rnn.a, NULL);
    sr_math_plan_make(&rn->tnh, SR_MATH_TANH, f->rnn.c, f->rnn.a, NULL);
    sr_math_plan_make(&pub->rsq, SR_MATH_RSQRT, f->r, f->ss, NULL);
    return SR_OK;
}
