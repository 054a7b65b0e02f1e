/*
 * jobs/card_heads.c -- the model card of type rnnpool-heads: encoding,
 * strict decoding and the request check (see card.h; the FastGRNN card and
 * the shared key=value machinery are jobs/card.c).
 */
#include "jobs/card.h"
#include "jobs/card_internal.h"

#include "jobs/heads_fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sr_fx *
hfmt_slot(sr_heads_fmt *f, size_t i)
{
    sr_fx *s[] = {&f->in,     &f->act,    &f->rnn.x,  &f->rnn.W1,
                  &f->rnn.U1, &f->rnn.W2, &f->rnn.U2, &f->rnn.a,
                  &f->rnn.z,  &f->rnn.c,  &f->rnn.k,  &f->rnn.h,
                  &f->ss,     &f->r,      &f->l2,     &f->out};
    return i < sizeof s / sizeof s[0] ? s[i] : NULL;
}
static const char *const hfmt_names[] = {
    "in",    "act",   "rnn.x", "rnn.W1", "rnn.U1", "rnn.W2", "rnn.U2", "rnn.a",
    "rnn.z", "rnn.c", "rnn.k", "rnn.h",  "ss",     "r",      "l2",     "out"};
#define NHFMT (sizeof hfmt_names / sizeof hfmt_names[0])

/* Keys of a heads card: the fixed ones, then the formats. */
enum {
    HK_CARD,
    HK_NAME,
    HK_TYPE,
    HK_H,
    HK_W,
    HK_C0,
    HK_PATCH,
    HK_PSTRIDE,
    HK_HID1,
    HK_HID2,
    HK_STAGES,
    HK_CLASSES,
    HK_ANCHORS,
    HK_VARIANCE,
    HK_WS_CONV0,
    HK_WS_EXPAND,
    HK_WS_DW,
    HK_WS_PROJECT,
    HK_WS_LOC,
    HK_WS_CONF,
    HK_REVEAL,
    HK_N
};
static const char *const hkeys[HK_N] = {"card",
                                        "name",
                                        "type",
                                        "input_height",
                                        "input_width",
                                        "conv0_channels",
                                        "rnnpool.patch",
                                        "rnnpool.stride",
                                        "rnnpool.hidden1",
                                        "rnnpool.hidden2",
                                        "stages",
                                        "classes",
                                        "anchors",
                                        "variance",
                                        "wscale.conv0",
                                        "wscale.expand",
                                        "wscale.dw",
                                        "wscale.project",
                                        "wscale.loc",
                                        "wscale.conf",
                                        "reveal"};

#define HEADS_REVEAL "loc,conf"

/* see card.h */
void
sr_card_make_heads(sr_card *c, const char *name, const sr_heads_fx *q)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->type = SR_MODEL_RNNPOOL_HEADS;
    sr_heads_desc_of(&c->heads, q);
}

/* "a,b,c" of n unsigned values. */
static size_t
put_list(char *out, size_t cap, size_t n, const char *key, const unsigned *v,
         size_t cnt)
{
    n = sr_card_put(out, cap, n, "%s=", key);
    for (size_t i = 0; i < cnt; i++)
        n = sr_card_put(out, cap, n, "%s%u", i ? "," : "", v[i]);
    return sr_card_put(out, cap, n, "\n");
}

