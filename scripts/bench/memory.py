"""Peak memory of one training epoch, each measurement in a fresh process of its own.

Why not ``tracemalloc``: it sees Python's allocations only, not torch's or BLAS's. Why not
``resource.getrusage(RUSAGE_SELF).ru_maxrss``: on Linux a child started by ``subprocess`` (vfork,
then exec) inherits its parent's high-water mark, so a fresh process reports the benchmark's own
peak (measured: 515 MB for a child that never used 30 MB). What is read instead is the kernel's
per-process ``VmHWM`` (``/proc/self/status``), reset by writing 5 to ``/proc/self/clear_refs`` once
the libraries, the data and the model are loaded: the peak is the epoch's own, and ``added`` is how
far it rose above the resident size it started from. Where ``/proc`` lacks either, ``ru_maxrss`` is
reported with that caveat (``method`` says which).

    python -m scripts.bench.memory MODEL ENGINE BATCH ROWS [--mnist DIR] [--corpus NAME]   # one JSON line
"""

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from .helpers import Unavailable, helper

ROOT = Path(__file__).resolve().parents[2]
STATUS, CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def peak_memory(model, engine, batch, rows, mnist=None, corpus=None, timeout=600):
    """{"peak_mb", "added_mb", "method"} of one epoch of ``engine``'s ``model`` in a fresh process
    (``corpus``: skip-gram's, default the skip-gram benchmark's own)."""
    command = [sys.executable, "-m", "scripts.bench.memory", model, engine, str(batch), str(rows)]
    command += ["--mnist", str(mnist)] if mnist else []
    command += ["--corpus", corpus] if corpus else []
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=timeout)
    last = done.stdout.strip().splitlines()[-1:] or [""]
    if done.returncode != 0 or not last[0].startswith("{"):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"failed: the memory process exited with {done.returncode}: {tail}")
    measured = json.loads(last[0])
    if "reason" in measured:
        raise Unavailable(measured["reason"])
    return measured


def _status_kb(field):
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak():
    """Reset the high-water mark to the present resident size; (resident kB, method)."""
    try:
        CLEAR_REFS.write_text("5")
        return _status_kb("VmRSS"), "VmHWM after reset"
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss (may include the parent's peak)"


def peak_kb(method):
    if method.startswith("VmHWM"):
        return _status_kb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def workload(model, engine, batch, data):
    """A function training one epoch of ``engine``'s ``model`` on ``data``, everything built."""
    if model == "skipgram":
        return skipgram_epoch(engine, batch, data)
    if engine == "lightning":
        return lightning_epoch(model, batch, data)
    if engine == "torch":
        from torch_impl.threads import use_threads

        use_threads(1)
    return helper("scripts.bench.epochs", "trainer")(model, engine, batch, data)


def skipgram_epoch(engine, batch, corpus=None):
    """One epoch of the skip-gram benchmark's run of ``engine`` (torch: through autograd) on
    ``corpus``; the corpus is read and tokenised and the run's modules imported before (that run
    imports both twins' modules, so a NumPy process holds torch too), the vocabulary and batches
    are built inside."""
    import importlib

    skipgram = "scripts.bench.skipgram"
    modules = ["scripts.main_job.skipgram", "numpy_impl.embeddings", "torch_impl.skipgram"]
    for module in modules + (["torch_impl.lightning.cli"] if engine == "lightning" else []):
        importlib.import_module(module)
    words_per_second, sentences = helper(skipgram, "words_per_second"), helper(skipgram, "sentences")
    setting = {"epochs": 1, "batch_size": batch} | ({"corpus": corpus} if corpus else {})
    sentences(setting.get("corpus", helper(skipgram, "SETTING")["corpus"]))
    engine = {"torch": "torch-autograd"}.get(engine, engine)
    return lambda: words_per_second(engine, quality=False, **setting)


def lightning_epoch(model, batch, data):
    """``Trainer.fit`` for one epoch over the twin's system, on the loop's batches of ``data``, with
    the optimizer the loop uses (SGD lr 0.1; Adam lr 1e-3 for the autoencoder); nothing logged."""
    from torch_impl.lightning import AutoencoderSystem, ClassifierSystem
    from torch_impl.lightning.data import ArrayData
    from torch_impl.tensors import as_tensor
    from torch_impl.threads import use_threads

    use_threads(1)
    x, y = data
    if model == "autoencoder":
        system = AutoencoderSystem(sizes=(x.shape[1], 400, 200, 2), optimizer="adam", lr=1e-3)
        arrays = (as_tensor(x),)
    elif model in ("linear", "mlp"):
        sizes = (x.shape[1], 10) if model == "linear" else (x.shape[1], 128, 10)
        system = ClassifierSystem(architecture=model, sizes=sizes, lr=0.1)
        arrays = (as_tensor(x), as_tensor(y))
    else:
        raise Unavailable(f"not available: no Lightning workload for {model} here")
    source = ArrayData(batch_size=batch, labels=model != "autoencoder")
    source.train_arrays = source.test_arrays = arrays
    source.check_model(system.model)
    trainer = helper("scripts.bench.lightning", "plain_trainer")(1)
    return lambda: trainer.fit(system, source)


def measure(model, engine, batch, rows, mnist=None, corpus=None):
    from .data import load_images

    data = corpus if model == "skipgram" else load_images(mnist, rows).rows(rows)
    epoch = workload(model, engine, batch, data)
    start_kb, method = reset_peak()
    epoch()
    peak = peak_kb(method)
    return {"peak_mb": peak / 1024, "added_mb": (peak - start_kb) / 1024, "method": method}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Peak memory of one training epoch (one JSON line).")
    parser.add_argument("model")
    parser.add_argument("engine")
    parser.add_argument("batch", type=int)
    parser.add_argument("rows", type=int)
    parser.add_argument("--mnist")
    parser.add_argument("--corpus")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(measure(args.model, args.engine, args.batch, args.rows, args.mnist, args.corpus)))
    except Unavailable as why:
        print(json.dumps({"reason": str(why)}))


if __name__ == "__main__":
    from .threads import pin_environment

    pin_environment()  # before measure() imports NumPy
    main()
