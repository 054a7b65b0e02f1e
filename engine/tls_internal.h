/*
 * engine/tls_internal.h -- what engine/tls.c (the per-lane transport) and
 * engine/tls_config.c (the configuration) share.  Not an API.
 */
#ifndef SR_ENGINE_TLS_INTERNAL_H
#define SR_ENGINE_TLS_INTERNAL_H

#include <stddef.h>

#include <openssl/bio.h>

/* vsnprintf into err (nothing when err is NULL or errlen 0). */
void sr_tls_errf(char *err, size_t errlen, const char *fmt, ...);

/* The reason of OpenSSL's latest queued error, for messages. */
const char *sr_tls_ossl_reason(void);

/* Our counting socket BIO's method (NULL when OpenSSL fails). */
BIO_METHOD *sr_tls_bio_method_new(void);

#endif
