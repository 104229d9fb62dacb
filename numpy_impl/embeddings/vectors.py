"""Word vectors and the questions asked of them: cosine similarity, nearest neighbours (batched),
3CosAdd analogies and the odd one out. One implementation for both engines' models and for
vectors loaded from files."""

import numpy as np

from ..checks import InputError, check_finite

_CHUNK = 1 << 22  # entries of a (queries x vocabulary) similarity block computed at once


class WordVectors:
    """``words`` (V,) and their ``vectors`` (V, d), row i belonging to words[i]."""

    def __init__(self, words, vectors):
        vectors = _as_array(vectors)
        if vectors.ndim != 2:
            raise InputError(f"vectors must be 2-D (words, dim); got shape {vectors.shape}")
        if vectors.dtype.kind != "f":
            raise InputError(f"vectors must hold floats; got dtype {vectors.dtype}")
        check_finite(vectors, "vectors")  # a NaN row would drop out of every neighbour list unnoticed
        self.words = list(words)
        if len(self.words) != len(vectors):
            raise InputError(f"{len(self.words)} words but {len(vectors)} vectors")
        self.vectors = vectors
        self.index = {}
        for i, word in enumerate(self.words):
            self.index.setdefault(word, i)  # a repeated word keeps its first (most frequent) row
        self._unit = None

    @classmethod
    def from_model(cls, model, vocabulary):
        """The input vectors of either engine's trained ``SkipGram`` with ``vocabulary``'s words."""
        return cls(vocabulary.words, model.vectors)

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    @property
    def dim(self):
        return self.vectors.shape[1]

    @property
    def unit(self):
        """Rows scaled to length 1 (all-zero rows stay zero), in the vectors' dtype."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.where(norms > 0, norms, 1)
        return self._unit

    def ids(self, words):
        """Row ids of ``words``; names every word that is not in the vocabulary."""
        unknown = [w for w in words if w not in self.index]
        if unknown:
            listed = ", ".join(repr(w) for w in dict.fromkeys(unknown))
            raise InputError(f"not in the vocabulary ({len(self)} words): {listed}")
        return np.array([self.index[w] for w in words], dtype=np.int64)

    def vector(self, word):
        return self.vectors[self.ids([word])[0]]

    def similarity(self, a, b):
        """Cosine similarity of two words."""
        ia, ib = self.ids([a, b])
        return float(self.unit[ia] @ self.unit[ib])

    def most_similar(self, queries, topn=10, *, restrict_vocab=None):
        """Nearest words by cosine similarity, excluding the query word itself.

        ``queries``: a word (returns one list) or a list of words (returns a list per word), or a
        (Q, d) array of vectors (nothing excluded). Each list holds ``topn`` (word, cosine) pairs.
        """
        if isinstance(queries, str):
            return self.most_similar([queries], topn, restrict_vocab=restrict_vocab)[0]
        if isinstance(queries, np.ndarray) or hasattr(queries, "detach"):
            targets = _as_array(queries).reshape(-1, self.dim)
            exclude = np.zeros((len(targets), 0), dtype=np.int64)
        else:
            ids = self.ids(list(queries))
            targets, exclude = self.unit[ids], ids[:, None]
        return self._nearest(targets, exclude, topn, restrict_vocab)

    def analogy(self, a, b, c, topn=1, *, restrict_vocab=None):
        """ "a is to b as c is to ?": the words nearest to b - a + c (3CosAdd on unit vectors),
        a, b and c excluded. Returns ``topn`` (word, cosine) pairs."""
        return self.analogies([(a, b, c)], topn, restrict_vocab=restrict_vocab)[0]

    def analogies(self, questions, topn=1, *, restrict_vocab=None):
        """``analogy`` for many (a, b, c) triples at once; one list per triple."""
        ids = self.ids([w for q in questions for w in q]).reshape(-1, 3)
        return self._nearest(self.analogy_targets(ids), ids, topn, restrict_vocab)

    def odd_one_out(self, words):
        """The word least similar to the (normalised) mean of all the words' unit vectors."""
        words = list(words)
        if len(words) < 2:
            raise InputError(f"odd_one_out needs at least 2 words; got {len(words)}")
        rows = self.unit[self.ids(words)]
        mean = rows.mean(axis=0)
        return words[int(np.argmin(rows @ mean))]

    def nearest_ids(self, targets, exclude, restrict_vocab=None):
        """For each target row, the id with the largest cosine, ``exclude`` (Q, n) ids left out."""
        best = np.empty(len(targets), dtype=np.int64)
        for rows, scores in self._score_blocks(targets, exclude, restrict_vocab):
            best[rows] = np.argmax(scores, axis=1)
        return best

    def analogy_targets(self, ids):
        """Unit-length b - a + c for each (a, b, c) row of ids: (Q, 3) -> (Q, d)."""
        unit = self.unit
        target = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]
        norms = np.linalg.norm(target, axis=1, keepdims=True)
        return target / np.where(norms > 0, norms, 1)

    def _nearest(self, targets, exclude, topn, restrict_vocab):
        if int(topn) != topn or topn < 1:
            raise InputError(f"topn must be a positive integer; got {topn!r}")
        results = [None] * len(targets)
        for rows, scores in self._score_blocks(targets, exclude, restrict_vocab):
            k = min(int(topn), scores.shape[1])
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            for row, candidates, row_scores in zip(rows, top, scores, strict=True):
                ordered = candidates[np.argsort(-row_scores[candidates], kind="stable")]
                results[row] = [
                    (self.words[i], float(row_scores[i])) for i in ordered if row_scores[i] > -np.inf
                ]
        return results

    def _score_blocks(self, targets, exclude, restrict_vocab):
        """Cosines of unit-length ``targets`` against the first ``restrict_vocab`` words, in blocks of
        rows, with excluded ids at -inf: yields (row indices, (rows, vocab) scores)."""
        unit = self.unit[: restrict_vocab or len(self)]
        step = max(1, _CHUNK // max(len(unit), 1))
        for start in range(0, len(targets), step):
            rows = np.arange(start, min(start + step, len(targets)))
            scores = (np.asarray(targets[rows], dtype=unit.dtype) @ unit.T).astype(np.float64)
            ex = exclude[rows]
            inside = ex < len(unit)
            scores[np.nonzero(inside)[0], ex[inside]] = -np.inf
            yield rows, scores

    def __repr__(self):
        return f"WordVectors({len(self)} words x {self.dim} dims, {self.vectors.dtype})"


def _as_array(a):
    """A NumPy view of NumPy arrays and torch tensors (numpy_impl never imports torch)."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)
