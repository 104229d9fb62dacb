"""Row a: seconds per epoch of the NumPy twin, the torch twin and the Lightning path per model and
batch size (float32, the same batches, ratios within this run), with each engine's peak memory.

The linear model, the MLP and the autoencoder train on the images (``epochs.side_by_side``: the
engines' epochs interleaved; ``lightning.lightning_vs_loop``: Lightning beside the plain torch
loop, for the MLP). Skip-gram trains on its corpus (``skipgram.side_by_side``, one epoch per run, its torch twin
through autograd and ``torch.optim.SGD``, the path Lightning takes); its seconds per epoch are the
epoch's effective words over the median words/s."""

from .helpers import Skipped, Unavailable, attempt, call, helper
from .memory import peak_memory

EPOCHS, LIGHTNING, SKIPGRAM = "scripts.bench.epochs", "scripts.bench.lightning", "scripts.bench.skipgram"


def per_model(s, images):
    records = []
    for model in s.models:
        for batch in s.batches:
            record = {"model": model, "batch": batch, "reasons": {}}
            if model == "skipgram":
                _merge(record, "skipgram", *attempt(_skipgram, batch, s))
            else:
                data = images.rows(s.rows)
                _merge(record, "twins", *attempt(_twins, model, batch, s, data))
                _merge(record, "lightning", *attempt(_lightning, model, batch, s, images))
            record["memory"] = _memory(model, batch, s)
            records.append(_ratios(record))
    if "mlp" in s.models and not s.quick:
        records.append(_ratios(_mnist_config_mlp(s, images)))
    return {"rows": s.rows, "dtype": "float32", "data": images.source, "records": records}


def _merge(record, part, figures, why):
    if figures is None:
        record["reasons"][part] = why
    else:
        record.update(figures)


def _twins(model, batch, s, data):
    side_by_side = helper(EPOCHS, "side_by_side")
    seconds = call(side_by_side, model, batch, rows=s.rows, repeats=s.repeats, data=data)
    return {"numpy_s": seconds["numpy"], "torch_s": seconds["torch"]}


def _lightning(model, batch, s, images):
    """The MLP's Lightning path beside the plain torch loop (the helper times the MLP only)."""
    if model != "mlp":
        raise Unavailable(f"not available: {LIGHTNING}.lightning_vs_loop times the MLP only")
    versus = helper(LIGHTNING, "lightning_vs_loop")
    if s.quick:
        raise Skipped("skipped in --quick: importing Lightning and starting Trainers take seconds")
    found = call(versus, mnist=images.directory, hidden=128, batch_size=batch, rounds=s.repeats)
    return _lightning_figures(found)


def _lightning_figures(found):
    """The system's and the loss-only module's seconds per epoch, and the loop's (when measured)."""
    figures = {"lightning_s": found["lightning"], "loop_s": found["loop"]}
    return figures | ({"loss_only_s": found["loss_only"]} if "loss_only" in found else {})


def _mnist_config_mlp(s, images):
    """Lightning beside the loop for the MLP users train on MNIST too (configs/mlp_mnist.yaml:
    784-512-10, batch 256): at 784-128-10 a step is short enough that Lightning's fixed cost per
    step (its hooks, ~0.3 ms on this CPU) is a quarter of it."""
    record = {"model": "mlp 784-512-10", "batch": 256, "reasons": {"twins": "Lightning beside the loop only"}}
    _merge(record, "lightning", *attempt(_wide_lightning, s, images))
    record["memory"] = {"reason": "measured at the first MLP's width only"}
    return record


def _wide_lightning(s, images):
    versus = helper(LIGHTNING, "lightning_vs_loop")
    found = call(versus, mnist=images.directory, hidden=512, batch_size=256, rounds=s.repeats)
    sizes = "-".join(str(n) for n in found["sizes"])  # 64-512-10 on the digits
    return {"model": f"mlp {sizes}"} | _lightning_figures(found)


def _skipgram(batch, s):
    side_by_side = helper(SKIPGRAM, "side_by_side")
    engines = ("numpy", "torch-autograd") + (() if s.quick else ("lightning",))
    setting = {**s.skipgram, "epochs": 1, "batch_size": batch}
    result = side_by_side(engines, repeats=s.repeats, gensim_workers=(1,), **setting)
    seconds = {name: m["words"] / m["words_per_s"] for name, m in result["medians"].items()}
    corpus = result["setting"]["corpus"]  # the helper's default unless the run sets one
    found = {"numpy_s": seconds["numpy"], "torch_s": seconds["torch-autograd"], "corpus": corpus}
    if "lightning" in seconds:
        found |= {"lightning_s": seconds["lightning"], "loop_s": seconds["torch-autograd"]}
    return found


def _memory(model, batch, s):
    """{engine: figures or {"reason"}}, for the models and batches ``s.memory`` names."""
    wanted = s.memory
    if model not in wanted["models"] or batch not in wanted["batches"]:
        return {"reason": "not measured in --quick (the first model at the first batch only)"}
    found = {}
    for engine in wanted["engines"]:
        figures, why = attempt(peak_memory, model, engine, batch, s.rows, s.mnist, s.skipgram.get("corpus"))
        found[engine] = figures or {"reason": why}
    return found


def _ratios(record):
    if "numpy_s" in record:
        record["numpy_over_torch"] = record["numpy_s"] / record["torch_s"]
    if "lightning_s" in record and record.get("loop_s"):
        record["lightning_over_loop"] = record["lightning_s"] / record["loop_s"]
    if "loss_only_s" in record and record.get("loop_s"):
        record["loss_only_over_loop"] = record["loss_only_s"] / record["loop_s"]
    return record
