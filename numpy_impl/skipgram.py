"""Skip-gram with negative sampling (word2vec's SGNS): two tables of word vectors, input (centre)
vectors ``v`` and output (context) vectors ``u``, both (V, d), named like the torch twin's
``nn.Embedding``s.

For one pair (centre w, context c) with negatives k_1..k_K the loss is
    -log σ(u_c·v_w) - Σ_k log σ(-u_k·v_w)
and a batch's loss is its mean over pairs. Gradients of rows gathered from a table go back by a
scatter-add, so a word that occurs twice in a batch gets both updates.

Training follows word2vec: per-pair gradients *summed* over a batch (``train_step``), SGD at a
learning rate decaying linearly from 0.025 to 0.0001 (``word2vec_lr``), in the one training loop:

    data = SkipGramData("lee_background", seed=0)
    model = SkipGram(len(data.vocabulary), 100, seed=0)
    history = fit(model, SGD(model.parameters(), lr=0.025), data, epochs=5, lr_schedule=word2vec_lr(5))

whose epoch records carry the loss summed over pairs in float64 (``loss_sum``).
"""

import numpy as np
from scipy import sparse

try:  # the compiled kernel behind ``csc_matrix @ dense`` (y += A @ x), private to SciPy
    from scipy.sparse._sparsetools import csc_matvecs as _csc_matvecs
except ImportError:  # pragma: no cover - a SciPy that moved it: the public route still works
    _csc_matvecs = None

from . import init as initializers
from .arrays import as_arrays
from .checks import InputError, is_int, unpack
from .model import Model
from .ops import reduce_loss
from .optim import SGD

INITS = ("gensim", "word2vec")


def scatter_add(table, ids, rows):
    """table[ids] += rows in place, where repeated ids accumulate: (V, d), (...) int, (..., d).

    ``table[ids] += rows`` would keep one update per repeated id; here every row is added, in
    order, by ``scatter_add_outer`` with unit weights.
    """
    ids = np.asarray(ids).reshape(-1)
    scatter_add_outer(
        table, ids[:, None], np.ones((len(ids), 1), dtype=rows.dtype), rows.reshape(len(ids), -1)
    )


