/*
 * tests/test_hello.c -- rendezvous over loopback TCP: hello mismatches of
 * every field, silent peers, stray lane connections, C = 1, 2, 8.
 *
 * Both parties run in this process (server and client as threads) with
 * one-rank worlds (sr_world_local); a world of "2 ranks" without MPI lets
 * the client claim R = 2.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/net.h"
#include "engine/world.h"

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(hello, .init = arm_alarm);

#define JOB "op=relu\nn=100\nbw=32\n"

/* ---- a server in a thread ---------------------------------------------- */

struct srv {
    sr_netsrv S;
    sr_world W;
    sr_net_opts o;
    sr_session s;
    int rc;
    char err[600];
    int make_lanes; /* also build lanes and run the echo check */
    int lanes_rc;
    sr_lane_wrap_fn wrap; /* server's lane hook, or NULL */
    void *wrap_ctx;
    pthread_t th;
};

static int echo_lanes_w(sr_session *s, sr_lane_wrap_fn wrap, void *ctx,
                        int *rc_out);
static int echo_lanes_tls(sr_session *s, const sr_tls_config *cfg, int *rc_out);

static int
echo_lanes(sr_session *s, int *rc_out)
{
    return echo_lanes_w(s, NULL, NULL, rc_out);
}

static void *
srv_main(void *p)
{
    struct srv *v = p;
    v->rc = sr_net_server_accept(&v->S, &v->s, v->err, sizeof v->err);
    if (v->rc == SR_OK && v->make_lanes && v->o.tls != NULL)
        echo_lanes_tls(&v->s, v->o.tls, &v->lanes_rc);
    else if (v->rc == SR_OK && v->make_lanes)
        echo_lanes_w(&v->s, v->wrap, v->wrap_ctx, &v->lanes_rc);
    return NULL;
}

/* Open a server (T, C, job) on 127.0.0.1 with an ephemeral port. */
static void
srv_open(struct srv *v, unsigned T, unsigned C, const char *job, int timeout_ms)
{
    memset(v, 0, sizeof *v);
    sr_world_local(&v->W, 1);
    v->o.listen = "127.0.0.1:0";
    v->o.ephemeral = 1;
    v->o.timeout_ms = timeout_ms;
    v->o.threads = T;
    v->o.conns = C;
    v->o.job_kind = SR_JOB_BENCH;
    v->o.job = job;
    v->o.job_len = strlen(job);
    v->o.quiet = 1;
    cr_assert_eq(sr_net_server_open(&v->S, &v->W, &v->o, v->err, sizeof v->err),
                 SR_OK, "%s", v->err);
    cr_assert_gt(v->S.port, 0u);
}

static void
srv_start(struct srv *v)
{
    cr_assert_eq(pthread_create(&v->th, NULL, srv_main, v), 0);
}

static void
srv_join(struct srv *v)
{
    pthread_join(v->th, NULL);
    sr_session_clear(&v->s);
    sr_net_server_close(&v->S);
}

static void
client_opts(sr_net_opts *o, char *addr, size_t alen, const struct srv *v,
            const char *job, int timeout_ms)
{
    memset(o, 0, sizeof *o);
    snprintf(addr, alen, "127.0.0.1:%u", v->S.port);
    o->connect = addr;
    o->timeout_ms = timeout_ms;
    o->job_kind = SR_JOB_BENCH;
    o->job = job;
    o->job_len = strlen(job);
}

/* Build the session's lanes (with the hook) and check them. */
static int check_lanes(sr_session *s, sr_lane *lanes, int rc);

static int
echo_lanes_w(sr_session *s, sr_lane_wrap_fn wrap, void *ctx, int *rc_out)
{
    sr_lane *lanes = calloc(s->threads, sizeof *lanes);
    sr_lane_opts lo = {.timeout_ms = 10000};
    int rc = sr_session_lanes_wrap(s, lanes, &lo, wrap, ctx);
    rc = check_lanes(s, lanes, rc);
    free(lanes);
    *rc_out = rc;
    return rc;
}

/* The same over TLS lanes (sr_session_lanes_tls). */
static int
echo_lanes_tls(sr_session *s, const sr_tls_config *cfg, int *rc_out)
{
    sr_lane *lanes = calloc(s->threads, sizeof *lanes);
    sr_tls *tls = calloc(s->threads, sizeof *tls);
    sr_lane_opts lo = {.timeout_ms = 10000};
    char err[300] = "";
    int rc = sr_session_lanes_tls(s, lanes, tls, cfg, &lo, err, sizeof err);
    rc = check_lanes(s, lanes, rc);
    for (unsigned t = 0; t < s->threads; t++)
        sr_tls_clear(&tls[t]);
    free(tls);
    free(lanes);
    *rc_out = rc;
    return rc;
}

/*
 * Check every lane both ways (when rc is SR_OK): the server sends lane
 * id + a 300 KiB pattern (striped when C > 1), the client checks it and
 * answers with its own.  Clears the lanes.
 */
