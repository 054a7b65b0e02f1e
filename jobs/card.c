/*
 * jobs/card.c -- the public model card and the client's request (see
 * card.h).
 */
#include "jobs/card.h"
#include "jobs/card_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* see card_internal.h */
size_t
sr_card_put(char *out, size_t cap, size_t n, const char *fmt, ...)
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
        return sr_card_heads_encode(out, cap, c);
    const sr_fastgrnn_pub *p = &c->pub;
    size_t n = sr_card_put(out, cap, 0,
                           "card=" CARD_TAG "\nname=%s\ntype=fastgrnn\n"
                           "input_dim=%zu\nhidden_dim=%zu\nclasses=%zu\n"
                           "timesteps=%zu\nrank_w=%zu\nrank_u=%zu\n",
                           c->name, p->D, p->H, p->K, p->T, p->rW, p->rU);
    sr_fastgrnn_fmt f = p->f;
    for (size_t i = 0; i < NFMT; i++) {
        const sr_fx *x = fmt_slot(&f, i);
        n = sr_card_put(out, cap, n, "fmt.%s=%u,%u\n", fmt_names[i], x->bw,
                        x->s);
    }
    return sr_card_put(out, cap, n, "reveal=label,logits\n");
}

/*
 * The index of key k[0..kl) among keys[0..nk) then "fmt." + fmts[0..nf)
 * (nk + i for a format); counts it in seen[].  SR_OK, or SR_EUSAGE for an
 * unknown (what: "model card" / "request") or repeated key.
 */
/* see card_internal.h */
int
sr_card_key_index(const char *k, size_t kl, const char *const *keys, size_t nk,
                  const char *const *fmts, size_t nf, unsigned *seen,
                  const char *what, size_t *out, char *err, size_t errlen)
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

/* see card_internal.h */
int
sr_card_tag(const char *v, size_t vl, char *err, size_t errlen)
{
    if (vl != strlen(CARD_TAG) || memcmp(v, CARD_TAG, vl) != 0)
        return sr_usage_error(err, errlen,
                              "card: format %.*s, expected " CARD_TAG,
                              (int)(vl > 60 ? 60 : vl), v);
    return SR_OK;
}

/* see card_internal.h */
int
sr_card_name(sr_card *c, const char *v, size_t vl, char *err, size_t errlen)
{
    if (vl == 0 || vl >= SR_MODEL_NAME_MAX)
        return sr_usage_error(err, errlen, "name: 1..%d characters expected",
                              SR_MODEL_NAME_MAX - 1);
    for (size_t i = 0; i < vl; i++)
        if (v[i] < 0x20 || v[i] > 0x7e)
            return sr_usage_error(err, errlen, "name: not printable ASCII");
    memcpy(c->name, v, vl);
    c->name[vl] = '\0';
    return SR_OK;
}

/* see card_internal.h */
int
sr_card_fmt(sr_fx *slot, const char *k, size_t kl, const char *v, size_t vl,
            char *err, size_t errlen)
{
    const char *comma = memchr(v, ',', vl);
    unsigned long long bw, s;
    if (comma == NULL || sr_card_num(v, (size_t)(comma - v), 64, &bw) != 0 ||
        sr_card_num(comma + 1, vl - (size_t)(comma - v) - 1, 62, &s) != 0)
        return sr_usage_error(err, errlen, "%.*s: bad format '%.*s' (bw,scale)",
                              (int)(kl > 40 ? 40 : kl), k,
                              (int)(vl > 60 ? 60 : vl), v);
    slot->bw = (uint8_t)bw;
    slot->s = (uint8_t)s;
    return SR_OK;
}

/* see card_internal.h */
int
sr_card_num(const char *s, size_t len, unsigned long long hi,
            unsigned long long *out)
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

