/*
 * jobs/npy.h -- NumPy .npy files: a strict reader and a writer
 * (DESIGN.md s7, docs/models.md).
 *
 * Supported: format versions 1.0, 2.0 and 3.0; dtypes '<f4' '<f8' '<i4'
 * '<i8' (little-endian float32/float64/int32/int64); C order; 0 to
 * SR_NPY_MAX_DIMS dimensions.  Anything else is rejected with a one-line
 * message of the form
 *
 *     sirnn: <file>: <what>: <detail>
 *
 * written into the caller's buffer (expected vs found where that helps).
 * The library never prints or exits: job code prints the line and exits 2
 * on SR_EUSAGE.  Codes: SR_OK; SR_EUSAGE for a missing, unreadable or
 * malformed file (bad input); SR_EIO for a write failure; SR_ENOMEM.
 *
 * Checks made on read: magic, version, header length within the file,
 * header syntax (a Python dict literal with exactly the keys 'descr',
 * 'fortran_order', 'shape', terminated by '\n'), dtype, byte order,
 * fortran_order False, shape entries and their product (no size_t
 * overflow), data size equal to product * itemsize (truncated data and
 * trailing garbage are both errors).
 */
#ifndef SR_JOBS_NPY_H
#define SR_JOBS_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"

#define SR_NPY_MAX_DIMS 8
#define SR_NPY_ERRLEN 512 /* a large enough message buffer */

/* dtypes, as flags so that a reader can accept a set of them. */
typedef enum {
    SR_NPY_F4 = 1, /* '<f4' float32 */
    SR_NPY_F8 = 2, /* '<f8' float64 */
    SR_NPY_I4 = 4, /* '<i4' int32 */
    SR_NPY_I8 = 8, /* '<i8' int64 */
} sr_npy_dtype;

#define SR_NPY_FLOAT (SR_NPY_F4 | SR_NPY_F8)
#define SR_NPY_INT (SR_NPY_I4 | SR_NPY_I8)

/*
 * A loaded array.  Exactly one of f64/i64 is non-NULL after a successful
 * load: f64 for float files, i64 for integer files (values converted
 * exactly).  n is the product of the shape (1 for a 0-d array).  Owned by
 * the struct: release with sr_npy_clear.
 */
typedef struct sr_npy {
    sr_npy_dtype dtype; /* dtype found in the file */
    unsigned ndim;
    size_t shape[SR_NPY_MAX_DIMS];
    size_t n;
    double *f64;
    int64_t *i64;
} sr_npy;

/*
 * Reads path into a, accepting the dtypes in the `accept` mask (e.g.
 * SR_NPY_FLOAT for weights and inputs, SR_NPY_INT for labels).  On failure
 * a is left cleared (safe to sr_npy_clear) and err holds the message.
 * err may be NULL (errlen 0).
 */
SR_NODISCARD int sr_npy_load(sr_npy *a, const char *path, unsigned accept,
                             char *err, size_t errlen);

/*
 * The same on a memory image of a file; `name` stands for the file in
 * messages.  buf is not modified and may be freed after the call.
 */
SR_NODISCARD int sr_npy_parse(sr_npy *a, const uint8_t *buf, size_t len,
                              const char *name, unsigned accept, char *err,
                              size_t errlen);

/* Frees the data; idempotent; leaves a zeroed. */
void sr_npy_clear(sr_npy *a);

/*
 * Writes n = prod(shape) values to path as a version 1.0 file (with at
 * most SR_NPY_MAX_DIMS dimensions the header always fits), header padded
 * so that the data starts at a multiple of 64 bytes, as NumPy does.
 * sr_npy_save_f64 writes dtype SR_NPY_F4 (each value rounded to the
 * nearest float; NaN and infinities are written as they are) or
 * SR_NPY_F8; sr_npy_save_i64 writes SR_NPY_I4 (values must fit, else
 * SR_EUSAGE) or SR_NPY_I8.  ndim may be 0 (a scalar).
 */
SR_NODISCARD int sr_npy_save_f64(const char *path, sr_npy_dtype dtype,
                                 const size_t *shape, unsigned ndim,
                                 const double *x, char *err, size_t errlen);
SR_NODISCARD int sr_npy_save_i64(const char *path, sr_npy_dtype dtype,
                                 const size_t *shape, unsigned ndim,
                                 const int64_t *x, char *err, size_t errlen);

/* Index of the first NaN or infinity in x[0..n), or n when all finite. */
size_t sr_npy_find_nonfinite(const double *x, size_t n);

/* The dtype's descr text ("<f4", ...), for messages. */
const char *sr_npy_dtype_name(sr_npy_dtype dtype);

/* Writes "(3, 4)" style text of a shape into buf (always terminated). */
void sr_npy_shape_str(char *buf, size_t len, const size_t *shape,
                      unsigned ndim);

#endif
