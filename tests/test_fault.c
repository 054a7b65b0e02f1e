/*
 * tests/test_fault.c -- fault injection on a lane over loopback TCP: a
 * connection reset on one of C connections, a peer that dies mid-protocol
 * (all its sockets closed), and a stalled peer.  Each time both ends must
 * stop with an error, never hang, well within the channel timeout (the
 * stalled case: at the timeout).  The process-level versions (a party
 * killed or stopped, TLS on) are in tests/mpi/fault.sh.  Also: malformed
 * peer input, replaying the fuzz corpora of tests/fuzz/ (run from the
 * repository root, as tests/run.sh does).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/chan.h"
#include "engine/net.h"
#include "jobs/npy.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(fault, .init = arm_alarm);

#define BLOCK ((size_t)1 << 20) /* striped over every connection */

typedef enum { FAULT_RESET, FAULT_DIE, FAULT_STALL } fault_kind;

typedef struct fault_case {
    fault_kind kind;
    unsigned victim_conn; /* FAULT_RESET: the connection reset */
    int rc[2];            /* per party (SR_SERVER, SR_CLIENT) */
    double seconds[2];    /* from the fault to the party's return */
    double t_fault;
} fault_case;

/*
 * Replace fd by a fresh unconnected socket: the last reference to the
 * connection is closed (with SO_LINGER 0 that sends a TCP RST), and the
 * channel's fd number stays valid so later sends fail instead of hitting
 * some other file.
 */
static void
kill_conn(int fd, int reset)
{
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    }
    int fresh = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fresh, 0);
    cr_assert_eq(dup2(fresh, fd), fd);
    close(fresh);
}

/*
 * The client sends blocks of BLOCK bytes, the server acknowledges each
 * with one byte; after 3 blocks the client injects the fault and goes on
 * (or, stalled, sleeps past the server's timeout).  Each party returns
 * its channel's first error.
 */
static int
fault_party(sr_lane *L, void *arg)
{
    fault_case *fc = arg;
    int me = L->party == SR_SERVER ? 0 : 1;
    uint8_t *buf = calloc(BLOCK, 1);
    cr_assert_not_null(buf);
    uint8_t ack = 0;
    for (int i = 0; i < 1000 && sr_chan_error(&L->chan) == SR_OK; i++) {
        if (me == 0) {
            /* flow: client -> server: one block; server -> client: ack */
            sr_chan_recv(&L->chan, buf, BLOCK);
            sr_chan_send(&L->chan, &ack, 1);
            sr_chan_flush(&L->chan);
            continue;
        }
        if (i == 3) {
            fc->t_fault = sr_now();
            if (fc->kind == FAULT_RESET) {
                kill_conn(L->chan.fd[fc->victim_conn], 1);
            } else if (fc->kind == FAULT_DIE) {
                for (unsigned k = 0; k < L->chan.nconn; k++)
                    kill_conn(L->chan.fd[k], 0);
            } else {
                struct timespec ts = {2, 0};
                nanosleep(&ts, NULL);
                fc->rc[me] = SR_OK;
                fc->seconds[me] = sr_now() - fc->t_fault;
                free(buf);
                return SR_OK; /* a stalled peer that then gives up */
            }
        }
        sr_chan_send(&L->chan, buf, BLOCK);
        sr_chan_recv(&L->chan, &ack, 1);
    }
    fc->rc[me] = sr_chan_error(&L->chan);
    fc->seconds[me] = sr_now() - fc->t_fault;
    free(buf);
    return fc->rc[me];
}

static void
run_fault(fault_case *fc, int timeout_ms)
{
    sr_test_opts o = {
        .nconn = 2, .nlanes = 1, .tcp = 1, .timeout_ms = timeout_ms};
    int rc = sr_test_run(fault_party, fc, &o);
    cr_assert_neq(rc, SR_OK, "the fault went unnoticed");
}

static int
is_conn_error(int rc)
{
    return rc == SR_EPEER || rc == SR_EIO;
}

