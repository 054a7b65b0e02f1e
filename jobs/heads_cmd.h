/*
 * jobs/heads_cmd.h -- `sirnn demo --model heads`: the secure head-counting
 * model with both parties in this process (docs/heads.md).
 *
 * sirnn demo --model heads|DIR [--samples N] [--height H --width W]
 *            [--threads T] [--ranks 1] [--seed S]
 *
 *   Loads the rnnpool-heads model (default models/heads), quantises it
 *   to its formats (model.json's fixed_point, or the defaults:
 *   jobs/heads_fmt.h), takes N images (default 1) of size H x W (default
 *   160 x 120, the size; --height 240 --width 320 is the paper's)
 *   from DIR/X_test_WxH.npy when that file exists (the bundled 160 x 120
 *   image), else the top-left H x W crops of DIR/X_test.npy (random
 *   images in [-1, 1] from the seed when neither exists), and runs each
 *   image, one after another, through the
 *   secure model on all T lane pairs (threads over socketpairs; default
 *   1; sr_heads_secure_infer_lanes: every layer's pixels or patches split
 *   over the T pairs), the server holding the model, the client the
 *   image.  The client's revealed loc
 *   and conf are compared bit for bit with the fixed-point twin
 *   (sr_heads_fx_run), and the head count (score 0.5, IoU 0.3) printed.
 *   --seed makes the run reproducible (and insecure).  Prints per image
 *   "image i: heads C (twin C), match yes|no" and the totals: seconds
 *   (wall clock of all images), bytes (both directions, summed over
 *   lanes), rounds (max over lanes), and per part the server's figures
 *   (bytes summed over its lanes, rounds the max over lanes, seconds the
 *   slowest lane of each stage, summed).
 *   Exit 0 when every image matched, 1 on a mismatch or runtime error,
 *   2 on a usage error or a bad model.
 *
 * Image size: the model is fully convolutional; any H x W up to the
 * model's input_height x input_width runs.
 */
#ifndef SR_JOBS_HEADS_CMD_H
#define SR_JOBS_HEADS_CMD_H

/* `sirnn demo --model heads ...` (argv[0] is the command name); returns
 * the exit code. */
int sr_cmd_demo_heads(int argc, char **argv);

#endif
