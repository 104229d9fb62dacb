"""Finite differences (float64, central, eps 1e-6): exhaustive on tiny all-distinct-size models,
sampled on the default sizes; kinks make an entry inconclusive, not a failure, decided from the
loss alone (the models are seen as learner code is: ``kink_points.Exposing``); parameters always
come back bit for bit; and what finite differences cannot see (a self-consistent forward bug)."""

import warnings

import mutants
import numpy as np
import pytest
from autoencoder_cases import pixel_batch
from classifier_cases import Config
from kink_points import SWEEP, Exposing, false_failures, lattice_points, random_points
from points import after_sgd_steps, classifier_batch, exact_zero_point

import numpy_impl
from numpy_impl.gradcheck import check as check_without_torch
from numpy_impl.gradcheck import finite_difference_check, kinks
from torch_impl.parity import check_model

TINY = [
    Config("linear", (13, 5)),
    Config("linear", (13, 1)),
    Config("mlp", (13, 11, 11, 5), "relu"),
    Config("mlp", (13, 11, 1), "relu"),
    Config("mlp", (13, 11, 5), "tanh"),
    Config("mlp", (13, 11, 5), "sigmoid"),
]


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


@pytest.mark.parametrize("sizes, zero_fraction", [((13, 11, 11, 5), 0.5), ((13, 11, 5), 0.0)])
def test_kinks_are_inconclusive_not_failures(sizes, zero_fraction):
    """At exact-zero ReLU inputs differences straddle a kink; the loss alone shows it."""
    model = numpy_impl.MLP(sizes, "relu", dtype=np.float64)
    state, batch = exact_zero_point(model, 7, seed=2, zero_fraction=zero_fraction)
    model.load_state_dict(state)
    result = finite_difference_check(Exposing(model), batch, mode="exhaustive")
    assert result.ok, "\n".join(result.lines())
    assert result.n_inconclusive > 0
    assert result.tensors[0].n_inconclusive == 0  # the output layer's entries move no ReLU input


def test_a_wrong_gradient_still_fails_where_no_kink_is_crossed():
    """At the same exact-zero point a gradient N times too large fails: the output layer's lines
    cross no kink, and the hidden entries that cross none fail too."""
    model = numpy_impl.MLP((13, 11, 11, 5), "relu", dtype=np.float64)
    state, batch = exact_zero_point(model, 7, seed=2, zero_fraction=0.5)
    model.load_state_dict(state)
    with mutants.activate("loss_grad_not_divided_by_n"):
        result = finite_difference_check(Exposing(model), batch, mode="exhaustive")
    assert result.failed() == list(reversed(model.state_dict()))
    assert result.tensors[0].n_inconclusive == 0 and result.tensors[0].n_mismatch == 5


SLICES = {
    "XOR, zero biases": SWEEP["XOR, zero biases"],
    "all-zero rows": SWEEP["all-zero rows"],
    "autoencoder": SWEEP["autoencoder"],
    "lattice points": lambda: lattice_points(
        [(13, 11, 5), (13, 11, 11, 5), (13, 11, 1), (5, 4, 4, 3)], (0.0, 0.5, 1.0), range(4)
    ),
    # found by the full sweep: kinks that cancel along an entry's line, within the tensor or in all
    # of the parameters; one slanted line not enough; an entry that fails only once the kinks
    # beside it are set aside (a smaller max|fd| allows less), at relu^2 in the squared error
    "hard points": lambda: [
        *lattice_points([(5, 4, 4, 3)], (0.3,), (16,)),
        *lattice_points([(4, 4, 4, 4, 2)], (0.3,), (4, 52)),
        *lattice_points([(4, 4, 4, 4, 2)], (1.0,), (4,)),
        *lattice_points([(5, 3, 3, 2)], (0.3,), (48,)),
        (
            "autoencoder (1, 5, 7)",
            numpy_impl.Autoencoder((1, 5, 7), seed=591, dtype=np.float64),
            pixel_batch(1, 2, seed=591),
        ),
    ],
    "random configurations": lambda: random_points(seed=0, count=100),
}


@pytest.mark.parametrize("kind", SLICES)
def test_correct_code_never_fails_at_kinks(kind):
    """Correct models at exact kinks and at random points: no false failure. ``python
    parity_tests/kink_points.py`` runs the full sweep (docs/gradients.md has its figures)."""
    count, failures, _ = false_failures(SLICES[kind]())
    assert count >= 5 and not failures, "\n\n".join(failures)


EPS = 1e-6


def line_losses(f):
    """f at -2 eps, -eps, eps, 2 eps: what ``kinks.crosses_kink`` reads, with f(0) beside it."""
    return [f(k * EPS) for k in (-2, -1, 1, 2)], f(0.0)


