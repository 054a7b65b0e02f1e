#!/usr/bin/env python3
"""RNNPool head-counting model (issue 8): numpy reference and model writer.

Run directly, writes a model with ALL weights random (deterministic, seed
below) to --out (model.json + one .npy per weight role, see
docs/heads.md), a synthetic test image X_test.npy and the numpy forward
pass of that image (float_loc.npy, float_conf.npy, float_keep.npy), which
the C float reference (layers/heads_float.c) must reproduce.  The bundled
models/heads is written by tools/heads_train.py instead (the same random
backbone, detection heads trained on synthetic images), which imports
this module.

The forward pass here follows EdgeML's PyTorch code literally (NCHW
tensors, nn.Unfold patch order, RNNPool's unbind/cat bookkeeping,
batch-norm and L2Norm unfolded), so that it is an independent check of
the C implementation (HWC, folded batch-norm and gamma).

    python3 tools/heads_np.py [--out DIR] [--height 240 --width 320]
"""
import argparse
import json
import os

import numpy as np

SEED = 20261124
STAGES = [[2, 32, 4, 1], [2, 32, 4, 1], [2, 96, 3, 2], [2, 128, 3, 1]]


def conv2d(x, w, b=None, stride=1, pad=0, groups=1):
    """x [C,H,W], w [O, C/g, k, k] -> [O, Ho, Wo] (PyTorch semantics)."""
    C, H, W = x.shape
    O, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    Ho = (H + 2 * pad - k) // stride + 1
    Wo = (W + 2 * pad - k) // stride + 1
    y = np.zeros((O, Ho, Wo))
    og = O // groups
    for g in range(groups):
        xs = xp[g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og]
        for ky in range(k):
            for kx in range(k):
                patch = xs[:, ky:ky + stride * (Ho - 1) + 1:stride,
                           kx:kx + stride * (Wo - 1) + 1:stride]
                y[g * og:(g + 1) * og] += np.einsum('oc,chw->ohw',
                                                    ws[:, :, ky, kx], patch)
    if b is not None:
        y += b[:, None, None]
    return y


def bn(x, p, eps=1e-5):
    g, beta, mean, var = p
    return (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + eps) \
        * g[:, None, None] + beta[:, None, None]


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def fastgrnn(seq, W, U, bg, bu, zeta, nu, h=None):
    """seq [T, B, D] -> final state [B, H] (row-vector x W convention)."""
    if h is None:
        h = np.zeros((seq.shape[1], W.shape[1]))
    for t in range(seq.shape[0]):
        a = seq[t] @ W + h @ U
        z = sigmoid(a + bg)
        c = np.tanh(a + bu)
        h = z * h + (sigmoid(zeta) * (1 - z) + sigmoid(nu)) * c
    return h


def rnnpool(patches, w, zn):
    """EdgeML RNNPool.forward: patches [N, C, rows, cols] -> [N, 4 h2]."""
    N = patches.shape[0]
    r1 = (w['rnn1.W'], w['rnn1.U'], w['rnn1.b_gate'], w['rnn1.b_update'],
          zn[0], zn[1])
    r2 = (w['rnn2.W'], w['rnn2.U'], w['rnn2.b_gate'], w['rnn2.b_update'],
          zn[2], zn[3])

    def bidir(states):  # states [T, N, h1]
        f = fastgrnn(states, *r2)
        b = fastgrnn(states[::-1], *r2)
        return np.concatenate([f, b], 1)

    # row_timestack = cat(unbind(inputs, dim=3), dim=0): [cols*N, C, rows]
    row_ts = np.concatenate([patches[:, :, :, j] for j in
                             range(patches.shape[3])], 0)
    seq = np.stack([row_ts[:, :, i] for i in range(row_ts.shape[2])])
    st = fastgrnn(seq, *r1)                       # [cols*N, h1]
    outputs_cols = bidir(np.stack(np.split(st, patches.shape[3], 0)))
    col_ts = np.concatenate([patches[:, :, i, :] for i in
                             range(patches.shape[2])], 0)
    seq = np.stack([col_ts[:, :, j] for j in range(col_ts.shape[2])])
    st = fastgrnn(seq, *r1)
    outputs_rows = bidir(np.stack(np.split(st, patches.shape[2], 0)))
    return np.concatenate([outputs_rows, outputs_cols], 1)


def blocks_of(stages, cin):
    out = []
    for t, c, n, s in stages:
        for i in range(n):
            out.append((cin, c, s if i == 0 else 1, t))
            cin = c
    return out


def forward(img, cfg, w):
    """img [H, W] -> loc [P, 4], conf [P, K] (EdgeML S3FD.forward)."""
    return head_outputs(backbone(img, cfg, w), cfg, w)


