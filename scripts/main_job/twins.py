"""Train both engines, then compare: every section trains a NumPy model and its torch twin, built
from the same arguments (hence bit-identical initial weights), on the same batches, and reports
how far they drifted apart."""

from dataclasses import dataclass

import numpy as np
import torch

from numpy_impl.arrays import float_dtype, to_numpy
from numpy_impl.state import check_state_dict
from numpy_impl.train import History
from numpy_impl.train import fit as fit_numpy
from torch_impl.bridge import to_numpy_state_dict
from torch_impl.tensors import as_tensor
from torch_impl.train import fit as fit_torch


@dataclass
class TwinRun:
    """Both engines' training histories and their distance after training: ``loss_diff`` is
    |NumPy loss - torch loss| at every step, ``max_weight_diff`` the largest difference of any
    weight at the end."""

    histories: dict[str, History]  # {"numpy": ..., "torch": ...}
    loss_diff: np.ndarray  # (steps,)
    max_weight_diff: float

    @property
    def steps(self):
        return len(self.loss_diff)

    @property
    def max_loss_diff(self):
        return float(self.loss_diff.max(initial=0.0))

    def max_metric_diff(self, name):
        """The largest per-epoch difference of an evaluation metric between the engines."""
        return _max_abs_diff(self.histories["numpy"].metric(name), self.histories["torch"].metric(name))


def train_twins(numpy_model, torch_model, numpy_optimizer, torch_optimizer, data, *, desc, **fit_options):
    """Train ``numpy_model`` with ``numpy_impl.train.fit`` and ``torch_model`` with
    ``torch_impl.train.fit`` on the same ``data`` with the same ``fit_options`` (epochs,
    batch_size, seed, lr_schedule, evaluate, progress...); return the TwinRun. ``evaluate``, when
    given, must take a model of either engine (``engine_call`` helps). Twins whose weights differ
    in names or shapes are refused before training."""
    shapes = {name: weight.shape for name, weight in numpy_model.state_dict().items()}
    check_state_dict(to_numpy_state_dict(torch_model.state_dict()), shapes)
    histories = {
        "numpy": fit_numpy(numpy_model, numpy_optimizer, data, desc=f"{desc} numpy", **fit_options),
        "torch": fit_torch(torch_model, torch_optimizer, data, desc=f"{desc} torch", **fit_options),
    }
    torch_weights = to_numpy_state_dict(torch_model.state_dict())
    weight_diffs = [_max_abs_diff(w, torch_weights[k]) for k, w in numpy_model.state_dict().items()]
    return TwinRun(
        histories=histories,
        loss_diff=np.abs(np.subtract(histories["numpy"].step_loss, histories["torch"].step_loss)),
        max_weight_diff=max(weight_diffs),
    )


def engine_call(model, method, *arrays):
    """``method(*arrays)`` for ``method`` a method of ``model``, a model of either engine, with NumPy
    arrays in and out: a torch model's method gets tensors of its own dtype and runs without grad."""
    if not isinstance(model, torch.nn.Module):
        return method(*arrays)
    dtype = float_dtype(next(model.parameters()).dtype)
    with torch.no_grad():
        return to_numpy(method(*(as_tensor(np.asarray(a, dtype=dtype)) for a in arrays)))


def _max_abs_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0
