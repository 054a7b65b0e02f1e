/*
 * tests/test_ot.c -- every OT flavour of protocols/ot.h against its
 * definition, exact traffic, rounds, seeding, both directions, lanes.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocols/ot.h"
#include "protocols/ot_internal.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(240);
}

TestSuite(ot, .init = arm_alarm);

enum kind { K_ROT, K_COT, K_CHOSEN, K_KK, K_C128 };

/* One OT call: inputs made by the test, outputs checked after the run. */
struct run {
    enum kind kind;
    size_t n;
    unsigned l, m;
    sr_partyid sender;   /* which party plays the OT sender */
    uint64_t *in0, *in1; /* chosen: m0, m1; COT: delta; KK: table */
    uint8_t *b;          /* choices (bit, or < 2^m for KK) */
    uint64_t *s0, *s1;   /* sender outputs (ROT m0/m1, COT m0) */
    uint64_t *out;       /* receiver output */
    int rc[2];
};

static uint64_t
mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void
run_init(struct run *r, enum kind kind, size_t n, unsigned l, unsigned m,
         sr_partyid sender, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->n = n;
    r->l = l;
    r->m = m;
    r->sender = sender;
    size_t N = kind == K_KK ? (size_t)1 << m : 1;
    /* K_C128 messages take two words each. */
    r->in0 = calloc(2 * n * N + 1, sizeof(uint64_t));
    r->in1 = calloc(2 * n + 1, sizeof(uint64_t));
    r->b = calloc(n + 1, 1);
    r->s0 = calloc(n + 1, sizeof(uint64_t));
    r->s1 = calloc(n + 1, sizeof(uint64_t));
    r->out = calloc(2 * n + 1, sizeof(uint64_t));
    cr_assert(r->in0 && r->in1 && r->b && r->s0 && r->s1 && r->out);
    /* Full 64-bit inputs: the OT must use only their low l bits. */
    for (size_t i = 0; i < 2 * n * N; i++)
        r->in0[i] = mix(&seed);
    for (size_t i = 0; i < 2 * n; i++)
        r->in1[i] = mix(&seed);
    for (size_t i = 0; i < n; i++)
        r->b[i] = (uint8_t)(mix(&seed) & (kind == K_KK ? N - 1 : 1));
}

static void
run_free(struct run *r)
{
    free(r->in0);
    free(r->in1);
    free(r->b);
    free(r->s0);
    free(r->s1);
    free(r->out);
}

static int
run_party(sr_lane *L, struct run *r)
{
    if (L->party == r->sender) {
        switch (r->kind) {
        case K_ROT:
            return sr_rot_send(L, r->n, r->s0, r->s1, r->l);
        case K_COT:
            return sr_cot_send(L, r->n, r->s0, r->in0, r->l);
        case K_CHOSEN:
            return sr_ot_send(L, r->n, r->in0, r->in1, r->l);
        case K_KK:
            return sr_kkot_send(L, r->n, r->in0, r->m, r->l);
        case K_C128:
            return sr_ot_send128(L, r->n, r->in0, r->in1);
        }
    } else {
        switch (r->kind) {
        case K_ROT:
            return sr_rot_recv(L, r->n, r->out, r->b, r->l);
        case K_COT:
            return sr_cot_recv(L, r->n, r->out, r->b, r->l);
        case K_CHOSEN:
            return sr_ot_recv(L, r->n, r->out, r->b, r->l);
        case K_KK:
            return sr_kkot_recv(L, r->n, r->out, r->b, r->m, r->l);
        case K_C128:
            return sr_ot_recv128(L, r->n, r->out, r->b);
        }
    }
    return SR_EUSAGE;
}

