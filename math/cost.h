/*
 * math/cost.h -- communication estimate of a math plan from the paper's
 * Table V formulas (docs/math.md), before the secure version is built.
 *
 * Each step of the algorithm (math/mathfn.h) is priced with the formula of
 * the block it maps to, lambda = 128, in bits, both directions together.
 * Conventions: a share whose top bit is known to be 0 is "MSB known"
 * (the starred variants); LUT entries that feed a multiplication are
 * stored one bit wider with a zero top bit so that the product is the
 * starred UMult; B2A of the MSNZB one-hot vector is one COT per bit
 * carrying every linear combination at once (lambda + sum of widths).
 * The model counts no setup (base OTs) and rounds are not modelled.
 */
#ifndef SR_MATH_COST_H
#define SR_MATH_COST_H

#include <stddef.h>
#include <stdint.h>

#include "math/plan.h"

#define SR_COST_LAMBDA 128

typedef struct sr_cost_item {
    char step[48]; /* "LUT exp digit 0 (2^8 x 12)" */
    uint64_t bits;
} sr_cost_item;

#define SR_COST_MAX_ITEMS 48

typedef struct sr_cost {
    size_t n;
    sr_cost_item item[SR_COST_MAX_ITEMS];
    uint64_t total_bits;
} sr_cost;

/* Price every step of the plan (per instance). */
void sr_math_cost(sr_cost *C, const sr_math_plan *P);

/* Table V formulas, in bits (exposed for the docs and the tests). */
uint64_t sr_cost_mill(unsigned l);
uint64_t sr_cost_msb(unsigned l);
uint64_t sr_cost_mux(unsigned l);
uint64_t sr_cost_lut(unsigned m, unsigned n);
uint64_t sr_cost_digdec(unsigned l, unsigned d);
uint64_t sr_cost_tr(unsigned l, unsigned s);
uint64_t sr_cost_zext_star(unsigned m, unsigned n);
uint64_t sr_cost_umult_star(unsigned m, unsigned n);
uint64_t sr_cost_msnzb(unsigned l, unsigned d);

#endif
