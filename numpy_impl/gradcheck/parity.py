"""Against a reference: loss parity, gradient parity per parameter, the gradients of the named
intermediates your code returns, and, when gradients differ, what the reference's suspects (the
reference with a known bug put in) and the other tensors' values say about why."""

import numpy as np

from ..arrays import to_numpy
from ..checks import InputError
from ..state import StateDictError
from .compare import TensorComparison, compare_tensors
from .loss import compare_loss
from .structure import snapshot
from .tolerances import autograd_tolerance, model_floor, reference_rounding


def against_reference(report, reference, params, inputs, yours, context):
    """Fill ``report`` with the comparisons; a state dict or batch the reference cannot take, or
    reference gradients of another dtype, are problems of the structure check named after it."""
    structure, name = report.structure, report.structure.reference
    try:
        result = reference(params, snapshot(inputs))
    except (StateDictError, InputError) as err:
        structure.add(name, str(err) + _label_advice(inputs) + _layout_advice(err, params, reference))
        return
    for key, value in result.grads.items():
        if key in params and value.dtype != params[key].dtype:
            structure.add(
                name, f"{key} is {value.dtype.name} in the {name}, {params[key].dtype.name} in yours"
            )
    loss, grads, intermediates = yours
    l2_base = sum(_squares(v) for v in params.values() if v.ndim == 2)
    # the weights a layout's L2 term leaves out (none without l2_on)
    left_out = (
        [n for n, v in params.items() if v.ndim == 2 and n not in context.l2_on] if context.l2_on else []
    )
    report.loss = compare_loss(
        loss,
        result.loss,
        np.dtype(report.dtype),
        sizes=context.sizes,
        l2_base=l2_base,
        l2=context.l2,
        l2_fits=lambda a: _l2_fits(a, grads, result.grads, params),
        left_out=(left_out, sum(_squares(params[n]) for n in left_out)),
    )
    dtypes = {key: value.dtype for key, value in params.items()}
    scale = largest([*result.grads.values(), *result.intermediates.values()])
    rounding = _own_rounding(reference, result, params, inputs) if report.dtype == "float32" else {}
    if rounding:
        report.tolerance = reference_rounding(report.tolerance)
    report.gradients = compare_gradients(
        grads,
        result.grads,
        dtypes=dtypes,
        order=list(reversed(params)),
        context=context,
        params=params,
        scale=scale,
        rounding=rounding,
    )
    report.order = reference.order
    _intermediates(report, intermediates, result, context, scale, rounding)
    _swapped_names(report.gradients, grads, result.grads)
    if any(not g.ok for g in report.gradients):
        report.hints += _suspected(reference, params, inputs, grads, report.gradients)


def compare_gradients(
    yours,
    reference,
    *,
    dtypes=None,
    order=None,
    sizes=None,
    labels=None,
    context=None,
    params=None,
    scale=None,
    rounding=None,
):
    """Compare two gradient dicts with the gradient-vs-reference tolerances; returns
    TensorComparisons in ``order`` (default: backward order, the reverse of ``reference``'s keys).
    ``dtypes`` gives the expected dtype per name (default: the reference's); ``params`` the
    parameter values, for the L2 hint; ``scale`` the model's largest |gradient|, for the float64
    rounding floor (default: the largest in ``reference``); ``rounding``: name -> the float32
    reference minus itself in float64, for the float32 rounding floor."""
    scale = largest(reference.values()) if scale is None else scale
    results = []
    for name in order or list(reversed(list(reference))):
        expected = np.dtype((dtypes or {}).get(name, to_numpy(reference[name]).dtype))
        ref = to_numpy(reference[name])
        if name not in yours:
            results.append(TensorComparison(name, False, (), ref.shape, "-", expected.name, ["no gradient"]))
            continue
        ctx = context.but(param=(params or {}).get(name)) if context is not None else None
        results.append(
            compare_tensors(
                yours[name],
                ref,
                tensor_tolerance(expected, scale, (rounding or {}).get(name)),
                name=name,
                expected_dtype=expected,
                sizes=sizes,
                labels=labels,
                context=ctx,
            )
        )
    return results


def tensor_tolerance(dtype, scale, rounding=None):
    """The tolerance for one tensor of ``dtype``: with the model floor (float64) and, given the
    reference's own rounding of it, the rounding floor (float32)."""
    tolerance = model_floor(autograd_tolerance(dtype), scale)
    return reference_rounding(tolerance, rounding) if rounding is not None else tolerance


def _own_rounding(reference, result, params, inputs):
    """name -> the float32 reference's gradient (or intermediate's) minus the same reference's in
    float64 at the same weights and batch (both cast up): the reference's own rounding. Empty when
    the reference has no float64 form, or that form fails or does not compute in float64."""
    wide = float64_result(reference, params, inputs)
    if wide is None:
        return {}
    differences = {}
    for ours, theirs in ((result.grads, wide.grads), (result.intermediates, wide.intermediates)):
        for name, value in ours.items():
            wide_value = theirs.get(name)
            if wide_value is None or wide_value.dtype != np.float64 or wide_value.shape != value.shape:
                continue
            differences[name] = value.astype(np.float64) - wide_value
    return differences


