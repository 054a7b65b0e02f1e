/*
 * jobs/heads_fmt.h -- the "fixed_point" object of an rnnpool-heads
 * model.json: the formats of the fixed-point model (layers/heads.h,
 * sr_heads_fmt).  Schema (docs/heads.md s2, version 1; every entry
 * {"bw": B, "scale": S}):
 *
 *   {"version": 1, "input": F,
 *    "weights": {"rnn1.W": F, "rnn1.U": F, "rnn2.W": F, "rnn2.U": F},
 *    "tensors": {"act": F, "rnn.a": F, "rnn.z": F, "rnn.c": F,
 *                "rnn.k": F, "rnn.h": F, "ss": F, "r": F, "l2": F,
 *                "out": F}}
 *
 * Every key is required (a partial object is an error: formats interact);
 * the convolutions' weight formats are not in it: each convolution takes
 * the largest scale <= 15 at which its weights fit 16 bits (layers/heads.h).
 * Without "fixed_point" the formats are sr_heads_fmt_default's.
 */
#ifndef SR_JOBS_HEADS_FMT_H
#define SR_JOBS_HEADS_FMT_H

#include <jansson.h>
#include <stddef.h>

#include "engine/common.h"
#include "layers/heads.h"

/*
 * The constraints the fixed-point and secure layers rely on (16-bit
 * activations and RNN tensors with scale <= 15, no left-shifting
 * truncation, ss <= 62 bits, r <= 48 bits, math plans the algorithms can
 * serve).  SR_OK, or SR_EUSAGE with "KEY: detail" in err.
 */
SR_NODISCARD int sr_heads_fmt_check(const sr_heads_fmt *f, char *err,
                                    size_t errlen);

/*
 * Parses fp (strict: unknown, missing keys, non-integers, formats failing
 * sr_heads_fmt_check).  what names model.json in messages:
 * "sirnn: WHAT: fixed_point.tensors.act: ...".  SR_OK or SR_EUSAGE.
 */
SR_NODISCARD int sr_heads_fixed_point_parse(sr_heads_fmt *f, const json_t *fp,
                                            const char *what, char *err,
                                            size_t errlen);

/* The formats of a loaded model: fp parsed, or the defaults when fp is
 * NULL.  Same errors. */
SR_NODISCARD int sr_heads_model_fmt(sr_heads_fmt *f, const json_t *fp,
                                    const char *what, char *err, size_t errlen);

/* The "fixed_point" object of f (new reference). */
json_t *sr_heads_fixed_point_json(const sr_heads_fmt *f);

#endif
