/*
 * math/secure_div.c -- secure division (math/div.h): the step-by-step
 * mirror of div_one in math/mathfn_plain.c on shares.
 */
#include "math/secure_internal.h"

#include <stdlib.h>

#include "protocols/b2a.h"
#include "protocols/mill.h"
#include "protocols/msnzb.h"
#include "protocols/mult.h"
#include "protocols/mux.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

static int
div_run(sr_lane *L, const sr_div_plan *D, const sr_math_tab *T,
        const uint64_t *Ptab, size_t n, uint64_t *y, const uint64_t *num,
        const uint64_t *den)
{
    const sr_math_plan *R = &D->R;
    unsigned nk = R->nk, wP = D->wP, wb2a = nk + 1 > wP ? nk + 1 : wP;
    sr_math_work w;
    int rc = sr_math_work_get(L, &w, n, 2);
    if (rc != SR_OK)
        return rc;
    uint8_t *h = sr_scratch_u8(L, n * nk), *o = sr_scratch_u8(L, 2 * n);
    uint64_t *ha = sr_scratch_u64(L, n * nk);
    if (h == NULL || o == NULL || ha == NULL) {
        sr_scratch_release(L, ha);
        sr_scratch_release(L, o);
        sr_scratch_release(L, h);
        sr_math_work_put(L, &w);
        return SR_ENOMEM;
    }
    uint64_t *adj = w.dig, *P = w.dig + n, *m = w.e, *v = w.e + n;
    /* 1. one-hot, m, r_full */
    for (size_t k = 0; k < n; k++)
        m[k] = den[k] & sr_mask(nk);
    rc = sr_msnzb(L, n, h, m, nk, 8);
    if (rc == SR_OK)
        rc = sr_b2a(L, n * nk, ha, h, wb2a);
    for (size_t i = 0; i < n && rc == SR_OK; i++) {
        uint64_t a = 0, p = 0;
        for (unsigned k = 0; k < nk; k++) {
            a += ha[i * nk + k] << (nk - 1 - k);
            p += ha[i * nk + k] * Ptab[k];
        }
        adj[i] = a & sr_mask(nk + 1);
        P[i] = p & sr_mask(wP);
    }
    if (rc == SR_OK)
        rc = sr_mult_msb(L, n, m, den, adj, w.zero, w.zero, D->fd.bw, nk + 1,
                         nk, PUB0);
    uint64_t *r = w.t1;
    if (rc == SR_OK)
        rc = sr_math_segment_run(L, R, T, n, &w, r, m, nk, NULL);
    /* 2. r = RN(r_full) at s_r */
    unsigned s2 = R->S - D->s_r;
    sr_share_add_const(L, n, r, r, pow2(s2 - 1), R->W);
    if (rc == SR_OK)
        rc = sr_trunc_reduce(L, n, r, r, R->W, s2);
    /* 3. t = num * r; 4. v = RN(t P / 2^sh) */
    unsigned wp = D->w_t + wP;
    if (rc == SR_OK)
        rc = sr_mult(L, n, v, num, r, D->fn.bw, D->w_r, D->w_t,
                     SR_MULT_SIGNED_A);
    if (rc == SR_OK)
        rc = sr_mult(L, n, v, v, P, D->w_t, wP, wp, SR_MULT_SIGNED_A);
    if (rc == SR_OK && D->sh > 0) {
        sr_share_add_const(L, n, v, v, pow2(D->sh - 1), wp);
        rc = sr_trunc_reduce(L, n, v, v, wp, D->sh);
    }
    /* 5. clamp: o_hi = NOT MSB(v - max - 1), o_lo = MSB(v - min) */
    unsigned wv = D->w_v, bwy = D->fy.bw;
    uint64_t hi = (uint64_t)sr_fxp_smax(bwy), lo = (uint64_t)sr_fxp_smin(bwy);
    uint64_t *c = w.t2;
    for (size_t k = 0; k < n && rc == SR_OK; k++) {
        c[k] = v[k];
        w.t3[k] = v[k];
    }
    sr_share_add_const(L, n, c, c, (uint64_t)0 - hi - 1, wv);
    sr_share_add_const(L, n, w.t3, w.t3, (uint64_t)0 - lo, wv);
    if (rc == SR_OK)
        rc = sr_msb(L, n, o, c, wv);
    if (rc == SR_OK)
        rc = sr_msb(L, n, o + n, w.t3, wv);
    sr_bits_xor_const(L, n, o, o, 1);
    /* y = v + o_hi (max - v) + o_lo (min - v) */
    sr_share_neg(n, c, v, wv);
    sr_share_add_const(L, n, c, c, hi, wv);
    sr_share_neg(n, w.t3, v, wv);
    sr_share_add_const(L, n, w.t3, w.t3, lo, wv);
    if (rc == SR_OK)
        rc = sr_mux(L, n, c, o, c, wv);
    if (rc == SR_OK)
        rc = sr_mux(L, n, w.t3, o + n, w.t3, wv);
    for (size_t k = 0; k < n && rc == SR_OK; k++)
        y[k] = (v[k] + c[k] + w.t3[k]) & sr_mask(bwy);
    sr_scratch_release(L, ha);
    sr_scratch_release(L, o);
    sr_scratch_release(L, h);
    sr_math_work_put(L, &w);
    return rc;
}

/* see div.h */
int
sr_div(sr_lane *L, size_t n, uint64_t *y, sr_fx fy, const uint64_t *num,
       sr_fx fn, const uint64_t *den, sr_fx fd)
{
    SR_REQUIRE(L != NULL);
    SR_REQUIRE(n == 0 || (y != NULL && num != NULL && den != NULL));
    sr_div_plan D;
    sr_div_plan_make(&D, fy, fn, fd, NULL);
    if (n == 0)
        return SR_OK;
    sr_math_tab *T = malloc(sizeof *T);
    if (T == NULL)
        return SR_ENOMEM;
    uint64_t Pk[64];
    sr_div_tab_fill(T, Pk, &D);
    int rc = div_run(L, &D, T, Pk, n, y, num, den);
    free(T);
    return rc;
}
