#!/usr/bin/env bash
# tools/netem/all.sh -- `make bench-scale`: every table, figure and plot of
# docs/benchmarks.md "Network emulation and scaling" (needs root).
#
#   make bench-scale [WAN=full]     (BUILD=build-x picks the build)
#
# Without SCALE_OP, in this order (times measured on the 2-core machine of
# docs/benchmarks.md, with others working):
#   msb      scale.sh full                                  ~2.5 min
#   ars      scale.sh reduced (--bw 32 --shift 12)          ~2 min
#   sigmoid  scale.sh full, then scale.sh check (5 reps, n = 2^16..2^18)
#            ~3.5 + ~3-6 min, then conns.sh (C = 1 vs 8 with and without
#            the emulator, 5 reps -> scale-sigmoid-conns.csv)  ~1 min
#   kws      scale.sh full at 5 of 99 steps, and one batch-128 run (R=2,
#            T=8, C=1) on wan at 5 steps -> kws-wan-b128*.csv   ~5.5 + 1 min
#   kws      batches 64 and 128 cut to 10 steps on lan at R*T in {1, 4}
#            (CPU per inference per lane count, 2 reps) -> kws-cpu-lanes.csv  ~4 min
#   WAN=full tools/netem/wanfull.sh: the full-model kws WAN grid (9 runs at
#            once, ~11 min for batch 8, longer for batch 128) and the
#            targets table (tools/netem/targets.py -> scale-targets.md)
# Without WAN=full the targets table is still rewritten from the data on disk.
# With SCALE_OP set it runs only that study, as before:
#   SCALE_OP=... [SCALE_ARGS=...] [SCALE_GRID=full|reduced|check] make bench-scale
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-build}
OUT=${SCALE_OUT:-$ROOT/docs/data}
if [ -n "${SCALE_OP:-}" ]; then
    exec bash "$HERE/scale.sh" "${SCALE_GRID:-full}"
fi
if [ "$(id -u)" != 0 ]; then
    echo "bench-scale: skipped (network namespaces need root)" >&2
    exit 0
fi
SIG="--bw-in 16 --scale-in 12 --bw-out 16 --scale-out 12"
step() {   # step LABEL ENV... -- ARGS: one scale.sh study, timed
    local label=$1 t0 rc; shift
    local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    t0=$(date +%s)
    env "${envs[@]}" bash "$HERE/scale.sh" "$@"
    rc=$?
    echo "bench-scale: $label: $(( $(date +%s) - t0 )) s (exit $rc)" >&2
}
step msb SCALE_OP=msb "SCALE_ARGS=--bw 16" -- full
step ars SCALE_OP=ars "SCALE_ARGS=--bw 32 --shift 12" -- reduced
step sigmoid SCALE_OP=sigmoid "SCALE_ARGS=$SIG" -- full
step sigmoid-check SCALE_OP=sigmoid "SCALE_ARGS=$SIG" -- check
t0=$(date +%s)
bash "$HERE/conns.sh" "$OUT/scale-sigmoid-conns.csv"
echo "bench-scale: conns: $(( $(date +%s) - t0 )) s" >&2
step kws-5steps SCALE_OP=kws SCALE_KWS_STEPS=5 -- full
T=$(mktemp -d /tmp/sirnn-all-XXXXXX)
step kws-b128-5steps SCALE_OP=kws SCALE_KWS_STEPS=5 SCALE_N=128 SCALE_KWS_POINTS=2,8,1 \
    SCALE_PROFILES=wan "SCALE_OUT=$T" -- full
[ -s "$T/scale-kws.csv" ] && cp "$T/scale-kws.csv" "$OUT/kws-wan-b128.csv" &&
    cp "$T/scale-kws-net.csv" "$OUT/kws-wan-b128-net.csv"
rm -rf "$T"
# CPU per inference at 1 and 4 lanes with work on every lane: batches 128 and
# 64, 10 steps, (R,T) in {(1,1),(2,2),(4,1),(1,4)}, SCALE_KWS_REPS (default 2)
# interleaved sweeps (targets.py takes medians)
T=$(mktemp -d /tmp/sirnn-all-XXXXXX)
KP=""; for ((i = 0; i < ${SCALE_KWS_REPS:-2}; i++)); do KP="$KP 1,1,1 2,2,1 4,1,1 1,4,1"; done
step kws-cpu-lanes SCALE_OP=kws SCALE_KWS_STEPS=10 SCALE_N=128 "SCALE_KWS_POINTS=$KP" \
    SCALE_PROFILES=lan "SCALE_OUT=$T" -- full
[ -s "$T/scale-kws.csv" ] && cp "$T/scale-kws.csv" "$OUT/kws-cpu-lanes.csv"
step kws-cpu-lanes-64 SCALE_OP=kws SCALE_KWS_STEPS=10 SCALE_N=64 "SCALE_KWS_POINTS=$KP" \
    SCALE_PROFILES=lan "SCALE_OUT=$T/64" -- full
[ -s "$T/64/scale-kws.csv" ] && tail -n +2 "$T/64/scale-kws.csv" >>"$OUT/kws-cpu-lanes.csv"
rm -rf "$T"
if [ "${WAN:-}" = full ]; then
    t0=$(date +%s)
    SCALE_OUT_FULL=$OUT bash "$HERE/wanfull.sh"
    echo "bench-scale: wanfull: $(( $(date +%s) - t0 )) s" >&2
elif [ -s "$OUT/scale-kwsfull.csv" ]; then
    /usr/bin/python3 "$HERE/targets.py" "$OUT" "$OUT/scale-targets.md" >/dev/null
fi
echo "bench-scale: done; tables: tools/netem/tables.py $OUT/scale-OP.csv, targets: $OUT/scale-targets.md" >&2
