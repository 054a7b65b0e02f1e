/*
 * tests/fgmodel.c -- see fgmodel.h.
 */
#include "tests/fgmodel.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "jobs/npy.h"

/* see fgmodel.h */
double
sr_test_urand(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 2685821657736338717ull) >> 11) * 0x1p-53;
}

static void
save(uint64_t *state, const char *dir, const char *name, size_t r, size_t c,
     double amp)
{
    char path[256], err[SR_NPY_ERRLEN];
    double *v = malloc(r * c * sizeof *v);
    for (size_t i = 0; i < r * c; i++)
        v[i] = amp * (2.0 * sr_test_urand(state) - 1.0);
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    const size_t shape[2] = {r, c};
    cr_assert_eq(sr_npy_save_f64(path, SR_NPY_F8, shape, 2, v, err, sizeof err),
                 SR_OK, "%s", err);
    free(v);
}

/* see fgmodel.h */
void
sr_test_fastgrnn_random(const char *dir, size_t D, size_t H, size_t K, size_t T,
                        size_t rW, size_t rU, uint64_t *state)
{
    char path[256];
    if (rW) {
        save(state, dir, "W1", D, rW, 0.6);
        save(state, dir, "W2", rW, H, 0.6);
    } else {
        save(state, dir, "W", D, H, 0.5);
    }
    if (rU) {
        save(state, dir, "U1", H, rU, 0.15);
        save(state, dir, "U2", rU, H, 0.15);
    } else {
        save(state, dir, "U", H, H, 0.1);
    }
    save(state, dir, "b_gate", 1, H, 1.0);
    save(state, dir, "b_update", 1, H, 1.0);
    save(state, dir, "fc_W", H, K, 1.5);
    save(state, dir, "fc_b", 1, K, 0.5);
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"format\": \"sirnn-model/1\", \"name\": \"rand\", \"type\": "
            "\"fastgrnn\", \"input_dim\": %zu, \"hidden_dim\": %zu, "
            "\"classes\": %zu, \"timesteps\": %zu, \"zeta\": %.17g, \"nu\": "
            "%.17g, \"weights\": {%s, %s, \"b_gate\": \"b_gate.npy\", "
            "\"b_update\": \"b_update.npy\", \"fc_W\": \"fc_W.npy\", "
            "\"fc_b\": \"fc_b.npy\"}}\n",
            D, H, K, T, 4.0 * sr_test_urand(state) - 1.0,
            4.0 * sr_test_urand(state) - 5.0,
            rW ? "\"W1\": \"W1.npy\", \"W2\": \"W2.npy\"" : "\"W\": \"W.npy\"",
            rU ? "\"U1\": \"U1.npy\", \"U2\": \"U2.npy\"" : "\"U\": \"U.npy\"");
    cr_assert_eq(fclose(f), 0);
}
