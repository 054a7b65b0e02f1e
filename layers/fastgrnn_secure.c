/*
 * layers/fastgrnn_secure.c -- secure FastGRNN (see fastgrnn_secure.h; the
 * block-by-block definition is the twin's, layers/fastgrnn.h).
 *
 * Rounding: every RTR is "Alice adds 2^(k-1), TR by k" on an accumulator
 * wide enough that the exact signed value (and the added half) fits, so
 * the TR output floor((v + 2^(k-1)) / 2^k) mod 2^(lw - k) reduced to the
 * target width equals the twin's round_shift then fit (lw - k >= target
 * width: no sign extension is ever needed).
 */
#include "layers/fastgrnn_secure.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/secure.h"
#include "protocols/matmul.h"
#include "protocols/mill.h"
#include "protocols/mult.h"
#include "protocols/mux.h"
#include "protocols/share.h"
#include "protocols/trunc.h"

static unsigned
clog2(size_t d)
{
    unsigned e = 0;
    while (((size_t)1 << e) < d)
        e++;
    return e;
}

/* Accumulator width of an RTR matmul with inner dimension d. */
static unsigned
acc_width(size_t d, unsigned k, unsigned bw_out)
{
    unsigned lw = 32 + clog2(d);
    return lw < k + bw_out ? k + bw_out : lw;
}

/* see fastgrnn_secure.h */
sr_fastgrnn_pub
sr_fastgrnn_pub_of(const sr_fastgrnn_fx *q)
{
    sr_fastgrnn_pub p;
    memset(&p, 0, sizeof p);
    p.D = q->D, p.H = q->H, p.K = q->K, p.T = q->T;
    p.rW = q->rW, p.rU = q->rU;
    p.f = q->f;
    return p;
}

/* see fastgrnn_secure.h */
int
sr_fastgrnn_secure_check(const sr_fastgrnn_pub *p, char *err, size_t errlen)
{
    SR_REQUIRE(p != NULL);
    int rc = sr_fastgrnn_fmt_check(&p->f, p->rW, p->rU, err, errlen);
    if (rc != SR_OK)
        return rc;
    const sr_fastgrnn_fmt *f = &p->f;
    const char *what = NULL;
    if (p->D == 0 || p->H == 0 || p->K == 0 || p->T == 0)
        what = "dims: every dimension must be >= 1";
    else if (f->z.s > 16)
        what = "z: scale above 16 (the product z v must fit 32 bits)";
    else if (f->logits.bw > 62)
        what = "logits: bw above 62 (the argmax extends by one bit)";
    else if (acc_width(p->H, (unsigned)(f->h.s + f->fc_W.s - f->logits.s),
                       f->logits.bw) > 64)
        what = "logits: the classifier's accumulator exceeds 64 bits";
    else if (f->k.s + f->c.s - f->h.s + 16 > 64)
        what = "h: the gate update's accumulator exceeds 64 bits";
    if (what == NULL)
        return SR_OK;
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", what);
    return SR_EUSAGE;
}

/* see fastgrnn_secure.h */
void
sr_fastgrnn_sec_clear(sr_fastgrnn_sec *S)
{
    if (S == NULL)
        return;
    free(S->tab_sig);
    free(S->tab_tnh);
    S->tab_sig = S->tab_tnh = NULL;
}

/* see fastgrnn_secure.h */
int
sr_fastgrnn_sec_init(sr_fastgrnn_sec *S, const sr_fastgrnn_pub *pub)
{
    SR_REQUIRE(S != NULL && pub != NULL);
    SR_REQUIRE(sr_fastgrnn_secure_check(pub, NULL, 0) == SR_OK);
    memset(S, 0, sizeof *S);
    S->pub = *pub;
    S->tab_sig = malloc(sizeof *S->tab_sig);
    S->tab_tnh = malloc(sizeof *S->tab_tnh);
    if (S->tab_sig == NULL || S->tab_tnh == NULL) {
        sr_fastgrnn_sec_clear(S);
        return SR_ENOMEM;
    }
    /* the twin's plans (sr_fastgrnn_fx_init): same formats, same tables */
    sr_math_plan_make(&S->sig, SR_MATH_SIGMOID, pub->f.z, pub->f.a, NULL);
    sr_math_tab_fill(S->tab_sig, &S->sig);
    sr_math_plan_make(&S->tnh, SR_MATH_TANH, pub->f.c, pub->f.a, NULL);
    sr_math_tab_fill(S->tab_tnh, &S->tnh);
    return SR_OK;
}

