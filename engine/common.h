/*
 * engine/common.h -- error codes, masks, roles and misuse checks shared by
 * every layer of sirnn.
 *
 * Share invariant (DESIGN.md s4): a secret of bitwidth bw is held as
 * additive shares x_A + x_B = x mod 2^bw, one per uint64_t, and every share
 * array a function returns is reduced mod 2^bw.  Bits are uint8_t 0/1.
 */
#ifndef SR_ENGINE_COMMON_H
#define SR_ENGINE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define SR_VERSION "0.1.0"

/* Return codes of every fallible function: SR_OK or a negative code. */
#define SR_OK 0
#define SR_EIO (-1)       /* socket or file I/O failed */
#define SR_ENOMEM (-2)    /* allocation failed */
#define SR_ECHECK (-3)    /* a received value failed a check */
#define SR_EPEER (-4)     /* the peer closed the connection */
#define SR_ECRYPTO (-5)   /* OpenSSL failed */
#define SR_EMPI (-6)      /* an MPI call failed */
#define SR_ETIMEOUT (-7)  /* a blocking read or write saw no progress */
#define SR_EMISMATCH (-8) /* the peer runs another job or version */
#define SR_EUSAGE (-9)    /* bad user input (maps to exit code 2) */

#if defined(__GNUC__)
#define SR_NODISCARD __attribute__((warn_unused_result))
#define SR_NORETURN __attribute__((noreturn))
#else
#define SR_NODISCARD
#define SR_NORETURN
#endif

/* Message for an SR_* code; never NULL. */
const char *sr_strerror(int code);

/*
 * Formats a one-line message into err (may be NULL or errlen 0: nothing
 * written) and returns SR_EUSAGE: the validators' "fail with a reason".
 */
int sr_usage_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Programmer errors (bad bitwidth, NULL with n > 0, overflow) abort with
 * file and line.  Never compiled out, unlike assert().
 */
SR_NORETURN void sr_misuse(const char *file, int line, const char *what);
#define SR_REQUIRE(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            sr_misuse(__FILE__, __LINE__, #cond);                              \
    } while (0)

/* All-ones mask of bw bits, 0 <= bw <= 64. */
static inline uint64_t
sr_mask(unsigned bw)
{
    return bw >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bw) - 1);
}

/* Per-lane protocol roles P0/P1 (DESIGN.md s2). */
typedef enum { SR_ALICE = 0, SR_BOB = 1 } sr_role;

static inline sr_role
sr_peer(sr_role r)
{
    return r == SR_ALICE ? SR_BOB : SR_ALICE;
}

/* The two parties: the server owns the model, the client the inputs. */
typedef enum { SR_SERVER = 0, SR_CLIENT = 1 } sr_partyid;

/* Ceiling division for sizes. */
static inline size_t
sr_ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* Bytes needed to pack n values of bw bits each. */
static inline size_t
sr_packed_bytes(size_t n, unsigned bw)
{
    return sr_ceil_div(n * (size_t)bw, 8);
}

#endif