/* see card_internal.h */
size_t
sr_card_heads_encode(char *out, size_t cap, const sr_card *c)
{
    const sr_heads_cfg *g = &c->heads.cfg;
    size_t n =
        sr_card_put(out, cap, 0,
                    "card=" CARD_TAG "\nname=%s\ntype=rnnpool-heads\n"
                    "input_height=%zu\ninput_width=%zu\nconv0_channels=%zu\n"
                    "rnnpool.patch=%zu\nrnnpool.stride=%zu\n"
                    "rnnpool.hidden1=%zu\nrnnpool.hidden2=%zu\nstages=",
                    c->name, g->height, g->width, g->conv0, g->patch,
                    g->pstride, g->hid1, g->hid2);
    for (size_t j = 0; j < g->nstages; j++)
        n = sr_card_put(out, cap, n, "%s%zu,%zu,%zu,%zu", j ? ";" : "",
                        g->stage[j].t, g->stage[j].c, g->stage[j].n,
                        g->stage[j].s);
    n = sr_card_put(out, cap, n, "\nclasses=%zu\nanchors=", g->classes);
    for (size_t j = 0; j < g->nstages; j++)
        n = sr_card_put(out, cap, n, "%s%.17g", j ? "," : "", g->anchor[j]);
    n = sr_card_put(out, cap, n, "\nvariance=%.17g,%.17g\n", g->variance[0],
                    g->variance[1]);
    sr_heads_fmt f = c->heads.f;
    for (size_t i = 0; i < NHFMT; i++) {
        const sr_fx *x = hfmt_slot(&f, i);
        n = sr_card_put(out, cap, n, "fmt.%s=%u,%u\n", hfmt_names[i], x->bw,
                        x->s);
    }
    const sr_heads_wscale *w = &c->heads.ws;
    const size_t nb = sr_heads_nblocks(g);
    unsigned ex[SR_HEADS_MAX_BLOCKS];
    size_t ne = 0, b = 0;
    for (size_t j = 0; j < g->nstages; j++)
        for (size_t k = 0; k < g->stage[j].n; k++, b++)
            if (g->stage[j].t != 1)
                ex[ne++] = w->expand[b];
    n = sr_card_put(out, cap, n, "wscale.conv0=%u\n", w->conv0);
    n = put_list(out, cap, n, "wscale.expand", ex, ne);
    n = put_list(out, cap, n, "wscale.dw", w->dw, nb);
    n = put_list(out, cap, n, "wscale.project", w->project, nb);
    n = put_list(out, cap, n, "wscale.loc", w->loc, g->nstages);
    n = put_list(out, cap, n, "wscale.conf", w->conf, g->nstages);
    return sr_card_put(out, cap, n, "reveal=" HEADS_REVEAL "\n");
}

struct heads_ctx {
    sr_card *c;
    unsigned seen[HK_N + NHFMT];
    size_t nanchor, nvar;
    unsigned ws[6][SR_HEADS_MAX_BLOCKS]; /* conv0, expand .. conf lists */
    size_t nws[6];
};

/* Splits v on sep into at most max fields; each field to fn. */
static int
split(const char *v, size_t vl, char sep, size_t max, size_t *count,
      int (*fn)(const char *f, size_t fl, size_t i, void *arg), void *arg)
{
    size_t i = 0, k = 0;
    *count = 0;
    if (vl == 0)
        return 0;
    for (;;) {
        const char *e = memchr(v + i, sep, vl - i);
        const size_t fl = e != NULL ? (size_t)(e - (v + i)) : vl - i;
        if (k >= max || fn(v + i, fl, k, arg) != 0)
            return -1;
        k++;
        if (e == NULL)
            break;
        i += fl + 1;
    }
    *count = k;
    return 0;
}

static int
one_uint15(const char *f, size_t fl, size_t i, void *arg)
{
    unsigned long long u;
    if (sr_card_num(f, fl, 63, &u) != 0)
        return -1;
    ((unsigned *)arg)[i] = (unsigned)u;
    return 0;
}

static int
one_double(const char *f, size_t fl, size_t i, void *arg)
{
    char tmp[64];
    if (fl == 0 || fl >= sizeof tmp)
        return -1;
    memcpy(tmp, f, fl);
    tmp[fl] = '\0';
    if (!(tmp[0] >= '0' && tmp[0] <= '9'))
        return -1;
    char *end = NULL;
    const double d = strtod(tmp, &end);
    if (end != tmp + fl || !isfinite(d) || !(d > 0))
        return -1;
    ((double *)arg)[i] = d;
    return 0;
}

static int
one_stage(const char *f, size_t fl, size_t i, void *arg)
{
    sr_heads_stage *s = (sr_heads_stage *)arg + i;
    size_t *d[] = {&s->t, &s->c, &s->n, &s->s}, k = 0, p = 0;
    for (; k < 4; k++) {
        const char *e = memchr(f + p, ',', fl - p);
        const size_t l = e != NULL ? (size_t)(e - (f + p)) : fl - p;
        unsigned long long u;
        if ((k < 3) != (e != NULL) ||
            sr_card_num(f + p, l, SR_MODEL_DIM_MAX, &u) != 0)
            return -1;
        *d[k] = (size_t)u;
        p += l + 1;
    }
    return 0;
}

