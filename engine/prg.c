/*
 * engine/prg.c -- AES-128-CTR keystream, generated SR_PRG_BUF bytes at a
 * time (one EVP call per block is an order of magnitude slower) and
 * straight into the caller's buffer for large requests.
 */
#include "engine/prg.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

static void
keystream(sr_prg *g, uint8_t *out, size_t len)
{
    int outl = 0;
    memset(out, 0, len);
    while (len > 0) {
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        if (EVP_EncryptUpdate(g->ctx, out, &outl, out, chunk) != 1 ||
            outl != chunk)
            sr_misuse(__FILE__, __LINE__, "EVP_EncryptUpdate failed");
        out += chunk;
        len -= (size_t)chunk;
    }
}

/* see prg.h */
int
sr_prg_init(sr_prg *g, const uint8_t key[16])
{
    static const uint8_t iv[16] = { 0 };
    memset(g, 0, sizeof *g);
    g->ctx = EVP_CIPHER_CTX_new();
    if (g->ctx == NULL)
        return SR_ECRYPTO;
    if (EVP_EncryptInit_ex(g->ctx, EVP_aes_128_ctr(), NULL, key, iv) != 1) {
        sr_prg_clear(g);
        return SR_ECRYPTO;
    }
    g->pos = SR_PRG_BUF;
    return SR_OK;
}

/* see prg.h */
int
sr_prg_init_random(sr_prg *g)
{
    uint8_t key[16];
    if (RAND_bytes(key, sizeof key) != 1) {
        memset(g, 0, sizeof *g);
        return SR_ECRYPTO;
    }
    int rc = sr_prg_init(g, key);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* see prg.h */
void
sr_prg_clear(sr_prg *g)
{
    if (g->ctx != NULL)
        EVP_CIPHER_CTX_free(g->ctx);
    OPENSSL_cleanse(g, sizeof *g);
    g->ctx = NULL;
}

/* see prg.h */
void
sr_prg_bytes(sr_prg *g, void *out, size_t len)
{
    SR_REQUIRE(g->ctx != NULL);
    uint8_t *o = out;
    size_t have = SR_PRG_BUF - g->pos;
    if (len <= have) {
        memcpy(o, g->buf + g->pos, len);
        g->pos += len;
        return;
    }
    memcpy(o, g->buf + g->pos, have);
    o += have;
    len -= have;
    g->pos = SR_PRG_BUF;
    if (len >= SR_PRG_BUF) {
        size_t bulk = len - len % 16;
        keystream(g, o, bulk);
        o += bulk;
        len -= bulk;
    }
    if (len > 0) {
        keystream(g, g->buf, SR_PRG_BUF);
        memcpy(o, g->buf, len);
        g->pos = len;
    }
}

/* see prg.h */
void
sr_prg_u64(sr_prg *g, uint64_t *out, size_t n, unsigned bw)
{
    SR_REQUIRE(bw >= 1 && bw <= 64);
    sr_prg_bytes(g, out, n * sizeof *out);
    const uint64_t m = sr_mask(bw);
    for (size_t i = 0; i < n; i++)
        out[i] &= m;
}

/* see prg.h */
void
sr_prg_bits(sr_prg *g, uint8_t *out, size_t n)
{
    sr_prg_bytes(g, out, n);
    for (size_t i = 0; i < n; i++)
        out[i] &= 1;
}

/* see prg.h */
void
sr_prg_derive_key(uint8_t key[16], uint64_t seed, const char *label)
{
    uint8_t in[8 + 64] = { 0 }, h[SHA256_DIGEST_LENGTH];
    for (int k = 0; k < 8; k++)
        in[k] = (uint8_t)(seed >> (8 * k));
    size_t ll = strlen(label);
    if (ll > 64)
        ll = 64;
    memcpy(in + 8, label, ll);
    SHA256(in, 8 + ll, h);
    memcpy(key, h, 16);
}
