/*
 * protocols/ot_base.c -- base OTs: Chou and Orlandi, "The Simplest
 * Protocol for Oblivious Transfer" (Latincrypt 2015), on NIST P-256 with
 * OpenSSL's EC_POINT arithmetic, n OTs in each direction at once.
 *
 *   sender:   a random, A = aG                          S -> R: A
 *   receiver: x_j random, B_j = x_j G + s_j A           R -> S: B_j
 *   sender:   k0_j = KDF(j, A, B_j, a B_j)
 *             k1_j = KDF(j, A, B_j, a B_j - a A)
 *   receiver: k_{s_j} = KDF(j, A, B_j, x_j A)
 *
 * Both parties are sender in one direction and receiver in the other, so
 * each message is an exchange: A both ways, then the B_j both ways.
 * Points travel compressed (33 bytes) and are checked to be on the curve
 * and not the identity.  KDF is SHA-256 truncated to 16 bytes.
 */
#include "protocols/ot_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#define PT 33 /* compressed P-256 point */

typedef struct base_ctx {
    EC_GROUP *g;
    BN_CTX *bn;
    const BIGNUM *order;
} base_ctx;

/* A scalar in [1, order) from 40 PRG bytes (bias < 2^-64). */
static int
rand_scalar(sr_lane *L, base_ctx *c, BIGNUM *k)
{
    uint8_t r[40];
    sr_prg_bytes(&L->prg, r, sizeof r);
    int ok = BN_bin2bn(r, sizeof r, k) != NULL &&
             BN_nnmod(k, k, c->order, c->bn) == 1;
    OPENSSL_cleanse(r, sizeof r);
    if (ok && BN_is_zero(k))
        ok = BN_one(k);
    return ok ? SR_OK : SR_ECRYPTO;
}

static int
enc_point(base_ctx *c, uint8_t out[PT], const EC_POINT *p)
{
    return EC_POINT_point2oct(c->g, p, POINT_CONVERSION_COMPRESSED, out, PT,
                              c->bn) == PT
               ? SR_OK
               : SR_ECRYPTO;
}

static int
dec_point(base_ctx *c, EC_POINT *p, const uint8_t in[PT])
{
    if (EC_POINT_oct2point(c->g, p, in, PT, c->bn) != 1 ||
        EC_POINT_is_at_infinity(c->g, p))
        return SR_ECHECK;
    return SR_OK;
}

/* KDF(j, A, B, P): SHA-256 of the index and the three encodings. */
static int
kdf(base_ctx *c, uint8_t key[16], uint64_t j, const uint8_t A[PT],
    const uint8_t B[PT], const EC_POINT *P)
{
    uint8_t buf[8 + 3 * PT], h[SHA256_DIGEST_LENGTH];
    for (int k = 0; k < 8; k++)
        buf[k] = (uint8_t)(j >> (8 * k));
    memcpy(buf + 8, A, PT);
    memcpy(buf + 8 + PT, B, PT);
    int rc = enc_point(c, buf + 8 + 2 * PT, P);
    SHA256(buf, sizeof buf, h);
    memcpy(key, h, 16);
    OPENSSL_cleanse(buf, sizeof buf);
    OPENSSL_cleanse(h, sizeof h);
    return rc;
}