static const char *const block_names[SR_FG_NBLOCKS] = {
    "fastgrnn.input",  "fastgrnn.recurrent", "fastgrnn.sigmoid",
    "fastgrnn.tanh",   "fastgrnn.update",    "fastgrnn.classifier",
    "fastgrnn.argmax", "fastgrnn.reveal",
};

/* see fastgrnn_secure.h */
const char *
sr_fastgrnn_block_name(unsigned block)
{
    SR_REQUIRE(block < SR_FG_NBLOCKS);
    return block_names[block];
}

/* ---- per-block statistics --------------------------------------------- */

/* The one-time OT setup (sr_ot_setup, run lazily inside the first
 * block that needs OT) is kept out of the blocks, as in the reports. */
typedef struct mark {
    double t;
    sr_chan_stats st, setup;
    double setup_seconds;
} mark;

static mark
mark_now(const sr_lane *L)
{
    mark m = {sr_now(), sr_lane_stats(L), L->setup, L->setup_seconds};
    return m;
}

static void
mark_add(const sr_lane *L, sr_fastgrnn_stats *stats, unsigned block,
         const mark *m)
{
    if (stats == NULL)
        return;
    const sr_chan_stats st = sr_lane_stats(L), su = L->setup;
    stats->seconds[block] +=
        sr_now() - m->t - (L->setup_seconds - m->setup_seconds);
    stats->bytes[block] += (st.bytes_sent - m->st.bytes_sent) +
                           (st.bytes_recv - m->st.bytes_recv) -
                           (su.bytes_sent - m->setup.bytes_sent) -
                           (su.bytes_recv - m->setup.bytes_recv);
    stats->rounds[block] +=
        (st.rounds - m->st.rounds) - (su.rounds - m->setup.rounds);
}

/* ---- blocks ------------------------------------------------------------ */

/* A server-known vector added to the shares (the server adds it to its
 * own share, no traffic); c is NULL on the client. */
static void
add_known(size_t n, size_t period, uint64_t *y, const uint64_t *c, unsigned bw)
{
    if (c == NULL)
        return;
    const uint64_t mk = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        y[i] = (y[i] + c[i % period]) & mk;
}

/* RTR by k of shares acc over lw bits, then reduce to bw_out bits. */
static int
rtr(sr_lane *L, size_t n, uint64_t *y, uint64_t *acc, unsigned lw, unsigned k,
    unsigned bw_out)
{
    int rc = SR_OK;
    if (k > 0) {
        sr_share_add_const(L, n, acc, acc, (uint64_t)1 << (k - 1), lw);
        rc = sr_trunc_reduce(L, n, acc, acc, lw, k);
    }
    const uint64_t mk = sr_mask(bw_out);
    for (size_t i = 0; i < n; i++)
        y[i] = acc[i] & mk;
    return rc;
}

/*
 * Z [n x c] = RTR(X M, k) reduced to bw_out bits: X shares [n x d] of 16
 * bits, M [d x c] 16-bit weights known to the server (NULL on the
 * client).  Z must not alias X.
 */
