#!/usr/bin/env bash
# The math functions from the command line: `sirnn bench exp sigmoid tanh
# recip rsqrt div` (checked against the twin), `sirnn eval FN` (outputs
# checked against the twin by eval itself, against hand-computed values
# here, and the input rejections), `sirnn ulp FN`.  .npy files are written
# and read with the Python standard library (no numpy needed).
. "$(dirname "$0")/common.inc"

# ---- bench ops ----------------------------------------------------------
for op in exp sigmoid tanh recip rsqrt div; do
    out=$("$SIRNN" bench $op --n 3000 --threads 2 --quiet \
          --report "$TMP/b.json") || fail "bench $op: exit $?"
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "bench $op: not one line"
    [ "$(json $TMP/b.json 'r["ok"] and r["op"] == "'$op'" and r["n"] == 3000 and r["bw_in"] == 16 and r["scale_in"] == 12 and r["bw_out"] == 16 and r["scale_out"] == 12 and r["bytes_total"] > 0')" = True ] ||
        fail "bench $op: report $(cat $TMP/b.json)"
done
out=$("$SIRNN" bench sigmoid --n 500 --bw-in 12 --scale-in 8 --bw-out 9 \
      --scale-out 8 --quiet) || fail "bench sigmoid (12,8)->(9,8): exit $?"
# (32,16) -> (32,16) works with one iteration; bw_out 48 does not fit
"$SIRNN" bench recip --bw-in 32 --scale-in 16 --bw-out 48 --scale-out 16 \
    --n 10 >/dev/null 2>"$TMP/e.err"
[ $? -eq 2 ] && grep -q '^sirnn: bench: recip: formats' "$TMP/e.err" ||
    fail "bench recip 32/48: want a usage error, got $(cat $TMP/e.err)"

# ---- eval ---------------------------------------------------------------
"$SIRNN" eval --help >"$TMP/h.out" 2>&1
if grep -q "not implemented yet" "$TMP/h.out"; then
    echo "eval.sh: 'sirnn eval' is not wired into the dispatcher yet; skipping eval/ulp"
    exit 0
fi

