/*
 * tests/test_tls.c -- TLS 1.3 under the channel: PSK and certificate
 * sessions, striping and exchange through TLS, exact wire counts, refused
 * peers, key-file validation.
 *
 * The harness here is our own (not sr_test_run): each side wraps its
 * sockets in TLS first, then builds a channel (or a lane) with the hooks.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "engine/chan.h"
#include "engine/lane.h"
#include "engine/tls.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(120);
}

TestSuite(tls, .init = arm_alarm);

#define REC_MAX 16384u          /* TLS plaintext per record */
#define REC_OVH 22u             /* header 5 + content type 1 + GCM tag 16 */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

/* ---- harness --------------------------------------------------------------- */

typedef int (*side_fn)(sr_chan *c, int is_server, void *arg);

struct side {
    const sr_tls_config *cfg;   /* NULL: plain channel, no TLS */
    int is_server;
    unsigned nconn;
    int fds[SR_CHAN_MAX_CONNS];
    int timeout_ms;
    int use_lane;               /* build an sr_lane with opts.io */
    side_fn fn;
    void *arg;
    /* results */
    int wrap_rc, rc;
    char err[SR_TLS_ERRLEN];
    sr_chan_stats st, setup;
    uint64_t hs_sent, hs_recv;
    double wrap_seconds, run_seconds;
};

static void
kill_fds(struct side *s)
{
    for (unsigned k = 0; k < s->nconn; k++)
        shutdown(s->fds[k], SHUT_RDWR);
}

static void *
side_main(void *p)
{
    struct side *s = p;
    sr_tls t;
    memset(&t, 0, sizeof t);
    s->rc = SR_OK;
    s->wrap_rc = SR_OK;
    double t0 = now_s();
    if (s->cfg != NULL && s->use_lane != 2) {
        s->wrap_rc = sr_tls_wrap(&t, s->cfg, s->is_server, s->fds, s->nconn,
                                 s->timeout_ms);
        s->wrap_seconds = now_s() - t0;
        s->hs_sent = t.hs_sent;
        s->hs_recv = t.hs_recv;
        if (s->wrap_rc != SR_OK) {
            snprintf(s->err, sizeof s->err, "%s", t.err);
            sr_tls_clear(&t);
            kill_fds(s);
            for (unsigned k = 0; k < s->nconn; k++)
                close(s->fds[k]);
            s->rc = s->wrap_rc;
            return NULL;
        }
    }
    t0 = now_s();
    if (s->use_lane) {
        sr_lane L;
        sr_lane_opts lo = { .timeout_ms = s->timeout_ms };
        sr_partyid party = s->is_server ? SR_SERVER : SR_CLIENT;
        if (s->use_lane == 2) {         /* the one-call form */
            s->rc = sr_tls_lane_init(&L, &t, s->cfg, party, 0, s->fds,
                                     s->nconn, &lo);
            s->wrap_rc = s->rc;
            s->wrap_seconds = now_s() - t0;
            snprintf(s->err, sizeof s->err, "%s", t.err);
        } else {
            if (s->cfg != NULL)
                lo.io = sr_tls_io(&t, &L.chan);
            s->rc = sr_lane_init(&L, party, 0, s->fds, s->nconn, &lo);
        }
        if (s->rc == SR_OK) {
            s->setup = L.setup;
            s->rc = s->fn(&L.chan, s->is_server, s->arg);
            sr_chan_flush(&L.chan);
            if (s->rc == SR_OK)
                s->rc = sr_chan_error(&L.chan);
            s->st = sr_chan_stats_diff(L.chan.st, L.setup);
            if (s->rc != SR_OK)
                kill_fds(s);
        } else {
            kill_fds(s);
        }
        sr_lane_clear(&L);
    } else {
        sr_chan c;
        s->rc = sr_chan_init(&c, s->fds, s->nconn, s->timeout_ms);
        if (s->rc == SR_OK) {
            if (s->cfg != NULL)
                c.io = sr_tls_io(&t, &c);
            s->rc = s->fn(&c, s->is_server, s->arg);
            sr_chan_flush(&c);
            if (s->rc == SR_OK)
                s->rc = sr_chan_error(&c);
            s->st = c.st;
            if (s->rc != SR_OK)
                kill_fds(s);
        }
        sr_chan_clear(&c);
    }
    s->run_seconds = now_s() - t0;
    if (s->rc != SR_OK && s->err[0] == '\0')
        snprintf(s->err, sizeof s->err, "%s", t.err);
    if (s->cfg != NULL)
        sr_tls_clear(&t);
    return NULL;
}

/* Runs server and client in two threads on nconn fresh connections. */
static void
run_pair(struct side *sv, struct side *cl, unsigned nconn, int tcp)
{
    sv->is_server = 1;
    cl->is_server = 0;
    sv->nconn = cl->nconn = nconn;
    if (sv->timeout_ms == 0)
        sv->timeout_ms = 20000;
    if (cl->timeout_ms == 0)
        cl->timeout_ms = 20000;
    cr_assert_eq(sr_test_socketpairs(sv->fds, cl->fds, nconn, tcp), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, side_main, cl), 0);
    side_main(sv);
    pthread_join(th, NULL);
}

static sr_tls_config
psk_config(uint8_t salt)
{
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 7 + salt);
    sr_tls_config cfg;
    cr_assert_eq(sr_tls_config_set_psk(&cfg, key, sizeof key), SR_OK);
    return cfg;
}

/* ---- the channel layout through TLS ---------------------------------------- */

/* TLS records a channel message of len bytes becomes (see chan.h). */
static uint64_t
records(size_t len, unsigned nconn)
{
    if (nconn == 1 || len < SR_CHAN_STRIPE_MIN)
        return sr_ceil_div(len, REC_MAX);
    uint64_t r = 0;
    for (size_t at = 0; at < len; at += SR_CHAN_FRAME) {
        size_t f = len - at < SR_CHAN_FRAME ? len - at : SR_CHAN_FRAME;
        r += sr_ceil_div(f, REC_MAX);
    }
    return r;
}

