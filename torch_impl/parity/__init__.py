"""Checking a hand-written backward pass against torch: structure, loss parity, gradient parity with
autograd, finite differences with kink handling, and a report that says where and, often, why.

    from torch_impl.parity import check_model

    report = check_model(numpy_model, torch_model, (x, y))   # finite_differences="exhaustive" for tiny models
    assert report.ok, report        # str(report): the human report; report.to_dict(): for CI and graders

Any NumPy model works that has ``state_dict()`` and ``loss_and_grads(batch) -> (loss, {name: grad})``
(better also ``parameters()``, live arrays, and ``kink_signature(batch)``); the torch twin needs
``loss(batch)`` and the same state-dict keys. Without a twin (``torch_model=None``) the structure
checks and finite differences still run. Modules, one job each:

    tolerances.py          the one place that knows the tolerances (VERIFICATION.md's measured table)
    compare.py             one tensor against its reference: shape, dtype, finiteness, the rule
    hints.py               likely causes read from a mismatch (a factor N, a transpose, a kept dim...)
    structure.py           names, shapes, dtypes, finite, inputs/parameters untouched, repeatable
    autograd.py            the reference: the torch twin's loss and autograd gradients
    finite_differences.py  central differences of the NumPy loss, kinks set aside
    check.py               check_model: all of the above on one model and batch
    report.py              the ParityReport (text and dict/JSON)
    points.py              classifier test points: after SGD steps, huge logits, exact-zero ReLU inputs
"""

from .check import check_model, compare_gradients
from .compare import compare_loss, compare_tensors
from .finite_differences import finite_difference_check
from .report import ParityReport
from .tolerances import Tolerance, autograd_tolerance, finite_difference_tolerance, loss_tolerance

__all__ = [
    "ParityReport",
    "Tolerance",
    "autograd_tolerance",
    "check_model",
    "compare_gradients",
    "compare_loss",
    "compare_tensors",
    "finite_difference_check",
    "finite_difference_tolerance",
    "loss_tolerance",
]
