#!/usr/bin/python3
"""Synthesises a keyword-spotting data set and trains the bundled `kws`
FastGRNN model (docs/models.md).

Shaped like the paper's Google-30 model: 99 frames x 32 log-mel features
(16 kHz audio, 25 ms windows, 10 ms hop), FastGRNN hidden 100, low-rank
W (rank 16) and U (rank 35).  Twelve classes as in Google Speech Commands
"v1-12": yes no up down left right on off stop go, _silence_ (noise only)
and _unknown_ (twenty other words).

Speech comes from espeak-ng (8 English accents x ~100 voice variants, random
speed, pitch, amplitude and word gap), resampled to 16 kHz by sox, then
shifted in time, scaled, and mixed with white/brown noise at a random SNR
(numpy).  The voice *variants* are split: test utterances come from
variants never seen in training.

    nice -n 19 /usr/bin/python3 tools/train_kws.py [--out models/kws]
        [--cache /tmp/sirnn-kws] [--per-class 800] [--epochs 40]

Stage 1 (synthesis, ~0.1 s per utterance) is cached in --cache; stage 2
trains with numpy (single thread).  Writes model.json, the weights,
mean/std, X_test.npy (float32 [200,99,32] raw log-mel features),
Y_test.npy (int64 [200]), float_logits.npy and prints accuracies.
Needs python3-numpy, espeak-ng and sox.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastgrnn_np as fg  # noqa: E402

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off",
            "stop", "go"]
UNKNOWN = ["bed", "bird", "cat", "dog", "eight", "five", "four", "happy",
           "house", "marvin", "nine", "one", "seven", "sheila", "six",
           "three", "tree", "two", "wow", "zero"]
CLASSES = KEYWORDS + ["_silence_", "_unknown_"]
ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan",
           "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]

SR = 16000
WIN, HOP, NFFT, NMEL, FRAMES = 400, 160, 512, 32, 99
CLIP = (FRAMES - 1) * HOP + WIN          # 16080 samples, about 1 s


def variants():
    out = subprocess.run(["espeak-ng", "--voices=variant"], check=True,
                         capture_output=True, text=True).stdout
    names = []
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 5:
            names.append(f[4].split("/")[-1])
    return sorted(set(names))


def synth(word, voice, speed, pitch, amp):
    """espeak-ng | sox -> float64 mono 16 kHz samples."""
    es = subprocess.Popen(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
         "-a", str(amp), "--stdout", word],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sx = subprocess.run(
        ["sox", "-q", "-t", "wav", "-", "-t", "raw", "-r", str(SR), "-c",
         "1", "-e", "signed-integer", "-b", "16", "-"],
        stdin=es.stdout, capture_output=True, check=True)
    es.stdout.close()
    es.wait()
    return np.frombuffer(sx.stdout, dtype="<i2").astype(np.float64) / 32768


def trim(a, thresh=0.01):
    idx = np.nonzero(np.abs(a) > thresh)[0]
    return a[idx[0]:idx[-1] + 1] if idx.size else a[:0]


def noise(rng, n):
    w = rng.normal(size=n)
    if rng.random() < 0.5:                  # brown-ish noise
        w = np.cumsum(w)
        w -= np.convolve(w, np.ones(401) / 401, mode="same")
    return w / (np.std(w) + 1e-12)


def make_clip(rng, speech):
    """Places speech at a random offset in a CLIP-long clip, adds noise."""
    clip = np.zeros(CLIP)
    if speech is not None and speech.size:
        s = speech[:CLIP - 800]
        off = rng.integers(0, CLIP - s.size + 1)
        clip[off:off + s.size] = s * rng.uniform(0.3, 1.0) / (
            np.max(np.abs(s)) + 1e-12)
        snr_db = rng.uniform(5, 30)
        p = np.mean(clip[off:off + s.size] ** 2)
        clip += noise(rng, CLIP) * np.sqrt(p / 10 ** (snr_db / 10))
    else:
        clip += noise(rng, CLIP) * rng.uniform(0.001, 0.1)
    return clip


def mel_filterbank():
    def hz2mel(f):
        return 2595 * np.log10(1 + f / 700)

    def mel2hz(m):
        return 700 * (10 ** (m / 2595) - 1)

    pts = mel2hz(np.linspace(hz2mel(20), hz2mel(SR / 2), NMEL + 2))
    bins = np.fft.rfftfreq(NFFT, 1 / SR)
    fb = np.zeros((NMEL, bins.size))
    for i in range(NMEL):
        lo, c, hi = pts[i], pts[i + 1], pts[i + 2]
        fb[i] = np.clip(np.minimum((bins - lo) / (c - lo),
                                   (hi - bins) / (hi - c)), 0, None)
    return fb


FB = mel_filterbank()
WINDOW = np.hamming(WIN)


def features(clip):
    """[99, 32] log-mel energies."""
    idx = np.arange(FRAMES)[:, None] * HOP + np.arange(WIN)[None, :]
    fr = clip[idx] * WINDOW
    spec = np.abs(np.fft.rfft(fr, NFFT)) ** 2
    return np.log(spec @ FB.T + 1e-6)


def synth_set(rng, voices, per_class, log):
    X = np.zeros((per_class * len(CLASSES), FRAMES, NMEL), np.float32)
    y = np.zeros(per_class * len(CLASSES), np.int64)
    k = 0
    for ci, cname in enumerate(CLASSES):
        for _ in range(per_class):
            if cname == "_silence_":
                speech = None
            else:
                word = cname if cname != "_unknown_" else \
                    UNKNOWN[rng.integers(len(UNKNOWN))]
                voice = ACCENTS[rng.integers(len(ACCENTS))] + "+" + \
                    voices[rng.integers(len(voices))]
                speech = trim(synth(word, voice, int(rng.integers(110, 230)),
                                    int(rng.integers(20, 80)),
                                    int(rng.integers(60, 160))))
            X[k] = features(make_clip(rng, speech))
            y[k] = ci
            k += 1
        log("  class %-10s done (%d clips)" % (cname, k))
    return X, y


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "models", "kws"))
    ap.add_argument("--cache", default="/tmp/sirnn-kws")
    ap.add_argument("--per-class", type=int, default=800)
    ap.add_argument("--test-per-class", type=int, default=50)
    ap.add_argument("--bundle", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    def log(msg):
        print(msg, flush=True)

    os.makedirs(args.cache, exist_ok=True)
    cache = os.path.join(args.cache, "data-%d-%d-%d.npz" % (
        args.per_class, args.test_per_class, args.seed))
    if os.path.exists(cache):
        d = np.load(cache)
        Xtr, ytr, Xte, yte = d["Xtr"], d["ytr"], d["Xte"], d["yte"]
        log("loaded %s" % cache)
    else:
        rng = np.random.default_rng(args.seed)
        vs = variants()
        rng.shuffle(vs)
        ntest = max(1, len(vs) // 6)
        test_vs, train_vs = vs[:ntest], vs[ntest:]
        log("%d voice variants: %d for training, %d held out for testing"
            % (len(vs), len(train_vs), len(test_vs)))
        log("synthesising training set")
        Xtr, ytr = synth_set(rng, train_vs, args.per_class, log)
        log("synthesising test set")
        Xte, yte = synth_set(rng, test_vs, args.test_per_class, log)
        np.savez(cache, Xtr=Xtr, ytr=ytr, Xte=Xte, yte=yte)

    Xtr64, Xte64 = Xtr.astype(np.float64), Xte.astype(np.float64)
    mean = Xtr64.reshape(-1, NMEL).mean(axis=0)
    std = Xtr64.reshape(-1, NMEL).std(axis=0) + 1e-3
    ntr = fg.normalise(Xtr64, mean, std)
    nte = fg.normalise(Xte64, mean, std)

    model = fg.FastGRNN(D=NMEL, H=100, K=len(CLASSES), rW=16, rU=35,
                        seed=args.seed)

    def eplog(ep, loss):
        acc = np.mean(np.argmax(model.forward(nte), 1) == yte)
        log("epoch %3d  loss %.4f  held-out acc %.4f" % (ep + 1, loss, acc))

    fg.train(model, ntr, ytr, epochs=args.epochs, batch=64, lr=0.005,
             seed=args.seed, log=eplog,
             lr_decay=lambda ep: 0.005 if ep < 0.75 * args.epochs
             else 0.001)

    fg.save_model(args.out, "kws", model, T=FRAMES, mean=mean, std=std)
    logits_all = model.forward(nte)
    acc_all = np.mean(np.argmax(logits_all, 1) == yte)
    # bundled test set: a fixed random subset of the held-out utterances
    sel = np.sort(np.random.default_rng(args.seed + 1).permutation(
        len(yte))[:args.bundle])
    logits = logits_all[sel]
    hits = int(np.sum(np.argmax(logits, 1) == yte[sel]))
    np.save(os.path.join(args.out, "X_test.npy"), Xte[sel])
    np.save(os.path.join(args.out, "Y_test.npy"), yte[sel])
    np.save(os.path.join(args.out, "float_logits.npy"), logits)
    with open(os.path.join(args.out, "classes.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    log("held-out accuracy %.6f (%d utterances)" % (acc_all, len(yte)))
    log("test accuracy %.6f (%d/%d, bundled X_test.npy)"
        % (hits / len(sel), hits, len(sel)))


if __name__ == "__main__":
    main()
