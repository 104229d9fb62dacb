"""The reference: the torch twin's loss and its autograd gradients at given weights."""

import copy

import torch

from numpy_impl.gradcheck.structure import snapshot

from ..bridge import load_numpy_state_dict
from ..tensors import as_tensors


def autograd_reference(torch_model):
    """``reference(state_dict, batch) -> (loss, grads)`` for ``numpy_impl.gradcheck.check_model``:
    autograd through ``torch_model``, which is never changed (see ``autograd_loss_and_grads``)."""

    def reference(state_dict, batch):
        return autograd_loss_and_grads(torch_model, state_dict, batch)

    reference.name = "torch twin"
    return reference


def autograd_loss_and_grads(torch_model, state_dict, batch):
    """Load ``state_dict`` into a copy of ``torch_model`` (the caller's module is left alone), run
    ``loss(batch)`` on copies of the batch's arrays and backpropagate. Returns (loss as a float,
    gradients as NumPy arrays keyed like the state dict). Parameters the loss does not reach get
    zero gradients, as a hand-written backward would report them."""
    twin = copy.deepcopy(torch_model)
    load_numpy_state_dict(twin, state_dict)
    for parameter in twin.parameters():
        parameter.grad = None
    with torch.enable_grad():
        loss = twin.loss(as_tensors(snapshot(batch)))
        loss.backward()
    grads = {}
    for name, parameter in twin.named_parameters():
        grad = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)
        grad = grad.to_dense() if grad.is_sparse else grad  # nn.Embedding(sparse=True)
        grads[name] = grad.detach().cpu().numpy().copy()
    return float(loss.detach()), grads
