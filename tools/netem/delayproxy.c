/* tools/netem/delayproxy.c -- user-space one-way delay for TCP (the kernel
 * here has no netem qdisc).  Listens on LHOST:PORT+i for i in [0, COUNT) and
 * forwards every accepted connection to THOST:PORT+i, holding each chunk it
 * reads for DELAY microseconds before writing it on, in both directions.
 *
 *   delayproxy LHOST THOST PORT COUNT DELAY_US [WINDOW_BYTES]
 *
 * - Byte order is preserved per connection (one FIFO of chunks per
 *   direction); many connections are served at once (one epoll loop).
 * - It does not limit throughput itself: it reads whatever the kernel has
 *   (up to 4 MiB per wake-up and direction), stamps each chunk with the time
 *   it was read, and writes it when due.  The queue per direction is capped at
 *   64 MiB (memory guard; beyond that the sender sees TCP back-pressure).
 * - WINDOW_BYTES > 0 emulates a TCP window: a byte counts as in flight from
 *   the moment it is read until one round trip (2 x DELAY) later -- when the
 *   ACK would come back on a real path -- and the proxy stops reading a
 *   direction while WINDOW bytes are in flight, so one connection carries at
 *   most WINDOW / RTT.  (The veth's own RTT is ~0, so socket-buffer caps
 *   alone would not limit anything.)
 * - Prints "ready" on stdout once all listeners are bound; on SIGTERM/SIGINT
 *   prints one line of statistics on stderr and exits 0.
 * - DELAYPROXY_BURSTS=FILE logs message flights: per connection and
 *   direction, a burst is the bytes read with no gap longer than DELAY/2
 *   (a quarter RTT) between reads; one line per burst, "CONN DIR BYTES"
 *   (CONN = accept order, DIR 0 = towards the target).  Meant for a
 *   profile without WINDOW (a window stall would split a burst).
 *
 * Not part of libsirnn: built by tools/netem/run.sh with plain cc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_PORTS = 1024,
    READ_BUF = 1 << 20,    /* one read() */
    READ_BUDGET = 4 << 20, /* per wake-up and direction */
    QUEUE_CAP = 64 << 20,  /* memory guard per direction */
};

typedef struct chunk {
    struct chunk *next;
    int64_t t_ns;    /* when it was read */
    size_t len, off; /* off = bytes already written */
    unsigned char data[];
} chunk;

typedef struct {
    int from, to;
    chunk *head, *wcur, *tail; /* head..wcur written, kept for the window */
    size_t queued;             /* bytes in the list */
    bool eof, shut, blocked;   /* blocked: last write hit EAGAIN */
    uint64_t burst;            /* bytes of the current burst (burst log) */
    int64_t last_ns;           /* time of the last read (burst log) */
} dir;

typedef struct pair {
    struct pair *next;
    int fd[2];        /* 0 = accepted side, 1 = target side */
    uint32_t mask[2]; /* current epoll interest */
    dir d[2];         /* d[0]: fd0 -> fd1, d[1]: fd1 -> fd0 */
    bool dead;
    uint64_t id; /* accept order (burst log) */
} pair;

typedef struct {
    int ep;
    int lfd[MAX_PORTS];
    int port0, count;
    const char *thost;
    int64_t delay_ns, window;
    pair *pairs;
    unsigned char *buf;
    uint64_t bytes[2], conns, refused;
    FILE *blog; /* DELAYPROXY_BURSTS, or NULL */
} proxy;

/* The one mutable global: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int
resolve(const char *host, int port, struct sockaddr_storage *sa, socklen_t *len)
{
    struct addrinfo hints = {0}, *res = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, ps, &hints, &res) != 0 || res == NULL)
        return -1;
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void
ep_set(proxy *P, pair *p, int side, uint32_t mask)
{
    if (p->mask[side] == mask)
        return;
    struct epoll_event ev = {.events = mask, .data.ptr = p};
    /* data.ptr is the pair; the side is recovered by comparing fds */
    epoll_ctl(P->ep, EPOLL_CTL_MOD, p->fd[side], &ev);
    p->mask[side] = mask;
}

static void
dir_free(dir *d)
{
    chunk *c = d->head;
    while (c != NULL) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    d->head = d->wcur = d->tail = NULL;
    d->queued = 0;
}

/* Log the burst of direction s of pair p, if any (burst log only). */
static void
burst_end(proxy *P, pair *p, int s)
{
    if (P->blog != NULL && p->d[s].burst > 0)
        fprintf(P->blog, "%llu %d %llu\n", (unsigned long long)p->id, s,
                (unsigned long long)p->d[s].burst);
    p->d[s].burst = 0;
}

