"""The shared operations of ``numpy_impl.ops`` rebuilt with one knob turned: the building blocks
of the classifier mutants (linear, ReLU, the two classification losses) and the MSE's."""

import numpy as np

from numpy_impl import ops


def linear(dweight=lambda dz, x: dz.T @ x, dbias=lambda dz: dz.sum(axis=0), after=None):
    def linear(x, weight, bias, input_grad=True):
        z = x @ weight.T + bias

        def backward(dz):
            dx = dz @ weight if input_grad else None
            dw, db = dweight(dz, x), dbias(dz)
            if after is not None:
                after(x, weight, dw)
            return dx, dw, db

        return z, backward

    return linear


def relu(mask=lambda z, h: z > 0, derivative=None):
    def relu(z):
        h, _ = ops.relu(z)  # the right forward; only the backward is the learner's
        m = mask(z, h)

        def backward(dh):
            return (dh * m,) if derivative is None else (derivative(dh, h, z),)

        return h, backward

    return relu


def softmax_cross_entropy(
    shift=lambda z: z.max(axis=1, keepdims=True), total=np.mean, divide_by_n=True, column=lambda y, c: y
):
    def softmax_cross_entropy(logits, y, reduction="mean"):  # the batteries ask for the mean only
        n, c = logits.shape
        shifted = logits - shift(logits)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(n)
        loss = -total(log_probs[rows, y])

        def backward(dloss=1.0):
            dlogits = np.exp(log_probs)
            dlogits[rows, column(y, c)] -= 1
            return (dlogits * (dloss / n if divide_by_n else dloss),)

        return loss, backward

    return softmax_cross_entropy


def binary_cross_entropy(total=np.mean, divide_by_n=True):
    def binary_cross_entropy_with_logits(logits, y, reduction="mean"):
        n, z = logits.shape[0], logits[:, 0]
        target = y.astype(logits.dtype)
        loss = total((1 - target) * z - np.minimum(z, 0) + np.log1p(np.exp(-np.abs(z))))

        def backward(dloss=1.0):
            dz = (ops._stable_sigmoid(z) - target) * (dloss / n if divide_by_n else dloss)
            return (dz[:, None],)

        return loss, backward

    return binary_cross_entropy_with_logits


def mean_squared_error(
    loss_of=lambda d: (d * d).mean(), grad_of=lambda d: d * (2 / d.size), diff=np.subtract
):
    def mean_squared_error(prediction, target, reduction="mean"):  # the batteries ask for the mean only
        d = diff(prediction, target)
        loss = loss_of(d)

        def backward(dloss=1.0):
            return (grad_of(d) * dloss,)

        return loss, backward

    return mean_squared_error


def on_ops(**replacements):
    """Patches of ``numpy_impl.ops``: an activation in its registry, any other op on the module."""
    return lambda: [
        (ops.ACTIVATIONS if name in ops.ACTIVATIONS else ops, name, op) for name, op in replacements.items()
    ]
