/*
 * math/cost.c -- Table V cost model of the math plans (see cost.h).
 */
#include "math/cost.h"

#include <stdarg.h>
#include <stdio.h>

#define LAM ((uint64_t)SR_COST_LAMBDA)

uint64_t
sr_cost_mill(unsigned l)
{
    return (LAM + 14) * l;
}

uint64_t
sr_cost_msb(unsigned l)
{
    return sr_cost_mill(l - 1);
}

uint64_t
sr_cost_mux(unsigned l)
{
    return 2 * (LAM + l);
}

uint64_t
sr_cost_lut(unsigned m, unsigned n)
{
    return 2 * LAM + ((uint64_t)1 << m) * n;
}

uint64_t
sr_cost_digdec(unsigned l, unsigned d)
{
    unsigned k = (l + d - 1) / d;
    return (uint64_t)(k - 1) * (LAM * (d + 2) + 15 * d + 20);
}

uint64_t
sr_cost_tr(unsigned l, unsigned s)
{
    return LAM * (s + 1) + l + 13 * (uint64_t)s;
}

uint64_t
sr_cost_zext_star(unsigned m, unsigned n)
{
    return 2 * LAM - m + n + 2;
}

uint64_t
sr_cost_umult_star(unsigned m, unsigned n)
{
    uint64_t mu = m < n ? m : n, nu = m < n ? n : m;
    return LAM * (2 * mu + 6) + 2 * mu * nu + mu * mu + 3 * mu + 2 * nu + 4;
}

uint64_t
sr_cost_msnzb(unsigned l, unsigned d)
{
    unsigned io = 0;
    while ((1u << io) < l)
        io++;
    uint64_t k = (l + d - 1) / d;
    return (k - 1) * (LAM * (d + 8) + 2 * d * (io + 1) + 15 * d + 2 * io + 60) +
           6 * LAM + 2 * d * (io + 1) + (uint64_t)l * l + 2 * io;
}

static void
add(sr_cost *C, uint64_t bits, const char *fmt, ...)
{
    SR_REQUIRE(C->n < SR_COST_MAX_ITEMS);
    sr_cost_item *it = &C->item[C->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->step, sizeof it->step, fmt, ap);
    va_end(ap);
    it->bits = bits;
    C->total_bits += bits;
}

static void
cost_exp_stage(sr_cost *C, const sr_math_plan *P, int round)
{
    unsigned we = P->w_e, se = P->s_e, W2 = 2 * we, top = P->ndig - 1;
    unsigned ew[SR_MATH_MAX_DIGITS];
    if (P->ndig > 1)
        add(C, sr_cost_digdec(P->bw_z, P->d), "DigDec(%u, %u)", P->bw_z, P->d);
    if (P->signed_top) /* one OT with the top digit's exp LUT (lut2) */
        add(C, (uint64_t)1 << P->dw[top], "LUT b = MSB (+2^%u x 1, fused)",
            P->dw[top]);
    for (unsigned j = 0; P->signed_top && j < top; j++)
        add(C, sr_cost_mux(P->dw[j]), "MUX(%u) digit %u", P->dw[j], j);
    for (unsigned j = 0; j < P->ndig; j++) {
        ew[j] = P->wt[j] + 1;
        add(C, sr_cost_lut(P->dw[j], ew[j]), "LUT exp digit %u (2^%u x %u%s)",
            j, P->dw[j], ew[j], P->comp[j] ? ", 1-e" : "");
    }
    if (P->ndig == 1 && round)
        add(C, sr_cost_tr(ew[0], se - P->fy.s), "TR(%u, %u)", ew[0],
            se - P->fy.s);
    for (unsigned i = 1; i < P->ndig; i *= 2) {
        for (unsigned j = 0; j + i < P->ndig; j += 2 * i) {
            unsigned a = ew[j], b = ew[j + i];
            add(C, sr_cost_umult_star(a, b), "*UMult %ux%u", a, b);
            if (i == 1 && P->comp[j] && a + b < W2)
                add(C, sr_cost_zext_star(a + b, W2), "*ZExt(%u, %u)", a + b,
                    W2);
            unsigned s = (round && 2 * i >= P->ndig) ? se + (se - P->fy.s) : se;
            add(C, sr_cost_tr(W2, s), "TR(%u, %u)", W2, s);
            ew[j] = W2 - se < we + 1 ? W2 - se : we + 1;
        }
    }
}

static void
cost_segment(sr_cost *C, const sr_math_plan *P, unsigned l_idx)
{
    unsigned wa = P->W - P->sh, wb = P->W - (P->w_dl + 1);
    if (P->s_f > P->g)
        add(C, sr_cost_tr(l_idx, P->s_f - P->g), "TR(%u, %u) index", l_idx,
            P->s_f - P->g);
    add(C, sr_cost_lut(P->gi, wa), "LUT a (2^%u x %u)", P->gi, wa);
    if (P->w_dl > 0) {
        if (wa + wb <= 64) /* one OT with a (protocols/lut2.h) */
            add(C, ((uint64_t)1 << P->gi) * wb, "LUT b (+2^%u x %u, fused)",
                P->gi, wb);
        else
            add(C, sr_cost_lut(P->gi, wb), "LUT b (2^%u x %u)", P->gi, wb);
        add(C, sr_cost_umult_star(wb, P->w_dl + 1), "*UMult %ux%u b*delta", wb,
            P->w_dl + 1);
    }
}

