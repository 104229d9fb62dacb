"""How cost grows: seconds per epoch of both twins against the rows, the MLP's hidden width and the
batch size; skip-gram's words/s against the vocabulary; DDP on 1 and 2 CPU ranks. Each curve is
{"x", "unit", "series": {name: [value per x]}} (or its reason), and is plotted by ``plots``."""

from .helpers import Skipped, attempt, call, helper
from .timing import side_by_side

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
    """Skip-gram words/s of both twins against the vocabulary size: the corpus's vocabulary cut at
    several ``min_count``s (the more rare words kept, the larger the tables), the skip-gram row's batch, d 100,
    float32, one epoch a run, the engines in turn; words/s = the epoch's effective words over the
    median seconds of a run."""
    from numpy_impl.text import SkipGramData, TokenizedCorpus, load_corpus
    from scripts.bench.skipgram import SETTING
    from scripts.main_job.skipgram_baseline import SETTINGS

    corpus = s.skipgram.get("corpus", "head500")
    sentences = TokenizedCorpus(load_corpus(corpus), name=corpus)
    sizes, series = [], {"numpy": [], "torch": []}
    for min_count in s.min_counts:
        settings = {**SETTINGS, "min_count": min_count}
        data = SkipGramData(sentences, batch_size=SETTING["batch_size"], seed=0, **settings)
        seconds, _ = side_by_side(
            {engine: _one_epoch(engine, data) for engine in series}, repeats=s.repeats, warmup=s.warmup
        )
        words = data.epoch(0).n_words
        sizes.append(len(data.vocabulary))
        for engine in series:
            series[engine].append(words / seconds[engine])
    return {"x": sizes, "label": f"vocabulary size ({corpus})", "unit": "words/s", "series": series}


def _one_epoch(engine, data):
    """A function training ``engine``'s skip-gram twin one more epoch of ``data``, word2vec's way."""
    import numpy as np

    from scripts.main_job.skipgram import train_word2vec

    if engine == "numpy":
        from numpy_impl.skipgram import SkipGram
    else:
        from torch_impl.skipgram import SkipGram
    model = SkipGram(len(data.vocabulary), 100, seed=0, dtype=np.float32, sparse=True)
    return lambda: train_word2vec(model, data, 1, progress="off")


def ddp(s, images):
    """Seconds per epoch of each model on 1 process and on 2 CPU ranks training the same global
    batches, and the scaling efficiency t1 / (2 t2) (1 = perfect, 0.5 = none)."""
    if s.quick:
        raise Skipped("skipped in --quick: each DDP measurement starts Lightning in three processes")
    measure_ddp = helper("scripts.scaling", "measure_ddp")
    found = call(measure_ddp, models=s.models, epochs=s.repeats + 1)
    return {
        "x": [1, 2],
        "label": "CPU ranks (the same global batches)",
        "unit": "s/epoch",
        "series": {model: [f["t1"], f["t2"]] for model, f in found.items()},
        "efficiency": {model: f["efficiency"] for model, f in found.items()},
        "figures": found,
    }


CURVES = {"rows": rows, "width": width, "batch": batch, "vocabulary": vocabulary, "ddp": ddp}