def float64_result(reference, params, inputs):
    """The reference's float64 form run on the weights and batch cast to float64, or None when it
    has none or that form cannot run."""
    wide = reference.in_float64()
    if wide is None:
        return None
    try:
        return wide({k: to_numpy(v).astype(np.float64) for k, v in params.items()}, float64_batch(inputs))
    except Exception:  # noqa: BLE001 - a float64 form that cannot run only leaves the floor out
        return None


def float64_batch(inputs):
    """A batch with its float arrays cast to float64 (ids and other integers as they are)."""
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(float64_batch(a) for a in inputs)
    array = _array(inputs)
    return array.astype(np.float64) if array is not None and array.dtype.kind == "f" else inputs


def _l2_fits(a, yours, reference, params):
    """Whether yours - reference is 2 * a * W on the 2-D parameters and 0 on the others, up to 5 %
    of the difference (the L2 hint's test; a difference of 0 contradicts any a != 0)."""
    difference = residual = 0.0
    for name, param in params.items():
        mine, ref = _array(yours.get(name)), _array(reference.get(name))
        if mine is None or ref is None or mine.shape != ref.shape or mine.dtype.kind not in "fiu":
            continue
        step = mine.astype(np.float64) - ref
        expected = 2 * a * param.astype(np.float64) if param.ndim == 2 else 0.0
        difference += float(np.vdot(step, step))
        residual += float(np.sum((step - expected) ** 2))
    return difference > 0 and residual <= 0.05**2 * difference


def _squares(weights):
    """sum(W**2) in float64."""
    w = to_numpy(weights).astype(np.float64)
    return float(np.vdot(w, w))


def largest(tensors):
    """The largest finite |entry| among ``tensors``: the scale of the model's gradients."""
    arrays = [np.abs(to_numpy(t).astype(np.float64)) for t in tensors]
    return max((float(a[np.isfinite(a)].max(initial=0.0)) for a in arrays), default=0.0)


def _intermediates(report, intermediates, result, context, scale, rounding):
    for name, value in intermediates.items():
        if name not in result.intermediates:
            report.notes.append(
                f"intermediate {name}: the {report.reference} has none by that name (name it in Layout(intermediates=...))"
            )
            continue
        ref = result.intermediates[name]
        report.intermediates.append(
            compare_tensors(
                value,
                ref,
                tensor_tolerance(ref.dtype, scale, rounding.get(name)),
                name=name,
                context=context.but(value=result.values.get(name)),
            )
        )


def _swapped_names(comparisons, yours, reference):
    """A gradient that equals another parameter's reference gradient: stored under the wrong name."""
    for comparison in comparisons:
        if comparison.ok or comparison.name not in yours:
            continue
        mine = _array(yours[comparison.name])
        for other, ref in reference.items():
            if other != comparison.name and mine is not None and mine.shape == ref.shape and ref.any():
                if compare_tensors(mine, ref, autograd_tolerance(ref.dtype), expected_dtype=mine.dtype).ok:
                    comparison.hints.append(
                        f"yours equals the reference's {other}: gradients stored under the wrong names?"
                    )
                    break


def _suspected(reference, params, inputs, grads, comparisons):
    """The suspects' hints whose gradients yours equal on every tensor that differs."""
    failing = [c.name for c in comparisons if not c.ok and c.name in grads]
    if not failing or not hasattr(reference, "suspects"):
        return []
    for hint, variant in reference.suspects():
        try:
            result = variant(params, snapshot(inputs))
        except Exception:  # noqa: BLE001 - a suspect that cannot run says nothing
            continue
        tolerance = autograd_tolerance(params[failing[0]].dtype)
        same = [
            compare_tensors(grads[n], result.grads[n], tolerance, expected_dtype=_array(grads[n]).dtype).ok
            for n in failing
        ]
        if all(same):
            return [hint]
    return []


def _array(value):
    try:
        return to_numpy(value)
    except (TypeError, ValueError):
        return None


def _layout_advice(err, params, reference):
    """What a layout would say, when a reference taken without one refuses your names or sizes."""
    theirs = list(getattr(reference, "shapes", None) or {})
    if isinstance(err, StateDictError) and theirs and not set(params) & set(theirs):
        return (
            f" (your names are not the {reference.name}'s ({', '.join(theirs[:2])}, ...): "
            "layout=Layout() pairs them by the number in the name; Layout(weights='in, out') for (in, out) weights)"
        )
    if "features per row" in str(err):
        return " (are your weights (in, out), z = x @ W? layout=Layout(weights='in, out'))"
    return ""


def _label_advice(inputs):
    if isinstance(inputs, (tuple, list)) and len(inputs) == 2 and np.ndim(_array(inputs[1])) == 2:
        return " (your labels are 2-D: one-hot? give Layout(labels='one-hot'))"
    return ""
