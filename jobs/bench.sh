#!/usr/bin/env bash
# jobs/bench.sh -- the benchmark suite (`make bench`): runs each bench
# command below (both parties on this machine) and prints markdown table
# rows for docs/benchmarks.md.  Keep runs short: the machine is shared.
#
#   bash jobs/bench.sh            all sections
#   bash jobs/bench.sh net        only the channel section
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
# Scaling study over emulated LAN/WAN links (network namespaces: root only;
# only on request).  The op is SCALE_OP/SCALE_ARGS/SCALE_N (tools/netem/scale.sh).
if [ "$want" = scale ]; then
    BUILD=$BUILD SIRNN=$SIRNN bash tools/netem/scale.sh "${2:-full}"
    exit $?
fi
