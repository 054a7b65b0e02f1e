#!/usr/bin/env python3
"""Draw the bundled test image with its detected boxes: docs/heads_example.svg.

Reads models/heads/X_test.npy (the image), boxes_test.npy (the planted
'heads'), float_loc.npy / float_conf.npy (the model's outputs, numpy
reference) and runs the client's post-processing (tools/heads_np.detect,
which tests/test_heads.c checks index for index against the C
sr_heads_detect).  The bundled model has a random backbone and heads
trained on synthetic images (tools/heads_train.py).

    python3 tools/heads_svg.py [--model models/heads] [--out docs/heads_example.svg]
"""
import argparse
import base64
import json
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads_np  # noqa: E402


def png_gray(img):
    """8-bit grayscale PNG bytes of img [H, W] in [0, 255]."""
    h, w = img.shape
    raw = b''.join(b'\x00' + bytes(row) for row in img.astype(np.uint8))

    def chunk(t, d):
        c = struct.pack('>I', len(d)) + t + d
        return c + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' +
            chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='models/heads')
    ap.add_argument('--out', default='docs/heads_example.svg')
    ap.add_argument('--thresh', type=float, default=0.5)
    ap.add_argument('--iou', type=float, default=0.3)
    ap.add_argument('--max', type=int, default=20)
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(a.model, 'model.json')))
    img = np.load(os.path.join(a.model, 'X_test.npy'))[0]
    gt = np.load(os.path.join(a.model, 'boxes_test.npy'))
    loc = np.load(os.path.join(a.model, 'float_loc.npy'))
    conf = np.load(os.path.join(a.model, 'float_conf.npy'))
    H, W = img.shape
    # source shapes from the prior count: as the C model derives them
    h0, w0 = (H - 1) // 2 + 1, (W - 1) // 2 + 1
    rp = cfg['rnnpool']
    h = (h0 - rp['patch']) // rp['stride'] + 2
    w = (w0 - rp['patch']) // rp['stride'] + 2
    shapes = []
    for t, c, n, s in cfg['stages']:
        if s == 2:
            h, w = (h - 1) // 2 + 1, (w - 1) // 2 + 1
        shapes.append((h, w))
    assert sum(x * y for x, y in shapes) == loc.shape[0]
    keep, boxes, score = heads_np.detect(cfg, shapes, loc, conf, a.thresh,
                                         a.iou, a.max)
    pix = np.clip((img + 1) * 127.5, 0, 255)
    b64 = base64.b64encode(png_gray(pix)).decode()
    s = 2  # display scale
    out = ['<svg xmlns="http://www.w3.org/2000/svg" '
           'xmlns:xlink="http://www.w3.org/1999/xlink" width="%d" '
           'height="%d" font-family="sans-serif" font-size="10">'
           % (W * s, H * s + 36),
           '<image width="%d" height="%d" xlink:href="data:image/png;base64,'
           '%s"/>' % (W * s, H * s, b64)]
    for x1, y1, x2, y2 in gt:
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                   'fill="none" stroke="#2a2" stroke-width="2" '
                   'stroke-dasharray="4 3"/>'
                   % (x1 * s, y1 * s, (x2 - x1) * s, (y2 - y1) * s))
    for i in keep:
        x1, y1, x2, y2 = boxes[i] * [W, H, W, H]
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                   'fill="none" stroke="#e33" stroke-width="1.5"/>'
                   % (x1 * s, y1 * s, (x2 - x1) * s, (y2 - y1) * s))
        out.append('<text x="%.1f" y="%.1f" fill="#e33">%.2f</text>'
                   % (x1 * s + 2, y1 * s + 10, score[i]))
    out.append('<text x="4" y="%d">green dashed: the %d planted heads; red: '
               'the %d detections (score &gt; %.2f, NMS IoU %.2f, top %d)</text>'
               % (H * s + 14, len(gt), len(keep), a.thresh, a.iou, a.max))
    out.append('<text x="4" y="%d">count = %d (random backbone, heads '
               'trained on synthetic images; docs/heads.md)</text>'
               % (H * s + 28, len(keep)))
    out.append('</svg>')
    with open(a.out, 'w') as f:
        f.write('\n'.join(out) + '\n')
    print('%s: %d detections' % (a.out, len(keep)))


if __name__ == '__main__':
    main()
