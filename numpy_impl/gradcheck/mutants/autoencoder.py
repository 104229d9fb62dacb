"""Known bugs of an encoder/decoder pair and of the mean squared error, and rewrites that must
pass. They reach the autoencoder only (the classifiers never call the MSE)."""

import numpy as np

from numpy_impl import mlp as mlp_module
from numpy_impl import ops

from .mutant import Mutant
from .ops_bugs import mean_squared_error, on_ops


def _loss_and_backward(output_mask=False, code_mask=False, stop_at_code=False, tied_dx=False, rename=None):
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

        return [(Autoencoder, "loss_and_backward", _loss_and_backward(**flags))]

    return patches


def _mse(**knobs):
    return on_ops(mean_squared_error=mean_squared_error(**knobs))


def _bug(name, bug, patches, cause):
    return Mutant(name, bug, patches, models=("autoencoder",), cause=cause)


def _equivalent(name, bug, patches):
    return Mutant(name, bug, patches, equivalent=True, models=("autoencoder",))


AUTOENCODER_MUTANTS = [
    _bug(
        "mse_mean_over_batch_only",
        "MSE summed over features, averaged over rows only; backward consistent with it",
        _mse(loss_of=lambda d: (d * d).sum(axis=1).mean(), grad_of=lambda d: d * (2 / d.shape[0])),
        "D (",
    ),
    _bug(
        "mse_missing_factor_2",
        "dL/dprediction = (prediction - x) / (N*D)",
        _mse(grad_of=lambda d: d / d.size),
        "factor 2 missing",
    ),
    _bug(
        "mse_grad_divided_by_n_only",
        "dL/dprediction = 2 (prediction - x) / N while the loss is the mean over N*D",
        _mse(grad_of=lambda d: d * (2 / d.shape[0])),
        "D (",
    ),
    _bug(
        "mse_grad_sign_flip",
        "dL/dprediction = 2 (x - prediction) / (N*D)",
        _mse(grad_of=lambda d: -d * (2 / d.size)),
        "sign flip",
    ),
    _bug(
        "mse_grad_float64",
        "the MSE gradient upcast to float64 (a float32 model's gradients come back float64)",
        _mse(grad_of=lambda d: d.astype(np.float64) * (2 / d.size)),
        "dtype float64",
    ),
    _bug(
        "decoder_grads_on_mirrored_layers",
        "decoder gradients stored under decoder.{n-1-i}: the backward loop's counter used as the layer",
        _on_autoencoder(rename=_mirrored_decoder_name),
        "under the wrong name",
    ),
    _bug(
        "decoder_dx_through_encoder_weight",
        "d(code) taken through the encoder's last weight (tied weights assumed)",
        _on_autoencoder(tied_dx=True),
        None,
    ),
    _bug(
        "relu_mask_on_linear_output",
        "ReLU mask applied to the linear output's gradient",
        _on_autoencoder(output_mask=True),
        None,
    ),
    _bug(
        "relu_mask_on_linear_code",
        "ReLU mask applied to the linear code's gradient",
        _on_autoencoder(code_mask=True),
        None,
    ),
    _bug(
        "no_gradient_through_code",
        "encoder gradients computed from a zero d(code)",
        _on_autoencoder(stop_at_code=True),
        "all zero",
    ),
    # equivalent rewrites: the checks must pass them
    _equivalent(
        "mse_target_minus_prediction",
        "diff = x - prediction, gradient -2 diff / (N*D)",
        _mse(diff=lambda p, t: t - p, grad_of=lambda d: -(d * (2 / d.size))),
    ),
    _equivalent(
        "mse_sum_over_size",
        "loss = sum(diff^2) / (N*D), gradient (diff + diff) / (N*D)",
        _mse(loss_of=lambda d: np.square(d).sum() / d.size, grad_of=lambda d: (d + d) / d.size),
    ),
    _equivalent("autoencoder_written_out", "the decoder stack written out by hand", _on_autoencoder()),
]
