#!/usr/bin/env bash
# tools/netem/conns.sh -- C = 1 vs C = 8 on LAN, with and without the
# emulator (needs root): sigmoid n = 65536 (--bw-in 16 --scale-in 12
# --bw-out 16 --scale-out 12) at (R,T) in {(1,1),(2,2)}, CONNS_REPS
# (default 5) interleaved sweeps, each point once through `run.sh lan`
# (parties' timed and set-up CPU, and the delay proxy's CPU) and once as
# plain loopback (`sirnn bench` local mode, no proxy); each sweep also runs
# (R,T) in {(4,1),(1,4)} at C = 1 on loopback (CPU per instance per shape).
#
#   tools/netem/conns.sh [OUT.csv]    (default docs/data/scale-sigmoid-conns.csv)
set -u
{
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
SIRNN=${SIRNN:-$BUILD/sirnn}
export SIRNN
OUT=${1:-$ROOT/docs/data/scale-sigmoid-conns.csv}
PORT=${CONNS_PORT:-7800}
if [ "$(id -u)" != 0 ]; then
    echo "conns: skipped (network namespaces need root)" >&2
    exit 0
fi
# shellcheck disable=SC2206
SIG=(--bw-in 16 --scale-in 12 --bw-out 16 --scale-out 12 --n ${CONNS_N:-65536})
TMP=$(mktemp -d /tmp/sirnn-conns-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
echo "mode,rep,ranks,threads,conns,seconds,cpu_seconds,setup_cpu_seconds,proxy_cpu_seconds,ok" >"$OUT"
# loopback REP R T C: local mode (both parties here, mpirun -np R itself,
# summed report); appends a CSV row
loopback() {
    if "$SIRNN" bench sigmoid "${SIG[@]}" --ranks "$2" --threads "$3" --conns "$4" \
        --quiet >"$TMP/l.json" 2>"$TMP/err"; then
        python3 - "$TMP" loopback "$@" >>"$OUT" <<'PY'
import json, sys
d, m, rep, R, T, C = sys.argv[1:]
c = json.load(open(d + "/l.json"))
print(f"{m},{rep},{R},{T},{C},{c['seconds']:.4f},{c['cpu_seconds']:.4f},"
      f"{c.get('setup_cpu_seconds', 0):.4f},,{int(c['ok'])}")
PY
    else
        echo "conns: loopback R=$2 T=$3 C=$4 failed" >&2; tail -3 "$TMP/err" >&2
    fi
}
for ((rep = 1; rep <= ${CONNS_REPS:-5}; rep++)); do
    for RT in 1,1 2,2; do
        R=${RT%,*} T=${RT#*,}
        for C in 1 8; do
            if NETEM_MEASURE=0 NETEM_SERVER_OUT=$TMP/s.json NETEM_PROXY_CPU_OUT=$TMP/p.txt \
                bash "$HERE/run.sh" lan --port "$PORT" bench sigmoid "${SIG[@]}" --ranks "$R" \
                --threads "$T" --conns "$C" >"$TMP/c.json" 2>"$TMP/err"; then
                python3 - "$TMP" netem "$rep" "$R" "$T" "$C" "$(cat "$TMP/p.txt")" >>"$OUT" <<'PY'
import json, sys
d, m, rep, R, T, C, p = sys.argv[1:]
c = json.load(open(d + "/c.json")); s = json.load(open(d + "/s.json"))
print(f"{m},{rep},{R},{T},{C},{c['seconds']:.4f},{c['cpu_seconds'] + s['cpu_seconds']:.4f},"
      f"{c['setup_cpu_seconds'] + s['setup_cpu_seconds']:.4f},{p},{int(c['ok'] and s['ok'])}")
PY
            else
                echo "conns: netem R=$R T=$T C=$C failed" >&2; tail -3 "$TMP/err" >&2
            fi
            loopback "$rep" "$R" "$T" "$C"
            tail -2 "$OUT" >&2
        done
    done
    # the other 4-lane shapes, loopback and C = 1 only: CPU per instance
    # without the emulator's network stack on the same 2 cores
    for RT in 4,1 1,4; do
        loopback "$rep" "${RT%,*}" "${RT#*,}" 1
    done
done
echo "conns: wrote $OUT" >&2
exit 0
}
