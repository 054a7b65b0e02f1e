#!/usr/bin/python3
"""tools/netem/targets.py -- check issue 9's targets against the measured data.

    targets.py DATA_DIR [OUT.md]

Reads (all written by tools/netem/scale.sh and wanfull.sh under DATA_DIR):
  scale-kwsfull.csv, scale-kwsfull-net.csv   the full-model kws WAN grid; the
        i-th row of -net.csv is the bench-net measurement taken just before
        the i-th point (same profile), so every bound uses its own link check
  kws-flights-S.txt (optional)  flight logs of kws batch 8 on wan at R = T =
        C = 1 cut to S time steps (delayproxy DELAYPROXY_BURSTS format:
        "CONN DIR BYTES" per flight), for the window prediction (FULL_STEPS,
        default 99, is the full model's step count)
  scale-sigmoid-check.csv    repeated LAN points (scale.sh check)
  kws-cpu-lanes.csv          kws batches 64 and 128 on lan at 1 and 4 lanes (CPU)
  scale-sigmoid-conns.csv    C = 1 vs 8 on lan, emulator and plain loopback
                             (tools/netem/conns.sh)
  scale-*.csv, kws*.csv      every benchmark output (the ok column)
and prints one markdown table "target | measured | verdict" (also to OUT.md)
followed by the detail tables it is computed from; writes
scale-kwsfull-bound.csv (per point: rounds and bytes terms, bound, measured)
for tools/netem/plot.sh.

Definitions (docs/benchmarks.md, "Targets"):
  * rounds = message flights on the critical lane (the report's max over
    lanes); a flight costs one one-way delay, so rounds x RTT/2 = round trips
    x RTT.  Lower bound = rounds x RTT/2 + max over directions of bytes_dir /
    bw_dir, with RTT and bw_dir (RTT removed) from the point's own bench-net
    line; on wanwin bw_dir = min(link, lanes x C x one connection's rate),
    link = the median wan link rate measured.
  * window prediction, bytes form: t_bytes(C) = bytes_dir / min(link, lanes
    x C x window/RTT); flight form: a flight of s bytes over c connections
    stalls ceil(s / (c x window)) - 1 times, each stall costs RTT - c x
    window / link (the link idles while the window waits for its ACK).
  * CPU ("measure work instead"): the verdict uses the reports'
    cpu_seconds, the CPU of the timed part (both parties), i.e. the work;
    the whole session (cpu_seconds + setup_cpu_seconds: rendezvous, lane and
    base-OT set-up, prepare) is printed beside it.  Rows of older files have
    no setup_cpu_seconds column and their cpu_seconds was the whole session:
    for them only the whole-session figure exists, and the verdict says so.
"""
import csv
import glob
import json
import math
import os
import statistics as st
import sys

WINDOW = 1048576
FRAME_MIN = 1 << 15  # engine/chan.h SR_CHAN_STRIPE_MIN: smaller messages use one connection


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def fnum(r, k):
    return float(r[k])


def cpu_pair(r):
    """(timed, whole) CPU seconds of both parties of one row; timed is None
    for rows of older files (no setup_cpu_seconds: cpu_seconds was whole)."""
    s = r.get("setup_cpu_seconds")
    if s in (None, ""):
        return None, float(r["cpu_seconds"])
    return float(r["cpu_seconds"]), float(r["cpu_seconds"]) + float(s)


def cpu_compare(name, a, b, scale, unit, target, limit=1.1):
    """One CPU target: b vs a, each a list of (timed, whole) pairs (medians
    taken); scale converts CPU seconds to the printed unit (e.g. per
    instance).  Verdict on the timed part when every row has it."""
    ta = [x[0] for x in a]
    tb = [x[0] for x in b]
    wa = st.median(x[1] for x in a) * scale
    wb = st.median(x[1] for x in b) * scale
    whole = f"whole session {wb:.2f} vs {wa:.2f} {unit} (×{wb / wa:.3f})"
    if None in ta or None in tb:
        target(f"{name} [older data: whole session only]", whole, wb / wa <= limit)
        return
    va, vb = st.median(ta) * scale, st.median(tb) * scale
    target(name, f"timed part {vb:.2f} vs {va:.2f} {unit} (×{vb / va:.3f}); {whole}",
           vb / va <= limit)


