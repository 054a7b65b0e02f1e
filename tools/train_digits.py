#!/usr/bin/python3
"""Trains the bundled `digits` FastGRNN model (docs/models.md).

Data: scikit-learn's bundled handwritten digits (1797 images of 8x8 pixels,
values 0..16, shipped in sklearn/datasets/data/digits.csv.gz by Debian's
python3-sklearn).  Each image is read row by row: an 8-step sequence of 8
features.  A stratified 75/25 split (seed 0) gives 1347 training and 450
test images.

    /usr/bin/python3 tools/train_digits.py [--out models/digits]

Writes model.json, the weights, mean/std, X_test.npy (float32 [450,8,8],
raw pixel values), Y_test.npy (int64 [450]) and float_logits.npy (float64
[450,10], the logits of the saved float32 weights, computed in float64) and
prints the test accuracy.  Needs python3-numpy and python3-sklearn.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastgrnn_np as fg  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "models", "digits"))
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.images.astype(np.float64)          # [1797, 8, 8]: T=8 rows, D=8
    y = d.target.astype(np.int64)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, random_state=args.seed, stratify=y)
    # float32 is what the bundled X_test.npy holds: train and test on it
    Xtr = Xtr.astype(np.float32).astype(np.float64)
    Xte = Xte.astype(np.float32).astype(np.float64)

    mean = Xtr.reshape(-1, 8).mean(axis=0)
    # a floor of 1 (one sixteenth of the pixel range) keeps the edge
    # columns, almost always 0, from blowing up the folded W
    std = np.maximum(Xtr.reshape(-1, 8).std(axis=0), 1.0)
    ntr = fg.normalise(Xtr, mean, std)

    model = fg.FastGRNN(D=8, H=args.hidden, K=10, seed=args.seed)

    def log(ep, loss):
        if ep % 20 == 19 or ep == args.epochs - 1:
            acc = np.mean(np.argmax(model.forward(ntr), 1) == ytr)
            print("epoch %3d  loss %.4f  train acc %.4f" % (ep + 1, loss, acc))

    fg.train(model, ntr, ytr, epochs=args.epochs, batch=32, lr=0.01,
             seed=args.seed, log=log,
             lr_decay=lambda ep: 0.01 if ep < 30 else 0.002)

    fg.save_model(args.out, "digits", model, T=8, mean=mean, std=std)
    logits = model.forward(fg.normalise(Xte, mean, std))
    acc = np.mean(np.argmax(logits, 1) == yte)
    np.save(os.path.join(args.out, "X_test.npy"), Xte.astype(np.float32))
    np.save(os.path.join(args.out, "Y_test.npy"), yte.astype(np.int64))
    np.save(os.path.join(args.out, "float_logits.npy"), logits)
    print("test accuracy %.6f (%d/%d)" % (acc, int(np.sum(
        np.argmax(logits, 1) == yte)), len(yte)))


if __name__ == "__main__":
    main()
