#!/usr/bin/env bash
# tools/bench_kws.sh -- secure kws inference per batch size and rank count,
# both parties on this machine over loopback TCP (`sirnn server` + `sirnn
# client`, the real rendezvous).  Prints a markdown table for
# docs/benchmarks.md and writes one CSV row per run.
#
#   tools/bench_kws.sh                    batches 1 8 128, R = 1 and 2
#   KWS_BATCHES="1 8" KWS_RANKS=1 tools/bench_kws.sh
#
# Knobs (environment): BUILD (default build) or SIRNN (the binary);
# KWS_MODEL (default models/kws); KWS_BATCHES (default "1 8 128");
# KWS_RANKS (default "1 2"); KWS_THREADS (T, default 1); KWS_CONNS (C,
# default 1); KWS_OUT (CSV, default docs/data/kws.csv; "-" = none);
# KWS_PORT (default 7400).
# Inputs are the first B rows of KWS_MODEL/X_test.npy, cut with
# /usr/bin/python3 + numpy (apt-get install python3-numpy when missing).
# Each run: server `[mpirun -np R] sirnn server --model M --listen
# 127.0.0.1:P --rank-ports ephemeral --ranks R --report s.json`, then client
# `[mpirun -np R] sirnn client --connect 127.0.0.1:P --input X_B.npy
# --ranks R --report c.json`; each mpirun gets its own session directory.
# Recorded: the client's `seconds` (timed inference), the wall time of the
# client process (rendezvous and mpirun start-up included), CPU seconds of
# both parties (reports' cpu_seconds), bytes_total, rounds, and whether the
# secure labels equal `sirnn plain`'s (the cleartext fixed-point twin).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SIRNN=${SIRNN:-$BUILD/sirnn}
MODEL=${KWS_MODEL:-$ROOT/models/kws}
BATCHES=${KWS_BATCHES:-1 8 128}
RANKS=${KWS_RANKS:-1 2}
T=${KWS_THREADS:-1}
C=${KWS_CONNS:-1}
OUTCSV=${KWS_OUT:-$ROOT/docs/data/kws.csv}
PORT=${KWS_PORT:-7400}
. "$HERE/bench_lib.sh"
bench_start bench_kws

bench_csv "$OUTCSV" "date,model,batch,ranks,threads,conns,seconds,wall_seconds,cpu_seconds,cpu_server,cpu_client,bytes_total,bytes_per_inference,rounds,setup_bytes,labels_equal_plain,load_avg"
echo "| command | B | R | seconds (per inference) | wall s | CPU s | bytes per inference | rounds | = plain |"
echo "|---|---|---|---|---|---|---|---|---|"
for B in $BATCHES; do
    "$PY" - "$MODEL/X_test.npy" "$B" "$TMP/x$B.npy" <<'PY' || exit 2
import sys
import numpy as np
x = np.load(sys.argv[1]); b = int(sys.argv[2])
if b > x.shape[0]:
    sys.exit(f"bench_kws: batch {b} > {x.shape[0]} test samples")
np.save(sys.argv[3], np.ascontiguousarray(x[:b]))
PY
    # the cleartext twin's labels for the same inputs (the secure ones must match)
    "$SIRNN" plain --model "$MODEL" --input "$TMP/x$B.npy" --output "$TMP/plain$B.csv" \
        >/dev/null 2>"$TMP/plain.err" || { echo "bench_kws: plain failed" >&2; cat "$TMP/plain.err" >&2; }
    for R in $RANKS; do
        PORT=$((PORT + 10))
        rm -f "$TMP/s.json" "$TMP/c.json" "$TMP/pred.csv"
        launch "$R" "$SIRNN" server --model "$MODEL" --listen "127.0.0.1:$PORT" \
            --rank-ports ephemeral --ranks "$R" --threads "$T" --conns "$C" \
            --quiet --report "$TMP/s.json" >/dev/null 2>"$TMP/s.err" &
        SPID=$!
        load=$(cut -d' ' -f1 /proc/loadavg)
        t0=$(date +%s.%N)
        launch "$R" "$SIRNN" client --connect "127.0.0.1:$PORT" --input "$TMP/x$B.npy" \
            --ranks "$R" --threads "$T" --conns "$C" --quiet \
            --report "$TMP/c.json" --output "$TMP/pred.csv" >/dev/null 2>"$TMP/c.err"
        crc=$?
        t1=$(date +%s.%N)
        wait "$SPID"; src=$?; SPID=
        cmd="KWS_BATCHES=$B KWS_RANKS=$R KWS_THREADS=$T KWS_CONNS=$C tools/bench_kws.sh"
        if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
            echo "| \`$cmd\` | $B | $R | FAILED (client $crc, server $src) |"
            tail -3 "$TMP/c.err" "$TMP/s.err" >&2
            continue
        fi
        "$PY" - "$TMP/c.json" "$TMP/s.json" "$TMP/pred.csv" "$TMP/plain$B.csv" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$load" \
            "$cmd" "$OUTCSV" "$T" "$C" <<'PY'
import csv, datetime, json, sys
c = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
def labels(p):
    try:
        with open(p) as f:
            return [r["pred"] for r in csv.DictReader(f)]
    except OSError:
        return None
sec, plain = labels(sys.argv[3]), labels(sys.argv[4])
same = plain is not None and sec == plain
wall, load, cmd, out = float(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8]
B, R = c["batch"], c["ranks"]
cpu_s, cpu_c = s["cpu_seconds"], c["cpu_seconds"]
per = c["bytes_total"] / B
print(f"| `{cmd}` | {B} | {R} | {c['seconds']:.2f} ({c['seconds'] / B:.3f}) | {wall:.2f} | "
      f"{cpu_s + cpu_c:.2f} | {per / 1e6:.1f} MB | {c['rounds']:,} | {same} |")
if out != "-":
    with open(out, "a") as f:
        f.write(",".join(str(v) for v in [
            datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), c["model"], B, R,
            sys.argv[9], sys.argv[10], f"{c['seconds']:.4f}", f"{wall:.3f}",
            f"{cpu_s + cpu_c:.3f}", f"{cpu_s:.3f}", f"{cpu_c:.3f}", c["bytes_total"],
            f"{per:.1f}", c["rounds"], c["setup_bytes"], int(same), load]) + "\n")
PY
    done
done
echo
echo "(load average at the start of the runs: $(cut -d' ' -f1-3 /proc/loadavg))"
