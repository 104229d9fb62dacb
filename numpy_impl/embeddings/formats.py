"""Word vectors as text: word2vec's format (a "count dim" header, then one word and its values per
line) and GloVe's (the same lines without a header). Files we write load in gensim's
``KeyedVectors.load_word2vec_format`` (``no_header=True`` for GloVe)."""

from pathlib import Path

import numpy as np

from ..arrays import float_dtype
from ..checks import InputError, MissingFileError, positive_int
from ..files import atomic_open
from .vectors import WordVectors


def save_word2vec_text(vectors, path):
    """Write ``vectors`` (a WordVectors) in word2vec text format."""
    _write(vectors, path, header=True)


def save_glove_text(vectors, path):
    """Write ``vectors`` (a WordVectors) in GloVe text format."""
    _write(vectors, path, header=False)


def load_word2vec_text(path, *, limit=None, dtype=np.float32):
    """Read a word2vec text file; ``limit`` (an integer >= 1) keeps the first words only."""
    path, limit, dtype = _existing(path), _limit(limit), float_dtype(dtype)
    with open(path, "rb") as raw:
        lines = _decoded(path, raw)
        first = next(lines, (1, ""))[1]
        header = first.split()
        if len(header) != 2 or not all(h.isdigit() and int(h) > 0 for h in header):
            raise InputError(
                f"{path}:1: a word2vec text file starts with 'count dim' (two integers >= 1); got {first.strip()!r:.60}"
            )
        count, dim = int(header[0]), int(header[1])
        wanted = min(count, limit) if limit else count
        words, vectors = _read_lines(path, lines, dim, wanted, dtype)
    if len(words) < wanted:
        raise InputError(f"{path}: the header promises {count} vectors; the file holds {len(words)}")
    return WordVectors(words, vectors)


def load_glove_text(path, *, limit=None, dtype=np.float32):
    """Read a GloVe text file (no header; the first line sets the dimension)."""
    path, limit, dtype = _existing(path), _limit(limit), float_dtype(dtype)
    with open(path, "rb") as raw:
        words, vectors = _read_lines(path, _decoded(path, raw), None, limit, dtype)
    if not words:
        raise InputError(f"{path} holds no vectors")
    return WordVectors(words, vectors)


def _decoded(path, raw):
    """(line number, text) of each line of a binary file, decoded as UTF-8; a line that is not
    UTF-8 (a latin-1 file, word2vec's binary format) is an ``InputError`` naming file and line."""
    for number, line in enumerate(raw, start=1):
        try:
            yield number, line.decode("utf8")
        except UnicodeDecodeError as err:
            raise InputError(
                f"{path}:{number}: not UTF-8 text (byte 0x{line[err.start]:02x} at column {err.start + 1}); "
                "vector files are read as UTF-8 text (word2vec's binary format is not supported)"
            ) from None


def _read_lines(path, lines, dim, limit, dtype):
    words, rows = [], []
    for number, line in lines:
        if limit is not None and len(words) >= limit:
            break
        parts = line.rstrip().split(" ")
        if len(parts) == 1 and not parts[0].strip():
            continue  # a blank line, such as a trailing one
        word, values = parts[0], parts[1:]
        if dim is None:
            dim = len(values)
            if dim == 0:
                raise InputError(f"{path}:{number}: the word {word!r} has no values")
        if len(values) != dim:
            raise InputError(
                f"{path}:{number}: vectors of mixed dimension: {word!r} has {len(values)} values, "
                f"the file's vectors have {dim}"
            )
        rows.append(_row(path, number, word, values, dtype))
        words.append(word)
    vectors = np.stack(rows) if rows else np.zeros((0, dim or 0), dtype=dtype)
    return words, vectors


def _row(path, number, word, values, dtype):
    try:
        row = np.array(values, dtype=dtype)
    except ValueError:
        bad = next(v for v in values if not _is_float(v))
        raise InputError(f"{path}:{number}: {bad!r} is not a number (word {word!r})") from None
    finite = np.isfinite(row)
    if not finite.all():
        bad = values[int(np.argmin(finite))]
        raise InputError(f"{path}:{number}: the word {word!r} has a non-finite value {bad!r}")
    return row


def _limit(limit):
    """None (every word) or an integer >= 1: 0 and -1 are refused, not read as 'all' or 'none'."""
    return None if limit is None else positive_int(limit, "limit")


def _write(vectors, path, header):
    bad = next((w for w in vectors.words if not w or any(c.isspace() for c in w)), None)
    if bad is not None:
        raise InputError(f"cannot write the word {bad!r}: words in a text vector file hold no whitespace")
    with atomic_open(path) as out:
        if header:
            out.write(f"{len(vectors)} {vectors.dim}\n")
        for word, row in zip(vectors.words, vectors.vectors, strict=True):
            # str() of a NumPy scalar is the shortest text that reads back to the same float
            out.write(word + " " + " ".join(map(str, row)) + "\n")


def _existing(path):
    path = Path(path)
    if not path.is_file():
        what = "a directory, not a vector file" if path.is_dir() else "no vector file"
        raise MissingFileError(f"{path}: {what}")
    return path


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
