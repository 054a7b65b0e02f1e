/*
 * jobs/jsonerr.c -- see jsonerr.h.
 */
#include "jobs/jsonerr.h"

#include <stdarg.h>
#include <stdio.h>

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
