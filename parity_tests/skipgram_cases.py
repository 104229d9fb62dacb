"""The skip-gram check battery and shared set-up of the skip-gram test files.

Battery: model configurations x test points (docs/word2vec.md: at the initial weights, where the
output table is zero; at non-zero output vectors; with repeated ids; with negatives equal to the
positive; after SGD steps; huge scores; a batch of 1), each run through
``torch_impl.parity.check_model``; ``test_skipgram.py`` runs it on the real code and
``test_skipgram_mutants.py`` under each SGNS mutant. Plus gensim's reference vocabulary and a
prepared Hugging Face cache (the real ``hf_hub_download`` reads it; no network, no mock).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from cases import Case
from gensim.models import Word2Vec
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

import numpy_impl.skipgram as numpy_skipgram
import torch_impl.skipgram as torch_skipgram
from numpy_impl.optim import SGD
from numpy_impl.training import numpy_step
from torch_impl.bridge import load_numpy_state_dict
from torch_impl.parity import check_model
from torch_impl.train import torch_step

FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def gensim_sentences(name):
    with open(datapath(name), encoding="utf8") as lines:
        return [simple_preprocess(line) for line in lines]


def gensim_vocabulary(sentences, min_count, sample=1e-3):
    """gensim's Word2Vec vocabulary (words in index order, counts, keep probabilities)."""
    model = Word2Vec(vector_size=8, min_count=min_count, sample=sample, sg=1, workers=1)
    model.build_vocab(sentences)
    wv = model.wv
    counts = [wv.get_vecattr(w, "count") for w in wv.index_to_key]
    keep = [wv.get_vecattr(w, "sample_int") / (2**32 - 1) for w in wv.index_to_key]
    return list(wv.index_to_key), counts, keep


def prepare_hub_cache(cache_dir, repo_id, filename, content, repo_type="dataset"):
    """Lay a file out as ``hf_hub_download`` caches it: refs/main -> snapshots/<commit>/<filename>."""
    root = Path(cache_dir) / f"{repo_type}s--{repo_id.replace('/', '--')}"
    snapshot = root / "snapshots" / FAKE_COMMIT
    snapshot.mkdir(parents=True, exist_ok=True)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "main").write_text(FAKE_COMMIT)
    target = snapshot / filename
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf8")
    return target


# --- the battery ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    vocab_size: int
    dim: int
    n: int  # pairs per batch, different from every other size
    negatives: int
    dtype: type = np.float64
    finite_differences: str | None = "exhaustive"
    init: str = "gensim"

    @property
    def label(self):
        return f"V{self.vocab_size}-d{self.dim}-B{self.n}-K{self.negatives}_{np.dtype(self.dtype).name}"

    def models(self, seed=0, *, sparse=False):
        args = (self.vocab_size, self.dim)
        kwargs = {"seed": seed, "dtype": self.dtype, "init": self.init, "sparse": sparse}
        return numpy_skipgram.SkipGram(*args, **kwargs), torch_skipgram.SkipGram(*args, **kwargs)


CONFIGS = [
    Config(11, 7, 5, 3),
    Config(11, 7, 5, 3, dtype=np.float32, finite_differences=None),
    Config(53, 16, 37, 5, finite_differences="sampled"),
    Config(53, 16, 37, 5, dtype=np.float32, finite_differences=None),
    Config(1009, 100, 64, 5, finite_differences="sampled", init="word2vec"),
]
POINTS = (
    "init",
    "nonzero_output",
    "repeated_ids",
    "negative_is_positive",
    "after_sgd",
    "huge_scores",
    "batch_of_1",
)


CASES = [Case(config, point) for config in CONFIGS for point in POINTS]


def skipgram_batch(vocab_size, n, negatives, rng, *, distinct_words=None):
    """Ids uniform over the vocabulary, or over ``distinct_words`` of it (then ids repeat)."""
    words = (
        rng.choice(vocab_size, size=distinct_words, replace=False)
        if distinct_words
        else np.arange(vocab_size)
    )
    centers = rng.choice(words, size=n)
    contexts = rng.choice(words, size=n)
    return centers, contexts, rng.choice(words, size=(n, negatives))