static int
heads_key(const char *k, size_t kl, const char *v, size_t vl, void *ctx,
          char *err, size_t errlen)
{
    struct heads_ctx *x = ctx;
    sr_heads_cfg *g = &x->c->heads.cfg;
    size_t idx;
    if (sr_card_key_index(k, kl, hkeys, HK_N, hfmt_names, NHFMT, x->seen,
                          "model card", &idx, err, errlen) != SR_OK)
        return SR_EUSAGE;
    const int kw = (int)(kl > 40 ? 40 : kl), vw = (int)(vl > 60 ? 60 : vl);
    unsigned long long u;
    size_t cnt = 0;
    switch (idx) {
    case HK_CARD:
        return sr_card_tag(v, vl, err, errlen);
    case HK_NAME:
        return sr_card_name(x->c, v, vl, err, errlen);
    case HK_TYPE:
        return SR_OK; /* rnnpool-heads: how we got here */
    case HK_STAGES:
        if (split(v, vl, ';', SR_HEADS_MAX_STAGES, &cnt, one_stage, g->stage) !=
                0 ||
            cnt == 0)
            return sr_usage_error(
                err, errlen,
                "stages: bad value '%.*s' (t,c,n,s;... with 1..%d "
                "stages)",
                vw, v, SR_HEADS_MAX_STAGES);
        g->nstages = cnt;
        return SR_OK;
    case HK_ANCHORS:
        if (split(v, vl, ',', SR_HEADS_MAX_STAGES, &x->nanchor, one_double,
                  g->anchor) != 0 ||
            x->nanchor == 0)
            return sr_usage_error(err, errlen, "anchors: bad value '%.*s'", vw,
                                  v);
        return SR_OK;
    case HK_VARIANCE:
        if (split(v, vl, ',', 2, &x->nvar, one_double, g->variance) != 0 ||
            x->nvar != 2)
            return sr_usage_error(err, errlen, "variance: bad value '%.*s'", vw,
                                  v);
        return SR_OK;
    case HK_REVEAL:
        if (vl != strlen(HEADS_REVEAL) || memcmp(v, HEADS_REVEAL, vl) != 0)
            return sr_usage_error(err, errlen, "reveal: bad value '%.*s'", vw,
                                  v);
        return SR_OK;
    default:
        break;
    }
    if (idx >= HK_WS_CONV0 && idx <= HK_WS_CONF) {
        const size_t w = idx - HK_WS_CONV0;
        if (split(v, vl, ',', w == 0 ? 1 : SR_HEADS_MAX_BLOCKS, &x->nws[w],
                  one_uint15, x->ws[w]) != 0)
            return sr_usage_error(err, errlen, "%.*s: bad value '%.*s'", kw, k,
                                  vw, v);
        return SR_OK;
    }
    if (idx >= HK_N)
        return sr_card_fmt(hfmt_slot(&x->c->heads.f, idx - HK_N), k, kl, v, vl,
                           err, errlen);
    /* the sizes */
    if (sr_card_num(v, vl, SR_MODEL_DIM_MAX, &u) != 0 || u < 1)
        return sr_usage_error(err, errlen, "%.*s: bad value '%.*s'", kw, k, vw,
                              v);
    size_t *d[] = {&g->height,  &g->width, &g->conv0, &g->patch,
                   &g->pstride, &g->hid1,  &g->hid2};
    if (idx == HK_CLASSES)
        g->classes = (size_t)u;
    else
        *d[idx - HK_H] = (size_t)u;
    return SR_OK;
}

