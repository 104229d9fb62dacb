"""Operations, each written once: the forward value and, right beside it, its backward.

Every function returns ``(out, backward)``. ``backward(dout)`` maps the gradient of the loss with
respect to ``out`` to the gradients with respect to the inputs, in argument order (parameters
included). Models compose these and never re-derive a gradient themselves.

Shapes: batches are row-major, ``x`` is (N, D); weights use torch's layout, (out, in).
Non-finite values behave as in torch, op by op (docs/models.md has the table): NaN propagates
where torch propagates it, and an infinite input gives torch's inf, 0 or NaN.
"""

import numpy as np

from .checks import one_of

REDUCTIONS = ("mean", "sum")  # as torch's losses: the mean over the items, or their sum


def linear(x, weight, bias, input_grad=True):
    """z = x @ weight.T + bias: (N, in), (out, in), (out,) -> (N, out). With ``input_grad=False``
    x is data, and the backward's dx is None: the gradient nobody needs is never computed."""
    z = x @ weight.T  # BLAS reads weight.T in place: no transposed copy
    z += bias

    def backward(dz):
        dx = dz @ weight if input_grad else None  # (N, in)
        dweight = dz.T @ x  # (out, in)
        dbias = dz.sum(axis=0)  # (out,)
        return dx, dweight, dbias

    return z, backward


def relu(z):
    """max(z, 0), NaN kept (np.maximum propagates it, as torch.relu does)."""
    h = np.maximum(z, 0)

    def backward(dh):
        # torch's threshold_backward selects: 0 where z <= 0 (so relu'(0) = 0, and a NaN dh there
        # is dropped), dh elsewhere, NaN inputs included. As a product with the mask that is exact
        # for finite dh and 6x faster than np.where; an inf or NaN dh times 0 is NaN: select then.
        with np.errstate(invalid="ignore"):  # inf * 0: NaN, replaced below
            dz = dh * ~(z <= 0)
        if np.isnan(dz).any():
            dz = np.where(z <= 0, 0, dh)
        return (dz,)

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


# The activations a model may name, looked up here at every call (``ops.ACTIVATIONS[name]``):
# tests and mutants patch this dict to swap one in.
ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "identity": identity}


def softmax_cross_entropy(logits, y, reduction="mean"):
    """-log softmax(logits)[y] per row, reduced over the batch: (N, C), (N,) int -> scalar."""
    n = logits.shape[0]
    # computed class by class, (C, N): NumPy reduces along a short last axis one row at a time
    # (15 us for a (256, 10) max), and across rows with vector operations (2 us with the copy)
    by_class = np.ascontiguousarray(logits.T)
    shifted = by_class - by_class.max(axis=0)  # exp never overflows; a +inf logit: NaN, as torch
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=0))  # (C, N)
    rows = np.arange(n)
    loss, scale = reduce_loss(-log_probs[y, rows], reduction)

    def backward(dloss=1.0):
        dlogits = np.exp(log_probs)
        dlogits[y, rows] -= 1
        return (dlogits.T * (dloss * scale),)  # (N, C)

    return loss, backward


def binary_cross_entropy_with_logits(logits, y, reduction="mean"):
    """BCE(sigmoid(logits), y) per row, reduced over the batch: (N, 1), (N,) in {0, 1} -> scalar.

    Written as torch writes it, (1 - y) z - log σ(z) with log σ(z) = min(z, 0) - log1p(exp(-|z|)),
    so that |z| ~ 1e3 neither overflows nor logs 0, and an infinite z gives torch's inf or NaN.
    """
    z = logits[:, 0]
    target = y.astype(logits.dtype)
    log_sigmoid = np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))
    loss, scale = reduce_loss((1 - target) * z - log_sigmoid, reduction)

    def backward(dloss=1.0):
        dz = (_stable_sigmoid(z) - target) * (dloss * scale)
        return (dz[:, None],)

    return loss, backward


def mean_squared_error(prediction, target, reduction="mean"):
    """(prediction - target)^2 reduced over all N*D elements."""
    diff = prediction - target
    loss, scale = reduce_loss(diff * diff, reduction)

    def backward(dloss=1.0):
        return (diff * (2 * dloss * scale),)

    return loss, backward


def classification_loss(logits, y, reduction="mean"):
    """Softmax cross-entropy for C >= 2 logits per row; sigmoid + binary cross-entropy for one."""
    if logits.shape[1] == 1:
        return binary_cross_entropy_with_logits(logits, y, reduction)
    return softmax_cross_entropy(logits, y, reduction)


def reduce_loss(values, reduction):
    """(the mean or the sum of ``values``, the factor d(loss)/d(each value)); ``reduction`` is
    checked here, once for every loss."""
    if one_of(reduction, REDUCTIONS, "reduction") == "sum":
        return values.sum(), 1.0
    return values.sum() / values.size, 1.0 / values.size  # values.mean()'s number, by a shorter path


def _stable_sigmoid(z):
    """1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0, e = exp(-|z|) in (0, 1]: never overflows.
    The numerator exp(min(z, 0)) is 1 or e, the two branches without a select (np.where is slow)."""
    e = np.exp(-np.abs(z))
    return (np.exp(np.minimum(z, 0)) / (1 + e)).astype(z.dtype, copy=False)
