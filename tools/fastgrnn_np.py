"""FastGRNN in numpy: forward pass, BPTT gradients, Adam, and the sirnn
model-directory writer (DESIGN.md s7, docs/models.md).

Row-vector convention, as EdgeML's PyTorch FastGRNNCell:
    a_t = x_t W + h_{t-1} U          (W = W1 W2, U = U1 U2 when low-rank)
    z_t = sigmoid(a_t + b_gate),  c_t = tanh(a_t + b_update)
    h_t = z_t * h_{t-1} + (sigmoid(zeta) (1 - z_t) + sigmoid(nu)) * c_t
    logits = h_T fc_W + fc_b,  x' = (x - mean) / std before the cell.

Only numpy is needed (Debian python3-numpy); call with /usr/bin/python3.
Everything is float64 so the C float model (layers/fastgrnn_float.c)
reproduces the logits to ~1e-12.
"""
import json
import os

import numpy as np


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class FastGRNN:
    """Parameters live in self.p (a dict of float64 arrays)."""

    def __init__(self, D, H, K, rW=0, rU=0, seed=0):
        self.D, self.H, self.K, self.rW, self.rU = D, H, K, rW, rU
        rng = np.random.default_rng(seed)

        def glorot(a, b):
            return rng.normal(0.0, np.sqrt(2.0 / (a + b)), size=(a, b))

        p = {}
        if rW:
            p["W1"], p["W2"] = glorot(D, rW), glorot(rW, H)
        else:
            p["W"] = glorot(D, H)
        if rU:
            p["U1"], p["U2"] = glorot(H, rU), glorot(rU, H)
        else:
            p["U"] = glorot(H, H)
        p["b_gate"] = np.ones(H)      # EdgeML initialises both biases to 1
        p["b_update"] = np.ones(H)
        p["zeta"] = np.array(1.0)     # EdgeML zetaInit / nuInit
        p["nu"] = np.array(-4.0)
        p["fc_W"] = glorot(H, K)
        p["fc_b"] = np.zeros(K)
        self.p = p

    # -- forward ---------------------------------------------------------
    def _xw(self, x):
        p = self.p
        return x @ p["W1"] @ p["W2"] if self.rW else x @ p["W"]

    def _hu(self, h):
        p = self.p
        return h @ p["U1"] @ p["U2"] if self.rU else h @ p["U"]

    def forward(self, X, keep=False):
        """X: [B, T, D] normalised inputs. Returns logits [B, K]."""
        p = self.p
        B, T, _ = X.shape
        sz, sn = sigmoid(p["zeta"]), sigmoid(p["nu"])
        h = np.zeros((B, self.H))
        cache = []
        for t in range(T):
            a = self._xw(X[:, t, :]) + self._hu(h)
            z = sigmoid(a + p["b_gate"])
            c = np.tanh(a + p["b_update"])
            hn = z * h + (sz * (1.0 - z) + sn) * c
            if keep:
                cache.append((h, z, c))
            h = hn
        logits = h @ p["fc_W"] + p["fc_b"]
        if keep:
            self._cache = (X, cache, h)
        return logits

    # -- backward (BPTT) -------------------------------------------------
    def loss_grad(self, X, y):
        """Mean cross-entropy and its gradient w.r.t. every parameter."""
        p = self.p
        logits = self.forward(X, keep=True)
        B = X.shape[0]
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        prob = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(prob[np.arange(B), y] + 1e-300))
        dlog = prob
        dlog[np.arange(B), y] -= 1.0
        dlog /= B
        _, cache, hT = self._cache
        g = {k: np.zeros_like(v) for k, v in p.items()}
        g["fc_W"] = hT.T @ dlog
        g["fc_b"] = dlog.sum(axis=0)
        dh = dlog @ p["fc_W"].T
        sz, sn = sigmoid(p["zeta"]), sigmoid(p["nu"])
        dsz = dsn = 0.0
        for t in reversed(range(len(cache))):
            h, z, c = cache[t]
            x = X[:, t, :]
            dz = dh * (h - sz * c)
            dc = dh * (sz * (1.0 - z) + sn)
            dsz += np.sum(dh * (1.0 - z) * c)
            dsn += np.sum(dh * c)
            daz = dz * z * (1.0 - z)
            dac = dc * (1.0 - c * c)
            da = daz + dac
            g["b_gate"] += daz.sum(axis=0)
            g["b_update"] += dac.sum(axis=0)
            dhp = dh * z
            if self.rW:
                xw1 = x @ p["W1"]
                g["W2"] += xw1.T @ da
                g["W1"] += x.T @ (da @ p["W2"].T)
            else:
                g["W"] += x.T @ da
            if self.rU:
                hu1 = h @ p["U1"]
                g["U2"] += hu1.T @ da
                dhu1 = da @ p["U2"].T
                g["U1"] += h.T @ dhu1
                dhp += dhu1 @ p["U1"].T
            else:
                g["U"] += h.T @ da
                dhp += da @ p["U"].T
            dh = dhp
        g["zeta"] = np.array(dsz * sz * (1.0 - sz))
        g["nu"] = np.array(dsn * sn * (1.0 - sn))
        return loss, g


