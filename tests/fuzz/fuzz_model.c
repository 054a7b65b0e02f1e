/*
 * tests/fuzz/fuzz_model.c -- libFuzzer harness: the input is written as
 * model.json into a temporary directory that holds tiny valid weight
 * files (D = 2, H = 3, K = 2, low-rank factors of rank 1, and a file that
 * is not an .npy), then sr_model_load runs on it.  `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/model.h"
#include "jobs/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The directory, made on the first call (a fuzzer process runs one). */
static char dir[64];

static const char *const files[] = {
    "W",        "U",    "W1",   "W2",   "U1",  "U2",  "b_gate",
    "b_update", "fc_W", "fc_b", "mean", "std", "bad", NULL};

/* At exit: remove the directory again. */
static void
remove_dir(void)
{
    char path[128];
    for (size_t i = 0; files[i] != NULL; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/model.json", dir);
    unlink(path);
    rmdir(dir);
}

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/sirnn-fuzz-model-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    static const struct {
        const char *name;
        unsigned ndim;
        size_t shape[2];
    } f[] = {
        {"W", 2, {2, 3}},      {"U", 2, {3, 3}},        {"W1", 2, {2, 1}},
        {"W2", 2, {1, 3}},     {"U1", 2, {3, 1}},       {"U2", 2, {1, 3}},
        {"b_gate", 1, {3, 0}}, {"b_update", 2, {1, 3}}, {"fc_W", 2, {3, 2}},
        {"fc_b", 1, {2, 0}},   {"mean", 1, {2, 0}},     {"std", 1, {2, 0}},
    };
    const double v[9] = {0.5, -0.25, 1.0, 0.125, 2.0, -1.5, 0.75, 1.25, 0.5};
    const double vstd[2] = {1.0, 2.0};
    char path[128];
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", dir, f[i].name);
        if (sr_npy_save_f64(path, i % 2 ? SR_NPY_F4 : SR_NPY_F8, f[i].shape,
                            f[i].ndim, strcmp(f[i].name, "std") ? v : vstd,
                            NULL, 0) != SR_OK)
            abort();
    }
    snprintf(path, sizeof path, "%s/bad.npy", dir);
    FILE *g = fopen(path, "w");
    if (g == NULL)
        abort();
    fputs("not an npy file\n", g);
    fclose(g);
    atexit(remove_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0')
        make_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *g = fopen(path, "w");
    if (g == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, g) != size)
        abort();
    fclose(g);
    sr_model m;
    char err[1024];
    if (sr_model_load(&m, dir, err, sizeof err) == SR_OK) {
        if (m.input_dim != 2 || m.hidden_dim != 3 || m.classes != 2)
            __builtin_trap(); /* only the files' shapes can pass */
        sr_model_clear(&m);
    }
    return 0;
}
