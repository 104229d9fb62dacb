"""Multi-layer perceptron, the torch twin of ``numpy_impl/mlp.py``."""

import numpy as np
from torch import nn

import numpy_impl
from numpy_impl.checks import check_classifier_batch, one_of

from . import ops
from .module import copy_numpy_parameters, linear_layer
from .tensors import as_tensors


def mlp_layers(sizes, dtype):
    """``nn.Linear`` layers for consecutive ``sizes`` (values to be copied in from NumPy)."""
    return nn.ModuleList(
        linear_layer(n_in, n_out, dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    )


def stack_forward(layers, x, activation):
    """Linear layers with ``activation`` between them (none after the last)."""
    h = x
    for i, layer in enumerate(layers):
        z = layer(h)
        act = ops.identity if i == len(layers) - 1 else ops.activation(activation)  # logits stay linear
        h = act(z)
    return h


class MLP(nn.Module):
    def __init__(self, sizes, activation="relu", *, seed=0, dtype=np.float32):
        super().__init__()
        reference = numpy_impl.MLP(
            sizes, activation, seed=seed, dtype=dtype
        )  # validates sizes and activation
        self.sizes, self.activation = reference.sizes, activation
        self.layers = mlp_layers(self.sizes, dtype)
        copy_numpy_parameters(self, reference)

    @property
    def n_layers(self):
        return len(self.sizes) - 1

    def logits(self, x):
        return stack_forward(self.layers, x, self.activation)

    def hidden(self, x):
        """The activations after the first hidden layer, (N, sizes[1])."""
        return ops.activation(self.activation)(self.layers[0](x))

    def validate(self, batch):
        return as_tensors(batch)  # ``loss`` still checks; the model contract moves the checks here

    def loss(self, batch, reduction="mean"):
        one_of(reduction, ("mean",), "reduction")
        x, y = check_classifier_batch(as_tensors(batch), self.sizes[0], max(self.sizes[-1], 2))
        x = x.to(self.layers[0].weight.dtype)
        logits = stack_forward(self.layers, x, self.activation)  # (N, C)
        return ops.classification_loss(logits, y)

    def forward(self, x):
        return self.logits(x)
