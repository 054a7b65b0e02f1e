/*
 * layers/fastgrnn.c -- fixed-point FastGRNN, cleartext twin (see
 * fastgrnn.h for the block-by-block definition).
 *
 * Exact integers: every product sum is computed exactly in int64 (16-bit
 * by 16-bit products over at most 2^20 terms: < 2^51), rounded by adding
 * 2^(k-1) and an arithmetic shift (= TR of the exact accumulator plus the
 * constant, which never wraps at its width 32 + ceil(log2 d)), and reduced to
 * its format where the secure layer reduces.  Sums of reduced values are
 * reduced again, which equals reducing the exact sum: ring arithmetic.
 */
#include "layers/fastgrnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/mathfn.h"

/*
 * floor((v + 2^(k-1)) / 2^k) for k < 63: round half up, the TR of v plus
 * the public constant 2^(k-1) (added locally by one party before the TR,
 * free in the secure layer).  gcc's >> on signed values is arithmetic.
 */
static int64_t
round_shift(int64_t v, unsigned k)
{
    return k ? (v + ((int64_t)1 << (k - 1))) >> k : v;
}

/* Reduce the exact v to the bw-bit pattern; count it when it did not fit. */
static uint64_t
fit(int64_t v, unsigned bw, size_t *overflow)
{
    uint64_t pat = (uint64_t)v & sr_mask(bw);
    if (overflow != NULL && sr_fxp_sext(pat, bw) != v)
        (*overflow)++;
    return pat;
}

/* see fastgrnn.h */
size_t
sr_fx_quantise(size_t n, uint64_t *q, const double *x, sr_fx f)
{
    SR_REQUIRE(f.bw >= 1 && f.bw <= 64 && f.s <= 62);
    SR_REQUIRE(n == 0 || (q != NULL && x != NULL));
    const double hi = ldexp(1.0, f.bw - 1); /* 2^(bw-1), exact */
    size_t sat = 0;
    for (size_t i = 0; i < n; i++) {
        SR_REQUIRE(!isnan(x[i]));
        const double v = ldexp(x[i], f.s); /* exact unless it overflows */
        /* round half away from zero: exact for |v| < 2^52 */
        const double r = v >= 0 ? floor(v + 0.5) : -floor(-v + 0.5);
        int64_t iv;
        if (r >= hi) {
            iv = sr_fxp_smax(f.bw);
            sat++;
        } else if (r < -hi) {
            iv = sr_fxp_smin(f.bw);
            sat++;
        } else {
            iv = (int64_t)r;
        }
        q[i] = (uint64_t)iv & sr_mask(f.bw);
    }
    return sat;
}

/* see fastgrnn.h */
double
sr_fx_value(uint64_t q, sr_fx f)
{
    return ldexp((double)sr_fxp_sext(q, f.bw), -(int)f.s);
}

static int
fmt_fail(char *err, size_t errlen, const char *what, const char *detail)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", what, detail);
    return SR_EUSAGE;
}

