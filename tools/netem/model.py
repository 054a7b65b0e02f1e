#!/usr/bin/python3
"""tools/netem/model.py -- cost model for the scaling study (tools/netem/scale.sh).

    model.py SCALE.csv NET.csv OUTPREFIX

Fits, from the measured points (one op):
  * CPU:    cpu_seconds (both parties; the timed part since 4e51eb4, the whole
            session in older files) = a*n + b*lanes + c,
            lanes = R*T (least squares over the lan points); a = CPU per instance.
  * bytes:  bytes_total / n per point (exact protocol counts; reported).
  * rounds: as measured (max over lanes; depends on the lane count only).
and predicts the op's wall time (`seconds`, the timed phase) as

  analytic:  t = rounds * RTT/2 + bytes_dir / rate_eff + a*n / cores
  fitted:    t = k_r * rounds * RTT/2 + k_b * bytes_dir / rate_eff + k_c * a*n / cores

A round is one message flight (DESIGN.md s3), so it costs one one-way
latency, RTT/2 (rounds * RTT would count every flight twice).
RTT = the RTT measured by `bench net` on that profile, bytes_dir = the larger
of the two directions, rate_eff = min(link rate, lanes * C * window / RTT) (the
window term only for window-limited profiles), cores = SCALE_CORES (default:
this machine's).  Only the per-instance CPU a*n enters the op time: b*lanes + c
is set-up (base OTs, rendezvous) and the check, outside the timed phase.  The
fitted k >= 0 come from least squares over all points;
the leave-one-profile-out error (fit on the other profiles, predict this one)
is reported beside the in-sample one, so the error stated is honest.

Writes OUTPREFIX.json (coefficients, errors), OUTPREFIX.csv (every point with
both predictions) and OUTPREFIX.md (markdown tables for docs/benchmarks.md).
"""
import csv
import json
import os
import sys

import numpy as np


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def nnls(A, y):
    """Least squares with k >= 0 (drop negative columns, refit)."""
    cols = list(range(A.shape[1]))
    while True:
        k, *_ = np.linalg.lstsq(A[:, cols], y, rcond=None)
        if (k >= 0).all() or len(cols) == 1:
            out = np.zeros(A.shape[1])
            out[cols] = np.maximum(k, 0)
            return out
        cols.pop(int(np.argmin(k)))


