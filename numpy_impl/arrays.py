"""What every model agrees on about arrays: the floating dtypes a model may have, and the one
converter from anything array-like (a NumPy array, a torch tensor on any device, a number) to an
ndarray. Duck-typed, so this module never imports torch."""

import numpy as np

from .checks import InputError, InputTypeError

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


def to_numpy(value, name="value"):
    """An ndarray of ``value``: NumPy arrays as they are (no copy), torch tensors detached and moved
    to the CPU (bfloat16 as float32, which holds each of its values exactly), numbers as 0-d
    arrays. What is not a numeric array raises ``InputTypeError`` (a TypeError) naming ``name``."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # NumPy has no bfloat16
            value = value.float()
        try:
            value = value.numpy()
        except TypeError as err:  # float8, complex32, quantized tensors...
            raise InputTypeError(
                f"{name} is a tensor of dtype {value.dtype}, which NumPy cannot hold"
            ) from err
    try:
        array = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise InputTypeError(
            f"{name} must be an array or a tensor; got {type(value).__name__}: {err}"
        ) from err
    if array.dtype == object or array.dtype.kind in "USV":
        raise InputTypeError(f"{name} must be a numeric array or tensor; got {type(value).__name__}")
    return array


def as_arrays(batch):
    """A NumPy model's view of a batch: every element of a tuple as an ndarray."""
    if isinstance(batch, (tuple, list)):
        return tuple(to_numpy(a, f"batch[{i}]") for i, a in enumerate(batch))
    return batch
