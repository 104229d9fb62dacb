"""The main job's one "train both engines, then compare": twins trained on the same batches end
where each other end, a twin that differs is seen, and the fit options reach both loops."""

import numpy as np
import pytest
import torch

import numpy_impl
import torch_impl
from numpy_impl.checks import InputError
from numpy_impl.optim import SGD
from scripts.main_job.twins import engine_call, train_twins

RNG = np.random.default_rng(0)
X = RNG.normal(size=(50, 6))
Y = RNG.integers(0, 3, size=50)


def mlps(seed=1, dtype=np.float64):
    return (
        numpy_impl.MLP((6, 5, 3), seed=seed, dtype=dtype),
        torch_impl.MLP((6, 5, 3), seed=seed, dtype=dtype),
    )


def train(numpy_model, torch_model, lr=0.1, **options):
    options = {"epochs": 2, "batch_size": 16, "seed": 0, "progress": "off"} | options
    return train_twins(
        numpy_model,
        torch_model,
        SGD(numpy_model.parameters(), lr=lr),
        torch.optim.SGD(torch_model.parameters(), lr=lr),
        (X, Y),
        desc="mlp",
        **options,
    )


def test_twins_on_the_same_batches_end_together():
    run = train(*mlps())
    assert run.steps == 2 * 4  # ceil(50 / 16) batches per epoch
    assert set(run.histories) == {"numpy", "torch"}
    assert run.histories["numpy"].step_loss[0] > 0.5  # really trained: about log(3) at the start
    assert run.max_loss_diff <= 1e-14 and run.max_weight_diff <= 1e-14


def test_a_twin_that_differs_is_seen():
    numpy_model, torch_model = mlps()
    with torch.no_grad():
        torch_model.layers[0].weight[0, 0] += 1e-3
    run = train(numpy_model, torch_model)
    assert run.loss_diff[0] > 0 and run.max_loss_diff > 1e-8
    assert run.max_weight_diff >= 5e-4  # the nudge survives two epochs, nearly whole


def test_another_seed_is_another_run():
    run = train(mlps(seed=1)[0], mlps(seed=2)[1])
    assert run.max_weight_diff > 1e-3 and run.max_loss_diff > 1e-3


def test_fit_options_reach_both_loops():
    def schedule(t):
        return 0.1 / (1 + t)

    def evaluate(model):
        return {"train_accuracy": float(np.mean(engine_call(model, model.logits, X).argmax(1) == Y))}

    run = train(*mlps(), batch_size=50, lr_schedule=schedule, evaluate=evaluate)
    assert run.steps == 2
    for history in run.histories.values():
        assert [record["lr"] for record in history.epochs] == [0.1, 0.05]
        assert 0 <= history.metric("train_accuracy")[-1] <= 1
    assert run.max_metric_diff("train_accuracy") == 0
    assert run.max_metric_diff("loss") <= 1e-14


def test_engine_call_gives_numpy_for_either_engine():
    numpy_model, torch_model = mlps(dtype=np.float32)
    out = engine_call(torch_model, torch_model.logits, X)  # float64 in, cast to the model's float32
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, numpy_model.logits(X.astype(np.float32)), rtol=1e-5, atol=1e-6)
    assert engine_call(numpy_model, numpy_model.logits, X).shape == (50, 3)


def test_models_that_are_not_twins_are_refused_before_training():
    numpy_model, _ = mlps()
    before = numpy_model.state_dict()
    with pytest.raises(
        InputError, match=r"missing keys: layers\.0\.weight.* \| unexpected keys: weight, bias"
    ):
        train(numpy_model, torch_impl.LinearClassifier(6, 3, seed=1, dtype=np.float64))
    with pytest.raises(InputError, match=r"wrong shapes: layers\.0\.weight: expected \(5, 6\), got \(4, 6\)"):
        train(numpy_model, torch_impl.MLP((6, 4, 3), seed=1, dtype=np.float64))
    assert all(np.array_equal(w, before[k]) for k, w in numpy_model.state_dict().items())  # not trained
