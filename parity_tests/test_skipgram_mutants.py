"""The SGNS bugs of VERIFICATION.md, injected into ``numpy_impl.skipgram`` (its methods look the
operations up on the module at call time), must each fail the skip-gram battery; the equivalent
rewrites must pass it. Two bugs are invisible at a weak test point, and the tests show it: rows
assigned instead of accumulated pass without repeated ids, and a broken input-vector gradient
passes at the initial zero output table."""

from contextlib import contextmanager

import numpy as np
import pytest
from skipgram_cases import CASES, Case, Config, run_case
from skipgram_cases import training_step_error as step_error

import numpy_impl.skipgram as sg
from torch_impl.parity import check_model

ORIGINAL = {
    name: getattr(sg, name)
    for name in ("scatter_add", "scatter_add_outer", "pair_scores", "negative_sampling_loss")
}


def _assign_rows(table, ids, rows):
    ids = np.asarray(ids).reshape(-1)
    table[ids] += rows.reshape(len(ids), -1)  # fancy-index += keeps one update per repeated id


def _assign_outer(table, ids, weights, rows):
    table[ids] += weights[:, :, None] * rows[:, None, :]


def _flat_add_at(table, ids, rows):  # equivalent: np.add.at on flat indices, another summation order
    ids = np.asarray(ids).reshape(-1)
    d = table.shape[1]
    np.add.at(table.reshape(-1), (ids[:, None] * d + np.arange(d)).ravel(), rows.reshape(len(ids), d).ravel())


def _scores(dv=None, du=None, scores=None):
    def pair_scores(v, u):
        s = np.matmul(u, v[:, :, None])[:, :, 0] if scores is None else scores(v, u)

        def backward(ds):
            right_dv = np.matmul(ds[:, None, :], u)[:, 0]
            right_du = ds[:, :, None] * v[:, None, :]
            return (right_dv if dv is None else dv(ds, u, v)), (right_du if du is None else du(ds, u, v))

        return s, backward

    return pair_scores


def _loss(loss=None, dscores=None, ignore_dloss=False):
    """negative_sampling_loss with the forward and/or the backward (dscores before x dloss) swapped."""

    def softplus(x):
        return np.logaddexp(0, x)

    def negative_sampling_loss(s):
        value = softplus(-s[:, 0]) + softplus(s[:, 1:]).sum(-1) if loss is None else loss(s, softplus)

        def backward(dloss):
            ds = _right_dscores(s) if dscores is None else dscores(s, sg._sigmoid)
            return (ds if ignore_dloss else ds * np.asarray(dloss, dtype=s.dtype)[:, None],)

        return value, backward

    return negative_sampling_loss


def _right_dscores(s):
    ds = sg._sigmoid(s)
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


