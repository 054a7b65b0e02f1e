#!/usr/bin/env bash
# tools/netem/scale.sh -- one scaling study over emulated networks (`bash
# jobs/bench.sh scale`; `SCALE_OP=... make bench-scale`; tools/netem/all.sh
# runs every study of the docs).  Needs root (network namespaces).
# SCALE_PORT=P passes --port P to run.sh (concurrent studies: distinct P).
#
#   tools/netem/scale.sh [full|reduced|check]    (default full: ~50 runs, ~4 min)
#
# check: LAN only, SCALE_REPS (default 5) repetitions of C in {1, 8} x
# (R,T) in {(1,1),(2,2),(4,1)} at n = N, of C = 1 at n = N and 2N for
# (R,T) in {(1,1),(2,1),(2,2),(4,1)}, and of C = 1 at n = N (R,T = 1,4)
# and n = SCALE_CHECK_BIG x N (default 4; 0 = none) for (R,T) in
# {(1,1),(2,2),(4,1),(1,4)} (4 lanes where per-lane fixed costs amortise),
# to scale-OP-check.csv (for tools/netem/targets.py: medians, CPU per
# instance, marginal CPU per instance).
#
# For one op (SCALE_OP, default msb; SCALE_ARGS, default "--bw 16"; SCALE_N,
# default 65536) it runs, each point through tools/netem/run.sh:
#   lan     R in {1,2,4} x T in {1,2} x C in {1,2,4,8}   (reduced: C in {1,4,8})
#   lan     R = T = C = 1 at n = N/4, N/2, 2N            (CPU per instance)
#   wan     R in {1,2} x T in {1,2} x C in {1,4}          (reduced: R = 1)
#   wanwin  R in {1,2} x T in {1,2} x C in {1,4}          (reduced: R = 1)
# (SCALE_PROFILES="lan wan wanwin" selects profiles), and writes
#   docs/data/scale-OP.csv       one row per point (client and server reports)
#   docs/data/scale-OP-net.csv   the RTT / rate measured per profile
#   docs/data/scale-OP-model.*   cost model fit and its error (model.py)
#   docs/data/scale-OP-*.png     plots (gnuplot; installed if missing)
# Adding an op later is one line, e.g.
#   SCALE_OP=sigmoid SCALE_ARGS="--bw-in 16 --scale-in 12 --bw-out 16 --scale-out 12" \
#       make bench-scale
#
# SCALE_OP=kws runs secure inference instead of a bench op: `sirnn server
# --model M` and `sirnn client --input X.npy` (both with --report) through
# run.sh's generic form, n = the batch (SCALE_N, default 8: the first n rows
# of M/X_test.npy), M = SCALE_MODEL (default models/kws).  SCALE_KWS_STEPS=S
# (default: the model's) runs a copy of the model cut to its first S time
# steps (same weights and formats; rounds and bytes scale with S, so the full
# model's WAN time follows from the cost model).  Grid for kws, every
# profile: (R,T) in {(1,1),(2,2)} x C in {1,8} (SCALE_KWS_POINTS="R,T,C ..."
# overrides), plus on lan R=T=C=1 at
# n = N/2 and 2N.  A point is ok when both parties' reports say ok and the
# secure labels equal `sirnn plain`'s for the same inputs.
#   SCALE_OP=kws SCALE_KWS_STEPS=5 SCALE_PROFILES="lan wan wanwin" make bench-scale
set -u
{ # the whole script is one compound command: bash parses it before running,
  # so editing this file during a long run cannot derail the run
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-build}
case $BUILD in /*) SIRNN=${SIRNN:-$BUILD/sirnn} ;; *) SIRNN=${SIRNN:-$ROOT/$BUILD/sirnn} ;; esac
export SIRNN
GRID=${1:-full}
OP=${SCALE_OP:-msb}
# shellcheck disable=SC2206
ARGS=(${SCALE_ARGS---bw 16})
N=${SCALE_N:-$([ "$OP" = kws ] && echo 8 || echo 65536)}
PROFILES=${SCALE_PROFILES:-lan wan wanwin}
OUT=${SCALE_OUT:-$ROOT/docs/data}
PORTARG=()   # SCALE_PORT=P: run.sh --port P (concurrent studies use distinct ports)
[ -z "${SCALE_PORT:-}" ] || PORTARG=(--port "$SCALE_PORT")
case $GRID in full|reduced|check) ;; *) echo "scale: grid must be full, reduced or check" >&2; exit 2 ;; esac
if [ "$(id -u)" != 0 ]; then
    echo "scale: skipped (network namespaces need root)" >&2
    exit 0
fi
if ! command -v gnuplot >/dev/null; then
    apt-get install -y gnuplot-nox >/dev/null 2>&1 ||
        echo "scale: gnuplot missing and not installable: no plots" >&2
fi
mkdir -p "$OUT"
CSV=$OUT/scale-$OP.csv NET=$OUT/scale-$OP-net.csv
[ "$GRID" != check ] || CSV=$OUT/scale-$OP-check.csv NET=$OUT/scale-$OP-check-net.csv
TMP=$(mktemp -d /tmp/sirnn-scale-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

if [ "$OP" = kws ]; then
    # the model (optionally cut to S steps) and the inputs of every batch used
    KMODEL=${SCALE_MODEL:-$ROOT/models/kws}
    case $KMODEL in /*) ;; *) KMODEL=$ROOT/$KMODEL ;; esac
    KSTEPS=${SCALE_KWS_STEPS:-0}
    /usr/bin/python3 - "$KMODEL" "$KSTEPS" "$TMP" $((N / 2)) "$N" $((2 * N)) <<'PY' || exit 1
import json, os, sys
import numpy as np
src, steps, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
dst = os.path.join(tmp, "model")
os.mkdir(dst)
m = json.load(open(os.path.join(src, "model.json")))
for f in os.listdir(src):
    if f != "model.json":
        os.symlink(os.path.join(src, f), os.path.join(dst, f))
if steps > 0:
    m["timesteps"] = steps
json.dump(m, open(os.path.join(dst, "model.json"), "w"), indent=1)
x = np.load(os.path.join(src, "X_test.npy"))
for b in sys.argv[4:]:
    b = int(b)
    if b > x.shape[0]:
        print(f"scale: batch {b} > {x.shape[0]} test samples: skipped", file=sys.stderr)
        continue
    np.save(os.path.join(tmp, f"x{b}.npy"), np.ascontiguousarray(x[:b, :m["timesteps"]]))
PY
    for b in $((N / 2)) "$N" $((2 * N)); do
        [ -f "$TMP/x$b.npy" ] || continue
        "$SIRNN" plain --model "$TMP/model" --input "$TMP/x$b.npy" --output "$TMP/plain$b.csv" \
            >/dev/null 2>&1 || { echo "scale: sirnn plain failed" >&2; exit 1; }
    done
fi

echo "profile,op,n,ranks,threads,conns,seconds,wall_seconds,setup_seconds,cpu_seconds,cpu_server,cpu_client,bytes_total,bytes_s2c,bytes_c2s,rounds,ok,setup_cpu_seconds" >"$CSV"
echo "profile,rtt_ms_requested,rate_mb_s_requested,window_bytes,rtt_ms,s2c_mb_s,c2s_mb_s,both_ways_mb_s,s2c_link_mb_s,c2s_link_mb_s" >"$NET"

declare -A REQ=([lan]="0.8 377 0" [wan]="80 40 0" [wanwin]="80 40 1048576")

# measure PROFILE: the RTT and rate obtained (bench net); appends a NET row.
measure() {
    local prof=$1
    if ! NETEM_MEASURE_OUT=$TMP/net.json bash "$HERE/run.sh" "$prof" "${PORTARG[@]}" measure \
        >/dev/null 2>"$TMP/err"; then
        echo "scale: $prof: measurement failed" >&2
        tail -3 "$TMP/err" >&2
        return 1
    fi
    grep '^netem:' "$TMP/err" >&2
    python3 - "$TMP/net.json" "$prof" "${REQ[$prof]}" >>"$NET" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); rtt, rate, win = sys.argv[3].split()
B, rtt_s = r["bytes"], r["rtt_us"] / 1e6
link = lambda v: B / max(B / (v * 1e6) - rtt_s, 1e-9) / 1e6   # RTT removed
print(f"{sys.argv[2]},{rtt},{rate},{win},{r['rtt_us'] / 1e3:.4f},"
      f"{r['throughput_s2c_mb_s']:.2f},{r['throughput_c2s_mb_s']:.2f},{r['throughput_mb_s']:.2f},"
      f"{link(r['throughput_s2c_mb_s']):.2f},{link(r['throughput_c2s_mb_s']):.2f}")
PY
}

# point PROFILE R T C N: one run; appends a CSV row.  wall_seconds covers
# the whole run.sh call (namespace set-up, mpirun, rendezvous, op, check).
point() {
    local prof=$1 R=$2 T=$3 C=$4 n=$5 t0 t1 rc
    t0=$(date +%s.%N)
    if [ "$OP" = kws ]; then
        local pre=() com=(--ranks "$R" --threads "$T" --conns "$C" --quiet)
        [ "$R" -le 1 ] || pre=(mpirun -np "$R" --bind-to none)
        rm -f "$TMP/s.json" "$TMP/c.json" "$TMP/pred.csv"
        NETEM_MEASURE=0 bash "$HERE/run.sh" "$prof" "${PORTARG[@]}" --ranks "$R" -- \
            "${pre[@]}" "$SIRNN" server --model "$TMP/model" --listen @LISTEN@ \
            --advertise @ADVERTISE@ "${com[@]}" --report "$TMP/s.json" -- \
            "${pre[@]}" "$SIRNN" client --connect @CONNECT@ --input "$TMP/x$n.npy" \
            "${com[@]}" --report "$TMP/c.json" --output "$TMP/pred.csv" \
            >/dev/null 2>"$TMP/err"
        rc=$?
        if [ "$rc" -eq 0 ] && ! cmp -s <(cut -d, -f1,2 "$TMP/pred.csv") \
            <(cut -d, -f1,2 "$TMP/plain$n.csv"); then
            echo "scale: $prof R=$R T=$T C=$C n=$n: secure labels differ from sirnn plain" >&2
            /usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; r=json.load(open(p)); r["ok"]=False; json.dump(r,open(p,"w"))' "$TMP/c.json"
        fi
    else
        NETEM_MEASURE=0 NETEM_SERVER_OUT=$TMP/s.json \
            bash "$HERE/run.sh" "$prof" "${PORTARG[@]}" bench "$OP" "${ARGS[@]}" --n "$n" \
            --ranks "$R" --threads "$T" --conns "$C" >"$TMP/c.json" 2>"$TMP/err"
        rc=$?
    fi
    t1=$(date +%s.%N)
    if [ "$rc" -ne 0 ]; then
        echo "scale: $prof R=$R T=$T C=$C n=$n FAILED (exit $rc)" >&2
        tail -3 "$TMP/err" >&2
        return
    fi
    python3 - "$TMP/c.json" "$TMP/s.json" "$prof" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" >>"$CSV" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
row = [sys.argv[3], c.get("op", c.get("model")), c["n"], c["ranks"], c["threads"], c["conns"],
       f"{c['seconds']:.6f}", sys.argv[4], f"{max(c['setup_seconds'], s['setup_seconds']):.6f}",
       f"{c['cpu_seconds'] + s['cpu_seconds']:.6f}", f"{s['cpu_seconds']:.6f}",
       f"{c['cpu_seconds']:.6f}", c["bytes_total"], c["bytes_received"],
       c["bytes_sent"], c["rounds"], int(bool(c["ok"] and s["ok"])),
       # CPU before the timed part (rendezvous, lane and OT set-up, prepare),
       # both parties; cpu_seconds is the timed part's only
       f"{c.get('setup_cpu_seconds', 0) + s.get('setup_cpu_seconds', 0):.6f}"]
print(",".join(str(x) for x in row))
PY
    tail -1 "$CSV" >&2
}

if [ "$GRID" = check ]; then
    # Repeated LAN points for two targets (tools/netem/targets.py takes
    # medians): C = 1 vs C = 8 at R*T in {1, 4}, SCALE_REPS (default 5)
    # sweeps interleaved so that load drifts hit both alike; and C = 1 at n
    # and 2n for the marginal CPU per instance at 1, 2 and 4 lanes.
    measure lan || exit 1
    for ((rep = 0; rep < ${SCALE_REPS:-5}; rep++)); do
        for RT in 1,1 2,2 4,1; do for C in 1 8; do
            point lan "${RT%,*}" "${RT#*,}" "$C" "$N"
        done; done
        for RT in 1,1 2,1 2,2 4,1; do
            [ "$RT" = 2,1 ] && point lan 2 1 1 "$N"
            point lan "${RT%,*}" "${RT#*,}" 1 $((2 * N))
        done
        point lan 1 4 1 "$N"
        [ "${SCALE_CHECK_BIG:-4}" -gt 0 ] || continue
        for RT in 1,1 2,2 4,1 1,4; do
            point lan "${RT%,*}" "${RT#*,}" 1 $((${SCALE_CHECK_BIG:-4} * N))
        done
    done
    echo "scale: wrote $CSV $NET" >&2
    exit 0
fi

for prof in $PROFILES; do
    measure "$prof" || continue
    if [ "$OP" = kws ]; then
        for RTC in ${SCALE_KWS_POINTS:-1,1,1 1,1,8 2,2,1 2,2,8}; do
            # shellcheck disable=SC2086
            point "$prof" ${RTC//,/ } "$N"
        done
        # (a batch larger than the test set has no input: skipped, not run)
        [ "$prof" != lan ] || for n in $((N / 2)) $((2 * N)); do
            [ -f "$TMP/x$n.npy" ] && point lan 1 1 1 "$n"
        done
        continue
    fi
    case $prof in
    lan)
        Cs="1 2 4 8"; [ "$GRID" = full ] || Cs="1 4 8"
        for R in 1 2 4; do for T in 1 2; do for C in $Cs; do
            point lan "$R" "$T" "$C" "$N"
        done; done; done
        for n in $((N / 4)) $((N / 2)) $((2 * N)); do point lan 1 1 1 "$n"; done
        ;;
    wan|wanwin)
        Rs="1 2"; [ "$GRID" = full ] || Rs=1
        for R in $Rs; do for T in 1 2; do for C in 1 4; do
            point "$prof" "$R" "$T" "$C" "$N"
        done; done; done
        ;;
    *) echo "scale: unknown profile $prof" >&2 ;;
    esac
done

/usr/bin/python3 "$HERE/model.py" "$CSV" "$NET" "$OUT/scale-$OP-model" || exit 1
if command -v gnuplot >/dev/null; then
    bash "$HERE/plot.sh" "$OUT" "$OP" || echo "scale: plotting failed" >&2
fi
echo "scale: wrote $CSV $NET $OUT/scale-$OP-model.{json,csv,md} and plots" >&2
exit 0
}