/* see fastgrnn.h */
int
sr_fastgrnn_fmt_check(const sr_fastgrnn_fmt *f, size_t rW, size_t rU, char *err,
                      size_t errlen)
{
    SR_REQUIRE(f != NULL);
    struct {
        const char *name;
        sr_fx fx;
        int used;
    } v[] = {
        {"x", f->x, 1},      {"W", f->W, !rW},     {"W1", f->W1, !!rW},
        {"W2", f->W2, !!rW}, {"U", f->U, !rU},     {"U1", f->U1, !!rU},
        {"U2", f->U2, !!rU}, {"fc_W", f->fc_W, 1}, {"t", f->t, !!rW},
        {"u", f->u, !!rU},   {"a", f->a, 1},       {"z", f->z, 1},
        {"c", f->c, 1},      {"k", f->k, 1},       {"h", f->h, 1},
    };
    char buf[128];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (!v[i].used)
            continue;
        if (v[i].fx.bw != 16) {
            snprintf(buf, sizeof buf, "bw %u, expected 16", v[i].fx.bw);
            return fmt_fail(err, errlen, v[i].name, buf);
        }
        if (v[i].fx.s > 30) {
            snprintf(buf, sizeof buf, "scale %u, expected 0..30", v[i].fx.s);
            return fmt_fail(err, errlen, v[i].name, buf);
        }
    }
    if (f->logits.bw < 17 || f->logits.bw > 64 || f->logits.s > 62)
        return fmt_fail(err, errlen, "logits",
                        "expected bw 17..64 and scale 0..62");
    if (f->z.s + 1 > f->z.bw || f->c.s + 1 > f->c.bw)
        return fmt_fail(err, errlen, "z/c",
                        "sigmoid and tanh outputs need bw >= scale + 1");
    /* every TR shifts by a non-negative amount */
    struct {
        const char *name;
        int in, out;
        int used;
    } tr[] = {
        {"t (x W1)", f->x.s + f->W1.s, f->t.s, !!rW},
        {"a (t W2)", f->t.s + f->W2.s, f->a.s, !!rW},
        {"a (x W)", f->x.s + f->W.s, f->a.s, !rW},
        {"u (h U1)", f->h.s + f->U1.s, f->u.s, !!rU},
        {"a (u U2)", f->u.s + f->U2.s, f->a.s, !!rU},
        {"a (h U)", f->h.s + f->U.s, f->a.s, !rU},
        {"h (k c)", f->k.s + f->c.s, f->h.s, 1},
        {"logits (h fc_W)", f->h.s + f->fc_W.s, f->logits.s, 1},
    };
    for (size_t i = 0; i < sizeof tr / sizeof tr[0]; i++)
        if (tr[i].used && tr[i].in < tr[i].out) {
            snprintf(buf, sizeof buf,
                     "scale %d exceeds the product's scale %d (no left "
                     "shifts)",
                     tr[i].out, tr[i].in);
            return fmt_fail(err, errlen, tr[i].name, buf);
        }
    return SR_OK;
}

/* see fastgrnn.h */
void
sr_fastgrnn_fx_clear(sr_fastgrnn_fx *q)
{
    if (q == NULL)
        return;
    uint64_t **p[] = {&q->W,  &q->W1,     &q->W2,       &q->U,    &q->U1,
                      &q->U2, &q->b_gate, &q->b_update, &q->fc_W, &q->fc_b};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        free(*p[i]);
        *p[i] = NULL;
    }
    free(q->tab_sig);
    free(q->tab_tnh);
    q->tab_sig = q->tab_tnh = NULL;
}

static uint64_t *
quant_new(const double *x, size_t n, sr_fx f, size_t *sat)
{
    uint64_t *q = malloc((n ? n : 1) * sizeof *q);
    if (q != NULL)
        *sat += sr_fx_quantise(n, q, x, f);
    return q;
}

/* see fastgrnn.h */
int
sr_fastgrnn_fx_init(sr_fastgrnn_fx *q, const sr_fastgrnn_float *p,
                    const sr_fastgrnn_fmt *f, size_t *saturated)
{
    SR_REQUIRE(q != NULL && p != NULL && f != NULL);
    SR_REQUIRE(p->mean == NULL && p->std == NULL);
    SR_REQUIRE(sr_fastgrnn_fmt_check(f, p->rW, p->rU, NULL, 0) == SR_OK);
    memset(q, 0, sizeof *q);
    q->D = p->D, q->H = p->H, q->K = p->K, q->T = p->T;
    q->rW = p->rW, q->rU = p->rU;
    q->f = *f;
    const size_t D = p->D, H = p->H, K = p->K;
    size_t sat = 0;
    int bad = 0;
    if (p->rW) {
        bad |= !(q->W1 = quant_new(p->W1, D * p->rW, f->W1, &sat));
        bad |= !(q->W2 = quant_new(p->W2, p->rW * H, f->W2, &sat));
    } else {
        bad |= !(q->W = quant_new(p->W, D * H, f->W, &sat));
    }
    if (p->rU) {
        bad |= !(q->U1 = quant_new(p->U1, H * p->rU, f->U1, &sat));
        bad |= !(q->U2 = quant_new(p->U2, p->rU * H, f->U2, &sat));
    } else {
        bad |= !(q->U = quant_new(p->U, H * H, f->U, &sat));
    }
    bad |= !(q->b_gate = quant_new(p->b_gate, H, f->a, &sat));
    bad |= !(q->b_update = quant_new(p->b_update, H, f->a, &sat));
    bad |= !(q->fc_W = quant_new(p->fc_W, H * K, f->fc_W, &sat));
    bad |= !(q->fc_b = quant_new(p->fc_b, K, f->logits, &sat));
    /* sigma as the float model evaluates it */
    const double sz = 0.5 * (1.0 + tanh(0.5 * p->zeta));
    const double sn = 0.5 * (1.0 + tanh(0.5 * p->nu));
    const double k[2] = {sz, sz + sn};
    uint64_t kq[2];
    sat += sr_fx_quantise(2, kq, k, f->k);
    q->k2 = kq[0];
    q->k1 = kq[1];
    q->tab_sig = malloc(sizeof *q->tab_sig);
    q->tab_tnh = malloc(sizeof *q->tab_tnh);
    if (bad || q->tab_sig == NULL || q->tab_tnh == NULL) {
        sr_fastgrnn_fx_clear(q);
        return SR_ENOMEM;
    }
    sr_math_plan_make(&q->sig, SR_MATH_SIGMOID, f->z, f->a, NULL);
    sr_math_tab_fill(q->tab_sig, &q->sig);
    sr_math_plan_make(&q->tnh, SR_MATH_TANH, f->c, f->a, NULL);
    sr_math_tab_fill(q->tab_tnh, &q->tnh);
    if (saturated != NULL)
        *saturated = sat;
    return SR_OK;
}

