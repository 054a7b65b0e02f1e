/*
 * jobs/npy_internal.h -- what the .npy reader (npy.c) and writer
 * (npy_save.c) share; not a public API.
 */
#ifndef SR_JOBS_NPY_INTERNAL_H
#define SR_JOBS_NPY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/npy.h"

/* The 6 bytes every .npy file starts with. */
extern const uint8_t sr_npy_magic[6];

/* Writes "sirnn: <name>: <what>: <detail>" into err and returns code. */
int sr_npy_fail(char *err, size_t errlen, int code, const char *name,
                const char *what, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Bytes per element of dtype. */
size_t sr_npy_dtype_size(sr_npy_dtype dtype);

#endif
