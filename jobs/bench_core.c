/*
 * jobs/bench_core.c -- `sirnn bench` ops of the 2PC core blocks:
 * millionaire wrap msb relu and b2a mux (--bw) and lut (--bw index bits,
 * --bw-out entry bits).  Inputs come from the pair's common stream
 * (sr_bench_inputs), the run phase is one protocol call on the lane's
 * chunk, and the check opens the outputs and compares them with the
 * cleartext definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/bench.h"
#include "protocols/and.h"
#include "protocols/b2a.h"
#include "protocols/lut.h"
#include "protocols/mill.h"
#include "protocols/mux.h"
#include "protocols/ot.h"

enum core_kind { K_MILL, K_WRAP, K_MSB, K_RELU, K_AND, K_B2A, K_MUX, K_LUT };

typedef struct core_state {
    enum core_kind kind;
    unsigned bw, bw_out;
    uint64_t *x, *sh, *x2, *sh2, *y, *T, *want, *got;
    uint8_t *bx, *bsh, *bx2, *bsh2, *bz;
} core_state;

static int
core_validate(sr_bench_params *p, char *err, size_t errlen)
{
    if (p->bw < 1 || p->bw > 64) {
        snprintf(err, errlen, "--bw must be 1..64");
        return SR_EUSAGE;
    }
    return SR_OK;
}

static int
lut_validate(sr_bench_params *p, char *err, size_t errlen)
{
    if (!(p->given & SR_BP_BW))
        p->bw = 8;
    if (!(p->given & SR_BP_BW_OUT))
        p->bw_out = 16;
    if (p->bw < 1 || p->bw > SR_LUT_MAX_BITS) {
        snprintf(err, errlen, "--bw (index bits) must be 1..%d",
                 SR_LUT_MAX_BITS);
        return SR_EUSAGE;
    }
    if (p->bw_out < 1 || p->bw_out > 64) {
        snprintf(err, errlen, "--bw-out must be 1..64");
        return SR_EUSAGE;
    }
    return SR_OK;
}

static int
core_prepare(sr_bench_lane *b, enum core_kind kind)
{
    core_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SR_ENOMEM;
    b->state = s;
    s->kind = kind;
    s->bw = b->p->bw;
    s->bw_out = b->p->bw_out;
    const size_t n = b->n + 1;
    s->x = calloc(n, 8);
    s->sh = calloc(n, 8);
    s->x2 = calloc(n, 8);
    s->sh2 = calloc(n, 8);
    s->y = calloc(n, 8);
    s->want = calloc(n, 8);
    s->got = calloc(n, 8);
    s->T = calloc((size_t)1 << SR_LUT_MAX_BITS, 8);
    s->bx = calloc(n, 1);
    s->bsh = calloc(n, 1);
    s->bx2 = calloc(n, 1);
    s->bsh2 = calloc(n, 1);
    s->bz = calloc(n, 1);
    if (!s->x || !s->sh || !s->x2 || !s->sh2 || !s->y || !s->want || !s->got ||
        !s->T || !s->bx || !s->bsh || !s->bx2 || !s->bsh2 || !s->bz)
        return SR_ENOMEM;
    int rc = sr_ot_setup(b->L);
    if (rc != SR_OK)
        return rc;
    const size_t k = b->n;
    const unsigned bw = s->bw;
    const uint64_t mk = sr_mask(bw);
    switch (kind) {
    case K_MILL:
        /* Both sides draw both private inputs; each uses its role's. */
        sr_prg_u64(&b->in, s->x, k ? k : 1, bw);
        sr_prg_u64(&b->in, s->x2, k ? k : 1, bw);
        for (size_t i = 0; i < k; i++)
            s->want[i] = s->x[i] > s->x2[i];
        break;
    case K_WRAP:
        sr_bench_inputs(b, s->x, s->sh, k, bw);
        for (size_t i = 0; i < k; i++) {
            /* Alice's share is x - xB; wrap of (xA, xB). */
            uint64_t xa =
                b->L->role == SR_ALICE ? s->sh[i] : (s->x[i] - s->sh[i]) & mk;
            uint64_t xb = (s->x[i] - xa) & mk;
            s->want[i] = bw == 64 ? xa + xb < xa : (xa + xb) >> bw;
        }
        break;
    case K_MSB:
        sr_bench_inputs(b, s->x, s->sh, k, bw);
        for (size_t i = 0; i < k; i++)
            s->want[i] = (s->x[i] >> (bw - 1)) & 1;
        break;
    case K_RELU:
        sr_bench_inputs(b, s->x, s->sh, k, bw);
        for (size_t i = 0; i < k; i++)
            s->want[i] = (s->x[i] >> (bw - 1)) & 1 ? 0 : s->x[i];
        break;
    case K_AND:
        sr_bench_inputs_bits(b, s->bx, s->bsh, k);
        sr_bench_inputs_bits(b, s->bx2, s->bsh2, k);
        for (size_t i = 0; i < k; i++)
            s->want[i] = s->bx[i] & s->bx2[i];
        break;
    case K_B2A:
        sr_bench_inputs_bits(b, s->bx, s->bsh, k);
        for (size_t i = 0; i < k; i++)
            s->want[i] = s->bx[i];
        break;
    case K_MUX:
        sr_bench_inputs_bits(b, s->bx, s->bsh, k);
        sr_bench_inputs(b, s->x, s->sh, k, bw);
        for (size_t i = 0; i < k; i++)
            s->want[i] = s->bx[i] ? s->x[i] : 0;
        break;
    case K_LUT:
        sr_prg_u64(&b->in, s->T, (size_t)1 << bw, s->bw_out);
        sr_bench_inputs(b, s->x, s->sh, k, bw);
        for (size_t i = 0; i < k; i++)
            s->want[i] = s->T[s->x[i]];
        break;
    }
    return SR_OK;
}

