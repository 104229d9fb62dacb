"""Reader for the IDX files MNIST ships in (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels,
optionally gzipped). Header: two zero bytes, a type code, the number of dimensions, then one
big-endian uint32 per dimension."""

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from .checks import InputError, MissingFileError, positive_int

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in one IDX file; a wrong magic number or size raises InputError."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no IDX file at {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:  # gzip's errors for a truncated, corrupt or non-gzip file
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
    expected = header + dtype.itemsize * math.prod(shape)  # Python ints: no overflow
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise InputError(f"{path} is {what}: shape {shape} needs {expected} bytes, the file has {len(raw)}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx_directory(directory, n_classes=10):
    """All image/label file pairs in ``directory`` (e.g. train- and t10k-), concatenated.

    Returns x float64 (N, rows*cols) scaled from bytes to [0, 1] and y int64 (N,). Images must be
    unsigned bytes (IDX type 0x08) and labels class ids in [0, n_classes) (MNIST's digits by
    default): other pixel types, a label out of range, an empty set or sets of different image
    sizes are refused, naming the file.
    """
    n_classes = positive_int(n_classes, "n_classes")
    directory = Path(directory)
    if not directory.is_dir():
        raise MissingFileError(f"no MNIST directory at {directory}")
    images = sorted(directory.glob("*-idx3-ubyte*"))
    if not images:
        raise MissingFileError(f"{directory} holds no '*-idx3-ubyte[.gz]' image file")
    xs, ys = [], []
    for image_path in images:
        label_path = _label_file_for(image_path)
        x, y = read_idx(image_path), read_idx(label_path)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise InputError(
                f"{image_path.name} {x.shape} and {label_path.name} {y.shape} are not images and labels of one set"
            )
        check_pixels(image_path, x, xs[0].shape[1:] if xs else None, images[0].name)
        check_labels(label_path, y, n_classes)
        xs.append(x)
        ys.append(y.astype(np.int64))
    return np.concatenate([x.reshape(len(x), -1) / 255.0 for x in xs]), np.concatenate(ys)


def check_pixels(path, x, size, first):
    """Images of one set: unsigned bytes, at least one, of the size of the first file's (``size``)."""
    if x.dtype != np.uint8:
        raise InputError(
            f"{path} holds {x.dtype} pixels; MNIST images are unsigned bytes (IDX type 0x08), "
            "which are scaled from [0, 255] to [0, 1]"
        )
    if len(x) == 0:
        raise InputError(f"{path} holds 0 images")
    if size is not None and x.shape[1:] != size:
        raise InputError(
            f"{path} holds {x.shape[1]}x{x.shape[2]} images but {first} holds {size[0]}x{size[1]}: "
            "the files of one directory must be one image size"
        )


def check_labels(path, y, n_classes):
    """Labels as integer class ids in [0, n_classes): a stray 255 must not make a 256-class model."""
    if y.dtype.kind not in "iu":
        raise InputError(f"{path} holds {y.dtype} labels; labels are integer class ids")
    bad = np.flatnonzero((y < 0) | (y >= n_classes))
    if len(bad):
        raise InputError(
            f"{path} holds label {int(y[bad[0]])} at index {int(bad[0])} ({len(bad)} label(s) outside "
            f"0..{n_classes - 1}); MNIST labels are the digits 0..9 (n_classes={n_classes})"
        )


def _label_file_for(image_path):
    stem = image_path.name.split("-idx3-ubyte")[0].replace("images", "labels")
    for suffix in ("", ".gz"):
        candidate = image_path.with_name(f"{stem}-idx1-ubyte{suffix}")
        if candidate.is_file():
            return candidate
    raise MissingFileError(f"no label file '{stem}-idx1-ubyte[.gz]' beside {image_path}")
