"""What a parity check found, as text for a person and as a dict (JSON) for CI and autograders."""

import json
import math
from dataclasses import dataclass, field


@dataclass
class ParityReport:
    model: str
    dtype: str
    batch_size: int | None
    tolerance: object  # the Tolerance of gradients vs a reference, for the model's dtype
    structure: object  # StructureResult
    loss: object = None  # ScalarComparison, None when there was no reference or the model raised
    gradients: list = field(default_factory=list)  # TensorComparison vs the reference, backward order
    finite_differences: object = None  # FiniteDifferenceResult or None
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.failed_checks()

    @property
    def reference(self):
        """What the gradients were compared with (e.g. "torch twin"), as the report names it."""
        return self.structure.reference

    @property
    def first_divergent(self):
        """The first parameter, in backward order, whose gradient disagrees with the reference."""
        return next((g.name for g in self.gradients if not g.ok), None)

    def failed_checks(self):
        """Names of the checks that failed, e.g. ``["structure: dtypes", "loss", "gradients"]``."""
        failed = [f"structure: {name}" for name in self.structure.failed()]
        if self.loss is not None and not self.loss.ok:
            failed.append("loss")
        if any(not g.ok for g in self.gradients):
            failed.append("gradients")
        if self.finite_differences is not None and not self.finite_differences.ok:
            failed.append("finite differences")
        return failed

    def __str__(self):
        lines = [
            f"parity check of {self.model}, {self.dtype}, batch of {self.batch_size}",
            f"tolerance ({self.dtype}, gradients vs the {self.reference}): {self.tolerance.describe()}",
        ]
        lines += self.structure.lines()
        if self.loss is not None:
            lines.append(self.loss.summary())
        if self.gradients:
            lines.append(f"gradients vs the {self.reference}, backward order:")
            for gradient in self.gradients:
                lines += ["  " + line for line in gradient.lines()]
            if self.first_divergent:
                lines.append(f"first divergent: {self.first_divergent}")
        if self.finite_differences is not None:
            lines += self.finite_differences.lines()
        lines += [f"note: {note}" for note in self.notes]
        failed = self.failed_checks()
        lines.append("RESULT: OK" if not failed else f"RESULT: FAIL ({', '.join(failed)})")
        return "\n".join(lines)

    def to_dict(self):
        return _json_safe(
            {
                "ok": self.ok,
                "failed_checks": self.failed_checks(),
                "model": self.model,
                "dtype": self.dtype,
                "batch_size": self.batch_size,
                "reference": self.reference,
                "tolerance": self.tolerance.to_dict(),
                "structure": self.structure.to_dict(),
                "loss": self.loss.to_dict() if self.loss is not None else None,
                "gradients": [g.to_dict() for g in self.gradients],
                "first_divergent": self.first_divergent,
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
