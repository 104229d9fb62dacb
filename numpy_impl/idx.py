"""Reader for the IDX files MNIST ships in (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels,
optionally gzipped). Header: two zero bytes, a type code, the number of dimensions, then one
big-endian uint32 per dimension."""

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from .checks import InputError, InputTypeError, MissingFileError, positive_int

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in one IDX file; a wrong magic number or size raises InputError."""
    path = Path(path)
    raw = _read(path)
    dtype, shape, header = _header(path, raw)
    expected = header + dtype.itemsize * math.prod(shape)  # Python ints: no overflow
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise InputError(f"{path} is {what}: shape {shape} needs {expected} bytes, the file has {len(raw)}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_header(path):
    """(dtype, shape) of an IDX file from its first bytes, without reading the rest."""
    path = Path(path)
    raw = _read(path, 4)
    if len(raw) == 4:
        raw += _read(path, 4 + 4 * raw[3])[4:]
    return _header(path, raw)[:2]


def _read(path, size=-1):
    """The first ``size`` bytes of ``path`` (all with -1), through gzip for a ``.gz``."""
    if not path.is_file():
        raise MissingFileError(f"no IDX file at {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read(size)
    except (OSError, EOFError, zlib.error) as err:  # gzip's errors for a truncated, corrupt or non-gzip file
        raise InputError(
            f"{path} is not a readable {'gzip ' if opener is gzip.open else ''}file: {err}"
        ) from err


def _header(path, raw):
    """(dtype, shape, header length) read from the bytes ``raw`` the file starts with."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise InputError(f"{path} is not an IDX file: bad magic number {raw[:4].hex() or '(empty)'}")
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{path} is truncated: its header names {ndim} dimensions but the file ends first")
    return dtype, tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4)), header


def idx_pairs(directory):
    """The (images, labels) file pairs of a directory of MNIST IDX files, in name order."""
    if not isinstance(directory, (str, os.PathLike)):
        raise InputTypeError(f"directory must be a path to a folder of IDX files; got {directory!r}")
    directory = Path(directory)
    if not directory.is_dir():
        raise MissingFileError(f"no MNIST directory at {directory}")
    images = sorted(directory.glob("*-idx3-ubyte*"))
    if not images:
        raise MissingFileError(f"{directory} holds no '*-idx3-ubyte[.gz]' image file")
    return [(image_path, _label_file_for(image_path)) for image_path in images]


def check_idx_directory(directory):
    """What the headers of a directory's IDX files can tell, checked without reading the images
    (a run checks its data this way before it starts): pairs of one set, unsigned-byte images of
    one size, at least one."""
    size, first = None, None
    for image_path, label_path in idx_pairs(directory):
        (dtype, shape), (label_dtype, label_shape) = read_idx_header(image_path), read_idx_header(label_path)
        check_set(image_path, dtype, shape, label_path, label_dtype, label_shape, size, first)
        size, first = size or shape[1:], first or image_path.name


def load_idx_directory(directory, n_classes=10):
    """All image/label file pairs in ``directory`` (e.g. train- and t10k-), concatenated.

    Returns x float64 (N, rows*cols) scaled from bytes to [0, 1] and y int64 (N,). Images must be
    unsigned bytes (IDX type 0x08) and labels class ids in [0, n_classes) (MNIST's digits by
    default): other pixel types, a label out of range, an empty set or sets of different image
    sizes are refused, naming the file.
    """
    n_classes = positive_int(n_classes, "n_classes")
    xs, ys, first = [], [], None
    for image_path, label_path in idx_pairs(directory):
        x, y = read_idx(image_path), read_idx(label_path)
        check_set(
            image_path, x.dtype, x.shape, label_path, y.dtype, y.shape, xs[0].shape[1:] if xs else None, first
        )
        check_labels(label_path, y, n_classes)
        first = first or image_path.name
        xs.append(x)
        ys.append(y.astype(np.int64))
    return np.concatenate([x.reshape(len(x), -1) / 255.0 for x in xs]), np.concatenate(ys)


def check_set(image_path, dtype, shape, label_path, label_dtype, label_shape, size, first):
    """One image file and its labels: (N, rows, cols) unsigned bytes, N >= 1, N integer labels,
    images of the size of the first file's (``size``, from file ``first``)."""
    if len(shape) != 3 or len(label_shape) != 1 or shape[0] != label_shape[0]:
        raise InputError(
            f"{image_path.name} {shape} and {label_path.name} {label_shape} are not images and labels of one set"
        )
    if dtype != np.uint8:
        raise InputError(
            f"{image_path} holds {np.dtype(dtype).name} pixels; MNIST images are unsigned bytes (IDX type 0x08), "
            "which are scaled from [0, 255] to [0, 1]"
        )
    if shape[0] == 0:
        raise InputError(f"{image_path} holds 0 images")
    if label_dtype.kind not in "iu":
        raise InputError(
            f"{label_path} holds {np.dtype(label_dtype).name} labels; labels are integer class ids"
        )
    if size is not None and shape[1:] != size:
        raise InputError(
            f"{image_path} holds {shape[1]}x{shape[2]} images but {first} holds {size[0]}x{size[1]}: "
            "the files of one directory must be one image size"
        )


def check_labels(path, y, n_classes):
    """Labels as class ids in [0, n_classes): a stray 255 must not make a 256-class model."""
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
