"""Known learner bugs, injected into ``numpy_impl`` by swapping an operation (models look ops up on
``numpy_impl.ops`` at call time, activations in its ``ACTIVATIONS`` registry) or a model method; and
equivalent rewrites that must still pass.

    with activate("relu_mask_missing"):
        ...  # every NumPy model now has that bug

``PARITYNETS_MUTANT=<name>`` makes ``conftest.py`` activate one for a whole pytest session.
``python parity_tests/classifier_cases.py`` prints which checks of the classifier battery catch each
one. This module imports no battery: the cases depend on the mutants, never the other way.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from numpy_impl import linear as linear_module
from numpy_impl import mlp as mlp_module
from numpy_impl import ops
from numpy_impl import skipgram as sg
from numpy_impl import sparse as row_sparse


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str  # what a learner wrote
    patches: object  # () -> [(owner, attribute or key, replacement)]; an owner may be a dict (a registry)
    equivalent: bool = False


# --- the operations, rebuilt with one knob turned ------------------------------------------------


def _linear(dweight=lambda dz, x: dz.T @ x, dbias=lambda dz: dz.sum(axis=0), after=None):
    def linear(x, weight, bias):
        z = x @ weight.T + bias

        def backward(dz):
            dx = dz @ weight
            dw, db = dweight(dz, x), dbias(dz)
            if after is not None:
                after(x, weight, dw)
            return dx, dw, db

        return z, backward

    return linear


def _relu(mask=lambda z, h: z > 0, derivative=None):
    def relu(z):
        h, _ = ops.relu(z)  # the right forward; only the backward is the learner's
        m = mask(z, h)

        def backward(dh):
            return (dh * m,) if derivative is None else (derivative(dh, h, z),)

        return h, backward

    return relu


def _softmax_cross_entropy(
    shift=lambda z: z.max(axis=1, keepdims=True), total=np.mean, divide_by_n=True, column=lambda y, c: y
):
    def softmax_cross_entropy(logits, y, reduction="mean"):  # the battery asks for the mean only
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


def _binary_cross_entropy(total=np.mean, divide_by_n=True):
    def binary_cross_entropy_with_logits(logits, y, reduction="mean"):
        n, z = logits.shape[0], logits[:, 0]
        target = y.astype(logits.dtype)
        loss = total((1 - target) * z - np.minimum(z, 0) + np.log1p(np.exp(-np.abs(z))))

        def backward(dloss=1.0):
            dz = (ops._stable_sigmoid(z) - target) * (dloss / n if divide_by_n else dloss)
            return (dz[:, None],)

        return loss, backward

    return binary_cross_entropy_with_logits


def _on_ops(**replacements):
    """Patches of ``numpy_impl.ops``: an activation in its registry, any other op on the module."""
    return lambda: [
        (ops.ACTIVATIONS if name in ops.ACTIVATIONS else ops, name, op) for name, op in replacements.items()
    ]


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


MUTANTS = [
    Mutant(
        "relu_mask_missing",
        "ReLU backward returns dh unmasked",
        _on_ops(relu=_relu(derivative=lambda dh, h, z: dh)),
    ),
    Mutant(
        "sigmoid_derivative_on_relu",
        "ReLU layer backpropagated with sigmoid's h(1-h)",
        _on_ops(relu=_relu(derivative=lambda dh, h, z: dh * h * (1 - h))),
    ),
    Mutant(
        "relu_derivative_one_at_zero",
        "ReLU mask z >= 0 (relu'(0) = 1)",
        _on_ops(relu=_relu(lambda z, h: z >= 0)),
    ),
    Mutant(
        "loss_grad_not_divided_by_n",
        "dL/dlogits = softmax - onehot without the 1/N",
        _on_ops(
            softmax_cross_entropy=_softmax_cross_entropy(divide_by_n=False),
            binary_cross_entropy_with_logits=_binary_cross_entropy(divide_by_n=False),
        ),
    ),
    Mutant(
        "bias_grad_averaged",
        "db = dz.mean(axis=0)",
        _on_ops(linear=_linear(dbias=lambda dz: dz.mean(axis=0))),
    ),
    Mutant("bias_grad_one_row", "db = dz[0]", _on_ops(linear=_linear(dbias=lambda dz: dz[0]))),
    Mutant(
        "bias_grad_wrong_axis",
        "db = dz.sum(axis=1)",
        _on_ops(linear=_linear(dbias=lambda dz: dz.sum(axis=1))),
    ),
    Mutant(
        "bias_grad_kept_dim",
        "db = dz.sum(axis=0, keepdims=True), shape (1, out)",
        _on_ops(linear=_linear(dbias=lambda dz: dz.sum(axis=0, keepdims=True))),
    ),
    Mutant(
        "weight_grad_transposed", "dW = x.T @ dz", _on_ops(linear=_linear(dweight=lambda dz, x: x.T @ dz))
    ),
    Mutant(
        "softmax_shift_wrong_axis",
        "logits - logits.max(axis=0, keepdims=True)",
        _on_ops(softmax_cross_entropy=_softmax_cross_entropy(shift=lambda z: z.max(axis=0, keepdims=True))),
    ),
    Mutant(
        "softmax_shift_no_keepdims",
        "logits - logits.max(axis=1)",
        _on_ops(softmax_cross_entropy=_softmax_cross_entropy(shift=lambda z: z.max(axis=1))),
    ),
    Mutant(
        "wrong_class_column",
        "-1 subtracted at column y + 1",
        _on_ops(softmax_cross_entropy=_softmax_cross_entropy(column=_flip_column)),
    ),
    Mutant("sign_flip", "dW = -(dz.T @ x)", _on_ops(linear=_linear(dweight=lambda dz, x: -(dz.T @ x)))),
    Mutant(
        "forward_sum_not_mean",
        "loss summed over the batch, backward consistent with it",
        _on_ops(
            softmax_cross_entropy=_softmax_cross_entropy(total=np.sum, divide_by_n=False),
            binary_cross_entropy_with_logits=_binary_cross_entropy(total=np.sum, divide_by_n=False),
        ),
    ),
    Mutant(
        "grad_scaled_1e-7",
        "dW off by a factor 1 + 1e-7 (float64-sized bug)",
        _on_ops(linear=_linear(dweight=lambda dz, x: (dz.T @ x) * (1 + 1e-7))),
    ),
    Mutant(
        "grad_scaled_1e-4",
        "dW off by a factor 1 + 1e-4 (float32-sized bug)",
        _on_ops(linear=_linear(dweight=lambda dz, x: (dz.T @ x) * np.float32(1 + 1e-4))),
    ),
    Mutant(
        "no_max_shift",
        "softmax without subtracting the row maximum",
        _on_ops(softmax_cross_entropy=_softmax_cross_entropy(shift=lambda z: 0)),
    ),
    Mutant("grads_accumulate", "gradient buffers never zeroed between calls", _on_models(_accumulating)),
    Mutant(
        "params_modified",
        "an SGD step taken inside backward",
        _on_ops(linear=_linear(after=_sgd_inside_backward)),
    ),
    Mutant(
        "input_modified",
        "the cached input zeroed in place after use",
        _on_ops(linear=_linear(after=_free_input)),
    ),
    Mutant(
        "float64_grads",
        "gradients upcast to float64 in a float32 model",
        _on_ops(
            linear=_linear(
                dweight=lambda dz, x: (dz.T @ x).astype(np.float64),
                dbias=lambda dz: dz.sum(axis=0).astype(np.float64),
            )
        ),
    ),
    # equivalent rewrites: the suite must pass them
    Mutant(
        "softmax_shift_max_plus_one",
        "shift by max + 1",
        _on_ops(
            softmax_cross_entropy=_softmax_cross_entropy(shift=lambda z: z.max(axis=1, keepdims=True) + 1)
        ),
        equivalent=True,
    ),
    Mutant(
        "relu_mask_from_output", "ReLU mask h > 0", _on_ops(relu=_relu(lambda z, h: h > 0)), equivalent=True
    ),
    Mutant(
        "weight_grad_einsum",
        "dW by einsum (another summation order)",
        _on_ops(linear=_linear(dweight=lambda dz, x: np.einsum("no,ni->oi", dz, x))),
        equivalent=True,
    ),
    Mutant(
        "bias_grad_loop_sum",
        "db by a loop over rows, last first",
        _on_ops(linear=_linear(dbias=_loop_sum)),
        equivalent=True,
    ),
]
BY_NAME = {m.name: m for m in MUTANTS}


# --- autoencoder mutants -------------------------------------------------------------------------
# Bugs of an encoder/decoder pair and of the mean squared error. Registered in BY_NAME (so
# ``activate`` and PARITYNETS_MUTANT know them) but not in MUTANTS: the classifier battery never
# calls the MSE or the autoencoder. ``test_autoencoder_mutants.py`` runs the autoencoder battery
# (``autoencoder_cases.py``) under each.


def _mean_squared_error(
    loss_of=lambda d: (d * d).mean(), grad_of=lambda d: d * (2 / d.size), diff=np.subtract
):
    def mean_squared_error(prediction, target, reduction="mean"):  # the battery asks for the mean only
        d = diff(prediction, target)
        loss = loss_of(d)

        def backward(dloss=1.0):
            return (grad_of(d) * dloss,)

        return loss, backward

    return mean_squared_error


def _autoencoder_loss_and_backward(
    output_mask=False, code_mask=False, stop_at_code=False, tied_dx=False, rename=None
):
    """The autoencoder's loss_and_backward with one learner's slip (see the flags)."""

    def loss_and_backward(self, batch, reduction="mean"):
        (x,) = batch
        p, n = self._params, self.n_layers
        code, encoder_backward = mlp_module.stack_forward(p, x, n, self.activation, "encoder")
        reconstruction, decoder_backward = _decoder(p, code, n, self.activation, tied_dx)
        loss, loss_backward = ops.mean_squared_error(reconstruction, x, reduction)

        def backward():
            (dreconstruction,) = loss_backward()
            if output_mask:  # backpropagated through a ReLU the linear output does not have
                dreconstruction = dreconstruction * (reconstruction > 0)
            dcode, grads = decoder_backward(dreconstruction)
            if code_mask:  # ... or one the linear code does not have
                dcode = dcode * (code > 0)
            if stop_at_code:  # the encoder never hears from the decoder
                dcode = np.zeros_like(dcode)
            _, encoder_grads = encoder_backward(dcode)
            grads.update(encoder_grads)
            return {rename(name, n): value for name, value in grads.items()} if rename else grads

        return loss, backward

    return loss_and_backward


def _decoder(p, code, n, activation, tied_dx):
    """The decoder stack written out; ``tied_dx`` sends d(code) through the encoder's last weight
    (transposed) instead of the decoder's first, as if the weights were tied."""
    h, steps = code, []
    for i in range(n):
        z, linear_backward = ops.linear(h, p[f"decoder.{i}.weight"], p[f"decoder.{i}.bias"])
        h, activation_backward = (ops.identity if i == n - 1 else ops.ACTIVATIONS[activation])(z)
        steps.append((i, linear_backward, activation_backward))

    def backward(dout):
        grads, dh = {}, dout
        for i, linear_backward, activation_backward in reversed(steps):
            (dz,) = activation_backward(dh)
            dh, grads[f"decoder.{i}.weight"], grads[f"decoder.{i}.bias"] = linear_backward(dz)
            if tied_dx and i == 0:
                dh = dz @ p[f"encoder.{n - 1}.weight"].T
        return dh, grads

    return h, backward