static int
known_matmul_rtr(sr_lane *L, size_t n, size_t d, size_t c, uint64_t *Z,
                 const uint64_t *M, const uint64_t *X, unsigned k,
                 unsigned bw_out)
{
    const unsigned lw = acc_width(d, k, bw_out);
    uint64_t *acc = sr_scratch_u64(L, n * c);
    if (acc == NULL)
        return SR_ENOMEM;
    int rc = sr_matmul_known(L, n, d, c, acc, M, X, 16, 16, lw,
                             SR_KNOWN_B | SR_KNOWN_BY_SERVER | SR_MULT_SIGNED);
    if (rc == SR_OK)
        rc = rtr(L, n * c, Z, acc, lw, k, bw_out);
    sr_scratch_release(L, acc);
    return rc;
}

/* The weights of q (NULL on the client, where q is NULL). */
#define QW(q, field) ((q) != NULL ? (q)->field : (const uint64_t *)0)

/*
 * y [n x H] = RTR(X W) (or RTR(RTR(X W1) W2)) in f.a, X [n x d] in format
 * fx; W/W1/W2 as selected by r (0: full rank).
 */
static int
projection(sr_lane *L, size_t n, size_t d, size_t H, size_t r, uint64_t *y,
           const uint64_t *X, const uint64_t *W, const uint64_t *W1,
           const uint64_t *W2, sr_fx fx, sr_fx fW, sr_fx fW1, sr_fx fW2,
           sr_fx fmid, sr_fx fa)
{
    if (r == 0)
        return known_matmul_rtr(L, n, d, H, y, W, X,
                                (unsigned)(fx.s + fW.s - fa.s), 16);
    uint64_t *t = sr_scratch_u64(L, n * r);
    if (t == NULL)
        return SR_ENOMEM;
    int rc = known_matmul_rtr(L, n, d, r, t, W1, X,
                              (unsigned)(fx.s + fW1.s - fmid.s), 16);
    if (rc == SR_OK)
        rc = known_matmul_rtr(L, n, r, H, y, W2, t,
                              (unsigned)(fmid.s + fW2.s - fa.s), 16);
    sr_scratch_release(L, t);
    return rc;
}

/* A step's tanh: after the sigmoid on its lane, or on the second lane of
 * a pair (see fastgrnn_secure.h). */
struct tanh_job {
    sr_lane *L;
    const sr_fastgrnn_sec *S;
    size_t n;
    uint64_t *c;
    const uint64_t *e;
    sr_fastgrnn_stats *stats;
    int paired;
    int rc;
};

static void *
tanh_main(void *arg)
{
    struct tanh_job *j = arg;
    mark mk = mark_now(j->L);
    j->rc = sr_math_run(j->L, &j->S->tnh, j->S->tab_tnh, j->n, j->c, j->e);
    if (j->paired) {
        /* its last message may sit in the lane's send buffer: the next
         * use of the lane is a step away, and the peer waits for it now */
        sr_chan_flush(&j->L->chan);
        if (j->rc == SR_OK)
            j->rc = sr_chan_error(&j->L->chan);
    }
    mark_add(j->L, j->stats, SR_FG_TANH, &mk);
    return NULL;
}

/*
 * z = sigmoid(g) on L, then c = tanh(e): on L after it (L2 == NULL), or
 * on L2 at the same time, in a thread of its own (if none can be started,
 * after the sigmoid here: the two lanes are independent channels).
 */
static int
sig_tanh(sr_lane *L, sr_lane *L2, const sr_fastgrnn_sec *S, size_t n,
         uint64_t *z, const uint64_t *g, uint64_t *c, const uint64_t *e,
         sr_fastgrnn_stats *stats, sr_fastgrnn_stats *stats2)
{
    const int paired = L2 != NULL;
    struct tanh_job j = {paired ? L2 : L,         S,      n,    c, e,
                         paired ? stats2 : stats, paired, SR_OK};
    pthread_t th;
    const int async = paired && pthread_create(&th, NULL, tanh_main, &j) == 0;
    mark mk = mark_now(L);
    int rc = sr_math_run(L, &S->sig, S->tab_sig, n, z, g);
    if (paired) {
        sr_chan_flush(&L->chan); /* before waiting for the other lane */
        if (rc == SR_OK)
            rc = sr_chan_error(&L->chan);
    }
    mark_add(L, stats, SR_FG_SIGMOID, &mk);
    if (async) {
        const int jr = pthread_join(th, NULL); /* a joinable thread: 0 */
        SR_REQUIRE(jr == 0);
    } else if (paired || rc == SR_OK) {
        tanh_main(&j);
    }
    return rc != SR_OK ? rc : j.rc;
}

