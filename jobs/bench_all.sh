#!/usr/bin/env bash
# jobs/bench_all.sh -- `make bench-all`: every table, figure and plot of
# docs/benchmarks.md in one command, in this order (times on the 2-core
# machine of docs/benchmarks.md):
#
#   net, ops   bash jobs/bench.sh all       -> docs/data/bench-ops.md      ~2 min
#   summary    bash jobs/bench.sh summary   -> docs/data/bench-summary.md  ~1 min
#   models     bash jobs/bench.sh models    -> docs/data/bench-models.md,
#              docs/data/kws.csv, heads.csv, heads-layers.png           ~5 min
#   scale      tools/netem/all.sh (root; WAN=full by default here)
#              -> docs/data/scale-*.{csv,png,md}, kws-*.csv             ~45 min
#   reference  tools/sci/run.sh SCI_DIR, only when SCI_DIR is set (the SCI
#              folder of an EzPC checkout; nothing is fetched)
#              -> docs/data/bench-sci.md
#
# Environment: BUILD (default build), PARTS (default "ops summary models
# scale sci"), WAN (default full; WAN= skips the ~15 min full-model grid and
# recomputes its targets from the data on disk), SCI_DIR.  Each part's
# markdown also goes to stdout; a part that fails is reported and the next
# one runs; the exit status is 1 if any failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT" || exit 1
export BUILD=${BUILD:-build}
export WAN=${WAN-full}
PARTS=${PARTS:-ops summary models scale sci}
OUT=$ROOT/docs/data
mkdir -p "$OUT"
[ -x "$BUILD/sirnn" ] || { echo "bench-all: no $BUILD/sirnn (make BUILD=$BUILD first)" >&2; exit 2; }
failed=0

part() {   # part NAME OUTFILE|- COMMAND...: run, time, keep its markdown
    local name=$1 out=$2 t0 rc; shift 2
    t0=$(date +%s)
    echo "bench-all: $name: $* ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))" >&2
    if [ "$out" = - ]; then
        "$@"
        rc=$?
    else
        "$@" | tee "$out.tmp"
        rc=${PIPESTATUS[0]}
        if [ "$rc" -eq 0 ]; then mv "$out.tmp" "$out"; else rm -f "$out.tmp"; fi
    fi
    echo "bench-all: $name: $(( $(date +%s) - t0 )) s, exit $rc" >&2
    [ "$rc" -eq 0 ] || failed=1
}

for p in $PARTS; do
    case $p in
    ops) part ops "$OUT/bench-ops.md" bash jobs/bench.sh all ;;
    summary) part summary "$OUT/bench-summary.md" bash jobs/bench.sh summary ;;
    models) part models "$OUT/bench-models.md" bash jobs/bench.sh models ;;
    scale) part scale - bash tools/netem/all.sh ;;
    sci)
        if [ -n "${SCI_DIR:-}" ]; then
            part sci "$OUT/bench-sci.md" env SIRNN="$ROOT/$BUILD/sirnn" bash tools/sci/run.sh "$SCI_DIR"
        else
            echo "bench-all: sci: skipped (set SCI_DIR to the SCI folder of an EzPC checkout)" >&2
        fi
        ;;
    *) echo "bench-all: unknown part '$p' (ops summary models scale sci)" >&2; exit 2 ;;
    esac
done
exit "$failed"
