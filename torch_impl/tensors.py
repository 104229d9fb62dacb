"""Moving arrays and dtypes into torch: the one dtype map and the one array -> tensor converter
(the other way is ``numpy_impl.arrays.to_numpy``)."""

import numpy as np
import torch

from numpy_impl.arrays import float_dtype, to_numpy

TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def torch_dtype(dtype):
    """torch's dtype for a model dtype given as a NumPy dtype or type, a name or a torch dtype;
    anything but float32 and float64 is an ``InputError`` (``numpy_impl.arrays.float_dtype``)."""
    return TORCH_DTYPES[float_dtype(dtype)]


def as_tensor(a, *, copy=False, name="value"):
    """``a`` as a tensor: a tensor as it is, anything array-like through ``to_numpy`` (which names
    ``name`` when ``a`` is no array), sharing memory with a NumPy array unless ``copy``."""
    if isinstance(a, torch.Tensor):
        return a.clone() if copy else a
    array = to_numpy(a, name)
    return torch.from_numpy(np.array(array, copy=True) if copy else np.ascontiguousarray(array))


def as_tensors(batch):
    """A torch model's view of a batch: every element as a tensor."""
    if isinstance(batch, (tuple, list)):
        return tuple(as_tensor(a, name=f"batch[{i}]") for i, a in enumerate(batch))
    return batch
