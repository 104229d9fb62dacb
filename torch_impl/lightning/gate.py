"""The parity gate: before the first optimizer step of a run, the loss and every gradient of the
system's torch twin are checked against the NumPy twin on one real training batch, in float64 on
the CPU whatever the training device and dtype (copies: the run's module is not touched). One line
says the verdict and what it cost; a disagreement stops the run before any weight moves, with the
parity report, which names the first tensor that disagrees.

The check is ``torch_impl.parity.check_model(numpy_twin, torch_twin, batch,
finite_differences=None)``: NumPy's hand-written backward against autograd through the torch twin.
Under DDP every rank checks its own share of the first batch and the ranks agree on the verdict
(one collective), so a failure on any rank stops all of them at once rather than leaving the others
waiting for it in the first all-reduce.
"""

import copy
import sys
import time

import lightning.pytorch as pl
import numpy as np
import torch

from numpy_impl.arrays import to_numpy

from ..parity import check_model


class ParityGateError(RuntimeError):
    """The torch twin and the NumPy twin disagree; the message is the parity report."""


class ParityGate(pl.Callback):
    def __init__(self, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream
        self.report = None  # the last ParityReport, for callers that want it
        self.seconds = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if not self.enabled or self.report is not None:
            return
        started = time.perf_counter()
        self.report = check_system(pl_module, batch)
        self.seconds = time.perf_counter() - started
        every_rank_ok = trainer.strategy.reduce_boolean_decision(bool(self.report.ok), all=True)
        model = type(pl_module.model).__name__
        if every_rank_ok:
            if trainer.is_global_zero:
                n = len(self.report.gradients)
                print(
                    f"parity gate: ok, {model}'s loss and {n} gradients agree with the NumPy twin on a "
                    f"batch of {self.report.batch_size} (float64, CPU) in {self.seconds:.3f} s",
                    file=self.stream or sys.stdout,
                    flush=True,
                )
            return
        if self.report.ok:
            raise ParityGateError(
                f"parity gate: FAILED on another rank ({model}); training stopped before the first "
                "optimizer step (that rank's output holds the parity report)"
            )
        failed = self.report.first_divergent or ", ".join(self.report.failed_checks())
        raise ParityGateError(
            f"parity gate: FAILED, {model} disagrees with its NumPy twin ({failed}); training stopped "
            f"before the first optimizer step ({self.seconds:.2f} s)\n{self.report}"
        )


def check_system(system, batch):
    """The ParityReport of ``system.model`` against ``system.numpy_twin()`` on ``batch`` (float64, CPU)."""
    torch_twin = copy.deepcopy(system.model).to(device="cpu", dtype=torch.float64)
    return check_model(system.numpy_twin(), torch_twin, float64_batch(batch), finite_differences=None)


def float64_batch(batch):
    """The batch as NumPy arrays on the CPU, floating ones in float64."""
    arrays = [to_numpy(a) for a in batch]
    return tuple(a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays)
