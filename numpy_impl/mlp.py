"""Multi-layer perceptron: linear layers with an activation between them, softmax cross-entropy
on the last (or one sigmoid output and binary cross-entropy when the last size is 1)."""

import numpy as np

from . import init, ops
from .arrays import as_arrays
from .checks import check_classifier_batch, one_of
from .model import Model


def mlp_parameters(sizes, rng, dtype, prefix="layers"):
    """He-normal weights and zero biases for consecutive ``sizes``, named ``{prefix}.{i}.weight``."""
    if len(sizes) < 2 or any(int(s) != s or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive integers, like (784, 128, 10); got {sizes}")
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        params[f"{prefix}.{i}.weight"] = init.he_normal(rng, (n_out, n_in), dtype)  # (out, in)
        params[f"{prefix}.{i}.bias"] = init.zeros((n_out,), dtype)
    return params


def stack_forward(params, x, n_layers, activation, prefix="layers"):
    """Linear layers with ``activation`` between them (none after the last).

    Returns the output and the backward that maps d(output) to (dx, gradients by parameter name).
    """
    backwards = []
    h = x
    for i in range(n_layers):
        z, linear_backward = ops.linear(h, params[f"{prefix}.{i}.weight"], params[f"{prefix}.{i}.bias"])
        act = ops.identity if i == n_layers - 1 else ops.activation(activation)  # logits stay linear
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
        ops.activation(activation)  # reject an unknown name now, not at the first batch
        self.sizes, self.activation = tuple(int(s) for s in sizes), activation
        rng = np.random.default_rng(seed)
        super().__init__(mlp_parameters(self.sizes, rng, dtype), dtype)

    @property
    def n_layers(self):
        return len(self.sizes) - 1

    def logits(self, x):
        return stack_forward(self._params, np.asarray(x, dtype=self.dtype), self.n_layers, self.activation)[0]

    def hidden(self, x):
        """The activations after the first hidden layer, (N, sizes[1])."""
        z = stack_forward(self._params, np.asarray(x, dtype=self.dtype), 1, self.activation)[0]
        return ops.activation(self.activation)(z)[0]

    def loss_and_backward(self, batch, reduction="mean"):
        one_of(reduction, ("mean",), "reduction")  # the checks and "sum" come with the model contract
        x, y = check_classifier_batch(as_arrays(batch), self.sizes[0], max(self.sizes[-1], 2))
        x = np.asarray(x, dtype=self.dtype)
        logits, stack_backward = stack_forward(self._params, x, self.n_layers, self.activation)  # (N, C)
        loss, loss_backward = ops.classification_loss(logits, y)

        def backward():
            (dlogits,) = loss_backward()
            _, grads = stack_backward(dlogits)
            return grads

        return loss, backward
