"""``run_mutants``: the known learner bugs (``numpy_impl.gradcheck.mutants``) injected one at a
time into our NumPy models, each model checked at a few test points; which bugs the check
catches, whether its report names the cause, and that the equivalent rewrites pass. Course
authors run it with their own ``check`` to prove that it bites (``paritynets-mutate``)."""

import functools
from dataclasses import dataclass, field

import numpy as np

import numpy_impl
import torch_impl
from numpy_impl.gradcheck import mutants
from numpy_impl.gradcheck import points as p

from .check import check_model

F32, F64 = np.float32, np.float64


def _classifier(kind, dtype, point, seed=1):
    sizes = (13, 5) if kind == "linear" else (13, 11, 11, 5)  # a square layer: a transpose cannot hide
    model = (
        numpy_impl.LinearClassifier(*sizes, dtype=dtype)
        if kind == "linear"
        else numpy_impl.MLP(sizes, dtype=dtype)
    )
    batch = p.classifier_batch(sizes[0], sizes[-1], 7, seed=seed, dtype=dtype)
    if point == "exact_zero":  # there only the ReLU convention decides
        state, batch = p.exact_zero_point(model, 7, seed=2)
    elif point == "after_sgd":
        state = p.after_sgd_steps(model, batch)
    elif point == "huge_logits":
        state = p.huge_logit_state(model, batch[0])
    else:
        state = model.state_dict()
    return model, state, batch


def _autoencoder(kind, dtype, point):
    model = numpy_impl.Autoencoder((13, 11, 11, 3), dtype=dtype, seed=1)
    batch = (np.random.default_rng(3).random((7, 13)).astype(dtype),)
    if point == "exact_zero":
        state, (x, _) = p.exact_zero_point(model, 7, seed=2)
        return model, state, (x,)
    return (
        model,
        (p.after_sgd_steps(model, batch, lr=0.5) if point == "after_sgd" else model.state_dict()),
        batch,
    )


def _skipgram(kind, dtype, point):
    model = numpy_impl.SkipGram(11, 7, dtype=dtype)
    batch = p.id_batch(11, 5, 3, seed=4, distinct=3 if point == "repeated_ids" else None)
    return model, (model.state_dict() if point == "init" else p.random_state(model, seed=5)), batch


# model -> (builder, [(dtype, point)]): all-distinct small sizes, N = 7 (5 pairs for skip-gram)
POINTS = {
    "linear": (_classifier, [(F64, "init"), (F64, "after_sgd"), (F64, "huge_logits"), (F32, "after_sgd")]),
    "mlp": (
        _classifier,
        [(F64, "init"), (F64, "after_sgd"), (F64, "exact_zero"), (F64, "huge_logits"), (F32, "after_sgd")],
    ),
    "autoencoder": (
        _autoencoder,
        [(F64, "init"), (F64, "after_sgd"), (F64, "exact_zero"), (F32, "after_sgd")],
    ),
    "skipgram": (_skipgram, [(F64, "nonzero"), (F64, "repeated_ids"), (F32, "repeated_ids")]),
}
CASES = {model: [f"{np.dtype(d).name} {point}" for d, point in cases] for model, (_, cases) in POINTS.items()}
TWINS = {"linear": "LinearClassifier", "mlp": "MLP", "autoencoder": "Autoencoder", "skipgram": "SkipGram"}


@dataclass
class Outcome:
    mutant: object
    model: str
    failing: dict = field(default_factory=dict)  # case label -> the report of a failing case

    @property
    def caught(self):
        return bool(self.failing)

    @property
    def hinted(self):
        """The cause named in a failing case's report; None when the bug has no cause to name."""
        if self.mutant.cause is None or not self.caught:
            return None
        return any(self.mutant.cause in _findings(report) for report in self.failing.values())


