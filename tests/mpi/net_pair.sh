#!/usr/bin/env bash
# Two MPI jobs (server and client), R = 2, T = 2, C = 2: `bench net`
# exchanges and verifies data on all 4 lane pairs through the real
# rendezvous (fixed rank ports PORT+1+rank), and both reports agree with
# the exact byte formula.
. "$(dirname "$0")/common.inc"
P=$(free_port)
B=4194304 N=100 LT=4
mpi -np 2 "$SIRNN" bench net --role server \
    --listen 127.0.0.1:$P --threads 2 --conns 2 --bytes $B --n $N \
    --timeout 30 --quiet --report "$TMP/s.json" >"$TMP/s.out" 2>"$TMP/s.err" &
SP=$!
mpi -np 2 "$SIRNN" bench net --role client \
    --connect 127.0.0.1:$P --bytes $B --n $N --timeout 30 --quiet \
    --report "$TMP/c.json" >"$TMP/c.out" 2>"$TMP/c.err"
CR=$?
wait $SP
SR=$?
cat "$TMP/s.err" "$TMP/c.err" >&2
[ $SR -eq 0 ] || fail "server exit $SR"
[ $CR -eq 0 ] || fail "client exit $CR"
# Per lane and party: B (one way) + 8 (ack) + B (both ways) + 16 N (pings).
want=$(( LT * 2 * (2 * B + 8 + 16 * N) ))
for f in s c; do
    [ "$(json $TMP/$f.json 'r["ok"]')" = True ] || fail "$f: ok is not true"
    [ "$(json $TMP/$f.json 'r["ranks"], r["threads"], r["conns"]')" = "2 2 2" ] ||
        fail "$f: wrong R/T/C"
    [ "$(json $TMP/$f.json 'len(r["per_rank"])')" = 2 ] || fail "$f: per_rank"
    got=$(json $TMP/$f.json 'r["bytes_total"]')
    [ "$got" = "$want" ] || fail "$f: bytes_total $got, want $want"
    [ "$(json $TMP/$f.json 'r["bytes_sent"] == r["bytes_received"]')" = True ] ||
        fail "$f: sent != received"
    [ "$(json $TMP/$f.json 'r["throughput_mb_s"] > 0 and r["rtt_us"] > 0')" = True ] ||
        fail "$f: no throughput/rtt"
    # the stdout line is the same report
    [ "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["bytes_total"])' $TMP/$f.out)" = "$want" ] ||
        fail "$f: stdout report"
done
[ "$(json $TMP/s.json 'r["role"]')" = server ] || fail "server role"
[ "$(json $TMP/c.json 'r["role"]')" = client ] || fail "client role"
echo "net_pair: ok ($want bytes per party)"
