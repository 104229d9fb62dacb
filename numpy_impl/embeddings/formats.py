"""Word vectors as text: word2vec's format (a "count dim" header, then one word and its values per
line) and GloVe's (the same lines without a header). Files we write load in gensim's
``KeyedVectors.load_word2vec_format`` (``no_header=True`` for GloVe)."""

from pathlib import Path

import numpy as np

from ..checks import InputError
from ..files import atomic_open
from .vectors import WordVectors


def save_word2vec_text(vectors, path):
    """Write ``vectors`` (a WordVectors) in word2vec text format."""
    _write(vectors, path, header=True)


def save_glove_text(vectors, path):
    """Write ``vectors`` (a WordVectors) in GloVe text format."""
    _write(vectors, path, header=False)


def load_word2vec_text(path, *, limit=None, dtype=np.float32):
    """Read a word2vec text file; ``limit`` keeps the first words only."""
    path = _existing(path)
    with open(path, encoding="utf8") as lines:
        header = lines.readline().split()
        if len(header) != 2 or not all(h.isdigit() for h in header):
            raise InputError(
                f"{path}:1: a word2vec text file starts with 'count dim'; got {' '.join(header)!r}"
            )
        count, dim = int(header[0]), int(header[1])
        words, vectors = _read_lines(path, lines, 2, dim, min(count, limit) if limit else count, dtype)
    if len(words) < (min(count, limit) if limit else count):
        raise InputError(f"{path}: the header promises {count} vectors; the file holds {len(words)}")
    return WordVectors(words, vectors)


def load_glove_text(path, *, limit=None, dtype=np.float32):
    """Read a GloVe text file (no header; the first line sets the dimension)."""
    path = _existing(path)
    with open(path, encoding="utf8") as lines:
        words, vectors = _read_lines(path, lines, 1, None, limit, dtype)
    if not words:
        raise InputError(f"{path} holds no vectors")
    return WordVectors(words, vectors)


def _read_lines(path, lines, first_number, dim, limit, dtype):
    words, rows = [], []
    for number, line in enumerate(lines, start=first_number):
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
        try:
            rows.append(np.array(values, dtype=dtype))
        except ValueError:
            bad = next(v for v in values if not _is_float(v))
            raise InputError(f"{path}:{number}: {bad!r} is not a number (word {word!r})") from None
        words.append(word)
    vectors = np.stack(rows) if rows else np.zeros((0, dim or 0), dtype=dtype)
    return words, vectors


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
        raise FileNotFoundError(f"no vector file at {path}")
    return path


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