def _mirrored_decoder_name(name, n):
    """decoder.{i} <-> decoder.{n-1-i}: the decoder's loop counted backward steps, not layers."""
    prefix, i, kind = name.split(".")
    return f"decoder.{n - 1 - int(i)}.{kind}" if prefix == "decoder" else name


def _on_autoencoder(**flags):
    def patches():
        from numpy_impl.autoencoder import Autoencoder

        return [(Autoencoder, "loss_and_backward", _autoencoder_loss_and_backward(**flags))]

    return patches


AUTOENCODER_MUTANTS = [
    Mutant(
        "mse_mean_over_batch_only",
        "MSE summed over features, averaged over rows only; backward consistent with it",
        _on_ops(
            mean_squared_error=_mean_squared_error(
                loss_of=lambda d: (d * d).sum(axis=1).mean(), grad_of=lambda d: d * (2 / d.shape[0])
            )
        ),
    ),
    Mutant(
        "mse_missing_factor_2",
        "dL/dprediction = (prediction - x) / (N*D)",
        _on_ops(mean_squared_error=_mean_squared_error(grad_of=lambda d: d / d.size)),
    ),
    Mutant(
        "mse_grad_divided_by_n_only",
        "dL/dprediction = 2 (prediction - x) / N while the loss is the mean over N*D",
        _on_ops(mean_squared_error=_mean_squared_error(grad_of=lambda d: d * (2 / d.shape[0]))),
    ),
    Mutant(
        "mse_grad_sign_flip",
        "dL/dprediction = 2 (x - prediction) / (N*D)",
        _on_ops(mean_squared_error=_mean_squared_error(grad_of=lambda d: -d * (2 / d.size))),
    ),
    Mutant(
        "mse_grad_float64",
        "the MSE gradient upcast to float64 (a float32 model's gradients come back float64)",
        _on_ops(
            mean_squared_error=_mean_squared_error(grad_of=lambda d: d.astype(np.float64) * (2 / d.size))
        ),
    ),
    Mutant(
        "decoder_grads_on_mirrored_layers",
        "decoder gradients stored under decoder.{n-1-i}: the backward loop's counter used as the layer",
        _on_autoencoder(rename=_mirrored_decoder_name),
    ),
    Mutant(
        "decoder_dx_through_encoder_weight",
        "d(code) taken through the encoder's last weight (tied weights assumed)",
        _on_autoencoder(tied_dx=True),
    ),
    Mutant(
        "relu_mask_on_linear_output",
        "ReLU mask applied to the linear output's gradient",
        _on_autoencoder(output_mask=True),
    ),
    Mutant(
        "relu_mask_on_linear_code",
        "ReLU mask applied to the linear code's gradient",
        _on_autoencoder(code_mask=True),
    ),
    Mutant(
        "no_gradient_through_code",
        "encoder gradients computed from a zero d(code)",
        _on_autoencoder(stop_at_code=True),
    ),
    # equivalent rewrites: the suite must pass them
    Mutant(
        "mse_target_minus_prediction",
        "diff = x - prediction, gradient -2 diff / (N*D)",
        _on_ops(
            mean_squared_error=_mean_squared_error(
                diff=lambda p, t: t - p, grad_of=lambda d: -(d * (2 / d.size))
            )
        ),
        equivalent=True,
    ),
    Mutant(
        "mse_sum_over_size",
        "loss = sum(diff^2) / (N*D), gradient (diff + diff) / (N*D)",
        _on_ops(
            mean_squared_error=_mean_squared_error(
                loss_of=lambda d: np.square(d).sum() / d.size, grad_of=lambda d: (d + d) / d.size
            )
        ),
        equivalent=True,
    ),
    Mutant(
        "autoencoder_written_out", "the decoder stack written out by hand", _on_autoencoder(), equivalent=True
    ),
]
BY_NAME.update({m.name: m for m in AUTOENCODER_MUTANTS})
# --- end of autoencoder mutants --------------------------------------------------------------------


