/*
 * layers/fastgrnn_float.c -- float FastGRNN forward pass (see
 * fastgrnn_float.h).
 */
#include "layers/fastgrnn_float.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double
sigm(double v)
{
    return 0.5 * (1.0 + tanh(0.5 * v));
}

/* y[0..c) = x[0..r) M with M row-major [r,c]; y must not overlap x. */
static void
vecmat(double *y, const double *x, const double *M, size_t r, size_t c)
{
    for (size_t j = 0; j < c; j++)
        y[j] = 0.0;
    for (size_t i = 0; i < r; i++) {
        const double xi = x[i];
        const double *row = M + i * c;
        for (size_t j = 0; j < c; j++)
            y[j] += xi * row[j];
    }
}

/* see fastgrnn_float.h */
int
sr_fastgrnn_float_logits(const sr_fastgrnn_float *p, size_t B, double *logits,
                         const double *x)
{
    SR_REQUIRE(p != NULL);
    SR_REQUIRE(p->D > 0 && p->H > 0 && p->K > 0 && p->T > 0);
    SR_REQUIRE(B == 0 || (logits != NULL && x != NULL));
    SR_REQUIRE(p->rW ? (p->W1 && p->W2) : p->W != NULL);
    SR_REQUIRE(p->rU ? (p->U1 && p->U2) : p->U != NULL);
    SR_REQUIRE(p->b_gate && p->b_update && p->fc_W && p->fc_b);
    SR_REQUIRE((p->mean == NULL) == (p->std == NULL));

    const size_t D = p->D, H = p->H, K = p->K, T = p->T;
    const size_t r = p->rW > p->rU ? p->rW : p->rU;
    /* h, a, tmp (H each), xn (D), low-rank intermediate (r) */
    double *buf = malloc((3 * H + D + r + 1) * sizeof(double));
    if (buf == NULL)
        return SR_ENOMEM;
    double *h = buf, *a = h + H, *tmp = a + H, *xn = tmp + H, *mid = xn + D;
    const double sz = sigm(p->zeta), sn = sigm(p->nu);

    for (size_t b = 0; b < B; b++) {
        memset(h, 0, H * sizeof(double));
        for (size_t t = 0; t < T; t++) {
            const double *xt = x + (b * T + t) * D;
            for (size_t d = 0; d < D; d++)
                xn[d] = p->mean ? (xt[d] - p->mean[d]) / p->std[d] : xt[d];
            if (p->rW) {
                vecmat(mid, xn, p->W1, D, p->rW);
                vecmat(a, mid, p->W2, p->rW, H);
            } else {
                vecmat(a, xn, p->W, D, H);
            }
            if (p->rU) {
                vecmat(mid, h, p->U1, H, p->rU);
                vecmat(tmp, mid, p->U2, p->rU, H);
            } else {
                vecmat(tmp, h, p->U, H, H);
            }
            for (size_t j = 0; j < H; j++) {
                const double aj = a[j] + tmp[j];
                const double z = sigm(aj + p->b_gate[j]);
                const double c = tanh(aj + p->b_update[j]);
                h[j] = z * h[j] + (sz * (1.0 - z) + sn) * c;
            }
        }
        double *out = logits + b * K;
        vecmat(out, h, p->fc_W, H, K);
        for (size_t k = 0; k < K; k++)
            out[k] += p->fc_b[k];
    }
    free(buf);
    return SR_OK;
}

/* see fastgrnn_float.h */
void
sr_fastgrnn_float_argmax(size_t B, size_t K, long *pred, const double *logits)
{
    SR_REQUIRE(K > 0 && (B == 0 || (pred != NULL && logits != NULL)));
    for (size_t b = 0; b < B; b++) {
        const double *l = logits + b * K;
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (l[k] > l[best] || (isnan(l[best]) && !isnan(l[k])))
                best = k;
        pred[b] = (long)best;
    }
}
