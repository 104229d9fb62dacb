"""A two-layer ReLU network written the way courses write it from scratch: parameters in a dict,
weights (in, out) so that z = x @ W + b, functions rather than a class, one-hot labels, the mean
softmax cross-entropy plus an L2 penalty 0.5 * reg * (|W1|^2 + |W2|^2) inside the loss.

Check it against the torch MLP (see docs/checking_your_backprop.md):

    paritynets-check docs/examples/two_layer_net.py --reference mlp --weights in,out --labels one-hot --l2 0.005
"""

import numpy as np

REG = 0.01  # the L2 strength: the loss adds 0.5 * REG * sum(W**2), so the layout's l2 is 0.5 * REG


def init_params(n_in, n_hidden, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in),
        "b1": np.zeros(n_hidden),
        "W2": rng.standard_normal((n_hidden, n_out)) * np.sqrt(2.0 / n_hidden),
        "b2": np.zeros(n_out),
    }


def forward(params, batch):
    X, Y = batch  # X (N, D), Y (N, C) one-hot
    z1 = X @ params["W1"] + params["b1"]
    h1 = np.maximum(z1, 0)
    scores = h1 @ params["W2"] + params["b2"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = X.shape[0]
    penalty = 0.5 * REG * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    loss = -np.sum(Y * log_probs) / n + penalty
    return loss, (X, Y, params, z1, h1, np.exp(log_probs))


def backward(cache):
    X, Y, params, z1, h1, probs = cache
    n = X.shape[0]
    dscores = (probs - Y) / n
    dW2 = h1.T @ dscores + REG * params["W2"]
    db2 = dscores.sum(axis=0)
    dh1 = dscores @ params["W2"].T
    dz1 = dh1 * (z1 > 0)
    dW1 = X.T @ dz1 + REG * params["W1"]
    db1 = dz1.sum(axis=0)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return grads, {"dscores": dscores, "dh1": dh1, "dz1": dz1}


def make_batch(n=32, seed=1):
    """n digits (8 x 8 pixels in [0, 1]) with one-hot labels."""
    from numpy_impl.data import load_digits

    x, y = load_digits()
    rows = np.random.default_rng(seed).choice(len(x), size=n, replace=False)
    return x[rows].astype(np.float64), np.eye(10)[y[rows]]


params = init_params(64, 32, 10)
batch = make_batch()
