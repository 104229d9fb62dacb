"""Skip-gram training data: one corpus turned into epochs of ``(centers, contexts, negatives)``
batches of word ids, deterministic by seed and the same for both engines."""

import numpy as np

from ..checks import InputError, positive_int, real
from ..checks import seed as check_seed
from ..digest import array_digest, text_digest
from .corpus import load_corpus
from .sampling import NegativeSampler, keep_probabilities, subsample
from .vocab import Vocabulary, build_vocabulary, encode_corpus
from .windows import window_pairs


class SkipGramData:
    """Vocabulary, encoded corpus and samplers for one corpus; ``epoch(e)`` gives epoch e's batches.

    Every epoch redraws the subsampling, the window sizes, the pair order (when ``shuffle``) and the
    negatives from ``default_rng([seed, e])``: epoch e is the same whatever was drawn before it.
    """

    def __init__(
        self,
        corpus,
        *,
        min_count=5,
        window=5,
        negatives=5,
        sample=1e-3,
        batch_size=1024,
        shuffle=False,
        seed=0,
        vocabulary=None,
    ):
        negatives, window = positive_int(negatives, "negatives"), positive_int(window, "window")
        batch_size, seed = positive_int(batch_size, "batch_size"), check_seed(seed, "seed")
        sample = real(sample, "sample", minimum=0)
        if vocabulary is not None and not isinstance(vocabulary, Vocabulary):
            raise InputError(
                f"vocabulary must be a Vocabulary (data.vocabulary); got {type(vocabulary).__name__}"
            )
        self.corpus = load_corpus(corpus)
        self.vocabulary = vocabulary if vocabulary is not None else build_vocabulary(self.corpus, min_count)
        if len(self.vocabulary) < negatives + 1:
            raise InputError(
                f"the vocabulary has {len(self.vocabulary)} words after min_count={min_count}; "
                f"{negatives} negatives need at least {negatives + 1} (lower min_count or negatives)"
            )
        self.window, self.negatives, self.sample = window, negatives, sample
        self.batch_size, self.shuffle, self.seed = batch_size, bool(shuffle), seed
        self.encoded = encode_corpus(self.corpus, self.vocabulary)
        if np.diff(self.encoded.starts).max() < 2:  # a pair needs two words of one sentence
            raise InputError(
                f"{getattr(self.corpus, 'name', 'the corpus')} makes no (centre, context) pair: no sentence "
                f"has two words of the vocabulary (min_count={min_count}); use longer sentences or a lower min_count"
            )
        self._sentence_ids = self.encoded.sentence_ids
        self.keep_probability = keep_probabilities(self.vocabulary.counts, sample)  # (V,)
        self.sampler = NegativeSampler(self.vocabulary.counts)

    @property
    def expected_words(self):
        """Tokens an epoch keeps on average after subsampling (gensim's "effective words")."""
        return float(self.keep_probability[self.encoded.ids].sum())

    def check_model(self, model):
        """The training loop's one check before the first batch: the ids made here lie in
        [0, len(vocabulary)) by construction, so every batch suits a model with that many words or more."""
        vocab_size = getattr(model, "vocab_size", None)
        if vocab_size is None or vocab_size < len(self.vocabulary):
            raise InputError(
                f"the data's vocabulary has {len(self.vocabulary)} words; the model has vocab_size "
                f"{vocab_size} (build it as SkipGram(len(data.vocabulary), dim))"
            )

    def run_key(self):
        """What a training checkpoint must share with the run that resumes it."""
        return {
            "seed": int(self.seed),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "vocabulary": len(self.vocabulary),
            "tokens": int(len(self.encoded.ids)),
            "window": self.window,
            "negatives": self.negatives,
            "sample": float(self.sample),
            "corpus": array_digest([self.encoded.ids, self.encoded.starts]),
            "vocabulary_words": text_digest(self.vocabulary.words),
        }

    def epoch(self, epoch):
        rng = np.random.default_rng([self.seed, epoch])
        kept = subsample(self.encoded.ids, self.keep_probability, rng)
        centers, contexts = window_pairs(self.encoded.ids[kept], self._sentence_ids[kept], self.window, rng)
        if self.shuffle:
            order = rng.permutation(len(centers))
            centers, contexts = centers[order], contexts[order]
        if len(centers) == 0:
            raise InputError(
                f"epoch {epoch} has no (centre, context) pair: subsampling (sample={self.sample}) kept "
                f"{int(kept.sum())} of {len(kept)} tokens; use a larger corpus or sample=0"
            )
        return Epoch(centers, contexts, int(kept.sum()), self, rng)

    def __repr__(self):
        return (
            f"SkipGramData({self.corpus!r}, V={len(self.vocabulary)}, window={self.window}, "
            f"negatives={self.negatives}, batch_size={self.batch_size}, shuffle={self.shuffle})"
        )


class Epoch:
    """The pairs of one epoch, iterated as batches; negatives are drawn as batches are made."""

    def __init__(self, centers, contexts, n_words, data, rng):
        self.centers, self.contexts = centers, contexts  # (P,) each
        self.n_words = n_words  # tokens kept after subsampling
        self._data, self._rng, self._used = data, rng, False

    @property
    def n_pairs(self):
        return len(self.centers)

    n_examples = n_pairs  # what the training loop's learning-rate schedule counts

    @property
    def record(self):
        """What the training loop keeps about this epoch: pairs, and words kept after subsampling."""
        return {"pairs": int(self.n_pairs), "words": int(self.n_words)}

    def __len__(self):
        return -(-self.n_pairs // self._data.batch_size)

    def __iter__(self):
        if self._used:  # a second pass would draw other negatives: ask data.epoch(e) again instead
            raise RuntimeError("an Epoch's batches can be iterated once; call data.epoch(e) again")
        self._used = True
        size, k = self._data.batch_size, self._data.negatives
        for start in range(0, self.n_pairs, size):
            centers = self.centers[start : start + size]
            negatives = self._data.sampler.draw(self._rng, (len(centers), k))
            yield centers, self.contexts[start : start + size], negatives
