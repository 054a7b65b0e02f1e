/*
 * jobs/card.h -- the public model card (DESIGN.md s3) and the client's
 * request, as exchanged by `sirnn server` and `sirnn client`.
 *
 * The card is everything the client needs and nothing more: the model's
 * name and type, its dims (input_dim D, hidden_dim H, classes K,
 * timesteps T, the low ranks rW, rU: 0 for full rank), every fixed-point
 * format the secure layer runs at (the input's format "fmt.x" among them:
 * the client quantises its raw inputs to it), and what may be revealed.
 * Never weights, biases, zeta, nu or the normalisation (folded into the
 * weights by the server at load).
 *
 * Wire form: canonical "key=value\n" text (keys in a fixed order, values
 * decimal; formats as "bw,scale"), at most SR_CARD_MAX bytes:
 *
 *   card=sirnn-card/1  name=digits  type=fastgrnn  input_dim=8
 *   hidden_dim=32  classes=10  timesteps=8  rank_w=0  rank_u=0
 *   fmt.x=16,11 ... fmt.logits=32,20  reveal=label,logits
 *
 * The request (client -> server):
 *
 *   request=sirnn-request/1  batch=B  timesteps=T  input_dim=D
 *   reveal=label|logits
 *
 * Both parties validate the request against the card with the same
 * function, so both name the same field ("timesteps: model card 8,
 * client input 9").
 *
 * Type "rnnpool-heads" (docs/heads.md s10; the FastGRNN text above is
 * unchanged): name, type, every configuration key, the formats, the
 * weight scale of every convolution, and what is revealed:
 *
 *   card=sirnn-card/1  name=heads  type=rnnpool-heads
 *   input_height=240  input_width=320  conv0_channels=4
 *   rnnpool.patch=8  rnnpool.stride=4  rnnpool.hidden1=16
 *   rnnpool.hidden2=16  stages=2,32,4,1;2,32,4,1;2,96,3,2;2,128,3,1
 *   classes=2  anchors=8,16,32,48  variance=0.10000000000000001,0.2
 *   fmt.in=16,14 fmt.act=16,11 fmt.rnn.x=16,11 ... fmt.out=16,10
 *   wscale.conv0=S  wscale.expand=S,..  wscale.dw=S,..
 *   wscale.project=S,..  wscale.loc=S,..  wscale.conf=S,..
 *   reveal=loc,conf
 *
 * (doubles in %.17g; wscale lists: one per block with an expansion, per
 * block, per block, per source, per source.)  Never a weight, bias, zeta
 * or nu.  The heads request: request, batch, height, width, reveal (the
 * client's --reveal, accepted and ignored: loc and conf are always what is
 * revealed); the check: batch >= 1, height and width at most the card's
 * input size (the server's memory budget) and an image the network can
 * take ("height: model card at most 240, client input 300 (...)").
 *
 * How they travel (jobs/infer_session.c): the hello's job blob (SR_JOB_MODEL)
 * is the constant SR_CARD_HELLO, which both parties send identically (the
 * engine compares model job blobs byte for byte and its reply has no room
 * for a card); right after the lanes are up, lane 0 of rank 0 carries the
 * card (server -> client) and then the request (client -> server), each
 * as u32 length + text.  Both count as setup traffic.
 */
#ifndef SR_JOBS_CARD_H
#define SR_JOBS_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "jobs/model.h"
#include "layers/fastgrnn_secure.h"
#include "layers/heads_pub.h"

#define SR_CARD_MAX 4096
#define SR_CARD_HELLO "job=infer\ncard=sirnn-card/1\n"

typedef struct sr_card {
    char name[SR_MODEL_NAME_MAX];
    sr_fastgrnn_pub pub; /* type fastgrnn: dims and formats */
    sr_model_type type;  /* SR_MODEL_FASTGRNN or SR_MODEL_RNNPOOL_HEADS */
    sr_heads_desc heads; /* type rnnpool-heads: cfg, formats, weight
                            scales (layers/heads_pub.h) */
} sr_card;

/* The request: FastGRNN [B, T, D] (height = width = 0), or rnnpool-heads
 * images [B, H, W] (timesteps = input_dim = 0; channels are always 1). */
typedef struct sr_card_request {
    size_t batch, timesteps, input_dim;
    sr_reveal reveal;
    size_t height, width;
} sr_card_request;

/* The card of a loaded model m with formats f (the server's). */
void sr_card_make(sr_card *c, const sr_model *m, const sr_fastgrnn_fmt *f);

/* The card of the server's quantised heads model q named name. */
void sr_card_make_heads(sr_card *c, const char *name, const sr_heads_fx *q);

/*
 * The client's request for the card's type from its input's shape
 * (ndim 3, or 4 with a last axis of 1): FastGRNN [B, T, D(, 1)], heads
 * [B, H, W(, 1)].
 */
void sr_card_request_for(sr_card_request *r, const sr_card *c, size_t ndim,
                         const size_t *shape, sr_reveal reveal);

/*
 * Heads: the public model (sr_heads_pub_make) of the card at the
 * request's image size (r accepted by sr_card_check).  SR_OK or SR_EUSAGE
 * with the reason in err.
 */
SR_NODISCARD int sr_card_heads_pub(sr_heads_fx *pub, const sr_card *c,
                                   const sr_card_request *r, char *err,
                                   size_t errlen);

/* Canonical text of c; returns its length (< cap, SR_REQUIRE). */
size_t sr_card_encode(char *out, size_t cap, const sr_card *c);

/*
 * Parses a card (strict: every key once, in any order; unknown keys,
 * bad numbers and formats the secure layer cannot run are errors naming
 * the key).  SR_OK or SR_EUSAGE with "KEY: detail" in err.
 */
SR_NODISCARD int sr_card_decode(sr_card *c, const char *b, size_t len,
                                char *err, size_t errlen);

size_t sr_card_request_encode(char *out, size_t cap, const sr_card_request *r);

/*
 * The request of a client that cannot use the card: "request=...\n
 * error=WHY\n" (WHY on one line, at most 199 bytes).  The server's
 * sr_card_request_decode of it returns SR_EUSAGE with "the client refused
 * the model card: WHY", so the server logs one line and keeps serving.
 */
size_t sr_card_refusal_encode(char *out, size_t cap, const char *why);
SR_NODISCARD int sr_card_request_decode(sr_card_request *r, const char *b,
                                        size_t len, char *err, size_t errlen);

/*
 * The request against the card: input shape (timesteps, then input_dim;
 * heads: height, then width) and batch >= 1.  SR_OK or SR_EUSAGE with "FIELD:
 * model card V, client input W" in err.
 */
SR_NODISCARD int sr_card_check(const sr_card *c, const sr_card_request *r,
                               char *err, size_t errlen);

/* "label" / "logits"; parse one (-1 if neither). */
const char *sr_reveal_name(sr_reveal r);
int sr_reveal_parse(const char *s);

#endif
