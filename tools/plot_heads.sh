#!/usr/bin/env bash
# tools/plot_heads.sh [CSV] [PNG] -- the head-counting model's cost per layer
# as a bar chart: for the newest run of each (image size, R) in CSV
# (default docs/data/heads.csv, written by tools/bench_heads.sh), the
# bytes and the seconds of each layer (the client's report `layers`).
# Writes PNG (default docs/data/heads-layers.png) with gnuplot (Debian
# gnuplot-nox).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CSV=${1:-$ROOT/docs/data/heads.csv}
PNG=${2:-$ROOT/docs/data/heads-layers.png}
command -v gnuplot >/dev/null || { echo "plot_heads: no gnuplot (apt-get install -y gnuplot-nox)" >&2; exit 2; }
[ -s "$CSV" ] || { echo "plot_heads: no $CSV" >&2; exit 2; }
TMP=$(mktemp -d /tmp/sirnn-plot-heads-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# one row per (size, R), the newest: "label conv relu6 rnnpool l2norm maxout"
# for bytes (GB) and seconds
/usr/bin/python3 - "$CSV" "$TMP" <<'PY' || exit 1
import csv, sys
rows = {}
for r in csv.DictReader(open(sys.argv[1])):
    if r["threads"] != "1":
        continue
    rows[(r["size"], r["ranks"])] = r          # later rows win
names = ["heads.conv", "heads.relu6", "heads.rnnpool", "heads.l2norm", "heads.maxout"]
key = lambda k: (int(k[0].split("x")[0]), int(k[1]))
with open(sys.argv[2] + "/bytes.dat", "w") as fb, open(sys.argv[2] + "/secs.dat", "w") as fs:
    for k in sorted(rows, key=key):
        lay = {}
        for part in rows[k]["layers"].split(";"):
            n, s, b, _ = part.split(":")
            lay[n] = (float(s), int(b))
        label = '"%s R=%s"' % (k[0].replace("x", "×"), k[1])
        fb.write(label + " " + " ".join("%.4f" % (lay.get(n, (0, 0))[1] / 1e9) for n in names) + "\n")
        fs.write(label + " " + " ".join("%.3f" % lay.get(n, (0, 0))[0] for n in names) + "\n")
PY
gnuplot <<GP
set terminal pngcairo size 1100,450 font "sans,10" noenhanced
set output "$PNG"
set multiplot layout 1,2 title "Secure head counting (RNNPool CNN+RNN), one image, per layer (tools/bench_heads.sh)"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set key top left
set grid ytics
set ylabel "GB (both directions)"
set title "bytes"
plot "$TMP/bytes.dat" using 2:xtic(1) title "conv", '' using 3 title "ReLU6", \
     '' using 4 title "RNNPool", '' using 5 title "L2Norm", '' using 6 title "max-out"
set ylabel "seconds (critical lane)"
set title "time (2-core machine, loopback)"
plot "$TMP/secs.dat" using 2:xtic(1) title "conv", '' using 3 title "ReLU6", \
     '' using 4 title "RNNPool", '' using 5 title "L2Norm", '' using 6 title "max-out"
unset multiplot
GP
echo "plot_heads: $PNG"
