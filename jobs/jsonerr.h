/*
 * jobs/jsonerr.h -- helpers shared by the model.json loaders (jobs/model.c,
 * jobs/model_heads.c): the one-line error and JSON type names.
 */
#ifndef SR_JOBS_JSONERR_H
#define SR_JOBS_JSONERR_H

#include <stddef.h>

#include "engine/common.h"

#include <jansson.h>

/*
 * Writes "sirnn: <file>: <field>: <detail>" (detail from fmt) into err and
 * returns code.  err may be NULL.
 */
int sr_field_error(char *err, size_t errlen, int code, const char *file,
                   const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The JSON type of v in words ("an object", "a string", ...). */
const char *sr_json_type_name(const json_t *v);

/* dir and a relative file name joined by one '/' (new string; NULL when
 * out of memory). */
char *sr_path_join(const char *dir, const char *file);

/*
 * Reads dir/model.json (duplicate keys rejected).  On SR_OK, *root is the
 * document (json_decref it) and *path the file's path (free it).  Otherwise
 * *root and *path are NULL and err holds "sirnn: <path>: open|json: ..."
 * (SR_EUSAGE) or the code is SR_ENOMEM.
 */
int sr_model_json_read(const char *dir, json_t **root, char **path, char *err,
                       size_t errlen);

/*
 * Checks a loaded float input x (path names it): rank 3 or rank 4 with a
 * last dimension of 1, at least one sample, every value finite.  SR_OK, or
 * SR_EUSAGE with one line in err: "sirnn: PATH: shape: expected EXPECT,
 * found (...)", "... shape: expected at least one sample", or "...
 * values: element I is not finite".
 */
struct sr_npy;
int sr_input_check(const struct sr_npy *x, const char *path, const char *expect,
                   char *err, size_t errlen);

#endif