static int
check_lanes(sr_session *s, sr_lane *lanes, int rc)
{
    const size_t len = 300 * 1024;
    uint8_t *a = malloc(len), *b = malloc(len);
    for (unsigned t = 0; rc == SR_OK && t < s->threads; t++) {
        sr_lane *L = &lanes[t];
        for (size_t i = 0; i < len; i++)
            a[i] = (uint8_t)(i * 7 + L->id * 13 + (L->party == SR_SERVER));
        uint32_t id = L->id, pid = 0;
        if (L->party == SR_SERVER) {
            sr_chan_send(&L->chan, &id, 4);
            sr_chan_send(&L->chan, a, len);
            sr_chan_recv(&L->chan, &pid, 4);
            sr_chan_recv(&L->chan, b, len);
        } else {
            sr_chan_recv(&L->chan, &pid, 4);
            sr_chan_recv(&L->chan, b, len);
            sr_chan_send(&L->chan, &id, 4);
            sr_chan_send(&L->chan, a, len);
            sr_chan_flush(&L->chan);
        }
        rc = sr_chan_error(&L->chan);
        for (size_t i = 0; rc == SR_OK && i < len; i++)
            if (b[i] != (uint8_t)(i * 7 + L->id * 13 + (L->party != SR_SERVER)))
                rc = SR_ECHECK;
        if (rc == SR_OK && pid != id)
            rc = SR_ECHECK;
        if (rc == SR_OK && L->chan.nconn != s->conns)
            rc = SR_ECHECK;
    }
    for (unsigned t = 0; t < s->threads; t++)
        sr_lane_clear(&lanes[t]);
    free(a);
    free(b);
    return rc;
}

/* ---- rendezvous works for C = 1, 2, 8 and T = 1, 3 ---------------------- */

struct tc {
    unsigned T, C;
};

