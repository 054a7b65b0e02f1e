#!/usr/bin/env bash
# Secure inference over TLS (PSK) across ranks and connections: server and
# client with R = 2, T = 2, C = 2 agree with `sirnn plain` bit for bit; a
# client with the wrong key is refused (client exit 1, one server log line)
# and the server goes on to serve the good client.
. "$(dirname "$0")/common.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M=$ROOT/models/digits
[ -f "$M/model.json" ] || fail "no $M"
printf '%s\n' 00112233445566778899aabbccddeeff > "$TMP/k.psk"
printf '%s\n' ffeeddccbbaa99887766554433221100 > "$TMP/bad.psk"
chmod 600 "$TMP/k.psk" "$TMP/bad.psk"

P=$(free_port)
mpi -np 2 "$SIRNN" server --model "$M" --listen 127.0.0.1:$P --threads 2 \
    --conns 2 --tls-psk "$TMP/k.psk" --timeout 30 --quiet \
    >"$TMP/s.out" 2>"$TMP/s.err" &
SP=$!
mpi -np 2 "$SIRNN" client --connect 127.0.0.1:$P --input "$M/X_test.npy" \
    --threads 2 --conns 2 --tls-psk "$TMP/bad.psk" --timeout 30 --quiet \
    >"$TMP/bad.out" 2>"$TMP/bad.err"
BR=$?
mpi -np 2 "$SIRNN" client --connect 127.0.0.1:$P --input "$M/X_test.npy" \
    --threads 2 --conns 2 --tls-psk "$TMP/k.psk" --reveal logits \
    --output "$TMP/secure.csv" --timeout 30 --quiet --report "$TMP/c.json" \
    >"$TMP/c.out" 2>"$TMP/c.err"
CR=$?
wait $SP
SR=$?
cat "$TMP/s.err" "$TMP/bad.err" "$TMP/c.err" >&2
[ $BR -eq 1 ] || fail "wrong-key client exit $BR, want 1"
grep -q '^sirnn: client: .*tls' "$TMP/bad.err" || fail "wrong-key client message"
[ "$(grep -c 'refused client' "$TMP/s.err")" = 1 ] || fail "server: not one refusal line"
[ $CR -eq 0 ] || fail "client exit $CR"
[ $SR -eq 0 ] || fail "server exit $SR"
"$SIRNN" plain --model "$M" --input "$M/X_test.npy" --output "$TMP/plain.csv" ||
    fail "plain failed"
cmp "$TMP/secure.csv" "$TMP/plain.csv" || fail "secure CSV != plain CSV over TLS"
[ "$(json "$TMP/c.json" 'r["wire_bytes"] > r["bytes_total"]')" = True ] ||
    fail "wire_bytes does not include the TLS records"
echo "infer_tls: ok (R=2 T=2 C=2 over TLS == plain; wrong key refused)"
