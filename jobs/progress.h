/*
 * jobs/progress.h -- progress of long jobs on stderr (DESIGN.md s5): a
 * bar redrawn in place when stderr is a TTY, otherwise one line per 10%.
 * Off when quiet, and silent during the first second (short jobs print
 * nothing).  Not thread-safe: one thread updates it.
 */
#ifndef SR_JOBS_PROGRESS_H
#define SR_JOBS_PROGRESS_H

#include <stdint.h>

typedef struct sr_progress {
    const char *label;
    uint64_t total, done;
    int tty, quiet;
    int shown;   /* last decile (lines) or percent (bar) shown */
    int started; /* something was printed */
    double t0;
} sr_progress;

void sr_progress_start(sr_progress *p, const char *label, uint64_t total,
                       int quiet);
/* Set the amount done (clamped to total). */
void sr_progress_update(sr_progress *p, uint64_t done);
/* Finish (draws 100% if something was shown; ends the bar's line). */
void sr_progress_end(sr_progress *p);

#endif
