/*
 * protocols/share.h -- additive and boolean secret shares: local
 * arithmetic, opening and revealing (SIRNN Sec. III, "Secret sharing").
 *
 * A secret x of bw bits (1 <= bw <= 64) is held as x = x_A + x_B mod 2^bw,
 * one uint64_t per share, always reduced mod 2^bw.  A secret bit b is held
 * as b = b_A XOR b_B, one uint8_t (0/1) per share, packed on the wire.
 *
 * The local functions take no lane: both parties call them identically on
 * their own shares.  Functions with a lane communicate; both parties make
 * the identical call (STYLE.md s6).
 */
#ifndef SR_PROTOCOLS_SHARE_H
#define SR_PROTOCOLS_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"
#include "engine/prg.h"

/*
 * Add a public constant: y = x + c mod 2^bw.  Only Alice adds c to her
 * share (Bob copies x to y), so the reconstruction rises by c.  No
 * traffic.  y may alias x.
 */
void sr_share_add_const(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                        uint64_t c, unsigned bw);

/*
 * Add public per-element values: y[i] = x[i] + c[i] mod 2^bw (only Alice
 * adds; c identical on both sides).  No traffic.  y may alias x.
 */
void sr_share_add_pub(sr_lane *L, size_t n, uint64_t *y, const uint64_t *x,
                      const uint64_t *c, unsigned bw);

/* Local: z = x + y, z = x - y, y = -x (mod 2^bw).  Outputs may alias any
 * input.  No lane, no traffic. */
void sr_share_add(size_t n, uint64_t *z, const uint64_t *x, const uint64_t *y,
                  unsigned bw);
void sr_share_sub(size_t n, uint64_t *z, const uint64_t *x, const uint64_t *y,
                  unsigned bw);
void sr_share_neg(size_t n, uint64_t *y, const uint64_t *x, unsigned bw);

/* Local: y = c * x mod 2^bw for a public constant c.  y may alias x. */
void sr_share_mul_const(size_t n, uint64_t *y, const uint64_t *x, uint64_t c,
                        unsigned bw);

/*
 * Flip a boolean share by a public bit: y = b XOR c (only Alice flips).
 * No traffic.  y may alias b.
 */
void sr_bits_xor_const(sr_lane *L, size_t n, uint8_t *y, const uint8_t *b,
                       uint8_t c);

/*
 * Open to both parties: out[i] = x_A[i] + x_B[i] mod 2^bw.
 * Rounds: 1 (one sr_chan_exchange).  Traffic: each party sends
 * ceil(n * bw / 8) bytes (total 2 * ceil(n * bw / 8)).  out may alias x.
 */
SR_NODISCARD int sr_share_open(sr_lane *L, size_t n, uint64_t *out,
                               const uint64_t *x, unsigned bw);

/*
 * Reveal to one party only: the party to_party (SR_SERVER or SR_CLIENT)
 * gets out[i] = x_A[i] + x_B[i] mod 2^bw; the other party sends its
 * shares and leaves out untouched (its out may be NULL).
 * Rounds: 1.  Traffic: ceil(n * bw / 8) bytes, other party -> to_party.
 * out may alias x.
 */
SR_NODISCARD int sr_share_reveal(sr_lane *L, size_t n, uint64_t *out,
                                 const uint64_t *x, unsigned bw,
                                 sr_partyid to_party);

/*
 * Open boolean shares to both parties: out[i] = b_A[i] XOR b_B[i].
 * Rounds: 1.  Traffic: each party sends ceil(n / 8) bytes.  out may alias
 * b.
 */
SR_NODISCARD int sr_bits_open(sr_lane *L, size_t n, uint8_t *out,
                              const uint8_t *b);

/*
 * Local, for tests and benches: split cleartext x into shares, a[i]
 * uniform from prg and b[i] = x[i] - a[i] mod 2^bw.  a and b must not
 * overlap each other; b may alias x.
 */
void sr_share_split(sr_prg *prg, size_t n, uint64_t *a, uint64_t *b,
                    const uint64_t *x, unsigned bw);
/* Same for bits: a[i] uniform, b[i] = x[i] XOR a[i]; b may alias x. */
void sr_bits_split(sr_prg *prg, size_t n, uint8_t *a, uint8_t *b,
                   const uint8_t *x);

#endif
