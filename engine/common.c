/*
 * engine/common.c -- error messages and the misuse trap.
 */
#include "engine/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* see common.h */
const char *
sr_strerror(int code)
{
    switch (code) {
    case SR_OK:
        return "ok";
    case SR_EIO:
        return "I/O error";
    case SR_ENOMEM:
        return "out of memory";
    case SR_ECHECK:
        return "received data failed a check";
    case SR_EPEER:
        return "peer closed the connection";
    case SR_ECRYPTO:
        return "OpenSSL failure";
    case SR_EMPI:
        return "MPI failure";
    case SR_ETIMEOUT:
        return "timed out waiting for the peer";
    case SR_EMISMATCH:
        return "peer runs a different job or version";
    case SR_EUSAGE:
        return "bad usage or input";
    default:
        return "unknown error";
    }
}

/* see common.h */
void
sr_misuse(const char *file, int line, const char *what)
{
    fprintf(stderr, "sirnn: internal error: %s:%d: requirement failed: %s\n",
            file, line, what);
    abort();
}

/* see common.h */
int
sr_usage_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return SR_EUSAGE;
}