def errors(pred, meas):
    rel = np.abs(pred - meas) / meas
    return {"mean_pct": float(100 * rel.mean()), "median_pct": float(100 * np.median(rel)),
            "max_pct": float(100 * rel.max()), "points": int(len(rel))}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: model.py SCALE.csv NET.csv OUTPREFIX")
    rows = [r for r in load(sys.argv[1]) if r["ok"] == "1"]
    net = {r["profile"]: r for r in load(sys.argv[2])}
    out = sys.argv[3]
    cores = float(os.environ.get("SCALE_CORES", os.cpu_count() or 1))
    if not rows:
        sys.exit("model.py: no successful points")
    f = lambda k: np.array([float(r[k]) for r in rows])
    prof = [r["profile"] for r in rows]
    n, R, T, C = f("n"), f("ranks"), f("threads"), f("conns")
    lanes = R * T
    secs, cpu, rounds = f("seconds"), f("cpu_seconds"), f("rounds")
    bdir = np.maximum(f("bytes_s2c"), f("bytes_c2s"))

    # CPU fit on the lan points (the other profiles only add waiting).
    lan = np.array([p == "lan" for p in prof])
    fit_rows = lan if lan.sum() >= 3 else np.ones(len(rows), bool)
    A = np.stack([n, lanes, np.ones_like(n)], axis=1)
    (a, b, c), *_ = np.linalg.lstsq(A[fit_rows], cpu[fit_rows], rcond=None)
    cpu_op = a * n

    rtt = np.array([float(net[p]["rtt_ms"]) / 1e3 if p in net else
                    float("nan") for p in prof])
    rate = np.array([float(net[p]["rate_mb_s_requested"]) * 1e6 for p in prof])
    win = np.array([float(net[p]["window_bytes"]) for p in prof])
    rate_eff = np.where(win > 0, np.minimum(rate, lanes * C * win / np.maximum(rtt, 1e-9)),
                        rate)
    X = np.stack([rounds * rtt / 2, bdir / rate_eff, cpu_op / cores], axis=1)
    pred_a = X.sum(axis=1)
    k = nnls(X, secs)
    pred_f = X @ k

    res = {"op": rows[0]["op"], "cores": cores,
           "cpu_fit": {"a_us_per_instance": a * 1e6, "b_s_per_lane": b, "c_s": c},
           "bytes_per_instance": sorted({round(float(r["bytes_total"]) / float(r["n"]), 2)
                                         for r in rows}),
           "rounds_by_lanes": {str(int(l)): sorted({int(x) for x, m in zip(rounds, lanes) if m == l})
                               for l in sorted(set(lanes))},
           "k_fitted": {"rounds": k[0], "bytes": k[1], "cpu": k[2]},
           "error": {}}
    profiles = sorted(set(prof), key=["lan", "wan", "wanwin"].index
                      if set(prof) <= {"lan", "wan", "wanwin"} else str)
    pred_o = np.full(len(rows), np.nan)
    for p in profiles:
        m = np.array([q == p for q in prof])
        if (~m).sum() >= 3:
            pred_o[m] = X[m] @ nnls(X[~m], secs[~m])
        res["error"][p] = {"analytic": errors(pred_a[m], secs[m]),
                           "fitted": errors(pred_f[m], secs[m]),
                           "leave_profile_out": errors(pred_o[m], secs[m])
                           if not np.isnan(pred_o[m]).any() else None}
    res["error"]["all"] = {"analytic": errors(pred_a, secs), "fitted": errors(pred_f, secs)}

    with open(out + ".json", "w") as fh:
        json.dump(res, fh, indent=1)
    with open(out + ".csv", "w") as fh:
        w = csv.writer(fh)
        w.writerow(["profile", "n", "ranks", "threads", "conns", "seconds", "pred_analytic",
                    "pred_fitted", "pred_leave_profile_out", "t_rounds", "t_bytes", "t_cpu"])
        for i, r in enumerate(rows):
            w.writerow([prof[i], int(n[i]), int(R[i]), int(T[i]), int(C[i]), f"{secs[i]:.6f}",
                        f"{pred_a[i]:.6f}", f"{pred_f[i]:.6f}", f"{pred_o[i]:.6f}",
                        f"{X[i, 0]:.6f}", f"{X[i, 1]:.6f}", f"{X[i, 2]:.6f}"])
    with open(out + ".md", "w") as fh:
        fh.write(f"CPU fit (lan points): cpu_seconds = {a * 1e6:.3f} µs × n + "
                 f"{b * 1e3:.1f} ms × lanes + {c * 1e3:.1f} ms; cores = {cores:g}; "
                 f"fitted k: rounds {k[0]:.2f}, bytes {k[1]:.2f}, cpu {k[2]:.2f}.\n\n")
        fh.write("| profile | points | analytic mean / max error | fitted mean / max | "
                 "leave-profile-out mean / max |\n|---|---|---|---|---|\n")
        for p in profiles + ["all"]:
            e = res["error"][p]
            lo = e.get("leave_profile_out")
            lo_s = f"{lo['mean_pct']:.0f} % / {lo['max_pct']:.0f} %" if lo else "–"
            fh.write(f"| {p} | {e['analytic']['points']} | {e['analytic']['mean_pct']:.0f} % / "
                     f"{e['analytic']['max_pct']:.0f} % | {e['fitted']['mean_pct']:.0f} % / "
                     f"{e['fitted']['max_pct']:.0f} % | {lo_s} |\n")
        if len(rows) <= 20:  # small studies: the error of every point
            fh.write("\n| profile | n | R | T | C | measured s | analytic s (error) | "
                     "fitted s (error) | leave-profile-out s (error) |\n"
                     "|---|---|---|---|---|---|---|---|---|\n")
            pct = lambda p, m: f"{p:.2f} ({100 * (p - m) / m:+.1f} %)" if p == p else "–"
            for i in range(len(rows)):
                fh.write(f"| {prof[i]} | {int(n[i])} | {int(R[i])} | {int(T[i])} | {int(C[i])} | "
                         f"{secs[i]:.2f} | {pct(pred_a[i], secs[i])} | {pct(pred_f[i], secs[i])} | "
                         f"{pct(pred_o[i], secs[i])} |\n")
    print(open(out + ".md").read())


if __name__ == "__main__":
    main()
