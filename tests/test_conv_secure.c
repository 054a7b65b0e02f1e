/*
 * tests/test_conv_secure.c -- the secure convolution, ReLU6, average and
 * max pooling and channel max-out against their fixed-point twins
 * (layers/conv2d.h, layers/pool.h), bit for bit, on small shapes over two
 * lane pairs (the server plays Alice on lane 0 and Bob on lane 1).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/prg.h"
#include "layers/conv2d.h"
#include "layers/conv2d_secure.h"
#include "layers/pool.h"
#include "layers/pool_secure.h"
#include "math/fxp.h"
#include "protocols/ext.h"
#include "protocols/matmul.h"
#include "protocols/mill.h"
#include "protocols/mult.h"
#include "protocols/trunc.h"
#include "protocols/ot.h"
#include "protocols/share.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(55);
}

TestSuite(conv_secure, .init = arm_alarm);

#define NLANES 2

/* uniform signed value of bw bits */
static int64_t
rnds(uint64_t *s, unsigned bw)
{
    return sr_fxp_sext(sr_test_rand64(s), bw);
}

enum op { OP_CONV, OP_RELU6, OP_AVG, OP_MAX, OP_MAXOUT };

struct job {
    enum op op;
    sr_conv2d_shape c;
    sr_conv2d_fmt f;
    size_t H, W, C, k, stride, m, n, split; /* split: conv pixels per call */
    unsigned bw;                            /* pools, relu6 */
    uint64_t six;
    const int64_t *w, *b; /* server's */
    uint64_t *x[2];       /* shares by party */
    size_t ny;
    uint64_t *y[NLANES][2];
    int map;        /* conv: SR_CONV2D_AUTO, _IM2COL or _SCATTER */
    int blocks;     /* run the documented blocks instead (traffic) */
    uint64_t bytes; /* filled by run_job: both parties, all lanes */
};

/*
 * The blocks a layer documents (conv2d_secure.h, pool_secure.h), called
 * one by one on zero shares of the same sizes: their traffic must equal
 * the layer's exactly (protocol traffic does not depend on the data).
 */
static int
blocks(sr_lane *L, struct job *j)
{
    const size_t big = 1 << 19;
    uint64_t *a = calloc(big, 8), *b = calloc(big, 8), *z = calloc(big, 8);
    const uint64_t *w = sr_lane_is_server(L) ? b : NULL;
    const unsigned flags = SR_KNOWN_BY_SERVER | SR_MULT_SIGNED;
    int rc = SR_OK;
    switch (j->op) {
    case OP_CONV: {
        const sr_conv2d_shape *c = &j->c;
        const size_t tot = sr_conv2d_out(j->H, c->k, c->stride, c->pad) *
                           sr_conv2d_out(j->W, c->k, c->stride, c->pad);
        const size_t G = c->groups, cog = c->cout / G;
        const size_t K = c->cin / G * c->k * c->k;
        const unsigned acc = sr_conv2d_acc_bits(c, j->f);
        const unsigned tb = acc - j->f.shift;
        const size_t step = j->split ? j->split : tot;
        cr_assert_leq(tot * K * G, big);
        for (size_t p0 = 0; p0 < tot && rc == SR_OK; p0 += step) {
            const size_t np = tot - p0 < step ? tot - p0 : step;
            if (cog == 1 && G > 1)
                rc = sr_mult_known(L, np * G * K, z, w, a, NULL, j->f.bw_w,
                                   j->f.bw_x, acc, flags);
            else
                for (size_t g = 0; g < G && rc == SR_OK; g++)
                    rc = sr_matmul_known(L, np, K, cog, z, w, a, j->f.bw_w,
                                         j->f.bw_x, acc, SR_KNOWN_B | flags);
            if (rc == SR_OK)
                rc = sr_trunc_reduce(L, np * c->cout, z, z, acc, j->f.shift);
            if (rc == SR_OK && tb < j->f.bw_y)
                rc = sr_ext_signed(L, np * c->cout, z, z, NULL, tb, j->f.bw_y,
                                   SR_MSB_NONE);
        }
        break;
    }
    case OP_RELU6:
        rc = sr_relu(L, j->n, z, a, j->bw);
        if (rc == SR_OK)
            rc = sr_relu(L, j->n, z, a, j->bw);
        break;
    case OP_AVG: {
        const size_t no = ((j->H - j->k) / j->stride + 1) *
                          ((j->W - j->k) / j->stride + 1) * j->C;
        unsigned e = 0;
        while (((size_t)1 << e) < j->k * j->k)
            e++;
        rc = sr_ext_signed(L, j->H * j->W * j->C, z, a, NULL, j->bw,
                           j->bw + e + 17, SR_MSB_NONE);
        if (rc == SR_OK)
            rc = sr_trunc_reduce(L, no, z, a, j->bw + e + 17, 16);
        break;
    }
    case OP_MAX:
    case OP_MAXOUT: {
        size_t no, g;
        if (j->op == OP_MAX) {
            no = ((j->H - j->k) / j->stride + 1) *
                 ((j->W - j->k) / j->stride + 1) * j->C;
            g = j->k * j->k;
            rc = sr_ext_signed(L, j->H * j->W * j->C, z, a, NULL, j->bw,
                               j->bw + 1, SR_MSB_NONE);
        } else {
            no = j->n;
            g = j->m;
            rc = sr_ext_signed(L, no * g, z, a, NULL, j->bw, j->bw + 1,
                               SR_MSB_NONE);
        }
        for (; g > 1 && rc == SR_OK; g -= g / 2) /* one level per halving */
            rc = sr_relu(L, no * (g / 2), z, a, j->bw + 1);
        break;
    }
    }
    free(a);
    free(b);
    free(z);
    return rc;
}