def main():
    d = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else None
    lines, detail, verdicts = [], [], []

    def target(name, measured, ok):
        verdicts.append(ok)
        lines.append(f"| {name} | {measured} | {'**pass**' if ok else '**FAIL**'} |")

    # ---- full-model kws WAN grid -------------------------------------------
    rows = load(os.path.join(d, "scale-kwsfull.csv"))
    net = load(os.path.join(d, "scale-kwsfull-net.csv"))
    assert len(rows) == len(net), "scale-kwsfull.csv and -net.csv differ in length"
    links = [min(fnum(m, "s2c_link_mb_s"), fnum(m, "c2s_link_mb_s"))
             for m in net if m["profile"] == "wan"]
    link_s2c = st.median(fnum(m, "s2c_link_mb_s") for m in net if m["profile"] == "wan") * 1e6
    link_c2s = st.median(fnum(m, "c2s_link_mb_s") for m in net if m["profile"] == "wan") * 1e6
    pts = []
    for r, m in zip(rows, net):
        assert r["profile"] == m["profile"]
        lanes = int(r["ranks"]) * int(r["threads"])
        C = int(r["conns"])
        rtt = fnum(m, "rtt_ms") / 1e3
        bw = [fnum(m, "s2c_link_mb_s") * 1e6, fnum(m, "c2s_link_mb_s") * 1e6]
        if r["profile"] == "wanwin":
            bw = [min(link_s2c, lanes * C * bw[0]), min(link_c2s, lanes * C * bw[1])]
        b = [fnum(r, "bytes_s2c"), fnum(r, "bytes_c2s")]
        t_r = fnum(r, "rounds") * rtt / 2
        t_b = max(b[0] / bw[0], b[1] / bw[1])
        p = dict(r=r, prof=r["profile"], n=int(r["n"]), R=int(r["ranks"]), T=int(r["threads"]),
                 C=C, lanes=lanes, rtt=rtt, t_r=t_r, t_b=t_b, lb=t_r + t_b,
                 secs=fnum(r, "seconds"), wall=fnum(r, "wall_seconds"),
                 cpu=fnum(r, "cpu_seconds"), cpus=cpu_pair(r), ok=r["ok"] == "1", bdir=max(b),
                 rounds=int(r["rounds"]))
        pts.append(p)

    with open(os.path.join(d, "scale-kwsfull-bound.csv"), "w") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "t_rounds", "t_bytes", "bound", "seconds", "wall_seconds"])
        for p in pts:
            w.writerow([f"{p['prof']} B={p['n']} R={p['R']} T={p['T']} C={p['C']}",
                        f"{p['t_r']:.3f}", f"{p['t_b']:.3f}", f"{p['lb']:.3f}",
                        f"{p['secs']:.3f}", f"{p['wall']:.3f}"])
    detail.append("Full-model kws on WAN: every point, its own bench-net line, the lower "
                  "bound and the ratio (inference seconds; whole run.sh call in brackets).\n")
    detail.append("| profile | batch | R | T | C | rounds | bytes max dir | RTT ms | rounds×RTT/2 s | "
                  "bytes/bw s | bound s | measured s (wall) | ratio (wall) | CPU s both: timed (whole) | ok |")
    detail.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in pts:
        detail.append(f"| {p['prof']} | {p['n']} | {p['R']} | {p['T']} | {p['C']} | {p['rounds']} | "
                      f"{p['bdir'] / 1e6:.0f} MB | {p['rtt'] * 1e3:.2f} | {p['t_r']:.1f} | "
                      f"{p['t_b']:.1f} | {p['lb']:.1f} | {p['secs']:.1f} ({p['wall']:.1f}) | "
                      f"{p['secs'] / p['lb']:.3f} ({p['wall'] / p['lb']:.3f}) | {fmt_cpu(p['cpus'])} | "
                      f"{'yes' if p['ok'] else 'NO'} |")
    detail.append("")

    b8 = [p for p in pts if p["n"] == 8]
    for prof in ("wan", "wanwin"):
        q = [p for p in b8 if p["prof"] == prof]
        if not q:
            continue
        ratios = [p["secs"] / p["lb"] for p in q]
        wr = [p["wall"] / p["lb"] for p in q]
        target(f"{prof}: kws batch 8 within 1.3× of rounds×RTT/2 + bytes/bw ({len(q)} points)",
               f"ratio {min(ratios):.3f}–{max(ratios):.3f} (whole call {min(wr):.3f}–{max(wr):.3f})",
               max(wr) <= 1.3)
    q = [p for p in pts if p["n"] == 128]
    for p in q:
        target(f"{p['prof']}: kws batch 128 (R={p['R']}, T={p['T']}, C={p['C']}) vs the same bound",
               f"ratio {p['secs'] / p['lb']:.3f} (whole call {p['wall'] / p['lb']:.3f})",
               p["wall"] / p["lb"] <= 1.3)

    # more connections never slower (kws WAN)
    for prof in ("wan", "wanwin"):
        for lanes in (1, 4):
            a = [p for p in b8 if p["prof"] == prof and p["lanes"] == lanes and p["C"] == 1]
            b = [p for p in b8 if p["prof"] == prof and p["lanes"] == lanes and p["C"] == 8]
            if a and b:
                r = b[0]["secs"] / a[0]["secs"]
                target(f"{prof}, R·T = {lanes}: C = 8 not slower than C = 1 (kws batch 8, tolerance 1 %)",
                       f"{b[0]['secs']:.1f} s vs {a[0]['secs']:.1f} s (×{r:.3f})", r <= 1.01)

    # window prediction (wanwin C = 8 vs C = 1)
    flogs = {}
    for f in glob.glob(os.path.join(d, "kws-flights-*.txt")):
        flogs[int(f.rsplit("-", 1)[1].split(".")[0])] = f
    wl = [p for p in b8 if p["prof"] == "wanwin"]
    for lanes in (1, 4):
        a = [p for p in wl if p["lanes"] == lanes and p["C"] == 1]
        b = [p for p in wl if p["lanes"] == lanes and p["C"] == 8]
        if not (a and b):
            continue
        a, b = a[0], b[0]
        rtt = a["rtt"]
        link = min(link_s2c, link_c2s)
        tb = lambda c: a["bdir"] / min(link, lanes * c * WINDOW / rtt)
        naive = tb(1) - tb(8)
        pred = f"bytes form {naive:.1f} s (t_bytes {tb(1):.1f} → {tb(8):.1f} s)"
        fpred = None
        if flogs:
            fpred = flight_prediction(flogs, lanes, rtt, link)
            pred += f"; flight form {fpred:.1f} s"
        meas = a["secs"] - b["secs"]
        ok = fpred is not None and abs(meas - fpred) <= max(0.25 * fpred, 2 * 0.01 * a["secs"])
        target(f"wanwin, R·T = {lanes}: C = 8 saves what the 1 MiB window predicts",
               f"measured {meas:.1f} s ({a['secs']:.1f} → {b['secs']:.1f} s, ×{a['secs'] / b['secs']:.3f}); "
               f"predicted {pred}", ok)

    # CPU per instance, 1 vs 4 lanes (kws)
    for prof in ("wan", "wanwin"):
        for C in (1, 8):
            a = [p for p in b8 if p["prof"] == prof and p["lanes"] == 1 and p["C"] == C]
            b = [p for p in b8 if p["prof"] == prof and p["lanes"] == 4 and p["C"] == C]
            if a and b:
                cpu_compare(f"{prof}, C = {C}: kws batch 8 CPU s per inference, 4 lanes (R=2, T=2) vs 1 (≤ 1.1×)",
                            [p["cpus"] for p in a], [p["cpus"] for p in b], 1 / 8, "s", target)

    # CPU per inference at batches where every lane has work (kws-cpu-lanes.csv:
    # lan, kws cut to a few steps, batch 64 and 128, R*T in {1, 4}, C = 1):
    # whole-session CPU at batch 128, and the marginal CPU per inference
    # (batch 64 -> 128), which leaves out per-lane and per-rank set-up
    kc = os.path.join(d, "kws-cpu-lanes.csv")
    if os.path.exists(kc):
        kws_lanes(load(kc), target, detail)

    # ---- sigmoid LAN check grid ---------------------------------------------
    chk = os.path.join(d, "scale-sigmoid-check.csv")
    if os.path.exists(chk):
        sig_checks(load(chk), target, detail)

    cc = os.path.join(d, "scale-sigmoid-conns.csv")
    if os.path.exists(cc):
        conns_checks(load(cc), target, detail)

    # ---- every benchmark output ok ------------------------------------------
    tot = bad = 0
    for f in sorted(glob.glob(os.path.join(d, "scale-*.csv")) + glob.glob(os.path.join(d, "kws*.csv"))):
        rs = load(f)
        if not rs or "ok" not in rs[0] or "profile" not in rs[0] or "ranks" not in rs[0]:
            continue
        tot += len(rs)
        bad += sum(r["ok"] != "1" for r in rs)
    target("every benchmark output ok (both reports ok; kws labels = sirnn plain)",
           f"{tot - bad} of {tot} points ok (docs/data/scale-*.csv, kws*.csv)", bad == 0 and tot > 0)

    text = ("| target | measured | verdict |\n|---|---|---|\n" + "\n".join(lines) + "\n\n" +
            "\n".join(detail) + "\n")
    print(text)
    if out:
        with open(out, "w") as fh:
            fh.write(text)


