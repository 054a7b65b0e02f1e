/*
 * tests/test_math_fxp.c -- cleartext block semantics (math/fxp.h) against
 * independent integer definitions, and the Table V cost model
 * (math/cost.h) against the paper's worked values.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "math/cost.h"
#include "math/fxp.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(math_fxp, .init = arm_alarm);

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* floor(a / 2^s) for a signed 128-bit a */
static i128
floor_shift(i128 a, unsigned s)
{
    i128 d = (i128)1 << s;
    i128 q = a / d;
    if (a % d != 0 && a < 0)
        q -= 1;
    return q;
}

Test(math_fxp, sext_wrap_sat)
{
    cr_assert_eq(sr_fxp_sext(0xFF, 8), -1);
    cr_assert_eq(sr_fxp_sext(0x80, 8), -128);
    cr_assert_eq(sr_fxp_sext(0x7F, 8), 127);
    cr_assert_eq(sr_fxp_sext(~(uint64_t)0, 64), -1);
    cr_assert_eq(sr_fxp_sext_to(0x80, 8, 16), 0xFF80u);
    cr_assert_eq(sr_fxp_zext(0x80, 8, 16), 0x80u);
    cr_assert_eq(sr_fxp_sat(1000, 8), 127u);
    cr_assert_eq(sr_fxp_sat(-1000, 8), 0x80u);
    cr_assert_eq(sr_fxp_sat(-5, 8), 0xFBu);
    cr_assert_eq(sr_fxp_reduce(0x1234, 16, 8), 0x34u);
    cr_assert_eq(sr_fxp_msb(0x8000, 16), 1u);
    cr_assert_eq(sr_fxp_msb(0x7FFF, 16), 0u);
}

Test(math_fxp, shifts_round_as_documented)
{
    /* -3 in 8 bits: ARS floor -> -2, DivPow2 toward zero -> -1,
     * LRS of the pattern 0xFD -> 0x7E, TR -> floor mod 2^7 = 0x7E */
    cr_assert_eq(sr_fxp_ars(0xFD, 8, 1), 0xFEu);
    cr_assert_eq(sr_fxp_divpow2(0xFD, 8, 1), 0xFFu);
    cr_assert_eq(sr_fxp_lrs(0xFD, 8, 1), 0x7Eu);
    cr_assert_eq(sr_fxp_tr(0xFD, 8, 1), 0x7Eu);
    cr_assert_eq(sr_fxp_divpow2(0x80, 8, 7), 0xFFu); /* -128/128 = -1 */
    cr_assert_eq(sr_fxp_divpow2(0x81, 8, 7), 0x00u); /* -127/128 -> 0 */

    uint64_t s = 0x243F6A8885A308D3ull;
    for (int it = 0; it < 200000; it++) {
        unsigned l = 1 + (unsigned)(rnd(&s) % 64);
        unsigned sh = (unsigned)(rnd(&s) % l);
        uint64_t x = rnd(&s) & sr_mask(l);
        i128 xs = sr_fxp_sext(x, l);
        u128 xu = x;
        uint64_t m = sr_mask(l), mr = sr_mask(l - sh);
        cr_assert_eq(sr_fxp_tr(x, l, sh), (uint64_t)(xu >> sh) & mr);
        /* TR is floor of the signed value too, reduced */
        cr_assert_eq(sr_fxp_tr(x, l, sh), (uint64_t)floor_shift(xs, sh) & mr);
        cr_assert_eq(sr_fxp_lrs(x, l, sh), (uint64_t)(xu >> sh) & m);
        cr_assert_eq(sr_fxp_ars(x, l, sh), (uint64_t)floor_shift(xs, sh) & m);
        i128 tz = xs / ((i128)1 << sh); /* C division: toward zero */
        cr_assert_eq(sr_fxp_divpow2(x, l, sh), (uint64_t)tz & m);
    }
}

