/*
 * jobs/bench_sirnn.c -- `sirnn bench` ops of the SIRNN mixed-bitwidth
 * blocks: zext sext (--bw -> --bw-out), tr lrs ars divpow2 (--bw
 * --shift), umult smult (--bw x --bw2 -> --bw-out), matmul (--dims
 * d1,d2,d3 --bw --bw2 --bw-out --known server|none), digdec msnzb (--bw
 * --digit).  --msb-known public|shared selects the starred variants of
 * extension, LRS/ARS and multiplication.  Inputs come from the pair's
 * common stream, the run phase is one protocol call on the lane's chunk,
 * and the check opens the outputs against the cleartext definition.
 *
 * matmul: n counts matrix products (default 1); each is d1 x d2 (shared,
 * --bw bits) times d2 x d3 (--bw2 bits: shared, or with --known server
 * the server's clear weights), output --bw-out bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/bench.h"
#include "protocols/digdec.h"
#include "protocols/ext.h"
#include "protocols/matmul.h"
#include "protocols/msnzb.h"
#include "protocols/mult.h"
#include "protocols/ot.h"
#include "protocols/trunc.h"

enum sk {
    S_ZEXT,
    S_SEXT,
    S_TR,
    S_LRS,
    S_ARS,
    S_DIV,
    S_UMULT,
    S_SMULT,
    S_MATMUL,
    S_DIGDEC,
    S_MSNZB
};

typedef struct sirnn_state {
    enum sk kind;
    size_t nout; /* output values of the lane */
    unsigned ow; /* output width */
    uint64_t *x, *sh, *x2, *sh2, *w, *y, *want;
    uint8_t *mx, *my, *z;
} sirnn_state;

static uint64_t
sx64(uint64_t x, unsigned m)
{
    x &= sr_mask(m);
    if (m < 64 && (x >> (m - 1)))
        x |= ~sr_mask(m);
    return x;
}

static int
usage(char *err, size_t len, const char *msg)
{
    snprintf(err, len, "%s", msg);
    return SR_EUSAGE;
}

static int
ext_validate(sr_bench_params *p, char *err, size_t len)
{
    if (!(p->given & SR_BP_BW))
        p->bw = 16;
    if (p->bw < 1 || p->bw > 64 || p->bw_out < p->bw || p->bw_out > 64)
        return usage(err, len, "need 1 <= --bw <= --bw-out <= 64");
    return SR_OK;
}

static int
trunc_validate(sr_bench_params *p, char *err, size_t len)
{
    if (p->bw < 1 || p->bw > 64 || p->shift >= p->bw)
        return usage(err, len, "need 1 <= --bw <= 64 and --shift < --bw");
    return SR_OK;
}

static int
mult_validate(sr_bench_params *p, char *err, size_t len)
{
    if (!(p->given & SR_BP_BW))
        p->bw = 16;
    if (!(p->given & SR_BP_BW2))
        p->bw2 = 16;
    if (p->bw < 1 || p->bw > 64 || p->bw2 < 1 || p->bw2 > 64 || p->bw_out < 1 ||
        p->bw_out > 64 || p->bw_out > p->bw + p->bw2)
        return usage(err, len,
                     "need widths 1..64 and --bw-out <= --bw + --bw2");
    return SR_OK;
}

static int
matmul_validate(sr_bench_params *p, char *err, size_t len)
{
    if (!(p->given & SR_BP_DIMS)) {
        p->dims[0] = 1;
        p->dims[1] = 100;
        p->dims[2] = 35;
    }
    if (!(p->given & SR_BP_BW))
        p->bw = 8;
    if (!(p->given & SR_BP_BW2))
        p->bw2 = 8;
    if (!(p->given & SR_BP_BW_OUT))
        p->bw_out = 16;
    if (p->bw < 1 || p->bw > 64 || p->bw2 < 1 || p->bw2 > 64 || p->bw_out < 1 ||
        p->bw_out > 64)
        return usage(err, len, "need widths 1..64");
    if (p->msb_known != SR_BENCH_MSB_NONE)
        return usage(err, len, "matmul takes no --msb-known");
    return SR_OK;
}

