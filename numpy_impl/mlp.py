"""Multi-layer perceptron: linear layers with an activation between them, softmax cross-entropy
on the last (or one sigmoid output and binary cross-entropy when the last size is 1)."""

import numpy as np

from . import init, ops
from .arrays import as_arrays, float_dtype, to_numpy
from .checks import check_classifier_batch, check_features, one_of, positive_ints
from .model import Model


def layer_sizes(sizes, activation):
    """The constructor rules of the MLP and the autoencoder: ``sizes`` (at least two sizes, each an
    integer >= 1) as a tuple of ints, and ``activation`` one of ``ops.ACTIVATIONS``."""
    return positive_ints(sizes, "sizes", min_length=2), one_of(
        activation, tuple(ops.ACTIVATIONS), "activation"
    )


def mlp_parameters(sizes, rng, dtype, prefix="layers"):
    """He-normal weights and zero biases for consecutive ``sizes``, named ``{prefix}.{i}.weight``."""
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        params[f"{prefix}.{i}.weight"] = init.he_normal(rng, (n_out, n_in), dtype)  # (out, in)
        params[f"{prefix}.{i}.bias"] = init.zeros((n_out,), dtype)
    return params


def stack_forward(params, x, n_layers, activation, prefix="layers", input_grad=True):
    """Linear layers with ``activation`` between them (none after the last).

    Returns the output and the backward that maps d(output) to (dx, gradients by parameter name);
    dx is None with ``input_grad=False`` (x is data: no gradient wanted, none computed).
    """
    backwards = []
    h = x
    for i in range(n_layers):
        weight, bias = params[f"{prefix}.{i}.weight"], params[f"{prefix}.{i}.bias"]
        z, linear_backward = ops.linear(h, weight, bias, input_grad=input_grad or i > 0)
        act = ops.identity if i == n_layers - 1 else ops.ACTIVATIONS[activation]  # logits stay linear
        h, activation_backward = act(z)
        backwards.append((i, linear_backward, activation_backward))

    def backward(dout):
        grads = {}
        dh = dout
        for i, linear_backward, activation_backward in reversed(backwards):
            (dz,) = activation_backward(dh)
            dh, grads[f"{prefix}.{i}.weight"], grads[f"{prefix}.{i}.bias"] = linear_backward(dz)
        return dh, grads

    return h, backward


class MLP(Model):
    def __init__(self, sizes, activation="relu", *, seed=0, dtype=np.float32):
        self.sizes, self.activation = layer_sizes(sizes, activation)
        dtype = float_dtype(dtype)
        rng = init.generator(seed)
        super().__init__(mlp_parameters(self.sizes, rng, dtype), dtype)

    @property
    def n_layers(self):
        return len(self.sizes) - 1

    def logits(self, x):
        x = check_features(to_numpy(x), self.sizes[0], self._cast)
        return stack_forward(self._params, x, self.n_layers, self.activation)[0]

    def hidden(self, x):
        """The activations after the first hidden layer, (N, sizes[1])."""
        x = check_features(to_numpy(x), self.sizes[0], self._cast)
        z = stack_forward(self._params, x, 1, self.activation)[0]
        return ops.ACTIVATIONS[self.activation](z)[0]

    def validate(self, batch):
        return check_classifier_batch(as_arrays(batch), self.sizes[0], max(self.sizes[-1], 2), self._cast)

    def loss_and_backward(self, batch, reduction="mean"):
        x, y = batch
        x = self._cast(x)
        logits, stack_backward = stack_forward(
            self._params, x, self.n_layers, self.activation, input_grad=False
        )  # (N, C)
        loss, loss_backward = ops.classification_loss(logits, y, reduction)

        def backward():
            (dlogits,) = loss_backward()
            _, grads = stack_backward(dlogits)
            return grads

        return loss, backward
