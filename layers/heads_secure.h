/*
 * layers/heads_secure.h -- the secure head-counting model: the mirror of
 * sr_heads_fx_run (layers/heads.h) on shares, equal to it bit for bit
 * (docs/heads.md "Secure mapping").
 *
 * Who holds what: the server holds the quantised model (sr_heads_fx) and
 * passes it on server lanes (sr_heads_known; NULL on client lanes).  Both
 * parties hold its public part: a copy without any weight
 * (sr_heads_public_of: configuration, shapes, formats, shifts, ReLU6
 * flags) from which both build the same math plans (sr_heads_sec).  The
 * client's image enters as shares (client: the patterns, server: 0).
 *
 * Layers (each the secure layer of its twin):
 *   conv / ReLU6   sr_conv2d_secure, sr_relu6_secure (conv2d_secure.h)
 *   rnnpool        sr_rnnpool_secure_map (rnnpool_secure.h)
 *   pad            replicate: copies of shares, free
 *   residual       y += TR(x, s_x - s_act): sr_trunc_reduce by the shift
 *                  then sr_ext_signed back to 16 bits (none when equal)
 *   L2Norm         squares: sr_ext_signed(x, 16 -> 16 + e) and sr_mult
 *                  (16 x (16 + e) -> 32 + e bits, e = ceil(log2 C)),
 *                  local channel sum (exact), TR by 2 s_act - s_ss, to
 *                  bw_ss (ext or local reduction); r = sr_math_run(rsqrt);
 *                  y = sr_mult_tr(x, r broadcast, 16 x bw_r) by
 *                  s_act + s_r - s_l2, to 16 bits
 *   max-out        sr_maxout_secure (pool_secure.h)
 * Rounds are independent of the image size up to the chunking of the
 * convolutions (SR_CONV2D_CHUNK_ENTRIES) and of RNNPool (256 patches).
 *
 * Several lanes and ranks per image (sr_heads_secure_run_lanes): every
 * stage -- a convolution with its ReLU6, residual TR/Ext or max-out;
 * RNNPool; L2Norm -- cuts its output units (pixels, patches) into R T
 * contiguous ranges starting at multiples of 8 units (so every bit-packed
 * message still fills whole bytes and the lanes' bytes add up exactly to
 * the one-lane bytes, except for convolutions on the scatter mapping,
 * whose ranges recompute their halo input rows: exactly
 * sr_conv2d_secure_bytes per range), range rank T + t on lane t of the rank
 * (OpenMP threads, each lane flushed at the end of its range: correct also when
 * OpenMP runs the lanes one after another), then with R > 1
 * the ranks allgather the stage's output map.  Both parties cut alike
 * (public shapes, R, T).  Each lane holds 1/(R T) of every stage: the
 * chunks, hence the rounds where chunking dominates, drop with R T.
 */
#ifndef SR_LAYERS_HEADS_SECURE_H
#define SR_LAYERS_HEADS_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "layers/heads.h"
#include "layers/rnnpool_secure.h"
#include "math/plan.h"

/*
 * pub = q without its weights: every weight, bias and table pointer is
 * NULL (what the client may hold; the model card).  pub owns nothing
 * (sr_heads_fx_clear on it is a harmless no-op).
 */
void sr_heads_public_of(sr_heads_fx *pub, const sr_heads_fx *q);

/* The public state of both parties: pub borrowed, plans built once. */
typedef struct sr_heads_sec {
    const sr_heads_fx *pub;
    sr_rnnpool_sec rnn;
    sr_math_plan rsq;
    sr_math_tab *tab_rsq;
} sr_heads_sec;

/* SR_OK or SR_ENOMEM (S cleared).  pub must outlive S. */
SR_NODISCARD int sr_heads_sec_init(sr_heads_sec *S, const sr_heads_fx *pub);
/* Idempotent; safe after a failed init. */
void sr_heads_sec_clear(sr_heads_sec *S);

/* The server's model on server lanes, NULL on client lanes. */
static inline const sr_heads_fx *
sr_heads_known(const sr_lane *L, const sr_heads_fx *q)
{
    return sr_lane_is_server(L) ? q : (const sr_heads_fx *)0;
}

