"""No check in the hot path: one ``loss(batch).backward()`` of every torch twin reads no tensor value
on the host (``aten._local_scalar_dense`` is what ``.item()``, ``bool(t)``, ``int(t)`` and
``float(t)`` run; on a GPU each is a sync). ``validate`` is where the values are read. And the one
loop cuts a tensor's batches with ``index_select``, not advanced indexing (``aten.index``)."""

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import torch_impl
from numpy_impl.training import ArrayBatches

HOST_READ = torch.ops.aten._local_scalar_dense.default


class Ops(TorchDispatchMode):
    """Records the aten operators run inside the block."""

    def __init__(self):
        super().__init__()
        self.run = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.run.append(func)
        return func(*args, **(kwargs or {}))


def ops_of(run):
    with Ops() as ops:
        run()
    return ops.run


def host_reads(run):
    return ops_of(run).count(HOST_READ)


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


def test_the_loop_cuts_a_tensors_batches_with_index_select_and_the_same_rows_as_numpy():
    """torch's advanced indexing with the loop's NumPy rows (``aten.index``) is 5x slower than
    ``index_select`` on the CPU; the batches are the NumPy engine's rows either way."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 7)), rng.integers(0, 3, 50)
    arrays, tensors = (
        ArrayBatches((x, y), 8, seed=3),
        ArrayBatches((torch.from_numpy(x), torch.from_numpy(y)), 8, seed=3),
    )
    cut = []
    ops = ops_of(lambda: cut.extend(tensors.epoch(1)))
    assert torch.ops.aten.index.Tensor not in ops
    assert torch.ops.aten.index_select.default in ops
    expected = list(arrays.epoch(1))
    assert len(cut) == len(expected) == 7
    for (tx, ty), (nx, ny) in zip(cut, expected, strict=True):
        assert isinstance(tx, torch.Tensor) and tx.dtype == torch.float64 and ty.dtype == torch.int64
        np.testing.assert_array_equal(tx.numpy(), nx)
        np.testing.assert_array_equal(ty.numpy(), ny)