static int
party(sr_lane *L, void *arg)
{
    struct job *j = arg;
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    if (j->blocks)
        return blocks(L, j);
    const int p = L->party;
    uint64_t *y = j->y[L->id][p];
    const uint64_t *x = j->x[p];
    switch (j->op) {
    case OP_CONV: {
        const size_t Ho = sr_conv2d_out(j->H, j->c.k, j->c.stride, j->c.pad);
        const size_t Wo = sr_conv2d_out(j->W, j->c.k, j->c.stride, j->c.pad);
        const size_t tot = Ho * Wo;
        const size_t step = j->split ? j->split : tot;
        for (size_t p0 = 0; p0 < tot && rc == SR_OK; p0 += step) {
            const size_t np = tot - p0 < step ? tot - p0 : step;
            rc = sr_conv2d_secure_map(L, np, y + p0 * j->c.cout, x,
                                      sr_lane_is_server(L) ? j->w : NULL,
                                      sr_lane_is_server(L) ? j->b : NULL,
                                      &j->c, j->H, j->W, p0, j->f, j->map);
        }
        break;
    }
    case OP_RELU6:
        /* in place on a copy */
        memcpy(y, x, j->n * sizeof *y);
        rc = sr_relu6_secure(L, j->n, y, y, j->six, j->bw);
        break;
    case OP_AVG:
        rc = sr_avgpool_secure(L, y, x, j->H, j->W, j->C, j->k, j->stride,
                               j->bw);
        break;
    case OP_MAX:
        rc = sr_maxpool_secure(L, y, x, j->H, j->W, j->C, j->k, j->stride,
                               j->bw);
        break;
    case OP_MAXOUT:
        rc = sr_maxout_secure(L, j->n, y, x, j->C, j->m, j->bw);
        break;
    }
    return rc;
}

/* sr_conv2d_secure_bytes summed over the job's calls, on both lanes */
static uint64_t
conv_formula(const struct job *j, int map)
{
    const size_t tot = sr_conv2d_out(j->H, j->c.k, j->c.stride, j->c.pad) *
                       sr_conv2d_out(j->W, j->c.k, j->c.stride, j->c.pad);
    const size_t step = j->split ? j->split : tot;
    uint64_t s = 0;
    for (size_t p0 = 0; p0 < tot; p0 += step)
        s += sr_conv2d_secure_bytes(&j->c, j->H, j->W, p0,
                                    tot - p0 < step ? tot - p0 : step, j->f,
                                    map);
    return NLANES * s;
}