static int
core_run(sr_bench_lane *b)
{
    core_state *s = b->state;
    sr_lane *L = b->L;
    const size_t k = b->n;
    const unsigned bw = s->bw;
    switch (s->kind) {
    case K_MILL:
        return sr_mill(L, k, s->bz, L->role == SR_ALICE ? s->x : s->x2, bw,
                       SR_MILL_GT);
    case K_WRAP:
        return sr_wrap(L, k, s->bz, s->sh, bw);
    case K_MSB:
        return sr_msb(L, k, s->bz, s->sh, bw);
    case K_RELU:
        return sr_relu(L, k, s->y, s->sh, bw);
    case K_AND:
        return sr_and(L, k, s->bz, s->bsh, s->bsh2);
    case K_B2A:
        return sr_b2a(L, k, s->y, s->bsh, bw);
    case K_MUX:
        return sr_mux(L, k, s->y, s->bsh, s->sh, bw);
    case K_LUT:
        return sr_lut(L, k, s->y, s->sh, bw, s->T, s->bw_out);
    }
    return SR_EUSAGE;
}

static int
core_check(sr_bench_lane *b)
{
    core_state *s = b->state;
    const size_t k = b->n;
    int rc;
    unsigned ow = s->kind == K_LUT ? s->bw_out : s->bw;
    switch (s->kind) {
    case K_MILL:
    case K_WRAP:
    case K_MSB:
    case K_AND:
        if ((rc = sr_bench_open_bits(b, s->bz, s->bz, k)) != SR_OK)
            return rc;
        for (size_t i = 0; i < k; i++)
            s->got[i] = s->bz[i];
        return sr_bench_expect(b, "z", s->got, s->want, k, 1);
    default:
        if ((rc = sr_bench_open(b, s->got, s->y, k, ow)) != SR_OK)
            return rc;
        return sr_bench_expect(b, "y", s->got, s->want, k, ow);
    }
}

static void
core_cleanup(sr_bench_lane *b)
{
    core_state *s = b->state;
    if (s == NULL)
        return;
    free(s->x);
    free(s->sh);
    free(s->x2);
    free(s->sh2);
    free(s->y);
    free(s->want);
    free(s->got);
    free(s->T);
    free(s->bx);
    free(s->bsh);
    free(s->bx2);
    free(s->bsh2);
    free(s->bz);
    free(s);
    b->state = NULL;
}

#define PREP(name, kind)                                                       \
    static int name##_prepare(sr_bench_lane *b)                                \
    {                                                                          \
        return core_prepare(b, kind);                                          \
    }
PREP(mill, K_MILL)
PREP(wrap, K_WRAP)
PREP(msb, K_MSB)
PREP(relu, K_RELU)
PREP(and, K_AND)
PREP(b2a, K_B2A)
PREP(mux, K_MUX)
PREP(lut, K_LUT)

#define CORE_OP(var, opname, sum, prm, val, prep)                              \
    const sr_bench_op var = {                                                  \
        .name = opname,                                                        \
        .summary = sum,                                                        \
        .params = prm,                                                         \
        .validate = val,                                                       \
        .prepare = prep,                                                       \
        .run = core_run,                                                       \
        .check = core_check,                                                   \
        .cleanup = core_cleanup,                                               \
    }

CORE_OP(sr_bench_op_millionaire, "millionaire",
        "millionaires' [a > b] on private --bw-bit inputs (CrypTFlow2)",
        SR_BP_BW, core_validate, mill_prepare);
CORE_OP(sr_bench_op_wrap, "wrap", "wrap (carry) of two --bw-bit shares",
        SR_BP_BW, core_validate, wrap_prepare);
CORE_OP(sr_bench_op_msb, "msb", "MSB of a --bw-bit shared value", SR_BP_BW,
        core_validate, msb_prepare);
CORE_OP(sr_bench_op_relu, "relu", "ReLU of a --bw-bit shared value", SR_BP_BW,
        core_validate, relu_prepare);
CORE_OP(sr_bench_op_and, "and", "AND of boolean shares (bit triples)", SR_BP_BW,
        core_validate, and_prepare);
CORE_OP(sr_bench_op_b2a, "b2a", "boolean to --bw-bit arithmetic shares",
        SR_BP_BW, core_validate, b2a_prepare);
CORE_OP(sr_bench_op_mux, "mux", "multiplexer sel ? x : 0 on --bw bits",
        SR_BP_BW, core_validate, mux_prepare);
CORE_OP(sr_bench_op_lut, "lut",
        "lookup in a public table: --bw index bits, --bw-out entry bits",
        SR_BP_BW | SR_BP_BW_OUT, lut_validate, lut_prepare);
