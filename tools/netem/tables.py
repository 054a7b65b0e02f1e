#!/usr/bin/python3
"""tools/netem/tables.py -- markdown tables of a scaling study for docs/benchmarks.md.

    tables.py docs/data/scale-OP.csv [N]

One table per profile: rows (R, T), columns C, cells "op seconds (CPU seconds
of both parties)", plus rounds and bytes per direction, at n = N (default:
the n with the most points).  Points whose check failed are marked FAILED.
"""
import collections
import csv
import sys


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    if not rows:
        sys.exit("tables.py: no rows")
    n = sys.argv[2] if len(sys.argv) > 2 else \
        collections.Counter(r["n"] for r in rows).most_common(1)[0][0]
    for prof in ["lan", "wan", "wanwin"]:
        pts = [r for r in rows if r["profile"] == prof and r["n"] == n]
        if not pts:
            continue
        Cs = sorted({int(r["conns"]) for r in pts})
        RTs = sorted({(int(r["ranks"]), int(r["threads"])) for r in pts})
        print(f"*{prof}* (n = {n})\n")
        print("| R | T | " + " | ".join(f"C = {c}" for c in Cs) +
              " | rounds | bytes s→c / c→s |")
        print("|---|---|" + "---|" * len(Cs) + "---|---|")
        for R, T in RTs:
            cells, extra = [], ""
            for c in Cs:
                m = [r for r in pts if (int(r["ranks"]), int(r["threads"]), int(r["conns"])) == (R, T, c)]
                if not m:
                    cells.append("–")
                    continue
                r = m[-1]
                s = f"{float(r['seconds']):.3f} ({float(r['cpu_seconds']):.2f})"
                cells.append(s if r["ok"] == "1" else s + " FAILED")
                extra = (f"{r['rounds']} | {int(r['bytes_s2c']) / 1e6:.1f} / "
                         f"{int(r['bytes_c2s']) / 1e6:.1f} MB")
            print(f"| {R} | {T} | " + " | ".join(cells) + f" | {extra} |")
        print()


if __name__ == "__main__":
    main()
