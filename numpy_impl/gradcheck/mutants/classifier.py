"""Known bugs of a classifier's backward pass (and rewrites that must pass), injected into the
shared operations or the two classifiers' ``loss_and_grads``."""

import numpy as np

from numpy_impl import linear as linear_module
from numpy_impl import mlp as mlp_module

from . import ops_bugs as bugs
from .mutant import CLASSIFIERS, RELU_STACKS, STACKS, Mutant
from .ops_bugs import on_ops


def _on_models(wrap):
    """Wrap ``loss_and_grads`` of both classifiers."""
    classes = (linear_module.LinearClassifier, mlp_module.MLP)
    return lambda: [(cls, "loss_and_grads", wrap(cls.loss_and_grads)) for cls in classes]


def _accumulating(loss_and_grads):
    def accumulating_loss_and_grads(self, batch, reduction="mean"):
        loss, grads = loss_and_grads(self, batch, reduction)
        sums = self.__dict__.setdefault("_grad_sums", {})  # never reset: the bug
        for name, grad in grads.items():
            if name in sums:
                sums[name] += grad
            else:
                sums[name] = grad.copy()
        return loss, sums

    return accumulating_loss_and_grads


def _sgd_inside_backward(x, weight, dweight):
    weight -= 0.1 * dweight  # "while I'm here": the step belongs to the optimizer


def _free_input(x, weight, dweight):
    x[...] = 0  # "free" the cached input: it is the caller's array


def _flip_column(y, c):
    return (y + 1) % c


def _loop_sum(dz):
    total = np.zeros(dz.shape[1], dz.dtype)
    for row in dz[::-1]:
        total += row
    return total


def _relu(**knobs):
    return on_ops(relu=bugs.relu(**knobs))


def _linear(**knobs):
    return on_ops(linear=bugs.linear(**knobs))


def _softmax(**knobs):
    return on_ops(softmax_cross_entropy=bugs.softmax_cross_entropy(**knobs))


def _both_losses(**knobs):
    return on_ops(
        softmax_cross_entropy=bugs.softmax_cross_entropy(**knobs),
        binary_cross_entropy_with_logits=bugs.binary_cross_entropy(**knobs),
    )


def _bug(name, bug, patches, models, cause):
    return Mutant(name, bug, patches, models=models, cause=cause)


