"""Correct models at points where finite differences meet kinks, seen the way learner code is seen
(``state_dict``, ``load_state_dict``, ``parameters``, ``loss``, ``loss_and_grads``, nothing else):
ReLU MLPs with zero biases on XOR, where input (0, 0) puts every hidden unit exactly at its kink;
batches with all-zero rows; the exact-zero lattice points of the batteries; random configurations.
Exhaustive finite differences must pass on every one (kinks inconclusive, never failures).

``python parity_tests/kink_points.py`` runs the whole sweep and prints what it found; the tests
run slices of it.
"""

import sys
import time

import numpy as np
from autoencoder_cases import exact_zero_point as autoencoder_zero_point
from autoencoder_cases import pixel_batch
from points import after_sgd_steps, classifier_batch, exact_zero_point

import numpy_impl
from numpy_impl.data import make_xor
from numpy_impl.gradcheck import finite_difference_check

LEARNER = ("state_dict", "load_state_dict", "parameters", "loss", "loss_and_grads")


class Exposing:
    """A duck-typed model that offers only ``methods`` of ``model``; its loss can fail on a given call."""

    def __init__(self, model, methods=LEARNER, fail_on_call=None):
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


class Scaled(Exposing):
    """Learner code whose gradient of ``name`` comes out ``factor`` times too large."""

    def __init__(self, model, name, factor):
        super().__init__(model)
        self._name, self._factor = name, factor

    def loss_and_grads(self, batch):
        loss, grads = self._model.loss_and_grads(batch)
        return loss, {**grads, self._name: grads[self._name] * self._factor}


def mlp(sizes, activation="relu", seed=0):
    return numpy_impl.MLP(sizes, activation, seed=seed, dtype=np.float64)


def xor_points(seeds=range(15)):
    """(label, model, batch): zero biases (the initial weights) on the four XOR points."""
    for sizes in [(2, 4, 2), (2, 8, 2), (2, 3, 1), (2, 5, 5, 2), (2, 7, 6, 1), (2, 6, 6, 6, 3)]:
        for seed in seeds:
            yield f"xor {sizes} seed {seed}", mlp(sizes, seed=seed), make_xor()


def zero_row_points(seeds=range(10)):
    """Rows 1 and 4 all zero, at the initial weights (zero biases) and after SGD steps."""
    for sizes in [(13, 11, 5), (13, 11, 11, 5), (13, 11, 1), (13, 9, 7, 5, 3)]:
        for seed in seeds:
            x, y = classifier_batch(sizes[0], sizes[-1], 7, seed=seed)
            x[[1, 4]] = 0.0
            yield f"zero rows {sizes} seed {seed}", mlp(sizes, seed=seed), (x, y)
            stepped = mlp(sizes, seed=seed)
            stepped.load_state_dict(after_sgd_steps(stepped, (x, y)))
            yield f"zero rows {sizes} seed {seed}, after steps", stepped, (x, y)


def lattice_points(sizes_list, zero_fractions, seeds):
    """The batteries' exact-zero points: in one row per layer a share of the units exactly at 0."""
    for sizes in sizes_list:
        for fraction in zero_fractions:
            for seed in seeds:
                model = mlp(sizes)
                state, batch = exact_zero_point(model, 7, seed=seed, zero_fraction=fraction)
                model.load_state_dict(state)
                yield f"lattice {sizes} zero fraction {fraction} seed {seed}", model, batch


def autoencoder_points(seeds=range(20)):
    """The autoencoder's exact-zero points, and its initial weights on pixel batches."""
    for seed in seeds:
        model = numpy_impl.Autoencoder((13, 11, 5, 3), seed=seed, dtype=np.float64)
        state, batch = autoencoder_zero_point(model, 7, seed=seed)
        model.load_state_dict(state)
        yield f"autoencoder lattice seed {seed}", model, batch
        initial = numpy_impl.Autoencoder((13, 11, 11, 3), seed=seed, dtype=np.float64)
        yield f"autoencoder initial seed {seed}", initial, pixel_batch(13, 7, seed=seed)


def random_points(seed, count=300):
    """Random sizes (1-11, 1-3 layers), activations, batch sizes (1-8), zeroed inputs and SGD steps."""
    rng = np.random.default_rng(seed)
    for trial in range(count):
        sizes = tuple(int(s) for s in rng.integers(1, 12, size=rng.integers(2, 5)))
        activation = str(rng.choice(["relu", "relu", "tanh", "sigmoid", "identity"]))
        n, model_seed, kind = int(rng.integers(1, 9)), int(rng.integers(1000)), rng.choice(["mlp", "ae"])
        if kind == "ae":
            model = numpy_impl.Autoencoder(sizes, activation, seed=model_seed, dtype=np.float64)
            batch = pixel_batch(sizes[0], n, seed=model_seed)
        else:
            model = mlp(sizes, activation, seed=model_seed)
            batch = classifier_batch(sizes[0], sizes[-1], n, seed=model_seed)
            if rng.random() < 0.5:
                model.load_state_dict(after_sgd_steps(model, batch, steps=int(rng.integers(1, 6))))
        if rng.random() < 0.3:
            batch = (np.where(rng.random(batch[0].shape) < 0.3, 0.0, batch[0]), *batch[1:])
        yield f"random {seed}.{trial} {kind} {sizes} {activation} n {n}", model, batch


def false_failures(points):
    """(number of points, their failing finite-difference reports, inconclusive entries)."""
    count, failures, inconclusive = 0, [], 0
    for label, model, batch in points:
        result = finite_difference_check(Exposing(model), batch, mode="exhaustive")
        count, inconclusive = count + 1, inconclusive + result.n_inconclusive
        if not result.ok:
            failures.append(label + "\n" + "\n".join(result.lines()))
    return count, failures, inconclusive


SWEEP = {
    "XOR, zero biases": lambda: xor_points(),
    "all-zero rows": lambda: zero_row_points(),
    "lattice points": lambda: lattice_points(
        [(13, 11, 5), (13, 11, 11, 5), (13, 11, 1), (13, 9, 7, 5, 3), (5, 4, 4, 3)],
        (0.0, 0.3, 0.5, 1.0),
        range(20),
    ),
    "lattice points, small layers": lambda: lattice_points(
        [(5, 4, 4, 3), (5, 3, 3, 2), (4, 4, 4, 4, 2), (6, 5, 1), (5, 4, 4, 1)], (0.3, 0.5, 1.0), range(60)
    ),
    "lattice points, deep and small": lambda: lattice_points(
        [(4, 4, 4, 4, 2), (3, 3, 3, 3, 3, 2), (5, 4, 4, 3)], (0.3, 0.6), range(60, 260)
    ),
    "autoencoder": lambda: autoencoder_points(),
    "random configurations": lambda: (p for seed in range(36) for p in random_points(seed)),
}


if __name__ == "__main__":
    for name, points in SWEEP.items():
        start = time.perf_counter()
        count, failures, inconclusive = false_failures(points())
        print(
            f"{name}: {count} points, {len(failures)} failing, {inconclusive} entries inconclusive "
            f"({time.perf_counter() - start:.1f} s)"
        )
        for failure in failures:
            print(failure, file=sys.stderr)