def scatter_add_outer(table, ids, weights, rows):
    """table[ids[b, j]] += weights[b, j] * rows[b] for all b, j, in place: (V, d), (B, J), (B, J), (B, d).

    This is ``table += A @ rows`` for the sparse (V, B) matrix A whose column b holds weights[b, j]
    at row ids[b, j]; a repeated id simply has several entries, which add up. The (B, J, d) outer
    product is never formed. SciPy's compiled kernel for a CSC matrix times dense vectors adds
    straight into the table (``y += A @ x``), column by column in pair order: at B = 1,024, J = 6,
    d = 100 on one thread it halved a training step against summing per distinct id first (the
    public ``sparse.csc_matrix @ rows`` route below, used where that kernel is unavailable), which
    itself was 2x faster than ``np.add.at`` on flat indices and 12x than on rows.
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
    spread = sparse.csc_matrix((weights, inverse, column_starts), shape=(len(unique), n_rows))
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


def embedding(table, ids):
    """rows = table[ids]: (V, d), (...) int -> (..., d); the backward scatter-adds into a (V, d) zero table."""
    rows = table[ids]

    def backward(drows):
        dtable = np.zeros_like(table)
        scatter_add(dtable, ids, drows)
        return (dtable,)

    return rows, backward


def pair_scores(v, u):
    """scores[b, j] = u[b, j]·v[b]: (B, d), (B, J, d) -> (B, J)."""
    scores = np.matmul(u, v[:, :, None])[:, :, 0]  # 4x faster than (u * v[:, None]).sum(-1) in NumPy

    def backward(dscores):
        dv = np.matmul(dscores[:, None, :], u)[:, 0]  # (B, d): Σ_j dscores_j u_j
        du = dscores[:, :, None] * v[:, None, :]  # (B, J, d)
        return dv, du

    return scores, backward


def negative_sampling_loss(scores):
    """Per-pair SGNS loss from (B, 1 + K) scores, the context's first, then the K negatives' -> (B,).

        loss = -log σ(s_0) - Σ_k log σ(-s_k) = softplus(-s_0) + Σ_k softplus(s_k)
    ``backward(dloss)`` maps d/d(loss) per pair, (B,), to dscores: (σ(s_0) - 1, σ(s_1), ..., σ(s_K))
    times dloss.
    """
    loss = _softplus(-scores[:, 0]) + _softplus(scores[:, 1:]).sum(axis=-1)  # (B,)

    def backward(dloss):
        dscores = _sigmoid(scores)  # (B, 1 + K)
        dscores[:, 0] -= 1
        dscores *= np.asarray(dloss, dtype=scores.dtype)[:, None]
        return (dscores,)

    return loss, backward


class SkipGram(Model):
    """Input vectors U(-1/d, 1/d) and zero output vectors (gensim 4), or U(-0.5/d, 0.5/d) and zeros
    (``init="word2vec"``, the original C tool)."""

    def __init__(self, vocab_size, dim, *, seed=0, dtype=np.float32, init="gensim"):
        if int(vocab_size) != vocab_size or vocab_size < 2:
            raise InputError(f"vocab_size must be an integer >= 2; got {vocab_size!r}")
        if int(dim) != dim or dim < 1:
            raise InputError(f"dim must be a positive integer; got {dim!r}")
        if init not in INITS:
            raise InputError(f"init must be one of {INITS}; got {init!r}")
        self.vocab_size, self.dim, self.init = int(vocab_size), int(dim), init
        rng = np.random.default_rng(seed)
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
        check_skipgram_batch(as_arrays(batch), self.vocab_size)
        return as_arrays(batch)

    def loss_and_backward(self, batch, reduction="mean"):
        centers, targets = check_skipgram_batch(as_arrays(batch), self.vocab_size)
        v, input_backward = embedding(self._params["input_vectors.weight"], centers)  # (B, d)
        u, output_backward = embedding(self._params["output_vectors.weight"], targets)  # (B, 1 + K, d)
        scores, scores_backward = pair_scores(v, u)  # (B, 1 + K)
        per_pair, loss_backward = negative_sampling_loss(scores)  # (B,)
        loss, scale = reduce_loss(per_pair, reduction)

        def backward():
            (dscores,) = loss_backward(np.full(len(per_pair), scale))
            dv, du = scores_backward(dscores)
            (dinput,) = input_backward(dv)
            (doutput,) = output_backward(du)
            return {"input_vectors.weight": dinput, "output_vectors.weight": doutput}

        return loss, backward

    def train_step(self, batch, optimizer):
        """One training step of ``numpy_impl.train.fit``, word2vec's: the optimizer follows the
        gradient of the batch's *summed* loss (each pair's own gradient, as word2vec applies them),
        fused into ``sgd_step`` for plain SGD. Returns the batch's mean loss."""
        if isinstance(optimizer, SGD) and is_plain_sgd(optimizer.hparams):
            return self.sgd_step(batch, optimizer.lr) / len(batch[0])
        loss, grads = self.loss_and_grads(batch)
        if np.isfinite(loss):
            optimizer.step({name: grad * len(batch[0]) for name, grad in grads.items()})
        return loss

    def sgd_step(self, batch, lr):
        """word2vec's update: both tables minus ``lr`` times the per-pair gradients summed over the
        batch, all computed at the weights before the step. Returns the batch's summed loss (float64).

        The same ops as ``loss_and_backward``, except that the output table's update is scattered
        straight from dscores and v, without forming the (B, 1 + K, d) gradient of u.
        """
        centers, targets = check_skipgram_batch(as_arrays(batch), self.vocab_size)
        input_vectors = self._params["input_vectors.weight"]
        output_vectors = self._params["output_vectors.weight"]
        v, u = input_vectors[centers], output_vectors[targets]  # (B, d), (B, 1 + K, d)
        scores, _ = pair_scores(v, u)
        per_pair, loss_backward = negative_sampling_loss(scores)

        (dscores,) = loss_backward(np.full(len(per_pair), -lr))  # -lr x the gradient of the summed loss
        dv = np.matmul(dscores[:, None, :], u)[:, 0]  # (B, d), as pair_scores' backward
        scatter_add(input_vectors, centers, dv)
        scatter_add_outer(output_vectors, targets, dscores, v)  # du[b, j] = dscores[b, j] v[b]
        return float(per_pair.sum(dtype=np.float64))


def output_ids(contexts, negatives):
    """Each pair's output rows, its context first, then its K negatives: (B,), (B, K) -> (B, 1 + K)."""
    return np.concatenate([np.asarray(contexts)[:, None], np.asarray(negatives)], axis=1)


def check_skipgram_batch(batch, vocab_size):
    """Validate ``(centers (B,), contexts (B,), negatives (B, K))`` of word ids in [0, vocab_size).

    Returns (centers, output ids (B, 1 + K)) as NumPy arrays."""
    centers, contexts, negatives = check_skipgram_ids(batch, vocab_size)
    return np.asarray(centers), output_ids(contexts, negatives)


def check_skipgram_ids(batch, vocab_size):
    """The engine-agnostic part of the check (NumPy arrays or torch tensors)."""
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
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= vocab_size:
            raise InputError(f"{name} has word ids in [{low}, {high}]; the vocabulary has {vocab_size} words")
    return centers, contexts, negatives


def _softplus(x):
    """log(1 + exp(x)) without overflow: -log σ(-x)."""
    return np.logaddexp(0, x)


def _sigmoid(x):
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def word2vec_lr(epochs, start_lr=0.025, end_lr=0.0001):
    """word2vec's learning rate as an ``lr_schedule`` for ``fit``: linear from ``start_lr`` to
    ``end_lr`` over all ``epochs``, t being epochs done (fractions counted in pairs)."""
    if int(epochs) != epochs or epochs < 1:
        raise InputError(f"epochs must be a positive integer; got {epochs!r}")

    def lr(t):
        return max(end_lr, start_lr - (start_lr - end_lr) * t / epochs)

    return lr


def is_plain_sgd(hparams):
    """SGD without momentum or weight decay: the update word2vec's fused step computes."""
    return not hparams.get("momentum") and not hparams.get("weight_decay") and not hparams.get("maximize")
