"""Known bugs of skip-gram with negative sampling (the SGNS bugs of docs/word2vec.md), swapped into
``numpy_impl.skipgram`` and ``numpy_impl.sparse`` (their functions look each other up on the module
at call time), and rewrites that must pass."""

import numpy as np

from numpy_impl import ops
from numpy_impl import skipgram as sg
from numpy_impl import sparse as row_sparse

from .mutant import Mutant


def _assign_rows(table, ids, weights, rows):
    table[ids] += weights[:, :, None] * rows[:, None, :]  # fancy-index += keeps one update per repeated id


def _assign_in_add_to(self, table, alpha=1.0):  # RowSparse.add_to, the optimizer's scatter, as W[idx] += G
    table[self.ids.reshape(-1)] += (alpha * self.weights[:, :, None] * self.rows[:, None, :]).reshape(
        self.ids.size, -1
    )


def _flat_add_at(table, ids, weights, rows):  # equivalent: np.add.at on flat indices, another summation order
    d = table.shape[1]
    update = (weights[:, :, None] * rows[:, None, :]).reshape(-1, d)
    np.add.at(table.reshape(-1), (ids.reshape(-1, 1) * d + np.arange(d)).ravel(), update.ravel())


def _scores(dv=None, du=None, scores=None):
    def pair_scores(v, u):
        s = np.matmul(u, v[:, :, None])[:, :, 0] if scores is None else scores(v, u)

        def backward(ds):
            right_dv = np.matmul(ds[:, None, :], u)[:, 0]
            right_du = ds[:, :, None] * v[:, None, :]
            return (right_dv if dv is None else dv(ds, u, v)), (right_du if du is None else du(ds, u, v))

        return s, backward

    return pair_scores


def _sigmoid(x):
    return ops.sigmoid(x)[0]


def _loss(loss=None, dscores=None, ignore_dloss=False):
    """negative_sampling_loss with the forward and/or the backward (dscores before x dloss) swapped."""

    def softplus(x):
        return np.logaddexp(0, x)

    def negative_sampling_loss(s):
        value = softplus(-s[:, 0]) + softplus(s[:, 1:]).sum(-1) if loss is None else loss(s, softplus)

        def backward(dloss):
            ds = _right_dscores(s) if dscores is None else dscores(s, _sigmoid)
            return (ds if ignore_dloss else ds * np.asarray(dloss, dtype=s.dtype)[:, None],)

        return value, backward

    return negative_sampling_loss


def _right_dscores(s):
    ds = _sigmoid(s)
    ds[:, 0] -= 1
    return ds


def _with_first(ds, first):
    ds = ds.copy()
    ds[:, 0] = first
    return ds


def _with_rest(ds, rest):
    ds = ds.copy()
    ds[:, 1:] = rest
    return ds


# name -> (replacements, the cause a hint names or None); a replacement's key is (owner, attribute)
# or a bare name of numpy_impl.skipgram
_BUGS = {
    "rows_assigned": ({(row_sparse, "scatter_add"): _assign_rows}, "repeated ids"),
    "positive_sign_flipped": (
        {"negative_sampling_loss": _loss(dscores=lambda s, sig: _with_first(sig(s), 1 - sig(s[:, 0])))},
        "sign flip in one term",
    ),
    "negative_sign_flipped": (
        {
            "negative_sampling_loss": _loss(
                dscores=lambda s, sig: _with_rest(_right_dscores(s), -sig(s[:, 1:]))
            )
        },
        "sign flip in one term",
    ),
    "negatives_missing_in_gradient": (
        {"negative_sampling_loss": _loss(dscores=lambda s, sig: _with_rest(_right_dscores(s), 0.0))},
        "exactly zero",
    ),
    "negatives_missing_everywhere": (
        {
            "negative_sampling_loss": _loss(
                loss=lambda s, sp: sp(-s[:, 0]), dscores=lambda s, sig: _with_rest(_right_dscores(s), 0.0)
            )
        },
        "exactly zero",
    ),
    "mean_over_negatives": (
        {
            "negative_sampling_loss": _loss(
                loss=lambda s, sp: sp(-s[:, 0]) + sp(s[:, 1:]).mean(-1),
                dscores=lambda s, sig: _with_rest(_right_dscores(s), sig(s[:, 1:]) / (s.shape[1] - 1)),
            )
        },
        "1/K",
    ),
    "positive_term_as_negative": (
        {"negative_sampling_loss": _loss(loss=lambda s, sp: sp(s).sum(-1), dscores=lambda s, sig: sig(s))},
        None,
    ),
    "gradient_not_divided_by_batch": ({"negative_sampling_loss": _loss(ignore_dloss=True)}, "N ("),
    "input_gradient_dropped": ({"pair_scores": _scores(dv=lambda ds, u, v: np.zeros_like(v))}, "all zero"),
    "input_gradient_positive_only": ({"pair_scores": _scores(dv=lambda ds, u, v: ds[:, :1] * u[:, 0])}, None),
    "output_gradient_uses_u": ({"pair_scores": _scores(du=lambda ds, u, v: ds[:, :, None] * u)}, None),
    "gradient_scaled_1e-7": (
        {"pair_scores": _scores(du=lambda ds, u, v: ds[:, :, None] * v[:, None, :] * (1 + 1e-7))},
        "scale error",
    ),
}
_EQUIVALENT = {
    "flat_add_at_scatter": {(row_sparse, "scatter_add"): _flat_add_at},
    "dense_output_gradient": {"pair_scores": _scores()},  # du formed as a (B, J, d) array
    "scores_by_multiply_and_sum": {"pair_scores": _scores(scores=lambda v, u: (u * v[:, None, :]).sum(-1))},
    "softplus_by_log1p": {
        "negative_sampling_loss": _loss(
            loss=lambda s, sp: (
                np.maximum(-s[:, 0], 0)
                + np.log1p(np.exp(-np.abs(s[:, 0])))
                + (np.maximum(s[:, 1:], 0) + np.log1p(np.exp(-np.abs(s[:, 1:])))).sum(-1)
            )
        )
    },
}


def _on_skipgram(replacements):
    """Patches as (owner, attribute, replacement) triples; a bare name means numpy_impl.skipgram's."""
    return lambda: [
        (*(key if isinstance(key, tuple) else (sg, key)), replacement)
        for key, replacement in replacements.items()
    ]


def _mutant(name, replacements, **fields):
    return Mutant(name, name.replace("_", " "), _on_skipgram(replacements), models=("skipgram",), **fields)


SKIPGRAM_MUTANTS = [
    *(_mutant(name, r, cause=cause) for name, (r, cause) in _BUGS.items()),
    # the optimizer's scatter-add as W[idx] += G: an update bug, which only a training step sees
    _mutant("outer_rows_assigned", {(row_sparse.RowSparse, "add_to"): _assign_in_add_to}, layer="optimizer"),
    *(_mutant(name, r, equivalent=True) for name, r in _EQUIVALENT.items()),
]
