#!/usr/bin/env bash
# tools/bench_heads.sh -- the secure head-counting model (issue 8) per image
# size and rank/thread count, both parties on this machine over loopback
# TCP (`sirnn server` + `sirnn client`, the real rendezvous).  Prints two
# markdown tables for docs/benchmarks.md (totals with the peak memory of
# every rank; bytes, rounds and seconds layer by layer) and appends one
# CSV row per run.
#
#   tools/bench_heads.sh                          160x120 and 320x240, R x T = 1x1, 2x1, 1x2
#   HEADS_SIZES=160x120 HEADS_CONFIGS="1x1 2x1" tools/bench_heads.sh
#
# Knobs (environment): BUILD (default build) or SIRNN (the binary);
# HEADS_MODEL (default models/heads); HEADS_SIZES (WxH list, default
# "160x120 320x240"); HEADS_CONFIGS (RxT list, default "1x1 2x1 1x2");
# HEADS_CONNS (C, default 1); HEADS_OUT (CSV, default docs/data/heads.csv;
# "-" = none); HEADS_PORT (default 7600).
# Images: MODEL/X_test_WxH.npy when it exists (the bundled 160x120 image),
# else the top-left crop of MODEL/X_test.npy (/usr/bin/python3 + numpy).
# Each run: server `[mpirun -np R] sirnn server --model M --listen
# 127.0.0.1:P --rank-ports ephemeral --threads T --report s.json`, then
# client `[mpirun -np R] sirnn client --connect 127.0.0.1:P --input X.npy
# --threads T --output pred.csv --report c.json`.  Recorded from the
# reports: seconds (timed inference, the slowest rank), bytes_total,
# rounds (the critical lane), cpu_seconds of both parties, peak_rss_mb of
# every rank of both parties, the layers; and whether the client's CSV
# (count and boxes) equals `sirnn plain`'s byte for byte.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SIRNN=${SIRNN:-$BUILD/sirnn}
MODEL=${HEADS_MODEL:-$ROOT/models/heads}
SIZES=${HEADS_SIZES:-160x120 320x240}
CONFIGS=${HEADS_CONFIGS:-1x1 2x1 1x2}
C=${HEADS_CONNS:-1}
OUTCSV=${HEADS_OUT:-$ROOT/docs/data/heads.csv}
PORT=${HEADS_PORT:-7600}
. "$HERE/bench_lib.sh"
bench_start bench_heads
bench_csv "$OUTCSV" "date,size,ranks,threads,conns,seconds,cpu_seconds,bytes_total,rounds,setup_bytes,rss_server_mb,rss_client_mb,heads,csv_equal_plain,load_avg,layers"
: >"$TMP/rows"
: >"$TMP/layers"
for S in $SIZES; do
    W=${S%x*}; H=${S#*x}
    "$PY" - "$MODEL" "$H" "$W" "$TMP/x$S.npy" <<'PY' || exit 2
import os, sys
import numpy as np
m, h, w, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
p = os.path.join(m, "X_test_%dx%d.npy" % (w, h))
x = np.load(p) if os.path.exists(p) else np.load(os.path.join(m, "X_test.npy"))
if x.shape[1] < h or x.shape[2] < w:
    sys.exit("bench_heads: %dx%d is larger than the bundled image" % (w, h))
np.save(out, np.ascontiguousarray(x[:1, :h, :w]))
PY
    "$SIRNN" plain --model "$MODEL" --input "$TMP/x$S.npy" --output "$TMP/plain$S.csv" \
        >/dev/null 2>"$TMP/plain.err" || { echo "bench_heads: plain failed" >&2; cat "$TMP/plain.err" >&2; }
    for RT in $CONFIGS; do
        R=${RT%x*}; T=${RT#*x}
        PORT=$((PORT + 10))
        rm -f "$TMP/s.json" "$TMP/c.json" "$TMP/pred.csv"
        echo "bench_heads: $S, R = $R, T = $T ..." >&2
        launch "$R" "$SIRNN" server --model "$MODEL" --listen "127.0.0.1:$PORT" \
            --rank-ports ephemeral --ranks "$R" --threads "$T" --conns "$C" \
            --timeout 600 --quiet --report "$TMP/s.json" >/dev/null 2>"$TMP/s.err" &
        SPID=$!
        load=$(cut -d' ' -f1 /proc/loadavg)
        launch "$R" "$SIRNN" client --connect "127.0.0.1:$PORT" --input "$TMP/x$S.npy" \
            --ranks "$R" --threads "$T" --conns "$C" --timeout 600 --quiet \
            --report "$TMP/c.json" --output "$TMP/pred.csv" >/dev/null 2>"$TMP/c.err"
        crc=$?
        wait "$SPID"; src=$?; SPID=
        cmd="HEADS_SIZES=$S HEADS_CONFIGS=${R}x$T tools/bench_heads.sh"
        if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
            echo "| \`$cmd\` | $S | $R | $T | FAILED (client $crc, server $src) |" >>"$TMP/rows"
            tail -3 "$TMP/c.err" "$TMP/s.err" >&2
            continue
        fi
        "$PY" - "$TMP/c.json" "$TMP/s.json" "$TMP/pred.csv" "$TMP/plain$S.csv" \
            "$load" "$cmd" "$OUTCSV" "$S" "$TMP/rows" "$TMP/layers" <<'PY'
import datetime, json, sys
c = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
sec = open(sys.argv[3]).read()
try:
    plain = open(sys.argv[4]).read()
except OSError:
    plain = None
same = sec == plain
load, cmd, out, size = sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
R, T = c["ranks"], c["threads"]
heads = sec.splitlines()[1].split(",")[1] if len(sec.splitlines()) > 1 else "?"
rss_s = [r.get("peak_rss_mb", 0) for r in s["per_rank"]]
rss_c = [r.get("peak_rss_mb", 0) for r in c["per_rank"]]
fmt = lambda v: ", ".join("%.0f" % x for x in v)
cpu = s["cpu_seconds"] + c["cpu_seconds"]
with open(sys.argv[9], "a") as f:
    f.write(f"| `{cmd}` | {size} | {R} | {T} | {c['seconds']:.1f} | {cpu:.1f} | "
            f"{c['bytes_total'] / 1e9:.2f} GB | {c['rounds']:,} | {fmt(rss_s)} | {fmt(rss_c)} | "
            f"{heads} | {same} | {load} |\n")
tot = c["bytes_total"]
with open(sys.argv[10], "a") as f:
    for l in c["layers"]:
        f.write(f"| {size} | {R}×{T} | {l['name']} | {l['seconds']:.2f} | "
                f"{l['bytes_total'] / 1e9:.3f} GB | {100.0 * l['bytes_total'] / tot:.1f} % | "
                f"{l['rounds']:,} |\n")
if out != "-":
    lay = ";".join(f"{l['name']}:{l['seconds']:.3f}:{l['bytes_total']}:{l['rounds']}" for l in c["layers"])
    with open(out, "a") as f:
        f.write(",".join(str(v) for v in [
            datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), size, R, T,
            c["conns"], f"{c['seconds']:.3f}", f"{cpu:.2f}", c["bytes_total"], c["rounds"],
            c["setup_bytes"], "/".join("%.1f" % x for x in rss_s),
            "/".join("%.1f" % x for x in rss_c), heads, int(same), load, lay]) + "\n")
PY
    done
done
echo "| command | image | R | T | seconds | CPU s (both) | bytes | rounds | peak RSS MB, server ranks | client ranks | heads | CSV = plain | load |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$TMP/rows"
echo
echo "| image | R×T | layer | seconds | bytes | share | rounds |"
echo "|---|---|---|---|---|---|---|"
cat "$TMP/layers"
echo
echo "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
