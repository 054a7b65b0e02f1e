/*
 * engine/net_internal.h -- helpers shared by net.c, net_server.c and
 * net_client.c (not an API).  Deadlines are sr_now() seconds.
 */
#ifndef SR_ENGINE_NET_INTERNAL_H
#define SR_ENGINE_NET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/net.h"

#define HELLO_MAGIC "SIRNNHLO"
#define ACK_MAGIC "SIRNNACK"
#define TAG_MAGIC "SRLN"
#define TAG_LEN (4 + SR_NET_NONCE + 4 + 4)
#define MAX_PENDING 256 /* untagged lane connections a rank holds */

/* The control connection of the hello: a socket, under TLS or not. */
typedef struct sr_net_ctl {
    int fd;
    sr_tls *tls; /* NULL: plain TCP */
} sr_net_ctl;

/* sr_net_io_full on the control connection (through TLS when on). */
int sr_net_ctl_io(sr_net_ctl *c, void *buf, size_t len, double deadline,
                  int writing);
/* Whether cfg asks for TLS. */
int sr_net_tls_on(const sr_tls_config *cfg);
/* msg without a leading "sirnn: " (TLS messages carry one). */
const char *sr_net_unprefix(const char *msg);

/* printf into err (no-op when err is NULL). */
void sr_net_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sr_net_put32(uint8_t *p, uint32_t v);
uint32_t sr_net_get32(const uint8_t *p);
/* Milliseconds to the deadline (0 when passed). */
int sr_net_ms_left(double deadline);
/* Now + timeout (<= 0: 60 s). */
double sr_net_deadline_of(int timeout_ms);
/* TCP_NODELAY and 4 MiB buffers where the kernel allows them. */
void sr_net_tune(int fd);
int sr_net_set_nonblock(int fd, int on);
/* Read (writing = 0) or write exactly len bytes before the deadline:
 * SR_OK, SR_ETIMEOUT, SR_EPEER or SR_EIO. */
int sr_net_io_full(int fd, void *buf, size_t len, double deadline, int writing);
/* "a.b.c.d:port" or "[v6]:port". */
void sr_net_addr_text(const struct sockaddr *sa, socklen_t sl, char *out,
                      size_t outlen);
/* Non-blocking listener on host ("" = every address, dual stack). */
int sr_net_listen_on(const char *host, unsigned port, int *fd_out, char *err,
                     size_t errlen);
unsigned sr_net_bound_port(int fd);
/* Accept one (blocking) connection before the deadline. */
int sr_net_accept_until(int lfd, double deadline, int *fd, char *peer,
                        size_t peerlen);
/* Connect, retrying every 50 ms until the deadline. */
int sr_net_connect_until(const char *host, unsigned port, double deadline,
                         int *fd_out, char *err, size_t errlen);
const char *sr_net_kind_name(uint32_t k);
/* Every rank's rc to every rank: the first non-OK one, or SR_OK. */
int sr_net_agree(const sr_world *W, int rc);
/* Fill the session's identity and T * C fds of -1. */
int sr_net_session_alloc(sr_session *s, sr_partyid party, const sr_world *W,
                         unsigned T, unsigned C);

#endif
