/*
 * protocols/internal.h -- helpers shared by the core protocol files
 * (share.c, and.c, mill.c): bit packing for exchanges and the bit-triple
 * machinery of CrypTFlow2 (two triples per 1-of-16 OT_2 instance).
 * Not part of the public API.
 */
#ifndef SR_PROTOCOLS_INTERNAL_H
#define SR_PROTOCOLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/common.h"
#include "engine/lane.h"
#include "engine/prg.h"

/* Pack n bits (uint8_t 0/1) 8 per byte, little-endian bit order
 * (the order of sr_chan_send_bits); out holds ceil(n / 8) bytes. */
void sr_bits_pack(uint8_t *out, const uint8_t *b, size_t n);
void sr_bits_unpack(uint8_t *b, const uint8_t *in, size_t n);

/* Number of 1-of-16 OT_2 instances that make k triples. */
static inline size_t
sr_triple_ots(size_t k)
{
    return (k + 1) / 2;
}

/*
 * Alice's side of triple generation: draws her shares a, b, c of k triples
 * and writes the 16 OT messages of each of the sr_triple_ots(k) instances
 * into msg (row t at msg[16 t]).  Bob's choice in row t is
 * (a_B bits of triples 2t, 2t+1) | (b_B bits) << 2, and the message he gets
 * is his two c_B bits, so that c_A XOR c_B = (a_A XOR a_B)(b_A XOR b_B).
 */
void sr_triples_alice(sr_prg *g, size_t k, uint64_t *msg, uint8_t *a,
                      uint8_t *b, uint8_t *c);
/* Bob's side: draws a, b and writes the OT choices (one per instance). */
void sr_triples_bob_choose(sr_prg *g, size_t k, uint8_t *choice, uint8_t *a,
                           uint8_t *b);
/* Bob's side after the OT: c from the received 2-bit messages. */
void sr_triples_bob_finish(size_t k, uint8_t *c, const uint64_t *out);

/*
 * Beaver AND with given triples: z = x AND y for k pairs of boolean
 * shares.  Both parties send e = x ^ a, f = y ^ b packed in one message
 * of ceil(2k / 8) bytes through one exchange (1 round).  z may alias x
 * or y.  Returns the channel error; ENOMEM if scratch fails.
 */
SR_NODISCARD int sr_and_with_triples(sr_lane *L, size_t k, uint8_t *z,
                                     const uint8_t *x, const uint8_t *y,
                                     const uint8_t *a, const uint8_t *b,
                                     const uint8_t *c);

/*
 * Both parties make k bit triples (a XOR, b XOR, c XOR shares with
 * c = a b) with one 1-of-16 OT_2 call (Alice sender): 2 rounds, KK(ceil(k
 * / 2), 4, 2) bytes.  Pair with sr_and_with_triples (1 round per use).
 */
SR_NODISCARD int sr_triples(sr_lane *L, size_t k, uint8_t *a, uint8_t *b,
                            uint8_t *c);

/*
 * sr_mill_eq (bw > SR_MILL_LEAF_MAX, n > 0) that also makes k extra bit
 * triples in the same OT call (no extra rounds; the triple rows add
 * ceil(... / 2) rows to the one 1-of-16 call, see mill.c).
 */
SR_NODISCARD int sr_mill_eq_triples(sr_lane *L, size_t n, uint8_t *gt,
                                    uint8_t *eq, const uint64_t *x,
                                    unsigned bw, size_t k, uint8_t *a,
                                    uint8_t *b, uint8_t *c);

/*
 * sr_digdec for d > SR_MILL_LEAF_MAX, c = ceil(bw / d) >= 2, n > 0, that
 * also makes k extra bit triples in its Mill&Eq's 1-of-16 call (no
 * extra round; the call's rows grow by the extra triples' share).
 */
SR_NODISCARD int sr_digdec_triples(sr_lane *L, size_t n, uint64_t *z,
                                   const uint64_t *x, unsigned bw, unsigned d,
                                   size_t k, uint8_t *a, uint8_t *b,
                                   uint8_t *c);

#endif
