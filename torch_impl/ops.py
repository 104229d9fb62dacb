"""The torch side of ``numpy_impl.ops``: the same names, forwards only (autograd does the rest)."""

import torch
import torch.nn.functional as F

from numpy_impl.ops import ACTIVATIONS


def identity(z):
    return z


_ACTIVATIONS = {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": identity}
assert set(_ACTIVATIONS) == set(ACTIVATIONS)


def activation(name):
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}")
    return _ACTIVATIONS[name]


def classification_loss(logits, y):
    """Softmax cross-entropy for C >= 2 logits per row; sigmoid + binary cross-entropy for one."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
    return F.cross_entropy(logits, y.long())  # torch takes only int64 class ids; NumPy any integer