def fmt_cpu(c):
    return f"{c[1]:.2f} (whole only)" if c[0] is None else f"{c[0]:.2f} ({c[1]:.2f})"


def flight_prediction(flogs, lanes, rtt, link):
    """Seconds C = 8 saves over C = 1 on the window-limited link for the full
    model, from flight logs of runs cut to S time steps (kws-flights-S.txt):
    with two logs S1 < S2, stalls(full) = stalls(S1) + (FULL_STEPS - S1) x
    (stalls(S2) - stalls(S1)) / (S2 - S1); with one, proportional."""
    full = int(os.environ.get("FULL_STEPS", 99))
    def saved(path):
        fl = []
        with open(path) as f:
            for line in f:
                fl.append(int(line.split()[2]))
        def stalls(c):
            n = 0
            for s in fl:
                s = s / lanes  # a lane carries 1/lanes of the batch
                cc = c if s >= FRAME_MIN else 1
                n += max(0, math.ceil(s / (cc * WINDOW)) - 1)
            return n
        cost = lambda c: max(0.0, rtt - c * WINDOW / link)
        return stalls(1) * cost(1) - stalls(8) * cost(8)
    ks = sorted(flogs)
    if len(ks) == 1:
        return saved(flogs[ks[0]]) * full / ks[0]
    s1, s2 = ks[0], ks[-1]
    v1, v2 = saved(flogs[s1]), saved(flogs[s2])
    return v1 + (full - s1) * (v2 - v1) / (s2 - s1)


