/*
 * layers/rnnpool_secure.c -- the secure RNNPool layer (see
 * rnnpool_secure.h).
 */
#include "layers/rnnpool_secure.h"

#include <stdlib.h>
#include <string.h>

#include "math/secure.h"
#include "protocols/ext.h"
#include "protocols/matmul.h"
#include "protocols/mult.h"
#include "protocols/trunc.h"

#define KNOWN_FLAGS (SR_KNOWN_BY_SERVER | SR_MULT_SIGNED_A | SR_MULT_SIGNED_B)

static unsigned
ceil_log2(size_t v)
{
    unsigned e = 0;
    while (((size_t)1 << e) < v)
        e++;
    return e;
}

/* see rnnpool_secure.h */
sr_rnnpool_pub
sr_rnnpool_pub_of(const sr_rnnpool_fx *q)
{
    sr_rnnpool_pub p = {.rows = q->rows,
                        .cin = q->rnn1.in,
                        .h1 = q->rnn1.hid,
                        .h2 = q->rnn2.hid,
                        .f = q->f};
    return p;
}

/* see rnnpool_secure.h */
int
sr_rnnpool_sec_init(sr_rnnpool_sec *S, const sr_rnnpool_pub *pub)
{
    SR_REQUIRE(S != NULL && pub != NULL && pub->rows >= 1);
    SR_REQUIRE(pub->cin >= 1 && pub->h1 >= 1 && pub->h2 >= 1);
    const sr_rnnpool_fmt *f = &pub->f;
    SR_REQUIRE(f->x.bw == 16 && f->h.bw == 16 && f->a.bw == 16);
    SR_REQUIRE(f->z.bw + 16 <= 64 && f->k.bw + f->c.bw <= 64);
    memset(S, 0, sizeof *S);
    S->pub = *pub;
    S->tab_sig = malloc(sizeof *S->tab_sig);
    S->tab_tnh = malloc(sizeof *S->tab_tnh);
    if (S->tab_sig == NULL || S->tab_tnh == NULL) {
        sr_rnnpool_sec_clear(S);
        return SR_ENOMEM;
    }
    /* the twin's plans (sr_rnnpool_fx_init), from the formats alone */
    sr_math_plan_make(&S->sig, SR_MATH_SIGMOID, f->z, f->a, NULL);
    sr_math_tab_fill(S->tab_sig, &S->sig);
    sr_math_plan_make(&S->tnh, SR_MATH_TANH, f->c, f->a, NULL);
    sr_math_tab_fill(S->tab_tnh, &S->tnh);
    return SR_OK;
}

/* see rnnpool_secure.h */
void
sr_rnnpool_sec_clear(sr_rnnpool_sec *S)
{
    if (S == NULL)
        return;
    free(S->tab_sig);
    free(S->tab_tnh);
    memset(S, 0, sizeof *S);
}

/*
 * a (n shares over acc bits, a signed value) -> TR by s, then the 16-bit
 * pattern of the result: the local reduction when acc - s >= 16, else a
 * sign extension (the value fits acc - s bits).
 */
static int
tr_to16(sr_lane *L, size_t n, uint64_t *a, unsigned acc, unsigned s)
{
    int rc = sr_trunc_reduce(L, n, a, a, acc, s);
    const unsigned tb = acc - s;
    if (rc != SR_OK)
        return rc;
    if (tb < 16)
        return sr_ext_signed(L, n, a, a, NULL, tb, 16, SR_MSB_NONE);
    for (size_t i = 0; i < n; i++)
        a[i] &= sr_mask(16);
    return SR_OK;
}

/* A cell's server-side data as shares-ready patterns (NULL on the client). */
typedef struct cell_known {
    const uint64_t *W, *U;            /* masked weight patterns */
    const int64_t *b_gate, *b_update; /* f.a */
    int64_t k1, k2;
} cell_known;

/*
 * One secure cell step (rnnpool_secure.h, steps 1-7) on Sn sequences:
 * h [Sn][hid] (16-bit shares) updated from xt [Sn][in] (fin).  ck is NULL
 * on the client.
 */
