/*
 * jobs/model.h -- model directories (model.json + .npy weights) and input
 * files (DESIGN.md s7; the full schema is in docs/models.md).
 *
 * model.json of a FastGRNN:
 *
 *   {"format": "sirnn-model/1", "name": "digits", "type": "fastgrnn",
 *    "input_dim": D, "hidden_dim": H, "classes": K, "timesteps": T,
 *    "zeta": 1.0, "nu": -4.0,
 *    "weights": {"W": "W.npy", ..., "fc_b": "fc_b.npy"},
 *    "fixed_point": {...}}                                  (optional)
 *
 * Weight roles and shapes (float32 or float64 .npy files, paths relative
 * to the directory):  W [D,H] or W1 [D,rW] + W2 [rW,H];  U [H,H] or
 * U1 [H,rU] + U2 [rU,H];  b_gate, b_update [H] or [1,H];  fc_W [H,K];
 * fc_b [K] or [1,K];  mean, std [D] (optional, together; std > 0).
 *
 * Every problem is one line in the caller's buffer,
 *     sirnn: <file>: <field>: <detail>
 * naming the file (model.json or the .npy) and the field or role, with
 * the expected and the found value; the return code is then SR_EUSAGE
 * (exit 2 in job code), or SR_ENOMEM.  Unknown keys at the top level and in
 * "weights" are errors; so are a missing role, a role given twice (W with
 * W1/W2), a missing file, a wrong dtype or shape, and NaN or infinity in a
 * weight.  Type "rnnpool-heads" is recognised and refused as not supported
 * yet.
 */
#ifndef SR_JOBS_MODEL_H
#define SR_JOBS_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "engine/common.h"
#include "jobs/npy.h"
#include "layers/fastgrnn_float.h"

#define SR_MODEL_FORMAT "sirnn-model/1"
#define SR_MODEL_NAME_MAX 64        /* name: 1..63 printable ASCII chars */
#define SR_MODEL_DIM_MAX (1u << 20) /* bound on every dimension */

typedef enum {
    SR_MODEL_FASTGRNN = 1,
    SR_MODEL_RNNPOOL_HEADS = 2 /* jobs/model_heads.h, loaded by
                                  sr_model_load_any only */
} sr_model_type;

struct sr_heads_model;

/* Weight roles of a FastGRNN, in the order the weights are listed. */
typedef enum {
    SR_ROLE_W,
    SR_ROLE_W1,
    SR_ROLE_W2,
    SR_ROLE_U,
    SR_ROLE_U1,
    SR_ROLE_U2,
    SR_ROLE_B_GATE,
    SR_ROLE_B_UPDATE,
    SR_ROLE_FC_W,
    SR_ROLE_FC_B,
    SR_ROLE_MEAN,
    SR_ROLE_STD,
    SR_ROLE_COUNT
} sr_model_role;

/*
 * A loaded model.  w[role].f64 is non-NULL exactly for the roles present
 * (always float64 in memory, whatever the file's dtype; the shape is the
 * file's, e.g. [1,H] biases stay 2-d).  rW/rU are 0 for full-rank W/U.
 * fixed_point is the "fixed_point" object (a reference owned by the
 * model) or NULL when absent.
 */
typedef struct sr_model {
    sr_model_type type;
    char name[SR_MODEL_NAME_MAX];
    size_t input_dim, hidden_dim, classes, timesteps;
    size_t rW, rU;
    double zeta, nu;
    sr_npy w[SR_ROLE_COUNT];
    json_t *fixed_point;
    struct sr_heads_model *heads; /* type SR_MODEL_RNNPOOL_HEADS: the
                                     model (owned), else NULL */
} sr_model;

/* "W", "b_gate", ... as in model.json. */
const char *sr_model_role_name(sr_model_role role);

/*
 * Loads the model in directory dir (reads dir/model.json and the weight
 * files it names) and validates everything listed above.  On failure m is
 * left cleared and err holds the message.  Normalisation (mean/std) is
 * kept as given: see sr_model_fold_normalisation.
 */
SR_NODISCARD int sr_model_load(sr_model *m, const char *dir, char *err,
                               size_t errlen);

/*
 * The same for any model type: "fastgrnn" as above, "rnnpool-heads" into
 * m->heads (sr_heads_model_parse; the FastGRNN fields stay zero).
 * sr_model_load itself accepts only "fastgrnn" (`sirnn quantise`, the
 * FastGRNN demo; server, client and plain use sr_model_load_any): an
 * "rnnpool-heads" model gives SR_EUSAGE and the one line
 * "sirnn: <dir>/model.json: type: \"rnnpool-heads\" is not supported by
 * this command yet (sirnn demo --model heads runs it)".
 */
SR_NODISCARD int sr_model_load_any(sr_model *m, const char *dir, char *err,
                                   size_t errlen);

/* Frees the weights and the fixed_point reference; idempotent. */
void sr_model_clear(sr_model *m);

/*
 * Folds x' = (x - mean) / std into the first layer, as the server does at
 * load (DESIGN.md s3): W[d,:] /= std[d] (W1 when low-rank) and
 * s = -(mean / std) W (or -((mean / std) W1) W2) is added to both b_gate and
 * b_update; mean and std are then dropped.  The logits stay the same up to
 * float rounding.  No-op without normalisation.  SR_OK or SR_ENOMEM.
 */
SR_NODISCARD int sr_model_fold_normalisation(sr_model *m);

/* The float view of a FastGRNN model (pointers into m). */
sr_fastgrnn_float sr_model_float(const sr_model *m);

/*
 * Loads an input file: float32/float64 [B, T, D] with the given T and D,
 * all values finite.  Errors as above (file, field, expected vs found).
 */
SR_NODISCARD int sr_input_load(sr_npy *x, const char *path, size_t T, size_t D,
                               char *err, size_t errlen);

/*
 * Loads a label file: int32/int64 [B] with every label in [0, K).
 * B must equal the batch of the inputs.
 */
SR_NODISCARD int sr_labels_load(sr_npy *y, const char *path, size_t B, size_t K,
                                char *err, size_t errlen);

#endif