/* share the twin integers x (bw bits), run, compare with want */
static void
run_job(struct job *j, size_t nx, const int64_t *xi, unsigned bwx,
        const int64_t *want, unsigned bwy)
{
    sr_prg prg;
    uint8_t key[16];
    sr_prg_derive_key(key, sr_test_seed(), "conv_secure");
    cr_assert_eq(sr_prg_init(&prg, key), SR_OK);
    j->x[0] = calloc(nx + 1, 8);
    j->x[1] = calloc(nx + 1, 8);
    for (size_t i = 0; i < nx; i++)
        j->x[1][i] = (uint64_t)xi[i] & sr_mask(bwx);
    sr_share_split(&prg, nx, j->x[0], j->x[1], j->x[1], bwx);
    sr_prg_clear(&prg);
    for (int l = 0; l < NLANES; l++)
        for (int p = 0; p < 2; p++)
            j->y[l][p] = calloc(j->ny + 1, 8);
    sr_test_opts o = {.nlanes = NLANES};
    cr_assert_eq(sr_test_run(party, j, &o), SR_OK);
    j->bytes = o.st[0].bytes_sent + o.st[1].bytes_sent;
    if (j->op == OP_CONV) {
        /* the documented formula, per call, both lanes: exact */
        const uint64_t want_b = conv_formula(j, j->map);
        cr_assert_eq(j->bytes, want_b, "conv map %d: %llu bytes, formula %llu",
                     j->map, (unsigned long long)j->bytes,
                     (unsigned long long)want_b);
    }
    if (j->op != OP_CONV || j->map == SR_CONV2D_IM2COL) {
        /* the same sizes through the documented blocks: identical
         * traffic */
        sr_test_opts ob = {.nlanes = NLANES};
        j->blocks = 1;
        cr_assert_eq(sr_test_run(party, j, &ob), SR_OK);
        j->blocks = 0;
        cr_assert_eq(
            ob.st[0].bytes_sent + ob.st[1].bytes_sent, j->bytes,
            "op %d: layer %llu bytes, its blocks %llu", j->op,
            (unsigned long long)j->bytes,
            (unsigned long long)(ob.st[0].bytes_sent + ob.st[1].bytes_sent));
    }
    for (int l = 0; l < NLANES; l++)
        for (size_t i = 0; i < j->ny; i++) {
            const uint64_t got = (j->y[l][0][i] + j->y[l][1][i]) & sr_mask(bwy);
            cr_assert_eq(got, (uint64_t)want[i] & sr_mask(bwy),
                         "op %d lane %d i %zu: got %llu want %lld", j->op, l, i,
                         (unsigned long long)got, (long long)want[i]);
            cr_assert_eq(j->y[l][0][i] >> bwy, 0, "share not reduced");
        }
    for (int l = 0; l < NLANES; l++)
        for (int p = 0; p < 2; p++)
            free(j->y[l][p]);
    free(j->x[0]);
    free(j->x[1]);
}

/*
 * One convolution through all three mappings (im2col, scatter, auto),
 * each bit for bit against the twin with bytes = the formula; returns
 * the mapping auto picks for the first call and the three byte counts.
 */
static int
conv_case(sr_conv2d_shape c, size_t H, size_t W, sr_conv2d_fmt f, int bias,
          size_t split, uint64_t seed, size_t *wraps_out, uint64_t bytes[3])
{
    uint64_t s = seed;
    const size_t nx = H * W * c.cin, nw = sr_conv2d_nweights(&c);
    const size_t Ho = sr_conv2d_out(H, c.k, c.stride, c.pad);
    const size_t Wo = sr_conv2d_out(W, c.k, c.stride, c.pad);
    const size_t ny = Ho * Wo * c.cout;
    int64_t *x = malloc(nx * 8), *w = malloc(nw * 8), *b = malloc(c.cout * 8);
    int64_t *want = malloc(ny * 8);
    for (size_t i = 0; i < nx; i++)
        x[i] = rnds(&s, f.bw_x);
    for (size_t i = 0; i < nw; i++)
        w[i] = rnds(&s, f.bw_w);
    for (size_t i = 0; i < c.cout; i++)
        b[i] = rnds(&s, f.bw_y - 2);
    x[0] = -(1ll << (f.bw_x - 1)); /* the extremes */
    x[nx - 1] = (1ll << (f.bw_x - 1)) - 1;
    w[0] = -(1ll << (f.bw_w - 1));
    size_t wraps = 0;
    sr_conv2d_fx(&c, H, W, want, x, w, bias ? b : NULL, f.shift, f.bw_y,
                 &wraps);
    struct job j = {.op = OP_CONV,
                    .c = c,
                    .f = f,
                    .H = H,
                    .W = W,
                    .split = split,
                    .w = w,
                    .b = bias ? b : NULL,
                    .ny = ny};
    const int maps[3] = {SR_CONV2D_IM2COL, SR_CONV2D_SCATTER, SR_CONV2D_AUTO};
    for (int m = 0; m < 3; m++) {
        j.map = maps[m];
        run_job(&j, nx, x, f.bw_x, want, f.bw_y);
        if (bytes != NULL)
            bytes[m] = j.bytes;
    }
    const int chosen = sr_conv2d_secure_mapping(
        &c, H, W, 0, split ? (split < Ho * Wo ? split : Ho * Wo) : Ho * Wo, f);
    if (wraps_out != NULL)
        *wraps_out = wraps;
    free(x);
    free(w);
    free(b);
    free(want);
    return chosen;
}