Test(math_fxp, mult_exact_then_reduced)
{
    uint64_t s = 0x13198A2E03707344ull;
    for (int it = 0; it < 200000; it++) {
        unsigned m = 1 + (unsigned)(rnd(&s) % 64);
        unsigned n = 1 + (unsigned)(rnd(&s) % 64);
        unsigned l = 1 + (unsigned)(rnd(&s) % 64);
        uint64_t x = rnd(&s) & sr_mask(m), y = rnd(&s) & sr_mask(n);
        u128 pu = (u128)x * (u128)y;
        i128 ps = (i128)sr_fxp_sext(x, m) * (i128)sr_fxp_sext(y, n);
        cr_assert_eq(sr_fxp_umult(x, m, y, n, l), (uint64_t)pu & sr_mask(l));
        cr_assert_eq(sr_fxp_smult(x, m, y, n, l), (uint64_t)ps & sr_mask(l));
        unsigned sh = (unsigned)(rnd(&s) % l);
        cr_assert_eq(sr_fxp_smult_tr(x, m, y, n, l, sh),
                     ((uint64_t)ps & sr_mask(l)) >> sh);
        cr_assert_eq(sr_fxp_umult_tr(x, m, y, n, l, sh),
                     ((uint64_t)pu & sr_mask(l)) >> sh);
    }
}

Test(math_fxp, digdec_msnzb_lut_mux)
{
    uint64_t d[64];
    cr_assert_eq(sr_fxp_digdec(d, 0xABCD, 16, 8), 2u);
    cr_assert_eq(d[0], 0xCDu);
    cr_assert_eq(d[1], 0xABu);
    cr_assert_eq(sr_fxp_digdec(d, 0x1ABCD, 17, 8), 3u);
    cr_assert_eq(d[2], 1u); /* last digit is 1 bit wide */
    uint64_t s = 7;
    for (int it = 0; it < 10000; it++) {
        unsigned l = 1 + (unsigned)(rnd(&s) % 64), dd = 1 + rnd(&s) % 8;
        uint64_t x = rnd(&s) & sr_mask(l), back = 0;
        unsigned k = sr_fxp_digdec(d, x, l, dd);
        for (unsigned j = 0; j < k; j++)
            back |= d[j] << (j * dd);
        cr_assert_eq(back, x);
        int z = sr_fxp_msnzb(x, l);
        if (x == 0) {
            cr_assert_eq(z, -1);
        } else {
            cr_assert(x >> z == 1);
        }
        uint8_t oh[64];
        sr_fxp_msnzb_onehot(oh, x, l);
        unsigned ones = 0;
        for (unsigned j = 0; j < l; j++)
            ones += oh[j];
        cr_assert_eq(ones, x != 0 ? 1u : 0u);
        if (x != 0)
            cr_assert_eq(oh[z], 1);
    }
    uint64_t T[4] = {5, 6, 7, 300};
    cr_assert_eq(sr_fxp_lut(T, 7, 2, 8), 300u & 0xFF);
    cr_assert_eq(sr_fxp_mux(1, 0x1FF, 8), 0xFFu);
    cr_assert_eq(sr_fxp_mux(0, 0x1FF, 8), 0u);
}

Test(math_fxp, table_v_worked_values)
{
    /* PAPER.md s3, lambda = 128 */
    cr_assert_eq(sr_cost_tr(32, 12), 1852u);
    cr_assert_eq(sr_cost_tr(32, 16), 2416u);
    cr_assert_eq(sr_cost_zext_star(16, 32), 274u);
    cr_assert_eq(sr_cost_umult_star(16, 16), 5716u);
    cr_assert_eq(sr_cost_digdec(32, 8), 4260u);
    cr_assert_eq(sr_cost_digdec(16, 8), 1420u);
    cr_assert_eq(sr_cost_msnzb(16, 8), 3428u);
    cr_assert_eq(sr_cost_lut(8, 16), 4352u);
    cr_assert_eq(sr_cost_mux(16), 288u);
}

Test(math_fxp, bad_width_aborts, .signal = SIGABRT)
{
    (void)sr_fxp_tr(1, 8, 8); /* s must be < l */
}
