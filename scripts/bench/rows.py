"""The rows measured from the helpers' functions: each twin beside the others per model (a), skip-gram
beside gensim (c), the machine's matmul rate (e), the GPU (g). Each takes the run's ``Settings`` and
its ``Images`` and returns the row's figures; ``helpers.run_row`` adds its status."""

from .helpers import Skipped, attempt, call, helper
from .memory import peak_memory

EPOCHS, LIGHTNING, SKIPGRAM = "scripts.bench.epochs", "scripts.bench.lightning", "scripts.bench.skipgram"


def per_model(s, images):
    """Seconds per epoch of the NumPy twin, the torch twin and the Lightning path, and peak memory,
    per model and batch size (float32, the same batches); ratios are taken within this run."""
    records = []
    for model in s.models:
        for batch in s.batches:
            record = {"model": model, "batch": batch, "reasons": {}}
            data = images.rows(s.rows)
            _merge(record, "twins", *attempt(_twins, model, batch, s, data))
            _merge(record, "lightning", *attempt(_lightning, model, batch, s, data))
            record["memory"] = _memory(model, batch, s)
            records.append(_ratios(record))
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


def _lightning(model, batch, s, data):
    versus = helper(LIGHTNING, "lightning_vs_loop")
    seconds = call(versus, model, batch, rows=s.rows, repeats=s.repeats, data=data)
    return {"lightning_s": seconds["lightning"], "loop_s": seconds.get("loop", seconds.get("torch"))}


def _memory(model, batch, s):
    """{engine: figures or {"reason"}}, for the models and batches ``s.memory`` names."""
    wanted = s.memory
    if model not in wanted["models"] or batch not in wanted["batches"]:
        return {"reason": "not measured in --quick (the first model at the first batch only)"}
    found = {}
    for engine in wanted["engines"]:
        figures, why = attempt(peak_memory, model, engine, batch, s.rows, s.mnist)
        found[engine] = figures or {"reason": why}
    return found


def _ratios(record):
    if "numpy_s" in record:
        record["numpy_over_torch"] = record["numpy_s"] / record["torch_s"]
    if "lightning_s" in record and record.get("loop_s"):
        record["lightning_over_loop"] = record["lightning_s"] / record["loop_s"]
    return record


def skipgram_speed(s, images):
    """Effective words/s (words kept after subsampling per second) of each engine and of gensim with
    1 and 2 workers, on the same corpus and settings, with the quality scores; ratios to gensim's
    one worker."""
    words_per_second = helper(SKIPGRAM, "words_per_second")
    engines = {
        "numpy": {},
        "torch": {},
        "lightning": {},
        "gensim 1": {"workers": 1},
        "gensim 2": {"workers": 2},
    }
    found = {}
    for name, options in engines.items():
        engine = name.split()[0]
        value, why = attempt(call, words_per_second, engine, quick=s.quick, repeats=s.repeats, **options)
        found[name] = value if value is not None else {"reason": why}
    reference = found["gensim 1"].get("words_per_second")
    for figures in found.values():
        if reference and "words_per_second" in figures:
            figures["over_gensim_1"] = figures["words_per_second"] / reference
    return {"engines": found}


def machine(s, images):
    """The machine's float32 matmul rate on one thread, measured before and after the NumPy MLP's
    step at batch 256 (so a load that changes in between shows), and the step's share of it."""
    matmul_rate = helper("scripts.bench.machine", "matmul_rate")
    step_rate = helper(EPOCHS, "mlp_step_rate")
    before = matmul_rate()
    step = call(step_rate, batch=256, rows=s.rows, repeats=s.repeats, data=images.rows(s.rows))
    after = matmul_rate()
    peak = max(before, after)
    return {
        "matmul_gflops": [before / 1e9, after / 1e9],
        "mlp_step_gflops": step / 1e9,
        "fraction": step / peak,
        "what": "256x784 @ 784x128 float32 matmul vs the NumPy MLP 784-128-10 step at batch 256",
    }


def gpu(s, images):
    """The torch twins' training throughput on the GPU beside the CPU (a CUDA machine only)."""
    import torch

    if not torch.cuda.is_available():
        raise Skipped("skipped: no CUDA device here (torch.cuda.is_available() is False)")
    measure = helper("scripts.device_throughput", "measure")
    options = {"steps": 2, "warmup": 1, "repeats": 1} if s.quick else {"repeats": s.repeats}
    by_device = {device: call(measure, device, **options) for device in ("cuda", "cpu")}
    return {"devices": by_device, "name": torch.cuda.get_device_name()}