/* auto sent the bytes of the mapping it chose, the cheaper one (one
 * call; with ranges run_job checks auto against the per-call formula) */
static void
check_auto(int chosen, const uint64_t bytes[3])
{
    cr_assert_eq(bytes[2], bytes[chosen == SR_CONV2D_SCATTER ? 1 : 0]);
    if (chosen == SR_CONV2D_SCATTER)
        cr_assert_lt(bytes[1], bytes[0]);
    else
        cr_assert_leq(bytes[0], bytes[1]);
}

Test(conv_secure, dense_3x3_pad_wraps)
{
    /* acc = 16 + 8 + 5 = 29, TR 8 -> 21 bits > 16: the twin's wrap */
    sr_conv2d_shape c = {
        .cin = 3, .cout = 4, .k = 3, .stride = 1, .pad = 1, .groups = 1};
    size_t wraps = 0;
    uint64_t by[3];
    int m = conv_case(c, 5, 6, (sr_conv2d_fmt){16, 8, 8, 16}, 1, 0, 11, &wraps,
                      by);
    cr_assert_gt(wraps, 0, "the case should exercise the wrap");
    check_auto(m, by);
    /* ranges of 4 pixels (Wo = 6): inside a row and across rows */
    (void)conv_case(c, 5, 6, (sr_conv2d_fmt){16, 8, 8, 16}, 1, 4, 15, NULL, by);
}

Test(conv_secure, depthwise_stride2_ext)
{
    /* acc = 8 + 8 + 4 = 20, TR 6 -> 14 bits < 16: sign extension */
    sr_conv2d_shape c = {
        .cin = 4, .cout = 4, .k = 3, .stride = 2, .pad = 1, .groups = 4};
    uint64_t by[3];
    int m = conv_case(c, 7, 6, (sr_conv2d_fmt){8, 8, 6, 16}, 1, 0, 12, NULL,
                      by);
    check_auto(m, by);
    (void)conv_case(c, 7, 6, (sr_conv2d_fmt){8, 8, 6, 16}, 1, 5, 16, NULL, by);
}

Test(conv_secure, depthwise_3x3_stride1_scatter)
{
    /* the MobileNet depthwise conv: auto picks scatter, several-fold
     * fewer bytes than im2col */
    sr_conv2d_shape c = {
        .cin = 6, .cout = 6, .k = 3, .stride = 1, .pad = 1, .groups = 6};
    uint64_t by[3];
    int m = conv_case(c, 8, 7, (sr_conv2d_fmt){16, 16, 12, 16}, 1, 0, 17,
                      NULL, by);
    cr_assert_eq(m, SR_CONV2D_SCATTER);
    check_auto(m, by);
    cr_assert_lt(2 * by[1], by[0], "scatter %llu, im2col %llu",
                 (unsigned long long)by[1], (unsigned long long)by[0]);
    /* ranges of 3 pixels: one-row boxes (columns clipped), remainders */
    (void)conv_case(c, 8, 7, (sr_conv2d_fmt){16, 16, 12, 16}, 0, 3, 18, NULL,
                  by);
}

Test(conv_secure, grouped_3x3_multi_output)
{
    /* groups 2 with 3 outputs each, 3x3 pad 1: one product for both
     * groups (fan 27) */
    sr_conv2d_shape c = {
        .cin = 4, .cout = 6, .k = 3, .stride = 1, .pad = 1, .groups = 2};
    uint64_t by[3];
    int m = conv_case(c, 6, 5, (sr_conv2d_fmt){12, 10, 9, 14}, 1, 0, 19, NULL,
                      by);
    check_auto(m, by);
    (void)conv_case(c, 6, 5, (sr_conv2d_fmt){12, 10, 9, 14}, 1, 8, 20, NULL, by);
}

