/*
 * jobs/card_internal.h -- what jobs/card.c (the FastGRNN card, the request)
 * and jobs/card_heads.c (the rnnpool-heads card) share.  Not an API.
 */
#ifndef SR_JOBS_CARD_INTERNAL_H
#define SR_JOBS_CARD_INTERNAL_H

#include <stddef.h>

#include "jobs/card.h"

#define CARD_TAG "sirnn-card/1"

/* Appends printf text at out + n (SR_REQUIRE: it fits cap); new length. */
size_t sr_card_put(char *out, size_t cap, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The index of key k[0..kl) among keys[0..nk) then "fmt." + fmts[0..nf)
 * (nk + i for a format); counts it in seen[].  SR_OK, or SR_EUSAGE for an
 * unknown (what: "model card" / "request") or repeated key.
 */
int sr_card_key_index(const char *k, size_t kl, const char *const *keys,
                      size_t nk, const char *const *fmts, size_t nf,
                      unsigned *seen, const char *what, size_t *out, char *err,
                      size_t errlen);

/* The keys every card has: "card" (the format tag) and "name" (1..63
 * printable ASCII characters, into c->name).  SR_OK or SR_EUSAGE. */
int sr_card_tag(const char *v, size_t vl, char *err, size_t errlen);
int sr_card_name(sr_card *c, const char *v, size_t vl, char *err,
                 size_t errlen);

/* A format value "bw,scale" (bw <= 64, scale <= 62) of key k into slot.
 * SR_OK or SR_EUSAGE naming the key. */
int sr_card_fmt(sr_fx *slot, const char *k, size_t kl, const char *v, size_t vl,
                char *err, size_t errlen);

/* Decimal in [0, hi]; 0 on success. */
int sr_card_num(const char *s, size_t len, unsigned long long hi,
                unsigned long long *out);

/*
 * Walk "key=value\n" lines: for each, calls fn(key, klen, val, vlen, ctx);
 * a line without '=' or a missing final newline is an error.
 */
typedef int (*sr_card_kv_fn)(const char *k, size_t kl, const char *v, size_t vl,
                             void *ctx, char *err, size_t errlen);
int sr_card_kv_walk(const char *b, size_t len, sr_card_kv_fn fn, void *ctx,
                    char *err, size_t errlen);

/* The rnnpool-heads card: text, strict decoding, the request check. */
size_t sr_card_heads_encode(char *out, size_t cap, const sr_card *c);
int sr_card_heads_decode(sr_card *c, const char *b, size_t len, char *err,
                         size_t errlen);
int sr_card_heads_check(const sr_card *c, const sr_card_request *r, char *err,
                        size_t errlen);

#endif
