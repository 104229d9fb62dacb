"""Checking a hand-written NumPy backward pass against its torch twin: the torch-free checker of
``numpy_impl.gradcheck`` with autograd through the twin as its reference.

    from torch_impl.parity import check_model

    report = check_model(numpy_model, torch_model, (x, y))   # finite_differences="exhaustive" for tiny models
    assert report.ok, report        # str(report): the human report; report.to_dict(): for CI and graders

The torch twin needs ``loss(batch)`` and the same state-dict keys; ``torch_model=None`` leaves the
structure checks and finite differences. Everything else (compare_tensors, the tolerances, the
report...) is ``numpy_impl.gradcheck``'s, re-exported here under the same names.

    autograd.py   the reference: the torch twin's loss and autograd gradients at given weights
    check.py      check_model(numpy_model, torch_model, batch): the core with that reference
"""

from numpy_impl.gradcheck import (
    ParityReport,
    Tolerance,
    autograd_tolerance,
    compare_gradients,
    compare_loss,
    compare_tensors,
    finite_difference_check,
    finite_difference_tolerance,
    loss_tolerance,
)

from .autograd import autograd_reference
from .check import check_model

__all__ = [
    "ParityReport",
    "Tolerance",
    "autograd_reference",
    "autograd_tolerance",
    "check_model",
    "compare_gradients",
    "compare_loss",
    "compare_tensors",
    "finite_difference_check",
    "finite_difference_tolerance",
    "loss_tolerance",
]
