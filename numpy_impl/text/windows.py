"""Skip-gram pairs from dynamic windows that never cross a sentence boundary."""

import numpy as np

from ..checks import InputError


def window_pairs(ids, sentence_ids, window, rng):
    """The (input, output) word pairs of one pass over ``ids`` (T,), in corpus order.

    ``sentence_ids`` (T,) says which sentence each token is in (non-decreasing).
    Each position i draws a reduced window b in [0, window) and pairs with every position j of the
    same sentence with 0 < |i - j| <= window - b, so near neighbours are seen more often. In gensim's
    orientation the input (centre) vector is the neighbour j's and the output vector is i's;
    pairs come ordered by i, then j, as gensim visits them. Returns (centers, contexts), (P,) each.
    """
    if int(window) != window or window < 1:
        raise InputError(f"window must be a positive integer; got {window!r}")
    n = len(ids)
    reach = window - rng.integers(0, window, size=n)  # (T,) in [1, window]
    i = np.arange(n)
    first = np.searchsorted(sentence_ids, sentence_ids, side="left")  # sentence_ids is sorted
    last = np.searchsorted(sentence_ids, sentence_ids, side="right") - 1
    low, high = np.maximum(i - reach, first), np.minimum(i + reach, last)  # (T,) each
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2W,), j ascending
    j = i[:, None] + offsets  # (T, 2W)
    rows, cols = np.nonzero((j >= low[:, None]) & (j <= high[:, None]))  # row-major: by i, then by j
    return ids[rows + offsets[cols]], ids[rows]
