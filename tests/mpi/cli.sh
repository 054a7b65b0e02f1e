#!/usr/bin/env bash
# The command line: local bench (both parties here, R = 2 through mpirun),
# demo, exit codes and one-line errors.
. "$(dirname "$0")/common.inc"
out=$("$SIRNN" bench net --ranks 2 --threads 2 --conns 2 --bytes 1M --n 50 \
      --quiet --report "$TMP/r.json") || fail "local bench exit $?"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "report not one line"
printf '%s\n' "$out" > "$TMP/o.json"
for f in o r; do
    [ "$(json $TMP/$f.json 'r["ok"] and r["ranks"] == 2 and r["threads"] == 2 and r["conns"] == 2')" = True ] ||
        fail "$f: local report $(cat $TMP/$f.json)"
    [ "$(json $TMP/$f.json '"throughput_mb_s" in r and "rtt_us" in r')" = True ] ||
        fail "$f: extras"
done
# bytes_total exact: 4 lanes, per lane and party 2B + 8 + 16n
[ "$(json $TMP/r.json 'r["bytes_total"]')" = $((4 * 2 * (2 * 1048576 + 8 + 800))) ] ||
    fail "bytes_total"

# a failed check: "ok": false on stdout, a check-failed line, exit 1
SIRNN_BENCH_NET_CORRUPT=1 "$SIRNN" bench net --bytes 1M --n 10 --threads 2 \
    --quiet >"$TMP/f.json" 2>"$TMP/f.err"
rc=$?
[ $rc -eq 1 ] || fail "corrupted run: exit $rc, want 1"
[ "$(json $TMP/f.json 'r["ok"]')" = False ] || fail "corrupted run: ok"
grep -q "check failed: lane 0: 1 corrupted" "$TMP/f.err" || fail "check message"

# usage errors: exit 2, one line "sirnn: ..."
check2() {
    "$SIRNN" "$@" >"$TMP/u.out" 2>"$TMP/u.err"
    rc=$?
    [ $rc -eq 2 ] || fail "'$*': exit $rc, want 2"
    [ "$(wc -l < "$TMP/u.err")" -ge 1 ] && grep -q '^sirnn: ' "$TMP/u.err" ||
        fail "'$*': no 'sirnn:' error line"
    [ ! -s "$TMP/u.out" ] || fail "'$*': printed on stdout"
}
check2 bench net --bogus
check2 bench net --bytes 12q
check2 bench net --threads 0
check2 bench net --bw 8                 # not a parameter of net
check2 bench nosuchop
check2 bench net --role server --connect 127.0.0.1:1
check2 bench net --role client
check2 bench net --role client --connect nohostport
check2 bench net --role sideways
check2 server
check2 client
check2 eval
check2 ulp
check2 plain
check2 quantise
check2 frobnicate
"$SIRNN" --version | grep -q '^sirnn ' || fail "--version"
# OpenMP threads wait passively unless the user chose (jobs/main.c): the
# server, waiting for a client, runs with OMP_WAIT_POLICY=passive; a preset
# policy or GOMP_SPINCOUNT is kept as given
omp_policy() {   # omp_policy ENV...: the server process's OMP_WAIT_POLICY
    local P pid v i
    P=$(free_port)
    env "$@" "$SIRNN" server --model "$MODEL_DIR" --listen 127.0.0.1:$P \
        --timeout 20 --quiet >/dev/null 2>&1 &
    pid=$!
    v=none
    for i in $(seq 50); do   # until it listens (it has re-executed by then)
        if (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null; then
            v=$(tr '\0' '\n' </proc/$pid/environ | sed -n 's/^OMP_WAIT_POLICY=//p')
            break
        fi
        sleep 0.1
    done
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    echo "${v:-unset}"
}
MODEL_DIR=$(cd "$(dirname "$0")/../../models/digits" && pwd)
[ "$(omp_policy -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT)" = passive ] || fail "default OMP_WAIT_POLICY"
[ "$(omp_policy OMP_WAIT_POLICY=active)" = active ] || fail "preset OMP_WAIT_POLICY kept"
[ "$(omp_policy -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1000)" = unset ] || fail "GOMP_SPINCOUNT respected"
"$SIRNN" bench --list | grep -q '^  net ' || fail "bench --list"
# --seed warns on stderr
"$SIRNN" bench net --bytes 1k --n 5 --seed 7 --quiet >/dev/null 2>"$TMP/s.err" ||
    fail "seeded bench"
grep -q "INSECURE" "$TMP/s.err" || fail "--seed warning"
# no server at all: the client gives up at its timeout with exit 1
P=$(free_port)
"$SIRNN" bench net --role client --connect 127.0.0.1:$P --timeout 1 \
    >/dev/null 2>"$TMP/t.err"
[ $? -eq 1 ] || fail "client without server: exit code"
grep -q "^sirnn: client: connect 127.0.0.1:$P" "$TMP/t.err" || fail "timeout message"
# demo: the secure-inference demo on a few digits samples agrees with plain
timeout 60 "$SIRNN" demo --model digits --samples 6 --quiet > "$TMP/d.out" 2>&1 \
    || fail "demo exit $?"
grep -q "secure == plain: 6/6 labels, 6/6 logit vectors bit for bit" "$TMP/d.out" \
    || fail "demo output"
# demo --model heads (reduced image): the secure detector equals its twin
timeout 120 "$SIRNN" demo --model heads --height 32 --width 24 > "$TMP/h.out" 2>&1 \
    || fail "demo heads exit $?"
grep -q "image 0: .*match yes" "$TMP/h.out" || fail "demo heads output"
echo "cli: ok"