Test(conv_secure, grouped_1x1_split_nobias)
{
    /* pixel ranges in calls of 7 (remainder), groups 2, no bias; k = 1:
     * the mappings tie or im2col wins, auto keeps im2col */
    sr_conv2d_shape c = {
        .cin = 6, .cout = 4, .k = 1, .stride = 1, .pad = 0, .groups = 2};
    uint64_t by[3];
    int m = conv_case(c, 4, 5, (sr_conv2d_fmt){12, 10, 10, 12}, 0, 7, 13, NULL,
                      by);
    cr_assert_eq(m, SR_CONV2D_IM2COL);
    cr_assert_eq(by[2], by[0]);
}

Test(conv_secure, strided_2x2_multiplier_channels)
{
    /* groups 2 with 3 outputs per group, stride 2 no padding, shift 0 */
    sr_conv2d_shape c = {
        .cin = 4, .cout = 6, .k = 2, .stride = 2, .pad = 0, .groups = 2};
    uint64_t by[3];
    int m = conv_case(c, 6, 4, (sr_conv2d_fmt){10, 6, 0, 20}, 1, 0, 14, NULL,
                      by);
    check_auto(m, by);
}

Test(conv_secure, scatter_row_chunks)
{
    /* 64 x 16 x 9 = 9216 entries per input row: 28 rows per product, so
     * 30 rows are 2 chunks; the tail in one chunk */
    sr_conv2d_shape c = {
        .cin = 16, .cout = 16, .k = 3, .stride = 1, .pad = 1, .groups = 16};
    uint64_t by[3];
    int m = conv_case(c, 30, 64, (sr_conv2d_fmt){8, 8, 4, 8}, 1, 0, 22, NULL,
                      by);
    check_auto(m, by);
}

Test(conv_secure, relu6)
{
    const unsigned bw = 16;
    const int64_t six = 6 << 10;
    const size_t n = 1001;
    uint64_t s = 21;
    int64_t *x = malloc(n * 8), *want = malloc(n * 8);
    for (size_t i = 0; i < n; i++)
        x[i] = i % 2 ? rnds(&s, bw) : rnds(&s, 15) >> 1;
    const int64_t edge[] = {-(1 << 15), (1 << 15) - 1, 0,  six,
                            six - 1,    six + 1,       -1, 1};
    memcpy(x, edge, sizeof edge);
    memcpy(want, x, n * 8);
    sr_relu6_fx(n, want, six);
    struct job j = {
        .op = OP_RELU6, .n = n, .bw = bw, .six = (uint64_t)six, .ny = n};
    run_job(&j, n, x, bw, want, bw);
    free(x);
    free(want);
}

static void
pool_case(enum op op, size_t H, size_t W, size_t C, size_t k, size_t stride,
          unsigned bw, unsigned vbw, uint64_t seed)
{
    uint64_t s = seed;
    const size_t nx = H * W * C;
    const size_t ny = ((H - k) / stride + 1) * ((W - k) / stride + 1) * C;
    int64_t *x = malloc(nx * 8), *want = malloc(ny * 8);
    for (size_t i = 0; i < nx; i++)
        x[i] = rnds(&s, vbw);
    x[0] = -(1ll << (vbw - 1));
    x[1] = (1ll << (vbw - 1)) - 1;
    if (op == OP_AVG)
        sr_avgpool_fx(H, W, C, k, stride, want, x);
    else
        sr_maxpool_fx(H, W, C, k, stride, want, x);
    struct job j = {.op = op,
                    .H = H,
                    .W = W,
                    .C = C,
                    .k = k,
                    .stride = stride,
                    .bw = bw,
                    .ny = ny};
    run_job(&j, nx, x, bw, want, bw);
    free(x);
    free(want);
}

Test(conv_secure, avgpool)
{
    pool_case(OP_AVG, 6, 4, 3, 2, 2, 16, 16, 31); /* exact mean, full range */
    pool_case(OP_AVG, 5, 5, 2, 3, 1, 16, 14, 32); /* m = 7282, overlapping */
    pool_case(OP_AVG, 5, 7, 1, 2, 3, 12, 12, 33); /* stride > k */
}

