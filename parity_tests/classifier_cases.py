"""The classifier check battery: model configurations x test points, each run through
``torch_impl.parity.check_model``. The model test files parametrize over these cases and
``test_mutations.py`` runs the very same cases under each mutant.

    python parity_tests/classifier_cases.py   # which checks catch each mutant, on every case
"""

import functools
from dataclasses import dataclass

import mutants
import numpy as np
import pytest
from cases import Case
from points import after_sgd_steps, classifier_batch, exact_zero_point, huge_logit_state

import numpy_impl
import torch_impl
from torch_impl.parity import check_model

F32, F64 = np.float32, np.float64


@dataclass(frozen=True)
class Config:
    kind: str  # "linear" or "mlp"
    sizes: tuple  # (D, C) for linear; the MLP's sizes
    activation: str | None = None
    dtype: type = F64
    n: int = 7  # batch size: different from every layer size
    finite_differences: str | None = "exhaustive"  # float64 only

    @property
    def label(self):
        name = f"{self.kind}{'-'.join(map(str, self.sizes))}"
        return (
            f"{name}_{self.activation}_{np.dtype(self.dtype).name}"
            if self.activation
            else f"{name}_{np.dtype(self.dtype).name}"
        )

    @property
    def tiny(self):
        return max(self.sizes) < 100

    def numpy_model(self, seed=0):
        if self.kind == "linear":
            return numpy_impl.LinearClassifier(*self.sizes, seed=seed, dtype=self.dtype)
        return numpy_impl.MLP(self.sizes, self.activation, seed=seed, dtype=self.dtype)

    def torch_model(self, seed=0):
        if self.kind == "linear":
            return torch_impl.LinearClassifier(*self.sizes, seed=seed, dtype=self.dtype)
        return torch_impl.MLP(self.sizes, self.activation, seed=seed, dtype=self.dtype)

    def points(self):
        points = ["init", "after_sgd", "huge_logits"]
        if self.tiny:
            points.append("batch_of_1")
        if self.activation == "relu":
            points.append("exact_zero")
        return points


# Tiny models have all-distinct odd sizes (N = 7, D = 13, H = 11, C = 5) plus one square layer,
# so an axis or transpose bug cannot hide; the defaults are the reference 784-128-10, batch 64
# (docs/models.md).
CONFIGS = [
    Config("linear", (13, 5)),
    Config("linear", (13, 5), dtype=F32),
    Config("linear", (13, 1)),
    Config("linear", (784, 10), n=64, finite_differences="sampled"),
    Config("mlp", (13, 11, 11, 5), "relu"),
    Config("mlp", (13, 11, 11, 5), "relu", dtype=F32),
    Config("mlp", (13, 11, 1), "relu"),
    Config("mlp", (13, 11, 1), "relu", dtype=F32),
    Config("mlp", (13, 11, 5), "sigmoid"),
    Config("mlp", (13, 11, 5), "tanh"),
    Config("mlp", (13, 11, 5), "identity"),
    Config("mlp", (784, 128, 10), "relu", n=64, finite_differences="sampled"),
    Config("mlp", (784, 128, 10), "relu", dtype=F32, n=64),
]


CASES = [Case(config, point) for config in CONFIGS for point in config.points()]


@functools.cache
def case_point(case):
    """(state dict, batch) of ``case``, built once per process (with whatever ops are active)."""
    config, model = case.config, case.config.numpy_model(seed=0)
    d, c = config.sizes[0], config.sizes[-1]
    batch = classifier_batch(d, c, 1 if case.point == "batch_of_1" else config.n, seed=1, dtype=config.dtype)
    if case.point == "after_sgd":
        return after_sgd_steps(model, batch), batch
    if case.point == "huge_logits":
        return huge_logit_state(model, batch[0]), batch
    if case.point == "exact_zero":
        return exact_zero_point(model, config.n, seed=2)
    return model.state_dict(), batch


def run_case(case, **options):
    """check_model on fresh models loaded with the case's state, on a copy of its batch."""
    state, batch = case_point(case)
    numpy_model, torch_model = case.config.numpy_model(), case.config.torch_model()
    numpy_model.load_state_dict(state)
    batch = tuple(np.array(a, copy=True) for a in batch)
    mode = case.config.finite_differences if case.config.dtype == F64 else None
    return check_model(
        numpy_model, torch_model, batch, finite_differences=options.pop("finite_differences", mode), **options
    )


def assert_case_passes(case):
    """The case passes check_model; in float64 every gradient is within 1e-10 x max|reference|
    of autograd (the acceptance figure)."""
    report = run_case(case)
    assert report.ok, str(report)
    if case.config.dtype == F64:
        assert max(g.max_error_over_scale for g in report.gradients) <= 1e-10, str(report)


def assert_huge_logits_stay_finite(model, n_classes):
    """At |logits| = 1e3 nothing overflows, and the loss is large: wrong rows cost ~|z|."""
    x, y = classifier_batch(784, n_classes, 16, seed=4)
    model.load_state_dict(huge_logit_state(model, x))
    assert np.abs(model.logits(x)).max() == pytest.approx(1e3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads = model.loss_and_grads((x, y))
    assert np.isfinite(loss) and loss > 10
    assert all(np.isfinite(g).all() for g in grads.values())


@dataclass
class BatteryOutcome:
    """What the battery found under one mutant: failing cases and the checks that failed there."""

    n_cases: int
    failures: dict  # case id -> failed checks
    example: str | None = None  # the first failing report

    @property
    def caught(self):
        return bool(self.failures)

    def checks(self):
        seen = []
        for failed in self.failures.values():
            seen += [check for check in failed if check not in seen]
        return seen

    def summary(self):
        if not self.caught:
            return f"passes all {self.n_cases} cases"
        return f"fails {len(self.failures)}/{self.n_cases} cases; caught by: {', '.join(self.checks())}"


def run_battery(cases=CASES, *, stop_at_first_failure=False):
    """Every case through check_model; the battery fails when any case does."""
    failures, example = {}, None
    for case in cases:
        report = run_case(case)
        if not report.ok:
            failures[case.id] = report.failed_checks()
            example = example or f"{case.id}\n{report}"
            if stop_at_first_failure:
                break
    return BatteryOutcome(len(cases), failures, example)


def run_battery_under(mutant_name, cases=CASES, *, stop_at_first_failure=False):
    """The battery with mutant ``mutant_name`` active; test points are built before it is."""
    for case in cases:
        case_point(case)
    with mutants.activate(mutant_name), np.errstate(all="ignore"):  # some mutants overflow on purpose
        return run_battery(cases, stop_at_first_failure=stop_at_first_failure)


if __name__ == "__main__":
    for mutant in mutants.MUTANTS:
        outcome = run_battery_under(mutant.name)
        print(f"{mutant.name:<30} {'equivalent' if mutant.equivalent else 'bug':<10} {outcome.summary()}")