/* The logits on L; with L2 != NULL every step's tanh runs on L2 (stats2). */
static int
logits_run(sr_lane *L, sr_lane *L2, const sr_fastgrnn_sec *S, size_t B,
           uint64_t *logits, const uint64_t *x, const sr_fastgrnn_fx *q,
           sr_fastgrnn_stats *stats, sr_fastgrnn_stats *stats2)
{
    SR_REQUIRE(L != NULL && S != NULL && S->tab_sig != NULL);
    SR_REQUIRE(B == 0 || (logits != NULL && x != NULL));
    SR_REQUIRE(q == NULL ||
               (q->D == S->pub.D && q->H == S->pub.H && q->K == S->pub.K &&
                q->T == S->pub.T && q->rW == S->pub.rW && q->rU == S->pub.rU));
    if (B == 0)
        return SR_OK;
    const sr_fastgrnn_pub *P = &S->pub;
    const sr_fastgrnn_fmt *f = &P->f;
    const size_t D = P->D, H = P->H, K = P->K, T = P->T, n = B * H;
    const uint64_t m16 = sr_mask(16);

    /* p [B T x H], then per step: h, qq, g, e, z, c, w (2n), mm (2n),
     * cc (2n), v, zv */
    uint64_t *buf = sr_scratch_u64(L, B * T * H + 14 * n);
    if (buf == NULL)
        return SR_ENOMEM;
    uint64_t *p = buf, *h = p + B * T * H, *qq = h + n, *g = qq + n;
    uint64_t *e = g + n, *z = e + n, *c = z + n, *w = c + n;
    uint64_t *mm = w + 2 * n, *cc = mm + 2 * n, *v = cc + 2 * n, *zv = v + n;

    /* 1. hoisted input projection: all B T rows in one product */
    mark mk = mark_now(L);
    int rc = projection(L, B * T, D, H, P->rW, p, x, QW(q, W), QW(q, W1),
                        QW(q, W2), f->x, f->W, f->W1, f->W2, f->t, f->a);
    mark_add(L, stats, SR_FG_INPUT, &mk);

    /* server-known gate constants, one per product of step 5 */
    if (q != NULL)
        for (size_t i = 0; i < n; i++) {
            w[i] = q->k2;
            w[n + i] = q->k1;
        }
    const unsigned sh_m = (unsigned)(f->k.s + f->c.s - f->h.s);
    const unsigned lw_m = sh_m + 16 > 32 ? sh_m + 16 : 32;
    memset(h, 0, n * sizeof *h);
    for (size_t t = 0; t < T && rc == SR_OK; t++) {
        /* 2. recurrent projection of the B states */
        mk = mark_now(L);
        rc = projection(L, B, H, H, P->rU, qq, h, QW(q, U), QW(q, U1),
                        QW(q, U2), f->h, f->U, f->U1, f->U2, f->u, f->a);
        mark_add(L, stats, SR_FG_RECURRENT, &mk);
        if (rc != SR_OK)
            break;
        /* 3. pre-activations; the server adds the biases to its share */
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < H; j++) {
                const uint64_t s = p[(b * T + t) * H + j] + qq[b * H + j];
                g[b * H + j] = s & m16;
                e[b * H + j] = s & m16;
            }
        add_known(n, H, g, QW(q, b_gate), 16);
        add_known(n, H, e, QW(q, b_update), 16);
        /* 4. nonlinearities, plans built once; on a lane pair at once */
        rc = sig_tanh(L, L2, S, n, z, g, c, e, stats, stats2);
        if (rc != SR_OK)
            break;
        /* 5. [m2, m1] = RTR([k2 c, k1 c], sh_m) with k1, k2 server-known */
        mk = mark_now(L);
        memcpy(cc, c, n * sizeof *c);
        memcpy(cc + n, c, n * sizeof *c);
        rc = sr_mult_known(L, 2 * n, mm, q != NULL ? w : NULL, cc, NULL, 16, 16,
                           lw_m, SR_KNOWN_BY_SERVER | SR_MULT_SIGNED);
        if (rc == SR_OK)
            rc = rtr(L, 2 * n, mm, mm, lw_m, sh_m, 16);
        /* 6. v = h - m2 */
        sr_share_sub(n, v, h, mm, 16);
        /* 7. h = RTR(z v, s_z) + m1 */
        if (rc == SR_OK)
            rc = sr_mult(L, n, zv, z, v, 16, 16, 32, SR_MULT_SIGNED);
        if (rc == SR_OK)
            rc = rtr(L, n, zv, zv, 32, f->z.s, 16);
        sr_share_add(n, h, zv, mm + n, 16);
        mark_add(L, stats, SR_FG_UPDATE, &mk);
    }

    /* 8. classifier; the server adds fc_b to its share */
    if (rc == SR_OK) {
        mk = mark_now(L);
        rc = known_matmul_rtr(L, B, H, K, logits, QW(q, fc_W), h,
                              (unsigned)(f->h.s + f->fc_W.s - f->logits.s),
                              f->logits.bw);
        add_known(B * K, K, logits, QW(q, fc_b), f->logits.bw);
        mark_add(L, stats, SR_FG_CLASSIFIER, &mk);
    }
    sr_scratch_release(L, buf);
    return rc;
}

