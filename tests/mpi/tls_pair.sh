#!/usr/bin/env bash
# TLS (PSK) between two MPI jobs, R = 2, T = 2, C = 2: `bench net` over the
# real rendezvous, hello and every lane connection under TLS 1.3.  Checks:
# "ok": true on both sides; bytes_total is the exact payload formula (TLS
# does not change it); wire_bytes - bytes_total is whole TLS records (22
# bytes each with AES-128-GCM); setup_bytes include the handshakes.  Then a
# client with the wrong key and a client without TLS are refused (exit 1,
# one server log line each) while the server keeps waiting, and the next,
# correct client gets the session (server --sessions 1 exits 0).
. "$(dirname "$0")/common.inc"
umask 077
printf '000102030405060708090a0b0c0d0e0f\n' >"$TMP/key"
printf '  F0E1D2C3B4A5968778695A4B3C2D1E0F  \n' >"$TMP/bad"
P=$(free_port)
B=1048576 N=50 LT=4
mpi -np 2 "$SIRNN" bench net --role server --tls-psk "$TMP/key" \
    --listen 127.0.0.1:$P --threads 2 --conns 2 --bytes $B --n $N \
    --timeout 30 --quiet --report "$TMP/s.json" >"$TMP/s.out" 2>"$TMP/s.err" &
SP=$!
mpi -np 2 "$SIRNN" bench net --role client --tls-psk "$TMP/key" \
    --connect 127.0.0.1:$P --bytes $B --n $N --timeout 30 --quiet \
    --report "$TMP/c.json" >"$TMP/c.out" 2>"$TMP/c.err"
CR=$?
wait $SP
SR=$?
cat "$TMP/s.err" "$TMP/c.err" >&2
[ $SR -eq 0 ] || fail "server exit $SR"
[ $CR -eq 0 ] || fail "client exit $CR"
want=$(( LT * 2 * (2 * B + 8 + 16 * N) ))
for f in s c; do
    [ "$(json $TMP/$f.json 'r["ok"]')" = True ] || fail "$f: ok is not true"
    [ "$(json $TMP/$f.json 'r["ranks"], r["threads"], r["conns"]')" = "2 2 2" ] ||
        fail "$f: wrong R/T/C"
    got=$(json $TMP/$f.json 'r["bytes_total"]')
    [ "$got" = "$want" ] || fail "$f: bytes_total $got, want $want"
    extra=$(json $TMP/$f.json 'r["wire_bytes"] - r["bytes_total"]')
    [ "$extra" -gt 0 ] && [ $((extra % 22)) -eq 0 ] ||
        fail "$f: wire_bytes - bytes_total = $extra, not whole TLS records"
    # Records carry at most 16384 bytes: at least this many on the wire.
    [ "$extra" -ge $(( 22 * LT * 2 * 2 * B / 16384 )) ] ||
        fail "$f: too few TLS records ($extra bytes of overhead)"
    # 8 lanes x C connections + 1 hello, each a full handshake (> 500 B).
    [ "$(json $TMP/$f.json 'r["setup_bytes"]')" -gt $(( (LT * 2 + 1) * 500 )) ] ||
        fail "$f: setup_bytes miss the handshakes"
done

# Refused clients (wrong key; no TLS), then a good one; --sessions 1.
P=$(free_port)
t0=$(date +%s)
"$SIRNN" bench net --role server --tls-psk "$TMP/key" --listen 127.0.0.1:$P \
    --rank-ports ephemeral --threads 2 --conns 2 --bytes 64k --n 10 \
    --timeout 20 --quiet >"$TMP/s2.out" 2>"$TMP/s2.err" &
SP=$!
"$SIRNN" bench net --role client --tls-psk "$TMP/bad" --connect 127.0.0.1:$P \
    --bytes 64k --n 10 --timeout 10 >/dev/null 2>"$TMP/c2.err"
C2=$?
"$SIRNN" bench net --role client --connect 127.0.0.1:$P \
    --bytes 64k --n 10 --timeout 10 >/dev/null 2>"$TMP/c3.err"