/* Per-part statistics of one lane (added to). */
enum {
    SR_HS_CONV,    /* every convolution (conv0, blocks, heads) */
    SR_HS_RELU6,   /* the ReLU6 activations */
    SR_HS_RNNPOOL, /* the RNNPool layer */
    SR_HS_L2NORM,  /* L2Norm of the sources and the residual TRs */
    SR_HS_MAXOUT,  /* the background max-out */
    SR_HS_NPARTS
};
typedef struct sr_heads_sec_stats {
    double seconds[SR_HS_NPARTS];
    uint64_t bytes[SR_HS_NPARTS]; /* this lane, both directions */
    uint64_t rounds[SR_HS_NPARTS];
} sr_heads_sec_stats;

/* "conv", "relu6", "rnnpool", "l2norm", "maxout". */
const char *sr_heads_part_name(unsigned part);

/*
 * Shares of loc [priors][4] and conf [priors][K] (16 bits, f.out) of the
 * shared image img [height][width] (16 bits, f.in).  q: the server's
 * model through sr_heads_known.  stats may be NULL.  loc, conf must not
 * overlap img.  SR_OK, SR_ENOMEM or the first channel error.  The
 * one-lane, one-rank case of sr_heads_secure_run_lanes.
 */
SR_NODISCARD int sr_heads_secure_run(sr_lane *L, const sr_heads_sec *S,
                                     uint64_t *loc, uint64_t *conf,
                                     const uint64_t *img, const sr_heads_fx *q,
                                     sr_heads_sec_stats *stats);

/*
 * The whole inference on one lane: the client's quantised image img
 * (f.in patterns; NULL on the server, whose share is 0), sr_heads_secure
 * _run, then loc and conf revealed to the client only (one
 * sr_share_reveal: 1 round, ceil(priors (4 + K) 16 / 8) bytes).  On the client
 * loc and conf receive the 16-bit patterns sign-extended (the twin's integers);
 * on the server they are untouched (may be NULL).
 */
SR_NODISCARD int sr_heads_secure_infer(sr_lane *L, const sr_heads_sec *S,
                                       int64_t *loc, int64_t *conf,
                                       const int64_t *img, const sr_heads_fx *q,
                                       sr_heads_sec_stats *stats);

/*
 * Several lanes and ranks per image (docs/heads.md s8).
 *
 * How a party's R ranks cooperate on one image (NULL = one rank).
 */
typedef struct sr_heads_par {
    unsigned rank, ranks; /* this rank, the party's rank count (>= 1) */
    /* Collective over the party's ranks, called by every rank in the same
     * order with the same n: buf[0..n) where rank k has filled
     * [off[k], off[k] + len[k]) (off/len arrays of `ranks` entries); on
     * return every rank holds all of buf.  SR_OK or an error code.  The
     * ranges tile buf in rank order (off[0] = 0, off[k + 1] = off[k] +
     * len[k], some may be empty): MPI_Allgatherv with MPI_IN_PLACE fits. */
    int (*allgather)(void *ctx, uint64_t *buf, size_t n, const size_t *off,
                     const size_t *len);
    void *ctx;
} sr_heads_par;

/*
 * sr_heads_secure_run over every lane of ls (lane k of this rank pairs
 * with lane k of the peer's same rank), the work of each layer split over
 * the R x T lanes of the party; every rank ends with the shares of all of
 * loc and conf.  stats: this rank's per-part figures (bytes summed over
 * its lanes, seconds and rounds: the max over its lanes).  Both parties
 * make the same call with the same par->ranks and ls->count.
 */
SR_NODISCARD int sr_heads_secure_run_lanes(const sr_lanes *ls,
                                           const sr_heads_par *par,
                                           const sr_heads_sec *S, uint64_t *loc,
                                           uint64_t *conf, const uint64_t *img,
                                           const sr_heads_fx *q,
                                           sr_heads_sec_stats *stats);

/*
 * The whole inference: img = the client's patterns (every client rank;
 * NULL on the server), run_lanes, then loc and conf revealed to the
 * client's rank 0 only (lane 0 of rank 0; one sr_share_reveal as
 * sr_heads_secure_infer).  On client rank 0 loc/conf get the
 * sign-extended patterns; elsewhere they may be NULL.
 */
SR_NODISCARD int
sr_heads_secure_infer_lanes(const sr_lanes *ls, const sr_heads_par *par,
                            const sr_heads_sec *S, int64_t *loc, int64_t *conf,
                            const int64_t *img, const sr_heads_fx *q,
                            sr_heads_sec_stats *stats);

#endif
