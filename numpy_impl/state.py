"""State dicts on disk and their validation. One format for both engines: safetensors, keyed
like torch's ``state_dict()``, weights in (out, in) layout.

A state dict is checked whole before anything is loaded (keys, shapes, floating dtypes, finite
values), so a load either applies every tensor or none. A file written here carries in its
metadata (``paritynets.sha256``) the SHA-256 of each tensor and of the other metadata; a load
verifies them, so a changed byte is an error naming the tensor rather than wrong weights."""

import json
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from .arrays import to_numpy
from .checks import InputError, InputTypeError, MissingFileError
from .digest import array_digest, text_digest
from .files import atomic_path

CHECKSUM_KEY = "paritynets.sha256"


class StateDictError(InputError):
    """A state dict that does not fit the model: lists every missing, unexpected, mis-shaped,
    non-floating and non-finite tensor."""


def check_state_dict(state_dict, shapes):
    """Return ``state_dict`` as NumPy arrays if its keys and shapes equal ``shapes`` and every
    tensor holds finite floating-point values (any precision: the model casts them), else raise."""
    if not hasattr(state_dict, "keys"):
        raise StateDictError(f"a state dict maps names to arrays; got {type(state_dict).__name__}")
    missing = [k for k in shapes if k not in state_dict]
    unexpected = [k for k in state_dict if k not in shapes]
    arrays, problems = {}, []
    for k in shapes:
        if k in state_dict:
            try:
                arrays[k] = to_numpy(state_dict[k], k)
            except InputTypeError as err:
                problems.append(f"not an array: {err}")
    misshaped = [
        f"{k}: expected {tuple(shapes[k])}, got {a.shape}"
        for k, a in arrays.items()
        if a.shape != tuple(shapes[k])
    ]
    not_float = [f"{k}: {a.dtype}" for k, a in arrays.items() if a.dtype.kind != "f"]
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
    if misshaped:
        problems.append(f"wrong shapes: {'; '.join(misshaped)}")
    if not_float:
        problems.append(f"not floating point (weights are float32 or float64): {'; '.join(not_float)}")
    if not problems:
        problems = _non_finite(arrays)
    if problems:
        raise StateDictError("state dict does not match the model: " + " | ".join(problems))
    return arrays


def _non_finite(arrays):
    bad = []
    for k, a in arrays.items():
        finite = np.isfinite(a)
        if not finite.all():
            first = tuple(int(i) for i in np.unravel_index(int(np.argmin(finite)), a.shape))
            bad.append(f"{k}: {int((~finite).sum())} NaN/inf value(s), the first at index {first}")
    return [f"non-finite values: {'; '.join(bad)}"] if bad else []


def save_safetensors(state_dict, path, metadata=None):
    """Write atomically, with the tensors' checksums: a crash leaves the old file or the new one,
    never half of one."""
    if not hasattr(state_dict, "items"):
        raise InputTypeError(f"a state dict maps names to arrays; got {type(state_dict).__name__}")
    arrays = {}
    for k, v in state_dict.items():
        if not isinstance(k, str):
            raise InputTypeError(f"state dict keys are strings; got {k!r} ({type(k).__name__})")
        arrays[k] = np.ascontiguousarray(to_numpy(v, k))
    metadata = dict(metadata or {})
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise InputTypeError(
                f"safetensors metadata maps strings to strings; got {k!r}: {type(v).__name__}"
            )
    metadata[CHECKSUM_KEY] = json.dumps(checksums(arrays, metadata))
    with atomic_path(path) as tmp:
        save_file(arrays, tmp, metadata=metadata)


def load_safetensors(path):
    """The tensors of a safetensors file as NumPy arrays, its checksums verified when it has them."""
    return read_safetensors(path)[0]


def read_safetensors(path, *, require_checksum=False):
    """(tensors, metadata) of a safetensors file; ``InputError`` naming the file for one that is
    not safetensors, is torn, or whose checksums (when it carries them, or must) do not match."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no safetensors file at {path}")
    try:
        with safe_open(path, "np") as f:
            metadata = dict(f.metadata() or {})
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    except Exception as err:  # safetensors raises its own error types for a corrupt header
        raise InputError(f"{path} is not a readable safetensors file: {err}") from err
    recorded = metadata.pop(CHECKSUM_KEY, None)
    if recorded is not None:
        verify_checksums(path, tensors, metadata, recorded)
    elif require_checksum:
        raise InputError(f"{path} carries no checksum ({CHECKSUM_KEY}); it was not written by paritynets")
    return tensors, metadata


def checksums(arrays, metadata):
    """{tensor name: SHA-256, "__metadata__": SHA-256 of the other metadata entries}."""
    sums = {name: array_digest({name: a}) for name, a in arrays.items()}
    sums["__metadata__"] = text_digest(f"{k}={metadata[k]}" for k in sorted(metadata))
    return sums


def verify_checksums(path, tensors, metadata, recorded):
    try:
        expected = json.loads(recorded)
        if not isinstance(expected, dict):
            raise ValueError
    except ValueError:
        raise InputError(f"{path} is corrupt: its checksum entry {CHECKSUM_KEY} is not readable") from None
    actual = checksums(tensors, metadata)
    changed = sorted(k for k in actual.keys() | expected.keys() if actual.get(k) != expected.get(k))
    if changed:
        what = ", ".join("its metadata" if k == "__metadata__" else repr(k) for k in changed)
        raise InputError(
            f"{path} is corrupt: {what} no longer match(es) the checksum written with the file "
            "(the file was changed or damaged after it was written)"
        )
