/*
 * jobs/bench_ot.c -- `sirnn bench ot --kind rot|cot|chosen|kkot --l L
 * [--N N]`: OT extension throughput (protocols/ot.h).
 *
 * On every lane the lane's Alice is the OT sender, so with several lanes
 * both parties send on half of them.  The base OTs run in prepare (counted
 * as setup), the run phase is one OT call on the lane's chunk, and the
 * check has the sender reveal its random outputs (rot, cot) so that the
 * receiver compares its outputs with the definition; the receiver tells
 * the sender the verdict.  `--kind chosen --l 128` uses the 128-bit
 * variant (sr_ot_send128).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/bench.h"
#include "protocols/ot.h"

enum ot_kind { OK_ROT, OK_COT, OK_CHOSEN, OK_KKOT };

typedef struct ot_state {
    enum ot_kind kind;
    unsigned l, m, wide; /* wide: chosen with l = 128 */
    size_t N;
    uint64_t *m0, *m1;    /* chosen: messages; cot: delta; kkot: table */
    uint64_t *s0, *s1;    /* sender outputs (rot, cot) */
    uint64_t *out, *want; /* receiver */
    uint8_t *c;           /* choices */
} ot_state;

static int
kind_of(const char *k)
{
    static const char *const names[] = {"rot", "cot", "chosen", "kkot"};
    for (int i = 0; i < 4; i++)
        if (strcmp(k, names[i]) == 0)
            return i;
    return -1;
}

static int
ot_validate(sr_bench_params *p, char *err, size_t errlen)
{
    if (p->kind[0] == '\0')
        snprintf(p->kind, sizeof p->kind, "rot");
    int k = kind_of(p->kind);
    if (k < 0) {
        snprintf(err, errlen, "--kind must be rot, cot, chosen or kkot");
        return SR_EUSAGE;
    }
    if (!(p->given & SR_BP_L))
        p->l = k == OK_KKOT ? 8 : 64;
    if (!(p->l >= 1 && p->l <= 64) && !(k == OK_CHOSEN && p->l == 128)) {
        snprintf(err, errlen, "--l must be 1..64 (or 128 with chosen)");
        return SR_EUSAGE;
    }
    if (k == OK_KKOT && (p->N < 2 || p->N > (1u << SR_KKOT_MAX_BITS) ||
                         (p->N & (p->N - 1)) != 0)) {
        snprintf(err, errlen, "--N must be a power of two in 2..%u",
                 1u << SR_KKOT_MAX_BITS);
        return SR_EUSAGE;
    }
    return SR_OK;
}

static int
ot_prepare(sr_bench_lane *b)
{
    ot_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SR_ENOMEM;
    b->state = s;
    s->kind = (enum ot_kind)kind_of(b->p->kind);
    s->wide = s->kind == OK_CHOSEN && b->p->l == 128;
    s->l = s->wide ? 64 : b->p->l;
    s->N = s->kind == OK_KKOT ? b->p->N : 1;
    s->m = (unsigned)__builtin_ctz((unsigned)s->N);
    size_t n = b->n, w = s->wide ? 2 : 1;
    s->m0 = malloc((n * s->N * w + 1) * sizeof *s->m0);
    s->m1 = malloc((n * w + 1) * sizeof *s->m1);
    s->s0 = malloc((n + 1) * sizeof *s->s0);
    s->s1 = malloc((n + 1) * sizeof *s->s1);
    s->out = malloc((n * w + 1) * sizeof *s->out);
    s->want = malloc((n * w + 1) * sizeof *s->want);
    s->c = malloc(n + 1);
    if (!s->m0 || !s->m1 || !s->s0 || !s->s1 || !s->out || !s->want || !s->c)
        return SR_ENOMEM;
    /* Same draws on both ends of the pair (b->in is common). */
    sr_prg_u64(&b->in, s->m0, n * s->N * w, s->l);
    sr_prg_u64(&b->in, s->m1, n * w, s->l);
    if (s->kind == OK_KKOT)
        for (size_t i = 0; i < n; i++) {
            uint8_t r;
            sr_prg_bytes(&b->in, &r, 1);
            s->c[i] = (uint8_t)(r & (s->N - 1));
        }
    else
        sr_prg_bits(&b->in, s->c, n);
    return sr_ot_setup(b->L);
}

