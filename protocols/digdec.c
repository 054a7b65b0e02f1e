/*
 * protocols/digdec.c -- digit decomposition (SIRNN Algorithm 6).
 *
 * With x_b = sum_i y_(b,i) 2^(i d), digit i of x is
 * y_(A,i) + y_(B,i) + carry_i mod 2^(d_i), where carry_i is the carry out
 * of the lower i digits of x_A + x_B.  Per digit, w = [y_A + y_B >= 2^d]
 * and e = [y_A + y_B = 2^d - 1]; the carry ripples as
 * carry_(i+1) = w_i XOR (e_i AND carry_i) (w and e exclude each other).
 */
#include "protocols/digdec.h"

#include <string.h>

#include "protocols/and.h"
#include "protocols/b2a.h"
#include "protocols/internal.h"
#include "protocols/mill.h"

/*
 * The carries are the prefix "generate" bits of the digit pairs
 * (G_i, P_i) = (w_i, e_i), combined as (G, P)_hi o (G, P)_lo =
 * (G_hi XOR P_hi G_lo, P_hi P_lo) (the XOR is exact: G and P of a range
 * exclude each other).  A plan is a list of steps; in a step every
 * listed digit hi absorbs the range ending at lo (all ANDs of a step in
 * one exchange), and keeps its P only if it is combined again.
 *   prefix (d > 6): Sklansky over the m = c - 1 lower digits, at level s
 *     every i with bit s set absorbs lo = (i with bits 0..s-1 cleared) - 1
 *     (P kept when the block does not start at digit 0): ceil(log2 m)
 *     steps.
 *   ripple (d <= 6): step i absorbs i - 1 (G only): m - 1 steps, the
 *     fewest ANDs (the paper's and the reference's structure).
 */
struct dd_step {
    unsigned cnt;
    uint8_t hi[64], lo[64], np[64];
};

struct dd_plan {
    unsigned nsteps;
    int prefix;
    struct dd_step st[64];
};

static void
dd_plan_make(struct dd_plan *P, unsigned bw, unsigned d)
{
    const unsigned m = sr_digdec_count(bw, d) - 1;
    P->nsteps = 0;
    P->prefix = d > SR_MILL_LEAF_MAX;
    if (P->prefix) {
        for (unsigned s = 0; ((unsigned)1 << s) < m; s++) {
            struct dd_step *t = &P->st[P->nsteps++];
            t->cnt = 0;
            for (unsigned i = 0; i < m; i++)
                if (i >> s & 1) {
                    t->hi[t->cnt] = (uint8_t)i;
                    t->lo[t->cnt] = (uint8_t)((i >> s << s) - 1);
                    t->np[t->cnt++] = i >> (s + 1) != 0;
                }
        }
    } else {
        for (unsigned i = 1; i < m; i++) {
            struct dd_step *t = &P->st[P->nsteps++];
            t->cnt = 1;
            t->hi[0] = (uint8_t)i;
            t->lo[0] = (uint8_t)(i - 1);
            t->np[0] = 0;
        }
    }
}

/* ANDs per element of a step. */
static size_t
dd_step_ands(const struct dd_step *t)
{
    size_t k = 0;
    for (unsigned q = 0; q < t->cnt; q++)
        k += 1 + t->np[q];
    return k;
}

/* see digdec.h */
size_t
sr_digdec_ands(unsigned bw, unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= 64);
    struct dd_plan P;
    dd_plan_make(&P, bw, d);
    size_t k = 0;
    for (unsigned v = 0; v < P.nsteps; v++)
        k += dd_step_ands(&P.st[v]);
    return k;
}

/* see digdec.h */
unsigned
sr_digdec_carry_rounds(unsigned bw, unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= 64);
    struct dd_plan P;
    dd_plan_make(&P, bw, d);
    if (P.prefix) /* triples from the Mill&Eq call */
        return P.nsteps;
    return P.nsteps > 2 ? 2 + P.nsteps : 2 * P.nsteps;
}

/*
 * One step on n elements: g, p digit-major (m rows of n).  With triples
 * (ta != NULL): Beaver ANDs (1 round); else sr_and (2 rounds).
 * gx, gy, gz: scratch of dd_step_ands(t) n bytes.
 */
static int
dd_step_run(sr_lane *L, size_t n, const struct dd_step *t, uint8_t *g,
            uint8_t *p, uint8_t *gx, uint8_t *gy, uint8_t *gz,
            const uint8_t *ta, const uint8_t *tb, const uint8_t *tc)
{
    size_t k = 0;
    for (unsigned q = 0; q < t->cnt; q++) {
        const size_t hi = (size_t)t->hi[q] * n, lo = (size_t)t->lo[q] * n;
        memcpy(gx + k, p + hi, n);
        memcpy(gy + k, g + lo, n);
        k += n;
        if (t->np[q]) {
            memcpy(gx + k, p + hi, n);
            memcpy(gy + k, p + lo, n);
            k += n;
        }
    }
    int rc;
    if (ta != NULL)
        /* A <-> B: e, f bits of the step's k ANDs */
        rc = sr_and_with_triples(L, k, gz, gx, gy, ta, tb, tc);
    else
        /* B -> A: e, f and code words; A -> B: rows, e, f (sr_and) */
        rc = sr_and(L, k, gz, gx, gy);
    if (rc != SR_OK)
        return rc;
    k = 0;
    for (unsigned q = 0; q < t->cnt; q++) {
        uint8_t *gi = g + (size_t)t->hi[q] * n;
        for (size_t j = 0; j < n; j++)
            gi[j] ^= gz[k + j];
        k += n;
        if (t->np[q]) {
            memcpy(p + (size_t)t->hi[q] * n, gz + k, n);
            k += n;
        }
    }
    return SR_OK;
}