/* Checks the receiver's output against the definition. */
static void
run_check(const struct run *r)
{
    const uint64_t mk = sr_mask(r->l);
    const size_t N = (size_t)1 << r->m;
    size_t same = 0;
    for (size_t i = 0; i < r->n; i++) {
        uint64_t want = 0;
        switch (r->kind) {
        case K_ROT:
            want = r->b[i] ? r->s1[i] : r->s0[i];
            cr_assert_eq(r->s0[i] & ~mk, 0);
            cr_assert_eq(r->s1[i] & ~mk, 0);
            same += r->s0[i] == r->s1[i];
            break;
        case K_COT:
            want = (r->s0[i] + (r->b[i] ? r->in0[i] : 0)) & mk;
            cr_assert_eq(r->s0[i] & ~mk, 0);
            break;
        case K_CHOSEN:
            want = (r->b[i] ? r->in1[i] : r->in0[i]) & mk;
            break;
        case K_KK:
            want = r->in0[i * N + r->b[i]] & mk;
            break;
        case K_C128: {
            const uint64_t *m = r->b[i] ? r->in1 : r->in0;
            cr_assert_eq(r->out[2 * i + 1], m[2 * i + 1], "i %zu high", i);
            cr_assert_eq(r->out[2 * i], m[2 * i], "i %zu low", i);
            continue;
        }
        }
        cr_assert_eq(r->out[i], want, "kind %d n %zu l %u m %u: i %zu", r->kind,
                     r->n, r->l, r->m, i);
    }
    /* The sender's other message is unrelated to the receiver's. */
    if (r->kind == K_ROT && r->l >= 64)
        cr_assert_eq(same, 0);
}

/* Bytes each side must send for one call (docs/ot.md). */
static void
expected_bytes(const struct run *r, uint64_t *snd, uint64_t *rcv)
{
    size_t n = r->n, N = (size_t)1 << r->m;
    switch (r->kind) {
    case K_ROT:
        *rcv = 16 * n, *snd = 0;
        break;
    case K_COT:
        *rcv = 16 * n, *snd = sr_packed_bytes(n, r->l);
        break;
    case K_CHOSEN:
        *rcv = 16 * n, *snd = sr_packed_bytes(2 * n, r->l);
        break;
    case K_KK:
        *rcv = 32 * n, *snd = sr_packed_bytes(n * N, r->l);
        break;
    case K_C128:
        *rcv = 16 * n, *snd = 32 * n;
        break;
    }
}

/* Setup first, so the op's counters hold only the op. */
static int
one_party(sr_lane *L, void *arg)
{
    int rc = sr_ot_setup(L);
    if (rc != SR_OK)
        return rc;
    return run_party(L, arg);
}

struct ot_case {
    int kind;
    size_t n;
    unsigned l, m;
};