/* see card_internal.h */
int
sr_card_kv_walk(const char *b, size_t len, sr_card_kv_fn fn, void *ctx,
                char *err, size_t errlen)
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
    if (sr_card_key_index(k, kl, card_keys, NCARD, fmt_names, NFMT, x->seen,
                          "model card", &idx, err, errlen) != SR_OK)
        return SR_EUSAGE;
    const int kw = (int)(kl > 40 ? 40 : kl), vw = (int)(vl > 60 ? 60 : vl);
    unsigned long long u;
    if (idx == 0) {
        return sr_card_tag(v, vl, err, errlen);
    } else if (idx == 1) {
        return sr_card_name(x->c, v, vl, err, errlen);
    } else if (idx == 2) {
        if (vl != 8 || memcmp(v, "fastgrnn", 8) != 0)
            return sr_usage_error(err, errlen,
                                  "type: %.*s, this client runs fastgrnn or "
                                  "rnnpool-heads",
                                  vw, v);
    } else if (idx <= 8) {
        const unsigned long long lo = idx <= 6 ? 1 : 0;
        if (sr_card_num(v, vl, SR_MODEL_DIM_MAX, &u) != 0 || u < lo)
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
        return sr_card_fmt(fmt_slot(&p->f, idx - NCARD), k, kl, v, vl, err,
                           errlen);
    }
    return SR_OK;
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
        return sr_card_heads_decode(c, b, len, err, errlen);
    c->type = SR_MODEL_FASTGRNN;
    int rc = sr_card_kv_walk(b, len, card_key, &x, err, errlen);
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
sr_card_refusal_encode(char *out, size_t cap, const char *why)
{
    char one[200];
    size_t k = 0;
    for (const char *p = why; *p && k + 1 < sizeof one; p++)
        one[k++] = *p == '\n' ? ' ' : *p; /* one line */
    one[k] = '\0';
    return sr_card_put(out, cap, 0, "request=" REQUEST_TAG "\nerror=%s\n", one);
}

/* see card.h */
size_t
sr_card_request_encode(char *out, size_t cap, const sr_card_request *r)
{
    if (r->height != 0 || r->width != 0)
        return sr_card_put(out, cap, 0,
                           "request=" REQUEST_TAG "\nbatch=%zu\nheight=%zu\n"
                           "width=%zu\nreveal=%s\n",
                           r->batch, r->height, r->width,
                           sr_reveal_name(r->reveal));
    return sr_card_put(out, cap, 0,
                       "request=" REQUEST_TAG "\nbatch=%zu\ntimesteps=%zu\n"
                       "input_dim=%zu\nreveal=%s\n",
                       r->batch, r->timesteps, r->input_dim,
                       sr_reveal_name(r->reveal));
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

static const char *const req_keys[] = {"request",   "batch",  "timesteps",
                                       "input_dim", "reveal", "height",
                                       "width",     "error"};
#define NREQ (sizeof req_keys / sizeof req_keys[0])

struct req_ctx {
    sr_card_request *r;
    unsigned seen[NREQ];
    char error[200]; /* the client's reason for refusing the card */
};

static int
req_key(const char *k, size_t kl, const char *v, size_t vl, void *ctx,
        char *err, size_t errlen)
{
    struct req_ctx *x = ctx;
    size_t idx;
    if (sr_card_key_index(k, kl, req_keys, NREQ, NULL, 0, x->seen, "request",
                          &idx, err, errlen) != SR_OK)
        return SR_EUSAGE;
    const int kw = (int)(kl > 40 ? 40 : kl), vw = (int)(vl > 60 ? 60 : vl);
    unsigned long long u;
    if (idx == 0) {
        if (vl != strlen(REQUEST_TAG) || memcmp(v, REQUEST_TAG, vl) != 0)
            return sr_usage_error(err, errlen, "request: format %.*s", vw, v);
    } else if (idx == 7) {
        snprintf(x->error, sizeof x->error, "%.*s", (int)(vl > 190 ? 190 : vl),
                 v);
    } else if (idx != 4) {
        if (sr_card_num(v, vl, (unsigned long long)1 << 40, &u) != 0)
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
    int rc = sr_card_kv_walk(b, len, req_key, &x, err, errlen);
    if (rc != SR_OK)
        return rc;
    if (x.seen[7]) /* the client could not use the card */
        return sr_usage_error(err, errlen,
                              "the client refused the model card: %s", x.error);
    /* request, batch, reveal, and one shape: (timesteps, input_dim) or
     * (height, width) */
    const int img = x.seen[5] || x.seen[6];
    for (size_t i = 0; i < 7; i++) {
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

/* see card.h */
int
sr_card_check(const sr_card *c, const sr_card_request *r, char *err,
              size_t errlen)
{
    if (c->type == SR_MODEL_RNNPOOL_HEADS)
        return sr_card_heads_check(c, r, err, errlen);
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
