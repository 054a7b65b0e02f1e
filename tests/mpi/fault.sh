#!/usr/bin/env bash
# Fault injection between two processes (bench net, a long ping phase):
#  1. the client is killed (SIGKILL) mid-protocol, TLS on, T = 2, C = 2:
#     the server ends with exit 1 and one clear line, at once (not at its
#     30 s timeout);
#  2. the server is killed mid-protocol: the client ends likewise;
#  3. the client is stopped (SIGSTOP): the server gives up at its 3 s
#     timeout (exit 1, "timed out"); the client, resumed, ends with exit 1
#     and a clear line too.
# (A reset of one of C connections is tests/test_fault.c.)
. "$(dirname "$0")/common.inc"
umask 077
printf '000102030405060708090a0b0c0d0e0f\n' >"$TMP/key"
LONG="--bytes 1k --n 1000000"

# wait_for PID SECONDS: wait until PID ends or SECONDS pass; sets RC to its
# exit code, or "hung" (and kills it).
wait_for() {
    local pid=$1 lim=$2 k=0
    while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid")" != Z ]; do
        sleep 0.1; k=$((k + 1))
        if [ $k -ge $((lim * 10)) ]; then
            kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; RC=hung; return
        fi
    done
    wait "$pid"; RC=$?
}

# --- 1. client killed --------------------------------------------------------
P=$(free_port)
"$SIRNN" bench net --role server --tls-psk "$TMP/key" --listen 127.0.0.1:$P \
    --rank-ports ephemeral --threads 2 --conns 2 $LONG --timeout 30 --quiet \
    >/dev/null 2>"$TMP/s1.err" &
SP=$!
"$SIRNN" bench net --role client --tls-psk "$TMP/key" --connect 127.0.0.1:$P \
    $LONG --timeout 30 --quiet >/dev/null 2>"$TMP/c1.err" &
CP=$!
sleep 1.5
kill -0 $SP && kill -0 $CP || fail "1: a party ended early: $(cat "$TMP"/*1.err)"
kill -9 $CP; wait $CP 2>/dev/null
t0=$(date +%s.%N)
wait_for $SP 10; SR=$RC
t1=$(date +%s.%N)
cat "$TMP/s1.err" >&2
[ "$SR" = 1 ] || fail "1: server exit $SR, want 1"
grep -Eq "^sirnn: bench: server rank 0: lane [01]: (peer closed the connection|I/O error)" \
    "$TMP/s1.err" || fail "1: server message"
[ "$(wc -l <"$TMP/s1.err")" = 1 ] || fail "1: server: not one line"
python3 -c "import sys; sys.exit(not ($t1 - $t0 < 5))" || fail "1: server took too long"

# --- 2. server killed --------------------------------------------------------
P=$(free_port)
"$SIRNN" bench net --role server --listen 127.0.0.1:$P --rank-ports ephemeral \
    --conns 2 $LONG --timeout 30 --quiet >/dev/null 2>"$TMP/s2.err" &
SP=$!
"$SIRNN" bench net --role client --connect 127.0.0.1:$P $LONG --timeout 30 \
    --quiet >/dev/null 2>"$TMP/c2.err" &
CP=$!
sleep 1.5
kill -0 $SP && kill -0 $CP || fail "2: a party ended early"
kill -9 $SP; wait $SP 2>/dev/null
t0=$(date +%s.%N)
wait_for $CP 10; CR=$RC
t1=$(date +%s.%N)
cat "$TMP/c2.err" >&2
[ "$CR" = 1 ] || fail "2: client exit $CR, want 1"
grep -Eq "^sirnn: bench: client rank 0: lane 0: (peer closed the connection|I/O error)" \
    "$TMP/c2.err" || fail "2: client message"
python3 -c "import sys; sys.exit(not ($t1 - $t0 < 5))" || fail "2: client took too long"

# --- 3. client stalled ---------------------------------------------------------
P=$(free_port)
"$SIRNN" bench net --role server --listen 127.0.0.1:$P --rank-ports ephemeral \
    --conns 2 $LONG --timeout 3 --quiet >/dev/null 2>"$TMP/s3.err" &
SP=$!
"$SIRNN" bench net --role client --connect 127.0.0.1:$P $LONG --timeout 30 \
    --quiet >/dev/null 2>"$TMP/c3.err" &
CP=$!
sleep 1.5
kill -0 $SP && kill -0 $CP || fail "3: a party ended early"
kill -STOP $CP
t0=$(date +%s.%N)
wait_for $SP 12; SR=$RC
t1=$(date +%s.%N)
kill -CONT $CP
wait_for $CP 10; CR=$RC
cat "$TMP/s3.err" "$TMP/c3.err" >&2
[ "$SR" = 1 ] || fail "3: server exit $SR, want 1"
grep -q "^sirnn: bench: server rank 0: lane 0: timed out waiting for the peer$" \
    "$TMP/s3.err" || fail "3: server message"