ParameterizedTestParameters(ot, flavours)
{
    static struct ot_case p[] = {
        {K_ROT, 0, 64, 0},       {K_ROT, 1, 1, 0},
        {K_ROT, 127, 7, 0},      {K_ROT, 128, 64, 0},
        {K_ROT, 129, 63, 0},     {K_ROT, 100003, 64, 0},
        {K_COT, 0, 8, 0},        {K_COT, 1, 1, 0},
        {K_COT, 127, 8, 0},      {K_COT, 128, 63, 0},
        {K_COT, 129, 64, 0},     {K_COT, 100003, 7, 0},
        {K_CHOSEN, 0, 1, 0},     {K_CHOSEN, 1, 64, 0},
        {K_CHOSEN, 127, 1, 0},   {K_CHOSEN, 128, 7, 0},
        {K_CHOSEN, 129, 8, 0},   {K_CHOSEN, 100003, 63, 0},
        {K_CHOSEN, 4097, 64, 0}, {K_KK, 0, 8, 4},
        {K_KK, 1, 1, 1},         {K_KK, 127, 7, 2},
        {K_KK, 128, 8, 3},       {K_KK, 129, 63, 4},
        {K_KK, 100003, 8, 4},    {K_KK, 4097, 64, 8},
        {K_KK, 300, 1, 8},       {K_KK, 1000, 13, 5},
        {K_KK, 777, 5, 6},       {K_KK, 20000, 8, 7},
        {K_CHOSEN, 1000, 16, 0}, {K_KK, 333, 16, 3},
        {K_COT, 5000, 32, 0},    {K_ROT, 4096, 8, 0},
        {K_KK, 8191, 13, 8},     {K_KK, 4161, 3, 2},
        {K_C128, 0, 128, 0},     {K_C128, 1, 128, 0},
        {K_C128, 129, 128, 0},   {K_C128, 100003, 128, 0},
    };
    return cr_make_param_array(struct ot_case, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct ot_case *p, ot, flavours)
{
    for (int dir = 0; dir < 2; dir++) {
        struct run r;
        run_init(&r, (enum kind)p->kind, p->n, p->l, p->m,
                 dir == 0 ? SR_SERVER : SR_CLIENT, 1234 + p->n);
        sr_test_opts o = {0};
        cr_assert_eq(sr_test_run(one_party, &r, &o), SR_OK);
        run_check(&r);
        uint64_t es, er;
        expected_bytes(&r, &es, &er);
        sr_partyid S = r.sender, R = S == SR_SERVER ? SR_CLIENT : SR_SERVER;
        cr_assert_eq(o.st[S].bytes_sent, es, "sender bytes %llu want %llu",
                     (unsigned long long)o.st[S].bytes_sent,
                     (unsigned long long)es);
        cr_assert_eq(o.st[R].bytes_sent, er, "receiver bytes %llu want %llu",
                     (unsigned long long)o.st[R].bytes_sent,
                     (unsigned long long)er);
        cr_assert_eq(o.st[S].bytes_recv, er);
        cr_assert_eq(o.st[R].bytes_recv, es);
        uint64_t want_rounds = p->n == 0 ? 0 : p->kind == K_ROT ? 1 : 2;
        cr_assert_eq(o.rounds, want_rounds, "rounds %llu",
                     (unsigned long long)o.rounds);
        run_free(&r);
    }
}

/* Seeded runs repeat exactly; fresh runs differ (ROT outputs are a
 * function of the whole transcript's randomness). */
static void
rot_outputs(uint64_t *s0, size_t n, int seeded, uint64_t seed)
{
    struct run r;
    run_init(&r, K_ROT, n, 64, 0, SR_SERVER, 99);
    sr_test_opts o = {.seeded = seeded, .seed = seed};
    cr_assert_eq(sr_test_run(one_party, &r, &o), SR_OK);
    run_check(&r);
    memcpy(s0, r.s0, n * sizeof *s0);
    run_free(&r);
}

Test(ot, seeded_reproducible_fresh_differs)
{
    enum { n = 1000 };
    static uint64_t a[n], b[n], c[n], d[n];
    rot_outputs(a, n, 1, sr_test_seed());
    rot_outputs(b, n, 1, sr_test_seed());
    rot_outputs(c, n, 1, sr_test_seed() + 1);
    rot_outputs(d, n, 0, 0);
    cr_assert(memcmp(a, b, sizeof a) == 0, "same seed, other outputs");
    cr_assert(memcmp(a, c, sizeof a) != 0, "other seed, same outputs");
    cr_assert(memcmp(a, d, sizeof a) != 0, "fresh run, seeded outputs");
    rot_outputs(c, n, 0, 0);
    cr_assert(memcmp(c, d, sizeof c) != 0, "two fresh runs agree");
}

/* Several calls on one lane pair, each party sender on some and receiver
 * on others, no explicit setup (lazy): the setup traffic must still land
 * in L->setup and the op counters hold exactly the calls' formulas. */
struct mixed {
    struct run r[6];
};

static int
mixed_party(sr_lane *L, void *arg)
{
    struct mixed *mx = arg;
    for (int k = 0; k < 6; k++) {
        int rc = run_party(L, &mx->r[k]);
        if (rc != SR_OK)
            return rc;
    }
    return SR_OK;
}

Test(ot, both_directions_lazy_setup)
{
    struct mixed mx;
    run_init(&mx.r[0], K_CHOSEN, 5000, 64, 0, SR_SERVER, 1);
    run_init(&mx.r[1], K_CHOSEN, 4999, 17, 0, SR_CLIENT, 2);
    run_init(&mx.r[2], K_KK, 300, 8, 8, SR_CLIENT, 3);
    run_init(&mx.r[3], K_COT, 9000, 32, 0, SR_SERVER, 4);
    run_init(&mx.r[4], K_KK, 301, 4, 4, SR_SERVER, 5);
    run_init(&mx.r[5], K_ROT, 129, 64, 0, SR_CLIENT, 6);
    sr_test_opts o = {0};
    cr_assert_eq(sr_test_run(mixed_party, &mx, &o), SR_OK);
    uint64_t sent[2] = {0, 0};
    for (int k = 0; k < 6; k++) {
        run_check(&mx.r[k]);
        uint64_t es, er;
        expected_bytes(&mx.r[k], &es, &er);
        sr_partyid S = mx.r[k].sender;
        sent[S] += es;
        sent[S == SR_SERVER ? SR_CLIENT : SR_SERVER] += er;
        run_free(&mx.r[k]);
    }
    cr_assert_eq(o.st[SR_SERVER].bytes_sent, sent[SR_SERVER]);
    cr_assert_eq(o.st[SR_CLIENT].bytes_sent, sent[SR_CLIENT]);
    /* Per party: lane init (16 bytes), the base OTs (A, then 128 points
     * B_j, 33 bytes each) and the IKNP rows of the 256 KK base OTs. */
    cr_assert_eq(o.setup_bytes, 2 * (16 + 33 + 128 * 33 + 256 * 16));
}

/* Lane pairs in parallel, each with its own data; lane 1 has the roles
 * swapped (client = Alice), which the OT API does not care about. */
#define NL 3
static struct run lanes_run[NL];

static int
lanes_party(sr_lane *L, void *arg)
{
    (void)arg;
    return one_party(L, &lanes_run[L->id]);
}

Test(ot, parallel_lanes)
{
    for (unsigned k = 0; k < NL; k++)
        run_init(&lanes_run[k], k == 1 ? K_KK : K_CHOSEN, 20000 + k, 64,
                 k == 1 ? 6 : 0, k == 2 ? SR_CLIENT : SR_SERVER, 77 + k);
    sr_test_opts o = {.nlanes = NL, .nconn = 2};
    cr_assert_eq(sr_test_run(lanes_party, NULL, &o), SR_OK);
    for (unsigned k = 0; k < NL; k++) {
        run_check(&lanes_run[k]);
        run_free(&lanes_run[k]);
    }
}

/* Large batch over loopback TCP with striping: many chunks, one flight
 * each way. */
Test(ot, large_tcp_striped)
{
    struct run r;
    run_init(&r, K_COT, (size_t)1 << 20, 64, 0, SR_CLIENT, 5);
    sr_test_opts o = {.tcp = 1, .nconn = 4};
    cr_assert_eq(sr_test_run(one_party, &r, &o), SR_OK);
    run_check(&r);
    cr_assert_eq(o.rounds, 2);
    run_free(&r);
}

/* ---- internals: GF(2^128) fold, its rank on code differences, WH ---- */

typedef struct {
    uint64_t w[2];
} u128;

static u128
from_m(__m128i x)
{
    u128 r;
    memcpy(r.w, &x, 16);
    return r;
}

static __m128i
to_m(u128 x)
{
    __m128i r;
    memcpy(&r, x.w, 16);
    return r;
}

/* Bitwise GF(2^128) product, the slow textbook way. */
static u128
gf_ref(u128 a, u128 b)
{
    u128 r = {{0, 0}};
    for (int k = 0; k < 128; k++) {
        if ((b.w[k / 64] >> (k % 64)) & 1) {
            r.w[0] ^= a.w[0];
            r.w[1] ^= a.w[1];
        }
        uint64_t top = a.w[1] >> 63;
        a.w[1] = (a.w[1] << 1) | (a.w[0] >> 63);
        a.w[0] = (a.w[0] << 1) ^ (top ? 0x87 : 0);
    }
    return r;
}

Test(ot, gf_mul_matches_reference)
{
    uint64_t seed = 3;
    for (int t = 0; t < 2000; t++) {
        u128 a = {{mix(&seed), mix(&seed)}}, b = {{mix(&seed), mix(&seed)}};
        if (t < 128) { /* unit vectors too */
            a.w[0] = t < 64 ? (uint64_t)1 << t : 0;
            a.w[1] = t < 64 ? 0 : (uint64_t)1 << (t - 64);
        }
        u128 got = from_m(sr_ot_gf_mul(to_m(a), to_m(b)));
        u128 want = gf_ref(a, b);
        cr_assert(got.w[0] == want.w[0] && got.w[1] == want.w[1], "t=%d", t);
    }
}

/* Rank over GF(2) of n 128-bit vectors. */
static int
rank128(u128 *v, int n)
{
    int r = 0;
    for (int bit = 127; bit >= 0 && r < n; bit--) {
        int w = bit / 64;
        uint64_t m = (uint64_t)1 << (bit % 64);
        int p = -1;
        for (int i = r; i < n; i++)
            if (v[i].w[w] & m) {
                p = i;
                break;
            }
        if (p < 0)
            continue;
        u128 t = v[p];
        v[p] = v[r];
        v[r] = t;
        for (int i = 0; i < n; i++)
            if (i != r && (v[i].w[w] & m)) {
                v[i].w[0] ^= t.w[0];
                v[i].w[1] ^= t.w[1];
            }
        r++;
    }
    return r;
}

Test(ot, fold_keeps_code_distance)
{
    int lowest = 128;
    for (unsigned d = 1; d < 256; d++) {
        __m128i c[2];
        sr_ot_wh(c, d); /* WH is linear: C(j) ^ C(j') = C(j ^ j') */
        u128 h[2] = {from_m(c[0]), from_m(c[1])}, v[256];
        int n = 0, ones = 0;
        for (int k = 0; k < 256; k++) {
            if (!((h[k / 128].w[(k % 128) / 64] >> (k % 64)) & 1))
                continue;
            ones++;
            u128 e = {{0, 0}};
            e.w[(k % 128) / 64] = (uint64_t)1 << (k % 64);
            v[n++] =
                k < 128 ? e : from_m(sr_ot_fold(_mm_setzero_si128(), to_m(e)));
        }
        cr_assert_eq(ones, 128, "WH distance of %u", d);
        int r = rank128(v, n);
        if (r < lowest)
            lowest = r;
    }
    cr_assert_geq(lowest, SR_OT_FOLD_RANK);
}

/* Both code paths: 64-multiples take the AVX-512 one where present. */
Test(ot, transpose_matches_bitwise)
{
    static const size_t dims[][2] = {
        {256, 1024}, {128, 4096}, {32, 8}, {96, 24}, {64, 72},
    };
    static uint8_t in[128 * 4096 / 8], out[128 * 4096 / 8];
    uint64_t seed = 11;
    for (size_t t = 0; t < sizeof dims / sizeof dims[0]; t++) {
        size_t NR = dims[t][0], NC = dims[t][1];
        for (size_t i = 0; i < NR * NC / 8; i++)
            in[i] = (uint8_t)mix(&seed);
        memset(out, 0, sizeof out);
        sr_ot_transpose(out, in, NR, NC);
        for (size_t r = 0; r < NR; r++)
            for (size_t c = 0; c < NC; c++) {
                int a = (in[r * NC / 8 + c / 8] >> (c % 8)) & 1;
                int b = (out[c * NR / 8 + r / 8] >> (r % 8)) & 1;
                cr_assert_eq(a, b, "%zux%zu: r %zu c %zu", NR, NC, r, c);
            }
    }
}

/* ---- AES kernels against OpenSSL's AES-128 ---- */

#include <openssl/evp.h>

static void
ref_aes(const uint8_t key[16], uint8_t *out, const uint8_t *in, size_t nblk)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0;
    cr_assert(c != NULL);
    cr_assert_eq(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    cr_assert_eq(EVP_EncryptUpdate(c, out, &len, in, (int)(16 * nblk)), 1);
    EVP_CIPHER_CTX_free(c);
}

static void
ref_tmmo(const uint8_t key[16], __m128i *out, const __m128i *x, size_t n,
         const uint64_t *tw)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t a[16], b[16], t[16];
        ref_aes(key, a, (const uint8_t *)&x[i], 1);
        memcpy(t, a, 16);
        for (int k = 0; k < 8; k++)
            t[k] ^= (uint8_t)(tw[i] >> (8 * k));
        ref_aes(key, b, t, 1);
        for (int k = 0; k < 16; k++)
            a[k] ^= b[k];
        memcpy(&out[i], a, 16);
    }
}