static int
digit_validate(sr_bench_params *p, char *err, size_t len)
{
    if (p->bw < 1 || p->bw > 64 || p->digit < 1 || p->digit > 8)
        return usage(err, len, "need 1 <= --bw <= 64 and 1 <= --digit <= 8");
    return SR_OK;
}

static unsigned
msb_flags(const sr_bench_params *p)
{
    return p->msb_known == SR_BENCH_MSB_PUBLIC   ? SR_MSB_PUBLIC
           : p->msb_known == SR_BENCH_MSB_SHARED ? SR_MSB_SHARED
                                                 : SR_MSB_NONE;
}

/* MSB inputs: public bits, or boolean shares from the common stream. */
static void
msb_inputs(sr_bench_lane *b, uint8_t *out, const uint64_t *x, size_t n,
           unsigned bw)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t m = (uint8_t)((x[i] >> (bw - 1)) & 1), t;
        sr_prg_bits(&b->in, &t, 1);
        if (b->p->msb_known == SR_BENCH_MSB_PUBLIC)
            out[i] = m;
        else
            out[i] = b->L->role == SR_ALICE ? t : (uint8_t)(t ^ m);
    }
}

static uint64_t
ref_div(uint64_t x, unsigned bw, unsigned s)
{
    int64_t v = (int64_t)sx64(x, bw);
    if (v >= 0)
        return (uint64_t)v >> s;
    return (uint64_t)0 - (((uint64_t)0 - (uint64_t)v) >> s);
}