def conns_checks(rows, target, detail):
    """tools/netem/conns.sh: sigmoid n = 65536, C = 1 vs 8, through the lan
    emulator and on plain loopback, interleaved repetitions (medians)."""
    g = {}
    for r in rows:
        if r["ok"] == "1":
            g.setdefault((r["mode"], int(r["ranks"]), int(r["threads"]), int(r["conns"])), []).append(r)
    med = lambda k, f: st.median(float(r[f]) for r in g[k] if r[f] != "")
    detail.append("C = 1 vs C = 8, sigmoid n = 65536 on lan (tools/netem/conns.sh, "
                  "scale-sigmoid-conns.csv; medians of interleaved repetitions; CPU of both parties):\n")
    detail.append("| mode | R | T | C | runs | seconds median (min–max) | CPU s timed part | proxy CPU s |")
    detail.append("|---|---|---|---|---|---|---|---|")
    for k in sorted(g):
        sec = [float(r["seconds"]) for r in g[k]]
        px = f"{med(k, 'proxy_cpu_seconds'):.2f}" if g[k][0]["proxy_cpu_seconds"] != "" else "–"
        detail.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {len(sec)} | {st.median(sec):.3f} "
                      f"({min(sec):.3f}–{max(sec):.3f}) | {med(k, 'cpu_seconds'):.3f} | {px} |")
    detail.append("")
    for mode in ("netem", "loopback"):
        for R, T in ((1, 1), (2, 2)):
            a, b = (mode, R, T, 1), (mode, R, T, 8)
            if a in g and b in g:
                r = med(b, "seconds") / med(a, "seconds")
                where = "through the lan emulator" if mode == "netem" else "plain loopback, no emulator"
                target(f"lan sigmoid n = 65536, R = {R}, T = {T}, {where}: C = 8 not slower than C = 1 "
                       f"(medians of {len(g[a])}, tolerance 5 %)",
                       f"{med(b, 'seconds'):.3f} vs {med(a, 'seconds'):.3f} s (×{r:.3f}); "
                       f"CPU {med(b, 'cpu_seconds'):.3f} vs {med(a, 'cpu_seconds'):.3f} s", r <= 1.05)
    # CPU per instance, 1 -> 4 lanes, without the emulator (C = 1)
    one = ("loopback", 1, 1, 1)
    for R, T in ((2, 2), (4, 1), (1, 4)):
        k = ("loopback", R, T, 1)
        if one in g and k in g:
            a, b = med(one, "cpu_seconds"), med(k, "cpu_seconds")
            target(f"sigmoid n = 65536, plain loopback, no emulator: CPU per instance, 4 lanes "
                   f"(R={R}, T={T}) vs 1 (≤ 1.1×; medians of {len(g[k])})",
                   f"timed part {b / 65536 * 1e6:.2f} vs {a / 65536 * 1e6:.2f} µs (×{b / a:.3f})",
                   b / a <= 1.1)