Test(ot, aes_kernels_match_openssl)
{
    static const uint8_t fixed[16] = {0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3,
                                      0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e,
                                      0x03, 0x70, 0x73, 0x44};
    enum { NB = 77, NC = 3 };
    static __m128i x[NB], got[NB * NC], want[NB * NC];
    static uint64_t tw[NB];
    uint64_t seed = 5;
    uint8_t keys[NC][16];
    sr_ot_aes ks[NC], pi;
    for (int c = 0; c < NC; c++) {
        for (int k = 0; k < 16; k++)
            keys[c][k] = (uint8_t)mix(&seed);
        sr_ot_aes_init(&ks[c], keys[c]);
    }
    for (size_t i = 0; i < NB; i++) {
        uint64_t w[2] = {mix(&seed), mix(&seed)};
        memcpy(&x[i], w, 16);
        tw[i] = mix(&seed);
    }
    /* ECB */
    memcpy(got, x, sizeof x);
    sr_ot_aes_ecb(&ks[0], got, NB);
    ref_aes(keys[0], (uint8_t *)want, (const uint8_t *)x, NB);
    cr_assert(memcmp(got, want, sizeof x) == 0, "ecb");
    /* CTR columns, wide (nb >= 32) and narrow paths */
    for (size_t nb = 5; nb <= NB; nb += NB - 5) {
        uint64_t ctr = 1000;
        sr_ot_aes_ctr_cols(ks, NC, ctr, nb, got, NB);
        for (int c = 0; c < NC; c++) {
            __m128i cb[NB];
            for (size_t b = 0; b < nb; b++)
                cb[b] = _mm_set_epi64x(0, (long long)(ctr + b));
            ref_aes(keys[c], (uint8_t *)(want + (size_t)c * NB),
                    (const uint8_t *)cb, nb);
            cr_assert(memcmp(got + (size_t)c * NB, want + (size_t)c * NB,
                             nb * 16) == 0,
                      "ctr column %d nb %zu", c, nb);
        }
    }
    /* TMMO with sequential and explicit tweaks */
    sr_ot_aes_fixed(&pi);
    uint64_t seq[NB];
    for (size_t i = 0; i < NB; i++)
        seq[i] = 4242 + i;
    sr_ot_tmmo(&pi, got, x, NB, 4242);
    ref_tmmo(fixed, want, x, NB, seq);
    cr_assert(memcmp(got, want, sizeof x) == 0, "tmmo");
    sr_ot_tmmo_tw(&pi, got, x, NB, tw);
    ref_tmmo(fixed, want, x, NB, tw);
    cr_assert(memcmp(got, want, sizeof x) == 0, "tmmo_tw");
    /* KK rows: every N, wide and batched paths */
    for (unsigned m = 1; m <= 8; m++) {
        size_t N = (size_t)1 << m, rows = 3;
        uint64_t v[3 * 256], msg[3 * 256];
        __m128i mask[256], in[256], h[256];
        for (size_t j = 0; j < N; j++) {
            uint64_t w[2] = {mix(&seed), mix(&seed)};
            memcpy(&mask[j], w, 16);
        }
        for (size_t e = 0; e < rows * N; e++)
            msg[e] = mix(&seed);
        sr_ot_kk_rows(&pi, v, x, rows, mask, N, 99, sr_mask(13), msg);
        for (size_t i = 0; i < rows; i++) {
            uint64_t t[256];
            for (size_t j = 0; j < N; j++) {
                in[j] = _mm_xor_si128(x[i], mask[j]);
                t[j] = 99 + i;
            }
            ref_tmmo(fixed, h, in, N, t);
            for (size_t j = 0; j < N; j++) {
                uint64_t lo;
                memcpy(&lo, &h[j], 8);
                cr_assert_eq(v[i * N + j], (msg[i * N + j] ^ lo) & sr_mask(13),
                             "kk m %u row %zu j %zu", m, i, j);
            }
        }
    }
}