@pytest.mark.parametrize("where", np.linspace(-0.99, 0.99, 23))
def test_one_kink_anywhere_within_a_step_explains_what_it_breaks(where):
    """A slope jump of 0.3 at t = where * eps, plus curvature: the central difference misses the
    slope at 0 by some D, and the loss values show a kink that explains it."""

    def f(t):
        return 2.3 + 0.1 * t + 5 * t * t + 0.3 * max(t - where * EPS, 0.0)

    losses, base = line_losses(f)
    slope_at_0 = 0.1 + (0.3 if where < 0 else 0.0)
    disagreement = abs((losses[2] - losses[1]) / (2 * EPS) - slope_at_0)
    assert disagreement > 1e-3
    assert kinks.crosses_kink(losses, base, EPS, disagreement)


def test_kinks_at_one_point_that_partly_cancel_still_show():
    """relu(t) - 0.9 relu(-t) with relu'(0) = 0: the slope jumps by only 0.1 while the central
    difference is 0.95 off the chain rule's 0; a gap above round-off is enough."""

    def f(t):
        return 2.3 + relu(t) - 0.9 * relu(-t)

    losses, base = line_losses(f)
    assert kinks.crosses_kink(losses, base, EPS, 0.95)


@pytest.mark.parametrize("curvature", [0.0, 5.0, 1e4])
def test_a_smooth_loss_shows_no_kink(curvature):
    """A wrong gradient on a smooth loss, even a strongly curved one, stays a mismatch."""

    def f(t):
        return 2.3 + 0.1 * t + curvature * t * t + 40 * t**3

    losses, base = line_losses(f)
    assert not kinks.crosses_kink(losses, base, EPS, 1e-4)  # a gradient 1e-4 off
    assert not kinks.crosses_kink([np.nan, 2.3, 2.3, 2.3], 2.3, EPS, 1.0)  # NaN: no kink, it fails


class Written:
    """A learner's model written out by hand: one parameter tensor ``w``, a loss and its gradient."""

    def __init__(self, w, loss, grad):
        self.w, self._loss, self._grad = {"w": np.array(w, dtype=np.float64)}, loss, grad

    def parameters(self):
        return self.w

    def state_dict(self):
        return {"w": self.w["w"].copy()}

    def loss(self, batch):
        return self._loss(self.w["w"])

    def loss_and_grads(self, batch):
        return self._loss(self.w["w"]), {"w": self._grad(self.w["w"])}


def relu(z):
    return max(z, 0.0)


def cancelling(offset=0.0):
    """relu(a + b) - relu(2b - a) with relu'(0) = 0: at (0, 0) the loss along a is relu(t) -
    relu(-t) = t, smooth with slope 1, while the chain rule there gives 0; ``offset`` shifts a
    wrong gradient in."""

    def loss(w):
        return relu(w[0] + w[1]) - relu(2 * w[1] - w[0]) + 0.1 * w @ w

    def grad(w):
        m1, m2 = float(w[0] + w[1] > 0), float(2 * w[1] - w[0] > 0)
        return np.array([m1 + m2, m1 - 2 * m2]) + 0.2 * w + offset

    return loss, grad


def test_kinks_that_cancel_along_the_line_are_found_off_it():
    correct = Written([0.0, 0.0], *cancelling())
    result = finite_difference_check(correct, None, mode="exhaustive")
    assert result.ok and result.n_inconclusive == 2, "\n".join(result.lines())
    wrong = Written([0.3, 0.5], *cancelling(offset=0.01))  # away from the kinks, 0.01 off
    result = finite_difference_check(wrong, None, mode="exhaustive")
    assert result.failed() == ["w"] and result.n_inconclusive == 0


def test_a_loss_smooth_but_not_twice_differentiable_is_inconclusive_there():
    """relu(w)^2 (a ReLU into a squared error): at w = 0 the slope is 0 and the central
    difference, eps / 2, errs by more than the tolerance; the two step sizes show why."""

    def loss(w):
        return relu(w[0]) ** 2 + relu(w[1] - 1.0) ** 2

    def grad(w):
        return np.array([2 * relu(w[0]), 2 * relu(w[1] - 1.0)])

    result = finite_difference_check(Written([0.0, 0.5], loss, grad), None, mode="exhaustive")
    assert result.ok and result.n_inconclusive == 1, "\n".join(result.lines())
    broken = Written([0.5, 0.5], loss, lambda w: 1.01 * grad(w))
    assert finite_difference_check(broken, None, mode="exhaustive").failed() == ["w"]