def nonzero_state(model, rng, scale=0.5):
    """Both tables N(0, scale^2 / d)-ish, so scores are O(1) and the output table is not zero."""
    state = model.state_dict()
    for name, value in state.items():
        state[name] = (rng.standard_normal(value.shape) * scale).astype(value.dtype)
    return state


def case_inputs(case, seed=0):
    """(numpy model, torch model, batch) at the case's test point; both models hold the same weights."""
    config, point = case.config, case.point
    numpy_model, torch_model = config.models(seed)
    rng = np.random.default_rng(seed + 100)
    n = 1 if point == "batch_of_1" else config.n
    distinct = 3 if point == "repeated_ids" else None
    batch = skipgram_batch(config.vocab_size, n, config.negatives, rng, distinct_words=distinct)
    if point == "repeated_ids":
        assert (
            len(np.unique(batch[0])) < n and len(np.unique(np.concatenate([batch[1], batch[2].ravel()]))) <= 3
        )
    if point == "negative_is_positive":
        centers, contexts, negs = batch
        negs[:, 0] = contexts  # a negative equal to the pair's context
        negs[::2, -1] = contexts[::2]
        contexts[1::3] = centers[1::3]  # and a context equal to its centre
    if point != "init":
        numpy_model.load_state_dict(nonzero_state(numpy_model, rng))
    if point == "after_sgd":
        optimizer = SGD(numpy_model.parameters(), lr=0.5)
        for _ in range(3):
            numpy_step(numpy_model, optimizer, batch, reduction="sum")
    if point == "huge_scores":  # |u.v| ~ 1e3: naive log(sigmoid) logs 0 and exp overflows
        state = numpy_model.state_dict()
        state = {name: value * np.sqrt(1e3 / config.dim) * 2 for name, value in state.items()}
        numpy_model.load_state_dict(state)
    load_numpy_state_dict(torch_model, numpy_model.state_dict())
    return numpy_model, torch_model, batch


def run_case(case, seed=0, *, finite_differences=True):
    """check_model on the case; ``finite_differences=False`` skips them (faster under mutants, whose
    failure reports look for kinks entry by entry)."""
    numpy_model, torch_model, batch = case_inputs(case, seed)
    sizes = {"B": len(batch[0]), "K": batch[2].shape[1], "V": case.config.vocab_size, "d": case.config.dim}
    mode = case.config.finite_differences if finite_differences else None
    return check_model(numpy_model, torch_model, batch, finite_differences=mode, sizes=sizes)


def training_step_error(config, *, seed=0, lr=0.1, sparse=True):
    """word2vec's training step, the training layer's: one plain SGD step on the gradient of the
    batch's summed loss, NumPy (``numpy_step``; with ``sparse``, row-sparse gradients applied by a
    scatter-add) against torch (``torch_step``: autograd and ``torch.optim.SGD``), on a batch with
    repeated ids, at non-zero weights. Returns the largest |difference| / max|update| over both
    tables."""
    numpy_model, torch_model = config.models(seed, sparse=sparse)
    rng = np.random.default_rng(seed + 7)
    numpy_model.load_state_dict(nonzero_state(numpy_model, rng))
    load_numpy_state_dict(torch_model, numpy_model.state_dict())
    batch = skipgram_batch(config.vocab_size, config.n, config.negatives, rng, distinct_words=4)
    before = numpy_model.state_dict()
    numpy_step(numpy_model, SGD(numpy_model.parameters(), lr=lr), batch, reduction="sum")
    torch_batch = tuple(torch.from_numpy(a) for a in batch)
    torch_step(torch_model, torch.optim.SGD(torch_model.parameters(), lr=lr), torch_batch, reduction="sum")
    errors = []
    for name, value in numpy_model.state_dict().items():
        reference = torch_model.state_dict()[name].numpy()
        update = np.abs(reference - before[name]).max()
        errors.append(np.abs(value - reference).max() / update)
    return max(errors)
