/*
 * layers/fastgrnn_secure.h -- secure FastGRNN inference on shares: the
 * mirror of the fixed-point twin sr_fastgrnn_fx_logits (layers/fastgrnn.h),
 * block by block, so that the reconstructed logits equal the twin's bit
 * for bit (SIRNN Sec. VI "FastGRNN"; the blocks are Sec. IV-V).
 *
 * Who holds what:
 *   - the server holds the quantised model (sr_fastgrnn_fx: weights,
 *     biases, k1, k2); it passes it to every call through
 *     sr_fastgrnn_known(L, q) (q on the server, NULL on the client), and
 *     the protocols make the server the COT sender of every product with
 *     a weight (sr_matmul_known / sr_mult_known with SR_KNOWN_BY_SERVER);
 *   - the client holds the quantised inputs x [B,T,D] in f.x; they enter
 *     as shares (client: x, server: 0), so no message carries them;
 *   - both parties hold the public part (sr_fastgrnn_pub: dims and
 *     formats; the model card) and build the same math plans from it.
 *
 * Blocks (numbers of layers/fastgrnn.h), for the B samples of one lane,
 * all advancing together (every op below is one vector op over the B
 * samples):
 *  1. hoisted input projection, B T rows: sr_matmul_known at width
 *     lw = max(32 + ceil(log2 d), k + 16), Alice adds 2^(k-1), then
 *     sr_trunc_reduce(lw, k) and the local reduction to 16 bits (RTR);
 *  2. per step h U (or h U1, u U2), the same RTR matmul;
 *  3. g = p_t + q + b_gate, e = p_t + q + b_update: local; the server adds
 *     the biases to its share (no traffic);
 *  4. z = sigmoid(g), c = tanh(e): sr_math_run with plans built once;
 *  5. [m2, m1] = RTR([k2 c, k1 c]): one sr_mult_known on 2 B H values
 *     (k2, k1 server-known) at width max(32, sh + 16), then TR;
 *  6. v = h - m2: local;
 *  7. h = RTR(z v, s_z) + m1: sr_mult (16 x 16 -> 32, signed), TR;
 *  8. logits = RTR(h fc_W) + fc_b: RTR matmul at width
 *     max(32 + ceil(log2 H), k + bw_logits), the server adds fc_b.
 *  9. argmax (sr_fastgrnn_secure_argmax): sign-extend the logits by one
 *     bit, then a tournament tree: per level, sr_msb of left - right gives
 *     [left < right], one sr_mux of (right - left, idx_right - idx_left)
 *     picks the winner (ties keep the left one: the first maximum, as
 *     sr_fastgrnn_fx_argmax).  ceil(log2 K) levels.
 *
 * Lanes: sr_fastgrnn_secure_infer_lanes runs independent samples per lane
 * (the B samples are cut into contiguous chunks, one per lane, by
 * sr_lanes_split with min_chunk 1; each lane runs the whole network on
 * its chunk).  This keeps every lane's rounds at those of one sample and
 * needs no synchronisation between lanes; a batch smaller than T leaves
 * lanes idle.  Small batches (B <= SR_FG_PAIR_SAMPLES per lane, at least
 * 2 lanes) pair the lanes instead: chunk k runs on lane 2k, and lane
 * 2k + 1 computes each step's tanh (step 4) in a thread of its own while
 * lane 2k computes the sigmoid, so a step's flights are recurrent +
 * max(sigmoid, tanh) + update instead of the sum (kws: 108 instead of
 * 156).  The bytes are the same; an odd last lane stays idle.  The
 * report's rounds (the maximum over lanes) are then those of lane 2k, the
 * critical path when the sigmoid has at least the tanh's rounds (as for
 * every bundled model; else it is short by the difference per step).
 *
 * Supported formats: those of sr_fastgrnn_fmt_check, and in addition
 * s_z <= 16 (the shared product z v is 32 bits), every RTR width <= 64 and
 * bw_logits <= 62 (argmax extends by one bit); sr_fastgrnn_secure_check
 * tells.
 */
#ifndef SR_LAYERS_FASTGRNN_SECURE_H
#define SR_LAYERS_FASTGRNN_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "layers/fastgrnn.h"
#include "math/plan.h"

/* The public part of a model: what the model card carries. */
typedef struct sr_fastgrnn_pub {
    size_t D, H, K, T, rW, rU;
    sr_fastgrnn_fmt f;
} sr_fastgrnn_pub;

/* The public part of the server's quantised model. */
sr_fastgrnn_pub sr_fastgrnn_pub_of(const sr_fastgrnn_fx *q);

/*
 * SR_OK when the secure layer runs pub (sr_fastgrnn_fmt_check and the
 * limits above), else SR_EUSAGE with a one-line reason in err.
 */
SR_NODISCARD int sr_fastgrnn_secure_check(const sr_fastgrnn_pub *pub, char *err,
                                          size_t errlen);

/*
 * The secure layer's public state, the same on both parties: the card
 * and the math plans with their tables (built once at init).
 */
typedef struct sr_fastgrnn_sec {
    sr_fastgrnn_pub pub;
    sr_math_plan sig, tnh;
    sr_math_tab *tab_sig, *tab_tnh;
} sr_fastgrnn_sec;

