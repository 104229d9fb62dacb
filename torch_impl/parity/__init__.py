"""Checking a hand-written NumPy backward pass against torch: the torch-free checker of
``numpy_impl.gradcheck`` with autograd as its reference.

    from torch_impl.parity import Layout, check, check_model

    report = check_model(numpy_model, torch_model, (x, y))   # one of ours against its torch twin
    report = check((forward, backward), (x, y_onehot), "mlp", params=params,
                   layout=Layout(weights="in, out", labels="one-hot", loss="sum", l2=0.5 * reg))
    report = check(loss_and_grads, batch, my_torch_loss, params=params)   # any torch function
    report.raise_if_failed()        # str(report): the human report; report.to_dict(): for CI and graders

``check_model``'s twin needs ``loss(batch)`` and the same state-dict keys; ``torch_model=None``
leaves the structure checks and finite differences. Everything else (compare_tensors, the
tolerances, the report, Layout...) is ``numpy_impl.gradcheck``'s, re-exported here under the same
names; ``check``, ``check_model`` and ``assert_gradients`` are the ones that take torch references.

    autograd.py     the reference: a torch twin's loss and autograd gradients (and its layers' dz, dh)
    references.py   a twin by name sized from your parameters; any torch function of them
    suspects.py     the twin with a known bug in its activation, for the report's hints
    check.py        check, check_model, assert_gradients
    mutate.py       run_mutants: the known bugs against our models, to prove a check bites
"""

from numpy_impl import gradcheck
from numpy_impl.gradcheck import *  # noqa: F403  the core's names, re-exported

from .autograd import autograd_reference as autograd_reference
from .check import assert_gradients as assert_gradients
from .check import check as check
from .check import check_model as check_model
from .references import torch_reference as torch_reference
from .references import twin_reference as twin_reference

__all__ = sorted({*gradcheck.__all__, "autograd_reference", "torch_reference", "twin_reference"})