/* see card_internal.h */
int
sr_card_heads_decode(sr_card *c, const char *b, size_t len, char *err,
                     size_t errlen)
{
    struct heads_ctx *x = calloc(1, sizeof *x);
    if (x == NULL)
        return SR_ENOMEM;
    x->c = c;
    c->type = SR_MODEL_RNNPOOL_HEADS;
    int rc = sr_card_kv_walk(b, len, heads_key, x, err, errlen);
    for (size_t i = 0; i < HK_N + NHFMT && rc == SR_OK; i++)
        if (!x->seen[i])
            rc = i < HK_N
                     ? sr_usage_error(err, errlen,
                                      "%s: missing from the model card",
                                      hkeys[i])
                     : sr_usage_error(err, errlen,
                                      "fmt.%s: missing from the model card",
                                      hfmt_names[i - HK_N]);
    sr_heads_cfg *g = &c->heads.cfg;
    if (rc == SR_OK && x->nanchor != g->nstages)
        rc = sr_usage_error(err, errlen,
                            "anchors: %zu values, expected %zu (one per "
                            "stage)",
                            x->nanchor, g->nstages);
    const size_t nb = sr_heads_nblocks(g);
    const size_t want[6] = {1,  sr_heads_nexpand(g), nb,
                            nb, g->nstages,          g->nstages};
    for (size_t w = 0; w < 6 && rc == SR_OK; w++)
        if (x->nws[w] != want[w])
            rc = sr_usage_error(err, errlen, "%s: %zu values, expected %zu",
                                hkeys[HK_WS_CONV0 + w], x->nws[w], want[w]);
    char why[300] = "";
    sr_heads_dims dm;
    if (rc == SR_OK && sr_heads_dims_make(&dm, g, why, sizeof why) != SR_OK)
        rc = sr_usage_error(err, errlen, "cfg: %s", why);
    if (rc == SR_OK &&
        sr_heads_fmt_check(&c->heads.f, why, sizeof why) != SR_OK)
        rc = sr_usage_error(err, errlen, "fmt: %s", why);
    if (rc == SR_OK) {
        sr_heads_wscale *ws = &c->heads.ws;
        ws->conv0 = x->ws[0][0];
        size_t bi = 0, e = 0;
        for (size_t j = 0; j < g->nstages; j++)
            for (size_t k = 0; k < g->stage[j].n; k++, bi++) {
                ws->expand[bi] = g->stage[j].t != 1 ? x->ws[1][e++] : 0;
                ws->dw[bi] = x->ws[2][bi];
                ws->project[bi] = x->ws[3][bi];
            }
        for (size_t j = 0; j < g->nstages; j++) {
            ws->loc[j] = x->ws[4][j];
            ws->conf[j] = x->ws[5][j];
        }
        sr_heads_fx pub;
        if (sr_heads_pub_make(&pub, &c->heads, why, sizeof why) != SR_OK)
            rc = sr_usage_error(err, errlen, "wscale: %s", why);
    }
    free(x);
    if (rc != SR_OK) {
        memset(c, 0, sizeof *c);
        c->type = SR_MODEL_RNNPOOL_HEADS;
    }
    return rc;
}

/* The heads request: image size within the card's, one the net takes. */
/* see card_internal.h */
int
sr_card_heads_check(const sr_card *c, const sr_card_request *r, char *err,
                    size_t errlen)
{
    const sr_heads_cfg *g = &c->heads.cfg;
    if (r->height == 0 && r->width == 0)
        return sr_usage_error(
            err, errlen,
            "height: missing from the request (model %s takes "
            "images [B, H, W], the client sent [B, T, D] = [%zu, "
            "%zu, %zu])",
            c->name, r->batch, r->timesteps, r->input_dim);
    if (r->height > g->height)
        return sr_usage_error(
            err, errlen,
            "height: model card at most %zu, client input %zu "
            "(input shape [B, H, W] = [%zu, %zu, %zu])",
            g->height, r->height, r->batch, r->height, r->width);
    if (r->width > g->width)
        return sr_usage_error(err, errlen,
                              "width: model card at most %zu, client input %zu "
                              "(input shape [B, H, W] = [%zu, %zu, %zu])",
                              g->width, r->width, r->batch, r->height,
                              r->width);
    sr_heads_cfg at = *g;
    at.height = r->height;
    at.width = r->width;
    sr_heads_dims d;
    char why[240] = "";
    if (sr_heads_dims_make(&d, &at, why, sizeof why) != SR_OK) {
        const int hbad =
            sr_conv2d_out(r->height, 3, 2, 1) < g->patch || r->height < 1;
        const int wbad =
            sr_conv2d_out(r->width, 3, 2, 1) < g->patch || r->width < 1;
        return sr_usage_error(err, errlen,
                              "%s: the model cannot take a %zux%zu image (%s)",
                              hbad && !wbad   ? "height"
                              : wbad && !hbad ? "width"
                                              : "height, width",
                              r->height, r->width, why);
    }
    if (r->batch == 0)
        return sr_usage_error(err, errlen,
                              "batch: the client's input holds no image");
    return SR_OK;
}

/* see card.h */
int
sr_card_heads_pub(sr_heads_fx *pub, const sr_card *c, const sr_card_request *r,
                  char *err, size_t errlen)
{
    SR_REQUIRE(c->type == SR_MODEL_RNNPOOL_HEADS);
    sr_heads_desc d = c->heads;
    d.cfg.height = r->height;
    d.cfg.width = r->width;
    return sr_heads_pub_make(pub, &d, err, errlen);
}
