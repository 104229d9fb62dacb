"""Structure checks, the cheapest and most decisive layer: names, strict shapes, dtypes kept, all
finite, inputs and parameters left alone, and a backward that gives the same answer twice."""

from dataclasses import dataclass, field

import numpy as np

from ..arrays import to_numpy

CHECKS = (
    "runs",
    "names",
    "shapes",
    "dtypes",
    "finite",
    "inputs unmodified",
    "parameters unmodified",
    "repeatable",
)


@dataclass
class StructureResult:
    """Problems found per check; the last check is the reference's own (does it take these
    parameters?), named after it, e.g. "torch twin"."""

    reference: str = "reference"
    problems: dict = field(init=False)  # check -> list of problems
    skipped: list = field(default_factory=list)

    def __post_init__(self):
        self.problems = {name: [] for name in (*CHECKS, self.reference)}

    @property
    def ok(self):
        return not any(self.problems.values())

    def add(self, check, problem):
        self.problems[check].append(problem)

    def failed(self):
        return [name for name, problems in self.problems.items() if problems]

    def lines(self):
        if self.ok:
            checked = [name for name in self.problems if name not in self.skipped]
            return [f"OK   structure ({', '.join(checked)})"]
        lines = [f"FAIL structure: {', '.join(self.failed())}"]
        for check, problems in self.problems.items():
            lines += [f"    {check}: {problem}" for problem in problems]
        return lines

    def to_dict(self):
        return {"ok": self.ok, "failed": self.failed(), "problems": self.problems, "skipped": self.skipped}


def check_gradients(result, grads, params, loss):
    """Names, shapes, dtypes and finiteness of ``grads`` against the parameters they belong to."""
    if not np.isfinite(_as_float(loss)):
        result.add("finite", f"the loss is {loss}")
    if not hasattr(grads, "keys"):
        result.add("names", f"gradients must be a dict keyed like the state dict; got {type(grads).__name__}")
        return
    missing = [k for k in params if k not in grads]
    unexpected = [k for k in grads if k not in params]
    if missing:
        result.add("names", f"no gradient for {', '.join(missing)}")
    if unexpected:
        renamed = [f"{k} -> {k[1:]}" for k in unexpected if str(k).startswith("d") and k[1:] in params]
        advice = f" (keys are the parameters' names: {', '.join(renamed)}?)" if renamed else ""
        result.add("names", f"gradients for unknown parameters {', '.join(map(str, unexpected))}{advice}")
    for name in params:
        if name in grads:
            _check_one(result, name, grads[name], params[name])


def _check_one(result, name, grad, param):
    try:
        grad = to_numpy(grad)
    except (TypeError, ValueError):
        result.add("shapes", f"{name}: the gradient is a {type(grad).__name__}, not an array")
        return
    if grad.shape != param.shape:
        result.add("shapes", f"{name}: gradient shape {grad.shape}, parameter shape {param.shape}")
    if grad.dtype != param.dtype:
        result.add("dtypes", f"{name}: gradient dtype {grad.dtype.name}, parameter dtype {param.dtype.name}")
    if grad.dtype.kind == "f" and not np.isfinite(grad).all():
        bad = ~np.isfinite(grad)
        first = tuple(int(i) for i in np.argwhere(bad)[0]) if grad.ndim else ()
        result.add(
            "finite",
            f"{name}: {int(np.isnan(grad).sum())} NaN and {int(np.isinf(grad).sum())} inf entries"
            + (f" (first at {first})" if first else ""),
        )


def snapshot(batch):
    """Copies of every array in ``batch`` (tuple, list or dict, NumPy or torch), to spot in-place changes."""
    if isinstance(batch, dict):
        return {k: _copy(v) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(_copy(v) for v in batch)
    return _copy(batch)


def check_unchanged(result, check, before, after, what):
    """Bitwise equality of two snapshots' arrays; a difference is a problem of ``check``."""
    for key, old, new in _pairs(before, after):
        if not identical(old, new):
            changed = _count_changed(old, new)
            result.add(check, f"{what} {key} was modified in place ({changed} entries changed)")


def check_repeatable(result, first, second):
    """Two calls of loss_and_grads on the same input must agree bit for bit."""
    (loss1, grads1), (loss2, grads2) = first, second
    if _as_float(loss1) != _as_float(loss2) and not (
        np.isnan(_as_float(loss1)) and np.isnan(_as_float(loss2))
    ):
        result.add("repeatable", f"the loss changed between two calls: {loss1!r} then {loss2!r}")
    if not (hasattr(grads1, "keys") and hasattr(grads2, "keys")):
        return
    for name in grads1:
        if name in grads2 and not identical(grads1[name], grads2[name]):
            ratio = _ratio(grads1[name], grads2[name])
            result.add(
                "repeatable",
                f"{name}: the second call returned a different gradient{ratio} (accumulating across calls?)",
            )


def identical(a, b):
    try:
        a, b = to_numpy(a), to_numpy(b)
    except (TypeError, ValueError):
        return a is b
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _copy(value):
    if hasattr(value, "detach"):
        return value.detach().clone()
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _pairs(before, after):
    if isinstance(before, dict):
        return [(f"'{k}'", before[k], after.get(k)) for k in before]
    if isinstance(before, (tuple, list)):
        return [(f"[{i}]", old, new) for i, (old, new) in enumerate(zip(before, after, strict=False))]
    return [("", before, after)]


def _count_changed(old, new):
    try:
        old, new = to_numpy(old), to_numpy(new)
        return int((old != new).sum()) if old.shape == new.shape else "all"
    except (TypeError, ValueError):
        return "?"


def _ratio(first, second):
    first, second = to_numpy(first).astype(np.float64), to_numpy(second).astype(np.float64)
    if first.shape != second.shape or not np.vdot(first, first):
        return ""
    return f" ({float(np.vdot(second, first) / np.vdot(first, first)):.6g} x the first)"


def _as_float(value):
    try:
        return float(to_numpy(value))
    except (TypeError, ValueError):
        return float("nan")
