#!/usr/bin/env bash
# Secure rnnpool-heads inference end to end (docs/heads.md s10): two MPI
# jobs (server and client), R = 2 ranks, T = 2 threads, C = 2 connections,
# on the bundled heads model with B = 3 crops of 32 x 48 pixels (each
# around a head) of models/heads/X_test.npy; every image runs on all
# R x T lanes of each party.
#  1. the client's CSV (index,pred,boxes) equals `sirnn plain --output`
#     byte for byte, and both reports are sane (ok, the heads.* layers,
#     whose bytes add up to bytes_total; the reveal's bytes as documented);
#  2. an image larger than the model card's input is refused with the
#     field named on both sides: the client exits 2, the server logs one
#     line and serves the next (good) client.
. "$(dirname "$0")/common.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M=$ROOT/models/heads
[ -f "$M/model.json" ] || fail "no $M"
python3 - "$M/X_test.npy" "$TMP" <<'PY' || fail "cannot make inputs"
import struct, sys
raw = open(sys.argv[1], 'rb').read()
hl = struct.unpack('<H', raw[8:10])[0]
hdr = raw[10:10 + hl].decode('latin1')
assert "'<f4'" in hdr, hdr
shape = [int(t) for t in hdr.split('(')[1].split(')')[0].split(',') if t.strip()]
H0, W0 = shape[1], shape[2]
data = raw[10 + hl:]
def save(path, descr, shape, body):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ', '.join(str(s) for s in shape) + (',' if len(shape) == 1 else ''))
    h += ' ' * (63 - (10 + len(h)) % 64) + '\n'
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) +
                           h.encode('latin1') + body)
H, W = 32, 48
out = bytearray()
for (y0, x0) in [(95, 262), (50, 12), (180, 125)]:   # one head in each
    for y in range(H):
        a = 4 * ((y0 + y) * W0 + x0)
        out += data[a:a + 4 * W]
save(sys.argv[2] + '/X.npy', '<f4', (3, H, W), bytes(out))
save(sys.argv[2] + '/Y.npy', '<i8', (3,), struct.pack('<3q', 1, 1, 1))
save(sys.argv[2] + '/Xbig.npy', '<f4', (1, 300, 48), bytes(4 * 300 * 48))
PY

P=$(free_port)
# each mpirun under timeout (generous guards: an ASan build on a loaded
# machine is many times slower; the normal run takes ~30 s), with its own
# session directory (common.inc)
tmpi() {
    local t=$1
    shift
    timeout "$t" env OMPI_MCA_orte_tmpdir_base="$(mktemp -d "$TMP/ompi-XXXXXX")" \
        mpirun --bind-to none "$@"
}
tmpi 420 -np 2 "$SIRNN" server --model "$M" --listen 127.0.0.1:$P --threads 2 \
    --conns 2 --timeout 120 --quiet --report "$TMP/s.json" \
    >"$TMP/s.out" 2>"$TMP/s.err" &
SP=$!
# the refused client first: exit 2, the field named
tmpi 120 -np 2 "$SIRNN" client --connect 127.0.0.1:$P --input "$TMP/Xbig.npy" \
    --threads 2 --conns 2 --timeout 40 --quiet >"$TMP/bad.out" 2>"$TMP/bad.err"
BR=$?
# then a good one (--reveal logits: accepted; loc and conf are revealed)
tmpi 400 -np 2 "$SIRNN" client --connect 127.0.0.1:$P --input "$TMP/X.npy" \
    --labels "$TMP/Y.npy" --reveal logits --output "$TMP/secure.csv" \
    --threads 2 --conns 2 --timeout 120 --quiet --report "$TMP/c.json" \
    >"$TMP/c.out" 2>"$TMP/c.err"
CR=$?
wait $SP
SR=$?
check_refused $BR $CR $SR "height: model card at most 240, client input 300"

"$SIRNN" plain --model "$M" --input "$TMP/X.npy" --output "$TMP/plain.csv" ||
    fail "plain failed"
cmp "$TMP/secure.csv" "$TMP/plain.csv" || fail "secure CSV != plain CSV"
[ "$(head -1 "$TMP/secure.csv")" = "index,pred,boxes" ] || fail "CSV header"
[ "$(wc -l <"$TMP/secure.csv")" = 4 ] || fail "CSV rows"
[ "$(cut -d, -f2 "$TMP/secure.csv" | tail -n +2 | tr '\n' ' ')" = "1 1 1 " ] ||
    fail "head counts: $(cat "$TMP/secure.csv")"

for f in s c; do
    [ "$(json $TMP/$f.json 'r["ranks"], r["threads"], r["conns"], r["ok"]')" = "2 2 2 True" ] ||
        fail "$f: wrong R/T/C/ok"
    [ "$(json $TMP/$f.json 'r["model"], r["batch"], r["n"], len(r["per_rank"])')" = "heads 3 3 2" ] ||
        fail "$f: model/batch/per_rank"
    [ "$(json $TMP/$f.json 'r["bw_in"], r["scale_in"], r["bw_out"], r["scale_out"]')" = "16 14 16 10" ] ||
        fail "$f: formats"
    [ "$(json $TMP/$f.json '[l["name"] for l in r["layers"]]')" = \
      "['heads.conv', 'heads.relu6', 'heads.rnnpool', 'heads.l2norm', 'heads.maxout', 'heads.reveal']" ] ||
        fail "$f: layers"
    [ "$(json $TMP/$f.json 'r["bytes_total"] == r["bytes_sent"] + r["bytes_received"] > 0')" = True ] ||
        fail "$f: bytes"
    [ "$(json $TMP/$f.json 'sum(l["bytes_total"] for l in r["layers"]) == r["bytes_total"]')" = True ] ||
        fail "$f: layer bytes do not add up to bytes_total"
    # 60 priors x (4 + 2) x 2 bytes per 32 x 48 image, one flight each
    [ "$(json $TMP/$f.json '[(l["bytes_total"], l["rounds"]) for l in r["layers"] if l["name"] == "heads.reveal"]')" = "[(2160, 3)]" ] ||
        fail "$f: reveal bytes"
    [ "$(json $TMP/$f.json 'all(p["peak_rss_mb"] > 0 for p in r["per_rank"])')" = True ] ||
        fail "$f: per_rank peak_rss_mb"
done
[ "$(json $TMP/s.json 'r["bytes_sent"]')" = "$(json $TMP/c.json 'r["bytes_received"]')" ] ||
    fail "server sent != client received"
[ "$(json $TMP/s.json '"accuracy" in r')" = False ] || fail "server has accuracy"
[ "$(json $TMP/c.json 'r["accuracy"]["secure"]')" = 1.0 ] || fail "client accuracy"
echo "heads: ok (secure CSV == plain on 3 crops 32x48, R=2 T=2 C=2; too-large image refused)"
