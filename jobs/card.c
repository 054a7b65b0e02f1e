/*
 * jobs/card.c -- the public model card and the client's request (see
 * card.h).
 */
#include "jobs/card.h"

#include "jobs/heads_fmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_TAG "sirnn-card/1"
#define REQUEST_TAG "sirnn-request/1"

/* The formats, in card order. */
static sr_fx *
fmt_slot(sr_fastgrnn_fmt *f, size_t i)
{
    sr_fx *s[] = {&f->x,  &f->W,    &f->W1, &f->W2,    &f->U, &f->U1,
                  &f->U2, &f->fc_W, &f->t,  &f->u,     &f->a, &f->z,
                  &f->c,  &f->k,    &f->h,  &f->logits};
    return i < sizeof s / sizeof s[0] ? s[i] : NULL;
}
static const char *const fmt_names[] = {"x",  "W",    "W1", "W2",    "U", "U1",
                                        "U2", "fc_W", "t",  "u",     "a", "z",
                                        "c",  "k",    "h",  "logits"};
#define NFMT (sizeof fmt_names / sizeof fmt_names[0])

/* see card.h */
const char *
sr_reveal_name(sr_reveal r)
{
    return r == SR_REVEAL_LOGITS ? "logits" : "label";
}

/* see card.h */
int
sr_reveal_parse(const char *s)
{
    if (strcmp(s, "label") == 0)
        return SR_REVEAL_LABEL;
    if (strcmp(s, "logits") == 0)
        return SR_REVEAL_LOGITS;
    return -1;
}

/* see card.h */
void
sr_card_make(sr_card *c, const sr_model *m, const sr_fastgrnn_fmt *f)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", m->name);
    c->pub.D = m->input_dim, c->pub.H = m->hidden_dim;
    c->pub.K = m->classes, c->pub.T = m->timesteps;
    c->pub.rW = m->rW, c->pub.rU = m->rU;
    c->pub.f = *f;
    c->type = SR_MODEL_FASTGRNN;
}

