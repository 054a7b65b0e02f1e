#!/usr/bin/env bash
# tools/netem/wanfull.sh -- the full-model kws WAN grid of issue 9, every
# point at once (`make bench-scale WAN=full`).  Needs root.
#
#   tools/netem/wanfull.sh [run|merge]       (default run: run, then merge)
#
# Points (the real model, all its time steps):
#   wan, wanwin  batch 8  x  (R,T) in {(1,1),(2,2)}  x  C in {1,8}
#   wan          batch 128, R = T = 2, C = 8
# (WANFULL_POINTS="PROFILE,N,R,T,C ..." overrides).  Each point is one
# tools/netem/scale.sh call (SCALE_OP=kws, one profile, one point) in its
# own namespace pair with its own --port, all started together: the runs
# are latency-bound (~80 ms per round, ~20 min each), so running them
# concurrently costs little CPU and makes the grid take as long as its
# slowest point.  Scripts and binary are first copied to WANFULL_DIR
# (default /tmp/wan) so that edits or rebuilds of the tree cannot disturb
# the runs; logs are WANFULL_DIR/NAME.log, results WANFULL_DIR/NAME/.
# merge: concatenates the points into docs/data/scale-kwsfull.csv and
# scale-kwsfull-net.csv (the bench-net measurement taken just before each
# point, so a row of -net.csv belongs to the row of .csv with the same
# name), fits the cost model (scale-kwsfull-model.*) and plots, copies the
# flight logs (kws-flights-S.txt: two short wan runs cut to S = 5 and 10
# steps with the proxy's DELAYPROXY_BURSTS log, run beside the grid) and
# checks the targets (tools/netem/targets.py -> scale-targets.md).
set -u
{
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
SIRNN=${SIRNN:-$BUILD/sirnn}
DIR=${WANFULL_DIR:-/tmp/wan}
OUT=${SCALE_OUT_FULL:-$ROOT/docs/data}
MODE=${1:-all}
POINTS=${WANFULL_POINTS:-wan,8,1,1,1 wan,8,1,1,8 wan,8,2,2,1 wan,8,2,2,8 wanwin,8,1,1,1 wanwin,8,1,1,8 wanwin,8,2,2,1 wanwin,8,2,2,8 wan,128,2,2,8}
# flight logs for the window prediction (tools/netem/targets.py): kws batch 8
# on wan, R = T = C = 1, cut to S steps, DELAYPROXY_BURSTS on
FLIGHT_STEPS=${WANFULL_FLIGHT_STEPS-5 10}
if [ "$(id -u)" != 0 ]; then
    echo "wanfull: skipped (network namespaces need root)" >&2
    exit 0
fi

name() { local p n r t c; IFS=, read -r p n r t c <<<"$1"; echo "$p-b$n-r$r-t$t-c$c"; }

if [ "$MODE" = all ] || [ "$MODE" = run ]; then
    [ -x "$SIRNN" ] || { echo "wanfull: no $SIRNN" >&2; exit 2; }
    mkdir -p "$DIR/netem" "$BUILD/tools/netem"
    cp "$HERE"/*.sh "$HERE"/*.py "$HERE"/delayproxy.c "$DIR/netem/"
    cp "$SIRNN" "$DIR/sirnn"
    # the proxy is built once here, not by every run.sh at the same time
    cc -std=c11 -O2 -Wall -Wextra -o "$BUILD/tools/netem/delayproxy" "$HERE/delayproxy.c" || exit 2
    touch "$BUILD/tools/netem/delayproxy"
    port=7100 pids=()
    for pt in $POINTS; do
        IFS=, read -r p n r t c <<<"$pt"
        nm=$(name "$pt")
        rm -rf "${DIR:?}/$nm"
        SCALE_OP=kws SCALE_PROFILES=$p SCALE_N=$n SCALE_KWS_POINTS=$r,$t,$c \
            SCALE_PORT=$port SCALE_OUT=$DIR/$nm SCALE_MODEL=${SCALE_MODEL:-$ROOT/models/kws} \
            SIRNN=$DIR/sirnn \
            nohup bash "$DIR/netem/scale.sh" >"$DIR/$nm.log" 2>&1 &
        pids+=($!)
        echo "wanfull: started $nm (port $port, pid $!, log $DIR/$nm.log)" >&2
        port=$((port + 20))
    done
    for S in $FLIGHT_STEPS; do
        rm -f "$DIR/flights-$S.txt"
        DELAYPROXY_BURSTS=$DIR/flights-$S.txt SCALE_OP=kws SCALE_KWS_STEPS=$S \
            SCALE_PROFILES=wan SCALE_KWS_POINTS=1,1,1 SCALE_PORT=$port \
            SCALE_OUT=$DIR/flights-$S SCALE_MODEL=${SCALE_MODEL:-$ROOT/models/kws} \
            SIRNN=$DIR/sirnn nohup bash "$DIR/netem/scale.sh" >"$DIR/flights-$S.log" 2>&1 &
        pids+=($!)
        port=$((port + 20))
    done
    t0=$(date +%s)
    for p in "${pids[@]}"; do wait "$p"; done
    echo "wanfull: all points done in $(( $(date +%s) - t0 )) s" >&2
fi

if [ "$MODE" = all ] || [ "$MODE" = merge ]; then
    mkdir -p "$OUT"
    CSV=$OUT/scale-kwsfull.csv NET=$OUT/scale-kwsfull-net.csv
    first=1
    for pt in $POINTS; do
        nm=$(name "$pt")
        f=$DIR/$nm/scale-kws.csv g=$DIR/$nm/scale-kws-net.csv
        if [ ! -s "$f" ] || [ "$(wc -l <"$f")" -lt 2 ]; then
            echo "wanfull: $nm: no result (see $DIR/$nm.log)" >&2
            continue
        fi
        if [ $first = 1 ]; then
            head -1 "$f" >"$CSV"; head -1 "$g" | sed 's/$/,point/' >"$NET"; first=0
        fi
        tail -n +2 "$f" >>"$CSV"
        tail -n +2 "$g" | sed "s/\$/,$nm/" >>"$NET"
    done
    [ $first = 0 ] || { echo "wanfull: nothing to merge" >&2; exit 1; }
    for S in $FLIGHT_STEPS; do
        [ ! -s "$DIR/flights-$S.txt" ] || cp "$DIR/flights-$S.txt" "$OUT/kws-flights-$S.txt"
    done
    /usr/bin/python3 "$HERE/model.py" "$CSV" "$NET" "$OUT/scale-kwsfull-model" || exit 1
    /usr/bin/python3 "$HERE/targets.py" "$OUT" "$OUT/scale-targets.md" >/dev/null ||
        echo "wanfull: targets.py failed" >&2
    if command -v gnuplot >/dev/null; then
        bash "$HERE/plot.sh" "$OUT" kwsfull || echo "wanfull: plotting failed" >&2
    fi
    echo "wanfull: wrote $CSV $NET $OUT/scale-kwsfull-model.* $OUT/scale-targets.md" >&2
fi
exit 0
}
