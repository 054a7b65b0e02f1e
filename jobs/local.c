/*
 * jobs/local.c -- both parties on this machine: two child processes (each
 * under `mpirun -np R --bind-to none` when R > 1) over loopback TCP,
 * through the real rendezvous.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include "engine/lane.h"
#include "jobs/internal.h"
#include "jobs/report.h"

/* see internal.h */
unsigned
sr_local_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    unsigned port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/*
 * Start `[mpirun -np R --bind-to none] EXE args...` with stdout on
 * /dev/null; returns the pid or -1.  Each mpirun gets its own session
 * directory (tmpdir): Open MPI 4 started twice at the same moment races
 * on creating /tmp/ompi.HOST.UID and one of them fails.
 */
static pid_t
spawn(const char *exe, char **args, unsigned ranks, const char *tmpdir)
{
    char *argv[128];
    char np[16];
    int n = 0;
    if (ranks > 1) {
        snprintf(np, sizeof np, "%u", ranks);
        argv[n++] = "mpirun";
        argv[n++] = "-np";
        argv[n++] = np;
        argv[n++] = "--bind-to";
        argv[n++] = "none";
    }
    argv[n++] = (char *)exe;
    for (int k = 0; args[k] != NULL && n < 127; k++)
        argv[n++] = args[k];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (tmpdir != NULL)
            setenv("OMPI_MCA_orte_tmpdir_base", tmpdir, 1);
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0) {
            dup2(dn, STDOUT_FILENO);
            close(dn);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "sirnn: bench: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    return pid;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static int
exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* see internal.h */
json_t *
sr_local_run(char **server_args, char **client_args, unsigned ranks,
             const char *server_report, const char *client_report, int *code)
{
    char exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        fprintf(stderr, "sirnn: bench: cannot find my executable\n");
        *code = 1;
        return NULL;
    }
    exe[el] = '\0';
    if (ranks > 1) {
        if (geteuid() == 0) {
            setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
            setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
        }
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        if ((long)ranks * 2 > cores)
            setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
    }
    char tmp[2][64] = {"/tmp/sirnn-ompi-s-XXXXXX", "/tmp/sirnn-ompi-c-XXXXXX"};
    int have_tmp = ranks > 1 && mkdtemp(tmp[0]) != NULL;
    have_tmp = have_tmp && mkdtemp(tmp[1]) != NULL;
    pid_t pid[2] = {spawn(exe, server_args, ranks, have_tmp ? tmp[0] : NULL),
                    spawn(exe, client_args, ranks, have_tmp ? tmp[1] : NULL)};
    int st[2] = {1, 1}, live = 0;
    for (int k = 0; k < 2; k++)
        live += pid[k] > 0;
    if (pid[0] < 0 || pid[1] < 0) {
        for (int k = 0; k < 2; k++)
            if (pid[k] > 0)
                kill(pid[k], SIGTERM);
    }
    /* When one party fails, the other gets a few seconds to finish (a
     * failed check ends both at once) and is then stopped, so that e.g. a
     * refused client does not leave the server waiting for its timeout. */
    double stop_at = 0;
    while (live > 0) {
        int status;
        pid_t w = waitpid(-1, &status, stop_at > 0 ? WNOHANG : 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        if (w == 0) {
            if (sr_now() > stop_at) {
                for (int k = 0; k < 2; k++)
                    if (pid[k] > 0)
                        kill(pid[k], SIGTERM);
                stop_at = sr_now() + 3600;
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        for (int k = 0; k < 2; k++)
            if (w == pid[k]) {
                st[k] = exit_code(status);
                live--;
                pid[k] = 0;
                if (st[k] != 0 && stop_at == 0)
                    stop_at = sr_now() + (st[k] == 1 ? 3.0 : 0.5);
            }
    }
    if (have_tmp)
        for (int k = 0; k < 2; k++)
            nftw(tmp[k], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    *code = st[0] > st[1] ? st[0] : st[1];
    if (st[0] != 0 && st[0] != 1 && st[1] != 0 && st[1] != 1)
        return NULL;
    json_t *s = st[0] == 0 || st[0] == 1 ? sr_report_read(server_report) : NULL;
    json_t *c = st[1] == 0 || st[1] == 1 ? sr_report_read(client_report) : NULL;
    if (c == NULL || s == NULL) {
        json_decref(s);
        json_decref(c);
        if (*code == 0)
            *code = 1;
        return NULL;
    }
    double cpu = json_number_value(json_object_get(s, "cpu_seconds")) +
                 json_number_value(json_object_get(c, "cpu_seconds"));
    double scpu = json_number_value(json_object_get(s, "setup_cpu_seconds")) +
                  json_number_value(json_object_get(c, "setup_cpu_seconds"));
    double rs = json_number_value(json_object_get(s, "peak_rss_mb")),
           rc = json_number_value(json_object_get(c, "peak_rss_mb"));
    int ok = json_is_true(json_object_get(s, "ok")) &&
             json_is_true(json_object_get(c, "ok"));
    json_object_set_new(c, "cpu_seconds", json_real(cpu));
    json_object_set_new(c, "setup_cpu_seconds", json_real(scpu));
    json_object_set_new(c, "peak_rss_mb", json_real(rs > rc ? rs : rc));
    json_object_set_new(c, "ok", json_boolean(ok));
    json_object_set_new(c, "local", json_true());
    if (!ok && *code == 0)
        *code = 1;
    json_decref(s);
    return c;
}
