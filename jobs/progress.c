/*
 * jobs/progress.c -- stderr progress bar / decile lines.
 */
#include "jobs/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "engine/lane.h"

/* see progress.h */
void
sr_progress_start(sr_progress *p, const char *label, uint64_t total, int quiet)
{
    p->label = label;
    p->total = total;
    p->done = 0;
    p->quiet = quiet;
    p->tty = isatty(STDERR_FILENO);
    p->shown = 0;
    p->started = 0;
    p->t0 = sr_now();
}

/* see progress.h */
void
sr_progress_update(sr_progress *p, uint64_t done)
{
    if (p->quiet || p->total == 0)
        return;
    p->done = done > p->total ? p->total : done;
    int pct = (int)(100.0 * (double)p->done / (double)p->total);
    double el = sr_now() - p->t0;
    if (el < 1.0 && !p->started) /* short jobs stay silent */
        return;
    p->started = 1;
    if (p->tty) {
        if (pct == p->shown && pct != 0)
            return;
        p->shown = pct;
        int w = pct * 30 / 100;
        fprintf(stderr, "\r%s [%.*s%*s] %3d%% %.1fs", p->label, w,
                "##############################", 30 - w, "", pct, el);
        fflush(stderr);
    } else {
        int dec = pct / 10;
        if (dec <= p->shown / 10 || dec == 0)
            return;
        p->shown = dec * 10;
        fprintf(stderr, "sirnn: %s: %d%% (%.1fs)\n", p->label, dec * 10, el);
    }
}

/* see progress.h */
void
sr_progress_end(sr_progress *p)
{
    if (p->quiet || p->total == 0 || !p->started)
        return;
    if (p->done < p->total)
        sr_progress_update(p, p->total);
    if (p->tty)
        fputc('\n', stderr);
}
