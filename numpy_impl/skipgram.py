"""Skip-gram with negative sampling (word2vec's SGNS): two tables of word vectors, input (centre)
vectors ``v`` and output (context) vectors ``u``, both (V, d), named like the torch twin's
``nn.Embedding``s.

For one pair (centre w, context c) with negatives k_1..k_K the loss is
    -log σ(u_c·v_w) - Σ_k log σ(-u_k·v_w)
and a batch's loss is its mean over pairs (``reduction="sum"``: their sum). Gradients of rows
gathered from a table go back by a scatter-add, so a word that occurs twice in a batch gets both
updates. With ``sparse=True`` the tables' gradients come back row-sparse (``numpy_impl.sparse.
RowSparse``), as ``nn.Embedding(sparse=True)`` gives them in torch.

The model computes; training decides. word2vec's update, plain SGD on the gradient of the batch's
summed loss, is the one training loop's (docs/word2vec.md):

    data = SkipGramData("lee_background", seed=0)
    model = SkipGram(len(data.vocabulary), 100, seed=0, sparse=True)
    fit(model, SGD(model.parameters(), lr=0.025), data, epochs=5, lr_schedule=word2vec_lr(5), reduction="sum")
"""

import numpy as np

from . import init as initializers
from . import ops
from .arrays import as_arrays, float_dtype
from .checks import InputError, int_range, is_int, one_of, positive_int, unpack
from .model import Model
from .ops import reduce_loss
from .sparse import OuterRows, RowSparse

INITS = ("gensim", "word2vec")


def embedding(table, ids, sparse=False):
    """rows = table[ids]: (V, d), (...) int -> (..., d). The backward scatter-adds the rows'
    gradient into the table's: a (V, d) array, or a ``RowSparse`` with ``sparse``."""
    rows = np.take(table, ids, axis=0)  # table[ids], twice as fast for a batch of rows

    def backward(drows):
        dtable = RowSparse.of_gathered(table.shape, ids, drows)
        return (dtable if sparse else dtable.to_dense(),)

    return rows, backward


def pair_scores(v, u):
    """scores[b, j] = u[b, j]·v[b]: (B, d), (B, J, d) -> (B, J).

    The backward gives du as ``OuterRows(dscores, v)``, du[b, j] = dscores[b, j] v[b], which the
    embedding's backward scatters without forming the (B, J, d) array."""
    scores = np.matmul(u, v[:, :, None])[:, :, 0]  # 4x faster than (u * v[:, None]).sum(-1) in NumPy

    def backward(dscores):
        dv = np.matmul(dscores[:, None, :], u)[:, 0]  # (B, d): Σ_j dscores_j u_j
        return dv, OuterRows(dscores, v)  # (B, J, d)

    return scores, backward


def negative_sampling_loss(scores):
    """Per-pair SGNS loss from (B, 1 + K) scores, the context's first, then the K negatives' -> (B,).

        loss = -log σ(s_0) - Σ_k log σ(-s_k) = softplus(-s_0) + Σ_k softplus(s_k)
    ``backward(dloss)`` maps d/d(loss) per pair, (B,), to dscores: (σ(s_0) - 1, σ(s_1), ..., σ(s_K))
    times dloss. NaN scores give NaN, infinite ones what torch's logsigmoid gives (0 or inf).
    """
    loss = _softplus(-scores[:, 0]) + _softplus(scores[:, 1:]).sum(axis=-1)  # (B,)

    def backward(dloss):
        dscores, _ = ops.sigmoid(scores)  # (B, 1 + K)
        dscores[:, 0] -= 1
        dscores *= np.asarray(dloss, dtype=scores.dtype)[:, None]
        return (dscores,)

    return loss, backward


