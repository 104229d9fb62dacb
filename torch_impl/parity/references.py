"""References made for learner code: one of the torch twins by name, sized from your parameters
(through a layout when yours differ in names or layout), or any torch function of the parameters
through autograd."""

import numpy as np
import torch
from torch import nn

import torch_impl
from numpy_impl.arrays import to_numpy
from numpy_impl.checks import InputError, one_of
from numpy_impl.gradcheck import Layout, Reference
from numpy_impl.gradcheck.layout import layer_number
from numpy_impl.gradcheck.reference import ReferenceResult, as_reference
from numpy_impl.gradcheck.structure import snapshot

from ..ops import ACTIVATIONS
from ..tensors import as_tensors
from .autograd import autograd_reference

TWINS = ("linear", "mlp", "autoencoder", "skipgram")


def resolve(reference, params, layout=None, activation="relu"):
    """A ``Reference`` from what a user names: a twin's name, a torch module with ``loss(batch)``,
    a ``Reference`` (or a plain reference callable marked with ``name``), or a torch function."""
    if isinstance(reference, str):
        return twin_reference(reference, params, layout, activation)
    if isinstance(reference, nn.Module):
        return autograd_reference(reference)
    if isinstance(reference, Reference) or reference is None:
        return reference
    if callable(reference):
        if layout is not None:  # the layout would map your parameters and batch before it saw them
            raise InputError(
                "a torch function reference is written in your own names and layout: pass no layout "
                "(a Layout maps your code onto a twin, reference='mlp' ...)"
            )
        return torch_reference(reference)
    return as_reference(reference)


def twin_reference(kind, params, layout=None, activation="relu"):
    """Autograd through the torch twin ``kind`` ("linear", "mlp", "autoencoder", "skipgram") with
    the sizes your parameters have (read in ``layout``'s weight layout) and their dtype."""
    one_of(kind, TWINS, "reference")
    weights = [to_numpy(v) for v in _by_layer(params) if np.ndim(v) == 2]
    if not weights:
        raise InputError(f"reference {kind!r}: your parameters have no 2-D weight to size it from")
    shapes = [w.shape[::-1] if (layout or Layout()).weights == "in, out" else w.shape for w in weights]
    dtype = weights[0].dtype
    sizes = [shapes[0][1], *(s[0] for s in shapes)]  # (out, in) shapes: in of the first, then each out
    if kind == "linear":
        twin = torch_impl.LinearClassifier(sizes[0], sizes[-1], dtype=dtype)
    elif kind == "skipgram":
        twin = torch_impl.SkipGram(*weights[0].shape, dtype=dtype)
    else:
        return _activated_twin(kind, sizes, activation, dtype)
    return autograd_reference(twin, name=f"torch {type(twin).__name__}")


def _activated_twin(kind, sizes, activation, dtype):
    """The MLP or autoencoder twin with ``activation``; its suspects include the same twin with each
    other activation, so code written with tanh and checked as relu is told which one it has."""

    def twin(name):
        if kind == "mlp":
            return torch_impl.MLP(sizes, name, dtype=dtype)
        return torch_impl.Autoencoder(sizes[: len(sizes) // 2 + 1], name, dtype=dtype)

    model = twin(activation)
    kind_name = f"torch {type(model).__name__}"

    def other_activations():
        return [
            (
                f"your gradients equal the {kind_name}'s with activation {other!r}, not "
                f"{activation!r}: pass activation={other!r} (--activation {other})",
                autograd_reference(twin(other), name=kind_name),
            )
            for other in ACTIVATIONS
            if other != activation
        ]

    return autograd_reference(model, name=kind_name).with_suspects(other_activations)


def torch_reference(function, name=None):
    """Autograd through ``function(params, batch) -> loss`` (or ``(loss, {name: tensor})``, whose
    named tensors become intermediates): params a dict of tensors that require grad, the batch's
    arrays as tensors. The function is written in your names and layout."""

    label = name or f"torch function {getattr(function, '__name__', 'reference')}"

    def reference(state_dict, batch):
        tensors = {k: torch.tensor(to_numpy(v), requires_grad=True) for k, v in state_dict.items()}
        with torch.enable_grad():
            try:
                out = function(tensors, as_tensors(snapshot(batch)))
            except Exception as err:  # noqa: BLE001 -- whatever your torch code raises
                raise InputError(f"it raises {type(err).__name__}: {err}") from err  # the report names it
            loss, named = out if isinstance(out, tuple) else (out, {})
            if not (isinstance(loss, torch.Tensor) and loss.numel() == 1):
                got = (
                    f"a tensor of shape {tuple(loss.shape)}"
                    if isinstance(loss, torch.Tensor)
                    else type(loss).__name__
                )
                raise InputError(f"it must return a one-element loss tensor; got {got}")
            for tensor in named.values():
                tensor.retain_grad()
            loss.backward()
        grads = {k: _numpy(t.grad if t.grad is not None else torch.zeros_like(t)) for k, t in tensors.items()}
        intermediates = {k: _numpy(t.grad) for k, t in named.items() if t.grad is not None}
        values = {k: _numpy(t) for k, t in named.items()}
        return ReferenceResult(float(loss.detach()), grads, intermediates, values)

    # its tensors take the dtype of the weights it is given: float64 weights run it in float64
    return Reference(reference, label, float64=lambda: Reference(reference, label))


def _by_layer(params):
    """Your parameters in layer order (W1 b1 W2 b2 ..., as the layout pairs them)."""
    return [params[n] for n in sorted(params, key=layer_number)]


def _numpy(tensor):
    return tensor.detach().cpu().numpy().copy()
