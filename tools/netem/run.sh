#!/usr/bin/env bash
# tools/netem/run.sh -- run the two sirnn parties over an emulated network.
#
#   tools/netem/run.sh PROFILE [--ranks R] [--port P] -- SERVER CMD... -- CLIENT CMD...
#   tools/netem/run.sh PROFILE [--port P] bench OP [bench options...]
#   tools/netem/run.sh PROFILE measure          (only the RTT / rate measurement)
#
# PROFILE: lan (377 MB/s, 0.8 ms RTT), wan (40 MB/s, 80 ms RTT), wanwin (wan
# with a 1 MiB TCP window per connection: one connection carries at most
# ~13 MB/s), none (namespaces and proxy, no rate, no delay), or
# RATE_MBPS:RTT_MS[:WINDOW_BYTES] (RATE 0 = unlimited).
#
# Topology (all on this machine, nothing leaves it):
#
#   netns srn-c-$$                        netns srn-s-$$
#   client --veth (tbf RATE each way)--> delayproxy (10.213.0.1:P..P+R, RTT/2
#   10.213.0.2                           each way) --lo--> server (127.0.0.1:P..P+R)
#
# The rate is a tbf qdisc on each veth end (egress), so all connections share
# one link rate; the delay is added in user space by delayproxy (this kernel
# has no netem), which forwards rank 0's port P and the rank ports P+1..P+R
# (DESIGN.md s3), and the server advertises the proxy's address.  For a
# window profile the proxy also emulates the TCP window (a byte is in flight
# for one RTT after it is read) and tcp_rmem/tcp_wmem are capped in both
# namespaces.
#
# Generic form: in both commands the words @LISTEN@, @CONNECT@ and
# @ADVERTISE@ are replaced by 127.0.0.1:P, 10.213.0.1:P and 10.213.0.1.  The
# server starts first; the client starts once the server listens.  The
# client's stdout is printed; the server's goes to NETEM_SERVER_OUT=FILE (if
# set).  --ranks R (default 1) sizes the forwarded port range.  bench form:
# both commands are built here (`mpirun -np R` when the options contain
# --ranks R > 1) and the client's JSON report is printed on stdout.
# Other knobs: NETEM_BURST_MS (tbf burst, default 1 ms of traffic, at least
# 128 KiB), NETEM_VERBOSE=1 (proxy statistics and tc -s qdisc at the end),
# DELAYPROXY_BURSTS=FILE (the proxy logs every message flight: see
# delayproxy.c).  Concurrent invocations do not collide: namespaces and veth
# names carry this script's PID, each pair has its own network stack (same
# addresses and ports in different namespaces are distinct), and the proxy
# and server bind only inside them; --port P still tells runs apart in ps.
#
# Before the job, `sirnn bench net` (1 lane, C = 1; NETEM_MEASURE_BYTES, default
# 16M for lan and 4M otherwise) measures the RTT and rate actually obtained;
# one line on stderr compares them with the requested ones, and
# NETEM_MEASURE_OUT=FILE saves that JSON.  NETEM_MEASURE=0 skips it.
# NETEM_PROXY_CPU_OUT=FILE saves the delay proxy's CPU seconds (user + system).
# Set-up and tear-down always happen (trap), even on failure.  Exit: the
# client's status (or the server's if the client succeeded); 77 when network
# namespaces cannot be created (not root).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SIRNN=${SIRNN:-$BUILD/sirnn}
PROXY=$BUILD/tools/netem/delayproxy
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}

die() { echo "netem: $*" >&2; exit 2; }
usage() { sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
PROFILE=$1; shift
case $PROFILE in
lan)    RATE=377 RTT=0.8 WINDOW=0 ;;
wan)    RATE=40  RTT=80  WINDOW=0 ;;
wanwin) RATE=40  RTT=80  WINDOW=1048576 ;;
none)   RATE=0   RTT=0   WINDOW=0 ;;
*:*)    IFS=: read -r RATE RTT WINDOW <<<"$PROFILE"; WINDOW=${WINDOW:-0} ;;
-h|--help) usage ;;
*) die "unknown profile '$PROFILE' (lan, wan, wanwin, none, RATE_MBPS:RTT_MS[:WINDOW])" ;;
esac
[[ $RATE =~ ^[0-9]+([.][0-9]+)?$ && $RTT =~ ^[0-9]+([.][0-9]+)?$ && $WINDOW =~ ^[0-9]+$ ]] ||
    die "bad profile '$PROFILE'"