def _softplus(x):
    """log(1 + exp(x)) without overflow: -log σ(-x). (numpy_impl.ops has no softplus op.)
    np.logaddexp(0, x) computes the same, 8x slower."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class SkipGram(Model):
    """Input vectors U(-1/d, 1/d) and zero output vectors (gensim 4), or U(-0.5/d, 0.5/d) and zeros
    (``init="word2vec"``, the original C tool). ``sparse``: row-sparse table gradients."""

    def __init__(self, vocab_size, dim, *, seed=0, dtype=np.float32, init="gensim", sparse=False):
        self.vocab_size = positive_int(vocab_size, "vocab_size", minimum=2)
        self.dim = positive_int(dim, "dim")
        self.init, self.sparse = one_of(init, INITS, "init"), bool(sparse)
        dtype = float_dtype(dtype)
        rng = initializers.generator(seed)
        bound = (1.0 if init == "gensim" else 0.5) / self.dim
        shape = (self.vocab_size, self.dim)  # (V, d), both tables
        super().__init__(
            {
                "input_vectors.weight": initializers.uniform(rng, shape, bound, dtype),
                "output_vectors.weight": initializers.zeros(shape, dtype),
            },
            dtype,
        )

    @property
    def vectors(self):
        """The word vectors to use after training: the input table (word2vec's and gensim's choice)."""
        return self._params["input_vectors.weight"]

    def validate(self, batch):
        """``(centers, contexts, negatives)`` checked (``check_skipgram_ids``), as arrays."""
        return check_skipgram_ids(as_arrays(batch), self.vocab_size)

    def loss_and_backward(self, batch, reduction="mean"):
        centers, contexts, negatives = batch
        targets = output_ids(contexts, negatives)  # (B, 1 + K)
        v, input_backward = embedding(self._params["input_vectors.weight"], centers, self.sparse)  # (B, d)
        u, output_backward = embedding(self._params["output_vectors.weight"], targets, self.sparse)
        scores, scores_backward = pair_scores(v, u)  # (B, 1 + K)
        per_pair, loss_backward = negative_sampling_loss(scores)  # (B,)
        loss, scale = reduce_loss(per_pair, reduction)

        def backward():
            (dscores,) = loss_backward(np.full(len(per_pair), scale, dtype=per_pair.dtype))
            dv, du = scores_backward(dscores)
            (dinput,) = input_backward(dv)
            (doutput,) = output_backward(du)
            return {"input_vectors.weight": dinput, "output_vectors.weight": doutput}

        return loss, backward


def output_ids(contexts, negatives):
    """Each pair's output rows, its context first, then its K negatives: (B,), (B, K) -> (B, 1 + K)."""
    return np.concatenate([contexts[:, None], negatives], axis=1)


def check_skipgram_ids(batch, vocab_size, *, values=True):
    """``(centers (B,), contexts (B,), negatives (B, K))`` of integer word ids, B >= 1, K >= 1,
    NumPy arrays or torch tensors; with ``values``, also every id in [0, vocab_size), which reads
    the values (a host sync on a GPU: the torch twin's ``loss`` checks shapes only). Returns the
    three as given."""
    centers, contexts, negatives = unpack(batch, ("centers", "contexts", "negatives"))
    if centers.ndim != 1 or centers.shape[0] == 0:
        raise InputError(
            f"centers must be a non-empty 1-D array of word ids; got shape {tuple(centers.shape)}"
        )
    n = centers.shape[0]
    if tuple(contexts.shape) != (n,):
        raise InputError(f"contexts must have shape ({n},), one per centre; got {tuple(contexts.shape)}")
    if negatives.ndim != 2 or negatives.shape[0] != n or negatives.shape[1] < 1:
        raise InputError(f"negatives must have shape ({n}, K) with K >= 1; got {tuple(negatives.shape)}")
    for name, ids in (("centers", centers), ("contexts", contexts), ("negatives", negatives)):
        if not is_int(ids):
            raise InputError(f"{name} must hold integer word ids; got dtype {ids.dtype}")
        if values:
            low, high = int_range(ids)
            if low < 0 or high >= vocab_size:
                raise InputError(
                    f"{name} has word ids in [{low}, {high}]; the vocabulary has {vocab_size} words"
                )
    return centers, contexts, negatives
