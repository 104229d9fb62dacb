"""NumPy optimizers against torch.optim: the same model, data order and hyperparameters stepped in
both engines in float64 must end within 1e-10, for every model pair and every optimizer setting.

Models enter through MODELS (a factory that builds either twin from its package, and a batch maker),
so a new model pair is one more entry."""

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import numpy_impl
import numpy_impl.skipgram
import torch_impl
import torch_impl.skipgram
from numpy_impl import optim
from numpy_impl.data import batches

STEPS = 60
TRAJECTORY_TOL = 1e-10  # absolute, per parameter entry, float64
DTYPE = np.float64


@dataclass(frozen=True)
class ModelCase:
    build: Callable  # (package, dtype) -> model; the package is numpy_impl or torch_impl
    data: Callable  # rng -> tuple of arrays (the whole training set)
    batch_size: int


def _classification_data(n_features, n_classes, n=48):
    def make(rng):
        return rng.normal(size=(n, n_features)), rng.integers(0, n_classes, size=n)

    return make


def _reconstruction_data(n_features, n=48):
    def make(rng):
        return (rng.uniform(size=(n, n_features)),)

    return make


def _skipgram_data(vocab_size, n_negatives, n=48):
    def make(rng):  # small vocabulary: ids repeat within a batch, negatives hit the context
        centers, contexts = rng.integers(0, vocab_size, size=n), rng.integers(0, vocab_size, size=n)
        return centers, contexts, rng.integers(0, vocab_size, size=(n, n_negatives))

    return make


MODELS = {
    "linear": ModelCase(
        lambda pkg, dtype: pkg.LinearClassifier(13, 5, seed=3, dtype=dtype), _classification_data(13, 5), 12
    ),
    "mlp": ModelCase(
        lambda pkg, dtype: pkg.MLP((13, 11, 5), seed=3, dtype=dtype), _classification_data(13, 5), 12
    ),
    "mlp_binary_tanh": ModelCase(
        lambda pkg, dtype: pkg.MLP((7, 9, 1), "tanh", seed=4, dtype=dtype), _classification_data(7, 2), 16
    ),
    "autoencoder": ModelCase(
        lambda pkg, dtype: pkg.Autoencoder((13, 11, 7, 3), seed=3, dtype=dtype), _reconstruction_data(13), 12
    ),
    "skipgram": ModelCase(
        lambda pkg, dtype: pkg.skipgram.SkipGram(11, 5, seed=3, dtype=dtype), _skipgram_data(11, 3), 12
    ),
}

# name -> (class name, shared by numpy_impl.optim and torch.optim; hyperparameters)
OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.1}),
    "momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    "nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    "sgd_everything": ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    "adam": ("Adam", {"lr": 1e-2}),
    "adam_weight_decay": ("Adam", {"lr": 1e-2, "weight_decay": 0.05}),
    "adam_betas_eps": ("Adam", {"lr": 3e-3, "betas": (0.5, 0.9), "eps": 1e-4}),
    "amsgrad": ("Adam", {"lr": 1e-2, "amsgrad": True}),
    "adamw": ("AdamW", {"lr": 1e-2}),
    "adamw_weight_decay": ("AdamW", {"lr": 1e-2, "weight_decay": 0.1}),
    "adamw_amsgrad": ("AdamW", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
}


def batch_sequence(case, steps=STEPS, seed=0):
    """The data order both engines see: seeded shuffles, epoch after epoch, ``steps`` batches."""
    rng = np.random.default_rng(seed)
    data = case.data(rng)
    out = []
    while len(out) < steps:
        out += [tuple(a[idx] for a in data) for idx in batches(len(data[0]), case.batch_size, rng)]
    return out[:steps]


def run_numpy(case, opt_name, hparams, batch_list, optimizer_cls=None):
    model = case.build(numpy_impl, DTYPE)
    opt = (optimizer_cls or getattr(optim, opt_name))(model.parameters(), **hparams)
    losses = []
    for batch in batch_list:
        loss, grads = model.loss_and_grads(batch)
        opt.step(grads)
        losses.append(loss)
    return model.state_dict(), np.array(losses)


def run_torch(case, opt_name, hparams, batch_list):
    model = case.build(torch_impl, DTYPE)
    opt = getattr(torch.optim, opt_name)(model.parameters(), **hparams)
    losses = []
    for batch in batch_list:
        opt.zero_grad()
        loss = model.loss(tuple(torch.from_numpy(a) for a in batch))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return torch_impl.to_numpy_state_dict(model.state_dict()), np.array(losses)


def trajectory_gap(numpy_state, torch_state):
    """Largest |numpy - torch| over all parameter entries, and the name where it sits."""
    gaps = {name: float(np.abs(numpy_state[name] - torch_state[name]).max()) for name in torch_state}
    worst = max(gaps, key=gaps.get)
    return gaps[worst], worst


@pytest.mark.parametrize("opt_key", OPTIMIZERS)
@pytest.mark.parametrize("model_key", MODELS)
def test_trajectory_matches_torch_optim(model_key, opt_key):
    assert_same_trajectory(model_key, MODELS[model_key], opt_key)