static size_t put(char *out, size_t cap, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t heads_encode(char *out, size_t cap, const sr_card *c);

static size_t
put(char *out, size_t cap, size_t n, const char *fmt, ...)
{
    SR_REQUIRE(n < cap);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
    SR_REQUIRE(k >= 0 && (size_t)k < cap - n);
    return n + (size_t)k;
}

/* see card.h */
size_t
sr_card_encode(char *out, size_t cap, const sr_card *c)
{
    if (c->type == SR_MODEL_RNNPOOL_HEADS)
        return heads_encode(out, cap, c);
    const sr_fastgrnn_pub *p = &c->pub;
    size_t n = put(out, cap, 0,
                   "card=" CARD_TAG "\nname=%s\ntype=fastgrnn\n"
                   "input_dim=%zu\nhidden_dim=%zu\nclasses=%zu\n"
                   "timesteps=%zu\nrank_w=%zu\nrank_u=%zu\n",
                   c->name, p->D, p->H, p->K, p->T, p->rW, p->rU);
    sr_fastgrnn_fmt f = p->f;
    for (size_t i = 0; i < NFMT; i++) {
        const sr_fx *x = fmt_slot(&f, i);
        n = put(out, cap, n, "fmt.%s=%u,%u\n", fmt_names[i], x->bw, x->s);
    }
    return put(out, cap, n, "reveal=label,logits\n");
}

/*
 * The index of key k[0..kl) among keys[0..nk) then "fmt." + fmts[0..nf)
 * (nk + i for a format); counts it in seen[].  SR_OK, or SR_EUSAGE for an
 * unknown (what: "model card" / "request") or repeated key.
 */
static int
key_index(const char *k, size_t kl, const char *const *keys, size_t nk,
          const char *const *fmts, size_t nf, unsigned *seen, const char *what,
          size_t *out, char *err, size_t errlen)
{
    size_t idx = nk + nf;
    for (size_t i = 0; i < nk; i++)
        if (strlen(keys[i]) == kl && memcmp(k, keys[i], kl) == 0)
            idx = i;
    for (size_t i = 0; i < nf && idx == nk + nf; i++)
        if (kl == 4 + strlen(fmts[i]) && memcmp(k, "fmt.", 4) == 0 &&
            memcmp(k + 4, fmts[i], kl - 4) == 0)
            idx = nk + i;
    const int kw = (int)(kl > 40 ? 40 : kl);
    if (idx == nk + nf)
        return sr_usage_error(err, errlen, "%.*s: unknown key in the %s", kw, k,
                              what);
    if (seen[idx]++)
        return sr_usage_error(err, errlen, "%.*s: given twice", kw, k);
    *out = idx;
    return SR_OK;
}

/* Decimal in [0, hi]; 0 on success. */
static int
num(const char *s, size_t len, unsigned long long hi, unsigned long long *out)
{
    if (len == 0 || len > 20)
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (hi - (unsigned)(s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/*
 * Walk "key=value\n" lines: for each, calls fn(key, klen, val, vlen, ctx);
 * a line without '=' or a missing final newline is an error.
 */
typedef int (*kv_fn)(const char *k, size_t kl, const char *v, size_t vl,
                     void *ctx, char *err, size_t errlen);

static int
kv_walk(const char *b, size_t len, kv_fn fn, void *ctx, char *err,
        size_t errlen)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(b + i, '\n', len - i);
        if (nl == NULL)
            return sr_usage_error(err, errlen, "line %zu: no final newline", i);
        const size_t e = (size_t)(nl - b);
        const char *eq = memchr(b + i, '=', e - i);
        if (eq == NULL)
            return sr_usage_error(err, errlen, "'%.*s': expected key=value",
                                  (int)(e - i > 40 ? 40 : e - i), b + i);
        const size_t kl = (size_t)(eq - (b + i));
        int rc = fn(b + i, kl, eq + 1, e - i - kl - 1, ctx, err, errlen);
        if (rc != SR_OK)
            return rc;
        i = e + 1;
    }
    return SR_OK;
}

/* Card keys: 0 card, 1 name, 2 type, 3..8 dims, 9 reveal, 10.. formats. */
static const char *const card_keys[] = {
    "card",    "name",      "type",   "input_dim", "hidden_dim",
    "classes", "timesteps", "rank_w", "rank_u",    "reveal"};
#define NCARD (sizeof card_keys / sizeof card_keys[0])

struct card_ctx {
    sr_card *c;
    unsigned seen[NCARD + NFMT];
};

static int
card_key(const char *k, size_t kl, const char *v, size_t vl, void *ctx,
         char *err, size_t errlen)
{
    struct card_ctx *x = ctx;
    sr_fastgrnn_pub *p = &x->c->pub;
    size_t idx;
    if (key_index(k, kl, card_keys, NCARD, fmt_names, NFMT, x->seen,
                  "model card", &idx, err, errlen) != SR_OK)
        return SR_EUSAGE;
    const int kw = (int)(kl > 40 ? 40 : kl), vw = (int)(vl > 60 ? 60 : vl);
    unsigned long long u;
    if (idx == 0) {
        if (vl != strlen(CARD_TAG) || memcmp(v, CARD_TAG, vl) != 0)
            return sr_usage_error(
                err, errlen, "card: format %.*s, expected " CARD_TAG, vw, v);
    } else if (idx == 1) {
        if (vl == 0 || vl >= SR_MODEL_NAME_MAX)
            return sr_usage_error(err, errlen,
                                  "name: 1..%d characters expected",
                                  SR_MODEL_NAME_MAX - 1);
        for (size_t i = 0; i < vl; i++)
            if (v[i] < 0x20 || v[i] > 0x7e)
                return sr_usage_error(err, errlen, "name: not printable ASCII");
        memcpy(x->c->name, v, vl);
        x->c->name[vl] = '\0';
    } else if (idx == 2) {
        if (vl != 8 || memcmp(v, "fastgrnn", 8) != 0)
            return sr_usage_error(err, errlen,
                                  "type: %.*s, this client runs fastgrnn or "
                                  "rnnpool-heads",
                                  vw, v);
    } else if (idx <= 8) {
        const unsigned long long lo = idx <= 6 ? 1 : 0;
        if (num(v, vl, SR_MODEL_DIM_MAX, &u) != 0 || u < lo)
            return sr_usage_error(err, errlen, "%.*s: bad value '%.*s'", kw, k,
                                  vw, v);
        size_t *d[] = {&p->D, &p->H, &p->K, &p->T, &p->rW, &p->rU};
        *d[idx - 3] = (size_t)u;
    } else if (idx == 9) {
        if (vl != 12 || memcmp(v, "label,logits", 12) != 0)
            if (vl != 5 || memcmp(v, "label", 5) != 0)
                return sr_usage_error(err, errlen, "reveal: bad value '%.*s'",
                                      vw, v);
    } else {
        const char *comma = memchr(v, ',', vl);
        unsigned long long bw, s;
        if (comma == NULL || num(v, (size_t)(comma - v), 64, &bw) != 0 ||
            num(comma + 1, vl - (size_t)(comma - v) - 1, 62, &s) != 0)
            return sr_usage_error(err, errlen,
                                  "%.*s: bad format '%.*s' (bw,scale)", kw, k,
                                  vw, v);
        sr_fx *slot = fmt_slot(&p->f, idx - NCARD);
        slot->bw = (uint8_t)bw;
        slot->s = (uint8_t)s;
    }
    return SR_OK;
}

/* ---- type rnnpool-heads ------------------------------------------------ */

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
    n = put(out, cap, n, "%s=", key);
    for (size_t i = 0; i < cnt; i++)
        n = put(out, cap, n, "%s%u", i ? "," : "", v[i]);
    return put(out, cap, n, "\n");
}

static size_t
heads_encode(char *out, size_t cap, const sr_card *c)
{
    const sr_heads_cfg *g = &c->heads.cfg;
    size_t n = put(out, cap, 0,
                   "card=" CARD_TAG "\nname=%s\ntype=rnnpool-heads\n"
                   "input_height=%zu\ninput_width=%zu\nconv0_channels=%zu\n"
                   "rnnpool.patch=%zu\nrnnpool.stride=%zu\n"
                   "rnnpool.hidden1=%zu\nrnnpool.hidden2=%zu\nstages=",
                   c->name, g->height, g->width, g->conv0, g->patch, g->pstride,
                   g->hid1, g->hid2);
    for (size_t j = 0; j < g->nstages; j++)
        n = put(out, cap, n, "%s%zu,%zu,%zu,%zu", j ? ";" : "", g->stage[j].t,
                g->stage[j].c, g->stage[j].n, g->stage[j].s);
    n = put(out, cap, n, "\nclasses=%zu\nanchors=", g->classes);
    for (size_t j = 0; j < g->nstages; j++)
        n = put(out, cap, n, "%s%.17g", j ? "," : "", g->anchor[j]);
    n = put(out, cap, n, "\nvariance=%.17g,%.17g\n", g->variance[0],
            g->variance[1]);
    sr_heads_fmt f = c->heads.f;
    for (size_t i = 0; i < NHFMT; i++) {
        const sr_fx *x = hfmt_slot(&f, i);
        n = put(out, cap, n, "fmt.%s=%u,%u\n", hfmt_names[i], x->bw, x->s);
    }
    const sr_heads_wscale *w = &c->heads.ws;
    const size_t nb = sr_heads_nblocks(g);
    unsigned ex[SR_HEADS_MAX_BLOCKS];
    size_t ne = 0, b = 0;
    for (size_t j = 0; j < g->nstages; j++)
        for (size_t k = 0; k < g->stage[j].n; k++, b++)
            if (g->stage[j].t != 1)
                ex[ne++] = w->expand[b];
    n = put(out, cap, n, "wscale.conv0=%u\n", w->conv0);
    n = put_list(out, cap, n, "wscale.expand", ex, ne);
    n = put_list(out, cap, n, "wscale.dw", w->dw, nb);
    n = put_list(out, cap, n, "wscale.project", w->project, nb);
    n = put_list(out, cap, n, "wscale.loc", w->loc, g->nstages);
    n = put_list(out, cap, n, "wscale.conf", w->conf, g->nstages);
    return put(out, cap, n, "reveal=" HEADS_REVEAL "\n");
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
    if (num(f, fl, 63, &u) != 0)
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
        if ((k < 3) != (e != NULL) || num(f + p, l, SR_MODEL_DIM_MAX, &u) != 0)
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
    if (key_index(k, kl, hkeys, HK_N, hfmt_names, NHFMT, x->seen, "model card",
                  &idx, err, errlen) != SR_OK)
        return SR_EUSAGE;
    const int kw = (int)(kl > 40 ? 40 : kl), vw = (int)(vl > 60 ? 60 : vl);
    unsigned long long u;
    size_t cnt = 0;
    switch (idx) {
    case HK_CARD:
        if (vl != strlen(CARD_TAG) || memcmp(v, CARD_TAG, vl) != 0)
            return sr_usage_error(
                err, errlen, "card: format %.*s, expected " CARD_TAG, vw, v);
        return SR_OK;
    case HK_NAME:
        if (vl == 0 || vl >= SR_MODEL_NAME_MAX)
            return sr_usage_error(err, errlen,
                                  "name: 1..%d characters expected",
                                  SR_MODEL_NAME_MAX - 1);
        for (size_t i = 0; i < vl; i++)
            if (v[i] < 0x20 || v[i] > 0x7e)
                return sr_usage_error(err, errlen, "name: not printable ASCII");
        memcpy(x->c->name, v, vl);
        x->c->name[vl] = '\0';
        return SR_OK;
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
    if (idx >= HK_N) {
        const char *comma = memchr(v, ',', vl);
        unsigned long long bw, s;
        if (comma == NULL || num(v, (size_t)(comma - v), 64, &bw) != 0 ||
            num(comma + 1, vl - (size_t)(comma - v) - 1, 62, &s) != 0)
            return sr_usage_error(err, errlen,
                                  "%.*s: bad format '%.*s' (bw,scale)", kw, k,
                                  vw, v);
        sr_fx *slot = hfmt_slot(&x->c->heads.f, idx - HK_N);
        slot->bw = (uint8_t)bw;
        slot->s = (uint8_t)s;
        return SR_OK;
    }
    /* the sizes */
    if (num(v, vl, SR_MODEL_DIM_MAX, &u) != 0 || u < 1)
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

static int
heads_decode(sr_card *c, const char *b, size_t len, char *err, size_t errlen)
{
    struct heads_ctx *x = calloc(1, sizeof *x);
    if (x == NULL)
        return SR_ENOMEM;
    x->c = c;
    c->type = SR_MODEL_RNNPOOL_HEADS;
    int rc = kv_walk(b, len, heads_key, x, err, errlen);
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

/* see card.h */
int
sr_card_decode(sr_card *c, const char *b, size_t len, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    struct card_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    if (len > SR_CARD_MAX)
        return sr_usage_error(err, errlen, "card: %zu bytes exceeds %d", len,
                              SR_CARD_MAX);
    /* the type first: it decides the keys */
    int type = SR_MODEL_FASTGRNN;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(b + i, '\n', len - i);
        const size_t e = nl != NULL ? (size_t)(nl - b) : len;
        if (e - i == 5 + 13 && memcmp(b + i, "type=rnnpool-heads", 18) == 0)
            type = SR_MODEL_RNNPOOL_HEADS;
        i = e + 1;
    }
    if (type == SR_MODEL_RNNPOOL_HEADS)
        return heads_decode(c, b, len, err, errlen);
    c->type = SR_MODEL_FASTGRNN;
    int rc = kv_walk(b, len, card_key, &x, err, errlen);
    if (rc != SR_OK)
        return rc;
    for (size_t i = 0; i < NCARD + NFMT; i++)
        if (!x.seen[i]) {
            if (i < NCARD)
                return sr_usage_error(err, errlen,
                                      "%s: missing from the model card",
                                      card_keys[i]);
            return sr_usage_error(err, errlen,
                                  "fmt.%s: missing from the model card",
                                  fmt_names[i - NCARD]);
        }
    char why[200];
    if (sr_fastgrnn_secure_check(&c->pub, why, sizeof why) != SR_OK)
        return sr_usage_error(err, errlen, "fmt: %s", why);
    return SR_OK;
}

/* see card.h */
size_t
sr_card_request_encode(char *out, size_t cap, const sr_card_request *r)
{
    if (r->height != 0 || r->width != 0)
        return put(out, cap, 0,
                   "request=" REQUEST_TAG "\nbatch=%zu\nheight=%zu\n"
                   "width=%zu\nreveal=%s\n",
                   r->batch, r->height, r->width, sr_reveal_name(r->reveal));
    return put(out, cap, 0,
               "request=" REQUEST_TAG "\nbatch=%zu\ntimesteps=%zu\n"
               "input_dim=%zu\nreveal=%s\n",
               r->batch, r->timesteps, r->input_dim, sr_reveal_name(r->reveal));
}

/* see card.h */
void
sr_card_request_for(sr_card_request *r, const sr_card *c, size_t ndim,
                    const size_t *shape, sr_reveal reveal)
{
    memset(r, 0, sizeof *r);
    r->batch = ndim >= 1 ? shape[0] : 0;
    r->reveal = reveal;
    const size_t a = ndim >= 2 ? shape[1] : 0, b = ndim >= 3 ? shape[2] : 0;
    if (c->type == SR_MODEL_RNNPOOL_HEADS)
        r->height = a, r->width = b;
    else
        r->timesteps = a, r->input_dim = b;
}

static const char *const req_keys[] = {
    "request", "batch", "timesteps", "input_dim", "reveal", "height", "width"};
#define NREQ (sizeof req_keys / sizeof req_keys[0])

struct req_ctx {
    sr_card_request *r;
    unsigned seen[NREQ];
};

static int
req_key(const char *k, size_t kl, const char *v, size_t vl, void *ctx,
        char *err, size_t errlen)
{
    struct req_ctx *x = ctx;
    size_t idx;
    if (key_index(k, kl, req_keys, NREQ, NULL, 0, x->seen, "request", &idx, err,
                  errlen) != SR_OK)
        return SR_EUSAGE;
    const int kw = (int)(kl > 40 ? 40 : kl), vw = (int)(vl > 60 ? 60 : vl);
    unsigned long long u;
    if (idx == 0) {
        if (vl != strlen(REQUEST_TAG) || memcmp(v, REQUEST_TAG, vl) != 0)
            return sr_usage_error(err, errlen, "request: format %.*s", vw, v);
    } else if (idx != 4) {
        if (num(v, vl, (unsigned long long)1 << 40, &u) != 0)
            return sr_usage_error(err, errlen, "%.*s: bad value '%.*s'", kw, k,
                                  vw, v);
        size_t *d[] = {NULL, &x->r->batch,  &x->r->timesteps, &x->r->input_dim,
                       NULL, &x->r->height, &x->r->width};
        *d[idx] = (size_t)u;
    } else {
        char tmp[8] = "";
        if (vl < sizeof tmp)
            memcpy(tmp, v, vl);
        int rv = sr_reveal_parse(tmp);
        if (rv < 0)
            return sr_usage_error(err, errlen, "reveal: bad value '%.*s'", vw,
                                  v);
        x->r->reveal = (sr_reveal)rv;
    }
    return SR_OK;
}

/* see card.h */
int
sr_card_request_decode(sr_card_request *r, const char *b, size_t len, char *err,
                       size_t errlen)
{
    memset(r, 0, sizeof *r);
    struct req_ctx x;
    memset(&x, 0, sizeof x);
    x.r = r;
    int rc = kv_walk(b, len, req_key, &x, err, errlen);
    if (rc != SR_OK)
        return rc;
    /* request, batch, reveal, and one shape: (timesteps, input_dim) or
     * (height, width) */
    const int img = x.seen[5] || x.seen[6];
    for (size_t i = 0; i < NREQ; i++) {
        const int need = i == 0 || i == 1 || i == 4 || (img ? i >= 5 : i < 4);
        if (need && !x.seen[i])
            return sr_usage_error(err, errlen, "%s: missing from the request",
                                  req_keys[i]);
        if (!need && x.seen[i])
            return sr_usage_error(
                err, errlen, "%s: not with %s (one input shape per request)",
                req_keys[i], img ? "height, width" : "timesteps");
    }
    return SR_OK;
}

/* The heads request: image size within the card's, one the net takes. */
static int
heads_check(const sr_card *c, const sr_card_request *r, char *err,
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

/* see card.h */
int
sr_card_check(const sr_card *c, const sr_card_request *r, char *err,
              size_t errlen)
{
    if (c->type == SR_MODEL_RNNPOOL_HEADS)
        return heads_check(c, r, err, errlen);
    if (r->timesteps != c->pub.T)
        return sr_usage_error(
            err, errlen,
            "timesteps: model card %zu, client input %zu (input "
            "shape [B, T, D] = [%zu, %zu, %zu])",
            c->pub.T, r->timesteps, r->batch, r->timesteps, r->input_dim);
    if (r->input_dim != c->pub.D)
        return sr_usage_error(
            err, errlen,
            "input_dim: model card %zu, client input %zu (input "
            "shape [B, T, D] = [%zu, %zu, %zu])",
            c->pub.D, r->input_dim, r->batch, r->timesteps, r->input_dim);
    if (r->batch == 0)
        return sr_usage_error(err, errlen,
                              "batch: the client's input holds no sample");
    return SR_OK;
}
