"""Skip-gram with negative sampling, the torch twin of ``numpy_impl/skipgram.py``: two
``nn.Embedding`` tables (optionally with sparse gradients) holding the NumPy twin's initial values.

``loss(batch)`` is for autograd and parity; ``train_step`` is word2vec's step for the training
loop: ``sgd_step``, the update with the gradients written by hand and ``index_add_`` as the
scatter-add (the fast CPU path), under plain SGD, autograd on the summed loss otherwise;
``autograd_step`` is ``sgd_step`` through autograd.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import numpy_impl.skipgram
from numpy_impl.checks import one_of
from numpy_impl.ops import REDUCTIONS
from numpy_impl.skipgram import check_skipgram_ids, is_plain_sgd

from .module import copy_numpy_parameters
from .tensors import as_tensors, torch_dtype


def embedding_table(vocab_size, dim, dtype, sparse):
    """An ``nn.Embedding`` without torch's initialisation: its values come from NumPy."""
    return nn.utils.skip_init(nn.Embedding, vocab_size, dim, sparse=sparse, dtype=torch_dtype(dtype))


def pair_scores(v, u):
    """scores[b, j] = u[b, j]·v[b]: (B, d), (B, J, d) -> (B, J)."""
    return (u * v[:, None, :]).sum(dim=-1)  # 4x faster than bmm at these shapes on CPU (SKIPGRAM.md)


def negative_sampling_loss(scores):
    """Per-pair SGNS loss from (B, 1 + K) scores, the context's first -> (B,)."""
    # -logsigmoid is softplus without F.softplus's linear cut-off above 20, which is off by ~1e-9
    return -F.logsigmoid(scores[:, 0]) - F.logsigmoid(-scores[:, 1:]).sum(dim=-1)


class SkipGram(nn.Module):
    def __init__(self, vocab_size, dim, *, seed=0, dtype=np.float32, init="gensim", sparse=False):
        super().__init__()
        reference = numpy_impl.skipgram.SkipGram(vocab_size, dim, seed=seed, dtype=dtype, init=init)
        self.vocab_size, self.dim, self.init = reference.vocab_size, reference.dim, init
        self.input_vectors = embedding_table(self.vocab_size, self.dim, dtype, sparse)
        self.output_vectors = embedding_table(self.vocab_size, self.dim, dtype, sparse)
        copy_numpy_parameters(self, reference)

    @property
    def vectors(self):
        """The word vectors to use after training: the input table."""
        return self.input_vectors.weight.detach()

    def _ids(self, batch):
        checked = check_skipgram_ids(batch, self.vocab_size)  # on NumPy arrays when given them: cheaper
        centers, contexts, negatives = as_tensors(checked)
        return centers, torch.cat([contexts[:, None], negatives], dim=1)  # (B,), (B, 1 + K)

    def validate(self, batch):
        return check_skipgram_ids(as_tensors(batch), self.vocab_size)

    def loss(self, batch, reduction="mean"):
        per_pair = self.per_pair_loss(batch)
        return per_pair.sum() if one_of(reduction, REDUCTIONS, "reduction") == "sum" else per_pair.mean()

    def per_pair_loss(self, batch):
        """The SGNS loss of each pair, (B,), through the embeddings (autograd, dense or sparse)."""
        centers, targets = self._ids(batch)
        v = self.input_vectors(centers)  # (B, d)
        u = self.output_vectors(targets)  # (B, 1 + K, d)
        scores = pair_scores(v, u)  # (B, 1 + K)
        return negative_sampling_loss(scores)  # (B,)

    def forward(self, centers):
        return self.input_vectors(centers)

    def train_step(self, batch, optimizer):
        """One training step of ``torch_impl.train.fit``, word2vec's: the optimizer follows the
        gradient of the batch's *summed* loss, fused into ``sgd_step`` for plain SGD. Returns the
        batch's mean loss."""
        groups = optimizer.param_groups
        if type(optimizer) is torch.optim.SGD and all(is_plain_sgd(g) for g in groups):
            return self.sgd_step(batch, groups[0]["lr"]) / len(batch[0])
        optimizer.zero_grad()
        total = self.per_pair_loss(batch).sum()
        value = float(total.detach()) / len(batch[0])
        if np.isfinite(value):
            total.backward()
            optimizer.step()
        return value

    @torch.no_grad()
    def sgd_step(self, batch, lr):
        """word2vec's update with hand-written gradients, as the NumPy twin computes them.

        Returns the batch's summed loss (float64)."""
        centers, targets = self._ids(batch)
        input_vectors, output_vectors = self.input_vectors.weight, self.output_vectors.weight
        # index_select gathers 6x faster than advanced indexing (table[ids]) on CPU
        v = input_vectors.index_select(0, centers)  # (B, d)
        u = output_vectors.index_select(0, targets.reshape(-1)).view(*targets.shape, -1)  # (B, 1 + K, d)
        scores = pair_scores(v, u)  # (B, 1 + K)
        per_pair = negative_sampling_loss(scores)  # (B,)

        dscores = torch.sigmoid(scores)
        dscores[:, 0] -= 1
        dscores *= -lr  # -lr x the gradient of the summed loss
        dv = torch.matmul(dscores[:, None, :], u)[:, 0]  # (B, d)
        du = dscores[:, :, None] * v[:, None, :]  # (B, 1 + K, d)
        input_vectors.index_add_(0, centers, dv)  # accumulates repeated ids
        output_vectors.index_add_(0, targets.reshape(-1), du.reshape(-1, self.dim))
        return float(per_pair.sum(dtype=torch.float64))

    def autograd_step(self, batch, lr):
        """The same update through autograd (dense or sparse gradients). Returns the summed loss."""
        per_pair = self.per_pair_loss(batch)
        self.zero_grad(set_to_none=True)
        per_pair.sum().backward()
        with torch.no_grad():
            for p in self.parameters():
                p.add_(p.grad, alpha=-lr)  # a sparse gradient adds its repeated rows
        return float(per_pair.detach().sum(dtype=torch.float64))
