/*
 * jobs/report.c -- JSON reports.
 */
#include "jobs/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* see report.h */
json_t *
sr_report_new(const char *role)
{
    json_t *r = json_object();
    if (r == NULL)
        return NULL;
    json_object_set_new(r, "sirnn", json_string(SR_VERSION));
    json_object_set_new(r, "role", json_string(role));
    return r;
}

/* Write text and a newline to fd; 0 or an errno. */
static int
write_text(int fd, const char *text)
{
    size_t len = strlen(text), off = 0;
    while (off <= len) {
        const char *p = off < len ? text + off : "\n";
        size_t n = off < len ? len - off : 1;
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : ENOSPC;
        off += (size_t)w;
    }
    return 0;
}

/*
 * Write r to path.  A regular file (or a new one) is written through a
 * temporary in the same directory and renamed, so that a reader never
 * sees a partial report and a full disk leaves the old file (if any) in
 * place and no temporary behind.  Anything else that exists (a device,
 * a pipe) is written in place.
 */
static int
write_report(const json_t *r, const char *path, size_t flags)
{
    char *text = json_dumps(r, flags);
    if (text == NULL)
        return SR_ENOMEM;
    struct stat sb;
    int direct = stat(path, &sb) == 0 && !S_ISREG(sb.st_mode);
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    int fd = -1, e = 0;
    if (tmp == NULL) {
        e = ENOMEM;
    } else if (direct) {
        fd = open(path, O_WRONLY | O_TRUNC);
    } else {
        snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
        fd = mkstemp(tmp);
        if (fd >= 0)
            (void)fchmod(fd, 0644);
    }
    if (fd < 0 && e == 0)
        e = errno;
    if (e == 0)
        e = write_text(fd, text);
    if (e == 0 && !direct && fsync(fd) != 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && !direct && rename(tmp, path) != 0)
        e = errno;
    if (e != 0 && fd >= 0 && !direct)
        unlink(tmp);
    if (e != 0)
        fprintf(stderr, "sirnn: report: cannot write %s: %s\n", path,
                strerror(e));
    free(text);
    free(tmp);
    return e == 0 ? SR_OK : SR_EIO;
}

/* see report.h */
int
sr_report_emit(const json_t *r, const char *path, int print)
{
    const size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    if (print) {
        char *s = json_dumps(r, flags);
        if (s == NULL)
            return SR_ENOMEM;
        printf("%s\n", s);
        fflush(stdout);
        free(s);
    }
    if (path != NULL)
        return write_report(r, path, flags);
    return SR_OK;
}

/* see report.h */
json_t *
sr_report_read(const char *path)
{
    json_error_t e;
    json_t *r = json_load_file(path, 0, &e);
    if (r == NULL || !json_is_object(r)) {
        fprintf(stderr, "sirnn: report: cannot read %s: %s\n", path, e.text);
        json_decref(r);
        return NULL;
    }
    return r;
}

/* see report.h */
double
sr_report_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* see report.h */
double
sr_report_peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}
