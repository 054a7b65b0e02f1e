/*
 * jobs/cli.h -- the options every networked command shares (DESIGN.md
 * s5) and the number/error helpers of the command line.
 *
 * Options are `--name value` or `--name=value`.  Every error is one line
 * `sirnn: <what>: <detail>` on stderr; usage errors exit 2.
 */
#ifndef SR_JOBS_CLI_H
#define SR_JOBS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/tls.h"

typedef enum {
    SR_ROLE_NONE = -1,
    SR_ROLE_SERVER = 0,
    SR_ROLE_CLIENT = 1
} sr_cli_role;

typedef struct sr_cli {
    const char *cmd;                /* "bench", "demo", ... (for messages) */
    sr_cli_role role;               /* --role; NONE: both parties locally */
    const char *listen;             /* --listen [HOST:]PORT */
    const char *connect;            /* --connect HOST:PORT */
    const char *advertise;          /* --advertise HOST */
    const char *report;             /* --report FILE */
    int ephemeral;                  /* --rank-ports ephemeral */
    unsigned timeout_s;             /* --timeout S (default 60) */
    unsigned threads, conns, ranks; /* 0 = not given */
    unsigned sessions; /* --sessions N (server; default 1, 0 = forever) */
    int quiet;         /* --quiet */
    int seeded;        /* --seed N given */
    uint64_t seed;
    /* --tls-psk FILE, or --tls-cert/--tls-key/--tls-ca (all three) */
    const char *tls_psk, *tls_cert, *tls_key, *tls_ca;
} sr_cli;

/* Defaults (role NONE, timeout 60, sessions 1, the rest 0/NULL). */
void sr_cli_defaults(sr_cli *c, const char *cmd);

/*
 * Try one option.  val is its value (NULL for a flag, or when none was
 * given).  Returns 1 when the option was a common one (and *used_val
 * says whether it consumed val), 0 when it is not a common option, or
 * SR_EUSAGE after printing the error.
 */
int sr_cli_common(sr_cli *c, const char *opt, const char *val, int *used_val);

/* Cross-option checks after parsing (e.g. --connect needs --role
 * client).  Prints and returns SR_EUSAGE on error. */
int sr_cli_finish(sr_cli *c);

/*
 * Load the TLS configuration the options ask for (cfg->mode SR_TLS_OFF
 * when none).  Returns 0, or the exit code after printing the error line
 * (2 for a bad or unreadable key/certificate file, 1 when
 * OpenSSL fails).  sr_tls_config_clear cfg afterwards in every case.
 * sr_cli_finish already does a trial load in local mode (role NONE), so
 * that a bad file is reported once, before any child starts.
 */
int sr_cli_tls_load(const sr_cli *c, sr_tls_config *cfg);
/* The same, printing the error only when print (e.g. on MPI rank 0). */
int sr_cli_tls_load_ex(const sr_cli *c, sr_tls_config *cfg, int print);

/*
 * The common options a child process of local mode must repeat (the TLS
 * files): appends at most 8 malloc'ed strings to argv, returns the count.
 */
int sr_cli_child_args(const sr_cli *c, char **argv);

/*
 * Parse an unsigned decimal number in [lo, hi] (also accepts 0x hex and
 * the suffixes k, M, G = 2^10, 2^20, 2^30).  Prints
 * "sirnn: CMD: OPT: bad number 'S'" and returns SR_EUSAGE otherwise.
 */
int sr_cli_uint(const char *cmd, const char *opt, const char *s, uint64_t lo,
                uint64_t hi, uint64_t *out);

/* Print "sirnn: <what>: <fmt...>" and a newline on stderr. */
void sr_cli_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Split "--name=value" (returns a malloc'ed name and sets *val) or
 * "--name" (returns NULL: use argv as is). */
char *sr_cli_split_eq(const char *arg, const char **val);

#endif
