"""Autoencoder, the torch twin of ``numpy_impl/autoencoder.py`` (linear latent code, linear output,
the activation between the layers inside each stack)."""

import numpy as np
from torch import nn

import numpy_impl
from numpy_impl.checks import check_features, check_reconstruction_batch

from . import ops
from .mlp import mlp_layers, stack_forward
from .module import caster, copy_numpy_parameters
from .tensors import as_tensor, as_tensors


class Autoencoder(nn.Module):
    def __init__(self, sizes, activation="relu", *, seed=0, dtype=np.float32):
        super().__init__()
        reference = numpy_impl.Autoencoder(sizes, activation, seed=seed, dtype=dtype)  # checks the arguments
        self.sizes, self.activation = reference.sizes, reference.activation
        self.encoder = mlp_layers(self.sizes, reference.dtype)
        self.decoder = mlp_layers(self.sizes[::-1], reference.dtype)
        copy_numpy_parameters(self, reference)

    @property
    def n_layers(self):
        """Layers per stack (the encoder and the decoder have as many)."""
        return len(self.sizes) - 1

    def encode(self, x):
        """The latent codes, (N, sizes[-1])."""
        x = check_features(as_tensor(x), self.sizes[0], caster(self))
        return stack_forward(self.encoder, x, self.activation)

    def decode(self, code):
        """Reconstructions from latent codes, (N, sizes[0])."""
        code = check_features(as_tensor(code), self.sizes[-1], caster(self), "code")
        return stack_forward(self.decoder, code, self.activation)

    def reconstruct(self, x):
        return self.decode(self.encode(x))

    def validate(self, batch):
        return check_reconstruction_batch(as_tensors(batch), self.sizes[0], caster(self))

    def loss(self, batch, reduction="mean"):
        (x,) = check_reconstruction_batch(as_tensors(batch), self.sizes[0], caster(self), values=False)
        code = stack_forward(self.encoder, x, self.activation)  # (N, L)
        reconstruction = stack_forward(self.decoder, code, self.activation)  # (N, D)
        return ops.mean_squared_error(reconstruction, x, reduction)

    def forward(self, x):
        return self.reconstruct(x)
