/*
 * jobs/report.h -- the JSON report of DESIGN.md s6 (jansson).
 *
 * bench and eval print the report on one line on stdout and, with
 * --report FILE, write the same object to FILE.
 */
#ifndef SR_JOBS_REPORT_H
#define SR_JOBS_REPORT_H

#include <jansson.h>

#include "engine/common.h"

/* A report object with "sirnn" (version) and "role" set. */
json_t *sr_report_new(const char *role);

/* Print r on one line on stdout (when print) and write it to path (when
 * not NULL) through a temporary PATH.tmp.XXXXXX in the same directory,
 * renamed over path once complete (a full disk leaves no partial report
 * and no temporary).  Returns SR_OK or SR_EIO (message printed). */
SR_NODISCARD int sr_report_emit(const json_t *r, const char *path, int print);

/* Read a report written by sr_report_emit; NULL (message printed) on
 * error. */
json_t *sr_report_read(const char *path);

/* CPU seconds (user + system) of this process so far, getrusage. */
double sr_report_cpu_seconds(void);

/* Peak resident set of this process in MiB. */
double sr_report_peak_rss_mb(void);

#endif