static int
sirnn_prepare(sr_bench_lane *b, enum sk kind)
{
    sirnn_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SR_ENOMEM;
    b->state = s;
    s->kind = kind;
    const sr_bench_params *p = b->p;
    const size_t n = b->n;
    size_t na = n, nb = n, nw = 0, nout = n;
    unsigned ow = p->bw_out;
    const size_t d1 = p->dims[0], d2 = p->dims[1], d3 = p->dims[2];
    switch (kind) {
    case S_TR:
        ow = p->bw - p->shift;
        break;
    case S_LRS:
    case S_ARS:
    case S_DIV:
        ow = p->bw;
        break;
    case S_MATMUL:
        na = n * d1 * d2;
        nb = n * d2 * d3;
        nw = d2 * d3;
        nout = n * d1 * d3;
        break;
    case S_DIGDEC:
        ow = p->digit;
        nout = n * sr_digdec_count(p->bw, p->digit);
        break;
    case S_MSNZB:
        ow = 1;
        nout = n * p->bw;
        break;
    default:
        break;
    }
    s->nout = nout;
    s->ow = ow;
    s->x = calloc(na + 1, 8);
    s->sh = calloc(na + 1, 8);
    s->x2 = calloc(nb + 1, 8);
    s->sh2 = calloc(nb + 1, 8);
    s->w = calloc(nw + 1, 8);
    s->y = calloc(nout + 1, 8);
    s->want = calloc(nout + 1, 8);
    s->mx = calloc(na + 1, 1);
    s->my = calloc(nb + 1, 1);
    s->z = calloc(nout + 1, 1);
    if (!s->x || !s->sh || !s->x2 || !s->sh2 || !s->w || !s->y || !s->want ||
        !s->mx || !s->my || !s->z)
        return SR_ENOMEM;
    int rc = sr_ot_setup(b->L);
    if (rc != SR_OK)
        return rc;

    const unsigned bw = p->bw, bw2 = p->bw2, sh = p->shift;
    sr_bench_inputs(b, s->x, s->sh, na, bw);
    switch (kind) {
    case S_ZEXT:
    case S_SEXT:
        msb_inputs(b, s->mx, s->x, n, bw);
        for (size_t i = 0; i < n; i++)
            s->want[i] =
                (kind == S_SEXT ? sx64(s->x[i], bw) : s->x[i]) & sr_mask(ow);
        break;
    case S_TR:
        for (size_t i = 0; i < n; i++)
            s->want[i] = (s->x[i] >> sh) & sr_mask(ow);
        break;
    case S_LRS:
    case S_ARS:
        msb_inputs(b, s->mx, s->x, n, bw);
        for (size_t i = 0; i < n; i++)
            s->want[i] = kind == S_LRS
                             ? s->x[i] >> sh
                             : (uint64_t)((int64_t)sx64(s->x[i], bw) >> sh) &
                                   sr_mask(bw);
        break;
    case S_DIV:
        msb_inputs(b, s->mx, s->x, n, bw);
        for (size_t i = 0; i < n; i++)
            s->want[i] = ref_div(s->x[i], bw, sh) & sr_mask(bw);
        break;
    case S_UMULT:
    case S_SMULT:
        sr_bench_inputs(b, s->x2, s->sh2, n, bw2);
        msb_inputs(b, s->mx, s->x, n, bw);
        msb_inputs(b, s->my, s->x2, n, bw2);
        for (size_t i = 0; i < n; i++)
            s->want[i] =
                kind == S_SMULT
                    ? (sx64(s->x[i], bw) * sx64(s->x2[i], bw2)) & sr_mask(ow)
                    : (s->x[i] * s->x2[i]) & sr_mask(ow);
        break;
    case S_MATMUL: {
        const uint64_t *B = s->x2;
        if (p->known == SR_BENCH_KNOWN_SERVER) {
            sr_prg_u64(&b->in, s->w, nw ? nw : 1, bw2);
            B = s->w;
        } else {
            sr_bench_inputs(b, s->x2, s->sh2, nb, bw2);
        }
        for (size_t q = 0; q < n; q++) {
            const uint64_t *A = s->x + q * d1 * d2;
            const uint64_t *Bq = p->known ? B : B + q * d2 * d3;
            for (size_t i = 0; i < d1; i++)
                for (size_t j = 0; j < d3; j++) {
                    uint64_t acc = 0;
                    for (size_t k = 0; k < d2; k++)
                        acc +=
                            sx64(A[i * d2 + k], bw) * sx64(Bq[k * d3 + j], bw2);
                    s->want[q * d1 * d3 + i * d3 + j] = acc & sr_mask(ow);
                }
        }
        break;
    }
    case S_DIGDEC: {
        const unsigned c = sr_digdec_count(bw, p->digit);
        for (unsigned i = 0; i < c; i++)
            for (size_t j = 0; j < n; j++)
                s->want[i * n + j] =
                    (s->x[j] >> (i * p->digit)) & sr_mask(p->digit);
        break;
    }
    case S_MSNZB:
        for (size_t j = 0; j < n; j++) {
            unsigned k = s->x[j] ? 63u - (unsigned)__builtin_clzll(s->x[j]) : 0;
            for (unsigned t = 0; t < bw; t++)
                s->want[j * bw + t] = s->x[j] != 0 && t == k;
        }
        break;
    }
    return SR_OK;
}