static int
cell_step(sr_lane *L, const sr_rnnpool_sec *S, const cell_known *ck, size_t in,
          size_t hid, sr_fx fin, sr_fx fW, sr_fx fU, size_t Sn, uint64_t *h,
          const uint64_t *xt)
{
    const sr_rnnpool_fmt *f = &S->pub.f;
    const size_t SH = Sn * hid;
    const unsigned shp = fin.s + fW.s - f->a.s, shq = f->h.s + fU.s - f->a.s;
    const unsigned shm = f->k.s + f->c.s - f->h.s;
    const unsigned acc1 = fin.bw + fW.bw + ceil_log2(in);
    const unsigned acc2 = f->h.bw + fU.bw + ceil_log2(hid);
    SR_REQUIRE(acc1 <= 64 && acc2 <= 64 && shp < acc1 && shq < acc2);
    uint64_t *buf = sr_scratch_u64(L, 9 * SH);
    uint64_t *kw = sr_scratch_u64(L, ck != NULL ? 2 * SH : 0);
    if (buf == NULL || kw == NULL) {
        sr_scratch_release(L, kw);
        sr_scratch_release(L, buf);
        return SR_ENOMEM;
    }
    uint64_t *P = buf, *Q = P + SH, *g = Q + SH, *e = g + SH, *z = e + SH;
    uint64_t *cc = z + SH, *M = cc + 2 * SH; /* cc: [c, c], M: 2 SH each */
    int rc;

    /* 1-2: the two known products, TR, to 16 bits */
    rc = sr_matmul_known(L, Sn, in, hid, P, ck ? ck->W : NULL, xt, fW.bw,
                         fin.bw, acc1, SR_KNOWN_B | KNOWN_FLAGS);
    if (rc == SR_OK)
        rc = tr_to16(L, SH, P, acc1, shp);
    if (rc == SR_OK)
        rc = sr_matmul_known(L, Sn, hid, hid, Q, ck ? ck->U : NULL, h, fU.bw,
                             f->h.bw, acc2, SR_KNOWN_B | KNOWN_FLAGS);
    if (rc == SR_OK)
        rc = tr_to16(L, SH, Q, acc2, shq);
    if (rc != SR_OK)
        goto out;
    /* 3: pre-activations; the server adds the biases to its share */
    for (size_t s = 0; s < Sn; s++)
        for (size_t u = 0; u < hid; u++) {
            const size_t i = s * hid + u;
            const uint64_t a = P[i] + Q[i];
            g[i] = (a + (ck ? (uint64_t)ck->b_gate[u] : 0)) & sr_mask(16);
            e[i] = (a + (ck ? (uint64_t)ck->b_update[u] : 0)) & sr_mask(16);
        }
    /* 4: the nonlinearities */
    rc = sr_math_run(L, &S->sig, S->tab_sig, SH, z, g);
    if (rc == SR_OK)
        rc = sr_math_run(L, &S->tnh, S->tab_tnh, SH, cc, e);
    if (rc != SR_OK)
        goto out;
    /* 5: [m2, m1] = TR([k2 c, k1 c]) in one known product */
    if (ck != NULL)
        for (size_t i = 0; i < SH; i++) {
            kw[i] = (uint64_t)ck->k2 & sr_mask(f->k.bw);
            kw[SH + i] = (uint64_t)ck->k1 & sr_mask(f->k.bw);
        }
    memcpy(cc + SH, cc, SH * sizeof *cc);
    rc = sr_mult_known(L, 2 * SH, M, ck ? kw : NULL, cc, NULL, f->k.bw, f->c.bw,
                       f->k.bw + f->c.bw, KNOWN_FLAGS);
    if (rc == SR_OK)
        rc = tr_to16(L, 2 * SH, M, f->k.bw + f->c.bw, shm);
    if (rc != SR_OK)
        goto out;
    /* 6: v = h - m2 (into g) */
    for (size_t i = 0; i < SH; i++)
        g[i] = (h[i] - M[i]) & sr_mask(16);
    /* 7: h = TR(z v, s_z) + m1 */
    rc = sr_mult_tr(L, SH, e, z, g, f->z.bw, 16, f->z.bw + 16, f->z.s,
                    SR_MULT_SIGNED);
    if (rc == SR_OK)
        rc = tr_to16(L, SH, e, f->z.bw + 16 - f->z.s, 0);
    if (rc != SR_OK)
        goto out;
    for (size_t i = 0; i < SH; i++)
        h[i] = (e[i] + M[SH + i]) & sr_mask(16);
out:
    sr_scratch_release(L, kw);
    sr_scratch_release(L, buf);
    return rc;
}