ParameterizedTestParameters(hello, rendezvous)
{
    static struct tc p[] = {{1, 1}, {1, 2}, {1, 8}, {3, 2}, {3, 8}};
    return cr_make_param_array(struct tc, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct tc *p, hello, rendezvous)
{
    struct srv v;
    srv_open(&v, p->T, p->C, JOB, 10000);
    v.make_lanes = 1;
    srv_start(&v);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o;
    char addr[64], err[600] = "";
    client_opts(&o, addr, sizeof addr, &v, JOB, 10000);
    sr_session s;
    int rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
    cr_assert_eq(rc, SR_OK, "%s", err);
    cr_assert_eq(s.threads, p->T); /* adopted from the server */
    cr_assert_eq(s.conns, p->C);
    int lrc;
    echo_lanes(&s, &lrc);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(lrc, SR_OK);
    cr_assert_eq(v.lanes_rc, SR_OK);
    cr_assert_eq(memcmp(s.nonce, v.s.nonce, SR_NET_NONCE), 0);
}

/* The client may start first: it retries until the server listens. */
static void *
late_server(void *p)
{
    struct srv *v = p;
    usleep(400 * 1000);
    v->rc = sr_net_server_open(&v->S, &v->W, &v->o, v->err, sizeof v->err);
    if (v->rc == SR_OK)
        v->rc = sr_net_server_accept(&v->S, &v->s, v->err, sizeof v->err);
    if (v->rc == SR_OK)
        echo_lanes(&v->s, &v->lanes_rc);
    return NULL;
}

Test(hello, client_first)
{
    struct srv v;
    srv_open(&v, 2, 2, JOB, 10000);
    unsigned port = v.S.port; /* a free port: reuse it late */
    sr_net_server_close(&v.S);
    char listen[32], addr[64], err[600] = "";
    snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
    v.o.listen = listen;
    cr_assert_eq(pthread_create(&v.th, NULL, late_server, &v), 0);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o;
    client_opts(&o, addr, sizeof addr, &v, JOB, 10000);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    sr_session s;
    double t0 = sr_now();
    int rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
    cr_assert_eq(rc, SR_OK, "%s", err);
    cr_assert_geq(sr_now() - t0, 0.3);
    int lrc;
    echo_lanes(&s, &lrc);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(lrc, SR_OK);
    cr_assert_eq(v.lanes_rc, SR_OK);
}

/* ---- mismatches --------------------------------------------------------- */

struct mm {
    int ranks;     /* client world size */
    unsigned T, C; /* client's requests (server: T=2, C=2) */
    uint32_t kind;
    char job[48];   /* arrays: Criterion re-executes the binary */
    char field[48]; /* expected in the client's message */
};

ParameterizedTestParameters(hello, mismatch)
{
    static struct mm p[] = {
        {2, 0, 0, SR_JOB_BENCH, JOB, "ranks: server 1, client 2"},
        {1, 3, 0, SR_JOB_BENCH, JOB, "threads: server 2, client 3"},
        {1, 0, 4, SR_JOB_BENCH, JOB, "conns: server 2, client 4"},
        {1, 0, 0, SR_JOB_EVAL, JOB, "job: server runs bench, client eval"},
        {1, 0, 0, SR_JOB_BENCH, "op=relu\nn=100\nbw=16\n",
         "bw: server 32, client 16"},
        {1, 0, 0, SR_JOB_BENCH, "op=msb\nn=100\nbw=32\n",
         "op: server relu, client msb"},
        {1, 0, 0, SR_JOB_BENCH, "op=relu\nn=100\n",
         "bw: server 32, client (none)"},
        {1, 0, 0, SR_JOB_BENCH, "op=relu\nn=100\nbw=32\nshift=3\n",
         "shift: server (none), client 3"},
    };
    return cr_make_param_array(struct mm, p, sizeof p / sizeof p[0]);
}

/*
 * The bad client is refused with the field named; the server logs it and
 * keeps waiting, and a good client after it still gets in (so the refused
 * one did not use up the session).
 */
ParameterizedTest(struct mm *p, hello, mismatch)
{
    struct srv v;
    srv_open(&v, 2, 2, JOB, 10000);
    v.make_lanes = 1;
    srv_start(&v);
    sr_world W;
    sr_world_local(&W, p->ranks);
    sr_net_opts o;
    char addr[64], err[600] = "";
    client_opts(&o, addr, sizeof addr, &v, p->job, 5000);
    o.job_kind = p->kind;
    o.threads = p->T;
    o.conns = p->C;
    sr_session s;
    int rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
    cr_assert_eq(rc, SR_EMISMATCH, "rc %d: %s", rc, err);
    cr_assert(strstr(err, p->field) != NULL, "'%s' lacks '%s'", err, p->field);
    /* A good client now. */
    sr_world_local(&W, 1);
    client_opts(&o, addr, sizeof addr, &v, JOB, 10000);
    rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
    cr_assert_eq(rc, SR_OK, "%s", err);
    int lrc;
    echo_lanes(&s, &lrc);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(lrc, SR_OK);
}

/* Raw socket helpers for hand-made peers. */
static int
raw_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void
put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static size_t
read_all(int fd, uint8_t *b, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t k = recv(fd, b + got, len - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/* Hand-made hello: 32-byte header + job. */
static void
raw_hello(int fd, uint32_t version, uint32_t R, const char *job)
{
    uint8_t h[32];
    memcpy(h, "SIRNNHLO", 8);
    put32(h + 8, version);
    put32(h + 12, R);
    put32(h + 16, 0);
    put32(h + 20, 0);
    put32(h + 24, SR_JOB_BENCH);
    put32(h + 28, (uint32_t)strlen(job));
    cr_assert_eq(send(fd, h, 32, 0), 32);
    cr_assert_eq(send(fd, job, strlen(job), 0), (ssize_t)strlen(job));
}

/* Version and magic mismatches, and an oversized job length. */
Test(hello, version_magic_length)
{
    struct srv v;
    srv_open(&v, 1, 1, JOB, 10000);
    v.make_lanes = 1;
    srv_start(&v);
    uint8_t a[600];
    /* version */
    int fd = raw_connect(v.S.port);
    raw_hello(fd, SR_NET_VERSION + 1, 1, JOB);
    size_t n = read_all(fd, a, sizeof a);
    cr_assert_geq(n, 20u);
    cr_assert_eq(memcmp(a, "SIRNNACK", 8), 0);
    cr_assert_eq(get32(a + 12), 1u); /* refused */
    a[n < sizeof a ? n : sizeof a - 1] = 0;
    cr_assert(strstr((char *)a + 20, "version: server 1, client 2") != NULL,
              "%s", a + 20);
    close(fd);
    /* magic */
    fd = raw_connect(v.S.port);
    cr_assert_eq(send(fd, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
    n = read_all(fd, a, sizeof a);
    cr_assert_geq(n, 20u);
    cr_assert_eq(get32(a + 12), 1u);
    a[n] = 0;
    cr_assert(strstr((char *)a + 20, "magic") != NULL, "%s", a + 20);
    close(fd);
    /* job length over the bound: refused without reading the job */
    fd = raw_connect(v.S.port);
    uint8_t h[32];
    memcpy(h, "SIRNNHLO", 8);
    put32(h + 8, SR_NET_VERSION);
    put32(h + 12, 1);
    put32(h + 16, 0);
    put32(h + 20, 0);
    put32(h + 24, SR_JOB_BENCH);
    put32(h + 28, 0x7fffffff);
    cr_assert_eq(send(fd, h, 32, 0), 32);
    n = read_all(fd, a, sizeof a);
    cr_assert_geq(n, 20u);
    cr_assert_eq(get32(a + 12), 1u);
    a[n] = 0;
    cr_assert(strstr((char *)a + 20, "job:") != NULL, "%s", a + 20);
    close(fd);
    /* the server is still waiting: a good client */
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o;
    char addr[64], err[600] = "";
    client_opts(&o, addr, sizeof addr, &v, JOB, 10000);
    sr_session s;
    cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK,
                 "%s", err);
    int lrc;
    echo_lanes(&s, &lrc);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(lrc, SR_OK);
}

/* ---- silent peers ------------------------------------------------------- */

/* Server that accepts at the TCP level (backlog) but never answers. */
Test(hello, silent_server_times_out)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(l, 4), 0);
    getsockname(l, (struct sockaddr *)&sa, &sl);
    char addr[64], err[600] = "";
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o = {.connect = addr,
                     .timeout_ms = 1500,
                     .job_kind = SR_JOB_BENCH,
                     .job = JOB,
                     .job_len = strlen(JOB)};
    sr_session s;
    double t0 = sr_now();
    int rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
    double el = sr_now() - t0;
    close(l);
    cr_assert_eq(rc, SR_ETIMEOUT, "rc %d: %s", rc, err);
    cr_assert(el >= 1.4 && el < 4.0, "took %.2f s", el);
    cr_assert(strstr(err, "hello") != NULL, "%s", err);
}

/* Nobody listening: the client retries, then gives up at the timeout. */
Test(hello, no_server_times_out)
{
    struct srv v;
    srv_open(&v, 1, 1, JOB, 1000);
    unsigned port = v.S.port;
    sr_net_server_close(&v.S);
    char addr[64], err[600] = "";
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o = {.connect = addr,
                     .timeout_ms = 1200,
                     .job_kind = SR_JOB_BENCH,
                     .job = JOB,
                     .job_len = strlen(JOB)};
    sr_session s;
    double t0 = sr_now();
    int rc = sr_net_client_connect(&s, &W, &o, err, sizeof err);
    double el = sr_now() - t0;
    cr_assert_eq(rc, SR_ETIMEOUT, "rc %d: %s", rc, err);
    cr_assert(el >= 1.0 && el < 3.0, "took %.2f s", el);
    cr_assert(strstr(err, "Connection refused") != NULL, "%s", err);
}

/* Server with no client, and with a client that connects and says
 * nothing: both end in SR_ETIMEOUT within the timeout. */
Test(hello, silent_client_times_out)
{
    struct srv v;
    srv_open(&v, 1, 1, JOB, 1200);
    double t0 = sr_now();
    srv_start(&v);
    int fd = raw_connect(v.S.port); /* never sends its hello */
    pthread_join(v.th, NULL);
    double el = sr_now() - t0;
    close(fd);
    cr_assert_eq(v.rc, SR_ETIMEOUT, "rc %d: %s", v.rc, v.err);
    cr_assert(el >= 1.1 && el < 4.0, "took %.2f s", el);
    /* and with nobody at all */
    t0 = sr_now();
    srv_start(&v);
    pthread_join(v.th, NULL);
    el = sr_now() - t0;
    cr_assert_eq(v.rc, SR_ETIMEOUT, "rc %d: %s", v.rc, v.err);
    cr_assert(strstr(v.err, "no client") != NULL, "%s", v.err);
    cr_assert(el >= 1.1 && el < 3.0, "took %.2f s", el);
    sr_net_server_close(&v.S);
}

/* ---- stray lane connections ---------------------------------------------- */

static uint8_t
raw_tag(unsigned port, const uint8_t *nonce, uint32_t lane, uint32_t conn)
{
    int fd = raw_connect(port);
    uint8_t t[28], ack = 0;
    memcpy(t, "SRLN", 4);
    memcpy(t + 4, nonce, 16);
    put32(t + 20, lane);
    put32(t + 24, conn);
    cr_assert_eq(send(fd, t, 28, 0), 28);
    if (recv(fd, &ack, 1, 0) != 1)
        ack = 0;
    if (ack != 'K')
        close(fd); /* accepted ones stay open for the server */
    return ack;
}

/*
 * A hand-made client reads the lane table, then sends strays (wrong
 * nonce, wrong lane, bad conn index, duplicate): each gets 'X'; the good
 * tags get 'K' and the server's session completes.
 */
Test(hello, stray_connections_rejected)
{
    struct srv v;
    srv_open(&v, 2, 2, JOB, 5000);
    srv_start(&v);
    int fd = raw_connect(v.S.port);
    raw_hello(fd, SR_NET_VERSION, 1, JOB);
    uint8_t a[600];
    size_t n = read_all(fd, a, 20 + 12 + 16 + 2);
    cr_assert_eq(n, 50u);
    cr_assert_eq(get32(a + 12), 0u); /* accepted */
    cr_assert_eq(get32(a + 16), 0u); /* no message */
    cr_assert_eq(get32(a + 20), 1u); /* R */
    cr_assert_eq(get32(a + 24), 2u); /* T */
    cr_assert_eq(get32(a + 28), 2u); /* C */
    uint8_t nonce[16];
    memcpy(nonce, a + 32, 16);
    size_t hl = (size_t)a[48] | (size_t)a[49] << 8;
    cr_assert(hl >= 1 && hl <= 255);
    cr_assert_eq(read_all(fd, a, hl + 2), hl + 2);
    a[hl + 2] = 0;
    cr_assert_eq(memcmp(a, "127.0.0.1", 9), 0, "host %.*s", (int)hl, a);
    unsigned lport = (unsigned)a[hl] | (unsigned)a[hl + 1] << 8;
    cr_assert_eq(lport, (unsigned)v.S.lane_port[0]);
    close(fd);

    uint8_t bad[16];
    memcpy(bad, nonce, 16);
    bad[3] ^= 1;
    cr_assert_eq(raw_tag(lport, bad, 0, 0), 'X');   /* wrong nonce */
    cr_assert_eq(raw_tag(lport, nonce, 2, 0), 'X'); /* lane of rank 1 */
    cr_assert_eq(raw_tag(lport, nonce, 0, 2), 'X'); /* conn >= C */
    cr_assert_eq(raw_tag(lport, nonce, 0, 0), 'K');
    cr_assert_eq(raw_tag(lport, nonce, 0, 0), 'X'); /* duplicate */
    /* garbage that is not a tag at all */
    int g = raw_connect(lport);
    cr_assert_eq(send(g, "0123456789012345678901234567", 28, 0), 28);
    uint8_t ack = 0;
    cr_assert_eq(recv(g, &ack, 1, 0), 1);
    cr_assert_eq(ack, 'X');
    close(g);
    cr_assert_eq(raw_tag(lport, nonce, 0, 1), 'K');
    cr_assert_eq(raw_tag(lport, nonce, 1, 0), 'K');
    cr_assert_eq(raw_tag(lport, nonce, 1, 1), 'K');
    pthread_join(v.th, NULL);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    for (int k = 0; k < 4; k++)
        cr_assert_geq(v.s.fds[k], 0);
    sr_session_clear(&v.s);
    sr_net_server_close(&v.S);
}

/* IPv6 loopback, when the machine has it. */
Test(hello, ipv6)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    int have =
        probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof a6) == 0;
    if (probe >= 0)
        close(probe);
    if (!have)
        cr_skip_test("no IPv6 loopback");
    struct srv v;
    memset(&v, 0, sizeof v);
    sr_world_local(&v.W, 1);
    v.o = (sr_net_opts){.listen = "[::1]:0",
                        .ephemeral = 1,
                        .timeout_ms = 10000,
                        .threads = 1,
                        .conns = 2,
                        .job_kind = SR_JOB_BENCH,
                        .job = JOB,
                        .job_len = strlen(JOB),
                        .quiet = 1};
    cr_assert_eq(sr_net_server_open(&v.S, &v.W, &v.o, v.err, sizeof v.err),
                 SR_OK, "%s", v.err);
    v.make_lanes = 1;
    srv_start(&v);
    char addr[64], err[600] = "";
    snprintf(addr, sizeof addr, "[::1]:%u", v.S.port);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o = {.connect = addr,
                     .timeout_ms = 10000,
                     .job_kind = SR_JOB_BENCH,
                     .job = JOB,
                     .job_len = strlen(JOB)};
    sr_session s;
    cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK,
                 "%s", err);
    int lrc;
    echo_lanes(&s, &lrc);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(lrc, SR_OK);
}