SPARSE_SKIPGRAM = ModelCase(
    lambda pkg, dtype: pkg.skipgram.SkipGram(11, 5, seed=3, dtype=dtype, sparse=True),
    _skipgram_data(11, 3),
    12,
)


@pytest.mark.parametrize("opt_key", ["sgd", "momentum", "dampening", "nesterov"])
def test_sparse_gradients_follow_torchs_sparse_trajectory(opt_key):
    """SkipGram(sparse=True) in both engines: NumPy's row-sparse gradients (a scatter-add under
    plain SGD, densified under momentum) against the sparse COO gradients of nn.Embedding(sparse=
    True) in torch.optim.SGD. (Weight decay and Adam refuse sparse gradients in both engines.)"""
    assert_same_trajectory("sparse skipgram", SPARSE_SKIPGRAM, opt_key)


def assert_same_trajectory(model_key, case, opt_key):
    opt_name, hparams = OPTIMIZERS[opt_key]
    batch_list = batch_sequence(case)
    numpy_state, numpy_losses = run_numpy(case, opt_name, hparams, batch_list)
    torch_state, torch_losses = run_torch(case, opt_name, hparams, batch_list)

    gap, where = trajectory_gap(numpy_state, torch_state)
    assert gap <= TRAJECTORY_TOL, f"{model_key}/{opt_key}: after {STEPS} steps {where} differs by {gap:.3e}"
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=1e-12, atol=0)
    initial = case.build(numpy_impl, DTYPE).state_dict()
    moved = max(float(np.abs(numpy_state[k] - initial[k]).max()) for k in initial)
    assert moved > 1e-3, (
        f"{model_key}/{opt_key}: training barely moved the weights ({moved:.1e}); the test is vacuous"
    )
    assert numpy_losses[-1] < numpy_losses[0], f"{model_key}/{opt_key}: the loss did not go down"


class _AdamWithoutBiasCorrection(optim.Adam):
    def _update(self, param, grad, state):
        steps, self.steps = self.steps, 10**9  # beta**step -> 0: no correction
        try:
            super()._update(param, grad, state)
        finally:
            self.steps = steps


class _AdamEpsBeforeBiasCorrection(optim.Adam):
    """TensorFlow's ordering: lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)."""

    def _update(self, param, grad, state):
        eps = self.hparams["eps"]
        self.hparams["eps"] = eps / (1 - self.hparams["betas"][1] ** self.steps) ** 0.5
        try:
            super()._update(param, grad, state)
        finally:
            self.hparams["eps"] = eps


class _AdamWAsL2(optim.AdamW):
    decoupled_weight_decay = False


class _AmsgradOnCurrentV(optim.Adam):
    def __init__(self, params, **hparams):
        super().__init__(params, **{**hparams, "amsgrad": False})


class _SGDDampeningOnFirstStep(optim.SGD):
    def _update(self, param, grad, state):
        first = "momentum_buffer" not in state
        super()._update(param, grad, state)
        if first:  # torch starts the buffer at the raw gradient; this one dampens it too
            h = self.hparams
            param += h["lr"] * h["dampening"] * grad
            state["momentum_buffer"] *= 1 - h["dampening"]


OPTIMIZER_MUTANTS = {
    "adam_no_bias_correction": (_AdamWithoutBiasCorrection, "Adam", {"lr": 1e-2}),
    "adam_eps_before_bias_correction": (_AdamEpsBeforeBiasCorrection, "Adam", {"lr": 1e-2, "eps": 1e-4}),
    "adamw_decay_as_l2": (_AdamWAsL2, "AdamW", {"lr": 1e-2, "weight_decay": 0.1}),
    "amsgrad_ignored": (_AmsgradOnCurrentV, "Adam", {"lr": 1e-2, "amsgrad": True}),
    "sgd_dampening_first_step": (
        _SGDDampeningOnFirstStep,
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    ),
}


@pytest.mark.parametrize("mutant", OPTIMIZER_MUTANTS)
def test_optimizer_mutants_leave_the_torch_trajectory(mutant):
    cls, opt_name, hparams = OPTIMIZER_MUTANTS[mutant]
    case = MODELS["mlp"]
    batch_list = batch_sequence(case)
    numpy_state, _ = run_numpy(case, opt_name, hparams, batch_list, optimizer_cls=cls)
    torch_state, _ = run_torch(case, opt_name, hparams, batch_list)
    gap, _ = trajectory_gap(numpy_state, torch_state)
    assert gap > 1e3 * TRAJECTORY_TOL, (
        f"mutant {mutant} stays within {gap:.1e} of torch: the check cannot see it"
    )