/* Masked patterns of a quantised cell's weights, into W and U. */
static void
cell_patterns(const sr_rnnpool_cell_fx *c, sr_fx fW, sr_fx fU, uint64_t *W,
              uint64_t *U, cell_known *ck)
{
    for (size_t i = 0; i < c->in * c->hid; i++)
        W[i] = (uint64_t)c->W[i] & sr_mask(fW.bw);
    for (size_t i = 0; i < c->hid * c->hid; i++)
        U[i] = (uint64_t)c->U[i] & sr_mask(fU.bw);
    ck->W = W;
    ck->U = U;
    ck->b_gate = c->b_gate;
    ck->b_update = c->b_update;
    ck->k1 = c->k1;
    ck->k2 = c->k2;
}

static size_t
px(size_t R, size_t cin, size_t pi, size_t i, size_t j)
{
    return ((pi * R + i) * R + j) * cin;
}

/* see rnnpool_secure.h */
int
sr_rnnpool_secure_patches(sr_lane *L, const sr_rnnpool_sec *S, size_t n,
                          uint64_t *out, const uint64_t *x,
                          const sr_rnnpool_fx *q)
{
    SR_REQUIRE(S != NULL && S->tab_sig != NULL);
    const sr_rnnpool_pub *pb = &S->pub;
    const sr_rnnpool_fmt *f = &pb->f;
    const size_t R = pb->rows, cin = pb->cin, h1 = pb->h1, h2 = pb->h2;
    if (q != NULL)
        SR_REQUIRE(q->rows == R && q->rnn1.in == cin && q->rnn1.hid == h1 &&
                   q->rnn2.in == h1 && q->rnn2.hid == h2);
    if (n == 0)
        return SR_OK;
    const size_t S1 = 2 * n * R, S2 = 4 * n;
    const size_t nw = q != NULL ? cin * h1 + h1 * h1 + h1 * h2 + h2 * h2 : 0;
    uint64_t *wbuf = sr_scratch_u64(L, nw);
    uint64_t *buf = sr_scratch_u64(L, S1 * cin + S1 * h1 + S2 * h1 + S2 * h2);
    if (wbuf == NULL || buf == NULL) {
        sr_scratch_release(L, buf);
        sr_scratch_release(L, wbuf);
        return SR_ENOMEM;
    }
    cell_known k1, k2;
    if (q != NULL) {
        cell_patterns(&q->rnn1, f->W1, f->U1, wbuf, wbuf + cin * h1, &k1);
        uint64_t *w2 = wbuf + cin * h1 + h1 * h1;
        cell_patterns(&q->rnn2, f->W2, f->U2, w2, w2 + h1 * h2, &k2);
    }
    uint64_t *xt = buf, *s1 = xt + S1 * cin, *x2 = s1 + S1 * h1,
             *s2 = x2 + S2 * h1;
    int rc = SR_OK;

    /* RNN1: for every patch, R column sequences then R row sequences */
    memset(s1, 0, sizeof(uint64_t) * S1 * h1);
    for (size_t t = 0; t < R && rc == SR_OK; t++) {
        for (size_t pi = 0; pi < n; pi++)
            for (size_t idx = 0; idx < R; idx++) {
                memcpy(xt + ((pi * 2 + 0) * R + idx) * cin,
                       x + px(R, cin, pi, t, idx), sizeof(uint64_t) * cin);
                memcpy(xt + ((pi * 2 + 1) * R + idx) * cin,
                       x + px(R, cin, pi, idx, t), sizeof(uint64_t) * cin);
            }
        rc = cell_step(L, S, q ? &k1 : NULL, cin, h1, f->x, f->W1, f->U1, S1,
                       s1, xt);
    }
    /* BiRNN2 over the R summaries of each kind, both directions */
    memset(s2, 0, sizeof(uint64_t) * S2 * h2);
    for (size_t t = 0; t < R && rc == SR_OK; t++) {
        for (size_t pk = 0; pk < 2 * n; pk++)
            for (size_t dir = 0; dir < 2; dir++) {
                const size_t idx = dir == 0 ? t : R - 1 - t;
                memcpy(x2 + (pk * 2 + dir) * h1, s1 + (pk * R + idx) * h1,
                       sizeof(uint64_t) * h1);
            }
        rc = cell_step(L, S, q ? &k2 : NULL, h1, h2, f->h, f->W2, f->U2, S2, s2,
                       x2);
    }
    if (rc == SR_OK)
        for (size_t pi = 0; pi < n; pi++)
            for (size_t kind = 0; kind < 2; kind++)
                for (size_t dir = 0; dir < 2; dir++)
                    memcpy(out + pi * 4 * h2 + ((1 - kind) * 2 + dir) * h2,
                           s2 + ((pi * 2 + kind) * 2 + dir) * h2,
                           sizeof(uint64_t) * h2);
    sr_scratch_release(L, buf);
    sr_scratch_release(L, wbuf);
    return rc;
}