/*
 * Listening on every address (no HOST: dual stack) and --advertise: the
 * lane table carries the advertised name and the client's lanes use it.
 */
Test(hello, wildcard_and_advertise)
{
    struct srv v;
    memset(&v, 0, sizeof v);
    sr_world_local(&v.W, 1);
    v.o = (sr_net_opts){.listen = "0",
                        .ephemeral = 1,
                        .advertise = "localhost",
                        .timeout_ms = 10000,
                        .threads = 2,
                        .conns = 1,
                        .job_kind = SR_JOB_BENCH,
                        .job = JOB,
                        .job_len = strlen(JOB),
                        .quiet = 1};
    cr_assert_eq(sr_net_server_open(&v.S, &v.W, &v.o, v.err, sizeof v.err),
                 SR_OK, "%s", v.err);
    cr_assert_str_eq(v.S.bound, "");
    v.S.o.timeout_ms = 1500; /* the hand-made client brings no lanes */
    srv_start(&v);
    /* by hand: read the table and check the advertised host */
    int fd = raw_connect(v.S.port);
    raw_hello(fd, SR_NET_VERSION, 1, JOB);
    uint8_t a[600];
    cr_assert_eq(read_all(fd, a, 50), 50u);
    cr_assert_eq(get32(a + 12), 0u);
    size_t hl = (size_t)a[48] | (size_t)a[49] << 8;
    cr_assert_eq(hl, 9u);
    cr_assert_eq(read_all(fd, a, hl + 2), hl + 2);
    cr_assert_eq(memcmp(a, "localhost", 9), 0);
    close(fd);
    /* that session times out waiting for lanes; start a fresh server */
    pthread_join(v.th, NULL);
    cr_assert_eq(v.rc, SR_ETIMEOUT);
    sr_session_clear(&v.s);
    v.S.o.timeout_ms = 10000;
    v.make_lanes = 1;
    srv_start(&v);
    char addr[64], err[600] = "";
    snprintf(addr, sizeof addr, "localhost:%u", v.S.port);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o = {.connect = addr,
                     .timeout_ms = 10000,
                     .job_kind = SR_JOB_BENCH,
                     .job = JOB,
                     .job_len = strlen(JOB)};
    sr_session s;
    cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK,
                 "%s", err);
    int lrc;
    echo_lanes(&s, &lrc);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(lrc, SR_OK);
}

