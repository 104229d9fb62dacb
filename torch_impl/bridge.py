"""One state dict, two engines: NumPy arrays to torch tensors and back, plus safetensors on disk."""

import torch

from numpy_impl.arrays import to_numpy
from numpy_impl.state import check_state_dict, load_safetensors, save_safetensors

from .tensors import as_tensor


def to_numpy_state_dict(state_dict):
    """A torch state dict as NumPy arrays (copies, on the CPU, dtypes kept)."""
    return {k: to_numpy(v, k).copy() for k, v in state_dict.items()}


def to_torch_state_dict(state_dict):
    """A NumPy state dict as torch tensors (copies, dtypes kept)."""
    return {k: as_tensor(v, copy=True) for k, v in state_dict.items()}


@torch.no_grad()
def load_numpy_state_dict(module, state_dict):
    """Copy a NumPy (or torch) state dict into ``module``; lists every missing, unexpected,
    mis-shaped, non-floating and non-finite tensor at once, where torch would stop at the first
    kind of problem (and cast ints without a word). Nothing is copied unless everything fits."""
    targets = module.state_dict()
    arrays = check_state_dict(state_dict, {k: tuple(v.shape) for k, v in targets.items()})
    tensors = {name: as_tensor(value).to(targets[name].dtype) for name, value in arrays.items()}
    for name, value in tensors.items():  # all or nothing: every tensor converted before any copy
        targets[name].copy_(value)


def save_state_dict(state_dict, path, metadata=None):
    """Write a NumPy or torch state dict to ``path`` as safetensors (atomically)."""
    save_safetensors(state_dict, path, metadata)


def load_state_dict(path):
    """Read a safetensors file as a NumPy state dict (load it into either engine)."""
    return load_safetensors(path)
