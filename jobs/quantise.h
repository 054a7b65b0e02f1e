/*
 * jobs/quantise.h -- fixed-point formats of a FastGRNN model: the
 * "fixed_point" object of model.json (schema: docs/models.md s4), the
 * quantiser that chooses them (`sirnn quantise`), and the load-time rule
 * `server` and `plain` use when model.json has none.
 *
 * Rule (SeeDot-style; every value 16 bits, accumulators wider):
 *  - weights: the largest scale at which round(max |w| 2^s) fits 16 bits;
 *  - z, c (sigmoid, tanh outputs) and k (sigma(zeta), sigma(zeta) +
 *    sigma(nu)): scale 14;
 *  - h: from the bound |h_t| <= sigma(zeta) + sigma(nu) + (T - 1) sigma(nu)
 *    (h is a convex-like mix of h_{t-1} and c in [-1, 1]), times 17/16;
 *  - x, t, u, a: from the ranges measured by a float forward pass on the
 *    calibration inputs, times 2^headroom, with headroom in {0, 1, 2}
 *    searched for the best accuracy on the calibration data (labels given)
 *    or the best agreement with the float predictions (no labels), ties to
 *    the larger headroom.  Without calibration data the ranges are bounded
 *    from the weights: |x| <= max_d |mean_d| + 6 std_d (8 without
 *    normalisation), then interval bounds through W (or W1, W1 W2), U, the
 *    bound on h and the biases;
 *  - logits: 32 bits, range (measured or bounded) times 2^(headroom + 2);
 *  - every scale is then clamped so that no truncation shifts left
 *    (sr_fastgrnn_fmt_check).
 * The result depends only on the weights and the calibration inputs:
 * quantising twice gives the same model.json.
 */
#ifndef SR_JOBS_QUANTISE_H
#define SR_JOBS_QUANTISE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "jobs/model.h"
#include "layers/fastgrnn.h"

/* How the formats were chosen (the "calibration" object; informational). */
typedef struct sr_quantise_info {
    size_t samples; /* calibration samples (0: bounded from weights) */
    unsigned headroom;
    int labelled;     /* 1 when accuracies below are against labels */
    double float_acc; /* float accuracy (labels) on the calibration set */
    double plain_acc; /* fixed-point accuracy (labels) or agreement */
} sr_quantise_info;

/*
 * Folds the normalisation of m (sr_model_fold_normalisation) and chooses
 * formats by the rule above.  calib: B inputs [B, T, D] (raw, as the
 * client has them) or B = 0; labels: B labels or NULL.  info may be NULL.
 * SR_OK, SR_ENOMEM, or SR_EUSAGE with err (a model whose formats cannot
 * be chosen, e.g. weights beyond 16-bit range at scale 0).
 */
SR_NODISCARD int sr_quantise_choose(sr_fastgrnn_fmt *f, sr_quantise_info *info,
                                    sr_model *m, const double *calib, size_t B,
                                    const int64_t *labels, char *err,
                                    size_t errlen);

/*
 * Formats of a loaded model as `server` and `plain` use them: folds the
 * normalisation, then parses m->fixed_point when present, else applies
 * the rule without calibration data.  Errors name the file:
 * "sirnn: DIR/model.json: fixed_point.tensors.a: ..." (SR_EUSAGE).
 */
SR_NODISCARD int sr_model_formats(sr_fastgrnn_fmt *f, sr_model *m,
                                  const char *dir, char *err, size_t errlen);

/*
 * Parses a "fixed_point" object for model m (strict: unknown, missing or
 * duplicate keys, non-integer values and formats that fail
 * sr_fastgrnn_fmt_check are errors; what names the object in messages).
 */
SR_NODISCARD int sr_fixed_point_parse(sr_fastgrnn_fmt *f, const json_t *fp,
                                      const sr_model *m, const char *what,
                                      char *err, size_t errlen);

/* The "fixed_point" object of f (new reference); info may be NULL. */
json_t *sr_fixed_point_json(const sr_fastgrnn_fmt *f, const sr_model *m,
                            const sr_quantise_info *info);

/*
 * `sirnn quantise --model DIR [--calib X.npy] [--labels Y.npy]` (argv[0]
 * is "quantise"; defined in jobs/plain.c with the other command body): chooses
 * the formats and writes them into DIR/model.json
 * ("fixed_point"; the rest of the file is kept, re-indented).  Prints one
 * summary line.  Returns the exit code (0, 1 for a failed write, 2 for bad
 * input, with one line `sirnn: <what>: <detail>` on stderr).
 */
int sr_cmd_quantise(int argc, char **argv);

/*
 * Helpers of the "fixed_point" parsers (this file's and jobs/heads_fmt.c):
 * the one-line error "sirnn: WHAT: fixed_point[.KEY]: DETAIL" (returns
 * SR_EUSAGE); one {"bw": B, "scale": S} entry (integers, bw 1..64, scale
 * 0..62; NULL v is "missing"); and the entry of f (new reference).
 */
int sr_fixed_point_error(char *err, size_t errlen, const char *what,
                         const char *key, const char *detail);
SR_NODISCARD int sr_fx_json_parse(sr_fx *out, const json_t *v, const char *what,
                                  const char *key, char *err, size_t errlen);
json_t *sr_fx_json(sr_fx f);

/* One format of a "fixed_point" object: section ("weights" or "tensors"),
 * key, where it goes. */
typedef struct sr_fp_entry {
    const char *sec, *key;
    sr_fx *fx;
} sr_fp_entry;

/* The shared structure written: version 1, input, the entries' sections
 * (new reference; the inverse of sr_fixed_point_read). */
json_t *sr_fixed_point_write(sr_fx input, const sr_fp_entry *e, size_t n);

/*
 * The structure every "fixed_point" object shares (strict): an object
 * with version 1, input, weights and tensors (and calibration when
 * calibration is set, informational), input parsed into *input, both
 * sections objects whose keys are exactly those of the entries e[0..n),
 * each entry parsed into its field.  SR_OK or SR_EUSAGE with err.
 */
SR_NODISCARD int sr_fixed_point_read(const json_t *fp, sr_fx *input,
                                     const sr_fp_entry *e, size_t n,
                                     int calibration, const char *what,
                                     char *err, size_t errlen);

#endif
