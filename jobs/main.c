/*
 * jobs/main.c -- the `sirnn` command (DESIGN.md s5): dispatch on the
 * subcommand.  Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "engine/common.h"
#include "jobs/bench.h"
#include "jobs/eval.h"
#include "jobs/heads_cmd.h"
#include "jobs/infer.h"
#include "jobs/internal.h"
#include "jobs/plain.h"
#include "jobs/ulp_cmd.h"

/*
 * 1 when `demo --model V` names the head-counting model: "heads", or a
 * directory whose model.json declares type "rnnpool-heads".  Anything else
 * goes to the FastGRNN demo, which reports bad models itself.
 */
static int
demo_is_heads(int argc, char **argv)
{
    const char *v = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            v = argv[i + 1];
        else if (strncmp(argv[i], "--model=", 8) == 0)
            v = argv[i] + 8;
    }
    if (v == NULL)
        return 0;
    if (strcmp(v, "heads") == 0)
        return 1;
    char path[4096], buf[65536];
    if (snprintf(path, sizeof path, "%s/model.json", v) >= (int)sizeof path)
        return 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    return strstr(buf, "\"rnnpool-heads\"") != NULL;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: sirnn COMMAND [options]\n"
               "  demo      secure inference demo, both parties here\n"
               "  bench OP  benchmark one protocol (sirnn bench --list)\n"
               "  server    serve a model to clients\n"
               "  client    secure inference of inputs against a server\n"
               "  eval FN   evaluate a math function on an .npy, securely\n"
               "  ulp FN    precision of a math function's twin (all inputs)\n"
               "  plain     cleartext (fixed-point or float) inference\n"
               "  quantise  choose fixed-point formats, write model.json\n"
               "  --version, --help\n"
               "docs/cli.md has the details.\n");
}

/*
 * The protocols allocate and free buffers of megabytes on every call (one
 * set per lane).  glibc's defaults return them to the kernel each time, so
 * every call faulted its pages in again (measured: 15-20 % of the wall
 * time of `bench sigmoid --n 65536`, more with several lanes).  Keep freed
 * memory for reuse instead: serve up to 32 MiB from the heap, grow it 64 MiB
 * at a time, trim only above 1 GiB of free memory.  The peak memory is
 * unchanged (what is kept was in use at the peak).
 */
static void
malloc_tune(void)
{
#if defined(__GLIBC__) && defined(M_TOP_PAD)
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
    (void)mallopt(M_TOP_PAD, 64 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

/*
 * A lane's thread waits on the network, and a lane done before the others
 * should sleep, not spin: libgomp's default spins up to ~300k pauses at
 * every barrier when a process has no more threads than cores, which
 * cost 2 ranks x 2 threads 13 % more CPU per instance than 1 lane on
 * `bench sigmoid --n 65536` (docs/benchmarks.md, "Targets").  libgomp
 * reads OMP_WAIT_POLICY before main, so when the user set neither it nor
 * GOMP_SPINCOUNT, run again with OMP_WAIT_POLICY=passive: same pid, argv
 * and otherwise the same environment.  If that fails, carry on as is.
 */
static void
omp_passive(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") != NULL || getenv("GOMP_SPINCOUNT") != NULL)
        return;
    char self[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0 || (size_t)k >= sizeof self - 1)
        return;
    self[k] = '\0';
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return;
    (void)execv(self, argv);
}

int
main(int argc, char **argv)
{
    omp_passive(argv);
    malloc_tune();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("sirnn %s\n", SR_VERSION);
        return 0;
    }
    if (strcmp(cmd, "bench") == 0)
        return sr_bench_main(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return demo_is_heads(argc - 1, argv + 1)
                   ? sr_cmd_demo_heads(argc - 1, argv + 1)
                   : sr_cmd_demo_model(argc - 1, argv + 1);
    if (strcmp(cmd, "server") == 0)
        return sr_cmd_server(argc - 1, argv + 1);
    if (strcmp(cmd, "client") == 0)
        return sr_cmd_client(argc - 1, argv + 1);
    if (strcmp(cmd, "plain") == 0)
        return sr_cmd_plain(argc - 1, argv + 1);
    if (strcmp(cmd, "quantise") == 0)
        return sr_cmd_quantise(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return sr_cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "ulp") == 0)
        return sr_cmd_ulp(argc - 1, argv + 1);
    fprintf(stderr, "sirnn: unknown command '%s' (sirnn --help)\n", cmd);
    return 2;
}