/* ---- transcripts: hash every byte each side writes (one connection, so
 * the byte order is fixed), after the lane's own setup ---- */

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>

struct tap {
    sr_lane L;
    uint64_t h; /* FNV-1a of the bytes written since reset */
    int on;
    int fd;
    sr_partyid party;
    int seeded;
    uint64_t seed;
    int rc;
};

static long
tap_write(void *ctx, unsigned k, const void *buf, size_t len)
{
    struct tap *t = ctx;
    long r = (long)send(t->L.chan.fd[k], buf, len, MSG_NOSIGNAL);
    for (long i = 0; t->on && i < r; i++)
        t->h = (t->h ^ ((const uint8_t *)buf)[i]) * 0x100000001b3ULL;
    return r;
}

static long
tap_read(void *ctx, unsigned k, void *buf, size_t len)
{
    struct tap *t = ctx;
    return (long)recv(t->L.chan.fd[k], buf, len, 0);
}

static void *
tap_main(void *arg)
{
    struct tap *t = arg;
    static const sr_chan_io io = {tap_read, tap_write, NULL};
    sr_chan_io mine = io;
    mine.ctx = t;
    sr_lane_opts o = {
        .timeout_ms = 20000, .seeded = t->seeded, .seed = t->seed, .io = &mine};
    t->rc = sr_lane_init(&t->L, t->party, 0, &t->fd, 1, &o);
    if (t->rc != SR_OK)
        return NULL;
    t->on = 1;
    t->h = 0xcbf29ce484222325ULL;
    struct run r[3];
    run_init(&r[0], K_CHOSEN, 3000, 13, 0, SR_SERVER, 1);
    run_init(&r[1], K_KK, 500, 9, 5, SR_CLIENT, 2);
    run_init(&r[2], K_ROT, 700, 64, 0, SR_SERVER, 3);
    for (int k = 0; k < 3 && t->rc == SR_OK; k++)
        t->rc = run_party(&t->L, &r[k]);
    sr_chan_flush(&t->L.chan);
    if (t->rc == SR_OK)
        t->rc = sr_chan_error(&t->L.chan);
    for (int k = 0; k < 3; k++)
        run_free(&r[k]);
    shutdown(t->L.chan.fd[0], SHUT_RDWR);
    sr_lane_clear(&t->L);
    return NULL;
}

