/*
 * sci_bench: times one operation of EzPC's SCI library (the SIRNN reference
 * code) between two processes, so docs/benchmarks.md can put the reference's
 * bytes and time beside `sirnn bench OP` measured on the same machine.
 * Written for sirnn (tools/sci); it only calls SCI's public classes and is
 * built against an SCI source tree by tools/sci/run.sh (never by sirnn's
 * Makefile or CI).
 *
 *   sci_bench r=1|2 op=OP [N=65536] [p=PORT] [ip=127.0.0.1]
 *
 * OP (widths fixed to the rows of sirnn's summary table):
 *   msb      MSB of 32-bit shares               AuxProtocols::MSB
 *   relu     ReLU on 32 bits                    MathFunctions::ReLU (six = 0)
 *   and      AND of boolean shares              AuxProtocols::AND
 *   b2a      bit -> 32-bit arithmetic           AuxProtocols::B2A
 *   mux      32-bit multiplexer                 AuxProtocols::multiplexer
 *   lut      2^8-entry table of 16-bit values   AuxProtocols::lookup_table
 *   sext     signed extension 16 -> 32          XTProtocol::s_extend
 *   tr       truncate-and-reduce 32 -> 20 (s 12) Truncation::truncate_and_reduce
 *   ars      arithmetic right shift 32, s 12    Truncation::truncate (signed)
 *   umult    unsigned 16 x 16 -> 32             LinearOT::hadamard_product
 *   digdec   32 bits into 8-bit digits          AuxProtocols::digit_decomposition_sci
 *   msnzb    one-hot MSNZB of 32 bits, d 8      AuxProtocols::msnzb_one_hot
 *   exp      e^x, x < 0, (16,12) -> (16,12)     MathFunctions::lookup_table_exp
 *   sigmoid  (16,12) -> (16,12)                 MathFunctions::sigmoid
 *   tanh     (16,12) -> (16,12)                 MathFunctions::tanh
 *   rsqrt    x > 0, (16,12) -> (16,12)          MathFunctions::sqrt(inverse)
 *
 * Both parties draw the same cleartext inputs from a fixed seed and split
 * them into shares (Alice r, Bob x - r), synchronise, run the operation in
 * one call on one thread, and measure their own sent bytes (IOPack counters)
 * and wall time.  Afterwards (uncounted) Bob sends his output shares and
 * figures to Alice, who checks the outputs against a cleartext definition
 * (exact for the building blocks; max ULP error for the math functions) and
 * prints one line:
 *   SCI op=.. n=.. bytes_total=.. bytes_per_instance=.. us_per_instance=..
 *       rounds=.. check=ok|FAIL(..)
 * bytes_total = Alice's + Bob's sent bytes; time = the slower party.
 */
#include "BuildingBlocks/aux-protocols.h"
#include "BuildingBlocks/truncation.h"
#include "BuildingBlocks/value-extension.h"
#include "LinearOT/linear-ot.h"
#include "Math/math-functions.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace sci;

namespace {

uint64_t mask_of(int bw) { return bw >= 64 ? ~0ULL : ((1ULL << bw) - 1); }

int64_t as_signed(uint64_t v, int bw) {
  v &= mask_of(bw);
  if (bw < 64 && (v >> (bw - 1)) & 1)
    return (int64_t)(v | ~mask_of(bw));
  return (int64_t)v;
}

struct Args {
  int party = 0, port = 41000, n = 65536;
  std::string op, ip = "127.0.0.1";
};

Args parse(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    std::string s = argv[i];
    size_t eq = s.find('=');
    if (eq == std::string::npos) {
      fprintf(stderr, "sci_bench: bad argument %s\n", argv[i]);
      exit(2);
    }
    std::string k = s.substr(0, eq), v = s.substr(eq + 1);
    if (k == "r")
      a.party = atoi(v.c_str());
    else if (k == "p")
      a.port = atoi(v.c_str());
    else if (k == "N")
      a.n = atoi(v.c_str());
    else if (k == "op")
      a.op = v;
    else if (k == "ip")
      a.ip = v;
    else {
      fprintf(stderr, "sci_bench: unknown key %s\n", k.c_str());
      exit(2);
    }
  }
  if ((a.party != ALICE && a.party != BOB) || a.op.empty() || a.n < 1) {
    fprintf(stderr, "usage: sci_bench r=1|2 op=OP [N=n] [p=port] [ip=addr]\n");
    exit(2);
  }
  return a;
}

