#!/usr/bin/env bash
# Server R = 2, client R = 1: the client exits 2 naming the field; the
# server logs one line, keeps waiting (the refused client does not use up
# --sessions 1) and ends at its --timeout with exit 1.  Also a client that
# asks for other --threads than the server's.
. "$(dirname "$0")/common.inc"
P=$(free_port)
t0=$(date +%s)
mpi -np 2 "$SIRNN" bench net --role server \
    --listen 127.0.0.1:$P --rank-ports ephemeral --threads 2 --sessions 1 \
    --timeout 5 --bytes 1k --n 10 >"$TMP/s.out" 2>"$TMP/s.err" &
SP=$!
"$SIRNN" bench net --role client --connect 127.0.0.1:$P --bytes 1k --n 10 \
    --timeout 5 >"$TMP/c.out" 2>"$TMP/c.err"
CR=$?
mpi -np 2 "$SIRNN" bench net --role client \
    --connect 127.0.0.1:$P --bytes 2k --n 10 --timeout 5 \
    >"$TMP/c2.out" 2>"$TMP/c2.err"
CR2=$?
wait $SP
SR=$?
t1=$(date +%s)
cat "$TMP/s.err" "$TMP/c.err" "$TMP/c2.err" >&2
[ $CR -eq 2 ] || fail "client exit $CR, want 2"
grep -q "^sirnn: client: refused by server: ranks: server 2, client 1$" "$TMP/c.err" ||
    fail "client message"
[ $CR2 -eq 2 ] || fail "client 2 exit $CR2, want 2"
grep -q "bytes: server 1024, client 2048" "$TMP/c2.err" || fail "client 2 message"
[ $SR -eq 1 ] || fail "server exit $SR, want 1 (timeout)"
[ "$(grep -c 'refused client' "$TMP/s.err")" = 2 ] || fail "server log lines"
grep -q "refused client 127.0.0.1:[0-9]*: ranks: server 2, client 1" "$TMP/s.err" ||
    fail "server log text"
grep -q "no client connected within the timeout" "$TMP/s.err" ||
    fail "server timeout message"
[ $((t1 - t0)) -ge 4 ] || fail "server did not keep waiting ($((t1 - t0)) s)"
[ ! -s "$TMP/s.out" ] || fail "server printed a report"

# Client --threads different from the server's: refused, exit 2.
P=$(free_port)
"$SIRNN" bench net --role server --listen 127.0.0.1:$P --rank-ports ephemeral \
    --threads 2 --timeout 3 --bytes 1k --n 10 >/dev/null 2>"$TMP/s3.err" &
SP=$!
"$SIRNN" bench net --role client --connect 127.0.0.1:$P --threads 3 \
    --bytes 1k --n 10 --timeout 3 >/dev/null 2>"$TMP/c3.err"
CR=$?
wait $SP
[ $CR -eq 2 ] || fail "threads mismatch: client exit $CR"
grep -q "threads: server 2, client 3" "$TMP/c3.err" || fail "threads message"
grep -q "threads: server 2, client 3" "$TMP/s3.err" || fail "threads server log"
echo "net_mismatch: ok"
