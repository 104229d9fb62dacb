"""The two random draws of word2vec: which tokens of an epoch to keep (frequent-word subsampling)
and which words to use as negatives (unigram counts raised to 0.75)."""

import numpy as np

from ..checks import InputError, real


def keep_probabilities(counts, sample=1e-3):
    """word2vec's probability of keeping each word, (V,) float64, computed as gensim does.

    With t = sample * (total count): p = (sqrt(c / t) + 1) * t / c, capped at 1, so words rarer than
    about t are always kept. ``sample=0`` keeps everything; ``sample >= 1`` is gensim's shorthand for
    "downsample words with more than ``sample`` occurrences".
    """
    counts = np.asarray(counts, dtype=np.float64)
    sample = real(sample, "sample", minimum=0)  # NaN would keep no word and fail later, unnamed
    if not sample:
        return np.ones_like(counts)
    threshold = sample * counts.sum() if sample < 1 else float(int(sample * (3 + np.sqrt(5)) / 2))
    return np.minimum((np.sqrt(counts / threshold) + 1) * (threshold / counts), 1.0)


def subsample(ids, keep_probability, rng):
    """A mask over ``ids`` (T,): True where the token is kept this epoch (redrawn every epoch)."""
    return rng.random(len(ids)) < keep_probability[ids]


class NegativeSampler:
    """Draws word ids with probability proportional to count**exponent, by Walker's alias method.

    One uniform draw u in [0, V) per sample: column floor(u) is taken when the fraction of u is
    below that column's threshold, else the column's alias. O(1) per sample; a binary search in
    gensim's cumulative table was 5x slower at mini-batch sizes.
    """

    def __init__(self, counts, exponent=0.75):
        weights = np.asarray(counts, dtype=np.float64) ** exponent
        if len(weights) == 0 or not np.all(weights > 0):
            raise InputError("negative sampling needs a non-empty vocabulary with positive counts")
        self.probabilities = weights / weights.sum()  # (V,)
        self.threshold, self.alias = _alias_table(self.probabilities)

    def draw(self, rng, shape):
        """Word ids of ``shape``, int64."""
        u = rng.random(shape) * len(self.alias)
        column = u.astype(np.int64)
        threshold = np.take(self.threshold, column)  # self.threshold[column], faster
        alias = np.take(self.alias, column)
        return np.where(u - column < threshold, column, alias)


def _alias_table(probabilities):
    """Vose's construction: column i keeps itself with probability threshold[i], else gives alias[i]."""
    n = len(probabilities)
    scaled = probabilities * n
    threshold, alias = np.ones(n), np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        threshold[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return threshold, alias  # columns left over (rounding) keep themselves with threshold 1