/* Common cleartext inputs and Alice's masks (same on both sides). */
struct Inputs {
  std::mt19937_64 clear{20210511}, mask{42};
  uint64_t value(int bw) { return clear() & mask_of(bw); }
  /* this party's arithmetic share of v over bw bits */
  uint64_t share(int party, uint64_t v, int bw) {
    uint64_t r = mask() & mask_of(bw);
    return party == ALICE ? r : (v - r) & mask_of(bw);
  }
  uint8_t bshare(int party, uint8_t v) {
    uint8_t r = mask() & 1;
    return party == ALICE ? r : (uint8_t)(v ^ r);
  }
};

/* Bob -> Alice: Bob's array; Alice gets the sum (arith) or xor (bool). */
void open_u64(int party, IOPack *io, std::vector<uint64_t> &v, int bw) {
  if (party == BOB) {
    io->io->send_data(v.data(), v.size() * 8);
    io->io->flush();
  } else {
    std::vector<uint64_t> o(v.size());
    io->io->recv_data(o.data(), o.size() * 8);
    for (size_t i = 0; i < v.size(); i++)
      v[i] = (v[i] + o[i]) & mask_of(bw);
  }
}
void open_u8(int party, IOPack *io, std::vector<uint8_t> &v) {
  if (party == BOB) {
    io->io->send_data(v.data(), v.size());
    io->io->flush();
  } else {
    std::vector<uint8_t> o(v.size());
    io->io->recv_data(o.data(), o.size());
    for (size_t i = 0; i < v.size(); i++)
      v[i] = (v[i] ^ o[i]) & 1;
  }
}

uint64_t ulp(double got, double want, int s) {
  int64_t g = (int64_t)std::llround(got * std::ldexp(1.0, s));
  int64_t w = (int64_t)std::floor(want * std::ldexp(1.0, s) + 0.5);
  return (uint64_t)(g > w ? g - w : w - g);
}

} // namespace

