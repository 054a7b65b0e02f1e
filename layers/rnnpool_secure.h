/*
 * layers/rnnpool_secure.h -- the secure RNNPool layer, equal bit for bit
 * to the fixed-point twin sr_rnnpool_fx_patches / _map (layers/rnnpool.h;
 * docs/heads.md "Secure mapping").
 *
 * Who holds what: the server holds the quantised layer (sr_rnnpool_fx:
 * weights, biases, k1, k2) and passes it on server lanes (NULL on client
 * lanes, sr_rnnpool_known); both parties hold the public part
 * (sr_rnnpool_pub: sizes and formats) and build the same math plans from
 * it (sr_rnnpool_sec).  Activations are shares of 16 bits (f.x, f.h).
 *
 * One cell step on S sequences (the twin's steps 1-7), every op one
 * batched call over the S sequences:
 *  1. p = x W: sr_matmul_known (SR_KNOWN_B, signed, acc = bw_x + bw_W +
 *     ceil(log2 in) bits: the exact sum), sr_trunc_reduce by
 *     s_x + s_W - s_a, then to 16 bits (local reduction, or sr_ext_signed
 *     when fewer than 16 bits remain);
 *  2. q = h U: the same with U (acc = 16 + bw_U + ceil(log2 hid));
 *  3. g = p + q + b_gate, e = p + q + b_update: local, the server adds
 *     the biases;
 *  4. z = sigmoid(g), c = tanh(e): sr_math_run (plans of the twin);
 *  5. [m2, m1] = TR([k2 c, k1 c], s_k + s_c - s_h): one sr_mult_known on
 *     2 S hid values (k server-known, bw_k + bw_c bits), TR, to 16 bits;
 *  6. v = h - m2 (local, 16 bits);
 *  7. h = TR(z v, s_z) + m1: sr_mult_tr (bw_z x 16 -> bw_z + 16 bits,
 *     signed), to 16 bits, local add.
 * Batching as the twin: RNN1 runs all 2 R sequences of each of the n
 * patches as one batch per step (R steps), then BiRNN2 all 4 n sequences
 * (R steps).  Rounds: 2 R cell steps, independent of n.
 */
#ifndef SR_LAYERS_RNNPOOL_SECURE_H
#define SR_LAYERS_RNNPOOL_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"
#include "layers/rnnpool.h"
#include "math/plan.h"

/* The public part of the layer. */
typedef struct sr_rnnpool_pub {
    size_t rows, cin, h1, h2;
    sr_rnnpool_fmt f;
} sr_rnnpool_pub;

sr_rnnpool_pub sr_rnnpool_pub_of(const sr_rnnpool_fx *q);

/* Public state, the same on both parties: pub and the math plans. */
typedef struct sr_rnnpool_sec {
    sr_rnnpool_pub pub;
    sr_math_plan sig, tnh;
    sr_math_tab *tab_sig, *tab_tnh;
} sr_rnnpool_sec;

/* SR_OK or SR_ENOMEM (S cleared).  The formats' conditions of
 * sr_rnnpool_fx_init are SR_REQUIREd. */
SR_NODISCARD int sr_rnnpool_sec_init(sr_rnnpool_sec *S,
                                     const sr_rnnpool_pub *pub);
/* Idempotent; safe after a failed init. */
void sr_rnnpool_sec_clear(sr_rnnpool_sec *S);

/* The server's layer on server lanes, NULL on client lanes. */
static inline const sr_rnnpool_fx *
sr_rnnpool_known(const sr_lane *L, const sr_rnnpool_fx *q)
{
    return sr_lane_is_server(L) ? q : (const sr_rnnpool_fx *)0;
}

/*
 * Shares of out [n][4 h2] (f.h) from shares of the patches
 * x [n][rows][rows][cin] (f.x).  out must not overlap x.  SR_OK,
 * SR_ENOMEM or the first channel error.
 */
SR_NODISCARD int sr_rnnpool_secure_patches(sr_lane *L, const sr_rnnpool_sec *S,
                                           size_t n, uint64_t *out,
                                           const uint64_t *x,
                                           const sr_rnnpool_fx *q);

/*
 * The sliding version over the shared map x [H][W][cin]: out
 * [Ho][Wo][4 h2] as sr_rnnpool_fx_map, in chunks of SR_RNNPOOL_CHUNK
 * patches (memory bounded by the chunk).
 */
SR_NODISCARD int sr_rnnpool_secure_map(sr_lane *L, const sr_rnnpool_sec *S,
                                       uint64_t *out, const uint64_t *x,
                                       size_t H, size_t W, size_t stride,
                                       const sr_rnnpool_fx *q);

/*
 * Patches [first, first + n) (row-major over Ho x Wo) of the sliding map
 * into out [n][4 h2]: one lane's share of sr_rnnpool_secure_map (which is
 * the range [0, Ho Wo)); the same chunks of SR_RNNPOOL_CHUNK patches
 * counted from first.  n = 0 sends nothing.
 */
SR_NODISCARD int sr_rnnpool_secure_map_range(sr_lane *L,
                                             const sr_rnnpool_sec *S, size_t n,
                                             uint64_t *out, const uint64_t *x,
                                             size_t H, size_t W, size_t stride,
                                             size_t first,
                                             const sr_rnnpool_fx *q);

#endif