/*
 * out[r*c + j] = RTR(sum_i X[r*d + i] M[i*c + j], k), exact, for rows
 * r < n: the twin of sr_matmul_known followed by the rounding TR by k
 * (before the reduction, which the caller does).  X holds exact int64 values, M
 * patterns of bw_m bits.
 */
static void
matmul_tr(size_t n, size_t d, size_t c, int64_t *out, const int64_t *X,
          const uint64_t *M, unsigned bw_m, unsigned k, int64_t *acc)
{
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < c; j++)
            acc[j] = 0;
        for (size_t i = 0; i < d; i++) {
            const int64_t xi = X[r * d + i];
            const uint64_t *row = M + i * c;
            for (size_t j = 0; j < c; j++)
                acc[j] += xi * sr_fxp_sext(row[j], bw_m);
        }
        for (size_t j = 0; j < c; j++)
            out[r * c + j] = round_shift(acc[j], k);
    }
}

/* Reduce n exact values to 16-bit signed integers (as the pattern reads). */
static void
fit16(size_t n, int64_t *v, size_t *overflow)
{
    for (size_t i = 0; i < n; i++)
        v[i] = sr_fxp_sext(fit(v[i], 16, overflow), 16);
}

/* see fastgrnn.h */
int
sr_fastgrnn_fx_logits(const sr_fastgrnn_fx *q, size_t B, uint64_t *logits,
                      const uint64_t *x, sr_fastgrnn_fx_stats *stats)
{
    SR_REQUIRE(q != NULL && q->tab_sig != NULL && q->tab_tnh != NULL);
    SR_REQUIRE(B == 0 || (logits != NULL && x != NULL));
    const size_t D = q->D, H = q->H, K = q->K, T = q->T;
    const size_t rW = q->rW, rU = q->rU;
    const sr_fastgrnn_fmt *f = &q->f;
    sr_fastgrnn_fx_stats st;
    memset(&st, 0, sizeof st);
    if (B == 0) {
        if (stats != NULL)
            *stats = st;
        return SR_OK;
    }
    const size_t BT = B * T, wide = H > K ? H : K;
    const size_t mid = (rW > rU ? rW : rU) + 1;
    /* xs [BT*D], tw [BT*rW], p [BT*H], h, u, m..: per-step buffers */
    const size_t nbuf = BT * D + BT * (rW ? rW : 1) + BT * H + B * H * 6 +
                        B * mid + wide + mid + B * K;
    int64_t *buf = malloc(nbuf * sizeof *buf);
    uint64_t *pat = malloc(B * H * 4 * sizeof *pat);
    if (buf == NULL || pat == NULL) {
        free(buf);
        free(pat);
        return SR_ENOMEM;
    }
    int64_t *xs = buf, *tw = xs + BT * D, *p = tw + BT * (rW ? rW : 1);
    int64_t *h = p + BT * H, *qq = h + B * H, *z = qq + B * H;
    int64_t *c = z + B * H, *v = c + B * H, *m = v + B * H;
    int64_t *u = m + B * H, *acc = u + B * mid, *lo = acc + wide + mid;
    uint64_t *g = pat, *e = g + B * H, *zp = e + B * H, *cp = zp + B * H;

    /* 0. the client's quantised inputs, as integers */
    for (size_t i = 0; i < BT * D; i++)
        xs[i] = sr_fxp_sext(x[i], f->x.bw);

    /* 1. hoisted input projection for all B*T rows */
    if (rW) {
        matmul_tr(BT, D, rW, tw, xs, q->W1, 16, f->x.s + f->W1.s - f->t.s, acc);
        fit16(BT * rW, tw, &st.t);
        matmul_tr(BT, rW, H, p, tw, q->W2, 16, f->t.s + f->W2.s - f->a.s, acc);
    } else {
        matmul_tr(BT, D, H, p, xs, q->W, 16, f->x.s + f->W.s - f->a.s, acc);
    }

    const unsigned sh_m = f->k.s + f->c.s - f->h.s;
    const int64_t k1 = sr_fxp_sext(q->k1, 16), k2 = sr_fxp_sext(q->k2, 16);
    for (size_t i = 0; i < B * H; i++)
        h[i] = 0;
    for (size_t t = 0; t < T; t++) {
        /* 2. recurrent projection of the B states */
        if (rU) {
            matmul_tr(B, H, rU, u, h, q->U1, 16, f->h.s + f->U1.s - f->u.s,
                      acc);
            fit16(B * rU, u, &st.u);
            matmul_tr(B, rU, H, qq, u, q->U2, 16, f->u.s + f->U2.s - f->a.s,
                      acc);
        } else {
            matmul_tr(B, H, H, qq, h, q->U, 16, f->h.s + f->U.s - f->a.s, acc);
        }
        /* 3. pre-activations (the server adds the biases) */
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < H; j++) {
                const int64_t s = p[(b * T + t) * H + j] + qq[b * H + j];
                g[b * H + j] =
                    fit(s + sr_fxp_sext(q->b_gate[j], 16), 16, &st.a);
                e[b * H + j] =
                    fit(s + sr_fxp_sext(q->b_update[j], 16), 16, &st.a);
            }
        /* 4. nonlinearities (math twins) */
        sr_math_plain_run(&q->sig, q->tab_sig, B * H, zp, g);
        sr_math_plain_run(&q->tnh, q->tab_tnh, B * H, cp, e);
        for (size_t i = 0; i < B * H; i++) {
            z[i] = sr_fxp_sext(zp[i], f->z.bw);
            c[i] = sr_fxp_sext(cp[i], f->c.bw);
        }
        /* 5-7. m2 = TR(k2 c), m1 = TR(k1 c); v = h - m2;
         * h = TR(z v, s_z) + m1 */
        for (size_t i = 0; i < B * H; i++) {
            const int64_t m2 = round_shift(k2 * c[i], sh_m);
            const int64_t m1 = round_shift(k1 * c[i], sh_m);
            v[i] = sr_fxp_sext(fit(h[i] - m2, 16, &st.v), 16);
            m[i] = m1;
        }
        for (size_t i = 0; i < B * H; i++) {
            const int64_t zv = round_shift(z[i] * v[i], f->z.s);
            h[i] = sr_fxp_sext(fit(zv + m[i], 16, &st.h), 16);
        }
    }
    /* 8. classifier */
    matmul_tr(B, H, K, lo, h, q->fc_W, 16, f->h.s + f->fc_W.s - f->logits.s,
              acc);
    for (size_t b = 0; b < B; b++)
        for (size_t k = 0; k < K; k++)
            logits[b * K + k] =
                fit(lo[b * K + k] + sr_fxp_sext(q->fc_b[k], f->logits.bw),
                    f->logits.bw, &st.logits);
    free(pat);
    free(buf);
    if (stats != NULL)
        *stats = st;
    return SR_OK;
}

/* see fastgrnn.h */
void
sr_fastgrnn_fx_argmax(size_t B, size_t K, long *pred, const uint64_t *logits,
                      unsigned bw)
{
    SR_REQUIRE(B == 0 || (pred != NULL && logits != NULL && K > 0));
    for (size_t b = 0; b < B; b++) {
        size_t best = 0;
        int64_t bv = sr_fxp_sext(logits[b * K], bw);
        for (size_t k = 1; k < K; k++) {
            const int64_t v = sr_fxp_sext(logits[b * K + k], bw);
            if (v > bv) {
                bv = v;
                best = k;
            }
        }
        pred[b] = (long)best;
    }
}
