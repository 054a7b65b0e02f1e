/*
 * tests/test_net.c -- address parsing, job comparison, one-rank worlds,
 * command-line numbers.  (Rendezvous tests: tests/test_hello.c.)
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/net.h"
#include "engine/world.h"
#include "jobs/cli.h"

static void
arm_alarm(void)
{
    alarm(30);
}

TestSuite(net, .init = arm_alarm);

struct ac {
    char in[48];
    int need_host;
    int rc;
    char host[40];
    unsigned port;
};

ParameterizedTestParameters(net, parse_addr)
{
    static struct ac p[] = {
        {"7000", 0, SR_OK, "", 7000},
        {"7000", 1, SR_EUSAGE, "", 0},
        {"localhost:7001", 1, SR_OK, "localhost", 7001},
        {"127.0.0.1:0", 0, SR_OK, "127.0.0.1", 0},
        {"[::1]:7000", 1, SR_OK, "::1", 7000},
        {"[fe80::1%eth0]:65535", 1, SR_OK, "fe80::1%eth0", 65535},
        {"::1:7000", 1, SR_EUSAGE, "", 0}, /* IPv6 needs brackets */
        {"[::1]7000", 1, SR_EUSAGE, "", 0},
        {"[::1]:", 1, SR_EUSAGE, "", 0},
        {"host:65536", 1, SR_EUSAGE, "", 0},
        {"host:-1", 1, SR_EUSAGE, "", 0},
        {"host:70a", 1, SR_EUSAGE, "", 0},
        {"host:123456", 1, SR_EUSAGE, "", 0},
        {"", 0, SR_EUSAGE, "", 0},
        {":7000", 1, SR_EUSAGE, "", 0},
        {":7000", 0, SR_OK, "", 7000},
    };
    return cr_make_param_array(struct ac, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(struct ac *p, net, parse_addr)
{
    char host[256] = "junk";
    unsigned port = 12345;
    int rc = sr_net_parse_addr(p->in, p->need_host, host, sizeof host, &port);
    cr_assert_eq(rc, p->rc, "'%s'", p->in);
    if (rc == SR_OK) {
        cr_assert_str_eq(host, p->host);
        cr_assert_eq(port, p->port);
    }
}

Test(net, parse_addr_host_bound)
{
    char in[300], host[256];
    unsigned port;
    memset(in, 'a', 256);
    strcpy(in + 256, ":80");
    cr_assert_eq(sr_net_parse_addr(in, 1, host, sizeof host, &port),
                 SR_EUSAGE); /* 256 > SR_NET_HOST_MAX */
    strcpy(in + 255, ":80");
    cr_assert_eq(sr_net_parse_addr(in, 1, host, sizeof host, &port), SR_OK);
    cr_assert_eq(strlen(host), 255u);
}

Test(net, job_diff)
{
    char msg[200];
    const char *a = "op=relu\nn=10\nbw=32\n";
    cr_assert_eq(sr_net_job_diff(SR_JOB_BENCH, a, strlen(a), a, strlen(a), msg,
                                 sizeof msg),
                 0);
    const char *b = "op=relu\nn=11\nbw=32\n";
    cr_assert_eq(sr_net_job_diff(SR_JOB_BENCH, a, strlen(a), b, strlen(b), msg,
                                 sizeof msg),
                 1);
    cr_assert_str_eq(msg, "n: server 10, client 11");
    /* order of keys does not matter */
    const char *c = "bw=32\nop=relu\nn=10\n";
    cr_assert_eq(sr_net_job_diff(SR_JOB_BENCH, a, strlen(a), c, strlen(c), msg,
                                 sizeof msg),
                 0);
    /* a key only the client has */
    const char *d = "op=relu\nn=10\nbw=32\nkind=x\n";
    cr_assert_eq(sr_net_job_diff(SR_JOB_BENCH, a, strlen(a), d, strlen(d), msg,
                                 sizeof msg),
                 1);
    cr_assert_str_eq(msg, "kind: server (none), client x");
    /* a value that is a prefix of the other */
    const char *e = "op=relu\nn=1\nbw=32\n";
    cr_assert_eq(sr_net_job_diff(SR_JOB_BENCH, a, strlen(a), e, strlen(e), msg,
                                 sizeof msg),
                 1);
    cr_assert_str_eq(msg, "n: server 10, client 1");
    /* opaque kinds compare bytes */
    cr_assert_eq(
        sr_net_job_diff(SR_JOB_MODEL, "ab", 2, "ac", 2, msg, sizeof msg), 1);
    cr_assert(strstr(msg, "job") != NULL);
    cr_assert_eq(
        sr_net_job_diff(SR_JOB_MODEL, "ab", 2, "ab", 2, msg, sizeof msg), 0);
}

Test(net, world_local)
{
    sr_world W;
    sr_world_local(&W, 1);
    cr_assert_eq(W.rank, 0);
    cr_assert_eq(W.size, 1);
    int x = 5, y[1] = {0};
    cr_assert_eq(sr_world_bcast(&W, &x, sizeof x), SR_OK);
    cr_assert_eq(sr_world_gather(&W, y, &x, sizeof x), SR_OK);
    cr_assert_eq(y[0], 5);
    double v = 2.5;
    cr_assert_eq(sr_world_max(&W, &v), SR_OK);
    cr_assert_eq(v, 2.5);
    cr_assert_eq(sr_world_barrier(&W), SR_OK);
    sr_world_finalize(&W);
}

Test(net, cli_numbers)
{
    uint64_t v = 0;
    cr_assert_eq(sr_cli_uint("t", "--n", "123", 0, 1000, &v), SR_OK);
    cr_assert_eq(v, 123u);
    cr_assert_eq(sr_cli_uint("t", "--n", "0x10", 0, 1000, &v), SR_OK);
    cr_assert_eq(v, 16u);
    cr_assert_eq(sr_cli_uint("t", "--n", "4k", 0, 1u << 20, &v), SR_OK);
    cr_assert_eq(v, 4096u);
    cr_assert_eq(sr_cli_uint("t", "--n", "16M", 0, 1u << 30, &v), SR_OK);
    cr_assert_eq(v, 16u << 20);
    const char *bad[] = {"",    "-1",  "+1",
                         " 1",  "1x",  "1kk",
                         "abc", "1.5", "99999999999999999999999",
                         "4q"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(sr_cli_uint("t", "--n", bad[i], 0, UINT64_MAX, &v),
                     SR_EUSAGE, "'%s'", bad[i]);
    cr_assert_eq(sr_cli_uint("t", "--n", "1001", 0, 1000, &v), SR_EUSAGE);
    cr_assert_eq(sr_cli_uint("t", "--n", "0", 1, 1000, &v), SR_EUSAGE);
    cr_assert_eq(sr_cli_uint("t", "--n", NULL, 0, 1000, &v), SR_EUSAGE);
}

Test(net, cli_common)
{
    sr_cli c;
    sr_cli_defaults(&c, "t");
    int used;
    cr_assert_eq(sr_cli_common(&c, "--threads", "4", &used), 1);
    cr_assert_eq(used, 1);
    cr_assert_eq(c.threads, 4u);
    cr_assert_eq(sr_cli_common(&c, "--quiet", "x", &used), 1);
    cr_assert_eq(used, 0);
    cr_assert_eq(sr_cli_common(&c, "--threads", "0", &used), SR_EUSAGE);
    cr_assert_eq(sr_cli_common(&c, "--conns", "65", &used), SR_EUSAGE);
    cr_assert_eq(sr_cli_common(&c, "--role", "both", &used), SR_EUSAGE);
    cr_assert_eq(sr_cli_common(&c, "--rank-ports", "ephemeral", &used), 1);
    cr_assert_eq(c.ephemeral, 1);
    cr_assert_eq(sr_cli_common(&c, "--bw", "3", &used), 0);
    cr_assert_eq(sr_cli_common(&c, "--connect", "h:1", &used), 1);
    cr_assert_eq(sr_cli_finish(&c), SR_EUSAGE); /* needs --role client */
    cr_assert_eq(sr_cli_common(&c, "--role", "client", &used), 1);
    cr_assert_eq(sr_cli_finish(&c), SR_OK);
}

Test(net, cli_tls_options)
{
    sr_cli c;
    int used;
    /* cert, key and CA go together (party mode: files are loaded later) */
    sr_cli_defaults(&c, "t");
    cr_assert_eq(sr_cli_common(&c, "--role", "server", &used), 1);
    cr_assert_eq(sr_cli_common(&c, "--tls-cert", "c.pem", &used), 1);
    cr_assert_eq(used, 1);
    cr_assert_eq(sr_cli_common(&c, "--tls-ca", "ca.pem", &used), 1);
    cr_assert_eq(sr_cli_finish(&c), SR_EUSAGE);
    cr_assert_eq(sr_cli_common(&c, "--tls-key", "k.pem", &used), 1);
    cr_assert_eq(sr_cli_finish(&c), SR_OK);
    /* local mode loads them at once: missing files are a usage error */
    c.role = SR_ROLE_NONE;
    cr_assert_eq(sr_cli_finish(&c), SR_EUSAGE);
    c.role = SR_ROLE_SERVER;
    /* and exclude a PSK */
    cr_assert_eq(sr_cli_common(&c, "--tls-psk", "p", &used), 1);
    cr_assert_eq(sr_cli_finish(&c), SR_EUSAGE);
    cr_assert_eq(sr_cli_common(&c, "--tls-psk", "", &used), SR_EUSAGE);
    cr_assert_eq(sr_cli_common(&c, "--tls-psk", NULL, &used), SR_EUSAGE);
    /* the child of local mode gets the same files */
    char *a[8];
    int n = sr_cli_child_args(&c, a);
    cr_assert_eq(n, 8);
    const char *want[] = {"--tls-psk", "p",     "--tls-cert", "c.pem",
                          "--tls-key", "k.pem", "--tls-ca",   "ca.pem"};
    for (int i = 0; i < n; i++) {
        cr_assert_str_eq(a[i], want[i]);
        free(a[i]);
    }
    /* no TLS: nothing to load, nothing to pass */
    sr_cli_defaults(&c, "t");
    cr_assert_eq(sr_cli_child_args(&c, a), 0);
    sr_tls_config cfg;
    cr_assert_eq(sr_cli_tls_load(&c, &cfg), 0);
    cr_assert_eq(cfg.mode, SR_TLS_OFF);
    sr_tls_config_clear(&cfg);
    /* a missing key file: exit code 2 */
    c.tls_psk = "/nonexistent/sirnn.psk";
    cr_assert_eq(sr_cli_tls_load_ex(&c, &cfg, 0), 2);
    sr_tls_config_clear(&cfg);
}
