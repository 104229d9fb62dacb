"""Linear softmax classifier, the torch twin of ``numpy_impl/linear.py``."""

import numpy as np
import torch.nn.functional as F
from torch import nn

import numpy_impl
from numpy_impl.checks import check_classifier_batch, check_features

from . import ops
from .module import caster, copy_numpy_parameters, empty_parameter
from .tensors import as_tensor, as_tensors


class LinearClassifier(nn.Module):
    def __init__(self, n_features, n_classes, *, seed=0, dtype=np.float32):
        super().__init__()
        reference = numpy_impl.LinearClassifier(n_features, n_classes, seed=seed, dtype=dtype)  # checks them
        self.n_features, self.n_classes = reference.n_features, reference.n_classes
        self.weight = empty_parameter((self.n_classes, self.n_features), reference.dtype)  # (C, D)
        self.bias = empty_parameter((self.n_classes,), reference.dtype)  # (C,)
        copy_numpy_parameters(self, reference)

    def logits(self, x):
        x = check_features(as_tensor(x), self.n_features, caster(self))
        return F.linear(x, self.weight, self.bias)

    def validate(self, batch):
        return check_classifier_batch(
            as_tensors(batch), self.n_features, max(self.n_classes, 2), caster(self)
        )

    def loss(self, batch, reduction="mean"):
        x, y = check_classifier_batch(
            as_tensors(batch), self.n_features, max(self.n_classes, 2), caster(self), values=False
        )
        logits = F.linear(x, self.weight, self.bias)  # (N, C)
        return ops.classification_loss(logits, y, reduction)

    def forward(self, x):
        return self.logits(x)
