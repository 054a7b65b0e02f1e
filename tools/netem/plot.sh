#!/usr/bin/env bash
# tools/netem/plot.sh DIR OP -- PNG plots of the scaling study from
# DIR/scale-OP.csv and DIR/scale-OP-model.csv (written by scale.sh/model.py):
#   DIR/scale-OP-lan.png    lan: op seconds and CPU seconds vs C, one line per (R, T)
#   DIR/scale-OP-wan.png    wan and wanwin: op seconds vs C, one line per (R, T)
#   DIR/scale-OP-model.png  predicted vs measured seconds (every point)
#   DIR/scale-OP-bound.png  if DIR/scale-OP-bound.csv exists (targets.py):
#                           measured seconds vs the lower bound per point
set -u
DIR=$1 OP=$2
CSV=$DIR/scale-$OP.csv MOD=$DIR/scale-$OP-model.csv
[ -f "$CSV" ] || { echo "plot: no $CSV" >&2; exit 1; }
TMP=$(mktemp -d /tmp/sirnn-plot-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# the main n: the most common one on lan (or anywhere if there is no lan point)
N=$(awk -F, 'NR > 1 { a[$3]++; if ($1 == "lan") c[$3]++ }
    END { m = 0; for (k in c) if (c[k] > m) { m = c[k]; n = k }
          if (n == "") for (k in a) if (a[k] > m) { m = a[k]; n = k }; print n }' "$CSV")

# series PROFILE R T > file: "C seconds cpu" rows at the main n
series() {
    awk -F, -v p="$1" -v r="$2" -v t="$3" -v n="$N" \
        'NR > 1 && $1 == p && $4 == r && $5 == t && $3 == n && $17 == 1 { print $6, $7, $10 }' "$CSV" |
        sort -n
}

lines() {   # lines PROFILE COLUMN: gnuplot plot clauses for every (R, T) present
    local prof=$1 col=$2 sep="" R T f
    for R in 1 2 4; do for T in 1 2; do
        f=$TMP/$prof-$R-$T.dat
        series "$prof" "$R" "$T" >"$f"
        [ -s "$f" ] || continue
        printf '%s"%s" using 1:%s with linespoints lw 2 title "R=%s T=%s"' "$sep" "$f" "$col" "$R" "$T"
        sep=", "
    done; done
}

common='set terminal pngcairo size 1100,450 font ",10"
set logscale x 2
set xlabel "connections per lane (C)"
set grid
set key top left'

if grep -q '^lan,' "$CSV"; then
    gnuplot <<EOF
$common
set output "$DIR/scale-$OP-lan.png"
set multiplot layout 1,2 title "bench $OP, n = $N, LAN profile (377 MB/s, 0.8 ms RTT), 2 shared cores"
set ylabel "op seconds"
set yrange [0:*]
plot $(lines lan 2)
set ylabel "CPU seconds (both parties, session)"
plot $(lines lan 3)
unset multiplot
EOF
fi

if grep -q '^wan' "$CSV"; then
    plots=()
    for p in wan wanwin; do
        grep -q "^$p," "$CSV" && plots+=("$p")
    done
    {
        echo "$common"
        echo "set output \"$DIR/scale-$OP-wan.png\""
        echo "set multiplot layout 1,${#plots[@]} title \"bench $OP, n = $N: WAN (40 MB/s, 80 ms RTT) and window-limited WAN (1 MiB window)\""
        echo "set ylabel \"op seconds\""
        echo "set yrange [0:*]"
        echo "set key top right"
        for p in "${plots[@]}"; do
            echo "set title \"$p\""
            echo "plot $(lines "$p" 2)"
        done
        echo "unset multiplot"
    } | gnuplot
fi

if [ -f "$MOD" ]; then
    for p in lan wan wanwin; do
        awk -F, -v p="$p" 'NR > 1 && $1 == p { print $6, $7, $8 }' "$MOD" >"$TMP/m-$p.dat"
    done
    gnuplot <<EOF
set terminal pngcairo size 700,600 font ",10"
set output "$DIR/scale-$OP-model.png"
set title "cost model: predicted vs measured op seconds (bench $OP)"
set logscale xy
set xlabel "measured seconds"
set ylabel "predicted seconds"
set grid
set key top left
set size square
plot x with lines lc rgb "gray" title "y = x", \
     "$TMP/m-lan.dat" using 1:2 with points pt 7 lc 1 title "lan, analytic", \
     "$TMP/m-wan.dat" using 1:2 with points pt 7 lc 2 title "wan, analytic", \
     "$TMP/m-wanwin.dat" using 1:2 with points pt 7 lc 3 title "wanwin, analytic", \
     "$TMP/m-lan.dat" using 1:3 with points pt 6 lc 1 title "lan, fitted", \
     "$TMP/m-wan.dat" using 1:3 with points pt 6 lc 2 title "wan, fitted", \
     "$TMP/m-wanwin.dat" using 1:3 with points pt 6 lc 3 title "wanwin, fitted"
EOF
fi

BOUND=$DIR/scale-$OP-bound.csv
if [ -f "$BOUND" ]; then
    awk -F, 'NR > 1 { print "\"" $1 "\"", $2, $3, $5 }' "$BOUND" >"$TMP/bound.dat"
    gnuplot <<EOF
set terminal pngcairo size 1200,520 font ",10"
set output "$DIR/scale-$OP-bound.png"
set title "kws, all 99 steps, emulated WAN: measured inference seconds vs the bound rounds x RTT/2 + bytes / bandwidth"
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.5
set ylabel "seconds"
set yrange [0:*]
set grid ytics
set key top left
set xtics rotate by -30 font ",8"
plot "$TMP/bound.dat" using 2:xtic(1) title "bound: rounds x RTT/2" lc rgb "#4477aa", \
     "" using 3 title "bound: bytes / bandwidth" lc rgb "#88ccee", \
     "" using 0:4 with points pt 7 ps 1.5 lc rgb "#cc3311" title "measured"
EOF
fi