static void
pair_kill(proxy *P, pair *p)
{
    if (p->dead)
        return;
    for (int s = 0; s < 2; s++) {
        burst_end(P, p, s);
        epoll_ctl(P->ep, EPOLL_CTL_DEL, p->fd[s], NULL);
        close(p->fd[s]);
        dir_free(&p->d[s]);
    }
    p->dead = true;
}

static void
accept_one(proxy *P, int idx)
{
    int a = accept4(P->lfd[idx], NULL, NULL, SOCK_CLOEXEC);
    if (a < 0)
        return;
    struct sockaddr_storage sa;
    socklen_t sl;
    int t = -1;
    if (resolve(P->thost, P->port0 + idx, &sa, &sl) == 0) {
        t = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* blocking connect: the target is on this host (loopback) */
        if (t >= 0 && connect(t, (struct sockaddr *)&sa, sl) != 0) {
            close(t);
            t = -1;
        }
    }
    if (t < 0) {
        P->refused++;
        close(a);
        return;
    }
    pair *p = calloc(1, sizeof *p);
    if (p == NULL) {
        close(a);
        close(t);
        return;
    }
    p->fd[0] = a;
    p->fd[1] = t;
    for (int s = 0; s < 2; s++) {
        set_nonblock(p->fd[s]);
        set_nodelay(p->fd[s]);
        p->d[s].from = p->fd[s];
        p->d[s].to = p->fd[1 - s];
        p->mask[s] = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
        epoll_ctl(P->ep, EPOLL_CTL_ADD, p->fd[s], &ev);
    }
    p->next = P->pairs;
    p->id = P->conns;
    P->pairs = p;
    P->conns++;
}

/* Read what is available from d->from into the queue.  Returns -1 on a
 * connection error. */
static int
dir_read(proxy *P, pair *p, int s, int64_t now)
{
    dir *d = &p->d[s];
    size_t budget = READ_BUDGET;
    while (!d->eof && budget > 0 && d->queued < QUEUE_CAP &&
           (P->window == 0 || d->queued < (size_t)P->window)) {
        size_t want = READ_BUF;
        if (P->window > 0 && want > (size_t)P->window - d->queued)
            want = (size_t)P->window - d->queued;
        ssize_t r = read(d->from, P->buf, want);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        if (r == 0) {
            d->eof = true;
            return 0;
        }
        chunk *c = malloc(sizeof *c + (size_t)r);
        if (c == NULL)
            return -1;
        c->next = NULL;
        c->t_ns = now;
        c->len = (size_t)r;
        c->off = 0;
        memcpy(c->data, P->buf, (size_t)r);
        if (d->tail != NULL)
            d->tail->next = c;
        else
            d->head = c;
        d->tail = c;
        if (d->wcur == NULL)
            d->wcur = c;
        d->queued += (size_t)r;
        budget -= (size_t)r;
        if (P->blog != NULL) {
            if (d->burst > 0 && now - d->last_ns > P->delay_ns / 2)
                burst_end(P, p, s);
            d->burst += (uint64_t)r;
            d->last_ns = now;
        }
    }
    return 0;
}

/* Write every due chunk, drop chunks whose window time is over.  Sets
 * *next_ns to the next time something becomes due.  Returns -1 on error. */
static int
dir_flush(proxy *P, dir *d, int side, int64_t now, int64_t *next_ns)
{
    d->blocked = false;
    while (d->wcur != NULL && d->wcur->t_ns + P->delay_ns <= now) {
        chunk *c = d->wcur;
        ssize_t w = write(d->to, c->data + c->off, c->len - c->off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                d->blocked = true;
                break;
            }
            return -1;
        }
        c->off += (size_t)w;
        P->bytes[side] += (uint64_t)w;
        if (c->off == c->len)
            d->wcur = c->next;
    }
    if (d->wcur != NULL && !d->blocked &&
        d->wcur->t_ns + P->delay_ns < *next_ns)
        *next_ns = d->wcur->t_ns + P->delay_ns;
    /* release written chunks (after one RTT in window mode) */
    int64_t hold = P->window > 0 ? 2 * P->delay_ns : 0;
    while (d->head != NULL && d->head != d->wcur &&
           d->head->t_ns + hold <= now) {
        chunk *c = d->head;
        d->head = c->next;
        d->queued -= c->len;
        free(c);
    }
    if (d->head == NULL)
        d->tail = NULL;
    if (d->head != NULL && d->head != d->wcur &&
        d->head->t_ns + hold < *next_ns)
        *next_ns = d->head->t_ns + hold;
    if (d->eof && d->wcur == NULL && !d->shut) {
        shutdown(d->to, SHUT_WR);
        d->shut = true;
    }
    return 0;
}

static bool
can_read(const proxy *P, const dir *d)
{
    return !d->eof && d->queued < QUEUE_CAP &&
           (P->window == 0 || d->queued < (size_t)P->window);
}