/* Hash of the server's and the client's written bytes. */
static void
transcript(uint64_t h[2], int seeded, uint64_t seed)
{
    int a, b;
    cr_assert_eq(sr_test_socketpairs(&a, &b, 1, 0), 0);
    struct tap t[2];
    memset(t, 0, sizeof t);
    pthread_t th[2];
    for (int p = 0; p < 2; p++) {
        t[p].fd = p == 0 ? a : b;
        t[p].party = p == 0 ? SR_SERVER : SR_CLIENT;
        t[p].seeded = seeded;
        t[p].seed = seed;
        cr_assert_eq(pthread_create(&th[p], NULL, tap_main, &t[p]), 0);
    }
    for (int p = 0; p < 2; p++)
        pthread_join(th[p], NULL);
    cr_assert_eq(t[0].rc, SR_OK);
    cr_assert_eq(t[1].rc, SR_OK);
    h[0] = t[0].h;
    h[1] = t[1].h;
}

Test(ot, transcripts_seeded_equal_fresh_differ)
{
    uint64_t s1[2], s2[2], s3[2], f1[2], f2[2];
    transcript(s1, 1, sr_test_seed());
    transcript(s2, 1, sr_test_seed());
    transcript(s3, 1, sr_test_seed() + 7);
    transcript(f1, 0, 0);
    transcript(f2, 0, 0);
    for (int p = 0; p < 2; p++) {
        cr_assert_eq(s1[p], s2[p], "party %d: same seed, other transcript", p);
        cr_assert_neq(s1[p], s3[p], "party %d: other seed, same", p);
        cr_assert_neq(f1[p], f2[p], "party %d: two fresh runs agree", p);
        cr_assert_neq(s1[p], f1[p], "party %d: fresh equals seeded", p);
    }
}

