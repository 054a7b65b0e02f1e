#!/bin/bash
# The reference code's own FastGRNN inference (SIRNN's Google-30 network:
# D 32, H 100, T 99, ranks 16/35, 30 classes) on this machine, beside sirnn's
# kws model (same shapes, 12 classes) for docs/benchmarks.md "Reference code
# measured here (SCI)".
#
#   tools/sci/google30.sh EZPC_ROOT
#
# EZPC_ROOT is an mpc-msri/EzPC checkout (this script fetches nothing). Steps,
# all under $G30_WORK (default /tmp/sci/google30):
#  1. builds the EzPC compiler (EzPC/EzPC, OCaml) with tools/sci/stdint.ml in
#     place of the opam stdint package (Debian: ocaml-nox ocaml-findlib
#     ocamlbuild menhir);
#  2. compiles EzPC's FSS/tests/google30/main.ezpc (the SIRNN FastGRNN program
#     with its quantised weights input1.txt, one input input2.txt and the
#     expected logits output2.txt) with `--codegen SCI --bitlen 64`;
#  3. adapts the generated C++ the way SIRNN's own pipeline (EzPC/SIRNN,
#     secureCodegen.py) feeds SCI's fixed-point library: signed int64_t
#     arrays (the library's MatAdd/ScalarMul/... overloads), public scalar
#     constants instead of funcSSCons shares (SCI's ScalarMul/BroadCast take
#     them public), and the output reveal before finalize() (finalize deletes
#     the channels the reveal uses);
#  4. builds it against SCI's OT libraries (tools/sci/CMakeLists.txt) and
#     runs server (r=1, weights on stdin) and client (r=2, input) over
#     loopback with NT threads each (default 1), printing SCI's own time,
#     bytes (sent+received), rounds, and the logits/label against
#     output2.txt;
#  5. with SIRNN=<binary>, runs `tools/bench_kws.sh` for batch 1, R = 1
#     (KWS_OUT=-: nothing written) right after, for sirnn's figures.
# Not used by `make` or CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
EZ=${1:?usage: tools/sci/google30.sh EZPC_ROOT}
EZ=$(cd "$EZ" && pwd)
W=${G30_WORK:-/tmp/sci/google30}
NT=${NT:-1}
PORT=${PORT:-42000}
PY=/usr/bin/python3
mkdir -p "$W/g30"

# 1. the EzPC compiler
if [[ ! -x "$W/ezpc/ezpc" ]]; then
    rm -rf "$W/ezpc" && cp -r "$EZ/EzPC/EzPC" "$W/ezpc"
    cp "$here/stdint.ml" "$W/ezpc/stdint.ml"
    sed -i 's/-package stdint//' "$W/ezpc/Makefile"
    make -C "$W/ezpc" main.byte >"$W/ezpc.log" 2>&1 || { tail -20 "$W/ezpc.log"; exit 1; }
fi
# 2. the program
t=$EZ/FSS/tests/google30
cp "$t/main.ezpc" "$t/input1.txt" "$t/input2.txt" "$t/output2.txt" "$W/g30/"
(cd "$W/g30" && "$W/ezpc/ezpc" main.ezpc --bitlen 64 --codegen SCI --disable-cse >ezpc.out 2>&1) ||
    { tail -5 "$W/g30/ezpc.out"; exit 1; }
# 3. adapt
"$PY" - "$W/g30/main_OT0.cpp" "$W/g30/google30.cpp" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r'\buint64_t\b', 'int64_t', s)
s = re.sub(r'^(tmp\w+) = funcSSCons\((.*)\);$', r'\1 = \2;', s, flags=re.M)
assert s.count('finalize();') == 1
s = s.replace('finalize();\n', '', 1)
i = s.rstrip().rfind('}')
s = s[:i] + 'finalize();\n' + s[i:]
open(sys.argv[2], 'w').write(s)
PY
# 4. build and run
cmake -S "$here" -B "$W/build" -DSCI_DIR="$EZ/SCI" -DSCI_PROGRAM="$W/g30/google30.cpp" \
    >"$W/cmake.log" 2>&1 || { tail -20 "$W/cmake.log"; exit 1; }
nice -n 19 make -C "$W/build" -j"${JOBS:-1}" sci_program >"$W/make.log" 2>&1 ||
    { grep error "$W/make.log" | head; exit 1; }
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)  SCI google30, nt=$NT"
"$W/build/sci_program" r=1 port="$PORT" nt="$NT" <"$W/g30/input1.txt" >"$W/server.out" 2>&1 &
spid=$!
"$W/build/sci_program" r=2 port="$PORT" nt="$NT" <"$W/g30/input2.txt" >"$W/client.out" 2>&1
wait "$spid"
grep -E 'Total time taken|Total comm|Number of rounds' "$W/server.out"
"$PY" - "$W/client.out" "$W/g30/output2.txt" <<'PY'
import re, sys
lines = [l.strip() for l in open(sys.argv[1])]
vals = [int(l) for l in lines if re.fullmatch(r'-?\d+', l)][-30:]
got = [((v + 128) % 256) - 128 for v in vals]   # 8-bit logits
want = [int(l) for l in open(sys.argv[2]) if l.strip()]
am = lambda v: max(range(len(v)), key=v.__getitem__)
print('logits (secure):  ', ' '.join(map(str, got)))
print('logits (expected):', ' '.join(map(str, want)))
print('label secure %d, expected %d, max |diff| %d' % (am(got), am(want),
      max(abs(a - b) for a, b in zip(got, want))))
PY
echo "# done $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
# 5. sirnn, same machine, right after
if [[ -n "${SIRNN:-}" ]]; then
    KWS_OUT=- KWS_BATCHES=1 KWS_RANKS=1 KWS_THREADS="$NT" KWS_PORT=${KWS_PORT:-7455} \
        SIRNN="$SIRNN" bash "$repo/tools/bench_kws.sh"
fi