Test(fault, reset_one_of_two_connections)
{
    for (unsigned v = 0; v < 2; v++) {
        fault_case fc = {.kind = FAULT_RESET, .victim_conn = v};
        run_fault(&fc, 10000);
        cr_assert(is_conn_error(fc.rc[0]), "server rc %d (%s)", fc.rc[0],
                  sr_strerror(fc.rc[0]));
        cr_assert(is_conn_error(fc.rc[1]), "client rc %d (%s)", fc.rc[1],
                  sr_strerror(fc.rc[1]));
        /* Noticed at once, not at the 10 s timeout. */
        cr_assert_lt(fc.seconds[0], 3.0, "server took %.2f s", fc.seconds[0]);
        cr_assert_lt(fc.seconds[1], 3.0, "client took %.2f s", fc.seconds[1]);
    }
}

Test(fault, peer_dies_mid_protocol)
{
    fault_case fc = {.kind = FAULT_DIE};
    run_fault(&fc, 10000);
    cr_assert_eq(fc.rc[0], SR_EPEER, "server rc %d (%s)", fc.rc[0],
                 sr_strerror(fc.rc[0]));
    cr_assert(is_conn_error(fc.rc[1]), "client rc %d", fc.rc[1]);
    cr_assert_lt(fc.seconds[0], 3.0, "server took %.2f s", fc.seconds[0]);
}

Test(fault, stalled_peer_times_out)
{
    fault_case fc = {.kind = FAULT_STALL};
    run_fault(&fc, 600);
    cr_assert_eq(fc.rc[0], SR_ETIMEOUT, "server rc %d (%s)", fc.rc[0],
                 sr_strerror(fc.rc[0]));
    /* At the timeout: not before it, and not much later. */
    cr_assert_geq(fc.seconds[0], 0.55, "server gave up after %.2f s",
                  fc.seconds[0]);
    cr_assert_lt(fc.seconds[0], 1.9, "server gave up after %.2f s",
                 fc.seconds[0]);
}

/* ---- malformed input: the fuzz corpora as regression inputs -------------- */

/* Read every file of dir; call fn on its bytes; return the count. */
static size_t
each_file(const char *dir, void (*fn)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s (run from the repository root)", dir);
    size_t count = 0;
    static uint8_t buf[1 << 16];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        fn(buf, n);
        count++;
    }
    closedir(d);
    return count;
}

/* As tests/fuzz/fuzz_hello.c: first byte picks the parser. */
static void
replay_hello(const uint8_t *b, size_t n)
{
    if (n < 1)
        return;
    static sr_net_reply r;
    sr_net_hello h;
    char msg[SR_NET_MSG_MAX + 64];
    int rc;
    switch (b[0] % 3) {
    case 0:
        rc = sr_net_hello_parse(b + 1, n - 1, &h, msg, sizeof msg);
        cr_assert(rc <= 0 || (size_t)rc > n - 1);
        if (rc == SR_OK)
            cr_assert_leq(h.job_len, SR_NET_JOB_MAX);
        break;
    case 1:
        rc = sr_net_reply_parse(b + 1, n - 1, &r, msg, sizeof msg);
        cr_assert(rc <= 0 || (size_t)rc > n - 1);
        if (rc == SR_OK) {
            char host[SR_NET_HOST_MAX + 1];
            unsigned port;
            for (unsigned k = 0; k < r.ranks; k++)
                cr_assert_eq(sr_net_table_entry(r.table, r.table_len, k, host,
                                                sizeof host, &port),
                             SR_OK);
        }
        break;
    default:
        (void)sr_net_job_diff(SR_JOB_BENCH, b + 1, (n - 1) / 2,
                              b + 1 + (n - 1) / 2, n - 1 - (n - 1) / 2, msg,
                              sizeof msg);
    }
}

static void
replay_npy(const uint8_t *b, size_t n)
{
    sr_npy a;
    char err[SR_NPY_ERRLEN];
    if (sr_npy_parse(&a, b, n, "corpus.npy", SR_NPY_FLOAT | SR_NPY_INT, err,
                     sizeof err) == SR_OK) {
        size_t m = 1;
        for (unsigned k = 0; k < a.ndim; k++)
            m *= a.shape[k];
        cr_assert_eq(m, a.n);
        cr_assert((a.f64 == NULL) != (a.i64 == NULL));
    }
    sr_npy_clear(&a);
}

Test(fault, fuzz_corpus_replay)
{
    cr_assert_geq(each_file("tests/fuzz/hello", replay_hello), 8u);
    cr_assert_geq(each_file("tests/fuzz/npy", replay_npy), 7u);
}