def backbone(img, cfg, w):
    """img [H, W] -> the sources [C_j, H_j, W_j] (L2Norm and gamma applied)."""
    x = relu6(bn(conv2d(img[None], w['conv0.weight'], stride=2, pad=1),
                 w['conv0.bn']))
    rp = cfg['rnnpool']
    P, S = rp['patch'], rp['stride']
    C, H, W = x.shape
    ox, oy = (H - P) // S + 1, (W - P) // S + 1
    # nn.Unfold order: positions row-major; each patch [C, P, P]
    patches = np.stack([x[:, i * S:i * S + P, j * S:j * S + P]
                        for i in range(ox) for j in range(oy)])
    zn = [rp['zeta1'], rp['nu1'], rp['zeta2'], rp['nu2']]
    feat = rnnpool(patches, w, zn)                 # [ox*oy, 4 h2]
    x = feat.T.reshape(-1, ox, oy)
    x = np.pad(x, ((0, 0), (0, 1), (0, 1)), mode='edge')
    sources = []
    stages = cfg['stages']
    b = 0
    for j, (t, c, n, s) in enumerate(stages):
        for i in range(n):
            inp = x
            h = x
            if t != 1:
                h = relu6(bn(conv2d(h, w['block%d.expand.weight' % b]),
                             w['block%d.expand.bn' % b]))
            hid = h.shape[0]
            h = relu6(bn(conv2d(h, w['block%d.dw.weight' % b],
                                stride=s if i == 0 else 1, pad=1,
                                groups=hid), w['block%d.dw.bn' % b]))
            h = bn(conv2d(h, w['block%d.project.weight' % b]),
                   w['block%d.project.bn' % b])
            if (s if i == 0 else 1) == 1 and inp.shape[0] == c:
                h = h + inp
            x = h
            b += 1
        if j + 1 < len(stages):
            norm = np.sqrt((x ** 2).sum(0, keepdims=True)) + 1e-10
            sources.append(w['l2norm%d.weight' % j][:, None, None] * x / norm)
        else:
            sources.append(x)
    return sources


def head_outputs(sources, cfg, w):
    locs, confs = [], []
    K = cfg['classes']
    for j, s in enumerate(sources):
        lo = conv2d(s, w['loc%d.weight' % j], w['loc%d.bias' % j], pad=1)
        co = conv2d(s, w['conf%d.weight' % j], w['conf%d.bias' % j], pad=1)
        if j == 0:
            co = np.concatenate([co[:3].max(0, keepdims=True), co[3:]], 0)
        locs.append(lo.transpose(1, 2, 0).reshape(-1, 4))
        confs.append(co.transpose(1, 2, 0).reshape(-1, K))
    shapes = [s.shape[1:] for s in sources]
    return np.concatenate(locs), np.concatenate(confs), shapes


def priors(cfg, shapes):
    """(cx, cy, w, h) per source pixel, image-relative (PriorBox)."""
    out = []
    for (h, w), a in zip(shapes, cfg['anchors']):
        for i in range(h):
            for j in range(w):
                out.append([(j + 0.5) / w, (i + 0.5) / h,
                            a / cfg['input_width'], a / cfg['input_height']])
    return np.array(out)


def detect(cfg, shapes, loc, conf, thresh=0.5, iou=0.3, max_keep=20):
    """Client post-processing, as sr_heads_detect: kept indices, boxes."""
    e = np.exp(conf - conf.max(1, keepdims=True))
    score = e[:, 1] / e.sum(1)
    p = priors(cfg, shapes)
    v0, v1 = cfg['variance']
    cxy = p[:, :2] + loc[:, :2] * v0 * p[:, 2:]
    wh = p[:, 2:] * np.exp(loc[:, 2:] * v1)
    boxes = np.concatenate([cxy - wh / 2, cxy + wh / 2], 1)
    order = sorted([i for i in range(len(score)) if score[i] > thresh],
                   key=lambda i: (-score[i], i))
    keep = []
    for i in order:
        if len(keep) == max_keep:
            break
        ok = True
        for k in keep:
            a, b = boxes[k], boxes[i]
            ix = min(a[2], b[2]) - max(a[0], b[0])
            iy = min(a[3], b[3]) - max(a[1], b[1])
            if ix > 0 and iy > 0:
                inter = ix * iy
                u = (a[2] - a[0]) * (a[3] - a[1]) + \
                    (b[2] - b[0]) * (b[3] - b[1]) - inter
                if u > 0 and inter / u > iou:
                    ok = False
                    break
        if ok:
            keep.append(i)
    return np.array(keep, dtype=np.int64), boxes, score


