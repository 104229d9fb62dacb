"""Test points: the batches and weights where hand-written backward passes break.

A classifier here is a stack of linear layers whose state dict lists (weight, bias) pairs in order,
the last pair being the output layer (``numpy_impl.LinearClassifier``, ``numpy_impl.MLP`` and their
twins); ``x`` is (N, D) float and ``y`` (N,) integer class ids (0/1 for one output).
Every function leaves the model it is given unchanged and returns (state_dict, batch) or a part.
"""

import numpy as np


def classifier_batch(n_features, n_outputs, n, *, seed=0, dtype=np.float64):
    """x ~ N(0, 1) of shape (n, n_features) in ``dtype``; y uniform over the classes (0/1 when
    there is one output)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_features)).astype(dtype)
    y = rng.integers(0, max(n_outputs, 2), size=n).astype(np.int64)
    return x, y


def after_sgd_steps(model, batch, *, steps=3, lr=0.1):
    """The state after ``steps`` plain gradient-descent steps on ``batch`` (the model is restored),
    so a check also runs away from the initial weights (non-zero biases, unequal rows). Keep it a
    few steps: once a batch is memorised (loss ~0.03), float32 gradients are differences of nearly
    equal numbers and their round-off nears the float32 tolerance (measured 5.5e-6 of max|ref|)."""
    start = model.state_dict()
    try:
        for _ in range(steps):
            _, grads = model.loss_and_grads(batch)
            state = model.state_dict()
            model.load_state_dict({name: value - lr * grads[name] for name, value in state.items()})
        return model.state_dict()
    finally:
        model.load_state_dict(start)


def huge_logit_state(model, x, *, target=1e3):
    """The model's weights with the output layer scaled so that max|logits| = ``target`` at a
    positive logit (the sign flipped if need be): exp without the max shift overflows here, and a
    naive log(sigmoid) logs 0."""
    state = model.state_dict()
    weight, bias = list(state)[-2:]
    logits = model.logits(x)
    extreme = float(logits.flat[np.argmax(np.abs(logits))])
    scale = target / extreme
    state[weight] = state[weight] * scale
    state[bias] = state[bias] * scale
    return state


def exact_zero_point(model, n, *, seed=0, zero_fraction=0.5):
    """Weights, biases and inputs on a coarse binary lattice, so every sum is exact in float32 and
    float64, in any order, in NumPy and torch alike; and hidden biases chosen so that, in one row
    per layer, a ``zero_fraction`` of the pre-activations are exactly 0. There the ReLU convention
    decides the gradient (torch: relu'(0) = 0; ``clamp`` gives 1; ``maximum(z, 0)`` gives 0.5).

    Returns (state_dict, (x, y)) in the model's dtype.
    """
    state = model.state_dict()
    names = list(state)
    dtype = state[names[0]].dtype
    n_features = state[names[0]].shape[1]
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, n_features)) / 4.0
    h = x
    pairs = list(zip(names[0::2], names[1::2], strict=True))
    for i, (weight, bias) in enumerate(pairs):
        w = rng.integers(-4, 5, size=state[weight].shape) / 8.0
        b = rng.integers(-4, 5, size=state[bias].shape) / 8.0
        z = h @ w.T
        if i < len(pairs) - 1:
            zeroed = rng.random(b.shape) < zero_fraction
            zeroed[rng.integers(b.size)] = True
            b[zeroed] = -z[i % n, zeroed]
        state[weight], state[bias] = w.astype(dtype), b.astype(dtype)
        h = np.maximum(z + b, 0.0)
    y = rng.integers(0, max(state[names[-1]].shape[0], 2), size=n).astype(np.int64)
    return state, (x.astype(dtype), y)


def id_batch(vocab_size, n, negatives, *, seed=0, distinct=None):
    """A skip-gram batch (centers (n,), contexts (n,), negatives (n, negatives)) of int64 ids,
    drawn from ``distinct`` words only (then ids repeat in the batch) or from the whole vocabulary."""
    rng = np.random.default_rng(seed)
    words = rng.choice(vocab_size, size=distinct, replace=False) if distinct else np.arange(vocab_size)
    centers, contexts = rng.choice(words, size=n), rng.choice(words, size=n)
    return (
        centers.astype(np.int64),
        contexts.astype(np.int64),
        rng.choice(words, size=(n, negatives)).astype(np.int64),
    )


def random_state(model, *, seed=0, scale=0.5):
    """The model's state with every parameter N(0, scale^2): non-zero biases, and output vectors
    that are not zero (skip-gram's output table starts at 0, where its input gradient vanishes)."""
    rng = np.random.default_rng(seed)
    return {k: (rng.standard_normal(v.shape) * scale).astype(v.dtype) for k, v in model.state_dict().items()}