/* sr_cot_send with m0 aliasing delta (documented as allowed). */
static int
cot_inplace_party(sr_lane *L, void *arg)
{
    struct run *r = arg;
    if (L->party != r->sender)
        return sr_cot_recv(L, r->n, r->out, r->b, r->l);
    memcpy(r->s0, r->in0, r->n * sizeof *r->s0); /* s0 = delta, in place */
    return sr_cot_send(L, r->n, r->s0, r->s0, r->l);
}

Test(ot, cot_in_place)
{
    struct run r;
    run_init(&r, K_COT, 10007, 41, 0, SR_CLIENT, 8);
    cr_assert_eq(sr_test_run(cot_inplace_party, &r, NULL), SR_OK);
    run_check(&r);
    run_free(&r);
}

/* A peer whose first base-OT point is not on the curve: setup fails with
 * SR_ECHECK (and the harness then wakes the fake peer). */
static int
bad_point_party(sr_lane *L, void *arg)
{
    (void)arg;
    if (L->party == SR_SERVER)
        return sr_ot_setup(L);
    uint8_t bad[33], got[33], more[33];
    memset(bad, 0xff, sizeof bad);
    bad[0] = 0x02; /* compressed, x = 2^256 - 1 >= p: invalid */
    sr_chan_exchange(&L->chan, got, sizeof got, bad, sizeof bad);
    sr_chan_recv(&L->chan, more, sizeof more); /* ends with EOF */
    return SR_OK;
}

Test(ot, setup_rejects_bad_point)
{
    sr_test_opts o = {.timeout_ms = 5000};
    cr_assert_eq(sr_test_run(bad_point_party, NULL, &o), SR_ECHECK);
}
