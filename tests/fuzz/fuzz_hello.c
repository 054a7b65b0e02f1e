/*
 * tests/fuzz/fuzz_hello.c -- libFuzzer harness for what the rendezvous
 * reads from a peer (engine/net.h): the first byte picks the parser,
 *   0  sr_net_hello_parse (the client's hello, as the server reads it:
 *      every prefix the parser asks for, then the whole), and on success
 *      sr_net_job_diff of its job against a fixed bench job;
 *   1  sr_net_reply_parse (the server's reply, as the client reads it),
 *      and on success sr_net_table_entry for every rank;
 *   2  sr_net_job_diff of two blobs (split at the second byte's value).
 * `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char job[] = "op=net\nbytes=1024\nn=10\n";

/* The incremental read of a client: grow the buffer to what the parser
 * asks for, never past the input. */
static int
drive(const uint8_t *b, size_t size, int hello, sr_net_hello *h,
      sr_net_reply *r, char *msg, size_t msglen)
{
    size_t have = 1;
    for (;;) {
        if (have > size)
            return SR_EPEER;
        int rc = hello ? sr_net_hello_parse(b, have, h, msg, msglen)
                       : sr_net_reply_parse(b, have, r, msg, msglen);
        if (rc <= 0)
            return rc;
        if ((size_t)rc <= have)
            __builtin_trap(); /* must ask for more than it has */
        have = (size_t)rc;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *b = data + 1;
    size_t n = size - 1;
    char msg[SR_NET_MSG_MAX + 64];
    static sr_net_reply r; /* large: keep it off the stack */
    sr_net_hello h;
    switch (data[0] % 3) {
    case 0:
        if (drive(b, n, 1, &h, &r, msg, sizeof msg) == SR_OK) {
            if (h.job_len > SR_NET_JOB_MAX)
                __builtin_trap();
            (void)sr_net_job_diff(SR_JOB_BENCH, job, sizeof job - 1, h.job,
                                  h.job_len, msg, sizeof msg);
        }
        /* the whole input at once, too */
        (void)sr_net_hello_parse(b, n, &h, msg, sizeof msg);
        break;
    case 1:
        if (drive(b, n, 0, &h, &r, msg, sizeof msg) == SR_OK) {
            char host[SR_NET_HOST_MAX + 1];
            unsigned port;
            for (unsigned k = 0; k < r.ranks; k++)
                if (sr_net_table_entry(r.table, r.table_len, k, host,
                                       sizeof host, &port) != SR_OK)
                    __builtin_trap(); /* a parsed table has every rank */
            if (sr_net_table_entry(r.table, r.table_len, r.ranks, host,
                                   sizeof host, &port) == SR_OK)
                __builtin_trap();
        }
        (void)sr_net_reply_parse(b, n, &r, msg, sizeof msg);
        break;
    default: {
        size_t cut = n > 0 ? b[0] % n : 0;
        (void)sr_net_job_diff(SR_JOB_BENCH, b, cut, b + cut, n - cut, msg,
                              sizeof msg);
        (void)sr_net_job_diff(SR_JOB_MODEL, b, cut, b + cut, n - cut, msg,
                              sizeof msg);
        break;
    }
    }
    return 0;
}