def kws_lanes(rows, target, detail):
    """kws on lan cut to a few steps, batches 64 and 128, R*T in {1, 4},
    C = 1 (kws-cpu-lanes.csv; repeated points: medians): CPU per inference at
    batch 128, and the marginal CPU per inference (batch 64 -> 128), which
    leaves out every cost that does not grow with the batch."""
    cpu = {}
    for r in rows:
        if r["ok"] == "1":
            cpu.setdefault((int(r["n"]), int(r["ranks"]), int(r["threads"])), []).append(cpu_pair(r))
    detail.append("kws on lan, cut to 10 steps, C = 1 (kws-cpu-lanes.csv): CPU seconds of both "
                  "parties, median over repetitions.\n")
    detail.append("| batch | R | T | runs | CPU s timed part | whole session | timed ms / inference |")
    detail.append("|---|---|---|---|---|---|---|")
    for k in sorted(cpu):
        v = cpu[k]
        t = [x[0] for x in v]
        tm = "–" if None in t else f"{st.median(t):.3f}"
        tpi = "–" if None in t else f"{st.median(t) / k[0] * 1e3:.1f}"
        detail.append(f"| {k[0]} | {k[1]} | {k[2]} | {len(v)} | {tm} | {st.median(x[1] for x in v):.3f} | {tpi} |")
    detail.append("")
    for R, T in ((2, 2), (4, 1), (1, 4)):
        if (128, R, T) in cpu and (128, 1, 1) in cpu:
            cpu_compare(f"lan, kws batch 128 (10 steps): CPU per inference, R={R} T={T} vs 1 lane (≤ 1.1×)",
                        cpu[(128, 1, 1)], cpu[(128, R, T)], 1e3 / 128, "ms", target)
        if all(k in cpu for k in ((64, 1, 1), (128, 1, 1), (64, R, T), (128, R, T))):
            def marg(R, T, i):
                v = [x[i] for x in cpu[(128, R, T)]] + [x[i] for x in cpu[(64, R, T)]]
                if None in v:
                    return None
                return (st.median(x[i] for x in cpu[(128, R, T)]) -
                        st.median(x[i] for x in cpu[(64, R, T)])) / 64
            i = 0 if marg(1, 1, 0) is not None and marg(R, T, 0) is not None else 1
            a, b = marg(1, 1, i), marg(R, T, i)
            what = "timed part" if i == 0 else "whole session [older data]"
            target(f"lan, kws (10 steps): marginal CPU per inference (batch 64 → 128), "
                   f"R={R} T={T} vs 1 lane (≤ 1.1×)",
                   f"{what} {b * 1e3:.1f} vs {a * 1e3:.1f} ms (×{b / a:.3f})", b / a <= 1.1)