RANKS=1 PORT=7000 MODE=
while [ $# -gt 0 ]; do
    case $1 in
    --ranks) RANKS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --) MODE=generic; shift; break ;;
    bench) MODE=bench; shift; break ;;
    measure) MODE=measure; shift; break ;;
    *) die "unexpected '$1' (want --ranks, --port, --, bench or measure)" ;;
    esac
done
[ -n "$MODE" ] || usage
[[ $RANKS =~ ^[0-9]+$ && $RANKS -ge 1 && $PORT =~ ^[0-9]+$ ]] || die "bad --ranks/--port"

SADDR=10.213.0.1 CADDR=10.213.0.2
SCMD=() CCMD=()
if [ "$MODE" = generic ]; then
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do SCMD+=("$1"); shift; done
    [ $# -gt 0 ] || die "missing '-- CLIENT CMD'"
    shift; CCMD=("$@")
    [ ${#SCMD[@]} -gt 0 ] && [ ${#CCMD[@]} -gt 0 ] || die "empty server or client command"
elif [ "$MODE" = bench ]; then
    [ $# -ge 1 ] || die "bench: missing OP"
    BENCH_ARGS=("$@")
    for ((i = 0; i < ${#BENCH_ARGS[@]}; i++)); do
        [ "${BENCH_ARGS[$i]}" = --ranks ] && RANKS=${BENCH_ARGS[$((i + 1))]:-1}
    done
fi
[ -x "$SIRNN" ] || die "no $SIRNN (make BUILD=... first, or set SIRNN)"

# The proxy: build it on demand next to the sirnn build.
if [ ! -x "$PROXY" ] || [ "$HERE/delayproxy.c" -nt "$PROXY" ]; then
    mkdir -p "$(dirname "$PROXY")"
    cc -std=c11 -O2 -Wall -Wextra -o "$PROXY" "$HERE/delayproxy.c" ||
        die "cannot build $PROXY"
fi

TMP=$(mktemp -d /tmp/sirnn-netem-XXXXXX)
NS_S=srn-s-$$ NS_C=srn-c-$$ VS=srs$$ VC=src$$
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    # whatever still runs inside our namespaces was started by this script
    for ns in "$NS_S" "$NS_C"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
    done
    sleep 0.2
    for ns in "$NS_S" "$NS_C"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    ip link del "$VS" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! ip netns add "$NS_S" 2>/dev/null; then
    echo "netem: cannot create network namespaces (needs root and CAP_NET_ADMIN)" >&2
    exit 77
fi
ip netns add "$NS_C" || die "ip netns add $NS_C failed"
ip link add "$VS" type veth peer name "$VC" || die "cannot create a veth pair"
ip link set "$VS" netns "$NS_S" && ip link set "$VC" netns "$NS_C" &&
    ip -n "$NS_S" addr add "$SADDR/24" dev "$VS" &&
    ip -n "$NS_C" addr add "$CADDR/24" dev "$VC" &&
    ip -n "$NS_S" link set lo up && ip -n "$NS_C" link set lo up &&
    ip -n "$NS_S" link set "$VS" up && ip -n "$NS_C" link set "$VC" up ||
    die "veth set-up failed"

if [ "$RATE" != 0 ]; then
    # tbf per direction: RATE MB/s (10^6 B/s); burst >= 1 ms of traffic and
    # >= 128 KiB (GSO packets are 64 KiB); a queue of max(20 ms, RTT) of
    # traffic before drops (NETEM_QUEUE_MS overrides).  The senders' TCP sees
    # only the veth (the delay is in the proxy), so nothing paces their
    # bursts to the emulated RTT; a queue below one bandwidth-delay product
    # dropped packets as soon as C > 1 connections burst at once (kws, C = 8:
    # 430 drops in 10 steps, +4 %), which a real path with BDP-sized buffers
    # and ACK clocking would not do.
    BITS=$(awk -v r="$RATE" 'BEGIN { printf "%.0f", r * 8e6 }')
    QUEUE_MS=${NETEM_QUEUE_MS:-$(awk -v r="$RTT" 'BEGIN { printf "%d", (r > 20 ? r + 0.999 : 20) }')}
    BURST=$(awk -v r="$RATE" -v ms="${NETEM_BURST_MS:-1}" 'BEGIN { b = r * 1e3 * ms; if (b < 131072) b = 131072; printf "%.0f", b }')
    for nd in "$NS_S $VS" "$NS_C $VC"; do
        set -- $nd
        ip netns exec "$1" tc qdisc add dev "$2" root tbf rate "${BITS}bit" \
            burst "$BURST" latency "${QUEUE_MS}ms" || die "tc tbf failed on $2"
    done
fi
if [ "$WINDOW" != 0 ]; then
    for ns in "$NS_S" "$NS_C"; do
        ip netns exec "$ns" sysctl -q -w "net.ipv4.tcp_rmem=4096 131072 $WINDOW" \
            "net.ipv4.tcp_wmem=4096 16384 $WINDOW" || die "sysctl failed in $ns"
    done
fi

DELAY_US=$(awk -v r="$RTT" 'BEGIN { printf "%d", r * 500 }')   # RTT/2 in us
ip netns exec "$NS_S" "$PROXY" "$SADDR" 127.0.0.1 "$PORT" $((RANKS + 1)) \
    "$DELAY_US" "$WINDOW" >"$TMP/proxy.out" 2>"$TMP/proxy.err" &
PIDS+=($!)
for _ in $(seq 100); do
    grep -q ready "$TMP/proxy.out" 2>/dev/null && break
    kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$TMP/proxy.err" >&2; die "proxy failed"; }
    sleep 0.05
done

# listening NS PORT: is something listening on 127.0.0.1:PORT inside NS?
listening() {
    local hex
    hex=$(printf '0100007F:%04X' "$2")
    ip netns exec "$1" cat /proc/net/tcp | awk -v a="$hex" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }'
}

# run_pair OUTFILE: run SCMD in the server namespace, CCMD in the client's
# (placeholders substituted), client stdout to OUTFILE.  Returns the status.
run_pair() {
    local out=$1 s=() c=() w spid rc src
    for w in "${SCMD[@]}"; do
        w=${w//@LISTEN@/127.0.0.1:$PORT}; w=${w//@ADVERTISE@/$SADDR}
        s+=("${w//@CONNECT@/$SADDR:$PORT}")
    done
    for w in "${CCMD[@]}"; do
        w=${w//@LISTEN@/127.0.0.1:$PORT}; w=${w//@ADVERTISE@/$SADDR}
        c+=("${w//@CONNECT@/$SADDR:$PORT}")
    done
    mkdir -p "$TMP/ompi-s" "$TMP/ompi-c"
    OMPI_MCA_orte_tmpdir_base=$TMP/ompi-s ip netns exec "$NS_S" "${s[@]}" >"$out.server" &
    spid=$!
    PIDS+=("$spid")
    for _ in $(seq 600); do
        listening "$NS_S" "$PORT" && break
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    OMPI_MCA_orte_tmpdir_base=$TMP/ompi-c ip netns exec "$NS_C" "${c[@]}" >"$out"
    rc=$?
    wait "$spid"
    src=$?
    [ "$rc" -ne 0 ] || rc=$src
    return "$rc"
}

# mpi_prefix R: the launcher words for R ranks.
mpi_prefix() {
    if [ "$1" -gt 1 ]; then echo "mpirun -np $1 --bind-to none"; fi
}

measure() {
    local saved_s=("${SCMD[@]}") saved_c=("${CCMD[@]}") bytes rc
    bytes=${NETEM_MEASURE_BYTES:-$([ "$PROFILE" = lan ] && echo 16M || echo 4M)}
    SCMD=("$SIRNN" bench net --bytes "$bytes" --n 20 --quiet --role server
          --listen @LISTEN@ --advertise @ADVERTISE@)
    CCMD=("$SIRNN" bench net --bytes "$bytes" --n 20 --quiet --role client
          --connect @CONNECT@)
    run_pair "$TMP/measure.json" 2>"$TMP/measure.err"
    rc=$?
    SCMD=("${saved_s[@]}") CCMD=("${saved_c[@]}")
    if [ "$rc" -ne 0 ]; then
        echo "netem: measurement failed (exit $rc):" >&2
        tail -5 "$TMP/measure.err" >&2
        return 1
    fi
    [ -z "${NETEM_MEASURE_OUT:-}" ] || cp "$TMP/measure.json" "$NETEM_MEASURE_OUT"
    python3 - "$TMP/measure.json" "$PROFILE" "$RATE" "$RTT" "$WINDOW" <<'PY' >&2
import json, sys
r = json.load(open(sys.argv[1]))
prof, rate, rtt, win = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
req = (f"{rate:g} MB/s" if rate else "unlimited") + f", RTT {rtt:g} ms"
if win:
    req += f", window {win} B (<= {win / (rtt / 1e3) / 1e6:.1f} MB/s per connection)"
# A one-way transfer of B bytes is timed until its 8-byte answer is back:
# B / rate + RTT, so the link rate is B / (time - RTT).
rtt_s, B = r["rtt_us"] / 1e6, r["bytes"]
def link(mb_s):
    t = B / (mb_s * 1e6) - rtt_s
    return f"{B / t / 1e6:.1f}" if t > 0 else "?"
print(f"netem: {prof}: requested {req}; measured (bench net, 1 lane, C=1): "
      f"RTT {r['rtt_us'] / 1e3:.3f} ms, s->c {r['throughput_s2c_mb_s']:.1f} MB/s "
      f"({link(r['throughput_s2c_mb_s'])} with the RTT removed), "
      f"c->s {r['throughput_c2s_mb_s']:.1f} MB/s ({link(r['throughput_c2s_mb_s'])} with the RTT removed), "
      f"both ways at once {r['throughput_mb_s']:.1f} MB/s")
PY
}

if [ "$MODE" = measure ]; then
    measure || exit 1
    cat "$TMP/measure.json"
    exit 0
fi
if [ "${NETEM_MEASURE:-1}" != 0 ]; then
    measure || exit 1
fi

if [ "$MODE" = bench ]; then
    # shellcheck disable=SC2207
    pre=($(mpi_prefix "$RANKS"))
    SCMD=("${pre[@]}" "$SIRNN" bench "${BENCH_ARGS[@]}" --quiet --role server
          --listen @LISTEN@ --advertise @ADVERTISE@)
    CCMD=("${pre[@]}" "$SIRNN" bench "${BENCH_ARGS[@]}" --quiet --role client
          --connect @CONNECT@)
fi
run_pair "$TMP/client.out"
rc=$?
cat "$TMP/client.out"
[ -z "${NETEM_SERVER_OUT:-}" ] || cp "$TMP/client.out.server" "$NETEM_SERVER_OUT"
# NETEM_PROXY_CPU_OUT=FILE: the proxy's CPU seconds (user + system) over
# this call (incl. the bench-net measurement unless NETEM_MEASURE=0)
if [ -n "${NETEM_PROXY_CPU_OUT:-}" ] && [ -r "/proc/${PIDS[0]}/stat" ]; then
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
        "/proc/${PIDS[0]}/stat" >"$NETEM_PROXY_CPU_OUT"
fi
if [ "${PIDS[0]}" ]; then
    kill -TERM "${PIDS[0]}" 2>/dev/null && wait "${PIDS[0]}" 2>/dev/null
    [ -z "${NETEM_VERBOSE:-}" ] || cat "$TMP/proxy.err" >&2
fi
if [ -n "${NETEM_VERBOSE:-}" ] && [ "$RATE" != 0 ]; then
    ip netns exec "$NS_S" tc -s qdisc show dev "$VS" >&2
    ip netns exec "$NS_C" tc -s qdisc show dev "$VC" >&2
fi
exit "$rc"
