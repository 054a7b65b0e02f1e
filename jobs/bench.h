/*
 * jobs/bench.h -- the `sirnn bench OP` framework (DESIGN.md s5, s6).
 *
 * A bench op is one file jobs/bench_<family>.c that defines one or more
 * `const sr_bench_op` objects, plus one line per op in the table of
 * jobs/bench.c.  The framework parses the options, connects the two
 * parties (locally or with --role), makes the lanes, splits --n over all
 * lanes of all ranks, calls the op's callbacks on every lane of both
 * parties, times and counts the `run` phase only, and writes the JSON
 * report of DESIGN.md s6.
 *
 * Phases, per lane, on both parties (each lane in its own OpenMP thread):
 *
 *   prepare  untimed; traffic counted as setup_bytes.  Allocate state in
 *            b->state, draw inputs (see sr_bench_inputs), run sr_ot_setup
 *            if the op needs OT.
 *   run      timed; its traffic is bytes_total and its rounds are rounds.
 *            Only the protocol under test goes here.
 *   check    untimed, traffic not counted.  Open the outputs (e.g. with
 *            sr_bench_open) and compare them with the cleartext twin, bit
 *            for bit.  Return SR_OK, or SR_ECHECK after writing a short
 *            reason into b->why (the report then says "ok": false and the
 *            process exits 1).
 *   cleanup  always called when prepare was called (also after a
 *            failure); frees b->state.  May be NULL.
 *
 * Every lane of both parties runs the same phase at the same time, and
 * the lanes of one rank are separated by an OpenMP barrier between
 * phases, so the `run` timing of a rank is the wall time from the last
 * lane entering run to the last lane leaving it.  seconds = max over
 * ranks.
 *
 * Inputs.  Both lanes of a pair must agree on the inputs without sending
 * them, so the framework keys b->in (a PRG) identically on both ends of a
 * pair (from the pair's shared PRG, before prepare).  sr_bench_inputs()
 * draws cleartext values x from b->in and splits them into shares: Alice's
 * share is also drawn from b->in, Bob's is x - share.  So both sides know
 * the cleartext x (fine for a benchmark) and the check phase can compute
 * the expected outputs locally.  Draw the same amounts on both sides.
 *
 * How to add an op (the worked example is `net` in jobs/bench_net.c):
 *   1. In jobs/bench_<family>.c:
 *        #include "jobs/bench.h"
 *        static int relu_prepare(sr_bench_lane *b) { ... }
 *        static int relu_run(sr_bench_lane *b) { ... }
 *        static int relu_check(sr_bench_lane *b) { ... }
 *        static void relu_cleanup(sr_bench_lane *b) { ... }
 *        const sr_bench_op sr_bench_op_relu = {
 *            .name = "relu", .summary = "ReLU (SIRNN Sec. IV-E)",
 *            .params = SR_BP_BW, .default_n = 1 << 16,
 *            .validate = relu_validate,      // optional
 *            .prepare = relu_prepare, .run = relu_run,
 *            .check = relu_check, .cleanup = relu_cleanup,
 *        };
 *   2. In jobs/bench.c add `extern const sr_bench_op sr_bench_op_relu;`
 *      and `&sr_bench_op_relu,` to the table (keep it sorted by family).
 *   3. Test: `build/sirnn bench relu --n 1000 --bw 32` must print one JSON
 *      line with "ok": true; flip a bit in your check to see "ok": false.
 *
 * Parameters.  The op lists in .params the SR_BP_* options it takes; the
 * CLI rejects any other op option (exit 2).  Parameters not given keep the
 * defaults below (or what .validate sets: it runs once on both parties
 * after parsing and may fill defaults and reject bad values with a message
 * and SR_EUSAGE).  Both parties send their parsed parameters in the hello
 * and any difference is a mismatch naming the parameter.
 */
#ifndef SR_JOBS_BENCH_H
#define SR_JOBS_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"
#include "engine/prg.h"

/* Options an op may take (bits of sr_bench_op.params and .given). */
#define SR_BP_BW (1u << 0)         /* --bw */
#define SR_BP_BW2 (1u << 1)        /* --bw2 */
#define SR_BP_BW_OUT (1u << 2)     /* --bw-out */
#define SR_BP_SHIFT (1u << 3)      /* --shift */
#define SR_BP_L (1u << 4)          /* --l (OT message bits) */
#define SR_BP_N_OT (1u << 5)       /* --N (1-of-N) */
#define SR_BP_KIND (1u << 6)       /* --kind rot|cot|chosen|kkot */
#define SR_BP_DIGIT (1u << 7)      /* --digit */
#define SR_BP_DIMS (1u << 8)       /* --dims d1,d2,d3 */
#define SR_BP_KNOWN (1u << 9)      /* --known server|none */
#define SR_BP_MSB_KNOWN (1u << 10) /* --msb-known public|shared */
#define SR_BP_BW_IN (1u << 11)     /* --bw-in */
#define SR_BP_SCALE_IN (1u << 12)  /* --scale-in */
#define SR_BP_SCALE_OUT (1u << 13) /* --scale-out */
#define SR_BP_BYTES (1u << 14)     /* --bytes */

/* --known */
#define SR_BENCH_KNOWN_NONE 0
#define SR_BENCH_KNOWN_SERVER 1
/* --msb-known */
#define SR_BENCH_MSB_NONE 0
#define SR_BENCH_MSB_PUBLIC 1
#define SR_BENCH_MSB_SHARED 2