cat >"$TMP/npy.py" <<'PY'
import struct, sys
def save(path, vals, descr='<i8', shape=None):
    shape = shape or (len(vals),)
    sh = '(' + ', '.join(str(s) for s in shape) + (',)' if len(shape) == 1 else ')')
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, sh)
    h += ' ' * (63 - (10 + len(h)) % 64) + '\n'
    code = {'<i8': 'q', '<i4': 'i', '<f8': 'd'}[descr]
    data = struct.pack('<%d%s' % (len(vals), code), *vals)
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + data)
def load(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x93NUMPY\x01\x00', 'magic'
    hl = struct.unpack('<H', b[8:10])[0]
    h = eval(b[10:10 + hl].decode())
    assert h['descr'] == '<i8' and not h['fortran_order'], h
    d = b[10 + hl:]
    return list(struct.unpack('<%dq' % (len(d) // 8), d)), tuple(h['shape'])
def main():
    if sys.argv[1] == 'save':
        descr = sys.argv[3]
        shape = tuple(int(s) for s in sys.argv[4].split('x'))
        conv = float if descr == '<f8' else int
        save(sys.argv[2], [conv(v) for v in sys.argv[5:]], descr, shape)
    else:  # check Y.npy SHAPE i=v ...: the listed outputs and the shape
        y, shape = load(sys.argv[2])
        want = tuple(int(s) for s in sys.argv[3].split('x'))
        if shape != want:
            sys.exit('shape %s, want %s' % (shape, want))
        for kv in sys.argv[4:]:
            i, v = (int(t) for t in kv.split('='))
            if y[i] != v:
                sys.exit('y[%d] = %d, want %d (y = %s)' % (i, y[i], v, y))
if __name__ == '__main__':
    main()
PY
npy() { python3 "$TMP/npy.py" "$@"; }
F="--bw-in 16 --scale-in 12 --bw-out 16 --scale-out 12"

# run_eval FN X.npy Y.npy [options]: exit 0, one line, "ok", same n
run_eval() {
    local fn=$1 x=$2 y=$3
    shift 3
    out=$("$SIRNN" eval $fn --in "$x" --out "$y" $F --quiet "$@" \
          --report "$TMP/e.json") || fail "eval $fn $x: exit $?"
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "eval $fn: not one line"
    [ "$(json $TMP/e.json 'r["ok"] and r["op"] == "'$fn'" and r["role"] == "client" and r["bytes_total"] > 0 and r["bw_out"] == 16')" = True ] ||
        fail "eval $fn: report $(cat $TMP/e.json)"
}

# Hand-computed values at (16, 12) -> (16, 12), 1.0 = 4096.
# sigmoid(0) = 1/2; sigmoid(+-8) = 4095.43 -> 4095 and 1.37 -> 1; any shape
npy save "$TMP/s.npy" '<i8' 2x3 0 32767 -32768 4096 -4096 1
run_eval sigmoid "$TMP/s.npy" "$TMP/sy.npy"
npy check "$TMP/sy.npy" 2x3 0=2048 1=4095 2=1 || fail "sigmoid values"
# tanh(0) = 0, tanh(+-8) = +-1 (exact by the tables' end segments)
npy save "$TMP/t.npy" '<i4' 4 0 32767 -32768 4096
run_eval tanh "$TMP/t.npy" "$TMP/ty.npy" --threads 2
npy check "$TMP/ty.npy" 4 0=0 1=4096 2=-4096 || fail "tanh values"
# exp(0) = 1, exp(-1/4096) = 4095.0, exp(-1) = 1506.8 -> 1507
npy save "$TMP/x.npy" '<i8' 4 0 -1 -4096 -32768
run_eval exp "$TMP/x.npy" "$TMP/xy.npy"
npy check "$TMP/xy.npy" 4 0=4096 1=4095 2=1507 || fail "exp values"
# recip: 1/1 = 1, 1/2 = 0.5, 1/4 = 0.25 (powers of two exact)
npy save "$TMP/r.npy" '<i8' 4 4096 8192 16384 3000
run_eval recip "$TMP/r.npy" "$TMP/ry.npy"
npy check "$TMP/ry.npy" 4 0=4096 1=2048 2=1024 || fail "recip values"
# rsqrt: 1/sqrt(1) = 1, 1/sqrt(4) = 0.5, 1/sqrt(1/4) = 2 (4^k exact)
npy save "$TMP/q.npy" '<i8' 1x4 4096 16384 1024 777
run_eval rsqrt "$TMP/q.npy" "$TMP/qy.npy" --threads 2
npy check "$TMP/qy.npy" 1x4 0=4096 1=2048 2=8192 || fail "rsqrt values"
# the same inputs with 1 and 2 threads give the same outputs
run_eval rsqrt "$TMP/q.npy" "$TMP/qy1.npy" --threads 1
cmp -s "$TMP/qy.npy" "$TMP/qy1.npy" || fail "rsqrt: threads change the output"

# rejections: exit 2, one line naming the file, the index and the value
reject() { # what file pattern fn
    local what=$1 x=$2 pat=$3 fn=$4
    shift 4
    rm -f "$TMP/no.npy"
    "$SIRNN" eval $fn --in "$x" --out "$TMP/no.npy" $F "$@" >"$TMP/u.out" 2>"$TMP/u.err"
    rc=$?
    [ $rc -eq 2 ] || fail "$what: exit $rc, want 2"
    [ "$(wc -l <"$TMP/u.err")" = 1 ] && grep -q "^sirnn: .*$pat" "$TMP/u.err" ||
        fail "$what: message '$(cat $TMP/u.err)', want '$pat'"
    [ ! -s "$TMP/u.out" ] || fail "$what: printed on stdout"
    [ ! -e "$TMP/no.npy" ] || fail "$what: wrote the output"
}
npy save "$TMP/bad1.npy" '<i8' 3 -5 -6 7
reject "exp of x > 0" "$TMP/bad1.npy" "bad1.npy: index 2: value 7 is outside the domain of exp" exp
npy save "$TMP/bad2.npy" '<i8' 3 4096 0 7
reject "recip of 0" "$TMP/bad2.npy" "bad2.npy: index 1: value 0 is outside the domain of recip" recip
reject "rsqrt of 0" "$TMP/s.npy" "s.npy: index 0: value 0 is outside the domain of rsqrt (x > 0)" rsqrt
npy save "$TMP/bad0.npy" '<i8' 2 4096 -1
reject "rsqrt of -1" "$TMP/bad0.npy" "bad0.npy: index 1: value -1 is outside the domain of rsqrt" rsqrt
npy save "$TMP/bad3.npy" '<i8' 2 1 32768
reject "out of range" "$TMP/bad3.npy" "bad3.npy: index 1: value 32768 is outside \[-32768, 32767\]" sigmoid
npy save "$TMP/bad4.npy" '<i8' 3 4096 65 64
reject "rsqrt result too large" "$TMP/bad4.npy" "bad4.npy: index 2: value 64: rsqrt(.*) does not fit" rsqrt
reject "exp(0) at bw_out = s_out + 1" "$TMP/x.npy" "x.npy: index 0: value 0: exp(0) does not fit the output format (13, 12)" exp --bw-out 13
npy save "$TMP/f.npy" '<f8' 2 0.5 1.0
reject "float input" "$TMP/f.npy" "f.npy" sigmoid
"$SIRNN" eval sigmoid --in "$TMP/s.npy" --out "$TMP/no.npy" $F --bogus \
    >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown option: want exit 2"
"$SIRNN" eval cosh --in "$TMP/s.npy" --out "$TMP/no.npy" $F >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown function: want exit 2"

# a wrong output: "ok": false, exit 1, no output file
rm -f "$TMP/no.npy"
SIRNN_EVAL_CORRUPT=1 "$SIRNN" eval sigmoid --in "$TMP/s.npy" \
    --out "$TMP/no.npy" $F --quiet >"$TMP/c.json" 2>"$TMP/c.err"
rc=$?
[ $rc -eq 1 ] || fail "corrupted eval: exit $rc, want 1"
[ "$(json $TMP/c.json 'r["ok"]')" = False ] || fail "corrupted eval: ok"
grep -q "check failed: y\[0\]" "$TMP/c.err" || fail "corrupted eval: message"
[ ! -e "$TMP/no.npy" ] || fail "corrupted eval wrote the output"

# explicit roles: the server knows n and the formats only
port=$(free_port)
"$SIRNN" eval sigmoid --role server --listen 127.0.0.1:$port --n 6 $F \
    --rank-ports ephemeral --quiet --timeout 20 --report "$TMP/ps.json" \
    >/dev/null 2>"$TMP/ps.err" &
spid=$!
"$SIRNN" eval sigmoid --role client --connect 127.0.0.1:$port \
    --in "$TMP/s.npy" --out "$TMP/py.npy" $F --quiet --timeout 20 \
    --report "$TMP/pc.json" >/dev/null 2>"$TMP/pc.err" ||
    fail "role client: exit $? $(cat $TMP/pc.err)"
wait $spid || fail "role server: exit $? $(cat $TMP/ps.err)"
cmp -s "$TMP/py.npy" "$TMP/sy.npy" || fail "role pair: output differs"
[ "$(json $TMP/ps.json 'r["ok"] and r["role"] == "server"')" = True ] ||
    fail "role server report $(cat $TMP/ps.json)"
[ "$(json $TMP/ps.json 'r["bytes_total"]')" = "$(json $TMP/pc.json 'r["bytes_total"]')" ] ||
    fail "role pair: bytes_total differ"
# a server expecting another n refuses the client (mismatch: exit 2)
port=$(free_port)
"$SIRNN" eval sigmoid --role server --listen 127.0.0.1:$port --n 7 $F \
    --rank-ports ephemeral --quiet --timeout 5 >/dev/null 2>&1 &
spid=$!
"$SIRNN" eval sigmoid --role client --connect 127.0.0.1:$port \
    --in "$TMP/s.npy" --out "$TMP/no.npy" $F --quiet --timeout 5 \
    >/dev/null 2>"$TMP/m.err"
rc=$?
kill $spid 2>/dev/null
wait $spid 2>/dev/null
[ $rc -eq 2 ] && grep -q "n: server 7, client 6" "$TMP/m.err" ||
    fail "n mismatch: exit $rc, $(cat $TMP/m.err)"

# TLS (PSK) on every connection: same outputs, wire bytes > payload bytes
umask 077
printf '000102030405060708090a0b0c0d0e0f\n' >"$TMP/key"
run_eval sigmoid "$TMP/s.npy" "$TMP/sty.npy" --tls-psk "$TMP/key" --threads 2
cmp -s "$TMP/sty.npy" "$TMP/sy.npy" || fail "TLS: output differs"
[ "$(json $TMP/e.json 'r["wire_bytes"] > r["bytes_total"]')" = True ] ||
    fail "TLS: wire_bytes $(cat $TMP/e.json)"
# a 0-d array and more lanes than inputs (an empty lane sends nothing)
python3 -c "
import struct, sys
h = \"{'descr': '<i8', 'fortran_order': False, 'shape': (), }\"
h += ' ' * (63 - (10 + len(h)) % 64) + '\\n'
open(sys.argv[1], 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(h)) + h.encode() + struct.pack('<q', 8192))
" "$TMP/one.npy"
run_eval recip "$TMP/one.npy" "$TMP/oney.npy" --threads 2
python3 -c "
import sys; sys.path.insert(0, sys.argv[2]); import npy
y, shape = npy.load(sys.argv[1])
sys.exit(0 if (y, shape) == ([2048], ()) else 'got %s %s' % (y, shape))
" "$TMP/oney.npy" "$TMP" || fail "0-d recip"

# ---- ulp ----------------------------------------------------------------
out=$("$SIRNN" ulp sigmoid $F) || fail "ulp: exit $?"
printf '%s\n' "$out" >"$TMP/u.json"
[ "$(json $TMP/u.json 'r["count"] == 65536 and r["max_ulp"] <= 1 and 0 < r["mean_ulp"] < 1')" = True ] ||
    fail "ulp sigmoid: $out"
out=$("$SIRNN" ulp exp $F) || fail "ulp exp: exit $?"
printf '%s\n' "$out" >"$TMP/u.json"
[ "$(json $TMP/u.json 'r["count"] == 32769')" = True ] || fail "ulp exp: $out"
"$SIRNN" ulp recip --bw-in 32 --scale-in 16 --bw-out 48 --scale-out 16 \
    >/dev/null 2>&1
[ $? -eq 2 ] || fail "ulp recip 32/48: want exit 2"
exit 0
