#!/usr/bin/env python3
"""Train the detection heads of the head-counting model on synthetic images.

A cheap stand-in for real training (numpy only, ~1 min): the backbone
(conv0, RNNPool, the 14 inverted-residual blocks) keeps its RANDOM weights
from tools/heads_np.py (same seed); only the 3x3 head convolutions are
fitted, which is convex because they are linear in the sources:
  conf: L2-regularised logistic regression (IRLS) of "prior matches a
        head" (prior box IoU > 0.35 with a planted head, plus the best
        prior of every head), written as class-1 score minus a zero
        background score;
  loc:  ridge regression of the SSD-encoded box offsets on the positives.
Images: dark noise with 3..10 bright elliptic heads (heads_np.synthetic_image).

Writes the model (random backbone + trained heads) and the bundled test
files to --out, like heads_np.py, and prints held-out detection numbers.

    python3 tools/heads_train.py [--out models/heads] [--train 48 --test 16]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads_np as hn  # noqa: E402

THRESH, IOU, MAXK = 0.5, 0.3, 50


def windows(src):
    """[C, H, W] -> [H*W, 9C + 1]: 3x3 zero-padded windows, (c, ky, kx)."""
    C, H, W = src.shape
    p = np.pad(src, ((0, 0), (1, 1), (1, 1)))
    cols = np.stack([p[:, ky:ky + H, kx:kx + W] for ky in range(3)
                     for kx in range(3)], 1)          # [C, 9, H, W]
    f = cols.reshape(C * 9, H * W).T
    return np.concatenate([f, np.ones((H * W, 1))], 1)


def iou_matrix(a, b):
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) -
                 np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) -
                 np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def targets(cfg, pri, gt, H, W):
    """labels [P] (0/1) and encoded loc targets [P, 4] of one image."""
    pb = np.concatenate([pri[:, :2] - pri[:, 2:] / 2,
                         pri[:, :2] + pri[:, 2:] / 2], 1)
    g = gt / np.array([W, H, W, H])
    m = iou_matrix(pb, g)
    best = m.argmax(1)
    lab = (m.max(1) > 0.35).astype(float)
    lab[m.argmax(0)] = 1.0
    best[m.argmax(0)] = np.arange(len(g))
    gb = g[best]
    v0, v1 = cfg['variance']
    gc = (gb[:, :2] + gb[:, 2:]) / 2
    gwh = gb[:, 2:] - gb[:, :2]
    t = np.concatenate([(gc - pri[:, :2]) / (v0 * pri[:, 2:]),
                        np.log(gwh / pri[:, 2:]) / v1], 1)
    return lab, t


def logistic(X, y, lam, iters=6):
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(X @ w)))
        g = X.T @ (p - y) + lam * w
        Hs = (X * (p * (1 - p))[:, None]).T @ X + lam * np.eye(X.shape[1])
        w -= np.linalg.solve(Hs, g)
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='models/heads')
    ap.add_argument('--train', type=int, default=48)
    ap.add_argument('--test', type=int, default=16)
    a = ap.parse_args()
    H, W = 240, 320
    rng = np.random.default_rng(hn.SEED)
    cfg = {
        'format': 'sirnn-model/1', 'name': 'heads', 'type': 'rnnpool-heads',
        'input_height': H, 'input_width': W, 'conv0_channels': 4,
        'rnnpool': {'patch': 8, 'stride': 4, 'hidden1': 16, 'hidden2': 16,
                    'zeta1': 1.0, 'nu1': -4.0, 'zeta2': 1.0, 'nu2': -4.0},
        'stages': hn.STAGES, 'classes': 2, 'anchors': [8, 16, 32, 48],
        'variance': [0.1, 0.2],
    }
    w32 = hn.random_weights(cfg, rng)
    wd = {k: v.astype(np.float64).reshape(-1) if k.endswith(('.b_gate',
          '.b_update')) else v.astype(np.float64) for k, v in w32.items()}
    drng = np.random.default_rng(hn.SEED + 1)
    data = []
    for i in range(a.train + a.test + 1):
        img, gt = hn.synthetic_image(H, W, drng, int(drng.integers(3, 11)))
        img = img.astype(np.float32).astype(np.float64)
        data.append((img, gt, hn.backbone(img, cfg, wd)))
    shapes = [s.shape[1:] for s in data[0][2]]
    pri = hn.priors(cfg, shapes)
    off = np.cumsum([0] + [h * w for h, w in shapes])
    J = len(shapes)
    for j in range(J):
        X, Y, T = [], [], []
        for img, gt, src in data[:a.train]:
            lab, t = targets(cfg, pri, gt, H, W)
            X.append(windows(src[j]))
            Y.append(lab[off[j]:off[j + 1]])
            T.append(t[off[j]:off[j + 1]])
        X, Y, T = np.concatenate(X), np.concatenate(Y), np.concatenate(T)
        C = data[0][2][j].shape[0]
        wc = logistic(X, Y, lam=1.0)
        pos = Y > 0
        if pos.sum() > 0:
            Xp = X[pos]
            wl = np.linalg.solve(Xp.T @ Xp + 1.0 * np.eye(X.shape[1]),
                                 Xp.T @ T[pos])
        else:
            wl = np.zeros((X.shape[1], 4))
        kc = 4 if j == 0 else 2
        cw = np.zeros((kc, C, 3, 3))
        cb = np.zeros(kc)
        cw[kc - 1] = wc[:-1].reshape(C, 3, 3)
        cb[kc - 1] = wc[-1]
        if j + 1 < J:  # the model multiplies the normalised source by gamma
            pass       # (already inside src): the weights act on gamma x
        w32['conf%d.weight' % j] = cw.astype(np.float32)
        w32['conf%d.bias' % j] = cb.astype(np.float32)
        w32['loc%d.weight' % j] = wl[:-1].T.reshape(4, C, 3, 3).astype(
            np.float32)
        w32['loc%d.bias' % j] = wl[-1].astype(np.float32)
        print('source %d: %d samples, %d positives' % (j, len(Y), pos.sum()))
    wd = {k: v.astype(np.float64).reshape(-1) if k.endswith(('.b_gate',
          '.b_update')) else v.astype(np.float64) for k, v in w32.items()}
    # held-out evaluation: count error and matches at IoU 0.5
    cnt_err, tp, npred, ngt = [], 0, 0, 0
    for img, gt, src in data[a.train:a.train + a.test]:
        loc, conf, _ = hn.head_outputs(src, cfg, wd)
        keep, boxes, _ = hn.detect(cfg, shapes, loc, conf, THRESH, IOU, MAXK)
        pb = boxes[keep] * [W, H, W, H]
        cnt_err.append(abs(len(keep) - len(gt)))
        npred += len(keep)
        ngt += len(gt)
        if len(keep):
            m = iou_matrix(pb, gt)
            used = set()
            for r in np.argsort(-m.max(1)):
                c = int(m[r].argmax())
                if m[r, c] >= 0.5 and c not in used:
                    used.add(c)
                    tp += 1
    print('held-out %d images: %d heads, %d detections, %d correct (IoU>=0.5)'
          ', mean |count error| %.3f, exact counts %d/%d' %
          (a.test, ngt, npred, tp, np.mean(cnt_err),
           sum(e == 0 for e in cnt_err), a.test))
    # write the model and the bundled test image (the last generated one)
    os.makedirs(a.out, exist_ok=True)
    cfg['weights'] = {k: k + '.npy' for k in w32}
    for k, v in w32.items():
        np.save(os.path.join(a.out, k + '.npy'), v)
    with open(os.path.join(a.out, 'model.json'), 'w') as f:
        json.dump(cfg, f, indent=1)
        f.write('\n')
    img, gt, _ = data[-1]
    np.save(os.path.join(a.out, 'X_test.npy'), img.astype(np.float32)[None])
    np.save(os.path.join(a.out, 'boxes_test.npy'), gt)
    # the 160x120 demo image (the default size): the crop
    # rows 5..125, columns 160..320, which holds three whole heads
    small = img.astype(np.float32)[None, 5:125, 160:320]
    np.save(os.path.join(a.out, 'X_test_160x120.npy'),
            np.ascontiguousarray(small))
    inside = (gt[:, 0] >= 160) & (gt[:, 1] >= 5) & (gt[:, 3] <= 125)
    np.save(os.path.join(a.out, 'boxes_test_160x120.npy'),
            gt[inside] - np.array([160, 5, 160, 5]))
    loc, conf, shp = hn.forward(img, cfg, wd)
    keep, _, _ = hn.detect(cfg, shp, loc, conf)
    np.save(os.path.join(a.out, 'float_loc.npy'), np.ascontiguousarray(loc))
    np.save(os.path.join(a.out, 'float_conf.npy'), np.ascontiguousarray(conf))
    np.save(os.path.join(a.out, 'float_keep.npy'), keep)
    print('bundled image: %d heads, %d detections -> %s' %
          (len(gt), len(keep), a.out))


if __name__ == '__main__':
    main()
