"""State dicts on disk and their validation. One format for both engines: safetensors, keyed
like torch's ``state_dict()``, weights in (out, in) layout."""

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from .checks import InputError
from .files import atomic_path


class StateDictError(InputError):
    """A state dict that does not fit the model: lists every missing, unexpected and mis-shaped key."""


def check_state_dict(state_dict, shapes):
    """Return ``state_dict`` as NumPy arrays if its keys and shapes equal ``shapes``, else raise."""
    if not hasattr(state_dict, "keys"):
        raise StateDictError(f"a state dict maps names to arrays; got {type(state_dict).__name__}")
    missing = [k for k in shapes if k not in state_dict]
    unexpected = [k for k in state_dict if k not in shapes]
    arrays = {k: np.asarray(state_dict[k]) for k in shapes if k in state_dict}
    misshaped = [
        f"{k}: expected {tuple(shapes[k])}, got {arrays[k].shape}"
        for k in arrays
        if tuple(arrays[k].shape) != tuple(shapes[k])
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    if misshaped:
        problems.append(f"wrong shapes: {'; '.join(misshaped)}")
    if problems:
        raise StateDictError("state dict does not match the model: " + " | ".join(problems))
    return arrays


def save_safetensors(state_dict, path, metadata=None):
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    arrays = {k: np.ascontiguousarray(np.asarray(v)) for k, v in state_dict.items()}
    with atomic_path(path) as tmp:
        save_file(arrays, tmp, metadata=metadata)


def load_safetensors(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no safetensors file at {path}")
    try:
        return load_file(path)
    except Exception as err:  # safetensors raises its own error types for corrupt headers
        raise InputError(f"{path} is not a readable safetensors file: {err}") from err