/* see rnnpool_secure.h */
int
sr_rnnpool_secure_map(sr_lane *L, const sr_rnnpool_sec *S, uint64_t *out,
                      const uint64_t *x, size_t H, size_t W, size_t stride,
                      const sr_rnnpool_fx *q)
{
    const size_t R = S->pub.rows;
    SR_REQUIRE(stride >= 1 && H >= R && W >= R);
    const size_t N = ((H - R) / stride + 1) * ((W - R) / stride + 1);
    return sr_rnnpool_secure_map_range(L, S, N, out, x, H, W, stride, 0, q);
}

/* see rnnpool_secure.h */
int
sr_rnnpool_secure_map_range(sr_lane *L, const sr_rnnpool_sec *S, size_t n,
                            uint64_t *out, const uint64_t *x, size_t H,
                            size_t W, size_t stride, size_t first,
                            const sr_rnnpool_fx *q)
{
    const size_t R = S->pub.rows, cin = S->pub.cin, F = 4 * S->pub.h2;
    SR_REQUIRE(stride >= 1 && H >= R && W >= R);
    const size_t Wo = (W - R) / stride + 1;
    SR_REQUIRE(first + n <= ((H - R) / stride + 1) * Wo);
    if (n == 0)
        return SR_OK;
    const size_t cap = n < SR_RNNPOOL_CHUNK ? n : SR_RNNPOOL_CHUNK;
    uint64_t *patch = sr_scratch_u64(L, cap * R * R * cin);
    if (patch == NULL)
        return SR_ENOMEM;
    int rc = SR_OK;
    for (size_t done = 0; done < n && rc == SR_OK; done += SR_RNNPOOL_CHUNK) {
        const size_t m = n - done < SR_RNNPOOL_CHUNK ? n - done : SR_RNNPOOL_CHUNK;
        for (size_t k = 0; k < m; k++) {
            const size_t o = first + done + k, oy = o / Wo, ox = o % Wo;
            for (size_t i = 0; i < R; i++)
                memcpy(patch + (k * R + i) * R * cin,
                       x + ((oy * stride + i) * W + ox * stride) * cin,
                       sizeof(uint64_t) * R * cin);
        }
        rc = sr_rnnpool_secure_patches(L, S, m, out + done * F, patch, q);
    }
    sr_scratch_release(L, patch);
    return rc;
}