# --- skip-gram (SGNS) mutants: the SGNS bugs of docs/word2vec.md, swapped into numpy_impl.skipgram
# and numpy_impl.sparse (their functions look each other up on the module at call time);
# test_skipgram_mutants.py runs the skip-gram battery and the training step under each.


def _assign_rows(table, ids, weights, rows):
    table[ids] += weights[:, :, None] * rows[:, None, :]  # fancy-index += keeps one update per repeated id


def _assign_in_add_to(self, table, alpha=1.0):  # RowSparse.add_to, the optimizer's scatter, as W[idx] += G
    table[self.ids.reshape(-1)] += (alpha * self.weights[:, :, None] * self.rows[:, None, :]).reshape(
        self.ids.size, -1
    )


def _flat_add_at(table, ids, weights, rows):  # equivalent: np.add.at on flat indices, another summation order
    d = table.shape[1]
    update = (weights[:, :, None] * rows[:, None, :]).reshape(-1, d)
    np.add.at(table.reshape(-1), (ids.reshape(-1, 1) * d + np.arange(d)).ravel(), update.ravel())


def _scores(dv=None, du=None, scores=None):
    def pair_scores(v, u):
        s = np.matmul(u, v[:, :, None])[:, :, 0] if scores is None else scores(v, u)

        def backward(ds):
            right_dv = np.matmul(ds[:, None, :], u)[:, 0]
            right_du = ds[:, :, None] * v[:, None, :]
            return (right_dv if dv is None else dv(ds, u, v)), (right_du if du is None else du(ds, u, v))

        return s, backward

    return pair_scores


