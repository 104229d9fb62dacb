"""Skip-gram with negative sampling, the torch twin of ``numpy_impl/skipgram.py``: two
``nn.Embedding`` tables (with sparse gradients when ``sparse=True``) holding the NumPy twin's
initial values. Gradients come from autograd; training is ``torch.optim.SGD`` in the one loop:

    fit(model, torch.optim.SGD(model.parameters(), lr=0.025), data, epochs=5,
        lr_schedule=word2vec_lr(5), reduction="sum")

``loss`` checks shapes and dtypes only (metadata): reading ids to check their range would be a
host sync per call on a GPU. ``validate`` checks the ids too, by the NumPy twin's rules.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import numpy_impl.skipgram
from numpy_impl.checks import one_of
from numpy_impl.ops import REDUCTIONS
from numpy_impl.skipgram import check_skipgram_ids

from .module import copy_numpy_parameters
from .tensors import as_tensors, torch_dtype


def embedding_table(vocab_size, dim, dtype, sparse):
    """An ``nn.Embedding`` without torch's initialisation: its values come from NumPy."""
    return nn.utils.skip_init(nn.Embedding, vocab_size, dim, sparse=sparse, dtype=torch_dtype(dtype))


def pair_scores(v, u):
    """scores[b, j] = u[b, j]·v[b]: (B, d), (B, J, d) -> (B, J)."""
    return (u * v[:, None, :]).sum(dim=-1)  # 4x faster than bmm at these shapes on CPU (docs/word2vec.md)


def negative_sampling_loss(scores):
    """Per-pair SGNS loss from (B, 1 + K) scores, the context's first -> (B,).

    One ``logsigmoid`` over the scores times (+1, -1, ..., -1): the same values and gradients as
    ``-logsigmoid(s_0) - logsigmoid(-s_k).sum()`` (negation is exact), with a third of the autograd
    nodes (no slices, no second logsigmoid), which is a sixth of a training step on the CPU."""
    # -logsigmoid is softplus without F.softplus's linear cut-off above 20, which is off by ~1e-9
    signs = torch.full(scores.shape[1:], -1.0, dtype=scores.dtype, device=scores.device)
    signs[0] = 1.0
    return -F.logsigmoid(scores * signs).sum(dim=-1)


class SkipGram(nn.Module):
    def __init__(self, vocab_size, dim, *, seed=0, dtype=np.float32, init="gensim", sparse=False):
        super().__init__()
        reference = numpy_impl.skipgram.SkipGram(vocab_size, dim, seed=seed, dtype=dtype, init=init)
        self.vocab_size, self.dim, self.init = reference.vocab_size, reference.dim, reference.init
        self.sparse = bool(sparse)
        self.input_vectors = embedding_table(self.vocab_size, self.dim, dtype, self.sparse)
        self.output_vectors = embedding_table(self.vocab_size, self.dim, dtype, self.sparse)
        copy_numpy_parameters(self, reference)

    @property
    def vectors(self):
        """The word vectors to use after training: the input table."""
        return self.input_vectors.weight.detach()

    def validate(self, batch):
        """``(centers, contexts, negatives)`` checked with the ids' range, as tensors."""
        return as_tensors(check_skipgram_ids(batch, self.vocab_size))  # on NumPy arrays when given them

    def loss(self, batch, reduction="mean"):
        one_of(reduction, REDUCTIONS, "reduction")
        centers, contexts, negatives = check_skipgram_ids(as_tensors(batch), self.vocab_size, values=False)
        targets = torch.cat([contexts[:, None], negatives], dim=1)  # (B, 1 + K)
        v = self.input_vectors(centers)  # (B, d)
        u = self.output_vectors(targets)  # (B, 1 + K, d)
        scores = pair_scores(v, u)  # (B, 1 + K)
        per_pair = negative_sampling_loss(scores)  # (B,)
        return per_pair.sum() if reduction == "sum" else per_pair.mean()

    def forward(self, centers):
        return self.input_vectors(centers)