static int
sirnn_run(sr_bench_lane *b)
{
    sirnn_state *s = b->state;
    const sr_bench_params *p = b->p;
    sr_lane *L = b->L;
    const size_t n = b->n;
    const unsigned bw = p->bw, bw2 = p->bw2, sh = p->shift, f = msb_flags(p);
    const uint8_t *mx = f == SR_MSB_NONE ? NULL : s->mx;
    const unsigned mf = p->msb_known == SR_BENCH_MSB_PUBLIC
                            ? SR_MULT_MSB_PUBLIC
                            : SR_MULT_MSB_SHARED;
    const size_t d1 = p->dims[0], d2 = p->dims[1], d3 = p->dims[2];
    int rc = SR_OK;
    switch (s->kind) {
    case S_ZEXT:
        return sr_ext_zero(L, n, s->y, s->sh, mx, bw, p->bw_out, f);
    case S_SEXT:
        return sr_ext_signed(L, n, s->y, s->sh, mx, bw, p->bw_out, f);
    case S_TR:
        return sr_trunc_reduce(L, n, s->y, s->sh, bw, sh);
    case S_LRS:
        return sr_trunc_lrs(L, n, s->y, s->sh, mx, bw, sh, f);
    case S_ARS:
        return sr_trunc_ars(L, n, s->y, s->sh, mx, bw, sh, f);
    case S_DIV:
        return sr_trunc_divpow2(L, n, s->y, s->sh, mx, bw, sh, f);
    case S_UMULT:
    case S_SMULT: {
        unsigned sg = s->kind == S_SMULT ? SR_MULT_SIGNED : SR_MULT_UNSIGNED;
        if (f == SR_MSB_NONE)
            return sr_mult(L, n, s->y, s->sh, s->sh2, bw, bw2, p->bw_out, sg);
        return sr_mult_msb(L, n, s->y, s->sh, s->sh2, s->mx, s->my, bw, bw2,
                           p->bw_out, sg | mf);
    }
    case S_MATMUL:
        for (size_t q = 0; q < n && rc == SR_OK; q++) {
            uint64_t *Z = s->y + q * d1 * d3;
            const uint64_t *A = s->sh + q * d1 * d2;
            if (p->known == SR_BENCH_KNOWN_SERVER)
                rc = sr_matmul_known(
                    L, d1, d2, d3, Z, sr_known_by_server(L, s->w), A, bw2, bw,
                    p->bw_out,
                    SR_MULT_SIGNED | SR_KNOWN_B | SR_KNOWN_BY_SERVER);
            else
                rc = sr_matmul(L, d1, d2, d3, Z, A, s->sh2 + q * d2 * d3, bw,
                               bw2, p->bw_out, SR_MULT_SIGNED);
        }
        return rc;
    case S_DIGDEC:
        return sr_digdec(L, n, s->y, s->sh, bw, p->digit);
    case S_MSNZB:
        return sr_msnzb(L, n, s->z, s->sh, bw, p->digit);
    }
    return SR_EUSAGE;
}

static int
sirnn_check(sr_bench_lane *b)
{
    sirnn_state *s = b->state;
    int rc;
    if (s->kind == S_MSNZB) {
        if ((rc = sr_bench_open_bits(b, s->z, s->z, s->nout)) != SR_OK)
            return rc;
        for (size_t i = 0; i < s->nout; i++)
            s->y[i] = s->z[i];
        return sr_bench_expect(b, "z", s->y, s->want, s->nout, 1);
    }
    if (s->kind == S_DIGDEC) {
        /* the last digit row may be narrower: open all at --digit bits */
        const unsigned c = sr_digdec_count(b->p->bw, b->p->digit);
        const unsigned dl = b->p->bw - (c - 1) * b->p->digit;
        if ((rc = sr_bench_open(b, s->y, s->y, s->nout, s->ow)) != SR_OK)
            return rc;
        for (size_t j = 0; j < b->n; j++)
            s->y[(c - 1) * b->n + j] &= sr_mask(dl);
        return sr_bench_expect(b, "digit", s->y, s->want, s->nout, s->ow);
    }
    if ((rc = sr_bench_open(b, s->y, s->y, s->nout, s->ow)) != SR_OK)
        return rc;
    return sr_bench_expect(b, "y", s->y, s->want, s->nout, s->ow);
}

static void
sirnn_cleanup(sr_bench_lane *b)
{
    sirnn_state *s = b->state;
    if (s == NULL)
        return;
    free(s->x);
    free(s->sh);
    free(s->x2);
    free(s->sh2);
    free(s->w);
    free(s->y);
    free(s->want);
    free(s->mx);
    free(s->my);
    free(s->z);
    free(s);
    b->state = NULL;
}