Test(conv_secure, maxpool)
{
    pool_case(OP_MAX, 6, 4, 3, 2, 2, 16, 16, 41); /* full range extremes */
    pool_case(OP_MAX, 7, 5, 2, 3, 2, 12, 12, 42); /* 9 values: odd levels */
    pool_case(OP_MAX, 3, 3, 1, 1, 1, 8, 8, 43);   /* k = 1: a copy */
}

Test(conv_secure, maxout)
{
    const size_t n = 37, C = 5, m = 3, Co = C - m + 1;
    const unsigned bw = 16;
    uint64_t s = 51;
    int64_t *x = malloc(n * C * 8), *want = malloc(n * Co * 8);
    for (size_t i = 0; i < n * C; i++)
        x[i] = rnds(&s, bw);
    x[0] = (1 << 15) - 1;
    x[1] = -(1 << 15);
    x[5] = -(1 << 15);
    x[6] = (1 << 15) - 1;
    sr_maxout_fx(n, C, m, want, x);
    struct job j = {
        .op = OP_MAXOUT, .n = n, .C = C, .m = m, .bw = bw, .ny = n * Co};
    run_job(&j, n * C, x, bw, want, bw);
    free(x);
    free(want);
}

/*
 * Chunked convolutions split over lanes move no byte: 90 x 90 pixels of
 * K = 36 entries (3 x 3 x 4) exceed one chunk (2^18 / 36 = 7281 pixels,
 * rounded down to 7280, a multiple of 8, so that every chunk's bit-packed
 * messages fill whole bytes): one call (7280 + 820 pixels) sends exactly
 * the bytes of two calls over the 8-aligned halves (4056 + 4044), as
 * sr_heads_secure_run_lanes cuts them.
 */
static uint64_t
chunked_bytes(size_t split, int map, uint64_t *formula)
{
    struct job j;
    memset(&j, 0, sizeof j);
    j.op = OP_CONV;
    j.map = map;
    j.c = (sr_conv2d_shape){.cin = 4, .cout = 2, .k = 3, .stride = 1,
                            .pad = 1, .groups = 1};
    j.f = (sr_conv2d_fmt){16, 16, 12, 16};
    j.H = j.W = 90;
    j.split = split;
    const size_t nx = 90 * 90 * 4;
    j.ny = 90 * 90 * 2;
    int64_t *w = calloc(sr_conv2d_nweights(&j.c), 8);
    j.w = w;
    j.x[0] = calloc(nx, 8);
    j.x[1] = calloc(nx, 8);
    for (int l = 0; l < NLANES; l++)
        for (int p = 0; p < 2; p++)
            j.y[l][p] = calloc(j.ny, 8);
    sr_test_opts o = {.nlanes = NLANES};
    cr_assert_eq(sr_test_run(party, &j, &o), SR_OK);
    *formula = conv_formula(&j, map);
    for (int l = 0; l < NLANES; l++)
        for (int p = 0; p < 2; p++)
            free(j.y[l][p]);
    free(j.x[0]);
    free(j.x[1]);
    free(w);
    return o.st[0].bytes_sent + o.st[1].bytes_sent;
}

Test(conv_secure, chunked_split_same_bytes)
{
    uint64_t f1, f2;
    const uint64_t one = chunked_bytes(0, SR_CONV2D_IM2COL, &f1);
    const uint64_t two = chunked_bytes(4056, SR_CONV2D_IM2COL, &f2);
    cr_assert_eq(one, two, "one call %llu bytes, two halves %llu",
                 (unsigned long long)one, (unsigned long long)two);
    cr_assert_eq(one, f1);
    cr_assert_eq(two, f2);
    /* auto (scatter here): each call sends its own formula; the halves
     * recompute the halo rows, so they send more than one call, by
     * exactly the formulas' difference */
    const uint64_t aone = chunked_bytes(0, SR_CONV2D_AUTO, &f1);
    const uint64_t atwo = chunked_bytes(4056, SR_CONV2D_AUTO, &f2);
    cr_assert_eq(aone, f1);
    cr_assert_eq(atwo, f2);
    cr_assert_lt(aone, atwo);
    cr_assert_lt(atwo, one, "auto %llu vs im2col %llu",
                 (unsigned long long)atwo, (unsigned long long)one);
}