@pytest.mark.parametrize(
    "opt_key", ["momentum", "nesterov", "adam_weight_decay", "amsgrad", "adamw_weight_decay"]
)
def test_state_dict_round_trip_continues_identically(opt_key):
    opt_name, hparams = OPTIMIZERS[opt_key]
    case = MODELS["autoencoder"]
    batch_list = batch_sequence(case, steps=40)

    straight, _ = run_numpy(case, opt_name, hparams, batch_list)

    model = case.build(numpy_impl, DTYPE)
    opt = getattr(optim, opt_name)(model.parameters(), **hparams)
    for batch in batch_list[:17]:
        opt.step(model.loss_and_grads(batch)[1])
    saved_model, saved_opt = model.state_dict(), copy.deepcopy(opt.state_dict())
    for batch in batch_list[17:20]:  # steps after the snapshot must not leak into it
        opt.step(model.loss_and_grads(batch)[1])

    resumed = case.build(numpy_impl, DTYPE)
    resumed.load_state_dict(saved_model)
    resumed_opt = getattr(optim, opt_name)(resumed.parameters(), lr=123.0)  # hparams come from the state dict
    resumed_opt.load_state_dict(saved_opt)
    for batch in batch_list[17:]:
        resumed_opt.step(resumed.loss_and_grads(batch)[1])

    for name, value in straight.items():
        assert np.array_equal(resumed.state_dict()[name], value), f"{opt_key}: {name} differs after resuming"


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW"])
def test_learning_rate_change_mid_run_matches_torch(opt_name):
    case = MODELS["mlp"]
    batch_list = batch_sequence(case, steps=50)
    numpy_model, torch_model = case.build(numpy_impl, DTYPE), case.build(torch_impl, DTYPE)
    numpy_opt = getattr(optim, opt_name)(numpy_model.parameters(), lr=0.02)
    torch_opt = getattr(torch.optim, opt_name)(torch_model.parameters(), lr=0.02)
    for step, batch in enumerate(batch_list):
        if step == 25:  # what a scheduler does
            numpy_opt.lr = 0.005
            torch_opt.param_groups[0]["lr"] = 0.005
        numpy_opt.step(numpy_model.loss_and_grads(batch)[1])
        torch_opt.zero_grad()
        torch_model.loss(tuple(torch.from_numpy(a) for a in batch)).backward()
        torch_opt.step()
    gap, where = trajectory_gap(
        numpy_model.state_dict(), torch_impl.to_numpy_state_dict(torch_model.state_dict())
    )
    assert gap <= TRAJECTORY_TOL, f"{opt_name}: {where} differs by {gap:.3e} after a learning-rate change"


def test_float32_trajectory_stays_close():
    case = MODELS["autoencoder"]
    batch_list = batch_sequence(case, steps=50)
    numpy_model, torch_model = case.build(numpy_impl, np.float32), case.build(torch_impl, np.float32)
    numpy_opt = optim.Adam(numpy_model.parameters(), lr=1e-2, amsgrad=True)
    torch_opt = torch.optim.Adam(torch_model.parameters(), lr=1e-2, amsgrad=True)
    for batch in batch_list:
        numpy_opt.step(numpy_model.loss_and_grads(batch)[1])
        torch_opt.zero_grad()
        torch_model.loss(tuple(torch.from_numpy(a) for a in batch)).backward()
        torch_opt.step()
    state = numpy_model.state_dict()
    assert all(v.dtype == np.float32 for v in state.values()), "the optimizer changed the parameters' dtype"
    assert all(v.dtype == np.float32 for s in numpy_opt.state.values() for v in s.values())
    gap, where = trajectory_gap(state, torch_impl.to_numpy_state_dict(torch_model.state_dict()))
    assert gap <= 1e-4, f"float32: {where} differs by {gap:.3e}"


BAD_HPARAMS = [
    ("SGD", {"lr": -0.1}, "lr"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "momentum"),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-3}, "weight_decay"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "Nesterov"),
    ("Adam", {"lr": -1e-3}, "lr"),
    ("Adam", {"lr": float("nan")}, "lr"),
    ("Adam", {"lr": "0.001"}, "lr"),
    ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    ("Adam", {"betas": 0.9}, "betas must be a pair"),
    ("Adam", {"eps": -1e-8}, "eps"),
    ("Adam", {"weight_decay": -0.01}, "weight_decay"),
    ("AdamW", {"betas": (0.9, 1.5)}, r"betas\[1\]"),
    ("AdamW", {"weight_decay": -0.01}, "weight_decay"),
]


@pytest.mark.parametrize(("opt_name", "hparams", "message"), BAD_HPARAMS)
def test_bad_hyperparameters_are_named(opt_name, hparams, message):
    params = numpy_impl.MLP((4, 3, 2), dtype=DTYPE).parameters()
    with pytest.raises(ValueError, match=message):
        getattr(optim, opt_name)(params, **hparams)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW"])
def test_bad_gradients_are_named(opt_name):
    model = numpy_impl.MLP((4, 3, 2), dtype=DTYPE)
    opt = getattr(optim, opt_name)(model.parameters(), lr=0.1)
    grads = {name: np.zeros_like(value) for name, value in model.parameters().items()}
    with pytest.raises(ValueError, match="layers.1.bias"):
        opt.step({k: v for k, v in grads.items() if k != "layers.1.bias"})
    with pytest.raises(ValueError, match=r"grads\['layers.0.weight'\] has shape"):
        opt.step({**grads, "layers.0.weight": np.zeros((4, 3))})
