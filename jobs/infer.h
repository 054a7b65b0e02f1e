/*
 * jobs/infer.h -- secure inference commands (DESIGN.md s5): the bodies of
 * `sirnn server`, `sirnn client` and the model demo, for the dispatcher
 * in jobs/main.c.  argv[0] is the command name; each returns the process
 * exit code (0 ok, 1 runtime failure, 2 usage or bad input) after one line
 * `sirnn: <what>: <detail>` on stderr for any error.
 *
 * sirnn server --model DIR [--listen [HOST:]PORT] [--threads T]
 *              [--conns C] [--sessions N] [--report FILE]  (+ common)
 *   Loads the model (FastGRNN: formats from model.json's fixed_point, or
 *   chosen on load: jobs/quantise.h; rnnpool-heads: fixed_point or the
 *   defaults, jobs/heads_fmt.h), then serves N sessions (0 = until
 *   stopped).
 *   Per session: the hello (job SR_JOB_MODEL, jobs/card.h), the lanes,
 *   the model card to the client, the client's request (batch B, input
 *   shape, reveal) checked against the card: a mismatch is logged in one
 *   line naming the field and the server waits for the next client (a
 *   refused client does not count as a session).  FastGRNN: server rank r
 *   computes the contiguous slice [B r / R, B (r + 1) / R) of the batch;
 *   rnnpool-heads: the images one after another, each on all R x T lanes
 *   (jobs/infer_heads.c, docs/heads.md s10).  The server learns no
 *   output.  --report FILE: the report of the last
 *   session (no outputs, no accuracy).
 *
 * sirnn client --connect HOST:PORT --input X.npy [--labels Y.npy]
 *              [--reveal label|logits] [--output PRED.csv] [--report FILE]
 *              [--threads T] [--conns C]  (+ common)
 *   X.npy float [B, T, D] raw inputs (rnnpool-heads: images [B, H, W] or
 *   [B, H, W, 1], H and W at most the card's), quantised to the card's
 *   input format; the request follows the card's type.  Client rank r
 *   loads X.npy and runs its slice (heads: every image, with all ranks);
 *   rank 0 gathers the predictions and writes the CSV (DESIGN.md s7:
 *   `index,pred` and, with --reveal logits, `logit_0..`, each %.17g of
 *   int / 2^scale; heads: `index,pred,boxes`, the head count and the
 *   kept boxes, loc and conf being always what is revealed) to PRED.csv
 *   through a temporary file renamed over it, or to stdout without
 *   --output.  A request the card does not accept exits 2 with the field
 *   named.  With --labels the report has "accuracy": {"secure"} (heads:
 *   the rate of exact head counts).
 *
 * sirnn demo [--model kws|digits|heads|DIR] [--samples N] [--ranks R]
 *            [--threads T] [--conns C] [--reveal label|logits]
 *   Both parties on this machine (child processes over loopback, as
 *   bench's local mode): the model (a bundled name resolves to
 *   models/NAME next to the binary's directory, ../models, or ./models)
 *   on the first N samples of its test set (X_test.npy, Y_test.npy), then
 *   prints the accuracy of the secure, fixed-point (plain) and float
 *   models, the agreement with plain, time and communication.
 */
#ifndef SR_JOBS_INFER_H
#define SR_JOBS_INFER_H

int sr_cmd_server(int argc, char **argv);
int sr_cmd_client(int argc, char **argv);
int sr_cmd_demo_model(int argc, char **argv);

#endif