#define PREP(name, kind)                                                       \
    static int name##_prepare(sr_bench_lane *b)                                \
    {                                                                          \
        return sirnn_prepare(b, kind);                                         \
    }
PREP(zext, S_ZEXT)
PREP(sext, S_SEXT)
PREP(tr, S_TR)
PREP(lrs, S_LRS)
PREP(ars, S_ARS)
PREP(divpow2, S_DIV)
PREP(umult, S_UMULT)
PREP(smult, S_SMULT)
PREP(matmul, S_MATMUL)
PREP(digdec, S_DIGDEC)
PREP(msnzb, S_MSNZB)

#define SIRNN_OP(var, opname, sum, prm, val, prep, dn)                         \
    const sr_bench_op var = {                                                  \
        .name = opname,                                                        \
        .summary = sum,                                                        \
        .params = prm,                                                         \
        .default_n = dn,                                                       \
        .validate = val,                                                       \
        .prepare = prep,                                                       \
        .run = sirnn_run,                                                      \
        .check = sirnn_check,                                                  \
        .cleanup = sirnn_cleanup,                                              \
    }

#define P_EXT (SR_BP_BW | SR_BP_BW_OUT | SR_BP_MSB_KNOWN)
#define P_MUL (SR_BP_BW | SR_BP_BW2 | SR_BP_BW_OUT | SR_BP_MSB_KNOWN)

SIRNN_OP(sr_bench_op_zext, "zext", "zero extension --bw -> --bw-out bits",
         P_EXT, ext_validate, zext_prepare, 0);
SIRNN_OP(sr_bench_op_sext, "sext", "signed extension --bw -> --bw-out bits",
         P_EXT, ext_validate, sext_prepare, 0);
SIRNN_OP(sr_bench_op_tr, "tr",
         "truncate-and-reduce by --shift: --bw -> --bw - --shift bits",
         SR_BP_BW | SR_BP_SHIFT, trunc_validate, tr_prepare, 0);
SIRNN_OP(sr_bench_op_lrs, "lrs", "logical right shift by --shift on --bw",
         SR_BP_BW | SR_BP_SHIFT | SR_BP_MSB_KNOWN, trunc_validate, lrs_prepare,
         0);
SIRNN_OP(sr_bench_op_ars, "ars",
         "arithmetic right shift (floor) by --shift on --bw",
         SR_BP_BW | SR_BP_SHIFT | SR_BP_MSB_KNOWN, trunc_validate, ars_prepare,
         0);
SIRNN_OP(sr_bench_op_divpow2, "divpow2",
         "division by 2^--shift toward zero on --bw",
         SR_BP_BW | SR_BP_SHIFT | SR_BP_MSB_KNOWN, trunc_validate,
         divpow2_prepare, 0);
SIRNN_OP(sr_bench_op_umult, "umult",
         "unsigned --bw x --bw2 -> --bw-out multiplication", P_MUL,
         mult_validate, umult_prepare, 0);
SIRNN_OP(sr_bench_op_smult, "smult",
         "signed --bw x --bw2 -> --bw-out multiplication", P_MUL, mult_validate,
         smult_prepare, 0);
SIRNN_OP(sr_bench_op_matmul, "matmul",
         "d1 x d2 (--bw) times d2 x d3 (--bw2) -> --bw-out; --n products",
         SR_BP_DIMS | SR_BP_BW | SR_BP_BW2 | SR_BP_BW_OUT | SR_BP_KNOWN |
             SR_BP_MSB_KNOWN,
         matmul_validate, matmul_prepare, 1);
SIRNN_OP(sr_bench_op_digdec, "digdec",
         "digit decomposition of --bw bits into --digit-bit digits",
         SR_BP_BW | SR_BP_DIGIT, digit_validate, digdec_prepare, 0);
SIRNN_OP(sr_bench_op_msnzb, "msnzb",
         "one-hot most significant non-zero bit of --bw bits (--digit)",
         SR_BP_BW | SR_BP_DIGIT, digit_validate, msnzb_prepare, 0);