/* pub must pass sr_fastgrnn_secure_check (SR_REQUIRE).  SR_OK or
 * SR_ENOMEM (S is then cleared). */
SR_NODISCARD int sr_fastgrnn_sec_init(sr_fastgrnn_sec *S,
                                      const sr_fastgrnn_pub *pub);
/* Idempotent; safe after a failed init. */
void sr_fastgrnn_sec_clear(sr_fastgrnn_sec *S);

/* The server's model on server lanes, NULL on client lanes. */
static inline const sr_fastgrnn_fx *
sr_fastgrnn_known(const sr_lane *L, const sr_fastgrnn_fx *q)
{
    return sr_lane_is_server(L) ? q : (const sr_fastgrnn_fx *)0;
}

/* Per-block statistics (seconds, this lane pair's bytes in both
 * directions, rounds), accumulated over calls. */
enum {
    SR_FG_INPUT,      /* step 1 */
    SR_FG_RECURRENT,  /* step 2 */
    SR_FG_SIGMOID,    /* step 4, z */
    SR_FG_TANH,       /* step 4, c */
    SR_FG_UPDATE,     /* steps 5-7 */
    SR_FG_CLASSIFIER, /* step 8 */
    SR_FG_ARGMAX,     /* step 9 */
    SR_FG_REVEAL,     /* opening to the client */
    SR_FG_NBLOCKS
};
/* Batches of at most this many samples per lane run on lane pairs. */
#define SR_FG_PAIR_SAMPLES 8

typedef struct sr_fastgrnn_stats {
    double seconds[SR_FG_NBLOCKS];
    uint64_t bytes[SR_FG_NBLOCKS];
    uint64_t rounds[SR_FG_NBLOCKS];
} sr_fastgrnn_stats;

/* "fastgrnn.input", "fastgrnn.recurrent", ... (report names). */
const char *sr_fastgrnn_block_name(unsigned block);

/*
 * Shares of the logits [B,K] (bw_logits bits, the twin's patterns) of the
 * inputs whose shares are x [B,T,D] (16 bits, f.x).  q: the server's
 * model through sr_fastgrnn_known (NULL on the client).  stats may be
 * NULL (else it is added to).  logits must not overlap x.
 * Rounds: 2 matmuls (step 1) + T (RTR matmul(s) + sigmoid + tanh +
 * mult_known + TR + mult + TR) + 1 matmul, independent of B.
 * Traffic: the sum of the blocks' formulas (their headers), per sample
 * times B.  SR_OK, SR_ENOMEM or the first channel error.
 */
SR_NODISCARD int sr_fastgrnn_secure_logits(sr_lane *L, const sr_fastgrnn_sec *S,
                                           size_t B, uint64_t *logits,
                                           const uint64_t *x,
                                           const sr_fastgrnn_fx *q,
                                           sr_fastgrnn_stats *stats);

/*
 * Shares of label[b] = argmax_k logits[b K + k] (signed bw-bit shares;
 * the first maximum), over bw + 1 bits.  1 <= bw <= 62, K >= 1.  label
 * must not overlap logits.  Rounds: Ext + ceil(log2 K) (MSB + MUX).
 */
SR_NODISCARD int sr_fastgrnn_secure_argmax(sr_lane *L, size_t B, size_t K,
                                           uint64_t *label,
                                           const uint64_t *logits, unsigned bw,
                                           sr_fastgrnn_stats *stats);

/* What the client learns. */
typedef enum {
    SR_REVEAL_LABEL = 0, /* the predicted class only */
    SR_REVEAL_LOGITS = 1 /* the class and the logits */
} sr_reveal;

/*
 * The whole inference on one lane: logits, secure argmax, and the
 * opening to the client only.  x: the client's quantised inputs [B,T,D]
 * (f.x patterns) on the client, NULL on the server (its share is 0).
 * On the client, pred[b] receives the class and, with SR_REVEAL_LOGITS,
 * logits [B,K] the logit patterns (bw_logits bits); on the server both
 * are untouched (may be NULL).  The server learns nothing.
 * Rounds: sr_fastgrnn_secure_logits + argmax + 1 (label) [+ 1 (logits)].
 */
SR_NODISCARD int sr_fastgrnn_secure_infer(sr_lane *L, const sr_fastgrnn_sec *S,
                                          size_t B, long *pred,
                                          uint64_t *logits, const uint64_t *x,
                                          const sr_fastgrnn_fx *q,
                                          sr_reveal reveal,
                                          sr_fastgrnn_stats *stats);

/*
 * sr_fastgrnn_secure_infer over a rank's lanes: samples cut into
 * contiguous chunks, one per lane, run in parallel (see the top).  q is
 * the server's model on the server, NULL on the client (the lanes'
 * party decides what is used).  stats (may be NULL) is added to: per
 * block, the maximum seconds and rounds over lanes and the sum of the
 * bytes of this call.
 */
SR_NODISCARD int
sr_fastgrnn_secure_infer_lanes(const sr_lanes *ls, const sr_fastgrnn_sec *S,
                               size_t B, long *pred, uint64_t *logits,
                               const uint64_t *x, const sr_fastgrnn_fx *q,
                               sr_reveal reveal, sr_fastgrnn_stats *stats);

#endif
