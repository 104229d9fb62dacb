"""Float32 rounding told from bugs: a float32 gradient, intermediate or loss that fails its
tolerance by its values alone (no shape, dtype or NaN problem) is checked once more with your code
and the reference both run in float64, on the same weights and batch cast up. Agreeing there to
float64's tolerance, the difference was rounding (your float32 code rounds more than the
reference's, e.g. ``1 - tanh(z)**2`` by cancellation near saturation): the tensor passes, and the
report says so. Disagreeing there too, it is a real difference, and its hints say that as well.
A check that passes in float32 runs nothing more."""

import numpy as np

from ..arrays import to_numpy
from .compare import compare_tensors
from .loss import compare_loss
from .parity import float64_batch, float64_result, largest, tensor_tolerance
from .structure import snapshot


def confirm_in_float64(report, learner, reference, params, inputs):
    """Settle ``report``'s float32 value mismatches in float64 (see the module's docstring)."""
    tensors = [t for t in (*report.gradients, *report.intermediates) if _values_only(t)]
    loss = report.loss if report.loss is not None and _loss_values_only(report.loss) else None
    if report.dtype != "float32" or not (tensors or loss):
        return
    wide_reference = float64_result(reference, params, inputs)
    if wide_reference is None:
        return  # a reference without a float64 form: the float32 verdict stands as it is
    wide, _, run = yours_in_float64(learner, inputs, [t.name for t in report.gradients if t in tensors])
    if wide is None:
        report.notes.append(f"float32 differences not re-checked in float64: {run}")
        return
    your_loss, grads, intermediates = run
    reference_tensors = {**wide_reference.grads, **wide_reference.intermediates}
    scale = largest(reference_tensors.values())
    settled = []
    for tensor in tensors:
        yours = grads.get(tensor.name, intermediates.get(tensor.name))
        if yours is None or tensor.name not in reference_tensors:
            continue
        wide = compare_tensors(
            yours,
            reference_tensors[tensor.name],
            tensor_tolerance(np.dtype(np.float64), scale),
            name=tensor.name,
        )
        if wide.ok:
            settled.append(tensor.name)
            tensor.ok, tensor.rounding_only = True, True
            tensor.hints = [
                f"float32 rounding, not a bug: in float64 your code gives the reference's values "
                f"(norm-rel {wide.norm_relative_error:.1e})"
            ]
        else:
            tensor.hints.append(
                f"in float64 too yours differs (norm-rel {wide.norm_relative_error:.2e}): not float32 rounding"
            )
    if loss is not None:
        wide = compare_loss(your_loss, wide_reference.loss, np.dtype(np.float64))
        if wide.ok:
            settled.append(loss.name)
            loss.ok, loss.rounding_only = True, True
            loss.hints = [
                f"float32 rounding, not a bug: in float64 your loss is the reference's (|diff| {abs(wide.yours - wide.reference):.2g})"
            ]
    if settled:
        report.notes.append(
            f"float32 rounding, not bugs: {', '.join(settled)} {'differs' if len(settled) == 1 else 'differ'} "
            f"beyond the float32 tolerance but {'agrees' if len(settled) == 1 else 'agree'} with the reference "
            "when both run in float64 (your code rounds more than the reference in float32)"
        )


def _values_only(comparison):
    """A failure by finite values alone: what float32 rounding can cause."""
    return not comparison.ok and not comparison.problems and not comparison.n_nonfinite and comparison.n_total


def _loss_values_only(loss):
    return not loss.ok and np.isfinite(loss.yours) and np.isfinite(loss.reference)


def yours_in_float64(learner, inputs, names):
    """(your code on float64 copies of its parameters, the batch in float64, its run there) or
    (None, None, why not): ``names``, the gradients that must come back float64."""
    wide = learner.in_float64()
    if wide is None:
        return (
            None,
            None,
            "your object has no load_state_dict to take float64 weights (or keeps float32 ones)",
        )
    batch = float64_batch(snapshot(inputs))
    try:
        run = wide.run(batch)
    except Exception as err:  # noqa: BLE001 - learner code may raise anything; the note says what
        return None, None, f"your code raised {type(err).__name__} in float64: {err}"
    narrow = [n for n in names if n in run[1] and to_numpy(run[1][n]).dtype != np.float64]
    if narrow:
        return (
            None,
            None,
            (
                f"given float64 weights and batch, your code still returns {', '.join(narrow)} in "
                f"{to_numpy(run[1][narrow[0]]).dtype} (code that computes in its inputs' dtype can be re-checked)"
            ),
        )
    return wide, batch, run
