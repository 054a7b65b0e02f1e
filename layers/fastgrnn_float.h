/*
 * layers/fastgrnn_float.h -- the float (double) FastGRNN reference model
 * (DESIGN.md s7; `sirnn plain --float`).
 *
 * Row-vector convention, as EdgeML's PyTorch FastGRNNCell.  For input
 * x_t in R^D (t = 1..T), hidden size H and K classes:
 *
 *     x'_t = (x_t - mean) / std                  (when mean/std are given)
 *     a_t  = x'_t W + h_{t-1} U                  W = W1 W2, U = U1 U2 if
 *                                                low-rank (never formed)
 *     z_t  = sigmoid(a_t + b_gate)
 *     c_t  = tanh(a_t + b_update)
 *     h_t  = z_t * h_{t-1} + (sigmoid(zeta) (1 - z_t) + sigmoid(nu)) * c_t
 *     h_0  = 0,   logits = h_T fc_W + fc_b
 *
 * sigmoid(v) is evaluated as (1 + tanh(v / 2)) / 2, the same formula as
 * tools/fastgrnn_np.py, so that C and the training script agree to a few
 * ulps.  This module is cleartext only: it is the float twin the secure and
 * fixed-point models are measured against.
 */
#ifndef SR_LAYERS_FASTGRNN_FLOAT_H
#define SR_LAYERS_FASTGRNN_FLOAT_H

#include <stddef.h>

#include "engine/common.h"

/*
 * FastGRNN parameters, all row-major float64, borrowed (not owned):
 *   rW == 0: W [D,H];        rW > 0: W1 [D,rW], W2 [rW,H]   (W unused)
 *   rU == 0: U [H,H];        rU > 0: U1 [H,rU], U2 [rU,H]   (U unused)
 *   b_gate, b_update [H];  fc_W [H,K];  fc_b [K]
 *   mean, std [D], both NULL when the model has no normalisation
 *   zeta, nu raw (before the sigmoid)
 */
typedef struct sr_fastgrnn_float {
    size_t D, H, K, T;
    size_t rW, rU;
    const double *W, *W1, *W2;
    const double *U, *U1, *U2;
    const double *b_gate, *b_update;
    const double *fc_W, *fc_b;
    const double *mean, *std;
    double zeta, nu;
} sr_fastgrnn_float;

/*
 * logits [B,K] of the batch x [B,T,D] (row-major).  logits must not
 * overlap x.  Returns SR_OK or SR_ENOMEM (temporaries of O(H) doubles per
 * call).  The samples are independent; the result does not depend on B.
 */
SR_NODISCARD int sr_fastgrnn_float_logits(const sr_fastgrnn_float *p, size_t B,
                                          double *logits, const double *x);

/*
 * pred[b] = argmax_k logits[b*K + k] for b < B, the first index among
 * equal maxima (NaN entries never win unless all are NaN, then 0).
 */
void sr_fastgrnn_float_argmax(size_t B, size_t K, long *pred,
                              const double *logits);

#endif