/* sr_digdec, with xk extra triples from the Mill&Eq call (xk > 0 only
 * for prefix plans with c >= 2, see internal.h). */
static int
digdec_run(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x, unsigned bw,
           unsigned d, size_t xk, uint8_t *xa, uint8_t *xb, uint8_t *xc)
{
    const unsigned c = sr_digdec_count(bw, d);
    const unsigned dl = bw - (c - 1) * d; /* last digit width */
    const uint64_t md = sr_mask(d), ml = sr_mask(dl);
    if (n == 0)
        return SR_OK;
    /* local digit parts */
    for (unsigned i = 0; i < c; i++)
        for (size_t j = 0; j < n; j++)
            z[i * n + j] = (x[j] >> (i * d)) & (i == c - 1 ? ml : md);
    if (c == 1)
        return SR_OK;

    const unsigned m = c - 1;
    const size_t nl = (size_t)m * n; /* lower digits */
    struct dd_plan P;
    dd_plan_make(&P, bw, d);
    size_t A = 0, maxk = 0;
    for (unsigned v = 0; v < P.nsteps; v++) {
        size_t a = dd_step_ands(&P.st[v]);
        A += a;
        maxk = a > maxk ? a : maxk;
    }
    /* Triples: from the Mill&Eq's 1-of-16 call (prefix plans, d > 6), or
     * from their own OT when that saves rounds (more than 2 steps). */
    const int mill_tr = P.prefix, own_tr = !P.prefix && P.nsteps > 2;
    const size_t tk = mill_tr || own_tr ? A * n + xk : 0;
    uint64_t *t = sr_scratch_u64(L, nl);
    uint8_t *w = sr_scratch_u8(L, nl);
    uint8_t *e = sr_scratch_u8(L, nl);
    uint8_t *tr = sr_scratch_u8(L, 3 * tk + 3 * maxk * n + 1);
    uint64_t *ua = sr_scratch_u64(L, nl);
    int rc = SR_ENOMEM;
    if (t == NULL || w == NULL || e == NULL || tr == NULL || ua == NULL)
        goto out;
    uint8_t *ta = tr, *tb = ta + tk, *tc = tb + tk, *gx = tc + tk;
    uint8_t *gy = gx + maxk * n, *gz = gy + maxk * n;

    /* 1. (w_i, e_i) for the c - 1 lower digits in one Mill&Eq (with the
     * carry steps' triples riding on its OT for prefix plans). */
    for (size_t q = 0; q < nl; q++)
        t[q] = L->role == SR_ALICE ? z[q] : (md - z[q]) & md;
    if (mill_tr && tk > 0)
        rc = sr_mill_eq_triples(L, nl, w, e, t, d, tk, ta, tb, tc);
    else
        rc = sr_mill_eq(L, nl, w, e, t, d);
    if (rc == SR_OK && xk > 0) {
        memcpy(xa, ta + A * n, xk);
        memcpy(xb, tb + A * n, xk);
        memcpy(xc, tc + A * n, xk);
    }
    if (rc == SR_OK && own_tr)
        rc = sr_triples(L, tk, ta, tb, tc);
    if (rc != SR_OK)
        goto out;

    /* 2. Carries u_(i+1) = G[0..i], in place in w. */
    size_t off = 0;
    for (unsigned v = 0; v < P.nsteps && rc == SR_OK; v++) {
        rc = dd_step_run(L, n, &P.st[v], w, e, gx, gy, gz,
                         tk ? ta + off : NULL, tk ? tb + off : NULL,
                         tk ? tc + off : NULL);
        off += dd_step_ands(&P.st[v]) * n;
    }
    if (rc != SR_OK)
        goto out;

    /* 3. B2A of all c - 1 carries at width d in one COT call (the last
     * digit's is reduced to its width dl <= d). */
    rc = sr_b2a(L, nl, ua, w, d);
    if (rc != SR_OK)
        goto out;
    for (unsigned i = 1; i < c; i++)
        for (size_t j = 0; j < n; j++)
            z[i * n + j] = (z[i * n + j] + ua[(size_t)(i - 1) * n + j]) &
                           (i == c - 1 ? ml : md);
out:
    sr_scratch_release(L, ua);
    sr_scratch_release(L, tr);
    sr_scratch_release(L, e);
    sr_scratch_release(L, w);
    sr_scratch_release(L, t);
    return rc;
}

/* see digdec.h */
int
sr_digdec(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x, unsigned bw,
          unsigned d)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d >= 1 && d <= 64);
    SR_REQUIRE(n == 0 || (z != NULL && x != NULL));
    return digdec_run(L, n, z, x, bw, d, 0, NULL, NULL, NULL);
}

/* see internal.h */
int
sr_digdec_triples(sr_lane *L, size_t n, uint64_t *z, const uint64_t *x,
                  unsigned bw, unsigned d, size_t k, uint8_t *a, uint8_t *b,
                  uint8_t *c)
{
    SR_REQUIRE(bw >= 1 && bw <= 64 && d > SR_MILL_LEAF_MAX && d <= 64);
    SR_REQUIRE(sr_digdec_count(bw, d) >= 2);
    SR_REQUIRE(n > 0 && z != NULL && x != NULL);
    SR_REQUIRE(k == 0 || (a != NULL && b != NULL && c != NULL));
    return digdec_run(L, n, z, x, bw, d, k, a, b, c);
}