/* The per-lane hook runs once per lane with the lane's C sockets and may
 * change the lane options; a failing hook fails the lanes. */
struct hook_log {
    int calls[4];
    unsigned nconn[4];
    int fail_t; /* thread index whose hook fails, or -1 */
};

static int
hook(void *ctx, sr_lane *L, unsigned t, const int *fds, unsigned nconn,
     sr_lane_opts *lo)
{
    struct hook_log *h = ctx;
    (void)L;
    h->calls[t]++;
    h->nconn[t] = nconn;
    for (unsigned c = 0; c < nconn; c++)
        if (fds[c] < 0)
            return SR_ECHECK;
    lo->timeout_ms = 3000;
    return (int)t == h->fail_t ? SR_ECRYPTO : SR_OK;
}

Test(hello, lane_hook)
{
    for (int round = 0; round < 2; round++) {
        struct hook_log h = {.fail_t = round == 0 ? -1 : 1};
        struct srv v;
        srv_open(&v, 2, 3, JOB, 10000);
        v.make_lanes = 1;
        v.wrap = hook;
        v.wrap_ctx = &h;
        srv_start(&v);
        sr_world W;
        sr_world_local(&W, 1);
        sr_net_opts o;
        char addr[64], err[600] = "";
        client_opts(&o, addr, sizeof addr, &v, JOB, 10000);
        sr_session s;
        cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK,
                     "%s", err);
        int lrc;
        echo_lanes(&s, &lrc);
        sr_session_clear(&s);
        srv_join(&v);
        cr_assert_eq(v.rc, SR_OK, "%s", v.err);
        cr_assert_eq(h.calls[0], 1);
        cr_assert_eq(h.calls[1], 1);
        cr_assert_eq(h.nconn[0], 3u);
        if (round == 0) {
            cr_assert_eq(v.lanes_rc, SR_OK);
            cr_assert_eq(lrc, SR_OK);
        } else {
            /* lane 1's hook failed: the server's lanes fail, and the
             * client sees the closed sockets (not a hang) */
            cr_assert_eq(v.lanes_rc, SR_ECRYPTO);
            cr_assert_neq(lrc, SR_OK);
        }
    }
}

