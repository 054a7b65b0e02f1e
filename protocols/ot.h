/*
 * protocols/ot.h -- oblivious transfer on a lane: the interface every
 * protocol above uses (SIRNN Sec. III, "Oblivious Transfer").
 *
 * Each lane holds OT state in both directions (sr_otpack): an IKNP
 * extension where this lane is the sender and one where it is the
 * receiver, and the 1-of-N (Kolesnikov-Kumaresan) extension in both
 * directions.  Whoever calls a *_send function is the OT sender for that
 * call and the peer must make the matching *_recv call with the same n, l
 * (and m).  Both lanes of a pair can therefore be sender on some calls and
 * receiver on others, in any order, as long as the calls match up.
 *
 * Setup is lazy: the first OT call with n > 0 on a lane runs sr_ot_setup
 * (both sides reach it at the same call, since calls match up), and its
 * traffic and time are added to L->setup / L->setup_seconds, never to the
 * op.  Benchmarks and tests that time or count an op may call
 * sr_ot_setup(L) first so that the op's wall time excludes it too.
 *
 * Messages of l <= 64 bits live in uint64_t (low l bits; higher input
 * bits are ignored) and are packed at l bits on the wire.  Choice bits are
 * uint8_t 0/1 (any nonzero counts as 1); 1-of-N choices are uint8_t in
 * [0, 2^m).  Outputs are reduced mod 2^l.  n may be 0 (no traffic, no
 * setup) or millions: the work is done in chunks of 4096 instances in
 * bounded extra memory, except that the sender keeps its packed replies
 * (at most the size of its inputs) until the receiver's flight is in.
 *
 * Traffic per instance, lambda = 128 (bits; excludes the one-time setup):
 *   chosen 1-of-2 OT_l      lambda + 2l        2 rounds
 *   correlated COT_l        lambda + l         2 rounds
 *   random ROT_l            lambda             1 round
 *   1-of-2^m OT_l           2 lambda + 2^m l   2 rounds
 * Exactly, per call in bytes (receiver -> sender, then sender -> receiver):
 *   ROT 16n, 0;  COT 16n, ceil(n l / 8);  chosen 16n, ceil(2n l / 8);
 *   1-of-2^m 32n, ceil(n 2^m l / 8).
 * Flights: the receiver's extension matrix goes as one message per
 * 4096-instance chunk, all before it reads anything; the sender's replies
 * then go as one message per chunk.  So the rounds above hold for every n
 * (when the setup ran before the call; a lazy setup inside a call adds
 * its own rounds to L->setup, and may merge with a flight the protocol
 * sent just before).
 *
 * Setup traffic (once per lane, counted in L->setup): 128 Chou-Orlandi
 * base OTs on P-256 in each direction (33 + 128 * 33 bytes each way, two
 * exchanges), then the 256 KK base OTs of each direction as IKNP random
 * OTs (256 * 16 bytes each way, one round): 8353 bytes per party.  The
 * setup ends with both parties having received, so the first op's rounds
 * count from scratch.  Details, hash construction and measurements:
 * docs/ot.md.
 *
 * Aliasing: outputs must not overlap inputs, except that sr_cot_send's m0
 * may alias delta.  A lane is used by one thread at a time.
 */
#ifndef SR_PROTOCOLS_OT_H
#define SR_PROTOCOLS_OT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lane.h"

#define SR_OT_LAMBDA 128
#define SR_KKOT_MAX_BITS 8

/*
 * One-time setup on a connected lane pair (both sides call it): base OTs
 * for both directions.  Counted into L->setup / L->setup_seconds, not into
 * any operation.  Idempotent (a second call does nothing).  Optional: the
 * first OT call runs it (see above).  Installs L->ot and L->ot_free, so
 * sr_lane_clear frees the state.
 */
SR_NODISCARD int sr_ot_setup(sr_lane *L);

/* Chosen-message 1-of-2 OT: the receiver learns m_b[i], 1 <= l <= 64. */
SR_NODISCARD int sr_ot_send(sr_lane *L, size_t n, const uint64_t *m0,
                            const uint64_t *m1, unsigned l);
SR_NODISCARD int sr_ot_recv(sr_lane *L, size_t n, uint64_t *out,
                            const uint8_t *b, unsigned l);

/*
 * Chosen-message 1-of-2 OT of 128-bit messages (benchmarks; the IKNP
 * hash gives 128 bits anyway): message i is the pair m[2i] (low 64 bits),
 * m[2i + 1] (high); the receiver's out has 2n words likewise.  Traffic per
 * instance: lambda + 256 bits (16n, then 32n bytes), 2 rounds.
 */
SR_NODISCARD int sr_ot_send128(sr_lane *L, size_t n, const uint64_t *m0,
                               const uint64_t *m1);
SR_NODISCARD int sr_ot_recv128(sr_lane *L, size_t n, uint64_t *out,
                               const uint8_t *b);

/*
 * Correlated OT with a per-instance correlation: the sender inputs
 * delta[i] and gets a random m0[i]; the receiver gets
 * m0[i] + b[i] * delta[i] mod 2^l.
 */
SR_NODISCARD int sr_cot_send(sr_lane *L, size_t n, uint64_t *m0,
                             const uint64_t *delta, unsigned l);
SR_NODISCARD int sr_cot_recv(sr_lane *L, size_t n, uint64_t *out,
                             const uint8_t *b, unsigned l);

/*
 * Random OT: the sender gets random m0[i], m1[i]; the receiver chooses
 * b[i] and gets m_b[i].
 */
SR_NODISCARD int sr_rot_send(sr_lane *L, size_t n, uint64_t *m0, uint64_t *m1,
                             unsigned l);
SR_NODISCARD int sr_rot_recv(sr_lane *L, size_t n, uint64_t *out,
                             const uint8_t *b, unsigned l);

/*
 * 1-out-of-2^m OT, 1 <= m <= 8, 1 <= l <= 64: msg holds n rows of 2^m
 * messages (row i, entry j at msg[i * 2^m + j]); the receiver with choice
 * c[i] < 2^m learns msg[i * 2^m + c[i]].
 */
SR_NODISCARD int sr_kkot_send(sr_lane *L, size_t n, const uint64_t *msg,
                              unsigned m, unsigned l);
SR_NODISCARD int sr_kkot_recv(sr_lane *L, size_t n, uint64_t *out,
                              const uint8_t *c, unsigned m, unsigned l);

#endif
