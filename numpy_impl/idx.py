"""Reader for the IDX files MNIST ships in (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels,
optionally gzipped). Header: two zero bytes, a type code, the number of dimensions, then one
big-endian uint32 per dimension."""

import gzip
from pathlib import Path

import numpy as np

from .checks import InputError

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in one IDX file; a wrong magic number or size raises InputError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no IDX file at {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # gzip raises these for a truncated or non-gzip file
        raise InputError(
            f"{path} is not a readable {'gzip ' if opener is gzip.open else ''}file: {err}"
        ) from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise InputError(f"{path} is not an IDX file: bad magic number {raw[:4].hex() or '(empty)'}")
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{path} is truncated: its header names {ndim} dimensions but the file ends first")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = header + dtype.itemsize * int(np.prod(shape))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise InputError(f"{path} is {what}: shape {shape} needs {expected} bytes, the file has {len(raw)}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx_directory(directory):
    """All image/label file pairs in ``directory`` (e.g. train- and t10k-), concatenated.

    Returns x float64 (N, rows*cols) scaled to [0, 1] and y int64 (N,).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no MNIST directory at {directory}")
    images = sorted(directory.glob("*-idx3-ubyte*"))
    if not images:
        raise FileNotFoundError(f"{directory} holds no '*-idx3-ubyte[.gz]' image file")
    xs, ys = [], []
    for image_path in images:
        label_path = _label_file_for(image_path)
        x, y = read_idx(image_path), read_idx(label_path)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise InputError(
                f"{image_path.name} {x.shape} and {label_path.name} {y.shape} are not images and labels of one set"
            )
        xs.append(x.reshape(len(x), -1) / 255.0)
        ys.append(y.astype(np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _label_file_for(image_path):
    stem = image_path.name.split("-idx3-ubyte")[0].replace("images", "labels")
    for suffix in ("", ".gz"):
        candidate = image_path.with_name(f"{stem}-idx1-ubyte{suffix}")
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no label file '{stem}-idx1-ubyte[.gz]' beside {image_path}")
