"""Autoencoder, the torch twin of ``numpy_impl/autoencoder.py`` (linear latent code, linear output,
the activation between the layers inside each stack)."""

import numpy as np
import torch.nn.functional as F
from torch import nn

import numpy_impl
from numpy_impl.checks import check_reconstruction_batch, one_of

from .mlp import mlp_layers, stack_forward
from .module import copy_numpy_parameters
from .tensors import as_tensors


class Autoencoder(nn.Module):
    def __init__(self, sizes, activation="relu", *, seed=0, dtype=np.float32):
        super().__init__()
        reference = numpy_impl.Autoencoder(
            sizes, activation, seed=seed, dtype=dtype
        )  # validates the arguments
        self.sizes, self.activation = reference.sizes, activation
        self.encoder = mlp_layers(self.sizes, dtype)
        self.decoder = mlp_layers(self.sizes[::-1], dtype)
        copy_numpy_parameters(self, reference)

    @property
    def n_layers(self):
        """Layers per stack (the encoder and the decoder have as many)."""
        return len(self.sizes) - 1

    def encode(self, x):
        """The latent codes, (N, sizes[-1])."""
        return stack_forward(self.encoder, x, self.activation)

    def decode(self, code):
        """Reconstructions from latent codes, (N, sizes[0])."""
        return stack_forward(self.decoder, code, self.activation)

    def reconstruct(self, x):
        return self.decode(self.encode(x))

    def validate(self, batch):
        return as_tensors(batch)  # ``loss`` still checks; the model contract moves the checks here

    def loss(self, batch, reduction="mean"):
        one_of(reduction, ("mean",), "reduction")
        x = check_reconstruction_batch(as_tensors(batch), self.sizes[0])
        x = x.to(self.encoder[0].weight.dtype)
        code = stack_forward(self.encoder, x, self.activation)  # (N, L)
        reconstruction = stack_forward(self.decoder, code, self.activation)  # (N, D)
        return F.mse_loss(reconstruction, x)

    def forward(self, x):
        return self.reconstruct(x)
