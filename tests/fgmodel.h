/*
 * tests/fgmodel.h -- random FastGRNN models for the tests: weights as .npy
 * files and a model.json in a directory (shared by test_fastgrnn.c and
 * test_fastgrnn_secure.c).
 */
#ifndef SR_TESTS_FGMODEL_H
#define SR_TESTS_FGMODEL_H

#include <stddef.h>
#include <stdint.h>

/* Uniform in [0, 1) from a xorshift64* stream (state must be nonzero). */
double sr_test_urand(uint64_t *state);

/*
 * Writes a random FastGRNN (low rank when rW/rU > 0) into dir, drawing from
 * *state; asserts (Criterion) that every file was written.
 */
void sr_test_fastgrnn_random(const char *dir, size_t D, size_t H, size_t K,
                             size_t T, size_t rW, size_t rU, uint64_t *state);

#endif
