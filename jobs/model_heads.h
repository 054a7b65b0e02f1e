/*
 * jobs/model_heads.h -- loading a model of type "rnnpool-heads" (the
 * RNNPool head-counting model, issue 8; schema in docs/heads.md).
 *
 * model.json:
 *   {"format": "sirnn-model/1", "name": "heads", "type": "rnnpool-heads",
 *    "input_height": 240, "input_width": 320, "conv0_channels": 4,
 *    "rnnpool": {"patch": 8, "stride": 4, "hidden1": 16, "hidden2": 16,
 *                "zeta1": 1.0, "nu1": -4.0, "zeta2": 1.0, "nu2": -4.0},
 *    "stages": [[2, 32, 4, 1], [2, 32, 4, 1], [2, 96, 3, 2],
 *               [2, 128, 3, 1]],
 *    "classes": 2, "anchors": [8, 16, 32, 48], "variance": [0.1, 0.2],
 *    "weights": {ROLE: FILE, ...}, "fixed_point": {...}}   (optional)
 *
 * Weight roles follow from the configuration (C0 = conv0_channels, C =
 * channels entering a block, hid = C t, c its output, Cj = channels of
 * source j, Kc = classes + 2 for source 0 else classes):
 *   conv0.weight [C0,1,3,3]          conv0.bn [4,C0]
 *   rnn1.W [C0,h1]  rnn1.U [h1,h1]  rnn1.b_gate, rnn1.b_update [h1]|[1,h1]
 *   rnn2.W [h1,h2]  rnn2.U [h2,h2]  rnn2.b_gate, rnn2.b_update [h2]|[1,h2]
 *   block<b>.expand.weight [hid,C,1,1]  block<b>.expand.bn [4,hid]
 *                                       (only blocks with t != 1)
 *   block<b>.dw.weight [hid,1,3,3]      block<b>.dw.bn [4,hid]
 *   block<b>.project.weight [c,hid,1,1] block<b>.project.bn [4,c]
 *   l2norm<j>.weight [Cj]               (j < number of stages - 1)
 *   loc<j>.weight [4,Cj,3,3]  loc<j>.bias [4]
 *   conf<j>.weight [Kc,Cj,3,3]  conf<j>.bias [Kc]
 * bn rows are (gamma, beta, running_mean, running_var), eps 1e-5; they are
 * folded into the convolution at load, and each l2norm gamma into the
 * input channels of its two head convolutions.  RNN weights are in the
 * x W row-vector layout (as the FastGRNN model; EdgeML's PyTorch cells
 * store the transpose).  Every role is required; unknown keys and roles
 * are errors; messages are one line, "sirnn: <file>: <field>: <detail>",
 * as jobs/model.h.
 */
#ifndef SR_JOBS_MODEL_HEADS_H
#define SR_JOBS_MODEL_HEADS_H

#include <jansson.h>
#include <stddef.h>

#include "engine/common.h"
#include "jobs/npy.h"
#include "layers/heads_float.h"

#define SR_HEADS_NAME_MAX 64

typedef struct sr_heads_model {
    char name[SR_HEADS_NAME_MAX];
    sr_heads_float net; /* batch-norm and L2 gamma folded */
    json_t *fixed_point;
} sr_heads_model;

/*
 * Loads dir/model.json and its weights.  On failure m is cleared and err
 * holds the message; SR_OK, SR_EUSAGE or SR_ENOMEM.
 */
SR_NODISCARD int sr_heads_model_load(sr_heads_model *m, const char *dir,
                                     char *err, size_t errlen);

/*
 * The same from an already parsed model.json (root; mjson names it in
 * messages), for jobs/model.c's dispatch on "type".
 */
SR_NODISCARD int sr_heads_model_parse(sr_heads_model *m, const json_t *root,
                                      const char *dir, const char *mjson,
                                      char *err, size_t errlen);

/* Frees m; idempotent. */
void sr_heads_model_clear(sr_heads_model *m);

/*
 * Loads an image file: float32/float64 [B, height, width] or
 * [B, height, width, 1], values finite.  Same error style.
 */
SR_NODISCARD int sr_heads_input_load(sr_npy *x, const char *path, size_t height,
                                     size_t width, char *err, size_t errlen);

#endif