def _sigmoid(x):
    return ops.sigmoid(x)[0]


def _loss(loss=None, dscores=None, ignore_dloss=False):
    """negative_sampling_loss with the forward and/or the backward (dscores before x dloss) swapped."""

    def softplus(x):
        return np.logaddexp(0, x)

    def negative_sampling_loss(s):
        value = softplus(-s[:, 0]) + softplus(s[:, 1:]).sum(-1) if loss is None else loss(s, softplus)

        def backward(dloss):
            ds = _right_dscores(s) if dscores is None else dscores(s, _sigmoid)
            return (ds if ignore_dloss else ds * np.asarray(dloss, dtype=s.dtype)[:, None],)

        return value, backward

    return negative_sampling_loss


def _right_dscores(s):
    ds = _sigmoid(s)
    ds[:, 0] -= 1
    return ds


def _with_first(ds, first):
    ds = ds.copy()
    ds[:, 0] = first
    return ds


def _with_rest(ds, rest):
    ds = ds.copy()
    ds[:, 1:] = rest
    return ds


_SKIPGRAM_BUGS = {
    "rows_assigned": {(row_sparse, "scatter_add"): _assign_rows},
    "outer_rows_assigned": {(row_sparse.RowSparse, "add_to"): _assign_in_add_to},
    "positive_sign_flipped": {
        "negative_sampling_loss": _loss(dscores=lambda s, sig: _with_first(sig(s), 1 - sig(s[:, 0])))
    },
    "negative_sign_flipped": {
        "negative_sampling_loss": _loss(dscores=lambda s, sig: _with_rest(_right_dscores(s), -sig(s[:, 1:])))
    },
    "negatives_missing_in_gradient": {
        "negative_sampling_loss": _loss(dscores=lambda s, sig: _with_rest(_right_dscores(s), 0.0))
    },
    "negatives_missing_everywhere": {
        "negative_sampling_loss": _loss(
            loss=lambda s, sp: sp(-s[:, 0]), dscores=lambda s, sig: _with_rest(_right_dscores(s), 0.0)
        )
    },
    "mean_over_negatives": {
        "negative_sampling_loss": _loss(
            loss=lambda s, sp: sp(-s[:, 0]) + sp(s[:, 1:]).mean(-1),
            dscores=lambda s, sig: _with_rest(_right_dscores(s), sig(s[:, 1:]) / (s.shape[1] - 1)),
        )
    },
    "positive_term_as_negative": {
        "negative_sampling_loss": _loss(loss=lambda s, sp: sp(s).sum(-1), dscores=lambda s, sig: sig(s))
    },
    "gradient_not_divided_by_batch": {"negative_sampling_loss": _loss(ignore_dloss=True)},
    "input_gradient_dropped": {"pair_scores": _scores(dv=lambda ds, u, v: np.zeros_like(v))},
    "input_gradient_positive_only": {"pair_scores": _scores(dv=lambda ds, u, v: ds[:, :1] * u[:, 0])},
    "output_gradient_uses_u": {"pair_scores": _scores(du=lambda ds, u, v: ds[:, :, None] * u)},
    "gradient_scaled_1e-7": {
        "pair_scores": _scores(du=lambda ds, u, v: ds[:, :, None] * v[:, None, :] * (1 + 1e-7))
    },
}
_SKIPGRAM_EQUIVALENT = {
    "flat_add_at_scatter": {(row_sparse, "scatter_add"): _flat_add_at},
    "dense_output_gradient": {"pair_scores": _scores()},  # du formed as a (B, J, d) array
    "scores_by_multiply_and_sum": {"pair_scores": _scores(scores=lambda v, u: (u * v[:, None, :]).sum(-1))},
    "softplus_by_log1p": {
        "negative_sampling_loss": _loss(
            loss=lambda s, sp: (
                np.maximum(-s[:, 0], 0)
                + np.log1p(np.exp(-np.abs(s[:, 0])))
                + (np.maximum(s[:, 1:], 0) + np.log1p(np.exp(-np.abs(s[:, 1:])))).sum(-1)
            )
        )
    },
}


