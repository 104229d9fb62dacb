"""Vocabulary: the words seen at least ``min_count`` times, most frequent first, in the order and
with the counts gensim's Word2Vec gives on the same sentences (ties: the word seen first goes last,
as gensim's ``sort_by_descending_frequency`` orders them)."""

from collections import Counter

import numpy as np

from ..checks import InputError, positive_int


class Vocabulary:
    def __init__(self, words, counts):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)  # (V,)
        if len(self.words) != len(self.counts):
            raise InputError(f"{len(self.words)} words but {len(self.counts)} counts")
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise InputError("the vocabulary lists a word twice")

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    @property
    def total(self):
        """Tokens of the corpus that are in the vocabulary."""
        return int(self.counts.sum())

    def encode(self, tokens):
        """The ids of the tokens in the vocabulary, (n,) int64; out-of-vocabulary tokens are dropped."""
        index = self.index
        return np.fromiter((index[t] for t in tokens if t in index), dtype=np.int64)

    def __repr__(self):
        return f"Vocabulary({len(self)} words, {self.total} tokens)"


def build_vocabulary(sentences, min_count=5):
    """Count the tokens of ``sentences`` (an iterable of token lists) and keep the frequent ones."""
    positive_int(min_count, "min_count")
    counts = Counter()  # keeps first-seen order, which decides ties below
    for sentence in sentences:
        counts.update(sentence)
    name = getattr(sentences, "name", "the corpus")
    if not counts:
        raise InputError(f"{name} is empty: it has no tokens (after tokenisation)")
    kept = [(word, n) for word, n in counts.items() if n >= min_count]
    if not kept:
        raise InputError(
            f"no word of {name} occurs min_count={min_count} times (the most frequent occurs "
            f"{max(counts.values())} times); lower min_count or use a larger corpus"
        )
    words, n = zip(*kept, strict=True)
    n = np.array(n, dtype=np.int64)
    order = np.lexsort((-np.arange(len(n)), -n))  # by count descending, then later-seen first
    return Vocabulary([words[i] for i in order], n[order])


class EncodedCorpus:
    """A corpus as vocabulary ids: ``ids`` (T,) int64 with sentence ``starts`` (S + 1,) offsets."""

    def __init__(self, ids, starts):
        self.ids, self.starts = ids, starts

    @property
    def sentence_ids(self):
        """The sentence each token belongs to, (T,)."""
        return np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))

    def __len__(self):
        return len(self.ids)


def encode_corpus(sentences, vocabulary):
    """Stream ``sentences`` once, keeping the ids of in-vocabulary tokens and where sentences start."""
    chunks, lengths = [], []
    for sentence in sentences:
        ids = vocabulary.encode(sentence)
        if len(ids):
            chunks.append(ids)
            lengths.append(len(ids))
    if not chunks:
        raise InputError("the corpus has no token in the vocabulary")
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return EncodedCorpus(np.concatenate(chunks), starts)
