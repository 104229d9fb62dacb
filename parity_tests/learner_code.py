"""Learner code as courses write it, for the tests: an MLP from scratch in NumPy that uses nothing
of ``numpy_impl``, in the layout a ``Style`` names (weights (in, out) or (out, in), names W1 b1
W2 b2..., one-hot labels or class ids, the loss averaged or summed, an L2 penalty inside it), as
functions ``forward(params, batch) -> (loss, cache)`` and ``backward(cache) -> (grads,
intermediates)``, and wrapped in the object shapes the checker must take. ``slip`` puts in one
of the bugs learners write (see ``SLIPS``)."""

from dataclasses import dataclass

import numpy as np

from numpy_impl.gradcheck import Layout

SLIPS = ("no_mask", "no_n", "transpose", "no_reg", "keepdims", "label_column", "no_max_shift", "row_three")


@dataclass(frozen=True)
class Style:
    sizes: tuple = (13, 11, 5)
    activation: str = "relu"
    weights: str = "in, out"
    labels: str = "one-hot"
    loss: str = "mean"
    reg: float = 0.0  # the loss adds 0.5 * reg * sum(W**2) over the weights

    @property
    def layout(self):
        return Layout(weights=self.weights, labels=self.labels, loss=self.loss, l2=0.5 * self.reg)

    @property
    def n_layers(self):
        return len(self.sizes) - 1


def init_params(style, seed=0, zero_biases=True):
    rng = np.random.default_rng(seed)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(style.sizes[:-1], style.sizes[1:], strict=True), start=1):
        shape = (n_in, n_out) if style.weights == "in, out" else (n_out, n_in)
        params[f"W{k}"] = rng.standard_normal(shape) * np.sqrt(2.0 / n_in)
        params[f"b{k}"] = np.zeros(n_out) if zero_biases else rng.standard_normal(n_out) * 0.1
    return params


def make_batch(style, n, seed=0, zero_rows=()):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, style.sizes[0]))
    x[list(zero_rows)] = 0.0
    ids = rng.integers(0, style.sizes[-1], size=n)
    return x, (np.eye(style.sizes[-1])[ids] if style.labels == "one-hot" else ids)


ACTIVATIONS = {  # forward, and the derivative from (z, h)
    "relu": (lambda z: np.maximum(z, 0), lambda z, h: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z, h: 1 - h**2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, h: h * (1 - h)),
}


def functions(style, slip=None):
    """(forward, backward) for ``style``, with the bug ``slip`` (one of ``SLIPS``) or none."""
    act, dact = ACTIVATIONS[style.activation]
    in_out = style.weights == "in, out"

    def forward(params, batch):
        x, y = batch
        h, layers = x, []
        for k in range(1, style.n_layers + 1):
            w, b = params[f"W{k}"], params[f"b{k}"]
            z = (h @ w if in_out else h @ w.T) + b
            layers.append((h, z))
            h = z if k == style.n_layers else act(z)
        ids = np.argmax(y, axis=1) if style.labels == "one-hot" else y
        shifted = h if slip == "no_max_shift" else h - h.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        n = len(x)
        loss = -log_probs[np.arange(n), ids].sum() / (n if style.loss == "mean" else 1)
        loss += 0.5 * style.reg * sum(np.sum(params[f"W{k}"] ** 2) for k in range(1, style.n_layers + 1))
        return loss, (params, layers, np.exp(log_probs), ids, n)

    def backward(cache):
        params, layers, probs, ids, n = cache
        dz = probs.copy()
        dz[np.arange(n), (ids + 1) % probs.shape[1] if slip == "label_column" else ids] -= 1
        if style.loss == "mean" and slip != "no_n":
            dz /= n
        grads, intermediates, dh = {}, {}, None
        for k in range(style.n_layers, 0, -1):
            h, z = layers[k - 1]
            if k < style.n_layers:
                dz = dh if slip == "no_mask" else dh * dact(z, act(z))
            intermediates[f"dz{k}"] = dz
            w = params[f"W{k}"]
            dw = h.T @ dz if in_out != (slip == "transpose") else dz.T @ h
            if slip == "row_three" and k == 1:
                dw = dw.copy()
                dw[3] *= 2
            grads[f"W{k}"] = dw + style.reg * w if style.reg and slip != "no_reg" else dw
            grads[f"b{k}"] = dz.sum(axis=0, keepdims=slip == "keepdims")
            dh = dz @ w.T if in_out else dz @ w
            if k > 1:
                intermediates[f"dh{k - 1}"] = dh
        return grads, intermediates

    return forward, backward


def loss_and_grads_function(style, slip=None):
    """The same code as one function ``loss_and_grads(params, batch) -> (loss, grads)``."""
    forward, backward = functions(style, slip)

    def loss_and_grads(params, batch):
        loss, cache = forward(params, batch)
        return loss, backward(cache)[0]

    return loss_and_grads


class Minimal:
    """The README's minimal protocol: ``state_dict()`` (here the live dict) and ``loss_and_grads(batch)``."""

    def __init__(self, style, params, slip=None):
        self.params, self._code = params, loss_and_grads_function(style, slip)

    def state_dict(self):
        return self.params

    def loss_and_grads(self, batch):
        return self._code(self.params, batch)


class Copying:
    """Parameters kept as attributes (``self.W1``...); ``parameters()`` and ``state_dict()`` hand out copies."""

    def __init__(self, style, params):
        self._names, self._code = list(params), loss_and_grads_function(style)
        for name, value in params.items():
            setattr(self, name, value)

    def parameters(self):
        return {name: getattr(self, name).copy() for name in self._names}

    state_dict = parameters

    def loss_and_grads(self, batch):
        return self._code(self.parameters(), batch)


class Loading(Copying):
    """Copies out, ``load_state_dict`` in, and its arrays out of reach (a tuple of them)."""

    def __init__(self, style, params):
        self._names, self._code = list(params), loss_and_grads_function(style)
        self._arrays = tuple(np.array(v) for v in params.values())

    def parameters(self):
        return {name: value.copy() for name, value in zip(self._names, self._arrays, strict=True)}

    state_dict = parameters

    def load_state_dict(self, state):
        self._arrays = tuple(np.array(state[name]) for name in self._names)


class Sealed(Loading):
    """Copies out, and no way in: finite differences cannot move it."""

    load_state_dict = None
