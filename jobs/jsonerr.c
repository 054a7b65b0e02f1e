/*
 * jobs/jsonerr.c -- see jsonerr.h.
 */
#include "jobs/jsonerr.h"

#include "jobs/npy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see jsonerr.h */
int
sr_field_error(char *err, size_t errlen, int code, const char *file,
               const char *field, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return code;
    int k = snprintf(err, errlen, "sirnn: %s: %s: ", file, field);
    if (k >= 0 && (size_t)k < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* see jsonerr.h */
const char *
sr_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* see jsonerr.h */
char *
sr_path_join(const char *dir, const char *file)
{
    size_t dl = strlen(dir), n = dl + strlen(file) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s%s%s", dir, dl > 0 && dir[dl - 1] != '/' ? "/" : "",
                 file);
    return p;
}

/* see jsonerr.h */
int
sr_model_json_read(const char *dir, json_t **root, char **path, char *err,
                   size_t errlen)
{
    *root = NULL;
    *path = sr_path_join(dir, "model.json");
    if (*path == NULL)
        return SR_ENOMEM;
    json_error_t je;
    *root = json_load_file(*path, JSON_REJECT_DUPLICATES, &je);
    if (*root != NULL)
        return SR_OK;
    int rc = je.line < 1 ? sr_field_error(err, errlen, SR_EUSAGE, *path, "open",
                                          "%s", je.text)
                         : sr_field_error(err, errlen, SR_EUSAGE, *path, "json",
                                          "line %d column %d: %s", je.line,
                                          je.column, je.text);
    free(*path);
    *path = NULL;
    return rc;
}

/* see jsonerr.h */
int
sr_input_check(const struct sr_npy *x, const char *path, const char *expect,
               char *err, size_t errlen)
{
    if (x->ndim != 3 && !(x->ndim == 4 && x->shape[3] == 1)) {
        char got[96];
        sr_npy_shape_str(got, sizeof got, x->shape, x->ndim);
        return sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                              "expected %s, found %s", expect, got);
    }
    if (x->shape[0] == 0)
        return sr_field_error(err, errlen, SR_EUSAGE, path, "shape",
                              "expected at least one sample, found %zu",
                              x->shape[0]);
    const size_t bad = sr_npy_find_nonfinite(x->f64, x->n);
    if (bad < x->n)
        return sr_field_error(err, errlen, SR_EUSAGE, path, "values",
                              "element %zu is not finite", bad);
    return SR_OK;
}
