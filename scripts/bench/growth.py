"""How cost grows: seconds per epoch of both twins against the rows, the MLP's hidden width and the
batch size; skip-gram's words/s against the vocabulary; DDP on 1 and 2 CPU ranks. Each curve is
{"x", "unit", "series": {name: [value per x]}} (or its reason), and is plotted by ``plots``."""

from .helpers import Unavailable, attempt, call, helper

EPOCHS = "scripts.bench.epochs"


def curves(s, images):
    """Every curve, each measured alone; one that cannot be measured gives its reason."""
    measured = {}
    for name, function in CURVES.items():
        curve, why = attempt(function, s, images)
        measured[name] = curve if curve is not None else {"reason": why}
    return {"curves": measured}


def _engines(model, batch, s, data, **options):
    side_by_side = helper(EPOCHS, "side_by_side")
    return call(side_by_side, model, batch, rows=len(data[0]), repeats=s.repeats, data=data, **options)


def _curve(xs, measure, label, unit):
    """{"x", "label", "unit", "series"}: ``measure(x)`` gives {series: value} at each x."""
    series = {}
    for x in xs:
        for name, value in measure(x).items():
            series.setdefault(name, []).append(value)
    return {"x": list(xs), "label": label, "unit": unit, "series": series}


def rows(s, images):
    """The MLP 784-128-10 at batch 64 on the first 1k-8k rows: linear in the rows."""
    return _curve(s.growth_rows, lambda n: _engines("mlp", 64, s, images.rows(n)), "training rows", "s/epoch")


def width(s, images):
    """The MLP 784-H-10 at batch 256 on all rows, H from 32 to 1024."""
    import inspect

    side_by_side = helper(EPOCHS, "side_by_side")
    if "sizes" not in inspect.signature(side_by_side).parameters:
        raise Unavailable(f"not available: {EPOCHS}.side_by_side takes no sizes")
    data = images.rows(s.rows)
    return _curve(
        s.widths,
        lambda h: _engines("mlp", 256, s, data, sizes=(784, h, 10)),
        "hidden width H (784-H-10)",
        "s/epoch",
    )


def batch(s, images):
    """The MLP 784-128-10 on all rows, one epoch at each batch size."""
    data = images.rows(s.rows)
    return _curve(s.growth_batches, lambda b: _engines("mlp", b, s, data), "batch size", "s/epoch")


def vocabulary(s, images):
    """Skip-gram's words/s, both twins, against the vocabulary size."""
    words_per_second = helper("scripts.bench.skipgram", "words_per_second")

    def at(v):
        return {
            engine: call(words_per_second, engine, vocab_size=v, quick=s.quick, repeats=s.repeats)[
                "words_per_second"
            ]
            for engine in ("numpy", "torch")
        }

    return _curve(s.vocab_sizes, at, "vocabulary size", "words/s")


def ddp(s, images):
    """Seconds per epoch on 1 and 2 CPU ranks and the scaling efficiency t1 / (2 t2)."""
    measure_ddp = helper("scripts.scaling", "measure_ddp")
    return {"figures": call(measure_ddp, quick=s.quick, repeats=s.repeats)}


CURVES = {"rows": rows, "width": width, "batch": batch, "vocabulary": vocabulary, "ddp": ddp}