int main(int argc, char **argv) {
  Args a = parse(argc, argv);
  const int party = a.party, n = a.n;
  const std::string &op = a.op;

  IOPack *iopack = new IOPack(party, a.port, a.ip);
  OTPack *otpack = new OTPack(iopack, party);
  AuxProtocols aux(party, iopack, otpack);
  Truncation trunc(party, iopack, otpack);
  XTProtocol xt(party, iopack, otpack);
  LinearOT lin(party, iopack, otpack);
  MathFunctions math(party, iopack, otpack);

  Inputs in;
  /* inputs: x (arith, bwx bits), x2 (second operand), b/b2 (bits) */
  std::vector<uint64_t> X(n), Xs(n), X2(n), X2s(n), Y(n);
  std::vector<uint8_t> B(n), Bs(n), B2(n), B2s(n), Z(n);
  int bwx = 32;
  if (op == "sext" || op == "umult" || op == "exp" || op == "sigmoid" ||
      op == "tanh" || op == "rsqrt")
    bwx = 16;
  for (int i = 0; i < n; i++) {
    uint64_t v = in.value(bwx);
    if (op == "exp") /* x in [-2^15, -1], as SCI's test */
      v = (1ULL << 15) | (v & mask_of(15));
    if (op == "rsqrt") { /* x in [1, 2^15) */
      v &= mask_of(15);
      if (v == 0)
        v = 1;
    }
    X[i] = v;
    Xs[i] = in.share(party, v, bwx);
    X2[i] = in.value(bwx);
    X2s[i] = in.share(party, X2[i], bwx);
    B[i] = in.value(1);
    Bs[i] = in.bshare(party, B[i]);
    B2[i] = in.value(1);
    B2s[i] = in.bshare(party, B2[i]);
  }
  /* LUT: Alice holds the table T (16-bit entries) and rotates it by her
   * 8-bit share, masking with r; Bob picks with his share (1-of-256 OT). */
  std::vector<uint64_t> T(256), lut_r(n);
  std::vector<std::vector<uint64_t>> spec;
  std::vector<uint64_t *> specp;
  if (op == "lut") {
    for (auto &t : T)
      t = in.value(16);
    for (int i = 0; i < n; i++) {
      X[i] &= 0xff;
      Xs[i] &= 0xff;
    }
    if (party == ALICE) {
      spec.assign(n, std::vector<uint64_t>(256));
      specp.resize(n);
      for (int i = 0; i < n; i++) {
        lut_r[i] = in.clear() & 0xffff;
        for (int j = 0; j < 256; j++)
          spec[i][j] = (T[(j + Xs[i]) & 0xff] - lut_r[i]) & 0xffff;
        specp[i] = spec[i].data();
      }
    }
  }
  int ndig = 4;
  std::vector<uint64_t> D(op == "digdec" ? (size_t)n * ndig : 0);
  std::vector<uint8_t> H(op == "msnzb" ? (size_t)n * 32 : 0);

  /* synchronise, then count and time the operation alone */
  {
    uint8_t t = 1;
    if (party == ALICE) {
      iopack->io->send_data(&t, 1);
      iopack->io->flush();
      iopack->io->recv_data(&t, 1);
    } else {
      iopack->io->recv_data(&t, 1);
      iopack->io->send_data(&t, 1);
      iopack->io->flush();
    }
  }
  uint64_t c0 = iopack->get_comm(), r0 = iopack->get_rounds();
  auto t0 = std::chrono::steady_clock::now();
  if (op == "msb")
    aux.MSB(Xs.data(), Z.data(), n, 32);
  else if (op == "relu")
    math.ReLU(n, Xs.data(), Y.data(), 32, 0);
  else if (op == "and")
    aux.AND(Bs.data(), B2s.data(), Z.data(), n);
  else if (op == "b2a")
    aux.B2A(Bs.data(), Y.data(), n, 32);
  else if (op == "mux")
    aux.multiplexer(Bs.data(), Xs.data(), Y.data(), n, 32, 32);
  else if (op == "lut") {
    if (party == ALICE)
      aux.lookup_table<uint64_t>(specp.data(), nullptr, nullptr, n, 8, 16);
    else
      aux.lookup_table<uint64_t>(nullptr, Xs.data(), Y.data(), n, 8, 16);
  } else if (op == "sext")
    xt.s_extend(n, Xs.data(), Y.data(), 16, 32);
  else if (op == "tr")
    trunc.truncate_and_reduce(n, Xs.data(), Y.data(), 12, 32);
  else if (op == "ars")
    trunc.truncate(n, Xs.data(), Y.data(), 12, 32, true);
  else if (op == "umult")
    lin.hadamard_product(n, Xs.data(), X2s.data(), Y.data(), 16, 16, 32,
                         false, false);
  else if (op == "digdec")
    aux.digit_decomposition_sci(n, Xs.data(), D.data(), 32, 8);
  else if (op == "msnzb")
    aux.msnzb_one_hot(Xs.data(), H.data(), 32, n, 8);
  else if (op == "exp")
    math.lookup_table_exp(n, Xs.data(), Y.data(), 16, 16, 12, 12);
  else if (op == "sigmoid")
    math.sigmoid(n, Xs.data(), Y.data(), 16, 16, 12, 12);
  else if (op == "tanh")
    math.tanh(n, Xs.data(), Y.data(), 16, 16, 12, 12);
  else if (op == "rsqrt")
    math.sqrt(n, Xs.data(), Y.data(), 16, 16, 12, 12, true);
  else {
    fprintf(stderr, "sci_bench: unknown op %s\n", op.c_str());
    return 2;
  }
  iopack->io->flush();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              t0)
                    .count();
  uint64_t sent = iopack->get_comm() - c0, rounds = iopack->get_rounds() - r0;

  /* uncounted: Bob's figures to Alice */
  uint64_t fig[3] = {sent, rounds, 0};
  double bob_secs = 0;
  if (party == BOB) {
    memcpy(&fig[2], &secs, 8);
    iopack->io->send_data(fig, sizeof fig);
    iopack->io->flush();
  } else {
    iopack->io->recv_data(fig, sizeof fig);
    memcpy(&bob_secs, &fig[2], 8);
  }

  /* open outputs at Alice and check */
  std::string check = "ok";
  char buf[160];
  auto fail = [&](int i, uint64_t got, uint64_t want) {
    if (check == "ok") {
      snprintf(buf, sizeof buf, "FAIL(i=%d got=%llu want=%llu)", i,
               (unsigned long long)got, (unsigned long long)want);
      check = buf;
    }
  };
  if (op == "msb" || op == "and") {
    open_u8(party, iopack, Z);
    if (party == ALICE)
      for (int i = 0; i < n; i++) {
        uint8_t want = op == "msb" ? (X[i] >> 31) & 1 : (B[i] & B2[i]);
        if (Z[i] != want)
          fail(i, Z[i], want);
      }
  } else if (op == "digdec") {
    open_u64(party, iopack, D, 8);
    if (party == ALICE)
      for (int k = 0; k < ndig; k++)
        for (int i = 0; i < n; i++) {
          uint64_t want = (X[i] >> (8 * k)) & 0xff;
          if (D[(size_t)k * n + i] != want)
            fail(i, D[(size_t)k * n + i], want);
        }
  } else if (op == "msnzb") {
    open_u8(party, iopack, H);
    if (party == ALICE)
      for (int i = 0; i < n; i++) {
        if (X[i] == 0)
          continue;
        int want = 63 - __builtin_clzll(X[i]);
        for (int j = 0; j < 32; j++)
          if (H[(size_t)i * 32 + j] != (j == want))
            fail(i, j, want);
      }
  } else if (op == "lut") {
    if (party == ALICE)
      for (int i = 0; i < n; i++)
        Y[i] = lut_r[i];
    open_u64(party, iopack, Y, 16);
    if (party == ALICE)
      for (int i = 0; i < n; i++)
        if (Y[i] != T[X[i]])
          fail(i, Y[i], T[X[i]]);
  } else {
    int bwy = op == "tr" ? 20 : (op == "exp" || op == "sigmoid" ||
                                 op == "tanh" || op == "rsqrt")
                                    ? 16
                                    : 32;
    open_u64(party, iopack, Y, bwy);
    uint64_t maxulp = 0;
    if (party == ALICE)
      for (int i = 0; i < n; i++) {
        uint64_t want = 0;
        double xd = as_signed(X[i], 16) / 4096.0, fy = Y[i] / 4096.0;
        if (op == "relu")
          want = as_signed(X[i], 32) > 0 ? X[i] : 0;
        else if (op == "b2a")
          want = B[i];
        else if (op == "mux")
          want = B[i] ? X[i] : 0;
        else if (op == "sext")
          want = (uint64_t)as_signed(X[i], 16) & mask_of(32);
        else if (op == "tr")
          want = X[i] >> 12;
        else if (op == "ars")
          want = (uint64_t)(as_signed(X[i], 32) >> 12) & mask_of(32);
        else if (op == "umult")
          want = (X[i] * X2[i]) & mask_of(32);
        else {
          double w = op == "exp"       ? std::exp(xd)
                     : op == "sigmoid" ? 1.0 / (1.0 + std::exp(-xd))
                     : op == "tanh"    ? std::tanh(xd)
                                       : 1.0 / std::sqrt((double)X[i] / 4096.0);
          if (op == "tanh")
            fy = as_signed(Y[i], 16) / 4096.0;
          if (w * 4096.0 >= 32767.5) /* result not representable */
            continue;
          uint64_t e = ulp(fy, w, 12);
          if (e > maxulp)
            maxulp = e;
          continue;
        }
        if (Y[i] != want)
          fail(i, Y[i], want);
      }
    if (party == ALICE && (op == "exp" || op == "sigmoid" || op == "tanh" ||
                           op == "rsqrt")) {
      snprintf(buf, sizeof buf, "max_ulp=%llu", (unsigned long long)maxulp);
      check = buf;
    }
  }

  if (party == ALICE) {
    uint64_t total = sent + fig[0];
    double t = secs > bob_secs ? secs : bob_secs;
    printf("SCI op=%s n=%d bytes_total=%llu bytes_per_instance=%.2f "
           "us_per_instance=%.3f rounds=%llu check=%s\n",
           op.c_str(), n, (unsigned long long)total, (double)total / n,
           t * 1e6 / n, (unsigned long long)(rounds > fig[1] ? rounds : fig[1]),
           check.c_str());
  }
  delete otpack;
  delete iopack;
  return check.rfind("FAIL", 0) == 0 ? 1 : 0;
}