C3=$?
"$SIRNN" bench net --role client --tls-psk "$TMP/key" --connect 127.0.0.1:$P \
    --bytes 64k --n 10 --timeout 10 --quiet >"$TMP/c4.out" 2>"$TMP/c4.err"
C4=$?
wait $SP
SR=$?
t1=$(date +%s)
cat "$TMP/s2.err" "$TMP/c2.err" "$TMP/c3.err" "$TMP/c4.err" >&2
[ $C2 -eq 1 ] || fail "wrong-key client exit $C2, want 1"
[ "$(wc -l <"$TMP/c2.err")" = 1 ] || fail "wrong-key client: not one line"
grep -q "^sirnn: client: 127.0.0.1:$P: tls: connection 0: refused by the peer during the handshake: .*(do both parties use the same PSK?)$" \
    "$TMP/c2.err" || fail "wrong-key client message"
[ $C3 -eq 1 ] || fail "client without TLS: exit $C3, want 1"
grep -q "does the server require TLS" "$TMP/c3.err" || fail "no-TLS client message"
[ $C4 -eq 0 ] || fail "good client exit $C4"
[ $SR -eq 0 ] || fail "server exit $SR (the refused clients used up the session?)"
[ "$(grep -c 'refused client' "$TMP/s2.err")" = 2 ] || fail "server: want 2 refusal lines"
[ "$(wc -l <"$TMP/s2.err")" = 2 ] || fail "server: more than the refusal lines"
grep -q "refused client 127.0.0.1:[0-9]*: tls: connection 0: handshake failed: .*binder" \
    "$TMP/s2.err" || fail "server log text (wrong key)"
[ "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["ok"])' "$TMP/c4.out")" = True ] ||
    fail "good client report"
[ $((t1 - t0)) -lt 15 ] || fail "took $((t1 - t0)) s"

# Certificates (mutual), local mode: both parties here, ok and records.
if command -v openssl >/dev/null; then
    ( cd "$TMP" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
          -keyout ca.key -out ca.pem -days 2 -subj /CN=sirnn-test-ca &&
      for p in s c; do
          openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
              -keyout $p.key -out $p.csr -subj /CN=$p &&
          openssl x509 -req -in $p.csr -CA ca.pem -CAkey ca.key \
              -CAcreateserial -out $p.pem -days 2 || exit 1
      done ) >/dev/null 2>&1 || fail "openssl could not make certificates"
    "$SIRNN" bench net --bytes 64k --n 10 --threads 2 --conns 2 \
        --tls-cert "$TMP/s.pem" --tls-key "$TMP/s.key" --tls-ca "$TMP/ca.pem" \
        --quiet >"$TMP/l.out" 2>"$TMP/l.err" || { cat "$TMP/l.err" >&2; fail "cert mode"; }
    python3 - "$TMP/l.out" <<'PY' || fail "cert mode report"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] is True and r["wire_bytes"] > r["bytes_total"], r
assert (r["wire_bytes"] - r["bytes_total"]) % 22 == 0, r
PY
    # Only two of the three cert options: usage error.
    "$SIRNN" bench net --tls-cert "$TMP/s.pem" --tls-ca "$TMP/ca.pem" \
        >/dev/null 2>"$TMP/u.err"
    [ $? -eq 2 ] || fail "partial cert options: want exit 2"
    grep -q "go together" "$TMP/u.err" || fail "partial cert options message"
fi
# A key file readable by others: usage error before any connection.
chmod 644 "$TMP/bad"
"$SIRNN" bench net --tls-psk "$TMP/bad" >/dev/null 2>"$TMP/k.err"
[ $? -eq 2 ] || fail "world-readable key: want exit 2"
grep -q "readable by group or others; chmod 600 it" "$TMP/k.err" || fail "key mode message"
command -v openssl >/dev/null || echo "tls_pair: openssl CLI missing: certificate mode skipped" >&2
echo "tls_pair: ok ($want bytes per party)"