python3 -c "import sys; d = $t1 - $t0; sys.exit(not (2.5 < d < 8))" ||
    fail "3: server gave up after a wrong delay"
[ "$CR" = 1 ] || fail "3: client exit $CR, want 1"
grep -Eq "^sirnn: bench: client rank 0: lane 0: (peer closed the connection|I/O error)" \
    "$TMP/c3.err" || fail "3: client message"
# --- 4. no room for the report ---------------------------------------------------
# The client's file-size limit is 0 (as a full disk: writes fail): exit 1
# with one clear line, the earlier report intact and no temporary left.
P=$(free_port)
echo '{"old": true}' >"$TMP/rep.json"
"$SIRNN" bench net --role server --listen 127.0.0.1:$P --rank-ports ephemeral \
    --bytes 1k --n 10 --timeout 10 --quiet >/dev/null 2>"$TMP/s4.err" &
SP=$!
# (stderr through a pipe: a file could not take it either)
( trap '' XFSZ; ulimit -f 0; exec "$SIRNN" bench net --role client \
    --connect 127.0.0.1:$P --bytes 1k --n 10 --timeout 10 --quiet \
    --report "$TMP/rep.json" 2>&1 >/dev/null ) | cat >"$TMP/c4.err"
CR=${PIPESTATUS[0]}
wait $SP
cat "$TMP/c4.err" >&2
[ $CR -eq 1 ] || fail "4: client exit $CR, want 1"
grep -Eq "^sirnn: report: cannot write $TMP/rep.json: (File too large|No space left on device)$" \
    "$TMP/c4.err" || fail "4: client message"
[ "$(cat "$TMP/rep.json")" = '{"old": true}' ] || fail "4: old report damaged"
ls "$TMP" | grep -q 'rep.json.tmp' && fail "4: temporary left behind"
# A device that is full: written in place (never renamed over), exit 1.
"$SIRNN" bench net --bytes 1k --n 10 --quiet --report /dev/full \
    >/dev/null 2>"$TMP/f.err"
[ $? -eq 1 ] || fail "4: /dev/full: want exit 1"
grep -q "cannot write /dev/full: No space left on device" "$TMP/f.err" ||
    fail "4: /dev/full message"
[ -c /dev/full ] || fail "4: /dev/full is no longer a device"
# --- 5. a failed session does not stop the server ------------------------------
# A client that passes the hello and then vanishes (its hello recorded from
# a real client by a fake server, then replayed): the server logs one line
# for that session and serves the next client (--sessions 2), exit 1.
P=$(free_port)
Q=$(free_port)
python3 - "$Q" "$TMP/hello.bin" <<'PY' &
import socket, struct, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(1); l.settimeout(10)
c, _ = l.accept(); c.settimeout(10)
b = b""
while len(b) < 32 or len(b) < 32 + struct.unpack("<I", b[28:32])[0]:
    k = c.recv(4096)
    if not k: break
    b += k
open(sys.argv[2], "wb").write(b)
PY
FP=$!
"$SIRNN" bench net --role client --connect 127.0.0.1:$Q --bytes 1k --n 10 \
    --timeout 3 >/dev/null 2>&1
wait $FP || fail "5: could not record a hello"
"$SIRNN" bench net --role server --listen 127.0.0.1:$P --rank-ports ephemeral \
    --sessions 2 --bytes 1k --n 10 --timeout 2 --quiet \
    >"$TMP/s5.out" 2>"$TMP/s5.err" &
SP=$!
python3 - "$P" "$TMP/hello.bin" <<'PY' || fail "5: replayed hello not accepted"
import socket, sys, time
deadline = time.time() + 5
while True:
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(0.05)
c.sendall(open(sys.argv[2], "rb").read()); c.settimeout(5)
r = c.recv(20)
sys.exit(0 if r[:8] == b"SIRNNACK" and r[12:16] == b"\0\0\0\0" else 1)
PY
sleep 2.5
"$SIRNN" bench net --role client --connect 127.0.0.1:$P --bytes 1k --n 10 \
    --timeout 5 --quiet >"$TMP/c5.out" 2>"$TMP/c5.err"
CR=$?
wait_for $SP 10; SR=$RC
cat "$TMP/s5.err" "$TMP/c5.err" >&2
[ $CR -eq 0 ] || fail "5: second client exit $CR"
[ "$SR" = 1 ] || fail "5: server exit $SR, want 1 (one session failed)"
[ "$(wc -l <"$TMP/s5.err")" = 1 ] || fail "5: server: want one line"
grep -q "^sirnn: server: session 1 failed: rank 0: 0 of 1 lane connections arrived$" \
    "$TMP/s5.err" || fail "5: server message"
[ "$(wc -l <"$TMP/s5.out")" = 1 ] || fail "5: server: want one report (session 2)"
echo "fault: ok"