#define SR_BENCH_KIND_MAX 16
#define SR_BENCH_EXTRA_MAX 6

/*
 * Parsed parameters; identical on both parties (checked at the hello).
 * Defaults: n = op->default_n (or 65536), bw = 32, bw2 = 32, bw_out = 32,
 * shift = 12, l = 32, N = 16, kind = "", digit = 8, dims = 0,0,0,
 * known = NONE, msb_known = NONE, bw_in = 16, scale_in = 12,
 * scale_out = 12, bytes = 1 << 24.
 */
typedef struct sr_bench_params {
    uint64_t n;     /* instances over all lanes and ranks */
    unsigned given; /* SR_BP_* the user gave explicitly */
    unsigned bw, bw2, bw_out, shift, l, N, digit;
    char kind[SR_BENCH_KIND_MAX];
    unsigned dims[3];
    int known, msb_known;
    unsigned bw_in, scale_in, scale_out;
    uint64_t bytes; /* bench net: bytes per direction */
} sr_bench_params;

/*
 * What the op sees on one lane.  n and off: this lane's contiguous chunk
 * [off, off + n) of the global [0, p->n) (lane ids rank * T + thread in
 * order; a chunk may be empty, the op must then send nothing).
 */
typedef struct sr_bench_lane {
    sr_lane *L; /* role, party, chan, prg, shared, ot */
    const sr_bench_params *p;
    size_t n, off;
    unsigned nlanes;                  /* lanes per party (R * T) */
    sr_prg in;                        /* same stream on both ends of the pair */
    void *state;                      /* the op's; freed by cleanup */
    double extra[SR_BENCH_EXTRA_MAX]; /* values for op->extra[] */
    char why[160];                    /* reason of a failed check */
    void *progress;                   /* framework's; use sr_bench_progress */
} sr_bench_lane;

/* How per-lane extra values combine into one report number. */
typedef enum {
    SR_BENCH_SUM = 0, /* over all lanes of the party */
    SR_BENCH_MEAN = 1,
    SR_BENCH_MAX = 2
} sr_bench_reduce;

typedef struct sr_bench_extra {
    const char *name; /* JSON key, e.g. "throughput_mb_s" */
    sr_bench_reduce reduce;
} sr_bench_extra;

typedef struct sr_bench_op {
    const char *name;    /* the OP word of `sirnn bench OP` */
    const char *summary; /* one line for `sirnn bench --list` */
    unsigned params;     /* SR_BP_* accepted */
    uint64_t default_n;  /* 0: 65536 */
    /* Optional: fill defaults / reject values.  err gets one line. */
    int (*validate)(sr_bench_params *p, char *err, size_t errlen);
    int (*prepare)(sr_bench_lane *b);
    int (*run)(sr_bench_lane *b);
    int (*check)(sr_bench_lane *b);
    void (*cleanup)(sr_bench_lane *b);
    /* Extra report numbers (NULL name ends the list, at most
     * SR_BENCH_EXTRA_MAX); lane k sets b->extra[i] for extra[i]. */
    sr_bench_extra extra[SR_BENCH_EXTRA_MAX];
} sr_bench_op;

/* The table of jobs/bench.c; NULL-terminated. */
extern const sr_bench_op *const sr_bench_ops[];

/* The op called name, or NULL. */
const sr_bench_op *sr_bench_find(const char *name);

/*
 * Helpers for ops.
 *
 * sr_bench_inputs: draws n cleartext values x[i] in [0, 2^bw) from b->in
 * (x may be NULL if the op does not need them), and this party's shares
 * sh[i] of them (Alice: a draw from b->in; Bob: x - that draw, mod 2^bw).
 * Both ends of the pair must call it with the same n and bw.
 */
void sr_bench_inputs(sr_bench_lane *b, uint64_t *x, uint64_t *sh, size_t n,
                     unsigned bw);
/* Same for bits (boolean shares: Bob's share is x XOR Alice's). */
void sr_bench_inputs_bits(sr_bench_lane *b, uint8_t *x, uint8_t *sh, size_t n);

/*
 * Open shares to both parties (for check): out[i] = sh_A[i] + sh_B[i]
 * mod 2^bw (out may alias sh).  One exchange.  Returns the channel error.
 */
SR_NODISCARD int sr_bench_open(sr_bench_lane *b, uint64_t *out,
                               const uint64_t *sh, size_t n, unsigned bw);
/* Bits: out[i] = sh_A[i] XOR sh_B[i] (out may alias sh). */
SR_NODISCARD int sr_bench_open_bits(sr_bench_lane *b, uint8_t *out,
                                    const uint8_t *sh, size_t n);

/*
 * Compare got with want over n values of bw bits; on the first difference
 * write "what[i] = got, want want" into b->why and return SR_ECHECK.
 */
SR_NODISCARD int sr_bench_expect(sr_bench_lane *b, const char *what,
                                 const uint64_t *got, const uint64_t *want,
                                 size_t n, unsigned bw);

/*
 * Report progress of a long run phase as a fraction in [0, 1] (shown on
 * stderr for one lane of the client only; a no-op elsewhere or with
 * --quiet).  Cheap: call it every chunk.
 */
void sr_bench_progress(sr_bench_lane *b, double fraction);

/*
 * The framework's entry point from jobs/main.c: `sirnn bench ARGS...`
 * (argv[0] is "bench").  Returns the process exit code (0, 1 or 2).
 */
int sr_bench_main(int argc, char **argv);

#endif
