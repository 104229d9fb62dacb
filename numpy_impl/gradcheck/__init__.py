"""Checking a hand-written backward pass, with NumPy alone: structure, finite differences that set
kinks aside, and, given a reference, loss and gradient parity; a report that says where and, often,
why. Never imports torch (``torch_impl.parity`` adds autograd as a reference).

    from numpy_impl.gradcheck import check_model

    report = check_model(model, (x, y))                   # structure + finite differences
    report = check_model(model, (x, y), reference=ref)    # + loss and gradient parity with ref
    assert report.ok, report        # str(report): the human report; report.to_dict(): for CI and graders

Any model works that has ``state_dict()`` and ``loss_and_grads(batch) -> (loss, {name: grad})``
(better also ``parameters()``, live arrays, and ``loss(batch)``). What the tolerances rest on and
how kinks are told apart is in docs/gradients.md. Modules, one job each:

    tolerances.py          the one place that knows the tolerances
    compare.py             one tensor against its reference: shape, dtype, finiteness, the rule
    hints.py               likely causes read from a mismatch (a factor N, a transpose, a kept dim...)
    structure.py           names, shapes, dtypes, finite, inputs/parameters untouched, repeatable
    reference.py           what a reference is; a reference made from another NumPy model
    probe.py               the loss with one parameter moved, put back bit for bit
    kinks.py               whether a finite difference straddles a kink, from loss values alone
    finite_differences.py  central differences of the model's own loss, kinks set aside
    check.py               check_model: all of the above on one model and batch
    report.py              the ParityReport (text and dict/JSON)
"""

from .check import check_model, compare_gradients
from .compare import compare_loss, compare_tensors
from .finite_differences import finite_difference_check
from .reference import model_reference
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
    "model_reference",
]