def _on_skipgram(replacements):
    """Patches as (owner, attribute, replacement) triples; a bare name means numpy_impl.skipgram's."""
    return lambda: [
        (*(key if isinstance(key, tuple) else (sg, key)), replacement)
        for key, replacement in replacements.items()
    ]


SKIPGRAM_MUTANTS = [
    Mutant(name, name.replace("_", " "), _on_skipgram(r)) for name, r in _SKIPGRAM_BUGS.items()
] + [
    Mutant(name, name.replace("_", " "), _on_skipgram(r), equivalent=True)
    for name, r in _SKIPGRAM_EQUIVALENT.items()
]
BY_NAME.update({m.name: m for m in SKIPGRAM_MUTANTS})
# --- end of skip-gram mutants ----------------------------------------------------------------------


_ABSENT = object()


def _get(owner, key):
    """What ``owner`` itself holds under ``key`` (a class may inherit it: then nothing to put back)."""
    return owner.get(key, _ABSENT) if isinstance(owner, dict) else owner.__dict__.get(key, _ABSENT)


def _set(owner, key, value):
    if isinstance(owner, dict):
        if value is _ABSENT:
            del owner[key]
        else:
            owner[key] = value
    elif value is _ABSENT:
        delattr(owner, key)
    else:
        setattr(owner, key, value)


@contextmanager
def activate(name):
    """Swap in mutant ``name`` for the duration of the block; the originals always come back."""
    if name not in BY_NAME:
        raise KeyError(f"unknown mutant {name!r}; known: {', '.join(BY_NAME)}")
    patches = BY_NAME[name].patches()
    originals = [(owner, key, _get(owner, key)) for owner, key, _ in patches]
    try:
        for owner, key, replacement in patches:
            _set(owner, key, replacement)
        yield BY_NAME[name]
    finally:
        for owner, key, original in reversed(originals):
            _set(owner, key, original)
