"""The reference: a torch twin's loss and its autograd gradients at given weights, with the
gradients (and values) of every ``nn.Linear``'s output z and input h as named intermediates."""

import copy

import torch
from torch import nn

from numpy_impl.checks import InputError
from numpy_impl.gradcheck import Reference
from numpy_impl.gradcheck.reference import ReferenceResult
from numpy_impl.gradcheck.structure import snapshot

from ..bridge import load_numpy_state_dict
from ..tensors import as_tensors
from .suspects import twin_suspects


def autograd_reference(torch_model, name="torch twin"):
    """A ``Reference`` for ``numpy_impl.gradcheck.check``: autograd through ``torch_model``, which
    is never changed (see ``autograd_loss_and_grads``). Its intermediates are named after the
    linear layers, "layers.0:out" (z = layer(h), whose gradient is dz) and "layers.1:in" (the h it
    takes); its backward order is the layers' in reverse."""

    def function(state_dict, batch, reduction="mean"):
        try:
            return autograd_result(torch_model, state_dict, batch, reduction)
        except (IndexError, RuntimeError, ValueError) as err:  # torch's words for a batch it cannot take
            try:
                torch_model.validate(batch)  # the twin's own check names the problem in our words
            except InputError as clear:
                raise InputError(f"your batch does not fit it: {clear}") from err  # the report names it
            raise

    def float64():  # the same twin in float64: its distance from this one is its float32 rounding
        if all(p.dtype == torch.float32 for p in torch_model.parameters()):
            return autograd_reference(copy.deepcopy(torch_model).double(), name)
        return None

    shapes = {key: tuple(value.shape) for key, value in torch_model.state_dict().items()}
    return Reference(
        function,
        name,
        shapes=shapes,
        reductions=("mean", "sum"),
        order=_backward_order(torch_model),
        suspects=lambda: twin_suspects(torch_model, function, name, shapes, _backward_order(torch_model)),
        float64=float64,
    )


def autograd_loss_and_grads(torch_model, state_dict, batch, reduction="mean"):
    """Load ``state_dict`` into a copy of ``torch_model`` (the caller's module is left alone), run
    ``loss(batch, reduction)`` on copies of the batch's arrays and backpropagate. Returns (loss as
    a float, gradients as NumPy arrays keyed like the state dict). Parameters the loss does not
    reach get zero gradients, as a hand-written backward would report them."""
    result = autograd_result(torch_model, state_dict, batch, reduction)
    return result.loss, result.grads


def autograd_result(torch_model, state_dict, batch, reduction="mean"):
    """``autograd_loss_and_grads`` with the linear layers' intermediates: a ``ReferenceResult``."""
    twin = copy.deepcopy(torch_model)
    load_numpy_state_dict(twin, state_dict)
    for parameter in twin.parameters():
        parameter.grad = None
    seen = {}
    hooks = [m.register_forward_hook(_recorder(n, seen)) for n, m in _linears(twin)]
    device = next(twin.parameters()).device  # a twin on a GPU gets its batch there
    try:
        with torch.enable_grad():
            loss = twin.loss(tuple(t.to(device) for t in as_tensors(snapshot(batch))), reduction)
            loss.backward()
    finally:
        for hook in hooks:
            hook.remove()
    grads = {}
    for name, parameter in twin.named_parameters():
        grad = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)
        grad = grad.to_dense() if grad.is_sparse else grad  # nn.Embedding(sparse=True)
        grads[name] = _numpy(grad)
    intermediates = {k: _numpy(t.grad) for k, t in seen.items() if t.grad is not None}
    values = {k: _numpy(t) for k, t in seen.items() if k in intermediates}
    return ReferenceResult(float(loss.detach()), grads, intermediates, values)


def _linears(module):
    return [(name, m) for name, m in module.named_modules() if isinstance(m, nn.Linear)]


def _recorder(name, seen):
    def record(module, inputs, output):
        for key, tensor in ((f"{name}:in", inputs[0]), (f"{name}:out", output)):
            if tensor.requires_grad:
                tensor.retain_grad()
                seen[key] = tensor

    return record


def _backward_order(torch_model):
    order = []
    for name, module in reversed(_linears(torch_model)):
        parameters = [f"{name}.{p}" for p, _ in module.named_parameters()]
        order += [f"{name}:out", *reversed(parameters), f"{name}:in"]  # bias first, as reversed(state_dict)
    return order


def _numpy(tensor):
    return tensor.detach().cpu().numpy().copy()
