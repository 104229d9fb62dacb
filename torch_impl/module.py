"""Birth of a torch twin's parameters: taken from the NumPy twin built with the same arguments,
so one seed gives bit-identical weights in both engines and torch's own RNG is never touched."""

import torch
from torch import nn

from .tensors import torch_dtype


def empty_parameter(shape, dtype):
    return nn.Parameter(torch.empty(shape, dtype=torch_dtype(dtype)))


def linear_layer(n_in, n_out, dtype):
    """An ``nn.Linear`` without torch's initialisation: its values come from NumPy."""
    return nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=torch_dtype(dtype))


@torch.no_grad()
def copy_numpy_parameters(module, numpy_model):
    """Load ``numpy_model``'s parameters into ``module`` (names and shapes must match exactly)."""
    from .bridge import load_numpy_state_dict

    load_numpy_state_dict(module, numpy_model.state_dict())
