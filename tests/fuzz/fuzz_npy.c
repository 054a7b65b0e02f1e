/*
 * tests/fuzz/fuzz_npy.c -- libFuzzer harness: sr_npy_parse on arbitrary
 * bytes (every dtype accepted), then a read of every value it returns, so
 * that a shape/size mismatch shows up under ASan.  `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jobs/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_npy a;
    char err[SR_NPY_ERRLEN];
    if (sr_npy_parse(&a, data, size, "fuzz.npy", SR_NPY_FLOAT | SR_NPY_INT, err,
                     sizeof err) == SR_OK) {
        size_t n = 1;
        for (size_t k = 0; k < a.ndim; k++)
            n *= a.shape[k];
        if (n != a.n || (a.f64 == NULL) == (a.i64 == NULL))
            __builtin_trap();
        volatile double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += a.f64 != NULL ? a.f64[i] : (double)a.i64[i];
        (void)sum;
    } else {
        /* the message is one terminated line */
        if (memchr(err, '\0', sizeof err) == NULL)
            __builtin_trap();
    }
    sr_npy_clear(&a);
    return 0;
}
