/*
 * jobs/cli.c -- common options and number parsing.
 */
#include "jobs/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chan.h"
#include "engine/net.h"

/* see cli.h */
void
sr_cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sirnn: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* see cli.h */
void
sr_cli_defaults(sr_cli *c, const char *cmd)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->role = SR_ROLE_NONE;
    c->timeout_s = 60;
    c->sessions = 1;
}

/* see cli.h */
int
sr_cli_uint(const char *cmd, const char *opt, const char *s, uint64_t lo,
            uint64_t hi, uint64_t *out)
{
    if (s == NULL) {
        sr_cli_error(cmd, "%s: needs a value", opt);
        return SR_EUSAGE;
    }
    const char *p = s;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0' || *p == '-' || *p == '+' || *p == ' ')
        goto bad;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, base);
    if (errno != 0 || end == p)
        goto bad;
    unsigned sh = 0;
    if (base == 10 && *end != '\0' && end[1] == '\0') {
        sh = *end == 'k' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 99;
        if (sh == 99)
            goto bad;
        end++;
        if (v > (UINT64_MAX >> sh))
            goto range;
        v <<= sh;
    }
    if (*end != '\0')
        goto bad;
    if (v < lo || v > hi)
        goto range;
    *out = v;
    return SR_OK;
bad:
    sr_cli_error(cmd, "%s: bad number '%s'", opt, s);
    return SR_EUSAGE;
range:
    sr_cli_error(cmd, "%s: %s is out of range [%llu, %llu]", opt, s,
                 (unsigned long long)lo, (unsigned long long)hi);
    return SR_EUSAGE;
}

/* see cli.h */
char *
sr_cli_split_eq(const char *arg, const char **val)
{
    const char *eq = strchr(arg, '=');
    if (strncmp(arg, "--", 2) != 0 || eq == NULL)
        return NULL;
    char *name = strndup(arg, (size_t)(eq - arg));
    *val = eq + 1;
    return name;
}

static int
need(const sr_cli *c, const char *opt, const char *val)
{
    if (val == NULL) {
        sr_cli_error(c->cmd, "%s: needs a value", opt);
        return SR_EUSAGE;
    }
    return SR_OK;
}

/* see cli.h */
int
sr_cli_common(sr_cli *c, const char *opt, const char *val, int *used_val)
{
    uint64_t v;
    *used_val = 1;
    if (strcmp(opt, "--quiet") == 0) {
        *used_val = 0;
        c->quiet = 1;
        return 1;
    }
    const char *str_opts[] = {"--listen",  "--connect", "--advertise",
                              "--report",  "--tls-psk", "--tls-cert",
                              "--tls-key", "--tls-ca"};
    const char **str_dst[] = {&c->listen,  &c->connect, &c->advertise,
                              &c->report,  &c->tls_psk, &c->tls_cert,
                              &c->tls_key, &c->tls_ca};
    for (size_t i = 0; i < sizeof str_opts / sizeof str_opts[0]; i++)
        if (strcmp(opt, str_opts[i]) == 0) {
            if (need(c, opt, val) != SR_OK || val[0] == '\0') {
                if (val != NULL)
                    sr_cli_error(c->cmd, "%s: empty value", opt);
                return SR_EUSAGE;
            }
            *str_dst[i] = val;
            return 1;
        }
    if (strcmp(opt, "--role") == 0) {
        if (need(c, opt, val) != SR_OK)
            return SR_EUSAGE;
        if (strcmp(val, "server") == 0)
            c->role = SR_ROLE_SERVER;
        else if (strcmp(val, "client") == 0)
            c->role = SR_ROLE_CLIENT;
        else {
            sr_cli_error(c->cmd, "--role: expected server or client, not '%s'",
                         val);
            return SR_EUSAGE;
        }
        return 1;
    }
    if (strcmp(opt, "--rank-ports") == 0) {
        if (need(c, opt, val) != SR_OK)
            return SR_EUSAGE;
        if (strcmp(val, "ephemeral") != 0 && strcmp(val, "fixed") != 0) {
            sr_cli_error(c->cmd,
                         "--rank-ports: expected ephemeral or fixed, not '%s'",
                         val);
            return SR_EUSAGE;
        }
        c->ephemeral = strcmp(val, "ephemeral") == 0;
        return 1;
    }
    if (strcmp(opt, "--timeout") == 0) {
        if (sr_cli_uint(c->cmd, opt, val, 1, 86400, &v) != SR_OK)
            return SR_EUSAGE;
        c->timeout_s = (unsigned)v;
        return 1;
    }
    if (strcmp(opt, "--threads") == 0) {
        if (sr_cli_uint(c->cmd, opt, val, 1, SR_NET_MAX_THREADS, &v) != SR_OK)
            return SR_EUSAGE;
        c->threads = (unsigned)v;
        return 1;
    }
    if (strcmp(opt, "--conns") == 0) {
        if (sr_cli_uint(c->cmd, opt, val, 1, SR_CHAN_MAX_CONNS, &v) != SR_OK)
            return SR_EUSAGE;
        c->conns = (unsigned)v;
        return 1;
    }
    if (strcmp(opt, "--ranks") == 0) {
        if (sr_cli_uint(c->cmd, opt, val, 1, SR_NET_MAX_RANKS, &v) != SR_OK)
            return SR_EUSAGE;
        c->ranks = (unsigned)v;
        return 1;
    }
    if (strcmp(opt, "--sessions") == 0) {
        if (sr_cli_uint(c->cmd, opt, val, 0, 1000000000, &v) != SR_OK)
            return SR_EUSAGE;
        c->sessions = (unsigned)v;
        return 1;
    }
    if (strcmp(opt, "--seed") == 0) {
        if (sr_cli_uint(c->cmd, opt, val, 0, UINT64_MAX, &v) != SR_OK)
            return SR_EUSAGE;
        c->seeded = 1;
        c->seed = v;
        return 1;
    }
    *used_val = 0;
    return 0;
}

