"""One checksum of named arrays (or tensors): SHA-256 over each one's name, dtype, shape and bytes,
in name order. It is the checksum a safetensors file carries in its metadata and the fingerprint
of a run's data that a resumed run must match."""

import hashlib

import numpy as np

from .arrays import to_numpy


def array_digest(arrays):
    """The hex SHA-256 of ``arrays``: a dict name -> array, or a sequence (named by position)."""
    if not hasattr(arrays, "items"):
        arrays = {str(i): a for i, a in enumerate(arrays)}
    sha = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(to_numpy(arrays[name], name))
        sha.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        sha.update(memoryview(array.reshape(-1)).cast("B"))
    return sha.hexdigest()


def text_digest(items):
    """The hex SHA-256 of a sequence of strings (a vocabulary), each ended by a NUL byte."""
    sha = hashlib.sha256()
    for item in items:
        sha.update(str(item).encode() + b"\0")
    return sha.hexdigest()
