"""Proof that the autoencoder battery bites: under every known bug (``mutants.AUTOENCODER_MUTANTS``,
and the shared-operation mutants of ``mutants.MUTANTS`` that an autoencoder runs through: linear
and ReLU) at least one case of ``autoencoder_cases`` fails, and under every equivalent rewrite all
of them pass. The same cases, unmodified, pass in ``test_autoencoder.py``."""

import os

import mutants
import pytest
from autoencoder_cases import failed_cases, run_battery

from numpy_impl import ops

if os.environ.get("PARITYNETS_MUTANT"):
    pytest.skip("mutation tests activate their own mutants", allow_module_level=True)

SHARED_OPS = {"linear", "relu"}  # what an autoencoder calls besides the MSE


def _uses_shared_ops(mutant):
    return all(
        (owner is ops or owner is ops.ACTIVATIONS) and attribute in SHARED_OPS
        for owner, attribute, _ in mutant.patches()
    )


RELEVANT = list(mutants.AUTOENCODER_MUTANTS) + [m for m in mutants.MUTANTS if _uses_shared_ops(m)]
BUGS = [m.name for m in RELEVANT if not m.equivalent]
EQUIVALENT = [m.name for m in RELEVANT if m.equivalent]


def test_enough_autoencoder_bugs_are_named():
    own = [m for m in mutants.AUTOENCODER_MUTANTS if not m.equivalent]
    assert len(own) >= 8 and {"mse_mean_over_batch_only", "mse_missing_factor_2"} <= {m.name for m in own}
    assert any(m.name.startswith("decoder_") for m in own)


@pytest.mark.parametrize("name", BUGS)
def test_bug_fails_the_battery(name):
    with mutants.activate(name):
        failures = failed_cases(run_battery(fast=True))
    assert failures, f"mutant {name} ({mutants.BY_NAME[name].bug}) passed every autoencoder case"


@pytest.mark.parametrize("name", EQUIVALENT)
def test_equivalent_rewrite_passes_the_battery(name):
    with mutants.activate(name):
        reports = run_battery(fast=True)
    failures = failed_cases(reports)
    assert not failures, "\n\n".join(str(reports[case]) for case in failures)


def test_which_checks_catch_the_self_consistent_forward_bug():
    """Averaging the MSE over rows only, with a matching backward, passes finite differences: only
    loss parity with torch can see it (docs/models.md, test points)."""
    with mutants.activate("mse_mean_over_batch_only"):
        reports = run_battery(fast=True)
    exhaustive = reports["tiny_after_steps_exhaustive"]
    assert exhaustive.failed_checks() == ["loss", "gradients"]
    assert exhaustive.finite_differences.ok
