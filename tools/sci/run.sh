#!/bin/bash
# Measure the reference code (EzPC's SCI, the SIRNN authors' library) on this
# machine beside `sirnn bench`, op by op, back to back, and print the rows of
# docs/benchmarks.md "Reference code measured here (SCI)".
#
#   tools/sci/run.sh SCI_DIR
#
# SCI_DIR is the SCI folder of an mpc-msri/EzPC checkout (this script fetches
# nothing). It builds, under $SCI_BUILD (default /tmp/sci/bench-build), only
# SCI's OT-based libraries (utils OT GC Millionaire BuildingBlocks LinearOT
# NonLinear Math; no SEAL/HE, no FloatingPoint, no downloads) with
# tools/sci/CMakeLists.txt, plus tools/sci/sci_bench.cpp (our driver calling
# SCI's classes) and SCI's own ring tests. Needs cmake, g++, libeigen3-dev,
# libgmp-dev, libssl-dev. Not used by `make` or CI.
#
# Environment: SIRNN (sirnn binary; default build/sirnn), N (instances,
# default 65536), OPS (default: all rows), REPS (runs per op and side,
# default 3; the median time is printed), PORT (SCI base port, default 41000;
# SCI also uses PORT+50 and PORT+100), JOBS (make -j, default 1),
# SCI_TESTS=1 also runs SCI's own test_ring_{relu,exp,sigmoid,tanh,sqrt}
# (1 thread) as a cross-check of the driver's figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
SCI_DIR=${1:?usage: tools/sci/run.sh SCI_DIR   (the SCI folder of EzPC)}
SCI_DIR=$(cd "$SCI_DIR" && pwd)
SCI_BUILD=${SCI_BUILD:-/tmp/sci/bench-build}
SIRNN=${SIRNN:-$repo/build/sirnn}
N=${N:-65536}
REPS=${REPS:-3}
PORT=${PORT:-41000}
JOBS=${JOBS:-1}
OPS=${OPS:-"msb relu and b2a mux lut sext tr ars umult digdec msnzb exp sigmoid tanh rsqrt"}

mkdir -p "$SCI_BUILD"
cmake -S "$here" -B "$SCI_BUILD" -DSCI_DIR="$SCI_DIR" >"$SCI_BUILD.cmake.log" 2>&1 ||
    { tail -20 "$SCI_BUILD.cmake.log"; exit 1; }
targets=sci_bench
[[ "${SCI_TESTS:-0}" = 1 ]] && targets="$targets relu-OT exp-OT sigmoid-OT tanh-OT sqrt-OT"
# shellcheck disable=SC2086
nice -n 19 make -C "$SCI_BUILD" -j"$JOBS" $targets >"$SCI_BUILD.make.log" 2>&1 ||
    { grep -E 'error' "$SCI_BUILD.make.log" | head -20; exit 1; }
"$SIRNN" bench and --n 8 >/dev/null 2>&1 ||
    { echo "run.sh: $SIRNN cannot run 'bench' (set SIRNN=...)" >&2; exit 1; }

twin() { # sirnn bench arguments for an op
    case $1 in
    msb | relu | b2a | mux) echo "$1 --bw 32" ;;
    and | lut | sext | tr | ars | umult | digdec | msnzb) echo "$1" ;;
    exp | sigmoid | tanh | rsqrt)
        echo "$1 --bw-in 16 --scale-in 12 --bw-out 16 --scale-out 12" ;;
    *) echo "run.sh: unknown op $1" >&2; exit 2 ;;
    esac
}
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
field() { sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p"; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

log=$SCI_BUILD.runs.log
: >"$log"
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)  n=$N reps=$REPS"
echo "# sirnn: $SIRNN   SCI: $SCI_DIR"
echo "| op | n | sirnn bytes/inst | SCI bytes/inst | sirnn µs/inst | SCI µs/inst | commands |"
echo "|---|---|---|---|---|---|---|"
for op in $OPS; do
    args=$(twin "$op")
    st=() ot=() sb="" ob="" schk="" ochk=""
    for ((r = 0; r < REPS; r++)); do
        # SCI: party 1 (ALICE) and party 2 (BOB), one thread each
        "$SCI_BUILD/sci_bench" r=1 op="$op" N="$N" p="$PORT" >"$SCI_BUILD.a" 2>&1 &
        pa=$!
        "$SCI_BUILD/sci_bench" r=2 op="$op" N="$N" p="$PORT" >"$SCI_BUILD.b" 2>&1 || true
        wait "$pa" || true
        line=$(grep '^SCI ' "$SCI_BUILD.a" || echo "SCI op=$op failed")
        echo "$line" >>"$log"
        ob=$(echo "$line" | kv bytes_per_instance)
        ot+=("$(echo "$line" | kv us_per_instance)")
        ochk=$(echo "$line" | kv check)
        # sirnn, same n, 1 lane
        # shellcheck disable=SC2086
        js=$("$SIRNN" bench $args --n "$N" --quiet 2>>"$log" || true)
        echo "$js" >>"$log"
        sb=$(echo "$js" | field bytes_per_instance)
        secs=$(echo "$js" | field seconds)
        st+=("$(awk -v s="$secs" -v n="$N" 'BEGIN {printf "%.3f", s * 1e6 / n}')")
        schk=$(echo "$js" | field ok)
    done
    sm=$(printf '%s\n' "${st[@]}" | median)
    om=$(printf '%s\n' "${ot[@]}" | median)
    echo "| $op | $N | $sb | $ob | $sm | $om | \`sirnn bench $args --n $N\` (ok: $schk); \`sci_bench r=1\|2 op=$op N=$N\` (check: $ochk) |"
done

if [[ "${SCI_TESTS:-0}" = 1 ]]; then
    echo
    echo "# SCI's own tests, 1 thread (bytes = both parties' \"Bytes Sent\"):"
    for t in relu exp sigmoid tanh sqrt; do
        extra=""
        [[ $t = relu ]] && extra="six=0"
        # shellcheck disable=SC2086
        "$SCI_BUILD/$t-OT" r=1 p="$PORT" N="$N" nt=1 $extra >"$SCI_BUILD.a" 2>&1 &
        pa=$!
        # shellcheck disable=SC2086
        "$SCI_BUILD/$t-OT" r=2 p="$PORT" N="$N" nt=1 $extra >"$SCI_BUILD.b" 2>&1 || true
        wait "$pa" || true
        b=$(cat "$SCI_BUILD.a" "$SCI_BUILD.b" | sed -n 's/.*Bytes Sent[^0-9]*\([0-9]*\) bytes.*/\1/p' |
            awk '{s += $1} END {print s}')
        ms=$(sed -n 's/.*Time[^0-9]*\([0-9.]*\) ms.*/\1/p' "$SCI_BUILD.a" | head -1)
        echo "$t-OT r=1|2 N=$N nt=1 $extra: $(awk -v b="$b" -v n="$N" -v ms="$ms" \
            'BEGIN {printf "%.2f B/inst, %.3f us/inst", b / n, ms * 1e3 / n}')"
    done
fi
echo "# done $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg); raw lines in $log"
