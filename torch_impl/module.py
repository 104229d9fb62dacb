"""Birth of a torch twin's parameters: taken from the NumPy twin built with the same arguments,
so one seed gives bit-identical weights in both engines, torch's own RNG is never touched, and
the constructor's checks are the NumPy twin's, literally the same code."""

import torch
from torch import nn

from .bridge import load_numpy_state_dict
from .tensors import torch_dtype


def empty_parameter(shape, dtype):
    return nn.Parameter(torch.empty(shape, dtype=torch_dtype(dtype)))


def linear_layer(n_in, n_out, dtype):
    """An ``nn.Linear`` without torch's initialisation: its values come from NumPy."""
    return nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=torch_dtype(dtype))


@torch.no_grad()
def copy_numpy_parameters(module, numpy_model):
    """Load ``numpy_model``'s parameters into ``module`` (names and shapes must match exactly)."""
    load_numpy_state_dict(module, numpy_model.state_dict())


def caster(module):
    """A function that casts floating input to ``module``'s parameter dtype (read at each call,
    so ``module.double()`` is followed); a no-op on input already in that dtype."""
    return lambda x: x.to(next(module.parameters()).dtype)