def random_weights(cfg, rng):
    """Random stand-in weights (He-uniform convs, BN with spread stats)."""
    w = {}
    C0 = cfg['conv0_channels']
    rp = cfg['rnnpool']
    h1, h2 = rp['hidden1'], rp['hidden2']

    def conv(name, o, c, k, gain=1.0):
        a = gain * np.sqrt(6.0 / (c * k * k))
        w[name + '.weight'] = rng.uniform(-a, a, (o, c, k, k))

    def bnp(name, o):
        w[name + '.bn'] = np.stack([rng.uniform(0.5, 1.5, o),
                                    rng.uniform(-0.2, 0.2, o),
                                    rng.uniform(-0.3, 0.3, o),
                                    rng.uniform(0.5, 2.0, o)])

    conv('conv0', C0, 1, 3)
    bnp('conv0', C0)
    for r, (i, h) in (('rnn1', (C0, h1)), ('rnn2', (h1, h2))):
        w[r + '.W'] = rng.uniform(-1, 1, (i, h)) / np.sqrt(i)
        w[r + '.U'] = rng.uniform(-1, 1, (h, h)) / np.sqrt(h)
        w[r + '.b_gate'] = rng.uniform(-0.5, 0.5, (1, h))
        w[r + '.b_update'] = rng.uniform(-0.5, 0.5, (1, h))
    cin = 4 * h2
    for b, (ci, c, s, t) in enumerate(blocks_of(cfg['stages'], cin)):
        hid = ci * t
        if t != 1:
            conv('block%d.expand' % b, hid, ci, 1)
            bnp('block%d.expand' % b, hid)
        conv('block%d.dw' % b, hid, 1, 3)
        bnp('block%d.dw' % b, hid)
        conv('block%d.project' % b, c, hid, 1, gain=0.5)
        bnp('block%d.project' % b, c)
    chans = [st[1] for st in cfg['stages']]
    K = cfg['classes']
    gammas = [10.0, 8.0, 5.0]
    for j, c in enumerate(chans):
        kc = K + 2 if j == 0 else K
        if j + 1 < len(chans):
            # EdgeML initialises the L2Norm scales to 10, 8, 5; the head
            # weights are scaled down so that gamma * head stays moderate
            w['l2norm%d.weight' % j] = np.full(c, gammas[min(j, 2)])
            g = 0.5 / gammas[min(j, 2)]
        else:
            g = 0.5
        conv('loc%d' % j, 4, c, 3, gain=g)
        conv('conf%d' % j, kc, c, 3, gain=g)
        w['loc%d.bias' % j] = rng.uniform(-0.1, 0.1, 4)
        w['conf%d.bias' % j] = rng.uniform(-0.1, 0.1, kc)
    # float32 on disk: the reference below uses the rounded values
    return {k: v.astype(np.float32) for k, v in w.items()}


def synthetic_image(H, W, rng, heads):
    """A dark noisy background with bright elliptic 'heads'; [-1, 1]."""
    yy, xx = np.mgrid[0:H, 0:W]
    img = -0.6 + 0.1 * rng.standard_normal((H, W))
    boxes = []
    for _ in range(heads):
        r = rng.uniform(6, 16)
        cy, cx = rng.uniform(r, H - r), rng.uniform(r, W - r)
        m = ((yy - cy) / r) ** 2 + ((xx - cx) / (0.8 * r)) ** 2 <= 1
        img[m] = 0.7 + 0.1 * rng.standard_normal(m.sum())
        boxes.append([cx - 0.8 * r, cy - r, cx + 0.8 * r, cy + r])
    return np.clip(img, -1, 1), np.array(boxes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='/tmp/sirnn-heads-random')
    ap.add_argument('--height', type=int, default=240)
    ap.add_argument('--width', type=int, default=320)
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    cfg = {
        'format': 'sirnn-model/1', 'name': 'heads', 'type': 'rnnpool-heads',
        'input_height': args.height, 'input_width': args.width,
        'conv0_channels': 4,
        'rnnpool': {'patch': 8, 'stride': 4, 'hidden1': 16, 'hidden2': 16,
                    'zeta1': 1.0, 'nu1': -4.0, 'zeta2': 1.0, 'nu2': -4.0},
        'stages': STAGES, 'classes': 2, 'anchors': [8, 16, 32, 48],
        'variance': [0.1, 0.2],
    }
    w = random_weights(cfg, rng)
    os.makedirs(args.out, exist_ok=True)
    cfg['weights'] = {k: k + '.npy' for k in w}
    for k, v in w.items():
        np.save(os.path.join(args.out, k + '.npy'), v)
    with open(os.path.join(args.out, 'model.json'), 'w') as f:
        json.dump(cfg, f, indent=1)
        f.write('\n')
    img, boxes = synthetic_image(args.height, args.width, rng, 7)
    img = img.astype(np.float32)
    np.save(os.path.join(args.out, 'X_test.npy'), img[None])
    np.save(os.path.join(args.out, 'boxes_test.npy'), boxes)
    wd = {k: v.astype(np.float64) for k, v in w.items()}
    for k in list(wd):
        if k.endswith('.b_gate') or k.endswith('.b_update'):
            wd[k] = wd[k].reshape(-1)
    loc, conf, shapes = forward(img.astype(np.float64), cfg, wd)
    keep, _, _ = detect(cfg, shapes, loc, conf)
    np.save(os.path.join(args.out, 'float_keep.npy'), keep)
    np.save(os.path.join(args.out, 'float_loc.npy'), np.ascontiguousarray(loc))
    np.save(os.path.join(args.out, 'float_conf.npy'), np.ascontiguousarray(conf))
    n = sum(v.size for v in w.values())
    print('%d roles, %d parameters, %d priors -> %s' %
          (len(w), n, loc.shape[0], args.out))


if __name__ == '__main__':
    main()