/* see fastgrnn_secure.h */
int
sr_fastgrnn_secure_logits(sr_lane *L, const sr_fastgrnn_sec *S, size_t B,
                          uint64_t *logits, const uint64_t *x,
                          const sr_fastgrnn_fx *q, sr_fastgrnn_stats *stats)
{
    return logits_run(L, NULL, S, B, logits, x, q, stats, NULL);
}

/* see fastgrnn_secure.h */
int
sr_fastgrnn_secure_argmax(sr_lane *L, size_t B, size_t K, uint64_t *label,
                          const uint64_t *logits, unsigned bw,
                          sr_fastgrnn_stats *stats)
{
    SR_REQUIRE(bw >= 1 && bw <= 62 && K >= 1);
    SR_REQUIRE(B == 0 || (label != NULL && logits != NULL));
    if (B == 0)
        return SR_OK;
    const unsigned bx = bw + 1;
    const size_t n = B * K;
    /* val [n], idx [n], dif [n] (pairs: value and index differences) */
    uint64_t *buf = sr_scratch_u64(L, 4 * n);
    uint8_t *sel = sr_scratch_u8(L, n);
    if (buf == NULL || sel == NULL) {
        sr_scratch_release(L, sel);
        sr_scratch_release(L, buf);
        return SR_ENOMEM;
    }
    uint64_t *val = buf, *idx = val + n, *dif = idx + n;
    const mark mk = mark_now(L);
    /* one more bit, so that left - right never wraps */
    int rc = sr_ext_signed(L, n, val, logits, NULL, bw, bx, SR_MSB_NONE);
    /* public initial indices: only Alice holds them */
    memset(idx, 0, n * sizeof *idx);
    for (size_t b = 0; b < B; b++)
        for (size_t k = 0; k < K; k++)
            sr_share_add_const(L, 1, idx + b * K + k, idx + b * K + k, k, bx);
    /* tournament: candidates of sample b at val[b * K + j], j < cnt */
    for (size_t cnt = K; cnt > 1 && rc == SR_OK;) {
        const size_t pairs = cnt / 2, np = B * pairs;
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < pairs; j++) {
                const size_t l = b * K + 2 * j, i = b * pairs + j;
                dif[i] = (val[l] - val[l + 1]) & sr_mask(bx);
            }
        rc = sr_msb(L, np, sel, dif, bx); /* [left < right] */
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < pairs; j++) {
                const size_t l = b * K + 2 * j, i = b * pairs + j;
                dif[i] = (val[l + 1] - val[l]) & sr_mask(bx);
                dif[np + i] = (idx[l + 1] - idx[l]) & sr_mask(bx);
            }
        memcpy(sel + np, sel, np);
        if (rc == SR_OK)
            rc = sr_mux(L, 2 * np, dif, sel, dif, bx);
        /* winners move to the front; an odd last one passes unchanged */
        for (size_t b = 0; b < B; b++) {
            for (size_t j = 0; j < pairs; j++) {
                const size_t l = b * K + 2 * j, i = b * pairs + j;
                val[b * K + j] = (val[l] + dif[i]) & sr_mask(bx);
                idx[b * K + j] = (idx[l] + dif[np + i]) & sr_mask(bx);
            }
            if (cnt & 1) {
                val[b * K + pairs] = val[b * K + cnt - 1];
                idx[b * K + pairs] = idx[b * K + cnt - 1];
            }
        }
        cnt = pairs + (cnt & 1);
    }
    for (size_t b = 0; b < B; b++)
        label[b] = idx[b * K];
    mark_add(L, stats, SR_FG_ARGMAX, &mk);
    sr_scratch_release(L, sel);
    sr_scratch_release(L, buf);
    return rc;
}