/* ---- pure parsers: every length bounded --------------------------------- */

static size_t
mk_hello(uint8_t *b, uint32_t ver, uint32_t jl, const char *job)
{
    memcpy(b, "SIRNNHLO", 8);
    put32(b + 8, ver);
    put32(b + 12, 1);
    put32(b + 16, 2);
    put32(b + 20, 3);
    put32(b + 24, SR_JOB_BENCH);
    put32(b + 28, jl);
    if (job != NULL)
        memcpy(b + 32, job, strlen(job));
    return 32 + (job != NULL ? strlen(job) : 0);
}

Test(hello, parse_hello_bounds)
{
    uint8_t b[64 + 4200];
    char msg[600];
    sr_net_hello h;
    size_t n = mk_hello(b, SR_NET_VERSION, (uint32_t)strlen(JOB), JOB);
    /* the parser asks for 16, then 32, then the whole */
    for (size_t k = 0; k < 16; k++)
        cr_assert_eq(sr_net_hello_parse(b, k, &h, msg, sizeof msg), 16);
    for (size_t k = 16; k < 32; k++)
        cr_assert_eq(sr_net_hello_parse(b, k, &h, msg, sizeof msg), 32);
    for (size_t k = 32; k < n; k++)
        cr_assert_eq(sr_net_hello_parse(b, k, &h, msg, sizeof msg), (int)n);
    cr_assert_eq(sr_net_hello_parse(b, n, &h, msg, sizeof msg), SR_OK);
    cr_assert_eq(h.threads, 2u);
    cr_assert_eq(h.conns, 3u);
    cr_assert_eq(h.job_len, strlen(JOB));
    cr_assert_eq(memcmp(h.job, JOB, h.job_len), 0);
    /* more bytes than the message */
    cr_assert_eq(sr_net_hello_parse(b, n + 1, &h, msg, sizeof msg),
                 SR_EMISMATCH);
    cr_assert(strstr(msg, "hello:") != NULL, "%s", msg);
    /* the job bound: 4096 passes, 4097 and 2^32 - 1 are refused before
     * any of the job is read */
    mk_hello(b, SR_NET_VERSION, SR_NET_JOB_MAX, NULL);
    cr_assert_eq(sr_net_hello_parse(b, 32, &h, msg, sizeof msg),
                 32 + SR_NET_JOB_MAX);
    uint32_t big[] = {SR_NET_JOB_MAX + 1, 0xffffffffu};
    for (size_t i = 0; i < 2; i++) {
        mk_hello(b, SR_NET_VERSION, big[i], NULL);
        cr_assert_eq(sr_net_hello_parse(b, 32, &h, msg, sizeof msg),
                     SR_EMISMATCH);
        cr_assert(strstr(msg, "exceeds 4096") != NULL, "%s", msg);
    }
    /* magic and version are checked on the first 16 bytes */
    mk_hello(b, SR_NET_VERSION + 5, 0, NULL);
    cr_assert_eq(sr_net_hello_parse(b, 16, &h, msg, sizeof msg), SR_EMISMATCH);
    cr_assert(strstr(msg, "version: server 1, client 6") != NULL, "%s", msg);
    b[0] = 'X';
    cr_assert_eq(sr_net_hello_parse(b, 16, &h, msg, sizeof msg), SR_EMISMATCH);
    cr_assert(strstr(msg, "magic") != NULL, "%s", msg);
}

