"""The torch side of ``numpy_impl.ops``: the same names, forwards only (autograd does the rest)."""

import torch
import torch.nn.functional as F

from numpy_impl.checks import one_of
from numpy_impl.ops import REDUCTIONS


def identity(z):
    return z


# The activations a model may name (the keys of numpy_impl.ops.ACTIVATIONS), looked up here at
# every call: tests patch this dict to swap one in.
ACTIVATIONS = {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": identity}


def classification_loss(logits, y, reduction="mean"):
    """Softmax cross-entropy for C >= 2 logits per row; sigmoid + binary cross-entropy for one."""
    one_of(reduction, REDUCTIONS, "reduction")  # torch's own message would not name the choices
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype), reduction=reduction)
    return F.cross_entropy(logits, y.long(), reduction=reduction)  # torch takes int64 ids only


def mean_squared_error(prediction, target, reduction="mean"):
    """(prediction - target)^2 reduced over all N*D elements."""
    one_of(reduction, REDUCTIONS, "reduction")
    return F.mse_loss(prediction, target, reduction=reduction)