/* The whole inference on L, with L2 (may be NULL) as the pair's tanh lane. */
static int
infer_run(sr_lane *L, sr_lane *L2, const sr_fastgrnn_sec *S, size_t B,
          long *pred, uint64_t *logits, const uint64_t *x,
          const sr_fastgrnn_fx *q, sr_reveal reveal, sr_fastgrnn_stats *stats,
          sr_fastgrnn_stats *stats2)
{
    SR_REQUIRE(L != NULL && S != NULL);
    SR_REQUIRE(reveal == SR_REVEAL_LABEL || reveal == SR_REVEAL_LOGITS);
    if (B == 0)
        return SR_OK;
    const size_t T = S->pub.T, D = S->pub.D, K = S->pub.K;
    const unsigned bw = S->pub.f.logits.bw;
    /* xs [B T D] (the client's x, or the server's zero share),
     * lo [B K], lab [B] */
    uint64_t *buf = sr_scratch_u64(L, B * T * D + B * K + B);
    if (buf == NULL)
        return SR_ENOMEM;
    uint64_t *xs = buf, *lo = xs + B * T * D, *lab = lo + B * K;
    if (x != NULL)
        memcpy(xs, x, B * T * D * sizeof *xs);
    else
        memset(xs, 0, B * T * D * sizeof *xs);
    int rc = logits_run(L, L2, S, B, lo, xs, q, stats, stats2);
    if (rc == SR_OK)
        rc = sr_fastgrnn_secure_argmax(L, B, K, lab, lo, bw, stats);
    mark mk = mark_now(L);
    if (rc == SR_OK)
        rc = sr_share_reveal(L, B, lab, lab, bw + 1, SR_CLIENT);
    if (rc == SR_OK && reveal == SR_REVEAL_LOGITS)
        rc = sr_share_reveal(L, B * K, lo, lo, bw, SR_CLIENT);
    mark_add(L, stats, SR_FG_REVEAL, &mk);
    if (rc == SR_OK && !sr_lane_is_server(L)) {
        /* the client's outputs */
        for (size_t b = 0; b < B; b++)
            pred[b] = (long)lab[b];
        if (reveal == SR_REVEAL_LOGITS)
            memcpy(logits, lo, B * K * sizeof *lo);
    }
    sr_scratch_release(L, buf);
    return rc;
}

