"""No check in the hot path: one ``loss(batch).backward()`` of every torch twin reads no tensor value
on the host (``aten._local_scalar_dense`` is what ``.item()``, ``bool(t)``, ``int(t)`` and
``float(t)`` run; on a GPU each is a sync). ``validate`` is where the values are read."""

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import torch_impl

HOST_READ = torch.ops.aten._local_scalar_dense.default


class HostReads(TorchDispatchMode):
    """Counts the host reads of tensor values made inside the block."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func is HOST_READ
        return func(*args, **(kwargs or {}))


def host_reads(run):
    with HostReads() as reads:
        run()
    return reads.count


def classifier_batch(rng, n_features, n_classes, n=8):
    return torch.from_numpy(rng.normal(size=(n, n_features))), torch.from_numpy(rng.integers(0, n_classes, n))


TWINS = {
    "LinearClassifier": (lambda: torch_impl.LinearClassifier(6, 4), lambda rng: classifier_batch(rng, 6, 4)),
    "LinearClassifier-binary": (
        lambda: torch_impl.LinearClassifier(6, 1),
        lambda rng: classifier_batch(rng, 6, 2),
    ),
    "MLP": (lambda: torch_impl.MLP((6, 5, 4)), lambda rng: classifier_batch(rng, 6, 4)),
    "Autoencoder": (
        lambda: torch_impl.Autoencoder((6, 5, 2)),
        lambda rng: (torch.from_numpy(rng.normal(size=(8, 6))),),
    ),
    "SkipGram": (
        lambda: torch_impl.SkipGram(9, 3),
        lambda rng: tuple(torch.from_numpy(rng.integers(0, 9, shape)) for shape in [(8,), (8,), (8, 2)]),
    ),
}


@pytest.mark.parametrize("name", list(TWINS))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_loss_and_backward_read_no_tensor_value(name, reduction):
    make_model, make_batch = TWINS[name]
    model, batch = make_model(), make_batch(np.random.default_rng(0))
    assert host_reads(lambda: model.loss(batch, reduction).backward()) == 0


@pytest.mark.parametrize("name", list(TWINS))
def test_the_counter_sees_the_reads_validate_makes(name):
    """The counter is not blind: ``validate`` reads label ranges and finiteness, and says so."""
    make_model, make_batch = TWINS[name]
    model, batch = make_model(), make_batch(np.random.default_rng(0))
    assert host_reads(lambda: model.validate(batch)) > 0
    assert host_reads(lambda: model.loss(batch).detach().item()) >= 1