MUTANTS = [
    _bug(
        "relu_mask_missing",
        "ReLU backward returns dh unmasked",
        _relu(derivative=lambda dh, h, z: dh),
        RELU_STACKS,
        "ReLU mask",
    ),
    _bug(
        "sigmoid_derivative_on_relu",
        "ReLU layer backpropagated with sigmoid's h(1-h)",
        _relu(derivative=lambda dh, h, z: dh * h * (1 - h)),
        RELU_STACKS,
        "sigmoid's derivative",
    ),
    _bug(
        "relu_derivative_one_at_zero",
        "ReLU mask z >= 0 (relu'(0) = 1)",
        _relu(mask=lambda z, h: z >= 0),
        RELU_STACKS,
        "relu'(0)",
    ),
    _bug(
        "loss_grad_not_divided_by_n",
        "dL/dlogits = softmax - onehot without the 1/N",
        _both_losses(divide_by_n=False),
        CLASSIFIERS,
        "divide by N",
    ),
    _bug(
        "bias_grad_averaged", "db = dz.mean(axis=0)", _linear(dbias=lambda dz: dz.mean(axis=0)), STACKS, "1/N"
    ),
    _bug("bias_grad_one_row", "db = dz[0]", _linear(dbias=lambda dz: dz[0]), STACKS, None),
    _bug(
        "bias_grad_wrong_axis",
        "db = dz.sum(axis=1)",
        _linear(dbias=lambda dz: dz.sum(axis=1)),
        STACKS,
        "wrong axis",
    ),
    _bug(
        "bias_grad_kept_dim",
        "db = dz.sum(axis=0, keepdims=True), shape (1, out)",
        _linear(dbias=lambda dz: dz.sum(axis=0, keepdims=True)),
        STACKS,
        "kept dimension",
    ),
    _bug(
        "weight_grad_transposed",
        "dW = x.T @ dz",
        _linear(dweight=lambda dz, x: x.T @ dz),
        STACKS,
        "transposed",
    ),
    _bug(
        "softmax_shift_wrong_axis",
        "logits - logits.max(axis=0, keepdims=True)",
        _softmax(shift=lambda z: z.max(axis=0, keepdims=True)),
        CLASSIFIERS,
        None,
    ),
    _bug(
        "softmax_shift_no_keepdims",
        "logits - logits.max(axis=1)",
        _softmax(shift=lambda z: z.max(axis=1)),
        CLASSIFIERS,
        "keepdims",
    ),
    _bug(
        "wrong_class_column",
        "-1 subtracted at column y + 1",
        _softmax(column=_flip_column),
        CLASSIFIERS,
        "column",
    ),
    _bug("sign_flip", "dW = -(dz.T @ x)", _linear(dweight=lambda dz, x: -(dz.T @ x)), STACKS, "sign flip"),
    _bug(
        "forward_sum_not_mean",
        "loss summed over the batch, backward consistent with it",
        _both_losses(total=np.sum, divide_by_n=False),
        CLASSIFIERS,
        "summed over the batch",
    ),
    _bug(
        "grad_scaled_1e-7",
        "dW off by a factor 1 + 1e-7 (float64-sized bug)",
        _linear(dweight=lambda dz, x: (dz.T @ x) * (1 + 1e-7)),
        STACKS,
        "scale error",
    ),
    _bug(
        "grad_scaled_1e-4",
        "dW off by a factor 1 + 1e-4 (float32-sized bug)",
        _linear(dweight=lambda dz, x: (dz.T @ x) * np.float32(1 + 1e-4)),
        STACKS,
        "scale error",
    ),
    _bug(
        "no_max_shift",
        "softmax without subtracting the row maximum",
        _softmax(shift=lambda z: 0),
        CLASSIFIERS,
        "max shift",
    ),
    _bug(
        "grads_accumulate",
        "gradient buffers never zeroed between calls",
        _on_models(_accumulating),
        CLASSIFIERS,
        "accumulating across calls",
    ),
    _bug(
        "params_modified",
        "an SGD step taken inside backward",
        _linear(after=_sgd_inside_backward),
        STACKS,
        "modified in place",
    ),
    _bug(
        "input_modified",
        "the cached input zeroed in place after use",
        _linear(after=_free_input),
        STACKS,
        "modified in place",
    ),
    _bug(
        "float64_grads",
        "gradients upcast to float64 in a float32 model",
        _linear(
            dweight=lambda dz, x: (dz.T @ x).astype(np.float64),
            dbias=lambda dz: dz.sum(axis=0).astype(np.float64),
        ),
        STACKS,
        "dtype float64",
    ),
    # equivalent rewrites: the checks must pass them
    Mutant(
        "softmax_shift_max_plus_one",
        "shift by max + 1",
        _softmax(shift=lambda z: z.max(axis=1, keepdims=True) + 1),
        equivalent=True,
        models=CLASSIFIERS,
    ),
    Mutant(
        "relu_mask_from_output",
        "ReLU mask h > 0",
        _relu(mask=lambda z, h: h > 0),
        equivalent=True,
        models=RELU_STACKS,
    ),
    Mutant(
        "weight_grad_einsum",
        "dW by einsum (another summation order)",
        _linear(dweight=lambda dz, x: np.einsum("no,ni->oi", dz, x)),
        equivalent=True,
        models=STACKS,
    ),
    Mutant(
        "bias_grad_loop_sum",
        "db by a loop over rows, last first",
        _linear(dbias=_loop_sum),
        equivalent=True,
        models=STACKS,
    ),
]