/* see fastgrnn_secure.h */
int
sr_fastgrnn_secure_infer(sr_lane *L, const sr_fastgrnn_sec *S, size_t B,
                         long *pred, uint64_t *logits, const uint64_t *x,
                         const sr_fastgrnn_fx *q, sr_reveal reveal,
                         sr_fastgrnn_stats *stats)
{
    return infer_run(L, NULL, S, B, pred, logits, x, q, reveal, stats, NULL);
}

struct infer_job {
    const sr_lanes *ls;
    const sr_fastgrnn_sec *S;
    long *pred;
    uint64_t *logits;
    const uint64_t *x;
    const sr_fastgrnn_fx *q;
    sr_reveal reveal;
    sr_fastgrnn_stats *per_lane; /* [ls->count] */
    int paired;                  /* chunk k on lanes 2k and 2k + 1 */
};

static int
infer_chunk(sr_lane *L, size_t off, size_t len, void *arg)
{
    const struct infer_job *j = arg;
    const size_t K = j->S->pub.K, TD = j->S->pub.T * j->S->pub.D;
    size_t lane = (size_t)(L - j->ls->lane);
    sr_lane *L2 = NULL;
    if (j->paired) {
        lane *= 2;
        L = &j->ls->lane[lane];
        L2 = &j->ls->lane[lane + 1];
    }
    const int client = !sr_lane_is_server(L);
    return infer_run(L, L2, j->S, len, client ? j->pred + off : NULL,
                     client && j->logits != NULL ? j->logits + off * K : NULL,
                     j->x != NULL ? j->x + off * TD : NULL,
                     sr_fastgrnn_known(L, j->q), j->reveal, &j->per_lane[lane],
                     L2 != NULL ? &j->per_lane[lane + 1] : NULL);
}

/* see fastgrnn_secure.h */
int
sr_fastgrnn_secure_infer_lanes(const sr_lanes *ls, const sr_fastgrnn_sec *S,
                               size_t B, long *pred, uint64_t *logits,
                               const uint64_t *x, const sr_fastgrnn_fx *q,
                               sr_reveal reveal, sr_fastgrnn_stats *stats)
{
    SR_REQUIRE(ls != NULL && ls->count >= 1 && S != NULL);
    const int client = !sr_lane_is_server(&ls->lane[0]);
    SR_REQUIRE(!client || B == 0 ||
               (pred != NULL && x != NULL &&
                (reveal == SR_REVEAL_LABEL || logits != NULL)));
    sr_fastgrnn_stats *pl = calloc(ls->count, sizeof *pl);
    if (pl == NULL)
        return SR_ENOMEM;
    /* Small batches pair the lanes (see the top of fastgrnn_secure.h):
     * both parties decide alike from B and the lane count. */
    const int paired =
        ls->count >= 2 && B <= SR_FG_PAIR_SAMPLES * (size_t)ls->count;
    struct infer_job j = {
        ls,     S,  pred,  logits, client ? x : NULL, client ? NULL : q,
        reveal, pl, paired};
    const sr_lanes firsts = {ls->lane, ls->count / 2}; /* lane k: pair k */
    int rc = sr_lanes_split(paired ? &firsts : ls, B, 1, infer_chunk, &j);
    for (unsigned i = 0; stats != NULL && i < SR_FG_NBLOCKS; i++) {
        double sec = 0;
        uint64_t rounds = 0;
        for (unsigned k = 0; k < ls->count; k++) {
            sec = pl[k].seconds[i] > sec ? pl[k].seconds[i] : sec;
            rounds = pl[k].rounds[i] > rounds ? pl[k].rounds[i] : rounds;
            stats->bytes[i] += pl[k].bytes[i];
        }
        stats->seconds[i] += sec;
        stats->rounds[i] += rounds;
    }
    free(pl);
    return rc;
}