/* The iteration (t = 1): the blocks of iterate_run in math/secure.c. */
static void
cost_iterate(sr_cost *C, const sr_math_plan *P)
{
    unsigned M = P->s_f, nk = M + 1, Q = P->Q, E = P->E, K = P->K, w1;
    add(C, sr_cost_tr(P->W, P->S - Q), "TR(%u, %u) r0", P->W, P->S - Q);
    add(C, sr_cost_umult_star(nk, Q + 2), "*UMult %ux%u m r0", nk, Q + 2);
    if (P->fn == SR_MATH_RECIP) {
        add(C, sr_cost_tr(M + Q + 2, M + Q - E), "TR(%u, %u) e", M + Q + 2,
            M + Q - E);
        w1 = Q + E + 2;
    } else {
        add(C, sr_cost_tr(M + Q + 2, M + Q - K), "TR(%u, %u) m r0",
            M + Q + 2, M + Q - K);
        add(C, sr_cost_umult_star(K + 2, Q + 2), "*UMult %ux%u m r0^2", K + 2,
            Q + 2);
        add(C, sr_cost_mux(K + Q + 3), "MUX(%u) 2^q", K + Q + 3);
        add(C, sr_cost_tr(K + Q + 3, K + Q - E), "TR(%u, %u) e", K + Q + 3,
            K + Q - E);
        w1 = Q + E + 3;
    }
    unsigned wp = Q + 2 + P->w_eb;
    add(C, sr_cost_umult_star(Q + 2, P->w_eb), "*UMult %ux%u r0 (e + bias)",
        Q + 2, P->w_eb);
    add(C, sr_cost_zext_star(wp, w1), "*ZExt(%u, %u)", wp, w1);
    add(C, sr_cost_zext_star(Q + 2, w1), "*ZExt(%u, %u) r0", Q + 2, w1);
    unsigned s1 = P->fn == SR_MATH_RECIP ? Q + E : Q + E + 1;
    add(C, sr_cost_tr(w1, s1 - P->R), "TR(%u, %u) r", w1, s1 - P->R);
}

void
sr_math_cost(sr_cost *C, const sr_math_plan *P)
{
    C->n = 0;
    C->total_bits = 0;
    unsigned bwx = P->fx.bw, bwy = P->fy.bw, sy = P->fy.s;
    switch (P->fn) {
    case SR_MATH_EXP: {
        cost_exp_stage(C, P, 1);
        unsigned w1 = P->ndig > 1 ? 2 * P->w_e - P->s_e - (P->s_e - sy)
                                  : P->wt[0] + 1 - (P->s_e - sy);
        if (w1 < bwy)
            add(C, sr_cost_zext_star(w1, bwy), "*ZExt(%u, %u)", w1, bwy);
        break;
    }
    case SR_MATH_SIGMOID:
    case SR_MATH_TANH: {
        int th = P->fn == SR_MATH_TANH;
        (void)bwx;
        cost_exp_stage(C, P, 0);
        cost_segment(C, P, P->s_f);
        unsigned wt = th ? P->W + 1 : P->W, wy = wt - (P->S - sy);
        add(C, sr_cost_tr(wt, P->S - sy), "TR(%u, %u) round", wt, P->S - sy);
        add(C, sr_cost_mux(wy), "MUX(%u) sign", wy);
        if (wy < bwy)
            add(C, sr_cost_zext_star(wy, bwy), "*ZExt(%u, %u)%s", wy, bwy,
                th ? " of y + 1" : "");
        break;
    }
    case SR_MATH_RECIP:
    case SR_MATH_RSQRT:
        if (!P->normalise) {
            unsigned wy = P->W - (P->S - sy);
            cost_segment(C, P, P->s_f);
            add(C, sr_cost_tr(P->W, P->S - sy), "TR(%u, %u) round", P->W,
                P->S - sy);
            if (wy < bwy)
                add(C, sr_cost_zext_star(wy, bwy), "*ZExt(%u, %u)", wy, bwy);
            break;
        }
        add(C, sr_cost_msnzb(P->nk, 8), "MSNZB(%u, 8) one-hot", P->nk);
        unsigned wb = P->nk + 1;
        if (wb < P->wP + 1)
            wb = P->wP + 1;
        if (wb < bwy)
            wb = bwy;
        add(C, (uint64_t)P->nk * (LAM + wb), "B2A %u bits -> %u", P->nk, wb);
        add(C, sr_cost_umult_star(bwx, P->nk + 1), "*UMult %ux%u normalise",
            bwx, P->nk + 1);
        cost_segment(C, P, P->nk);
        if (P->t)
            cost_iterate(C, P);
        add(C, sr_cost_umult_star(P->Wf, P->wP + 1), "*UMult %ux%u scale",
            P->Wf, P->wP + 1);
        add(C, sr_cost_tr(P->Wf + P->wP, (unsigned)((int)P->Sf - P->c_min)),
            "TR(%u, %d) round", P->Wf + P->wP, (int)P->Sf - P->c_min);
        if (P->wY < bwy)
            add(C, sr_cost_zext_star(P->wY, bwy), "*ZExt(%u, %u)", P->wY, bwy);
        break;
    }
}
