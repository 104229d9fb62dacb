"""Finite differences (float64, central, eps 1e-6): exhaustive on tiny all-distinct-size models,
sampled on the default sizes; kinks make an entry inconclusive, not a failure; parameters always
come back bit for bit; and what finite differences cannot see (a self-consistent forward bug)."""

import mutants
import numpy as np
import pytest
from classifier_cases import Config

import numpy_impl
from torch_impl.parity import check_model, finite_difference_check
from torch_impl.parity.points import after_sgd_steps, classifier_batch, exact_zero_point

TINY = [
    Config("linear", (13, 5)),
    Config("linear", (13, 1)),
    Config("mlp", (13, 11, 11, 5), "relu"),
    Config("mlp", (13, 11, 1), "relu"),
    Config("mlp", (13, 11, 5), "tanh"),
    Config("mlp", (13, 11, 5), "sigmoid"),
]


class Exposing:
    """A duck-typed model that offers only ``methods`` of ``model``; its loss can fail on a given call."""

    def __init__(self, model, methods, fail_on_call=None):
        self._model, self._methods, self._fail_on_call, self.calls = model, set(methods), fail_on_call, 0

    def loss(self, batch):
        self.calls += 1
        if self.calls == self._fail_on_call:
            raise RuntimeError("the loss failed half-way")
        return self._model.loss(batch)

    def __getattr__(self, name):
        if name in self._methods:
            return getattr(self._model, name)
        raise AttributeError(name)


def state_bytes(model):
    return {k: v.tobytes() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("config", TINY, ids=lambda c: c.label)
def test_exhaustive_on_tiny_models(config):
    model = config.numpy_model(seed=3)
    batch = classifier_batch(config.sizes[0], config.sizes[-1], config.n, seed=4)
    model.load_state_dict(after_sgd_steps(model, batch))
    before = state_bytes(model)
    result = finite_difference_check(model, batch, mode="exhaustive")
    assert result.ok, "\n".join(result.lines())
    assert sum(t.n_total for t in result.tensors) == sum(v.size for v in model.state_dict().values())
    assert result.n_inconclusive == 0  # a random point sits on no kink
    assert max(t.max_error_over_scale for t in result.tensors) < 1e-7  # measured noise: ~1e-9
    assert state_bytes(model) == before


def test_sampled_on_default_sizes():
    model = numpy_impl.MLP((784, 128, 10), seed=0, dtype=np.float64)
    batch = classifier_batch(784, 10, 64, seed=1)
    before = state_bytes(model)
    result = finite_difference_check(model, batch, mode="sampled", directions=3, entries=10)
    assert result.ok, "\n".join(result.lines())
    assert [t.name for t in result.tensors] == list(reversed(model.state_dict()))  # backward order
    assert all(t.n_total + t.n_inconclusive == 13 for t in result.tensors)  # 3 directions + 10 entries
    assert max(t.max_error_over_scale for t in result.tensors) < 1e-7
    assert state_bytes(model) == before


@pytest.mark.parametrize(
    "methods, sizes, zero_fraction",
    [(("parameters", "kink_signature"), (13, 11, 11, 5), 0.5), (("parameters",), (13, 11, 5), 0.0)],
    ids=["signature", "one-sided"],
)
def test_kinks_are_inconclusive_not_failures(methods, sizes, zero_fraction):
    """At exact-zero ReLU inputs differences straddle a kink; they are set aside, whether the
    model reports its kinks or, for a single kink, the two one-sided differences give it away."""
    model = numpy_impl.MLP(sizes, "relu", dtype=np.float64)
    state, batch = exact_zero_point(model, 7, seed=2, zero_fraction=zero_fraction)
    model.load_state_dict(state)
    probe = Exposing(model, ("state_dict", "load_state_dict", "loss_and_grads", *methods))
    result = finite_difference_check(probe, batch, mode="exhaustive")
    assert result.ok, "\n".join(result.lines())
    assert result.n_inconclusive > 0
    assert result.tensors[0].n_inconclusive == 0  # the output layer's entries move no ReLU input


def test_parameters_are_restored_bit_for_bit_even_when_the_loss_raises():
    model = numpy_impl.MLP((13, 11, 5), "tanh", dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    before = state_bytes(model)
    failing = Exposing(
        model, ("state_dict", "load_state_dict", "loss_and_grads", "parameters"), fail_on_call=40
    )
    with pytest.raises(RuntimeError, match="half-way"):
        finite_difference_check(failing, batch, grads=model.loss_and_grads(batch)[1], mode="exhaustive")
    assert state_bytes(model) == before


def test_models_without_live_parameters_go_through_the_state_dict():
    model = numpy_impl.LinearClassifier(13, 5, dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    before = state_bytes(model)
    plain = Exposing(model, ("state_dict", "load_state_dict", "loss_and_grads"))
    result = finite_difference_check(plain, batch, mode="exhaustive")
    assert result.ok and sum(t.n_total for t in result.tensors) == 70
    assert state_bytes(model) == before


def test_float32_models_are_skipped_with_a_reason():
    model = numpy_impl.MLP((13, 11, 5), dtype=np.float32)
    result = finite_difference_check(model, classifier_batch(13, 5, 7, dtype=np.float32))
    assert result.ok and result.skipped and "float64" in result.skipped


def test_an_inconsistent_backward_fails_finite_differences():
    model = numpy_impl.MLP((13, 11, 11, 5), "relu", dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    with mutants.activate("relu_mask_missing"):
        result = finite_difference_check(model, batch, mode="sampled")
    assert not result.ok
    assert result.failed() == ["layers.1.bias", "layers.1.weight", "layers.0.bias", "layers.0.weight"]


def test_a_self_consistent_forward_bug_passes_finite_differences_but_not_loss_parity():
    """Summing the loss over the batch, with a matching backward, is invisible to finite
    differences: only loss parity with torch sees it (VERIFICATION.md, layer 2)."""
    config = Config("mlp", (13, 11, 11, 5), "relu")
    batch = classifier_batch(13, 5, 7, seed=1)
    with mutants.activate("forward_sum_not_mean"):
        report = check_model(
            config.numpy_model(), config.torch_model(), batch, finite_differences="exhaustive"
        )
    assert report.finite_differences.ok
    assert report.failed_checks() == ["loss", "gradients"]


def test_the_one_sided_fallback_still_fails_a_wrong_gradient():
    model = numpy_impl.MLP((13, 11, 5), "relu", dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    plain = Exposing(model, ("state_dict", "load_state_dict", "loss_and_grads", "parameters"))
    with mutants.activate("relu_mask_missing"):
        result = finite_difference_check(plain, batch, mode="exhaustive")
    assert result.failed() == ["layers.0.bias", "layers.0.weight"]
    assert result.n_inconclusive == 0
