"""The reference: the torch twin's loss and its autograd gradients at given weights."""

import copy

import numpy as np
import torch

from ..bridge import load_numpy_state_dict


def autograd_loss_and_grads(torch_model, state_dict, batch):
    """Load ``state_dict`` into a copy of ``torch_model`` (the caller's module is left alone), run
    ``loss(batch)`` and backpropagate. Returns (loss as a float, gradients as NumPy arrays keyed like
    the state dict). Parameters the loss does not reach get zero gradients, as a hand-written
    backward would report them."""
    twin = copy.deepcopy(torch_model)
    load_numpy_state_dict(twin, state_dict)
    for parameter in twin.parameters():
        parameter.grad = None
    with torch.enable_grad():
        loss = twin.loss(as_torch_batch(batch))
        loss.backward()
    grads = {}
    for name, parameter in twin.named_parameters():
        grad = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)
        grads[name] = grad.detach().cpu().numpy().copy()
    return float(loss.detach()), grads


def as_torch_batch(batch):
    """A batch with every array as a fresh tensor (copies: nothing shared with the caller's arrays)."""
    if isinstance(batch, dict):
        return {k: _tensor(v) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)):
        return tuple(_tensor(v) for v in batch)
    return _tensor(batch)


def parameter_dtypes(torch_model):
    """Name -> NumPy dtype of each entry of the torch model's state dict."""
    return {k: np.dtype(str(v.dtype).removeprefix("torch.")) for k, v in torch_model.state_dict().items()}


def _tensor(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    return value
