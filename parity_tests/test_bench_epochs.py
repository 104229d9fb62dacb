"""The measuring functions of ``scripts/bench/epochs.py`` and ``machine.py`` on tiny data: they
run both engines on the same batches and count FLOPs honestly. No timing is asserted."""

import math

import numpy as np
import pytest

from scripts.bench import epochs, machine
from torch_impl.threads import set_threads


def tiny(rows=96, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((rows, 784)), rng.integers(0, 10, rows)


def test_mlp_step_flops_count_the_matmuls_done():
    n = 256
    forward = 2 * n * 784 * 128 + 2 * n * 128 * 10
    weight_grads = 2 * n * 784 * 128 + 2 * n * 128 * 10
    hidden_dx = 2 * n * 10 * 128  # the data's dx is neither computed nor counted
    assert epochs.mlp_step_flops((784, 128, 10), n) == forward + weight_grads + hidden_dx


@pytest.mark.parametrize("model", list(epochs.MODELS))
def test_side_by_side_times_both_engines_on_the_same_run(model):
    seconds = epochs.side_by_side(model, 32, data=tiny(), repeats=1)
    assert set(seconds) == {"numpy", "torch"}
    assert all(math.isfinite(s) and s > 0 for s in seconds.values())


def test_both_engines_train_the_same_weights_from_the_same_batches():
    """float64: after an epoch the twins' losses on the data agree to rounding (same start, batches)."""
    import torch

    data = tiny(64)
    runs = {engine: epochs.trainer("mlp", engine, 16, data, dtype=np.float64) for engine in epochs.ENGINES}
    for one_epoch in runs.values():
        one_epoch()
    losses = []
    for one_epoch in runs.values():
        loss = one_epoch.model.loss(data)
        losses.append(float(loss.detach()) if isinstance(loss, torch.Tensor) else loss)
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)


def test_sizes_change_the_mlp_and_are_refused_for_the_linear_model():
    assert epochs.epoch_seconds("mlp", "numpy", 32, data=tiny(), repeats=1, sizes=(784, 16, 10)) > 0
    with pytest.raises(ValueError, match="sizes"):
        epochs.trainer("linear", "numpy", 32, tiny(), sizes=(784, 10))
    with pytest.raises(ValueError, match="engine"):
        epochs.trainer("mlp", "jax", 32, tiny())


def test_step_share_and_matmul_rate_are_rates():
    share = epochs.mlp_step_share(batch=32, data=tiny(), repeats=1)
    assert share["step"] > 0 and share["matmul"] > 0
    assert share["fraction"] == pytest.approx(share["step"] / share["matmul"])
    with set_threads(1):
        assert math.isfinite(machine.matmul_rate(64, 32, 16, calls=2, repeats=1))


def test_rounds_interleave_the_functions_and_drop_the_warm_up():
    from scripts.bench.timing import rounds, side_by_side

    calls = []
    counters = {name: iter(range(10)) for name in "ab"}
    functions = {name: (lambda n=name: calls.append(n) or next(counters[n])) for name in "ab"}
    assert rounds(functions, repeats=2, warmup=1) == {"a": [1, 2], "b": [1, 2]}
    assert calls == ["a", "b"] * 3  # in turn, round after round
    seconds, results = side_by_side(functions, repeats=3, warmup=0)
    assert set(seconds) == {"a", "b"} and all(s >= 0 for s in seconds.values())
    assert results == {"a": 5, "b": 5}  # the last call's result: 3 more calls after the 3 above
