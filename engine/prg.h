/*
 * engine/prg.h -- AES-128-CTR pseudo-random generator (OpenSSL EVP).
 *
 * Seeds come from RAND_bytes (sr_prg_init_random) except in tests and
 * --seed runs (sr_prg_init with a key derived from the seed).  Output is
 * the CTR keystream of the key from counter 0, so two PRGs with the same
 * key produce the same stream: the shared PRG of a lane pair relies on it.
 */
#ifndef SR_ENGINE_PRG_H
#define SR_ENGINE_PRG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

#define SR_PRG_BUF 4096

typedef struct sr_prg {
    void *ctx;                  /* EVP_CIPHER_CTX */
    uint8_t buf[SR_PRG_BUF];    /* keystream not yet handed out */
    size_t pos;                 /* next unused byte of buf */
} sr_prg;

/* Key the PRG with 16 bytes. */
SR_NODISCARD int sr_prg_init(sr_prg *g, const uint8_t key[16]);
/* Key the PRG from RAND_bytes. */
SR_NODISCARD int sr_prg_init_random(sr_prg *g);
/* Wipes the key; idempotent, safe on a zeroed struct. */
void sr_prg_clear(sr_prg *g);

/* len pseudo-random bytes.  Aborts (misuse) only if the PRG is unkeyed. */
void sr_prg_bytes(sr_prg *g, void *out, size_t len);
/* n values uniform in [0, 2^bw), 1 <= bw <= 64. */
void sr_prg_u64(sr_prg *g, uint64_t *out, size_t n, unsigned bw);
/* n uniform bits, one per byte (0 or 1). */
void sr_prg_bits(sr_prg *g, uint8_t *out, size_t n);

/*
 * Derive a 16-byte key from a 64-bit test seed and a label (SHA-256 of
 * both, truncated): distinct labels give independent streams.
 */
void sr_prg_derive_key(uint8_t key[16], uint64_t seed, const char *label);

#endif
