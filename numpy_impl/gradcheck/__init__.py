"""Checking a hand-written backward pass, with NumPy alone: structure, finite differences that set
kinks aside, and, given a reference, loss and gradient parity; a report that says where and, often,
why. Never imports torch (``torch_impl.parity`` adds autograd as a reference).

    from numpy_impl.gradcheck import check

    report = check(model, (x, y))                                 # an object: structure + finite differences
    report = check(loss_and_grads, (x, y), params=params)         # functions of the parameters
    report = check((forward, backward), (x, y), params=params)    # forward -> (loss, cache); backward(cache)
    report = check(model, (x, y), reference=ref, layout=Layout(weights="in, out"))  # + parity with ref
    report.raise_if_failed()        # str(report): the human report; report.to_dict(): for CI and graders

What code may look like is in ``learner.py``, what the tolerances rest on and how kinks are told
apart in docs/gradients.md, the walkthrough in docs/checking_your_backprop.md. Modules, one job each:

    learner.py             learner code (an object, or functions) in the one shape the checker uses
    layout.py              a layout mapping between your code and a reference (names, (in, out), one-hot...)
    reference.py           what a reference is; a reference made from another NumPy model
    tolerances.py          the one place that knows the tolerances
    compare.py loss.py     one tensor, or the loss, against its reference
    hints.py patterns.py   likely causes read from a mismatch (a factor N, a transpose, a mask, repeated ids...)
    structure.py           names, shapes, dtypes, finite, inputs/parameters untouched, repeatable
    probe.py               the loss with one parameter moved, put back bit for bit
    kinks.py               whether a finite difference straddles a kink, from loss values alone
    finite_differences.py  central differences of the code's own loss, kinks set aside
    parity.py              loss, gradients and intermediates against a reference
    confirm.py             float32 failures re-checked in float64: rounding told from bugs
    check.py               check: all of the above on one piece of code and batch; assert_gradients
    report.py              the ParityReport (text, dict/JSON, raise_if_failed)
    points.py              test points where hand-written backward passes break
    mutants/               the known learner bugs, to prove that checks bite
"""

from .check import assert_gradients, check, check_model
from .compare import compare_tensors
from .finite_differences import finite_difference_check
from .layout import Layout
from .learner import as_learner
from .loss import compare_loss
from .parity import compare_gradients
from .reference import Reference, model_reference
from .report import GradientCheckError, ParityReport
from .tolerances import Tolerance, autograd_tolerance, finite_difference_tolerance, loss_tolerance

__all__ = [
    "GradientCheckError",
    "Layout",
    "ParityReport",
    "Reference",
    "Tolerance",
    "as_learner",
    "assert_gradients",
    "autograd_tolerance",
    "check",
    "check_model",
    "compare_gradients",
    "compare_loss",
    "compare_tensors",
    "finite_difference_check",
    "finite_difference_tolerance",
    "loss_tolerance",
    "model_reference",
]