BUGS = {
    "rows_assigned": {"scatter_add": _assign_rows},
    "outer_rows_assigned": {"scatter_add_outer": _assign_outer},
    "positive_sign_flipped": {
        "negative_sampling_loss": _loss(dscores=lambda s, sig: _with_first(sig(s), 1 - sig(s[:, 0])))
    },
    "negative_sign_flipped": {
        "negative_sampling_loss": _loss(dscores=lambda s, sig: _with_rest(_right_dscores(s), -sig(s[:, 1:])))
    },
    "negatives_missing_in_gradient": {
        "negative_sampling_loss": _loss(dscores=lambda s, sig: _with_rest(_right_dscores(s), 0.0))
    },
    "negatives_missing_everywhere": {
        "negative_sampling_loss": _loss(
            loss=lambda s, sp: sp(-s[:, 0]), dscores=lambda s, sig: _with_rest(_right_dscores(s), 0.0)
        )
    },
    "mean_over_negatives": {
        "negative_sampling_loss": _loss(
            loss=lambda s, sp: sp(-s[:, 0]) + sp(s[:, 1:]).mean(-1),
            dscores=lambda s, sig: _with_rest(_right_dscores(s), sig(s[:, 1:]) / (s.shape[1] - 1)),
        )
    },
    "positive_term_as_negative": {
        "negative_sampling_loss": _loss(loss=lambda s, sp: sp(s).sum(-1), dscores=lambda s, sig: sig(s))
    },
    "gradient_not_divided_by_batch": {"negative_sampling_loss": _loss(ignore_dloss=True)},
    "input_gradient_dropped": {"pair_scores": _scores(dv=lambda ds, u, v: np.zeros_like(v))},
    "input_gradient_positive_only": {"pair_scores": _scores(dv=lambda ds, u, v: ds[:, :1] * u[:, 0])},
    "output_gradient_uses_u": {"pair_scores": _scores(du=lambda ds, u, v: ds[:, :, None] * u)},
    "gradient_scaled_1e-7": {
        "pair_scores": _scores(du=lambda ds, u, v: ds[:, :, None] * v[:, None, :] * (1 + 1e-7))
    },
}
EQUIVALENT = {
    "flat_add_at_scatter": {"scatter_add": _flat_add_at},
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


@contextmanager
def mutant(patches):
    try:
        for name, replacement in patches.items():
            setattr(sg, name, replacement)
        yield
    finally:
        for name, original in ORIGINAL.items():
            setattr(sg, name, original)


# float64 only: the tiny model with exhaustive finite differences and the middle one; the point
# names tell which test point caught a bug
BATTERY = [case for case in CASES if case.config.dtype == np.float64 and case.config.vocab_size < 100]
STEP_CONFIG = Config(53, 16, 37, 5)


def failing_checks(patches, finite_differences=False):
    """The battery's failing cases (and the training-step check) under ``patches``."""
    with mutant(patches):
        failed = [case.id for case in BATTERY if not run_case(case, finite_differences=finite_differences).ok]
        if not step_error(STEP_CONFIG) <= 1e-12:
            failed.append("training_step")
    return failed


def test_the_battery_passes_without_a_mutant():
    assert failing_checks({}, finite_differences=True) == []


@pytest.mark.parametrize("name", list(BUGS))
def test_each_sgns_bug_fails_the_battery(name):
    assert failing_checks(BUGS[name]), f"mutant {name} passed every check"


@pytest.mark.parametrize("name", list(EQUIVALENT))
def test_equivalent_rewrites_pass(name):
    assert failing_checks(EQUIVALENT[name], finite_differences=True) == []


def test_assignment_instead_of_accumulation_hides_without_repeated_ids():
    """W[idx] += G is invisible when no id repeats, and caught by the repeated-id point."""
    config = Config(60, 8, 4, 2)
    model, twin = config.models()
    rng = np.random.default_rng(0)
    ids = rng.permutation(60)
    distinct = (ids[:4], ids[4:8], ids[8:16].reshape(4, 2))  # no id twice in a table
    model.load_state_dict({k: rng.standard_normal(v.shape) for k, v in model.state_dict().items()})
    with mutant(BUGS["rows_assigned"]):
        assert check_model(model, twin, distinct, finite_differences=None).ok
        repeated = next(case for case in BATTERY if case.point == "repeated_ids")
        report = run_case(repeated)
    assert not report.ok and "gradients" in report.failed_checks()


@pytest.mark.parametrize("name", ["input_gradient_dropped", "input_gradient_positive_only"])
def test_input_gradient_bugs_hide_at_a_zero_output_table(name):
    """At gensim's and word2vec's initialisation the output table is zero, so dv = 0 is correct
    there: only non-zero output vectors expose a broken input-vector gradient."""
    init = next(case for case in BATTERY if case.point == "init")
    nonzero = Case(init.config, "nonzero_output")
    with mutant(BUGS[name]):
        assert run_case(init).ok
        report = run_case(nonzero)
    assert report.first_divergent == "input_vectors.weight", str(report)