/* see cli.h */
int
sr_cli_finish(sr_cli *c)
{
    if (c->connect != NULL && c->role != SR_ROLE_CLIENT) {
        sr_cli_error(c->cmd, "--connect needs --role client");
        return SR_EUSAGE;
    }
    if ((c->listen != NULL || c->advertise != NULL) &&
        c->role != SR_ROLE_SERVER) {
        sr_cli_error(c->cmd, "--listen/--advertise need --role server");
        return SR_EUSAGE;
    }
    if (c->role == SR_ROLE_CLIENT && c->connect == NULL) {
        sr_cli_error(c->cmd, "--role client needs --connect HOST:PORT");
        return SR_EUSAGE;
    }
    if (c->role == SR_ROLE_CLIENT && c->sessions != 1) {
        sr_cli_error(c->cmd, "--sessions is a server option");
        return SR_EUSAGE;
    }
    char host[SR_NET_HOST_MAX + 1];
    unsigned port;
    if (c->listen != NULL &&
        sr_net_parse_addr(c->listen, 0, host, sizeof host, &port) != SR_OK) {
        sr_cli_error(c->cmd, "--listen %s: expected [HOST:]PORT", c->listen);
        return SR_EUSAGE;
    }
    if (c->connect != NULL &&
        sr_net_parse_addr(c->connect, 1, host, sizeof host, &port) != SR_OK) {
        sr_cli_error(c->cmd, "--connect %s: expected HOST:PORT", c->connect);
        return SR_EUSAGE;
    }
    int ncert =
        (c->tls_cert != NULL) + (c->tls_key != NULL) + (c->tls_ca != NULL);
    if (ncert != 0 && ncert != 3) {
        sr_cli_error(c->cmd, "--tls-cert, --tls-key and --tls-ca go together");
        return SR_EUSAGE;
    }
    if (ncert == 3 && c->tls_psk != NULL) {
        sr_cli_error(c->cmd, "--tls-psk and --tls-cert/--tls-key/--tls-ca "
                             "exclude each other");
        return SR_EUSAGE;
    }
    if (c->role == SR_ROLE_NONE && (c->tls_psk != NULL || ncert == 3)) {
        sr_tls_config cfg;
        int code = sr_cli_tls_load(c, &cfg);
        sr_tls_config_clear(&cfg);
        if (code != 0)
            return SR_EUSAGE;
    }
    if (c->seeded)
        fprintf(stderr, "sirnn: warning: --seed makes this run reproducible "
                        "and INSECURE (tests only)\n");
    return SR_OK;
}

/* see cli.h */
int
sr_cli_tls_load(const sr_cli *c, sr_tls_config *cfg)
{
    return sr_cli_tls_load_ex(c, cfg, 1);
}

/* see cli.h */
int
sr_cli_tls_load_ex(const sr_cli *c, sr_tls_config *cfg, int print)
{
    memset(cfg, 0, sizeof *cfg);
    char err[SR_TLS_ERRLEN + 4200] = "";
    int rc = SR_OK;
    if (c->tls_psk != NULL)
        rc = sr_tls_config_load_psk(cfg, c->tls_psk, err, sizeof err);
    else if (c->tls_cert != NULL)
        rc = sr_tls_config_load_cert(cfg, c->tls_cert, c->tls_key, c->tls_ca,
                                     err, sizeof err);
    else
        return 0;
    if (rc == SR_OK)
        return 0;
    /* The loaders' messages are whole lines "sirnn: FILE: what". */
    if (!print)
        ;
    else if (err[0] != '\0')
        fprintf(stderr, "%s\n", err);
    else
        sr_cli_error(c->cmd, "tls: %s", sr_strerror(rc));
    return rc == SR_EUSAGE ? 2 : 1;
}

/* see cli.h */
int
sr_cli_child_args(const sr_cli *c, char **argv)
{
    int n = 0;
    const char *opt[] = {"--tls-psk", "--tls-cert", "--tls-key", "--tls-ca"};
    const char *val[] = {c->tls_psk, c->tls_cert, c->tls_key, c->tls_ca};
    for (size_t i = 0; i < 4; i++)
        if (val[i] != NULL) {
            argv[n++] = strdup(opt[i]);
            argv[n++] = strdup(val[i]);
        }
    return n;
}
