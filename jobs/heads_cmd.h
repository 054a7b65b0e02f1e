/*
 * jobs/heads_cmd.h -- `sirnn demo --model heads`: the secure head-counting
 * model with both parties in this process (docs/heads.md).
 *
 * sirnn demo --model heads|DIR [--samples N] [--height H --width W]
 *            [--threads T] [--ranks 1] [--seed S]
 *
 *   Loads the rnnpool-heads model (default models/heads), quantises it
 *   with the default formats (sr_heads_fmt_default), takes N images
 *   (default 1) of DIR/X_test.npy (the top-left H x W crop when a smaller
 *   size is asked for; random images in [-1, 1] from the seed when the
 *   file is absent), and runs each image through the secure model on one
 *   of T lane pairs (threads over socketpairs; default 1), the server
 *   holding the model, the client the image.  The client's revealed loc
 *   and conf are compared bit for bit with the fixed-point twin
 *   (sr_heads_fx_run), and the head count (score 0.5, IoU 0.3) printed.
 *   --seed makes the run reproducible (and insecure).  Prints per image
 *   "image i: heads C (twin C), match yes|no" and the totals: seconds,
 *   bytes (both directions, summed over lanes), rounds and seconds (max
 *   over lanes), and the same per part (the server lanes' counters).
 *   Exit 0 when every image matched, 1 on a mismatch or runtime error,
 *   2 on a usage error or a bad model.
 *
 * Image size: the model is fully convolutional; --height 120 --width 160
 * (a quarter of the paper's 320 x 240) is the default of the reduced demo
 * in docs/heads.md.
 */
#ifndef SR_JOBS_HEADS_CMD_H
#define SR_JOBS_HEADS_CMD_H

/* `sirnn demo --model heads ...` (argv[0] is the command name); returns
 * the exit code. */
int sr_cmd_demo_heads(int argc, char **argv);

#endif