struct echo {
    size_t small, big, xch;
};

/*
 * Server: small then big message; client: receives both, echoes them;
 * then one exchange of xch bytes each way (different data per side).
 */
static int
echo_fn(sr_chan *c, int is_server, void *arg)
{
    const struct echo *e = arg;
    size_t tot = e->small + e->big;
    uint8_t *want = malloc(tot), *got = malloc(tot);
    uint8_t *xo = malloc(e->xch), *xi = malloc(e->xch), *xw = malloc(e->xch);
    if (!want || !got || !xo || !xi || !xw)
        return SR_ENOMEM;
    fill(want, tot, 77);
    fill(xo, e->xch, is_server ? 1 : 2);
    fill(xw, e->xch, is_server ? 2 : 1);
    if (is_server) {
        sr_chan_send(c, want, e->small);
        sr_chan_send(c, want + e->small, e->big);
        sr_chan_recv(c, got, e->small);
        sr_chan_recv(c, got + e->small, e->big);
    } else {
        sr_chan_recv(c, got, e->small);
        sr_chan_recv(c, got + e->small, e->big);
        sr_chan_send(c, got, e->small);
        sr_chan_send(c, got + e->small, e->big);
    }
    sr_chan_exchange(c, xi, e->xch, xo, e->xch);
    int rc = sr_chan_error(c);
    if (rc == SR_OK && (memcmp(want, got, tot) != 0 ||
                        memcmp(xi, xw, e->xch) != 0))
        rc = SR_ECHECK;
    free(want);
    free(got);
    free(xo);
    free(xi);
    free(xw);
    return rc;
}

struct psk_case {
    unsigned nconn;
    int tcp;
};

