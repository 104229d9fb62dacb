"""Operations, each written once: the forward value and, right beside it, its backward.

Every function returns ``(out, backward)``. ``backward(dout)`` maps the gradient of the loss with
respect to ``out`` to the gradients with respect to the inputs, in argument order (parameters
included). Models compose these and never re-derive a gradient themselves.

Shapes: batches are row-major, ``x`` is (N, D); weights use torch's layout, (out, in).
Models look operations up on this module at call time (``ops.relu``), so a test can swap one.
"""

from contextlib import contextmanager

import numpy as np

from .checks import one_of

REDUCTIONS = ("mean", "sum")  # as torch's losses: the mean over the items, or their sum

_kink_log = None  # a list while record_kinks() is active


def linear(x, weight, bias):
    """z = x @ weight.T + bias: (N, in), (out, in), (out,) -> (N, out)."""
    z = x @ weight.T + bias

    def backward(dz):
        dx = dz @ weight  # (N, in)
        dweight = dz.T @ x  # (out, in)
        dbias = dz.sum(axis=0)  # (out,)
        return dx, dweight, dbias

    return z, backward


def relu(z):
    """max(z, 0); the derivative at exactly 0 is 0, as torch.relu defines it."""
    mask = z > 0
    h = np.where(mask, z, 0).astype(z.dtype, copy=False)
    if _kink_log is not None:
        _kink_log.append(np.sign(z))

    def backward(dh):
        return (dh * mask,)

    return h, backward


def sigmoid(z):
    """1 / (1 + exp(-z)), evaluated without overflow for either sign of z."""
    h = _stable_sigmoid(z)

    def backward(dh):
        return (dh * h * (1 - h),)

    return h, backward


def tanh(z):
    h = np.tanh(z)

    def backward(dh):
        return (dh * (1 - h * h),)

    return h, backward


def identity(z):
    def backward(dh):
        return (dh,)

    return z, backward


ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity")


def activation(name):
    """The activation op called ``name``, looked up now so a swapped op is seen."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}")
    return globals()[name]


def softmax_cross_entropy(logits, y):
    """Mean over the batch of -log softmax(logits)[y]: (N, C), (N,) int -> scalar."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # exp never overflows
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm  # (N, C)
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()

    def backward(dloss=1.0):
        dlogits = np.exp(log_probs)
        dlogits[rows, y] -= 1
        return (dlogits * (dloss / n),)

    return loss, backward


def binary_cross_entropy_with_logits(logits, y):
    """Mean over the batch of BCE(sigmoid(logits), y): (N, 1), (N,) in {0, 1} -> scalar.

    Written as max(z, 0) - z*y + log1p(exp(-|z|)) so that |z| ~ 1e3 neither overflows nor logs 0.
    """
    n = logits.shape[0]
    z = logits[:, 0]
    target = y.astype(logits.dtype)
    per_row = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    loss = per_row.mean()

    def backward(dloss=1.0):
        dz = (_stable_sigmoid(z) - target) * (dloss / n)
        return (dz[:, None],)

    return loss, backward


def mean_squared_error(prediction, target):
    """Mean over all N*D elements of (prediction - target)^2."""
    diff = prediction - target
    loss = (diff * diff).mean()

    def backward(dloss=1.0):
        return (diff * (2 * dloss / diff.size),)

    return loss, backward


def _stable_sigmoid(z):
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


@contextmanager
def record_kinks():
    """Collect where each non-smooth op sits (the sign of every ReLU input) during the block.

    Finite differences call this at x - eps and x + eps: a changed pattern means the difference
    straddled a kink and says nothing about the gradient.
    """
    global _kink_log
    outer, _kink_log = _kink_log, []
    try:
        yield _kink_log
    finally:
        _kink_log = outer


def classification_loss(logits, y):
    """Softmax cross-entropy for C >= 2 logits per row; sigmoid + binary cross-entropy for one."""
    if logits.shape[1] == 1:
        return binary_cross_entropy_with_logits(logits, y)
    return softmax_cross_entropy(logits, y)


def reduce_loss(values, reduction):
    """(the mean or the sum of ``values``, the factor d(loss)/d(each value)); ``reduction`` is
    checked here, once for every loss."""
    if one_of(reduction, REDUCTIONS, "reduction") == "sum":
        return values.sum(), 1.0
    return values.mean(), 1.0 / values.size
