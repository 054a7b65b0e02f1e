/*
 * tests/twoparty.c -- the two-party test harness.
 */
#include "tests/twoparty.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* see twoparty.h */
uint64_t
sr_test_seed(void)
{
    const char *s = getenv("SR_TEST_SEED");
    return s != NULL ? strtoull(s, NULL, 0) : 0x5152524eULL;
}

/* see twoparty.h */
uint64_t
sr_test_rand64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int
tcp_pair(int *a, int *b)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&sa, &sl) < 0) {
        close(l);
        return -1;
    }
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (*a < 0 || connect(*a, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (*a >= 0)
            close(*a);
        close(l);
        return -1;
    }
    *b = accept(l, NULL, NULL);
    close(l);
    if (*b < 0) {
        close(*a);
        return -1;
    }
    int one = 1;
    setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

/* see twoparty.h */
int
sr_test_socketpairs(int *a, int *b, unsigned nconn, int tcp)
{
    for (unsigned k = 0; k < nconn; k++) {
        int sv[2];
        int r = tcp ? tcp_pair(&sv[0], &sv[1])
                    : socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        if (r < 0) {
            for (unsigned j = 0; j < k; j++) {
                close(a[j]);
                close(b[j]);
            }
            return -1;
        }
        a[k] = sv[0];
        b[k] = sv[1];
    }
    return 0;
}

struct side {
    sr_test_fn fn;
    void *arg;
    sr_partyid party;
    unsigned id, nconn;
    int fds[SR_CHAN_MAX_CONNS];
    int peer_fds[SR_CHAN_MAX_CONNS];   /* shut down if this side fails */
    sr_lane_opts lo;
    int rc;
    sr_chan_stats st, setup;
};

static void *
side_main(void *p)
{
    struct side *s = p;
    sr_lane L;
    s->rc = sr_lane_init(&L, s->party, s->id, s->fds, s->nconn, &s->lo);
    if (s->rc == SR_OK) {
        s->setup = L.setup;
        s->rc = s->fn(&L, s->arg);
        sr_chan_flush(&L.chan);
        if (s->rc == SR_OK)
            s->rc = sr_chan_error(&L.chan);
        s->st = sr_chan_stats_diff(L.chan.st, L.setup);
        s->setup = L.setup;
        if (s->rc != SR_OK)
            for (unsigned k = 0; k < s->nconn; k++)
                shutdown(L.chan.fd[k], SHUT_RDWR);
        sr_lane_clear(&L);
    } else {
        /* The lane closed our fds; make the peer see EOF at once. */
        for (unsigned k = 0; k < s->nconn; k++)
            shutdown(s->peer_fds[k], SHUT_RDWR);
    }
    return NULL;
}

/* see twoparty.h */
int
sr_test_run(sr_test_fn fn, void *arg, sr_test_opts *o)
{
    sr_test_opts dflt = { 0 };
    if (o == NULL)
        o = &dflt;
    unsigned nconn = o->nconn ? o->nconn : 1;
    unsigned nl = o->nlanes ? o->nlanes : 1;
    struct side *sd = calloc(2 * (size_t)nl, sizeof *sd);
    pthread_t *th = calloc(2 * (size_t)nl, sizeof *th);
    if (sd == NULL || th == NULL) {
        free(sd);
        free(th);
        return SR_ENOMEM;
    }
    int rc = SR_OK;
    unsigned made = 0;
    for (unsigned k = 0; k < nl; k++) {
        struct side *s = &sd[2 * k], *c = &sd[2 * k + 1];
        if (sr_test_socketpairs(s->fds, c->fds, nconn, o->tcp) < 0) {
            rc = SR_EIO;
            break;
        }
        made++;
        for (unsigned j = 0; j < nconn; j++) {
            s->peer_fds[j] = c->fds[j];
            c->peer_fds[j] = s->fds[j];
        }
        for (int p = 0; p < 2; p++) {
            struct side *x = &sd[2 * k + (unsigned)p];
            x->fn = fn;
            x->arg = arg;
            x->party = p == 0 ? SR_SERVER : SR_CLIENT;
            x->id = k;
            x->nconn = nconn;
            x->lo.timeout_ms = o->timeout_ms ? o->timeout_ms : 20000;
            x->lo.seeded = o->seeded;
            x->lo.seed = o->seed;
        }
    }
    if (rc != SR_OK) {
        for (unsigned k = 0; k < made; k++)
            for (unsigned j = 0; j < nconn; j++) {
                close(sd[2 * k].fds[j]);
                close(sd[2 * k + 1].fds[j]);
            }
        free(sd);
        free(th);
        return rc;
    }
    uint8_t *live = calloc(2 * (size_t)nl, 1);
    for (unsigned i = 0; i < 2 * nl; i++) {
        if (live != NULL &&
            pthread_create(&th[i], NULL, side_main, &sd[i]) == 0) {
            live[i] = 1;
            continue;
        }
        sd[i].rc = SR_EIO;      /* never ran: close ours, wake the peer */
        for (unsigned j = 0; j < nconn; j++) {
            shutdown(sd[i].fds[j], SHUT_RDWR);
            close(sd[i].fds[j]);
        }
    }
    memset(o->st, 0, sizeof o->st);
    o->rounds = 0;
    o->setup_bytes = 0;
    for (unsigned i = 0; i < 2 * nl; i++) {
        if (live == NULL || !live[i])
            continue;
        pthread_join(th[i], NULL);
        sr_chan_stats *t = &o->st[sd[i].party];
        t->bytes_sent += sd[i].st.bytes_sent;
        t->bytes_recv += sd[i].st.bytes_recv;
        t->wire_sent += sd[i].st.wire_sent;
        t->wire_recv += sd[i].st.wire_recv;
        t->rounds = t->rounds > sd[i].st.rounds ? t->rounds : sd[i].st.rounds;
        if (sd[i].st.rounds > o->rounds)
            o->rounds = sd[i].st.rounds;
        o->setup_bytes += sd[i].setup.bytes_sent;
    }
    for (unsigned i = 0; i < 2 * nl; i++)
        if (sd[i].rc != SR_OK && rc == SR_OK)
            rc = sd[i].rc;
    free(live);
    free(sd);
    free(th);
    return rc;
}

/* see twoparty.h */
int
sr_test_run2(sr_test_fn fn, void *arg)
{
    return sr_test_run(fn, arg, NULL);
}