class Adam:
    def __init__(self, params, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params, grads, clip=5.0):
        self.t += 1
        norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        scale = min(1.0, clip / (norm + 1e-12))
        for k in params:
            g = grads[k] * scale
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            mh = self.m[k] / (1 - self.b1 ** self.t)
            vh = self.v[k] / (1 - self.b2 ** self.t)
            params[k] = params[k] - self.lr * mh / (np.sqrt(vh) + self.eps)


def train(model, Xtr, ytr, epochs, batch, lr, seed=0, log=None, lr_decay=None):
    rng = np.random.default_rng(seed)
    opt = Adam(model.p, lr=lr)
    n = Xtr.shape[0]
    for ep in range(epochs):
        if lr_decay:
            opt.lr = lr_decay(ep)
        perm = rng.permutation(n)
        tot = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss, g = model.loss_grad(Xtr[idx], ytr[idx])
            opt.step(model.p, g)
            tot += loss * len(idx)
        if log:
            log(ep, tot / n)


def grad_check(seed=1):
    """Finite-difference check of loss_grad (run: fastgrnn_np.py)."""
    rng = np.random.default_rng(seed)
    for rW, rU in ((0, 0), (3, 4)):
        m = FastGRNN(5, 6, 3, rW, rU, seed)
        X = rng.normal(size=(4, 3, 5))
        y = rng.integers(0, 3, size=4)
        _, g = m.loss_grad(X, y)
        worst = 0.0
        for k, v in m.p.items():
            flat = v.reshape(-1)
            for j in range(flat.size):
                old = flat[j]
                flat[j] = old + 1e-6
                m.p[k] = flat.reshape(v.shape)
                lp, _ = m.loss_grad(X, y)
                flat[j] = old - 1e-6
                lm, _ = m.loss_grad(X, y)
                flat[j] = old
                num = (lp - lm) / 2e-6
                worst = max(worst, abs(num - g[k].reshape(-1)[j]))
        print("grad check rW=%d rU=%d: max abs err %.2e" % (rW, rU, worst))
        assert worst < 1e-6


def save_model(outdir, name, model, T, mean=None, std=None, dtype=np.float32):
    """Writes model.json and one .npy per role (DESIGN.md s7).

    Weights are rounded to `dtype` first and the model keeps the rounded
    values, so the logits computed afterwards are those of the saved file.
    """
    os.makedirs(outdir, exist_ok=True)
    p = model.p
    roles = [k for k in ("W", "W1", "W2", "U", "U1", "U2", "b_gate",
                         "b_update", "fc_W", "fc_b") if k in p]
    weights = {}
    for k in roles:
        arr = p[k].astype(dtype)
        p[k] = arr.astype(np.float64)
        np.save(os.path.join(outdir, k + ".npy"), arr)
        weights[k] = k + ".npy"
    if mean is not None:
        np.save(os.path.join(outdir, "mean.npy"), mean.astype(dtype))
        np.save(os.path.join(outdir, "std.npy"), std.astype(dtype))
        weights["mean"], weights["std"] = "mean.npy", "std.npy"
    # zeta and nu as exact decimal text of the float32-rounded value
    zeta = float(np.float32(p["zeta"]))
    nu = float(np.float32(p["nu"]))
    p["zeta"], p["nu"] = np.array(zeta), np.array(nu)
    doc = {
        "format": "sirnn-model/1",
        "name": name,
        "type": "fastgrnn",
        "input_dim": model.D,
        "hidden_dim": model.H,
        "classes": model.K,
        "timesteps": T,
        "zeta": zeta,
        "nu": nu,
        "weights": weights,
    }
    with open(os.path.join(outdir, "model.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def normalise(X, mean, std):
    m = mean.astype(np.float32).astype(np.float64)
    s = std.astype(np.float32).astype(np.float64)
    return (X - m) / s


if __name__ == "__main__":
    grad_check()
