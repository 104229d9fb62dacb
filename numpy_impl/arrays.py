"""What every model agrees on about arrays: the floating dtypes a model may have, and the one
converter from anything array-like (a NumPy array, a torch tensor on any device, a number) to an
ndarray. Duck-typed, so this module never imports torch."""

import numpy as np

from .checks import InputError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(dtype, name="dtype"):
    """``dtype`` (a NumPy dtype or type, a name like "float64", or a torch dtype) as the NumPy
    float dtype a model computes in; anything but float32 and float64 is an ``InputError``."""
    if dtype is None:  # np.dtype(None) is float64: a missing dtype must not pass for one
        raise InputError(f"{name} must be float32 or float64; got None")
    try:
        key = np.dtype(str(dtype).removeprefix("torch.") if hasattr(dtype, "is_floating_point") else dtype)
    except TypeError:
        key = np.dtype(object)
    if key not in FLOAT_DTYPES:
        raise InputError(f"{name} must be float32 or float64; got {dtype!r}")
    return key


def to_numpy(value):
    """An ndarray of ``value``: NumPy arrays as they are (no copy), torch tensors detached and moved
    to the CPU, numbers as 0-d arrays. Objects that are not numeric arrays raise ``TypeError``."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"expected an array or a tensor; got {type(value).__name__}")
    return array


def as_arrays(batch):
    """A NumPy model's view of a batch: every element of a tuple as an ndarray."""
    if isinstance(batch, (tuple, list)):
        return tuple(to_numpy(a) for a in batch)
    return batch
