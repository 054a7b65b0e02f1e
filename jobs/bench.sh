#!/usr/bin/env bash
# jobs/bench.sh -- the benchmark suite (`make bench`): runs each bench
# command below (both parties on this machine) and prints markdown table
# rows for docs/benchmarks.md.  Keep runs short: the machine is shared.
#
#   bash jobs/bench.sh            all sections
#   bash jobs/bench.sh net        only the channel section
#   bash jobs/bench.sh summary    the closing summary table (ours vs paper
#                                 vs reference; not part of "all")
#   bash jobs/bench.sh models     the model tables: kws per batch and rank
#                                 count (tools/bench_kws.sh) and the heads
#                                 model per size and R (tools/bench_heads.sh);
#                                 ~5 min, not part of "all"
#   bash jobs/bench.sh scale [full|reduced]   scaling study over emulated
#                                 networks (root; not part of "all"): see
#                                 tools/netem/scale.sh and `make bench-scale`
set -u
BUILD=${BUILD:-build}
SIRNN=${SIRNN:-$PWD/$BUILD/sirnn}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
want=${1:-all}

row() {   # row FORMAT-KEYS... -- COMMAND...: one table row from the JSON
    local keys=() ; while [ "$1" != "--" ]; do keys+=("$1"); shift; done; shift
    local out
    out=$("$SIRNN" bench "$@" --quiet) || { echo "| \`sirnn bench $*\` | FAILED |"; return; }
    python3 - "$out" "$*" "${keys[@]}" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); cmd = sys.argv[2]; keys = sys.argv[3:]
def f(v):
    return f"{v:.1f}" if isinstance(v, float) else str(v)
print("| `sirnn bench " + cmd + "` | " + " | ".join(f(r[k]) for k in keys) + " |")
PY
}

if [ "$want" = all ] || [ "$want" = net ]; then
    echo "### Channel (bench net)"
    echo
    echo "| command | R | T | C | both ways MB/s | s→c MB/s | c→s MB/s | rtt µs | ok |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for rt in "1 1" "2 2"; do
        set -- $rt
        for C in 1 2 4; do
            row ranks threads conns throughput_mb_s throughput_s2c_mb_s \
                throughput_c2s_mb_s rtt_us ok -- \
                net --ranks $1 --threads $2 --conns $C --bytes 64M --n 1000
        done
    done
    echo
fi
# Protocol sections: each family adds its lines here, e.g.
#   row n bw seconds bytes_per_instance rounds ok -- relu --n 65536 --bw 32
if [ "$want" = all ] || [ "$want" = ops ]; then
    echo "### Operations"
    echo
    echo "| command | n | seconds | bytes/instance | rounds | ok |"
    echo "|---|---|---|---|---|---|"
    for op in $("$SIRNN" bench --list | awk '/^ops:/{f=1; next} f && /^  /{print $1}'); do
        case $op in
        net) continue ;;
        # one product is a whole matrix: keep n small
        matmul) args="--dims 1,100,35 --bw 8 --bw2 8 --bw-out 16 --known server --n 64" ;;
        *) args="--n 65536" ;;
        esac
        row n seconds bytes_per_instance rounds ok -- $op $args
    done
    echo
fi
# Closing summary of docs/benchmarks.md: ours beside the paper (Table V / §VII
# as quoted in docs/protocols-*.md and docs/math.md) and the EzPC SCI reference.
# Each line: "bench args|label|paper|reference" (bytes per instance).
if [ "$want" = summary ]; then
    M="--bw-in 16 --scale-in 12 --bw-out 16 --scale-out 12"
    echo "| what | command | bytes/instance | rounds | µs/instance (1 lane) | paper | reference (SCI) |"
    echo "|---|---|---|---|---|---|---|"
    while IFS='|' read -r args label paper ref; do
        [ -n "$args" ] || continue
        # shellcheck disable=SC2086
        out=$("$SIRNN" bench $args --quiet) ||
            { echo "| $label | \`sirnn bench $args\` | FAILED |"; continue; }
        python3 - "$out" "$args" "$label" "$paper" "$ref" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); args, label, paper, ref = sys.argv[2:6]
us = r["seconds"] / r["n"] * 1e6
ok = "" if r["ok"] else " (check FAILED)"
print(f"| {label} | `sirnn bench {args}` | {r['bytes_per_instance']:.2f}{ok} | {r['rounds']} | "
      f"{us:.3g} | {paper} | {ref} |")
PY
    done <<EOF
ot --kind cot --l 64 --n 4000000|COT l=64|–|24 B|
ot --kind chosen --l 128 --n 4000000|chosen OT l=128|–|48 B|
ot --kind kkot --N 256 --l 8 --n 300000|1-of-256 OT l=8|–|288 B|
msb --bw 32 --n 65536|MSB 32 (= Mill 31)|< 550 B|491.5 B|
relu --bw 32 --n 65536|ReLU 32|–|531.5 B|
and --n 65536|AND|18.5 B|18–20 B|
b2a --bw 32 --n 65536|B2A 32|20 B|18–20 B|
mux --bw 32 --n 65536|MUX 32|40 B|36–48 B|
lut --n 65536|LUT 2^8 × 16|544 B|544 B|
sext --n 65536|SExt 16→32|302 B|236 B / 2.5 µs|
tr --n 65536|TR 32, s=12|231.5 B|163.5 B / 1.7 µs|
ars --n 65536|ARS 32, s=12|624 B|524.5 B / 6.4 µs|
umult --n 65536|UMult 16×16→32|1250 B|1140 B / 6.7 µs|
digdec --n 65536|DigDec 32, d=8|532.5 B|446 B / 4.0 µs|
msnzb --n 65536|MSNZB 32, d=8|1832.5 B|1666 B / 29.5 µs|
exp $M --n 65536|exp (16,12)→(16,12)|2120 B|2004 B / 19.8 µs|
sigmoid $M --n 65536|sigmoid (16,12)→(16,12)|4880 B|4430 B / 36 µs|
tanh $M --n 65536|tanh (16,12)→(16,12)|–|4383 B / 37 µs|
rsqrt $M --n 65536|rsqrt (16,12)→(16,12)|6000 B|5701 B / 48 µs|
EOF
    echo
    exit 0
fi
# The model tables (docs/benchmarks.md "Secure kws inference ..." and "Head
# counting"), each row with its own command.
if [ "$want" = models ]; then
    BUILD=$BUILD SIRNN=$SIRNN KWS_BATCHES="1 128" bash tools/bench_kws.sh || exit $?
    echo
    BUILD=$BUILD SIRNN=$SIRNN HEADS_CONFIGS="1x1 2x1" bash tools/bench_heads.sh || exit $?
    bash tools/plot_heads.sh
    exit $?
fi
# Scaling study over emulated LAN/WAN links (network namespaces: root only;
# only on request).  The op is SCALE_OP/SCALE_ARGS/SCALE_N (tools/netem/scale.sh).
if [ "$want" = scale ]; then
    BUILD=$BUILD SIRNN=$SIRNN bash tools/netem/scale.sh "${2:-full}"
    exit $?
fi
