"""Moving arrays and dtypes between the engines."""

import numpy as np
import torch

from numpy_impl.checks import InputError

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def torch_dtype(dtype):
    """torch's dtype for ``dtype`` given as a NumPy dtype, a torch dtype or a name."""
    if isinstance(dtype, torch.dtype):
        return dtype
    key = np.dtype(dtype)
    if key not in _DTYPES:
        raise ValueError(f"dtype must be float32 or float64; got {key}")
    return _DTYPES[key]


def numpy_dtype(dtype):
    return np.dtype(str(dtype).removeprefix("torch.")) if isinstance(dtype, torch.dtype) else np.dtype(dtype)


def as_tensor(a):
    """A tensor sharing memory with ``a`` where it can (NumPy arrays), else ``a`` itself."""
    if isinstance(a, torch.Tensor):
        return a
    array = np.asarray(a)
    if array.dtype == object:
        raise InputError(f"cannot make a tensor from an array of Python objects, shape {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array))


def as_tensors(batch):
    """A torch model's view of a batch: every element as a tensor."""
    if isinstance(batch, (tuple, list)):
        return tuple(as_tensor(a) for a in batch)
    return batch