def test_parameters_are_restored_bit_for_bit_even_when_the_loss_raises():
    model = numpy_impl.MLP((13, 11, 5), "tanh", dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    before = state_bytes(model)
    failing = Exposing(model, fail_on_call=40)
    with pytest.raises(RuntimeError, match="half-way"):
        finite_difference_check(failing, batch, grads=model.loss_and_grads(batch)[1], mode="exhaustive")
    assert state_bytes(model) == before


def test_models_without_live_parameters_go_through_the_state_dict():
    model = numpy_impl.LinearClassifier(13, 5, dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    before = state_bytes(model)
    plain = Exposing(model, ("state_dict", "load_state_dict", "loss", "loss_and_grads"))
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
    differences: only loss parity with a reference sees it (docs/gradients.md, layer 2)."""
    config = Config("mlp", (13, 11, 11, 5), "relu")
    batch = classifier_batch(13, 5, 7, seed=1)
    with mutants.activate("forward_sum_not_mean"):
        report = check_model(
            config.numpy_model(), config.torch_model(), batch, finite_differences="exhaustive"
        )
    assert report.finite_differences.ok
    assert report.failed_checks() == ["loss", "gradients"]


def test_a_wrong_gradient_at_a_random_point_is_no_kink():
    model = numpy_impl.MLP((13, 11, 5), "relu", dtype=np.float64)
    batch = classifier_batch(13, 5, 7, seed=1)
    with mutants.activate("relu_mask_missing"):
        result = finite_difference_check(Exposing(model), batch, mode="exhaustive")
    assert result.failed() == ["layers.0.bias", "layers.0.weight"]
    assert result.n_inconclusive == 0


def broken_gradient(change):
    """Learner code (the tiny MLP) whose W gradient of the first layer goes through ``change``."""
    model = numpy_impl.MLP((13, 11, 5), "relu", seed=0, dtype=np.float64)

    class Code(Exposing):
        def loss_and_grads(self, batch):
            loss, grads = self._model.loss_and_grads(batch)
            return loss, {**grads, "layers.0.weight": change(grads["layers.0.weight"].copy())}

    return Code(model)


def with_inf(g):
    g[0, 0] = np.inf
    return g


@pytest.mark.parametrize(
    "change, mode, line",
    [
        (with_inf, "sampled", "FAIL layers.0.weight"),  # the first direction is along your gradient
        (lambda g: g + 0j, "exhaustive", "not a real array (dtype complex128)"),
    ],
)
def test_a_gradient_that_is_not_a_finite_real_array_fails_its_line_without_warnings(change, mode, line):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an inf direction divided into NaN, a complex cast to its real part
        report = check_model(
            broken_gradient(change), None, classifier_batch(13, 5, 7, seed=1), finite_differences=mode
        )
    assert "finite differences" in report.failed_checks() and line in str(report), str(report)


def tiny_logistic(sign, feature_scale):
    """A logistic regression on features of ``feature_scale`` (unnormalised units), its weight
    gradient multiplied by ``sign``: (loss_and_grads, batch, params)."""
    r = np.random.default_rng(0)
    x, y = r.standard_normal((20, 3)) * feature_scale, (r.random(20) > 0.5).astype(float)
    params = {"W": r.standard_normal((3, 1)), "b": np.zeros(1)}

    def loss_and_grads(p, batch):
        x, y = batch
        s = 1 / (1 + np.exp(-(x @ p["W"] + p["b"])[:, 0]))
        loss = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
        dz = (s - y) / len(y)
        return loss, {"W": sign * (x.T @ dz[:, None]), "b": np.array([dz.sum()])}

    return loss_and_grads, (x, y), params


@pytest.mark.parametrize("mode", ["exhaustive", "sampled"])
def test_a_gradient_below_the_round_off_floor_is_not_resolved_rather_than_ok(mode):
    """Features of 1e-9 give weight gradients of 1e-10, below the 2.2e-8 a central difference
    tells from the loss's round-off: the sign-flipped gradient passed as OK. Now W is SKIP, not
    resolved, and the result NOT CHECKED, for the flipped and the correct code alike; at features
    of 1 the flip fails."""
    for sign in (-1, 1):
        code, batch, params = tiny_logistic(sign, 1e-9)
        report = check_without_torch(code, batch, params=params, finite_differences=mode)
        w = next(t for t in report.finite_differences.tensors if t.name == "W")
        assert w.unresolved and not report.ok and not report.failed_checks(), str(report)
        assert report.not_checked.startswith("finite differences could not resolve W")
        assert "SKIP W" in str(report) and report.to_dict()["finite_differences"]["tensors"][1]["unresolved"]
        b = next(t for t in report.finite_differences.tensors if t.name == "b")
        assert b.ok and not b.unresolved
    code, batch, params = tiny_logistic(-1, 1.0)
    assert check_without_torch(code, batch, params=params, finite_differences=mode).failed_checks() == [
        "finite differences"
    ]