static int
ot_run(sr_bench_lane *b)
{
    ot_state *s = b->state;
    sr_lane *L = b->L;
    size_t n = b->n;
    if (L->role == SR_ALICE) {
        switch (s->kind) {
        case OK_ROT:
            return sr_rot_send(L, n, s->s0, s->s1, s->l);
        case OK_COT:
            return sr_cot_send(L, n, s->s0, s->m0, s->l);
        case OK_CHOSEN:
            return s->wide ? sr_ot_send128(L, n, s->m0, s->m1)
                           : sr_ot_send(L, n, s->m0, s->m1, s->l);
        case OK_KKOT:
            return sr_kkot_send(L, n, s->m0, s->m, s->l);
        }
    } else {
        switch (s->kind) {
        case OK_ROT:
            return sr_rot_recv(L, n, s->out, s->c, s->l);
        case OK_COT:
            return sr_cot_recv(L, n, s->out, s->c, s->l);
        case OK_CHOSEN:
            return s->wide ? sr_ot_recv128(L, n, s->out, s->c)
                           : sr_ot_recv(L, n, s->out, s->c, s->l);
        case OK_KKOT:
            return sr_kkot_recv(L, n, s->out, s->c, s->m, s->l);
        }
    }
    return SR_EUSAGE;
}

static int
ot_check(sr_bench_lane *b)
{
    ot_state *s = b->state;
    sr_chan *ch = &b->L->chan;
    size_t n = b->n, w = s->wide ? 2 : 1;
    const uint64_t mk = sr_mask(s->l);
    uint8_t verdict = 0;
    if (b->L->role == SR_ALICE) {
        /* A -> B: the sender's random outputs, n x l bits each */
        if (s->kind == OK_ROT || s->kind == OK_COT)
            sr_chan_send_packed(ch, s->s0, n, s->l);
        if (s->kind == OK_ROT)
            sr_chan_send_packed(ch, s->s1, n, s->l);
        /* B -> A: 1 byte, the verdict */
        sr_chan_recv(ch, &verdict, 1);
        if (sr_chan_error(ch) != SR_OK)
            return sr_chan_error(ch);
        if (verdict != 0) {
            snprintf(b->why, sizeof b->why, "the receiver's check failed");
            return SR_ECHECK;
        }
        return SR_OK;
    }
    /* A -> B: the sender's random outputs, n x l bits each */
    if (s->kind == OK_ROT || s->kind == OK_COT)
        sr_chan_recv_packed(ch, s->s0, n, s->l);
    if (s->kind == OK_ROT)
        sr_chan_recv_packed(ch, s->s1, n, s->l);
    if (sr_chan_error(ch) != SR_OK)
        return sr_chan_error(ch);
    for (size_t i = 0; i < n; i++) {
        unsigned c = s->c[i];
        switch (s->kind) {
        case OK_ROT:
            s->want[i] = c ? s->s1[i] : s->s0[i];
            break;
        case OK_COT:
            s->want[i] = (s->s0[i] + (c ? s->m0[i] : 0)) & mk;
            break;
        case OK_CHOSEN:
            for (size_t h = 0; h < w; h++)
                s->want[w * i + h] = (c ? s->m1 : s->m0)[w * i + h];
            break;
        case OK_KKOT:
            s->want[i] = s->m0[i * s->N + c];
            break;
        }
    }
    int rc = sr_bench_expect(b, "out", s->out, s->want, n * w, s->l);
    verdict = rc != SR_OK;
    /* B -> A: 1 byte, the verdict */
    sr_chan_send(ch, &verdict, 1);
    sr_chan_flush(ch);
    return rc != SR_OK ? rc : sr_chan_error(ch);
}

static void
ot_cleanup(sr_bench_lane *b)
{
    ot_state *s = b->state;
    if (s == NULL)
        return;
    free(s->m0);
    free(s->m1);
    free(s->s0);
    free(s->s1);
    free(s->out);
    free(s->want);
    free(s->c);
    free(s);
    b->state = NULL;
}

const sr_bench_op sr_bench_op_ot = {
    .name = "ot",
    .summary = "OT extension: --kind rot|cot|chosen|kkot --l L [--N N]",
    .params = SR_BP_KIND | SR_BP_L | SR_BP_N_OT,
    .default_n = 1 << 20,
    .validate = ot_validate,
    .prepare = ot_prepare,
    .run = ot_run,
    .check = ot_check,
    .cleanup = ot_cleanup,
};
