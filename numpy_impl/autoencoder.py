"""Autoencoder: an encoder stack from the input down to a latent code, a mirrored decoder stack
back up, and the mean squared error between the reconstruction and the input.

    sizes = (784, 400, 200, 2):  x -> 400 -> 200 -> code (2) -> 200 -> 400 -> reconstruction (784)

The activation (ReLU by default) sits between the layers *inside* each stack; the last layer of
each stack is linear. So the latent code is linear (a bottleneck that can use the whole plane,
which is what a 2-D latent scatter shows) and so is the output (pixels are regressed, not
classified). Parameters are ``encoder.{i}.weight/bias`` and ``decoder.{i}.weight/bias``, He-normal
weights and zero biases like the MLP, drawn encoder first from one seeded generator.
"""

import numpy as np

from . import init, ops
from .arrays import as_arrays, float_dtype, to_numpy
from .checks import check_features, check_reconstruction_batch
from .mlp import layer_sizes, mlp_parameters, stack_forward
from .model import Model


class Autoencoder(Model):
    def __init__(self, sizes, activation="relu", *, seed=0, dtype=np.float32):
        self.sizes, self.activation = layer_sizes(sizes, activation)
        dtype = float_dtype(dtype)
        rng = init.generator(seed)
        params = mlp_parameters(self.sizes, rng, dtype, prefix="encoder")
        params.update(mlp_parameters(self.sizes[::-1], rng, dtype, prefix="decoder"))
        super().__init__(params, dtype)

    @property
    def n_layers(self):
        """Layers per stack (the encoder and the decoder have as many)."""
        return len(self.sizes) - 1

    def encode(self, x):
        """The latent codes, (N, sizes[-1])."""
        x = check_features(to_numpy(x), self.sizes[0], self._cast)
        return stack_forward(self._params, x, self.n_layers, self.activation, "encoder")[0]

    def decode(self, code):
        """Reconstructions from latent codes, (N, sizes[0])."""
        code = check_features(to_numpy(code), self.sizes[-1], self._cast, "code")
        return stack_forward(self._params, code, self.n_layers, self.activation, "decoder")[0]

    def reconstruct(self, x):
        return self.decode(self.encode(x))

    def validate(self, batch):
        return check_reconstruction_batch(as_arrays(batch), self.sizes[0], self._cast)

    def loss_and_backward(self, batch, reduction="mean"):
        (x,) = batch
        x = self._cast(x)
        code, encoder_backward = stack_forward(
            self._params, x, self.n_layers, self.activation, "encoder", input_grad=False
        )  # (N, L)
        reconstruction, decoder_backward = stack_forward(
            self._params, code, self.n_layers, self.activation, "decoder"
        )  # (N, D)
        loss, loss_backward = ops.mean_squared_error(reconstruction, x, reduction)

        def backward():
            (dreconstruction,) = loss_backward()
            dcode, grads = decoder_backward(dreconstruction)
            _, encoder_grads = encoder_backward(dcode)
            return grads | encoder_grads

        return loss, backward
