#!/usr/bin/python3
"""Converts the .npy files EdgeML writes for a FastGRNN into a sirnn model
directory (docs/models.md, "Bringing your own weights").

EdgeML's FastTrainer.saveParams writes W.npy (or W1.npy + W2.npy), U.npy
(or U1.npy + U2.npy), Bg.npy, Bh.npy, zeta.npy, nu.npy, FC.npy [H,K] and
FCbias.npy; its examples also save mean.npy and std.npy of the training
features.  Older EdgeML (TensorFlow, early PyTorch) keeps W as [D,H]
("xw" layout, computing x W); newer PyTorch cells keep W as [H,D] and
compute x W^T ("torch" layout).  sirnn wants the xw layout; the default
--layout auto decides from the shapes and refuses when they cannot tell.

    /usr/bin/python3 tools/edgeml_to_sirnn.py EDGEML_DIR OUT_DIR \\
        --timesteps T [--name NAME] [--layout auto|xw|torch]
        [--no-normalisation]

A PyTorch state_dict can be turned into such files first, e.g.
    for k, v in cell.state_dict().items(): np.save(k + ".npy", v.numpy())
and renamed (bias_gate -> Bg, bias_update -> Bh).  Needs python3-numpy.
"""
import argparse
import json
import os
import sys

import numpy as np


def load(d, name, required=True):
    p = os.path.join(d, name + ".npy")
    if not os.path.exists(p):
        if required:
            sys.exit("edgeml_to_sirnn: %s: missing" % p)
        return None
    return np.load(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--timesteps", type=int, required=True)
    ap.add_argument("--name", default=None)
    ap.add_argument("--layout", choices=["auto", "xw", "torch"],
                    default="auto")
    ap.add_argument("--no-normalisation", action="store_true")
    a = ap.parse_args()

    W, W1, W2 = (load(a.src, k, False) for k in ("W", "W1", "W2"))
    U, U1, U2 = (load(a.src, k, False) for k in ("U", "U1", "U2"))
    Bg, Bh = load(a.src, "Bg"), load(a.src, "Bh")
    FC, FCb = load(a.src, "FC"), load(a.src, "FCbias")
    zeta = float(np.asarray(load(a.src, "zeta")).reshape(-1)[0])
    nu = float(np.asarray(load(a.src, "nu")).reshape(-1)[0])
    mean = std = None
    if not a.no_normalisation:
        mean, std = load(a.src, "mean", False), load(a.src, "std", False)
        if (mean is None) != (std is None):
            sys.exit("edgeml_to_sirnn: need both mean.npy and std.npy")
    H, K = FC.shape
    low_w = W is None
    if low_w and (W1 is None or W2 is None):
        sys.exit("edgeml_to_sirnn: need W.npy or W1.npy + W2.npy")
    if U is None and (U1 is None or U2 is None):
        sys.exit("edgeml_to_sirnn: need U.npy or U1.npy + U2.npy")

    layout = a.layout
    if layout == "auto":
        votes = set()
        if low_w:
            if W2.shape[1] == H and W2.shape[0] != H:
                votes.add("xw")
            if W2.shape[0] == H and W2.shape[1] != H:
                votes.add("torch")
        else:
            D = mean.size if mean is not None else None
            if W.shape[1] == H and W.shape[0] != H:
                votes.add("xw")
            if W.shape[0] == H and W.shape[1] != H:
                votes.add("torch")
            if D is not None and W.shape == (D, H) and D != H:
                votes.add("xw")
        if len(votes) != 1:
            sys.exit("edgeml_to_sirnn: cannot tell the layout from the "
                     "shapes; give --layout xw or --layout torch")
        layout = votes.pop()

    def fix(m):
        return None if m is None else (m.T if layout == "torch" else m)

    W, W1, W2, U, U1, U2 = map(fix, (W, W1, W2, U, U1, U2))
    D = W.shape[0] if W is not None else W1.shape[0]
    os.makedirs(a.out, exist_ok=True)
    weights = {}
    roles = {"W": W, "W1": W1, "W2": W2, "U": U, "U1": U1, "U2": U2,
             "b_gate": Bg.reshape(-1), "b_update": Bh.reshape(-1),
             "fc_W": FC, "fc_b": FCb.reshape(-1), "mean": mean, "std": std}
    for role, arr in roles.items():
        if arr is None:
            continue
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float32)
        np.save(os.path.join(a.out, role + ".npy"), arr)
        weights[role] = role + ".npy"
    doc = {"format": "sirnn-model/1",
           "name": a.name or os.path.basename(os.path.normpath(a.out)),
           "type": "fastgrnn", "input_dim": int(D), "hidden_dim": int(H),
           "classes": int(K), "timesteps": a.timesteps, "zeta": zeta,
           "nu": nu, "weights": weights}
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("wrote %s (layout %s, D=%d H=%d K=%d)" % (a.out, layout, D, H, K))


if __name__ == "__main__":
    main()
