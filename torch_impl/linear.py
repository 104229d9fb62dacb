"""Linear softmax classifier, the torch twin of ``numpy_impl/linear.py``."""

import numpy as np
import torch.nn.functional as F
from torch import nn

import numpy_impl
from numpy_impl.checks import check_classifier_batch, one_of

from . import ops
from .module import copy_numpy_parameters, empty_parameter
from .tensors import as_tensors


class LinearClassifier(nn.Module):
    def __init__(self, n_features, n_classes, *, seed=0, dtype=np.float32):
        super().__init__()
        self.n_features, self.n_classes = n_features, n_classes
        self.weight = empty_parameter((n_classes, n_features), dtype)  # (C, D)
        self.bias = empty_parameter((n_classes,), dtype)  # (C,)
        copy_numpy_parameters(
            self, numpy_impl.LinearClassifier(n_features, n_classes, seed=seed, dtype=dtype)
        )

    def logits(self, x):
        return F.linear(x, self.weight, self.bias)

    def validate(self, batch):
        return as_tensors(batch)  # ``loss`` still checks; the model contract moves the checks here

    def loss(self, batch, reduction="mean"):
        one_of(reduction, ("mean",), "reduction")
        x, y = check_classifier_batch(as_tensors(batch), self.n_features, max(self.n_classes, 2))
        x = x.to(self.weight.dtype)
        logits = F.linear(x, self.weight, self.bias)  # (N, C)
        return ops.classification_loss(logits, y)

    def forward(self, x):
        return self.logits(x)