/* A server reply: ack header, R T C, nonce, hosts with ports. */
static size_t
mk_reply(uint8_t *b, uint32_t R, uint32_t T, uint32_t C, const char **hosts,
         size_t nh)
{
    memcpy(b, "SIRNNACK", 8);
    put32(b + 8, SR_NET_VERSION);
    put32(b + 12, 0);
    put32(b + 16, 0);
    put32(b + 20, R);
    put32(b + 24, T);
    put32(b + 28, C);
    memset(b + 32, 0xab, SR_NET_NONCE);
    size_t n = 32 + SR_NET_NONCE;
    for (size_t k = 0; k < nh; k++) {
        size_t hl = strlen(hosts[k]);
        b[n] = (uint8_t)hl;
        b[n + 1] = (uint8_t)(hl >> 8);
        memcpy(b + n + 2, hosts[k], hl);
        b[n + 2 + hl] = (uint8_t)(7001 + k);
        b[n + 3 + hl] = (uint8_t)((7001 + k) >> 8);
        n += 4 + hl;
    }
    return n;
}

Test(hello, parse_reply_bounds)
{
    static uint8_t b[2000];
    static sr_net_reply r;
    char msg[700];
    const char *hosts[] = {"127.0.0.1", "::1"};
    size_t n = mk_reply(b, 2, 4, 8, hosts, 2);
    /* every strict prefix asks for more, never for less than it has */
    for (size_t k = 0; k < n; k++) {
        int rc = sr_net_reply_parse(b, k, &r, msg, sizeof msg);
        cr_assert_gt(rc, (int)k, "prefix %zu: %d", k, rc);
        cr_assert_leq(rc, (int)n);
    }
    cr_assert_eq(sr_net_reply_parse(b, n, &r, msg, sizeof msg), SR_OK, "%s",
                 msg);
    cr_assert_eq(r.ranks, 2u);
    cr_assert_eq(r.threads, 4u);
    cr_assert_eq(r.conns, 8u);
    char host[SR_NET_HOST_MAX + 1];
    unsigned port;
    cr_assert_eq(
        sr_net_table_entry(r.table, r.table_len, 1, host, sizeof host, &port),
        SR_OK);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 7002u);
    cr_assert_eq(
        sr_net_table_entry(r.table, r.table_len, 2, host, sizeof host, &port),
        SR_ECHECK);
    cr_assert_eq(sr_net_reply_parse(b, n + 1, &r, msg, sizeof msg), SR_ECHECK);
    /* R, T, C out of range */
    uint32_t bad[][3] = {{0, 1, 1},          {SR_NET_MAX_RANKS + 1, 1, 1},
                         {1, 0, 1},          {1, SR_NET_MAX_THREADS + 1, 1},
                         {1, 1, 0},          {1, 1, SR_CHAN_MAX_CONNS + 1},
                         {0xffffffffu, 1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = mk_reply(b, bad[i][0], bad[i][1], bad[i][2], hosts, 1);
        cr_assert_eq(sr_net_reply_parse(b, n, &r, msg, sizeof msg), SR_ECHECK,
                     "case %zu", i);
        cr_assert(strstr(msg, "out of range") != NULL, "%s", msg);
    }
    /* host lengths 0 and 256; a host with a blank or a control byte */
    n = mk_reply(b, 1, 1, 1, hosts, 1);
    b[48] = 0;
    b[49] = 0;
    cr_assert_eq(sr_net_reply_parse(b, n, &r, msg, sizeof msg), SR_ECHECK);
    cr_assert(strstr(msg, "bad host length 0") != NULL, "%s", msg);
    b[48] = 0;
    b[49] = 1;
    cr_assert_eq(sr_net_reply_parse(b, 50, &r, msg, sizeof msg), SR_ECHECK);
    cr_assert(strstr(msg, "bad host length 256") != NULL, "%s", msg);
    const char *odd[] = {"a b", "a\nb"};
    for (size_t i = 0; i < 2; i++) {
        n = mk_reply(b, 1, 1, 1, &odd[i], 1);
        cr_assert_eq(sr_net_reply_parse(b, n, &r, msg, sizeof msg), SR_ECHECK);
        cr_assert(strstr(msg, "bad host name") != NULL, "%s", msg);
    }
    /* the refusal message: bounded (512) and sanitised */
    memcpy(b, "SIRNNACK", 8);
    put32(b + 8, SR_NET_VERSION);
    put32(b + 12, 1);
    put32(b + 16, 5);
    memcpy(b + 20, "a\x1b[2Jb", 5);
    cr_assert_eq(sr_net_reply_parse(b, 25, &r, msg, sizeof msg), SR_EMISMATCH);
    cr_assert_str_eq(msg, "refused by server: a?[2J");
    put32(b + 16, SR_NET_MSG_MAX + 1);
    cr_assert_eq(sr_net_reply_parse(b, 20, &r, msg, sizeof msg), SR_ECHECK);
    cr_assert_str_eq(msg, "not a sirnn server");
}