def sig_checks(rows, target, detail):
    """The sigmoid LAN check grid (scale.sh check, repeated points: medians):
    C = 8 vs C = 1 time at n = N; CPU per instance, 4 lanes vs 1, at every n
    with 4-lane points (N and, in newer grids, 4N); marginal CPU per
    instance N -> 2N."""
    rows = [r for r in rows if r["ok"] == "1"]
    by = {}
    for r in rows:
        k = (int(r["n"]), int(r["ranks"]), int(r["threads"]), int(r["conns"]))
        by.setdefault(k, []).append(r)
    ns = sorted({k[0] for k in by})
    N = ns[0]
    med = lambda k, f: st.median(float(r[f]) for r in by[k])
    pairs = lambda k: [cpu_pair(r) for r in by[k]]
    def medc(k, i):
        v = [x[i] for x in pairs(k)]
        return None if None in v else st.median(v)
    detail.append(f"Sigmoid LAN check grid (n = {', '.join(str(n) for n in ns)}; "
                  f"{max(len(v) for v in by.values())} repetitions a point; median, min–max; "
                  "CPU of both parties):\n")
    detail.append("| n | R | T | C | seconds median (min–max) | CPU s timed part | whole session | "
                  "timed µs / instance | whole µs / instance |")
    detail.append("|---|---|---|---|---|---|---|---|---|")
    for k in sorted(by):
        sec = [float(r["seconds"]) for r in by[k]]
        t, w = medc(k, 0), medc(k, 1)
        ts = "–" if t is None else f"{t:.3f}"
        tu = "–" if t is None else f"{t / k[0] * 1e6:.2f}"
        detail.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {st.median(sec):.3f} "
                      f"({min(sec):.3f}–{max(sec):.3f}) | {ts} | {w:.3f} | {tu} | {w / k[0] * 1e6:.2f} |")
    detail.append("")
    for R, T in ((1, 1), (2, 2), (4, 1)):
        a, b = (N, R, T, 1), (N, R, T, 8)
        if a in by and b in by:
            r = med(b, "seconds") / med(a, "seconds")
            target(f"lan sigmoid n = {N}, R = {R}, T = {T}: C = 8 not slower than C = 1 (medians, tolerance 5 %)",
                   f"{med(b, 'seconds'):.3f} vs {med(a, 'seconds'):.3f} s (×{r:.3f})", r <= 1.05)
    for n in ns:
        base = (n, 1, 1, 1)
        for R, T in ((2, 2), (4, 1), (1, 4)):
            k = (n, R, T, 1)
            if base in by and k in by:
                cpu_compare(f"lan sigmoid n = {n}: CPU per instance, 4 lanes (R={R}, T={T}) vs 1 (≤ 1.1×)",
                            pairs(base), pairs(k), 1e6 / n, "µs", target)
    if 2 * N in ns:
        N2 = 2 * N
        i = 0 if all(medc(k, 0) is not None for k in by if k[0] in (N, N2)) else 1
        what = "timed part" if i == 0 else "whole session [older data]"
        marg = {}
        for R, T in ((1, 1), (2, 1), (2, 2), (4, 1)):
            if (N, R, T, 1) in by and (N2, R, T, 1) in by:
                marg[(R, T)] = (medc((N2, R, T, 1), i) - medc((N, R, T, 1), i)) / (N2 - N)
        if (1, 1) in marg:
            for (R, T), v in marg.items():
                if R * T == 1:
                    continue
                r = v / marg[(1, 1)]
                target(f"lan sigmoid: marginal CPU per instance (n {N} → {N2}), {R * T} lanes (R={R}, T={T}) vs 1 (≤ 1.1×)",
                       f"{what} {v * 1e6:.2f} vs {marg[(1, 1)] * 1e6:.2f} µs (×{r:.3f})", r <= 1.1)


if __name__ == "__main__":
    main()