static int
base_run(sr_lane *L, base_ctx *c, size_t n, uint8_t (*k0)[16],
         uint8_t (*k1)[16], uint8_t (*ks)[16], const uint8_t *s)
{
    int rc = SR_ECRYPTO;
    BIGNUM *a = BN_new(), *x = BN_new();
    EC_POINT *A = EC_POINT_new(c->g), *Ap = EC_POINT_new(c->g),
             *aA = EC_POINT_new(c->g), *P = EC_POINT_new(c->g),
             *Q = EC_POINT_new(c->g);
    uint8_t *myB = malloc(n * PT + 1), *peerB = malloc(n * PT + 1);
    BIGNUM **xs = calloc(n + 1, sizeof *xs);
    uint8_t encA[PT], encAp[PT];
    if (a == NULL || x == NULL || A == NULL || Ap == NULL || aA == NULL ||
        P == NULL || Q == NULL || myB == NULL || peerB == NULL || xs == NULL) {
        rc =
            myB == NULL || peerB == NULL || xs == NULL ? SR_ENOMEM : SR_ECRYPTO;
        goto out;
    }

    /* 1. As sender: A = aG. */
    if ((rc = rand_scalar(L, c, a)) != SR_OK)
        goto out;
    rc = SR_ECRYPTO;
    if (EC_POINT_mul(c->g, A, a, NULL, NULL, c->bn) != 1 ||
        EC_POINT_mul(c->g, aA, NULL, A, a, c->bn) != 1)
        goto out;
    if ((rc = enc_point(c, encA, A)) != SR_OK)
        goto out;
    /* S -> R both ways: 33 bytes (A) */
    sr_chan_exchange(&L->chan, encAp, PT, encA, PT);
    if ((rc = sr_chan_error(&L->chan)) != SR_OK)
        goto out;
    if ((rc = dec_point(c, Ap, encAp)) != SR_OK)
        goto out;

    /* 2. As receiver of the peer's OTs: B_j = x_j G + s_j A'. */
    for (size_t j = 0; j < n; j++) {
        rc = SR_ENOMEM;
        if ((xs[j] = BN_new()) == NULL)
            goto out;
        if ((rc = rand_scalar(L, c, xs[j])) != SR_OK)
            goto out;
        rc = SR_ECRYPTO;
        if (EC_POINT_mul(c->g, P, xs[j], NULL, NULL, c->bn) != 1)
            goto out;
        /* Constant-time selection is not needed for semi-honest
         * security against the peer, who sees only B_j. */
        if (s[j] && EC_POINT_add(c->g, P, P, Ap, c->bn) != 1)
            goto out;
        if ((rc = enc_point(c, myB + j * PT, P)) != SR_OK)
            goto out;
    }
    /* R -> S both ways: n x 33 bytes (B_j) */
    sr_chan_exchange(&L->chan, peerB, n * PT, myB, n * PT);
    if ((rc = sr_chan_error(&L->chan)) != SR_OK)
        goto out;

    /* 3. Keys.  As receiver: x_j A'.  As sender: a B_j and a B_j - a A. */
    for (size_t j = 0; j < n; j++) {
        rc = SR_ECRYPTO;
        if (EC_POINT_mul(c->g, P, NULL, Ap, xs[j], c->bn) != 1)
            goto out;
        if ((rc = kdf(c, ks[j], j, encAp, myB + j * PT, P)) != SR_OK)
            goto out;
        if ((rc = dec_point(c, Q, peerB + j * PT)) != SR_OK)
            goto out;
        rc = SR_ECRYPTO;
        if (EC_POINT_mul(c->g, P, NULL, Q, a, c->bn) != 1)
            goto out;
        if ((rc = kdf(c, k0[j], j, encA, peerB + j * PT, P)) != SR_OK)
            goto out;
        rc = SR_ECRYPTO;
        if (EC_POINT_invert(c->g, aA, c->bn) != 1 ||
            EC_POINT_add(c->g, P, P, aA, c->bn) != 1 ||
            EC_POINT_invert(c->g, aA, c->bn) != 1)
            goto out;
        if (EC_POINT_is_at_infinity(c->g, P)) {
            rc = SR_ECHECK; /* B_j = A: impossible for an honest peer */
            goto out;
        }
        if ((rc = kdf(c, k1[j], j, encA, peerB + j * PT, P)) != SR_OK)
            goto out;
    }
    rc = SR_OK;
out:
    if (xs != NULL)
        for (size_t j = 0; j < n; j++)
            BN_clear_free(xs[j]);
    free(xs);
    free(myB);
    free(peerB);
    EC_POINT_clear_free(A);
    EC_POINT_free(Ap);
    EC_POINT_clear_free(aA);
    EC_POINT_clear_free(P);
    EC_POINT_free(Q);
    BN_clear_free(a);
    BN_clear_free(x);
    return rc;
}

/* see ot_internal.h */
int
sr_ot_base(sr_lane *L, size_t n, uint8_t (*k0)[16], uint8_t (*k1)[16],
           uint8_t (*ks)[16], const uint8_t *s)
{
    base_ctx c;
    c.g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    c.bn = BN_CTX_new();
    int rc = SR_ECRYPTO;
    if (c.g != NULL && c.bn != NULL) {
        c.order = EC_GROUP_get0_order(c.g);
        rc = base_run(L, &c, n, k0, k1, ks, s);
    }
    BN_CTX_free(c.bn);
    EC_GROUP_free(c.g);
    return rc;
}
