"""The twins and their Lightning systems on every device this machine has: the CPU always, CUDA
when there is one (skipped, with the reason, otherwise; ``scripts/gpu_check.sh`` runs these on a
GPU machine). TF32 is off, so float32 on a GPU is IEEE float32 and the float32 tolerances hold.

- the NumPy twin's loss and gradients agree with autograd through the torch twin on the device,
  float64 and float32, for the four models;
- a fit through the Trainer on the device ends where the plain torch loop on the CPU ends
  (float64, <= 1e-10): the device path is Lightning's (batches moved by the Trainer);
- a bf16-mixed fit of the MLP trains (float32 weights, bf16 matmuls: other weights than a float32
  run, as good a model)."""

import copy

import numpy as np
import pytest
import torch
from lightning_cases import CASES, max_difference, trainer

import numpy_impl
import torch_impl
from torch_impl.lightning import ClassifierSystem, DigitsData
from torch_impl.parity import check_model
from torch_impl.train import fit as torch_fit

CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not CUDA, reason="no CUDA device here"))]
RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def ieee_float32():
    """No TF32 in matmuls or convolutions while a test runs (restored after)."""
    kept = torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.set_float32_matmul_precision(kept[0])
    torch.backends.cudnn.allow_tf32 = kept[1]


def twins(name, dtype):
    """(NumPy twin, torch twin, batch) of a small model of each kind."""
    x, y = RNG.normal(size=(12, 6)), RNG.integers(0, 3, size=12)
    ids = RNG.integers(0, 20, size=(12, 7))
    kind, args, batch = {
        "linear": ("LinearClassifier", (6, 3), (x, y)),
        "mlp": ("MLP", ((6, 5, 3),), (x, y)),
        "autoencoder": ("Autoencoder", ((6, 4, 2),), (x,)),
        "skipgram": ("SkipGram", (20, 4), (ids[:, 0], ids[:, 1], ids[:, 2:])),
    }[name]
    numpy_model = getattr(numpy_impl, kind)(*args, seed=1, dtype=dtype)
    return numpy_model, getattr(torch_impl, kind)(*args, seed=1, dtype=dtype), batch


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["linear", "mlp", "autoencoder", "skipgram"])
def test_the_twins_agree_on_the_device(name, dtype, device):
    numpy_model, torch_model, batch = twins(name, dtype)
    torch_model.to(device)
    report = check_model(numpy_model, torch_model, batch, finite_differences=None)
    assert report.ok, str(report)
    assert report.dtype == dtype and next(torch_model.parameters()).device.type == device


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_fit_through_the_trainer_on_the_device_ends_as_the_cpu_loop(case, device):
    system, data = case.make()
    if system.model is None:  # skip-gram sizes its tables from the data
        system.hparams.vocab_size = len(data.vocabulary)
        system.build_twin()
    loop_model = copy.deepcopy(system.model)  # the same initial weights, trained by the one loop
    loop_data, options = case.loop_data()
    if system.hparams.lr_schedule == "linear":
        options["lr_schedule"] = numpy_impl.optim.word2vec_lr(
            case.epochs, system.hparams.lr, system.hparams.end_lr
        )
    optimizer = case.torch_optimizer(loop_model.parameters(), **case.optimizer_args)
    torch_fit(
        loop_model, optimizer, loop_data, epochs=case.epochs, progress="off", **options, **case.loop_args
    )
    trainer(case.epochs, accelerator=device).fit(system, data)
    assert next(system.model.parameters()).device.type == device  # trained there, moved by Lightning
    lightning = torch_impl.to_numpy_state_dict(system.model.cpu().state_dict())
    assert max_difference(lightning, torch_impl.to_numpy_state_dict(loop_model.state_dict())) <= 1e-10


@pytest.mark.parametrize("device", DEVICES)
def test_a_bf16_mixed_fit_of_the_mlp_trains(device):
    def fit(precision):
        system = ClassifierSystem(sizes=(64, 64, 10), optimizer="adam", lr=0.01)
        run = trainer(3, accelerator=device, precision=precision, limit_val_batches=None)
        run.fit(system, DigitsData(batch_size=64))
        return system, float(run.callback_metrics["val_accuracy"])

    (full, full_accuracy), (mixed, mixed_accuracy) = fit("32-true"), fit("bf16-mixed")
    weights = [torch_impl.to_numpy_state_dict(s.model.cpu().state_dict()) for s in (full, mixed)]
    assert all(w.dtype == np.float32 and np.isfinite(w).all() for w in weights[1].values())
    assert max_difference(*weights) > 1e-4  # the matmuls ran in bfloat16
    assert mixed_accuracy > 0.85 and abs(mixed_accuracy - full_accuracy) < 0.05