/* ---- TLS on the rendezvous ----------------------------------------------- */

/* A wrong-key client is refused (SR_ECRYPTO) and does not use up the
 * server's wait; a plain client too; then a TLS client gets a session
 * whose hello and lanes (T = 2, C = 2) run under TLS. */
Test(hello, tls_psk_session)
{
    static const uint8_t key[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                    9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t other[16];
    memcpy(other, key, 16);
    other[15] ^= 1;
    sr_tls_config good, bad;
    memset(&good, 0, sizeof good);
    memset(&bad, 0, sizeof bad);
    cr_assert_eq(sr_tls_config_set_psk(&good, key, 16), SR_OK);
    cr_assert_eq(sr_tls_config_set_psk(&bad, other, 16), SR_OK);
    struct srv v;
    srv_open(&v, 2, 2, JOB, 10000);
    v.o.tls = &good;
    v.S.o.tls = &good;
    v.make_lanes = 1;
    srv_start(&v);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o;
    char addr[64], err[600] = "";
    sr_session s;
    /* wrong key */
    client_opts(&o, addr, sizeof addr, &v, JOB, 5000);
    o.tls = &bad;
    cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_ECRYPTO,
                 "%s", err);
    cr_assert(strstr(err, "tls: connection 0:") != NULL, "%s", err);
    cr_assert(strstr(err, "same PSK") != NULL, "%s", err);
    /* no TLS */
    o.tls = NULL;
    err[0] = '\0';
    cr_assert_neq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK);
    cr_assert(strstr(err, "TLS") != NULL, "%s", err);
    /* the right key */
    o.tls = &good;
    cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK,
                 "%s", err);
    uint64_t hello_bytes = s.bytes;
    int lrc;
    echo_lanes_tls(&s, &good, &lrc);
    /* Setup bytes count the TLS wire: the plaintext of the hello alone
     * (32 + job, 20 + 28 + a 13-byte table) and the 4 lane tags (29 each)
     * are 229 bytes; each full handshake adds hundreds more. */
    size_t plain = 32 + strlen(JOB) + 20 + 28 + 13 + 4 * 29;
    cr_assert_gt(hello_bytes, plain + 300, "%llu",
                 (unsigned long long)hello_bytes);
    cr_assert_gt(s.bytes, hello_bytes + 2 * 300, "%llu %llu",
                 (unsigned long long)s.bytes, (unsigned long long)hello_bytes);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_eq(v.rc, SR_OK, "%s", v.err);
    cr_assert_eq(v.lanes_rc, SR_OK);
    cr_assert_eq(lrc, SR_OK);
    sr_tls_config_clear(&good);
    sr_tls_config_clear(&bad);
}

/* TLS lanes whose peer has the wrong key: both sides fail with the TLS
 * message, nobody hangs. */
Test(hello, tls_lane_key_mismatch)
{
    static const uint8_t key[16] = {7};
    uint8_t other[16] = {8};
    sr_tls_config a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    cr_assert_eq(sr_tls_config_set_psk(&a, key, 16), SR_OK);
    cr_assert_eq(sr_tls_config_set_psk(&b, other, 16), SR_OK);
    struct srv v;
    srv_open(&v, 1, 2, JOB, 5000);
    v.make_lanes = 1;
    v.o.tls = &a; /* lanes only: the hello stays plain (S.o.tls unset) */
    srv_start(&v);
    sr_world W;
    sr_world_local(&W, 1);
    sr_net_opts o;
    char addr[64], err[600] = "";
    client_opts(&o, addr, sizeof addr, &v, JOB, 5000);
    sr_session s;
    cr_assert_eq(sr_net_client_connect(&s, &W, &o, err, sizeof err), SR_OK,
                 "%s", err);
    sr_lane L[1];
    sr_tls t[1];
    sr_lane_opts lo = {.timeout_ms = 5000};
    int rc = sr_session_lanes_tls(&s, L, t, &b, &lo, err, sizeof err);
    cr_assert_eq(rc, SR_ECRYPTO, "%d %s", rc, err);
    cr_assert(strncmp(err, "lane 0: tls: connection ", 24) == 0, "%s", err);
    sr_tls_clear(&t[0]);
    sr_session_clear(&s);
    srv_join(&v);
    cr_assert_neq(v.lanes_rc, SR_OK);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}
