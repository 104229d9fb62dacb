"""What a check found, as text for a person, as a dict (JSON) for CI and autograders, and as an
assertion for pytest (``raise_if_failed``)."""

import json
import math
from dataclasses import dataclass, field


class GradientCheckError(AssertionError):
    """A failed check; its message is the whole report."""


@dataclass
class ParityReport:
    model: str
    dtype: str
    batch_size: int | None
    tolerance: object  # the Tolerance of gradients vs a reference, for the model's dtype
    structure: object  # StructureResult
    loss: object = None  # ScalarComparison, None when there was no reference or the code raised
    gradients: list = field(default_factory=list)  # TensorComparison vs the reference, backward order
    finite_differences: object = None  # FiniteDifferenceResult or None
    notes: list = field(default_factory=list)
    intermediates: list = field(default_factory=list)  # TensorComparison of the intermediates you return
    hints: list = field(default_factory=list)  # causes read from the whole of the gradients (suspects)
    order: list | None = None  # the reference's names in backward order, intermediates among them
    n_parameters: int | None = None  # how many parameters the code has (None: not known)

    @property
    def ok(self):
        return not self.failed_checks() and self.not_checked is None

    @property
    def not_checked(self):
        """Why no gradient was compared with anything, or None. Structure alone says nothing about
        the values, so a check where neither reference parity nor finite differences ran is not OK."""
        fd = self.finite_differences
        if self.failed_checks():
            return None
        compared = {t.name for t in self.gradients}
        unresolved = [
            t.name for t in (fd.tensors if fd is not None else []) if t.unresolved and t.name not in compared
        ]
        if unresolved:
            return (
                f"finite differences could not resolve {', '.join(unresolved)}: {'its gradient is' if len(unresolved) == 1 else 'their gradients are'} below their "
                "round-off floor. Give a reference (reference=..., --reference), or scale the inputs"
            )
        if self.gradients or (fd is not None and fd.tensors):
            return None
        if self.n_parameters == 0:
            return "the code has no parameters (state_dict() is empty): there is no gradient to check"
        reference = (
            "no reference" if self.reference in self.structure.skipped else f"the {self.reference} gave none"
        )
        skipped = (
            f"finite differences skipped: {fd.skipped}"
            if fd is not None and fd.skipped
            else "finite differences off"
        )
        return (
            f"nothing compared your gradients: {reference}; {skipped}. "
            "Give a reference (reference=..., --reference), or let finite differences run"
        )

    @property
    def reference(self):
        """What the gradients were compared with (e.g. "torch twin"), as the report names it."""
        return self.structure.reference

    @property
    def first_divergent(self):
        """The first parameter, in backward order, whose gradient disagrees with the reference."""
        return next((g.name for g in self.gradients if not g.ok), None)

    @property
    def first_divergent_intermediate(self):
        return next((t.name for t in self.intermediates if not t.ok), None)

    def tensors(self):
        """name -> {"reference": TensorComparison or None, "finite_differences": ... or None}."""
        found = {}
        fd = self.finite_differences.tensors if self.finite_differences is not None else []
        for source, comparisons in (("reference", self.backward()), ("finite_differences", fd)):
            for t in comparisons:
                found.setdefault(t.name, {"reference": None, "finite_differences": None})[source] = t
        return found

    def backward(self):
        """Gradients and intermediates in one backward order (the reference's, when it gives one)."""
        tensors = [*self.intermediates, *self.gradients]
        if not self.order:
            return tensors
        position = {name: i for i, name in enumerate(self.order)}
        return sorted(tensors, key=lambda t: position.get(t.name, len(position)))

    def failed_checks(self):
        """Names of the checks that failed, e.g. ``["structure: dtypes", "loss", "gradients"]``."""
        failed = [f"structure: {name}" for name in self.structure.failed()]
        if self.loss is not None and not self.loss.ok:
            failed.append("loss")
        if any(not g.ok for g in self.gradients):
            failed.append("gradients")
        if any(not t.ok for t in self.intermediates):
            failed.append("intermediates")
        if self.finite_differences is not None and not self.finite_differences.ok:
            failed.append("finite differences")
        return failed

    def raise_if_failed(self):
        """For pytest: a ``GradientCheckError`` (an AssertionError) whose message is this report."""
        if not self.ok:
            raise GradientCheckError("\n" + str(self))
        return self

    def __str__(self):
        lines = [f"gradient check of {self.model}, {self.dtype}, batch of {self.batch_size}"]
        if self.reference not in self.structure.skipped:  # finite differences state their own
            lines.append(
                f"tolerance ({self.dtype}, gradients vs the {self.reference}): {self.tolerance.describe()}"
            )
        lines += self.structure.lines()
        if self.loss is not None:
            lines += self.loss.lines()
        if self.gradients or self.intermediates:
            lines.append(f"gradients vs the {self.reference}, backward order:")
            failing = [t for t in self.backward() if not t.ok][
                :2
            ]  # worst entries of the first two: one screen
            for tensor in self.backward():
                lines += ["  " + line for line in tensor.lines(worst=any(tensor is f for f in failing))]
            first = next((t for t in self.backward() if not t.ok), None)
            if first is not None:
                kind = (
                    " (an intermediate: what comes after it inherits its error)"
                    if first in self.intermediates
                    else ""
                )
                lines.append(f"first divergent: {first.name}{kind}")
        lines += [f"hint: {hint}" for hint in self.hints]
        if self.finite_differences is not None:
            lines += self.finite_differences.lines(worst=not self.gradients)
        lines += [f"note: {note}" for note in self.notes]
        failed = self.failed_checks()
        if failed:
            lines.append(f"RESULT: FAIL ({', '.join(failed)})")
        else:
            lines.append(f"RESULT: NOT CHECKED ({self.not_checked})" if self.not_checked else "RESULT: OK")
        return "\n".join(lines)

    def to_dict(self):
        return _json_safe(
            {
                "ok": self.ok,
                "failed_checks": self.failed_checks(),
                "not_checked": self.not_checked,
                "model": self.model,
                "dtype": self.dtype,
                "batch_size": self.batch_size,
                "reference": self.reference,
                "tolerance": self.tolerance.to_dict(),
                "structure": self.structure.to_dict(),
                "loss": self.loss.to_dict() if self.loss is not None else None,
                "gradients": [g.to_dict() for g in self.gradients],
                "intermediates": [t.to_dict() for t in self.intermediates],
                "first_divergent": self.first_divergent,
                "first_divergent_intermediate": self.first_divergent_intermediate,
                "hints": list(self.hints),
                "finite_differences": self.finite_differences.to_dict() if self.finite_differences else None,
                "notes": list(self.notes),
            }
        )

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(), **kwargs)


def _json_safe(value):
    """Strict JSON has no NaN or infinity: those become the strings "nan", "inf", "-inf"."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _json_safe(value.item())
    return value