static int
run(proxy *P)
{
    struct epoll_event evs[256];
    for (;;) {
        if (stop_flag)
            return 0;
        int64_t now = now_ns();
        int64_t next = INT64_MAX;
        for (pair **pp = &P->pairs; *pp != NULL;) {
            pair *p = *pp;
            if (!p->dead) {
                for (int s = 0; s < 2 && !p->dead; s++)
                    if (dir_flush(P, &p->d[s], s, now, &next) != 0)
                        pair_kill(P, p);
                if (!p->dead && p->d[0].shut && p->d[1].shut)
                    pair_kill(P, p);
            }
            if (p->dead) {
                *pp = p->next;
                free(p);
                continue;
            }
            for (int s = 0; s < 2; s++) {
                /* fd[s] is read for d[s] and written for d[1-s] */
                uint32_t m = 0;
                if (can_read(P, &p->d[s]))
                    m |= EPOLLIN;
                if (p->d[1 - s].blocked)
                    m |= EPOLLOUT;
                ep_set(P, p, s, m);
            }
            pp = &p->next;
        }
        struct timespec ts, *tsp = NULL;
        if (next != INT64_MAX) {
            int64_t wait = next - now_ns();
            if (wait < 0)
                wait = 0;
            ts.tv_sec = wait / 1000000000;
            ts.tv_nsec = wait % 1000000000;
            tsp = &ts;
        }
        int n = epoll_pwait2(P->ep, evs, 256, tsp, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("delayproxy: epoll_pwait2");
            return 1;
        }
        now = now_ns();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 < (uint64_t)MAX_PORTS) {
                accept_one(P, (int)evs[i].data.u64);
                continue;
            }
            pair *p = evs[i].data.ptr;
            if (p->dead)
                continue;
            for (int s = 0; s < 2; s++) {
                if ((p->mask[s] & EPOLLIN) != 0 &&
                    dir_read(P, p, s, now) != 0) {
                    pair_kill(P, p);
                    break;
                }
            }
        }
    }
}

int
main(int argc, char **argv)
{
    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: delayproxy LHOST THOST PORT COUNT DELAY_US "
                        "[WINDOW_BYTES]\n");
        return 2;
    }
    proxy P = {0};
    P.thost = argv[2];
    P.port0 = atoi(argv[3]);
    P.count = atoi(argv[4]);
    P.delay_ns = atoll(argv[5]) * 1000;
    P.window = argc > 6 ? atoll(argv[6]) : 0;
    if (P.port0 <= 0 || P.count <= 0 || P.count > MAX_PORTS ||
        P.port0 + P.count > 65536 || P.delay_ns < 0 || P.window < 0) {
        fprintf(stderr, "delayproxy: bad arguments\n");
        return 2;
    }
    P.buf = malloc(READ_BUF);
    P.ep = epoll_create1(EPOLL_CLOEXEC);
    if (P.buf == NULL || P.ep < 0) {
        perror("delayproxy");
        return 1;
    }
    for (int i = 0; i < P.count; i++) {
        struct sockaddr_storage sa;
        socklen_t sl;
        if (resolve(argv[1], P.port0 + i, &sa, &sl) != 0) {
            fprintf(stderr, "delayproxy: cannot resolve %s\n", argv[1]);
            return 2;
        }
        int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sl) != 0 ||
            listen(fd, 256) != 0) {
            fprintf(stderr, "delayproxy: listen %s:%d: %s\n", argv[1],
                    P.port0 + i, strerror(errno));
            return 1;
        }
        set_nonblock(fd);
        P.lfd[i] = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        epoll_ctl(P.ep, EPOLL_CTL_ADD, fd, &ev);
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* 1 ns timer slack: the default 50 us would add to every short delay */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    printf("ready\n");
    fflush(stdout);
    const char *bl = getenv("DELAYPROXY_BURSTS");
    if (bl != NULL && *bl != '\0' && (P.blog = fopen(bl, "w")) == NULL) {
        perror(bl);
        return 1;
    }
    int rc = run(&P);
    for (pair *p = P.pairs; p != NULL; p = p->next)
        for (int s = 0; s < 2 && !p->dead; s++)
            burst_end(&P, p, s);
    if (P.blog != NULL)
        fclose(P.blog);
    fprintf(stderr,
            "delayproxy: %llu connections (%llu refused), forwarded %llu B "
            "in and %llu B out, delay %lld us, window %lld B\n",
            (unsigned long long)P.conns, (unsigned long long)P.refused,
            (unsigned long long)P.bytes[0], (unsigned long long)P.bytes[1],
            (long long)(P.delay_ns / 1000), (long long)P.window);
    return rc;
}
