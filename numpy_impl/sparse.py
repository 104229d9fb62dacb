"""Gradients of embedding tables kept row-sparse, and the scatter-add that applies them.

A batch touches a few hundred rows of a (V, d) table; its gradient is zero elsewhere. ``RowSparse``
holds such a gradient the way a skip-gram backward produces it, without the (V, d) zeros and
without the (B, J, d) outer product:

    grad[ids[b, j]] += weights[b, j] * rows[b]        ids (B, J) int, weights (B, J), rows (B, d)

A repeated id has several entries, which add up. An optimizer applies it with ``add_to`` (a
scatter-add into the parameter, in place); ``to_dense()`` / ``np.asarray`` give the (V, d) array
for dense code, the gradient checker and other optimizers. torch's counterpart is the sparse COO
gradient of ``nn.Embedding(sparse=True)``.

The kernels look each other up on this module when called, so ``scatter_add`` is the one place
every row-sparse update goes through.
"""

import numpy as np
from scipy import sparse as scipy_sparse

try:  # the compiled kernel behind ``csc_matrix @ dense`` (y += A @ x), private to SciPy
    from scipy.sparse._sparsetools import csc_matvecs as _csc_matvecs
except ImportError:  # pragma: no cover - a SciPy that moved it: the public route still works
    _csc_matvecs = None


def scatter_add(table, ids, weights, rows):
    """table[ids[b, j]] += weights[b, j] * rows[b] for all b, j, in place: (V, d), (B, J), (B, J), (B, d).

    ``table[ids] += ...`` would keep one update per repeated id; this is ``table += A @ rows`` for
    the sparse (V, B) matrix A whose column b holds weights[b, j] at row ids[b, j], so repeated ids
    simply add up. SciPy's compiled kernel for a CSC matrix times dense vectors adds straight into
    the table, column by column in pair order (see docs/word2vec.md for the measured speeds); the
    public ``csc_matrix @ rows`` route, used where that kernel is missing or the table is not
    C-contiguous, sums per distinct id first.
    """
    n_rows, n_cols = ids.shape
    column_starts = np.arange(0, n_rows * n_cols + 1, n_cols, dtype=np.int64)  # column b: pair b's J entries
    flat_ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
    weights = np.ascontiguousarray(weights, dtype=table.dtype).reshape(-1)
    rows = np.ascontiguousarray(rows, dtype=table.dtype)
    if _csc_matvecs is not None and table.flags.c_contiguous:
        _csc_matvecs(
            len(table),
            n_rows,
            table.shape[1],
            column_starts,
            flat_ids,
            weights,
            rows.reshape(-1),
            table.reshape(-1),
        )
        return
    unique, inverse = _unique(flat_ids, len(table))
    spread = scipy_sparse.csc_matrix((weights, inverse, column_starts), shape=(len(unique), n_rows))
    table[unique] += spread @ rows  # (U, d): every distinct id's summed update, added once


def _unique(ids, vocab_size):
    """np.unique(ids, return_inverse=True) for ids in [0, vocab_size), without sorting when the
    vocabulary is small next to the batch (a mark per word: 10x faster than sorting at B = 6,144)."""
    if vocab_size > 64 * len(ids):
        return np.unique(ids, return_inverse=True)
    seen = np.zeros(vocab_size, dtype=bool)
    seen[ids] = True
    unique = np.flatnonzero(seen)
    slot = np.empty(vocab_size, dtype=np.intp)
    slot[unique] = np.arange(len(unique))
    return unique, slot[ids]


class OuterRows:
    """The (B, J, d) array ``weights[b, j] * rows[b]`` kept as its factors, weights (B, J) and rows
    (B, d): the gradient of gathered rows u when scores = u·v, which an embedding's backward turns
    into a ``RowSparse`` gradient without ever forming it."""

    def __init__(self, weights, rows):
        self.weights, self.rows = weights, rows
        self.shape = (*weights.shape, rows.shape[-1])

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.weights[:, :, None] * self.rows[:, None, :], dtype=dtype)


class RowSparse:
    """A gradient of shape ``shape`` (V, d) held as grad[ids[b, j]] += weights[b, j] * rows[b]."""

    def __init__(self, shape, ids, weights, rows):
        self.shape, self.ids, self.weights, self.rows = tuple(shape), ids, weights, rows
        self.dtype = rows.dtype

    @classmethod
    def of_gathered(cls, shape, ids, drows):
        """The gradient of ``table[ids]`` (ids of any shape (...)) from the gradient of those rows:
        an array (..., d), or an ``OuterRows`` whose weights have the shape of ``ids``."""
        if isinstance(drows, OuterRows) and drows.weights.shape == ids.shape:
            return cls(shape, ids, drows.weights, drows.rows)
        drows = np.asarray(drows)
        flat = ids.reshape(-1, 1)  # one entry per gathered row, unit weight
        return cls(shape, flat, np.ones(flat.shape, dtype=drows.dtype), drows.reshape(len(flat), -1))

    def add_to(self, table, alpha=1.0):
        """table += alpha * self, in place (a scatter-add: repeated ids accumulate)."""
        scatter_add(table, self.ids, np.multiply(self.weights, alpha, dtype=table.dtype), self.rows)

    def to_dense(self):
        dense = np.zeros(self.shape, dtype=self.dtype)
        self.add_to(dense)
        return dense

    def __array__(self, dtype=None, copy=None):
        return self.to_dense() if dtype is None else self.to_dense().astype(dtype, copy=False)

    def __repr__(self):
        return f"RowSparse(shape={self.shape}, entries={self.ids.size}, dtype={self.dtype})"