@dataclass
class MutationRun:
    outcomes: list

    def by_mutant(self):
        found = {}
        for outcome in self.outcomes:
            found.setdefault(outcome.mutant.name, []).append(outcome)
        return found

    def figures(self):
        bugs = {name: o for name, o in self.by_mutant().items() if not o[0].mutant.equivalent}
        caught = [name for name, o in bugs.items() if all(x.caught for x in o)]
        named = [name for name in caught if bugs[name][0].mutant.cause and all(x.hinted for x in bugs[name])]
        causes = [name for name in caught if bugs[name][0].mutant.cause]
        alarms = [o.mutant.name for o in self.outcomes if o.mutant.equivalent and o.caught]
        return {
            "bugs": len(bugs),
            "caught": len(caught),
            "with_cause": len(causes),
            "cause_named": len(named),
            "false_alarms": alarms,
            "missed": [n for n in bugs if n not in caught],
            "unnamed": [n for n in causes if n not in named],
        }

    def lines(self):
        lines = []
        for outcome in self.outcomes:
            m = outcome.mutant
            verdict = "caught" if outcome.caught else "passes"
            cause = {None: "", True: "  cause named", False: f"  cause NOT named ({m.cause!r})"}[
                outcome.hinted
            ]
            what = "equivalent" if m.equivalent else "bug"
            lines.append(
                f"{m.name:<34} {outcome.model:<12} {what:<10} {verdict} {len(outcome.failing)}/{len(CASES[outcome.model])}{cause}"
            )
        f = self.figures()
        lines.append(
            f"{f['caught']}/{f['bugs']} bugs caught on every model they reach; cause named for {f['cause_named']}/{f['with_cause']} "
            f"of those with one; false alarms on equivalent rewrites: {len(f['false_alarms'])}"
        )
        return lines

    def to_dict(self):
        outcomes = [
            {
                "mutant": o.mutant.name,
                "model": o.model,
                "equivalent": o.mutant.equivalent,
                "caught": o.caught,
                "cause": o.mutant.cause,
                "cause_named": o.hinted,
                "failing_cases": list(o.failing),
            }
            for o in self.outcomes
        ]
        return {"ok": self.ok, "figures": self.figures(), "outcomes": outcomes}

    @property
    def ok(self):
        f = self.figures()
        return not f["missed"] and not f["false_alarms"]


def run_mutants(models=tuple(CASES), names=None, check=None, *, finite_differences="sampled"):
    """Every mutant (or those ``names``) on every model of ``models`` it reaches, through ``check(
    numpy_model, torch_model, batch) -> report`` (``.ok``; ``str`` for the cause); by default our
    ``check_model`` against the twin with ``finite_differences`` in float64 ("sampled": exhaustive
    ones on broken code look at every entry for kinks, many times slower, and the twin sees every
    bug they see). Bugs of the optimizer layer, which no gradient check can see, are left out."""
    if check is None:
        check = functools.partial(_ours, finite_differences=finite_differences)
    points = {m: list(_points(m)) for m in models}  # built with the correct code, before any mutant
    outcomes = []
    for mutant in mutants.ALL:
        if (names and mutant.name not in names) or mutant.layer != "gradients":
            continue
        for model in (m for m in models if m in mutant.models):
            outcome = Outcome(mutant, model)
            with mutants.activate(mutant.name), np.errstate(all="ignore"):  # some mutants overflow on purpose
                for label, numpy_model, state, batch, torch_model in points[model]:
                    numpy_model.load_state_dict(state)
                    report = check(numpy_model, torch_model, tuple(np.array(a, copy=True) for a in batch))
                    compared = not getattr(report, "not_checked", None)  # compared nothing: caught nothing
                    if not report.ok and compared:
                        outcome.failing[label] = report
            outcomes.append(outcome)
    return MutationRun(outcomes)


def _points(model):
    build, cases = POINTS[model]
    for dtype, point in cases:
        numpy_model, state, batch = build(model, dtype, point)
        twin = getattr(torch_impl, TWINS[model])(*_arguments(numpy_model), dtype=numpy_model.dtype)
        yield f"{np.dtype(dtype).name} {point}", numpy_model, state, batch, twin


def _ours(numpy_model, torch_model, batch, finite_differences):
    mode = finite_differences if numpy_model.dtype == np.float64 else None
    return check_model(numpy_model, torch_model, batch, finite_differences=mode)


def _findings(report):
    """What a report says about causes: its hints and structure problems (not its notes, not the
    worst entries' numbers)."""
    lines = str(report).splitlines()
    return "\n".join(line for line in lines if not line.startswith("note:") and "worst " not in line)


def _arguments(model):
    if isinstance(model, numpy_impl.LinearClassifier):
        return model.n_features, model.n_classes
    if isinstance(model, numpy_impl.SkipGram):
        return tuple(next(iter(model.state_dict().values())).shape)
    return (model.sizes,)