ParameterizedTestParameters(tls, psk_striped_echo)
{
    static struct psk_case p[] = {
        { 1, 0 }, { 4, 0 }, { 1, 1 }, { 4, 1 },
    };
    return cr_make_param_array(struct psk_case, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct psk_case *p, tls, psk_striped_echo)
{
    sr_tls_config cfg = psk_config(0);
    struct echo e = { 100, (5u << 20) + 123, (3u << 20) + 7 };
    struct side sv = { .cfg = &cfg, .fn = echo_fn, .arg = &e };
    struct side cl = sv;
    run_pair(&sv, &cl, p->nconn, p->tcp);
    cr_assert_eq(sv.rc, SR_OK, "server: %s %s", sr_strerror(sv.rc), sv.err);
    cr_assert_eq(cl.rc, SR_OK, "client: %s %s", sr_strerror(cl.rc), cl.err);

    /* Payload counters are payload only. */
    uint64_t pay = e.small + e.big + e.xch;
    cr_assert_eq(sv.st.bytes_sent, pay);
    cr_assert_eq(sv.st.bytes_recv, pay);
    cr_assert_eq(cl.st.bytes_sent, pay);
    cr_assert_eq(cl.st.bytes_recv, pay);

    /* Wire counters: payload + 22 bytes per record, exactly. */
    uint64_t rec = records(e.small, p->nconn) + records(e.big, p->nconn) +
                   records(e.xch, p->nconn);
    uint64_t wire = pay + REC_OVH * rec;
    cr_assert_eq(sv.st.wire_sent, wire, "%llu vs %llu",
                 (unsigned long long)sv.st.wire_sent,
                 (unsigned long long)wire);
    cr_assert_eq(sv.st.wire_recv, wire);
    cr_assert_eq(cl.st.wire_sent, wire);
    cr_assert_eq(cl.st.wire_recv, wire);
    cr_assert_eq(sv.st.rounds, 3u);

    /* Handshake bytes: what one side sent, the other received. */
    cr_assert_gt(sv.hs_sent, 0u);
    cr_assert_gt(cl.hs_sent, 0u);
    cr_assert_eq(sv.hs_sent, cl.hs_recv);
    cr_assert_eq(cl.hs_sent, sv.hs_recv);
    sr_tls_config_clear(&cfg);
}

/* The lane's own setup exchange already runs through TLS (opts.io). */
ParameterizedTestParameters(tls, psk_lane)
{
    static unsigned p[] = { 1, 3 };
    return cr_make_param_array(unsigned, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(unsigned *nconn, tls, psk_lane)
{
    sr_tls_config cfg = psk_config(1);
    struct echo e = { 1, 300000, 65536 };
    struct side sv = { .cfg = &cfg, .fn = echo_fn, .arg = &e,
                       .use_lane = 1 + (*nconn > 1) };
    struct side cl = sv;
    run_pair(&sv, &cl, *nconn, 0);
    cr_assert_eq(sv.rc, SR_OK, "server: %s %s", sr_strerror(sv.rc), sv.err);
    cr_assert_eq(cl.rc, SR_OK, "client: %s %s", sr_strerror(cl.rc), cl.err);
    /* Lane setup: 16 bytes each way, one record. */
    cr_assert_eq(sv.setup.bytes_sent, 16u);
    cr_assert_eq(sv.setup.wire_sent, 16u + REC_OVH);
    cr_assert_eq(cl.setup.wire_recv, 16u + REC_OVH);
    uint64_t pay = e.small + e.big + e.xch;
    uint64_t rec = records(e.small, *nconn) + records(e.big, *nconn) +
                   records(e.xch, *nconn);
    cr_assert_eq(sv.st.bytes_sent, pay);
    cr_assert_eq(cl.st.wire_recv, pay + REC_OVH * rec);
    sr_tls_config_clear(&cfg);
}

/* Several lanes wrap at once with one shared config (threads). */
Test(tls, psk_parallel_lanes)
{
    enum { NL = 4 };
    sr_tls_config cfg = psk_config(13);
    struct echo e = { 7, 700000, 4096 };
    struct side sd[2 * NL];
    pthread_t th[2 * NL];
    for (unsigned k = 0; k < NL; k++) {
        struct side *sv = &sd[2 * k], *cl = &sd[2 * k + 1];
        *sv = (struct side){ .cfg = &cfg, .fn = echo_fn, .arg = &e,
                             .use_lane = 2, .is_server = 1, .nconn = 2,
                             .timeout_ms = 20000 };
        *cl = *sv;
        cl->is_server = 0;
        cr_assert_eq(sr_test_socketpairs(sv->fds, cl->fds, 2, 1), 0);
    }
    for (unsigned i = 0; i < 2 * NL; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, side_main, &sd[i]), 0);
    for (unsigned i = 0; i < 2 * NL; i++)
        pthread_join(th[i], NULL);
    for (unsigned i = 0; i < 2 * NL; i++) {
        cr_assert_eq(sd[i].rc, SR_OK, "side %u: %s", i, sd[i].err);
        cr_assert_eq(sd[i].st.bytes_sent, e.small + e.big + e.xch);
    }
    sr_tls_config_clear(&cfg);
}

/* Many small messages through the write buffer, ping-pong. */
static int
pingpong_fn(sr_chan *c, int is_server, void *arg)
{
    (void)arg;
    uint64_t v = 1;
    for (int i = 0; i < 200; i++) {
        if (is_server == (i % 2 == 0)) {
            sr_chan_send(c, &v, sizeof v);
        } else {
            uint64_t w = 0;
            sr_chan_recv(c, &w, sizeof w);
            if (sr_chan_error(c) == SR_OK && w != v)
                return SR_ECHECK;
        }
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    return sr_chan_error(c);
}

Test(tls, psk_pingpong_counts)
{
    sr_tls_config cfg = psk_config(2);
    struct side sv = { .cfg = &cfg, .fn = pingpong_fn };
    struct side cl = sv;
    run_pair(&sv, &cl, 2, 1);
    cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
    cr_assert_eq(cl.rc, SR_OK, "%s", cl.err);
    cr_assert_eq(sv.st.bytes_sent, 100 * 8u);
    cr_assert_eq(sv.st.wire_sent, 100 * (8u + REC_OVH));
    cr_assert_eq(cl.st.wire_recv, 100 * (8u + REC_OVH));
    cr_assert_eq(sv.st.rounds, 200u);
    sr_tls_config_clear(&cfg);
}

/* ---- a network attacker in the middle -------------------------------------- */

/*
 * Relays one connection between fds a (server side) and b (client side),
 * recording what goes from the server to the client, and optionally
 * flipping one bit of that direction at byte offset flip_at.
 */
struct relay {
    int a, b;
    uint8_t *rec;
    size_t cap, len;
    size_t flip_at;             /* SIZE_MAX: never */
};

static void *
relay_main(void *p)
{
    struct relay *r = p;
    int open_a = 1, open_b = 1;
    uint8_t buf[65536];
    while (open_a || open_b) {
        struct pollfd pfd[2] = { { r->a, POLLIN, 0 }, { r->b, POLLIN, 0 } };
        if (poll(pfd, 2, 10000) <= 0)
            break;
        if (open_a && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(r->a, buf, sizeof buf);
            if (n <= 0) {
                open_a = 0;
                shutdown(r->b, SHUT_WR);
            } else {
                for (ssize_t i = 0; i < n; i++, r->len++) {
                    if (r->len == r->flip_at)
                        buf[i] ^= 0x10;
                    if (r->len < r->cap)
                        r->rec[r->len] = buf[i];
                }
                if (send(r->b, buf, (size_t)n, MSG_NOSIGNAL) != n)
                    open_a = 0;
            }
        }
        if (open_b && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(r->b, buf, sizeof buf);
            if (n <= 0) {
                open_b = 0;
                shutdown(r->a, SHUT_WR);
            } else if (send(r->a, buf, (size_t)n, MSG_NOSIGNAL) != n) {
                open_b = 0;
            }
        }
    }
    close(r->a);
    close(r->b);
    return NULL;
}

struct secret_msg {
    size_t len;
};

static int
secret_fn(sr_chan *c, int is_server, void *arg)
{
    const struct secret_msg *m = arg;
    uint8_t *buf = malloc(m->len);
    if (buf == NULL)
        return SR_ENOMEM;
    static const char pat[] = "sirnn-secret-";
    for (size_t i = 0; i < m->len; i++)
        buf[i] = (uint8_t)pat[i % (sizeof pat - 1)];
    if (is_server) {
        sr_chan_send(c, buf, m->len);
    } else {
        uint8_t *got = malloc(m->len);
        sr_chan_recv(c, got, m->len);
        if (sr_chan_error(c) == SR_OK && memcmp(got, buf, m->len) != 0) {
            free(got);
            free(buf);
            return SR_ECHECK;
        }
        free(got);
    }
    free(buf);
    return sr_chan_error(c);
}

/* Server and client through the relay (C = 1, socketpairs). */
static void
run_relayed(struct side *sv, struct side *cl, struct relay *r)
{
    int s2r[2], c2r[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s2r), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, c2r), 0);
    sv->is_server = 1;
    cl->is_server = 0;
    sv->nconn = cl->nconn = 1;
    sv->timeout_ms = cl->timeout_ms = 5000;
    sv->fds[0] = s2r[0];
    cl->fds[0] = c2r[0];
    r->a = s2r[1];
    r->b = c2r[1];
    pthread_t tr, tc;
    cr_assert_eq(pthread_create(&tr, NULL, relay_main, r), 0);
    cr_assert_eq(pthread_create(&tc, NULL, side_main, cl), 0);
    side_main(sv);
    pthread_join(tc, NULL);
    pthread_join(tr, NULL);
}

/* An eavesdropper sees the payload in plain mode and not with TLS. */
Test(tls, eavesdropper_sees_no_payload)
{
    sr_tls_config cfg = psk_config(11);
    struct secret_msg m = { 100000 };
    for (int tls = 0; tls <= 1; tls++) {
        struct relay r = { .cap = 1 << 20, .flip_at = SIZE_MAX };
        r.rec = malloc(r.cap);
        struct side sv = { .cfg = tls ? &cfg : NULL, .fn = secret_fn,
                           .arg = &m };
        struct side cl = sv;
        run_relayed(&sv, &cl, &r);
        cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
        cr_assert_eq(cl.rc, SR_OK, "%s", cl.err);
        size_t seen = r.len < r.cap ? r.len : r.cap;
        void *hit = memmem(r.rec, seen, "sirnn-secret-", 13);
        if (tls)
            cr_assert_null(hit, "payload visible on the wire with TLS");
        else
            cr_assert_not_null(hit);
        free(r.rec);
    }
    sr_tls_config_clear(&cfg);
}

/* One flipped bit in the protocol data: the client fails, no corruption
 * gets through. */
Test(tls, tampering_is_detected)
{
    sr_tls_config cfg = psk_config(12);
    struct secret_msg m = { 100000 };
    struct relay r = { .cap = 0, .flip_at = 50000 };
    struct side sv = { .cfg = &cfg, .fn = secret_fn, .arg = &m };
    struct side cl = sv;
    run_relayed(&sv, &cl, &r);
    cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
    cr_assert_eq(cl.rc, SR_EIO, "%s", sr_strerror(cl.rc));
    cr_assert_str_eq(cl.err, "sirnn: tls: connection 0: decryption failed "
                             "or bad record mac");
    sr_tls_config_clear(&cfg);
}

/* ---- refused peers ------------------------------------------------------------- */

static int
never_fn(sr_chan *c, int is_server, void *arg)
{
    (void)c;
    (void)is_server;
    (void)arg;
    return SR_ECHECK;           /* must not run: the wrap fails first */
}

ParameterizedTestParameters(tls, wrong_psk_fails_both)
{
    static unsigned p[] = { 1, 3 };
    return cr_make_param_array(unsigned, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(unsigned *nconn, tls, wrong_psk_fails_both)
{
    sr_tls_config a = psk_config(3), b = psk_config(4);
    int lane = *nconn > 1 ? 2 : 0;      /* C = 3: sr_tls_lane_init */
    struct side sv = { .cfg = &a, .fn = never_fn, .timeout_ms = 5000,
                       .use_lane = lane };
    struct side cl = { .cfg = &b, .fn = never_fn, .timeout_ms = 5000,
                       .use_lane = lane };
    run_pair(&sv, &cl, *nconn, 1);
    cr_assert_eq(sv.wrap_rc, SR_ECRYPTO, "%s: %s", sr_strerror(sv.wrap_rc),
                 sv.err);
    cr_assert_eq(cl.wrap_rc, SR_ECRYPTO, "%s: %s", sr_strerror(cl.wrap_rc),
                 cl.err);
    cr_assert_lt(sv.wrap_seconds, 4.0);
    cr_assert_lt(cl.wrap_seconds, 4.0);
    cr_assert(strstr(sv.err, "same PSK") != NULL, "%s", sv.err);
    cr_assert(strstr(cl.err, "same PSK") != NULL, "%s", cl.err);
    cr_assert(strncmp(sv.err, "sirnn: tls: connection ", 23) == 0);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}

/* A peer that speaks plaintext is refused; a silent one times out. */
Test(tls, plaintext_peer_refused)
{
    sr_tls_config cfg = psk_config(5);
    int a, b;
    cr_assert_eq(sr_test_socketpairs(&a, &b, 1, 0), 0);
    static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
    cr_assert_eq(write(b, junk, sizeof junk - 1), (ssize_t)sizeof junk - 1);
    sr_tls t;
    int rc = sr_tls_wrap(&t, &cfg, 1, &a, 1, 3000);
    cr_assert_eq(rc, SR_ECRYPTO, "%s: %s", sr_strerror(rc), t.err);
    sr_tls_clear(&t);
    close(a);
    close(b);
    sr_tls_config_clear(&cfg);
}

Test(tls, silent_peer_times_out)
{
    sr_tls_config cfg = psk_config(6);
    int a, b;
    cr_assert_eq(sr_test_socketpairs(&a, &b, 1, 0), 0);
    sr_tls t;
    double t0 = now_s();
    int rc = sr_tls_wrap(&t, &cfg, 0, &a, 1, 300);
    double dt = now_s() - t0;
    cr_assert_eq(rc, SR_ETIMEOUT, "%s: %s", sr_strerror(rc), t.err);
    cr_assert_geq(dt, 0.29);
    cr_assert_lt(dt, 3.0);
    cr_assert_str_eq(t.err, "sirnn: tls: connection 0: no TLS handshake "
                            "with the peer within 300 ms");
    sr_tls_clear(&t);
    close(a);
    close(b);
    sr_tls_config_clear(&cfg);
}

/* The server leaves right after the handshake: the client's read ends
 * with SR_EPEER, not a hang. */
static int
leave_fn(sr_chan *c, int is_server, void *arg)
{
    (void)arg;
    if (is_server)
        return SR_OK;
    uint8_t buf[64];
    sr_chan_recv(c, buf, sizeof buf);
    return sr_chan_error(c);
}

Test(tls, vanished_peer_is_epeer)
{
    sr_tls_config cfg = psk_config(7);
    struct side sv = { .cfg = &cfg, .fn = leave_fn, .timeout_ms = 5000 };
    struct side cl = sv;
    run_pair(&sv, &cl, 2, 0);
    cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
    cr_assert_eq(cl.rc, SR_EPEER, "%s %s", sr_strerror(cl.rc), cl.err);
    cr_assert_lt(cl.run_seconds, 4.0);
    sr_tls_config_clear(&cfg);
}

/* sr_tls_send_all/recv_all on a wrapped control connection (the hello). */
struct ctl {
    const sr_tls_config *cfg;
    int fd, is_server, rc;
    uint64_t out, in;
};

static void *
ctl_main(void *p)
{
    struct ctl *c = p;
    sr_tls t;
    uint8_t hello[100], reply[200000], got[200000];
    fill(hello, sizeof hello, 5);
    fill(reply, sizeof reply, 6);
    c->rc = sr_tls_wrap(&t, c->cfg, c->is_server, &c->fd, 1, 5000);
    if (c->rc == SR_OK && c->is_server) {
        c->rc = sr_tls_recv_all(&t, 0, got, sizeof hello, 5000);
        if (c->rc == SR_OK && memcmp(got, hello, sizeof hello) != 0)
            c->rc = SR_ECHECK;
        if (c->rc == SR_OK)
            c->rc = sr_tls_send_all(&t, 0, reply, sizeof reply, 5000);
    } else if (c->rc == SR_OK) {
        c->rc = sr_tls_send_all(&t, 0, hello, sizeof hello, 5000);
        if (c->rc == SR_OK)
            c->rc = sr_tls_recv_all(&t, 0, got, sizeof reply, 5000);
        if (c->rc == SR_OK && memcmp(got, reply, sizeof reply) != 0)
            c->rc = SR_ECHECK;
        /* The server is gone now: EOF, not a hang. */
        if (c->rc == SR_OK)
            c->rc = sr_tls_recv_all(&t, 0, got, 1, 5000) == SR_EPEER
                        ? SR_OK : SR_ECHECK;
    }
    c->out = t.conn[0].wire_out - t.hs_sent;
    c->in = t.conn[0].wire_in - t.hs_recv;
    sr_tls_clear(&t);
    shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    return NULL;
}

Test(tls, control_connection_io)
{
    sr_tls_config cfg = psk_config(10);
    int a, b;
    cr_assert_eq(sr_test_socketpairs(&a, &b, 1, 1), 0);
    struct ctl sv = { &cfg, a, 1, 0, 0, 0 }, cl = { &cfg, b, 0, 0, 0, 0 };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, ctl_main, &cl), 0);
    ctl_main(&sv);
    pthread_join(th, NULL);
    cr_assert_eq(sv.rc, SR_OK, "%s", sr_strerror(sv.rc));
    cr_assert_eq(cl.rc, SR_OK, "%s", sr_strerror(cl.rc));
    /* 100 bytes: one record; 200000: 13 records (SSL_write_ex, no
     * partial returns lost). */
    cr_assert_eq(cl.out, 100 + REC_OVH);
    cr_assert_eq(sv.out, 200000 + REC_OVH * sr_ceil_div(200000, REC_MAX));
    cr_assert_eq(cl.in, sv.out);
    sr_tls_config_clear(&cfg);
}

/* ---- key files ------------------------------------------------------------------ */

static char tmpdir[64];

static void
mk_tmpdir(void)
{
    arm_alarm();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sirnn-tls-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void
rm_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

static const char hex128[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

struct keyfile_case {           /* arrays: Criterion copies parameters */
    char text[64];
    unsigned mode;
    char err[64];               /* after "sirnn: PATH: "; "" = loads */
    size_t len;                 /* key bytes when it loads */
};

ParameterizedTestParameters(tls, psk_key_file)
{
    static struct keyfile_case p[] = {
        { "00112233445566778899aabbccddeeff\n", 0600, "", 16 },
        { "  \t\r\n00112233445566778899AABBCCDDEEFF \r\n\n", 0400, "", 16 },
        { "00112233445566778899aAbBcCdDeEfF0011223344556677", 0600, "",
          24 },
        { "0x00112233445566778899aabbccddeeff\n", 0600,
          "PSK must be hex digits without a 0x prefix", 0 },
        { "00112233445566778899aabbccddeeffzz\n", 0600,
          "PSK has a non-hex character at offset 32", 0 },
        { "\n  0011 2233445566778899aabbccddeeff0011\n", 0600,
          "PSK has a non-hex character at offset 4", 0 },
        { "00112233445566778899aabbccddeef\n", 0600,
          "PSK too short: 31 hex digits, need 32 to 128", 0 },
        { "0011223344556677\n", 0600,
          "PSK too short: 16 hex digits, need 32 to 128", 0 },
        { "", 0600, "PSK too short: 0 hex digits, need 32 to 128", 0 },
        { " \n\t\n", 0600, "PSK too short: 0 hex digits, need 32 to 128",
          0 },
        { "00112233445566778899aabbccddeeff0\n", 0600,
          "PSK has an odd number of hex digits (33)", 0 },
        { "00112233445566778899aabbccddeeff\n", 0640,
          "readable by group or others; chmod 600 it", 0 },
        { "00112233445566778899aabbccddeeff\n", 0604,
          "readable by group or others; chmod 600 it", 0 },
    };
    return cr_make_param_array(struct keyfile_case, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct keyfile_case *p, tls, psk_key_file,
                  .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char path[128], want[256], err[SR_TLS_ERRLEN] = "";
    snprintf(path, sizeof path, "%s/key.hex", tmpdir);
    write_file(path, p->text, p->mode);
    sr_tls_config cfg;
    int rc = sr_tls_config_load_psk(&cfg, path, err, sizeof err);
    if (p->err[0] == '\0') {
        cr_assert_eq(rc, SR_OK, "%s", err);
        cr_assert_eq(cfg.mode, SR_TLS_PSK);
        cr_assert_eq(cfg.psk_len, p->len);
        static const uint8_t k16[] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                       0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                       0xcc, 0xdd, 0xee, 0xff };
        cr_assert_eq(memcmp(cfg.psk, k16, 16), 0);
    } else {
        snprintf(want, sizeof want, "sirnn: %s: %s", path, p->err);
        cr_assert_eq(rc, SR_EUSAGE);
        cr_assert_str_eq(err, want);
    }
    sr_tls_config_clear(&cfg);
}

Test(tls, psk_key_file_limits, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char path[128], want[256], err[SR_TLS_ERRLEN] = "", text[300];
    sr_tls_config cfg;
    snprintf(path, sizeof path, "%s/key.hex", tmpdir);

    snprintf(text, sizeof text, "%s\n", hex128);           /* 128: ok */
    write_file(path, text, 0600);
    cr_assert_eq(sr_tls_config_load_psk(&cfg, path, err, sizeof err), SR_OK,
                 "%s", err);
    cr_assert_eq(cfg.psk_len, 64u);
    for (unsigned i = 0; i < 64; i++)
        cr_assert_eq(cfg.psk[i], i);
    sr_tls_config_clear(&cfg);

    snprintf(text, sizeof text, "%s00\n", hex128);         /* 130: long */
    write_file(path, text, 0600);
    cr_assert_eq(sr_tls_config_load_psk(&cfg, path, err, sizeof err),
                 SR_EUSAGE);
    snprintf(want, sizeof want,
             "sirnn: %s: PSK too long: 130 hex digits, need 32 to 128", path);
    cr_assert_str_eq(err, want);
    sr_tls_config_clear(&cfg);

    snprintf(want, sizeof want, "sirnn: %s/nope: cannot open: %s", tmpdir,
             strerror(ENOENT));
    snprintf(path, sizeof path, "%s/nope", tmpdir);
    cr_assert_eq(sr_tls_config_load_psk(&cfg, path, err, sizeof err),
                 SR_EUSAGE);
    cr_assert_str_eq(err, want);
    sr_tls_config_clear(&cfg);

    snprintf(want, sizeof want, "sirnn: %s: not a regular file", tmpdir);
    cr_assert_eq(sr_tls_config_load_psk(&cfg, tmpdir, err, sizeof err),
                 SR_EUSAGE);
    cr_assert_str_eq(err, want);
    sr_tls_config_clear(&cfg);
}

/* Two parties that loaded the same key file talk. */
Test(tls, psk_from_files, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char p1[128], p2[128], err[SR_TLS_ERRLEN] = "";
    snprintf(p1, sizeof p1, "%s/a.hex", tmpdir);
    snprintf(p2, sizeof p2, "%s/b.hex", tmpdir);
    write_file(p1, "  00112233445566778899aabbccddeeff0123\n", 0600);
    write_file(p2, "00112233445566778899AABBCCDDEEFF0123", 0400);
    sr_tls_config a, b;
    cr_assert_eq(sr_tls_config_load_psk(&a, p1, err, sizeof err), SR_OK);
    cr_assert_eq(sr_tls_config_load_psk(&b, p2, err, sizeof err), SR_OK);
    struct echo e = { 10, 1000, 10 };
    struct side sv = { .cfg = &a, .fn = echo_fn, .arg = &e };
    struct side cl = { .cfg = &b, .fn = echo_fn, .arg = &e };
    run_pair(&sv, &cl, 1, 0);
    cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
    cr_assert_eq(cl.rc, SR_OK, "%s", cl.err);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}

/* ---- certificates ----------------------------------------------------------- */

/* A throwaway P-256 certificate, signed by (ca, ca_key) or self-signed. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key,
          int is_ca, long serial)
{
    X509 *x = X509_new();
    cr_assert_not_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 30);
    X509_set_pubkey(x, key);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : nm);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, ca != NULL ? ca : x, x, NULL, NULL, 0);
    const struct { int nid; const char *val; } ext[] = {
        { NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE" },
        { NID_key_usage, is_ca ? "critical,keyCertSign,cRLSign"
                               : "critical,digitalSignature" },
        { NID_subject_key_identifier, "hash" },
    };
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, ext[i].nid,
                                                ext[i].val);
        cr_assert_not_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    cr_assert_gt(X509_sign(x, ca_key != NULL ? ca_key : key, EVP_sha256()),
                 0);
    return x;
}

static void
write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *k)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    if (x != NULL)
        cr_assert(PEM_write_X509(f, x));
    if (k != NULL)
        cr_assert(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    chmod(path, 0600);
}

/*
 * ca.pem (the CA), server.pem/server.key and client.pem/client.key (signed
 * by it), rogue.pem/rogue.key (signed by another CA that carries the same
 * name as the real one, so only the signature tells them apart).
 */
static void
make_pki(void)
{
    mk_tmpdir();
    EVP_PKEY *ca_k = EVP_EC_gen("P-256"), *rca_k = EVP_EC_gen("P-256");
    EVP_PKEY *s_k = EVP_EC_gen("P-256"), *c_k = EVP_EC_gen("P-256");
    EVP_PKEY *r_k = EVP_EC_gen("P-256");
    cr_assert(ca_k && rca_k && s_k && c_k && r_k);
    X509 *ca = make_cert(ca_k, "sirnn test CA", NULL, NULL, 1, 1);
    X509 *rca = make_cert(rca_k, "sirnn test CA", NULL, NULL, 1, 1);
    X509 *s = make_cert(s_k, "server", ca, ca_k, 0, 2);
    X509 *c = make_cert(c_k, "client", ca, ca_k, 0, 3);
    X509 *r = make_cert(r_k, "client", rca, rca_k, 0, 2);
    write_pem(tmpdir, "ca.pem", ca, NULL);
    write_pem(tmpdir, "server.pem", s, NULL);
    write_pem(tmpdir, "server.key", NULL, s_k);
    write_pem(tmpdir, "client.pem", c, NULL);
    write_pem(tmpdir, "client.key", NULL, c_k);
    write_pem(tmpdir, "rogue.pem", r, NULL);
    write_pem(tmpdir, "rogue.key", NULL, r_k);
    write_pem(tmpdir, "garbage.pem", NULL, NULL);
    X509_free(ca);
    X509_free(rca);
    X509_free(s);
    X509_free(c);
    X509_free(r);
    EVP_PKEY_free(ca_k);
    EVP_PKEY_free(rca_k);
    EVP_PKEY_free(s_k);
    EVP_PKEY_free(c_k);
    EVP_PKEY_free(r_k);
}

static int
load_cert(sr_tls_config *cfg, const char *who, const char *ca, char *err)
{
    char cp[160], kp[160], ap[160];
    snprintf(cp, sizeof cp, "%s/%s.pem", tmpdir, who);
    snprintf(kp, sizeof kp, "%s/%s.key", tmpdir, who);
    snprintf(ap, sizeof ap, "%s/%s", tmpdir, ca);
    return sr_tls_config_load_cert(cfg, cp, kp, ap, err, SR_TLS_ERRLEN);
}

Test(tls, cert_mutual_auth, .init = make_pki, .fini = rm_tmpdir)
{
    char err[SR_TLS_ERRLEN] = "";
    sr_tls_config a, b;
    cr_assert_eq(load_cert(&a, "server", "ca.pem", err), SR_OK, "%s", err);
    cr_assert_eq(load_cert(&b, "client", "ca.pem", err), SR_OK, "%s", err);
    cr_assert_eq(a.mode, SR_TLS_CERT);
    struct echo e = { 50, 400000, 1000 };
    struct side sv = { .cfg = &a, .fn = echo_fn, .arg = &e };
    struct side cl = { .cfg = &b, .fn = echo_fn, .arg = &e };
    run_pair(&sv, &cl, 2, 1);
    cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
    cr_assert_eq(cl.rc, SR_OK, "%s", cl.err);
    uint64_t pay = e.small + e.big + e.xch;
    uint64_t rec = records(e.small, 2) + records(e.big, 2) + records(e.xch, 2);
    cr_assert_eq(sv.st.wire_sent, pay + REC_OVH * rec);
    cr_assert_eq(cl.st.wire_recv, pay + REC_OVH * rec);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}

/* A server whose certificate the CA did not sign: both sides fail. */
Test(tls, cert_rogue_server_refused, .init = make_pki, .fini = rm_tmpdir)
{
    char err[SR_TLS_ERRLEN] = "";
    sr_tls_config a, b;
    cr_assert_eq(load_cert(&a, "rogue", "ca.pem", err), SR_OK, "%s", err);
    cr_assert_eq(load_cert(&b, "client", "ca.pem", err), SR_OK, "%s", err);
    struct side sv = { .cfg = &a, .fn = never_fn, .timeout_ms = 5000 };
    struct side cl = { .cfg = &b, .fn = never_fn, .timeout_ms = 5000 };
    run_pair(&sv, &cl, 2, 0);
    cr_assert_eq(cl.wrap_rc, SR_ECRYPTO, "%s", cl.err);
    cr_assert_eq(sv.wrap_rc, SR_ECRYPTO, "%s", sv.err);
    cr_assert(strstr(cl.err, "peer certificate refused: certificate "
                             "signature failure") != NULL, "%s", cl.err);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}

/* A client whose certificate the CA did not sign: both sides fail inside
 * the wrap (the client through the confirmation). */
Test(tls, cert_rogue_client_refused, .init = make_pki, .fini = rm_tmpdir)
{
    char err[SR_TLS_ERRLEN] = "";
    sr_tls_config a, b;
    cr_assert_eq(load_cert(&a, "server", "ca.pem", err), SR_OK, "%s", err);
    cr_assert_eq(load_cert(&b, "rogue", "ca.pem", err), SR_OK, "%s", err);
    struct side sv = { .cfg = &a, .fn = never_fn, .timeout_ms = 5000 };
    struct side cl = { .cfg = &b, .fn = never_fn, .timeout_ms = 5000 };
    run_pair(&sv, &cl, 1, 1);
    cr_assert_eq(sv.wrap_rc, SR_ECRYPTO, "%s", sv.err);
    cr_assert_eq(cl.wrap_rc, SR_ECRYPTO, "%s", cl.err);
    cr_assert(strstr(sv.err, "peer certificate refused: certificate "
                             "signature failure") != NULL, "%s", sv.err);
    cr_assert(strstr(cl.err, "refused by the peer during the "
                             "confirmation: ") != NULL, "%s", cl.err);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}

/* A PSK party and a certificate party do not agree. */
Test(tls, psk_vs_cert_refused, .init = make_pki, .fini = rm_tmpdir)
{
    char err[SR_TLS_ERRLEN] = "";
    sr_tls_config a = psk_config(8), b;
    cr_assert_eq(load_cert(&b, "client", "ca.pem", err), SR_OK, "%s", err);
    struct side sv = { .cfg = &a, .fn = never_fn, .timeout_ms = 5000 };
    struct side cl = { .cfg = &b, .fn = never_fn, .timeout_ms = 5000 };
    run_pair(&sv, &cl, 1, 0);
    cr_assert_neq(sv.wrap_rc, SR_OK);
    cr_assert_neq(cl.wrap_rc, SR_OK);
    cr_assert_neq(sv.wrap_rc, SR_ETIMEOUT);
    cr_assert_neq(cl.wrap_rc, SR_ETIMEOUT);
    sr_tls_config_clear(&a);
    sr_tls_config_clear(&b);
}

Test(tls, cert_load_errors, .init = make_pki, .fini = rm_tmpdir)
{
    char err[SR_TLS_ERRLEN] = "", want[512], c[160], k[160], a[160];
    sr_tls_config cfg;
    snprintf(c, sizeof c, "%s/server.pem", tmpdir);
    snprintf(k, sizeof k, "%s/client.key", tmpdir);
    snprintf(a, sizeof a, "%s/ca.pem", tmpdir);
    cr_assert_eq(sr_tls_config_load_cert(&cfg, c, k, a, err, sizeof err),
                 SR_EUSAGE);
    snprintf(want, sizeof want, "sirnn: %s: private key does not match the "
             "certificate in %s", k, c);
    cr_assert_str_eq(err, want);
    sr_tls_config_clear(&cfg);

    snprintf(k, sizeof k, "%s/server.key", tmpdir);
    snprintf(a, sizeof a, "%s/missing.pem", tmpdir);
    cr_assert_eq(sr_tls_config_load_cert(&cfg, c, k, a, err, sizeof err),
                 SR_EUSAGE);
    snprintf(want, sizeof want, "sirnn: %s: cannot open: %s", a,
             strerror(ENOENT));
    cr_assert_str_eq(err, want);
    sr_tls_config_clear(&cfg);

    snprintf(a, sizeof a, "%s/garbage.pem", tmpdir);
    cr_assert_eq(sr_tls_config_load_cert(&cfg, c, k, a, err, sizeof err),
                 SR_EUSAGE);
    snprintf(want, sizeof want, "sirnn: %s: cannot load CA certificates: ", a);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
    sr_tls_config_clear(&cfg);

    cr_assert_eq(sr_tls_config_load_cert(&cfg, a, k, c, err, sizeof err),
                 SR_EUSAGE);
    snprintf(want, sizeof want, "sirnn: %s: cannot load certificate: ", a);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
    sr_tls_config_clear(&cfg);
}

/* ---- throughput ------------------------------------------------------------------ */

struct bulk {
    size_t len;
    const uint8_t *src;         /* server sends this */
    uint8_t *dst;               /* client receives here */
    double sec;                 /* client: start signal to last byte */
    double cpu[2];              /* thread CPU seconds: [0] client, [1] server */
};

static double
thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * A 1-byte exchange lines both sides up, then the server sends len bytes
 * and the client times their arrival; a 1-byte ack closes the transfer.
 */
static int
bulk_fn(sr_chan *c, int is_server, void *arg)
{
    struct bulk *b = arg;
    uint8_t go = 1, got = 0;
    sr_chan_exchange(c, &got, 1, &go, 1);
    double c0 = thread_cpu_s();
    if (is_server) {
        sr_chan_send(c, b->src, b->len);
        sr_chan_recv(c, &got, 1);
    } else {
        double t0 = now_s();
        sr_chan_recv(c, b->dst, b->len);
        b->sec = now_s() - t0;
        sr_chan_send(c, &go, 1);
    }
    b->cpu[is_server != 0] = thread_cpu_s() - c0;
    return sr_chan_error(c);
}

/*
 * Payload throughput of one transfer over loopback TCP, plain and TLS,
 * C = 1 and 2.  Asserts only correctness.  With SR_TLS_BENCH=1 it moves
 * 64 MB and writes one line per setting to stderr (docs/security.md);
 * otherwise 4 MB and prints nothing.
 */
static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(tls, throughput)
{
    const char *env = getenv("SR_TLS_BENCH");
    int bench = env != NULL && env[0] == '1';
    size_t len = bench ? (size_t)64 << 20 : (size_t)4 << 20;
    enum { REPS = 7 };
    unsigned reps = bench ? REPS : 1;
    uint8_t *src = malloc(len), *dst = malloc(len);
    cr_assert(src != NULL && dst != NULL);
    fill(src, len, 9);
    sr_tls_config cfg = psk_config(9);
    for (unsigned nconn = 1; nconn <= 2; nconn++) {
        for (int tls = 0; tls <= 1; tls++) {
            double sec[REPS], cpu[REPS];
            for (unsigned r = 0; r < reps; r++) {
                memset(dst, 0, len);
                struct bulk b = { len, src, dst, 0, { 0, 0 } };
                struct side sv = { .cfg = tls ? &cfg : NULL, .fn = bulk_fn,
                                   .arg = &b };
                struct side cl = sv;
                run_pair(&sv, &cl, nconn, 1);
                cr_assert_eq(sv.rc, SR_OK, "%s", sv.err);
                cr_assert_eq(cl.rc, SR_OK, "%s", cl.err);
                cr_assert_eq(memcmp(src, dst, len), 0);
                uint64_t rec = tls ? records(len, nconn) + 1 : 0;
                cr_assert_eq(cl.st.wire_recv, len + 1 + REC_OVH * rec);
                sec[r] = b.sec;
                cpu[r] = b.cpu[0] + b.cpu[1];
            }
            qsort(sec, reps, sizeof sec[0], cmp_double);
            qsort(cpu, reps, sizeof cpu[0], cmp_double);
            if (bench)
                fprintf(stderr, "tls-throughput: %-7s C=%u %zu MB x %u: "
                        "median %.1f MB/s, best %.1f MB/s payload; CPU "
                        "(both sides) median %.2f ns/byte\n",
                        tls ? "tls-psk" : "plain", nconn, len >> 20, reps,
                        (double)len / 1e6 / sec[reps / 2],
                        (double)len / 1e6 / sec[0],
                        cpu[reps / 2] * 1e9 / (double)len);
        }
    }
    sr_tls_config_clear(&cfg);
    free(src);
    free(dst);
}
