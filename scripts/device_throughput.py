"""Training throughput of the four torch twins on a device: examples/s for the linear classifier,
the MLP and the autoencoder, words/s for skip-gram.

    python -m scripts.device_throughput --device cuda --device cpu   # both, side by side
    python -m scripts.device_throughput --steps 10 --repeats 5       # the CPU alone, briefly

What is timed is the one loop's step (``torch_impl.train.torch_step``: forward, autograd backward,
optimizer step, one host read of the loss) on batches already on the device, at MNIST's shapes:
784 -> 10, 784-512-10 and 784-400-200-2 on batches of 256 random pixels and labels (the values do
not change the work), skip-gram with d 100 at batch 1024 on gensim's bundled ``lee_background``
(its real pairs and negatives; words/s = pairs/s x the epoch's words kept after subsampling per
pair, gensim's "effective words"). After ``warmup`` steps, ``repeats`` blocks of ``steps`` steps
are timed (the device synchronised at each end); the figure is the median block's rate.
``measure(device)`` returns the figures as a dict (the benchmark imports it).
"""

import argparse
import statistics
import time

import numpy as np
import torch

import torch_impl
from numpy_impl.checks import InputError, one_of, positive_int
from numpy_impl.text import SkipGramData
from torch_impl.tensors import torch_dtype
from torch_impl.train import torch_step

MODELS = ("linear", "mlp", "autoencoder", "skipgram")
PIXELS, CLASSES, BATCH, SKIPGRAM_BATCH = 784, 10, 256, 1024


def array_workload(name, n_rows, dtype, device, rng):
    """(twin, optimizer, reduction, batches on the device, examples per batch) of an array model."""
    x = torch.from_numpy(rng.random((n_rows, PIXELS))).to(device, torch_dtype(dtype))
    y = torch.from_numpy(rng.integers(0, CLASSES, size=n_rows)).to(device)
    kind, args = {
        "linear": ("LinearClassifier", (PIXELS, CLASSES)),
        "mlp": ("MLP", ((PIXELS, 512, CLASSES),)),
        "autoencoder": ("Autoencoder", ((PIXELS, 400, 200, 2),)),
    }[name]
    model = getattr(torch_impl, kind)(*args, seed=0, dtype=dtype).to(device)
    optimizer = (torch.optim.Adam if name == "autoencoder" else torch.optim.SGD)(model.parameters(), lr=1e-3)
    starts = range(0, n_rows - BATCH + 1, BATCH)
    batches = [
        (x[s : s + BATCH],) if name == "autoencoder" else (x[s : s + BATCH], y[s : s + BATCH]) for s in starts
    ]
    return model, optimizer, "mean", batches, BATCH


def skipgram_workload(n_batches, dtype, device):
    """The same for skip-gram; examples per batch are counted in words (see the module's text)."""
    data = SkipGramData("lee_background", batch_size=SKIPGRAM_BATCH, seed=0)
    epoch = data.epoch(0)
    words_per_pair = epoch.n_words / epoch.n_pairs
    batches = []
    for batch in epoch:  # an epoch holds ~190 batches: cycle through them if more are asked for
        batches.append(tuple(torch.from_numpy(np.asarray(a)).to(device) for a in batch))
        if len(batches) == n_batches:
            break
    batches = [b for b in batches if len(b[0]) == SKIPGRAM_BATCH]  # full batches only
    model = torch_impl.SkipGram(len(data.vocabulary), 100, seed=0, dtype=dtype, sparse=True).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.025)
    return model, optimizer, "sum", batches, SKIPGRAM_BATCH * words_per_pair


def synchronize(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def rate(model, optimizer, reduction, batches, per_batch, device, steps, warmup, repeats):
    """(median examples per second over ``repeats`` timed blocks of ``steps`` steps, block seconds)."""
    at = 0

    def run(n):
        nonlocal at
        for _ in range(n):
            torch_step(model, optimizer, batches[at % len(batches)], reduction=reduction)
            at += 1

    run(warmup)
    seconds = []
    for _ in range(repeats):
        synchronize(device)
        started = time.perf_counter()
        run(steps)
        synchronize(device)
        seconds.append(time.perf_counter() - started)
    return steps * per_batch / statistics.median(seconds), seconds


def measure(device="cpu", *, models=MODELS, steps=20, warmup=3, repeats=5, dtype="float32", seed=0):
    """``{model: {"unit", "per_second", "batch_size", "steps", "seconds"}}``: each model's training
    throughput on ``device`` ("cpu", "cuda", "cuda:1"...); "seconds" are the timed blocks'."""
    steps, warmup = positive_int(steps, "steps"), positive_int(warmup, "warmup", minimum=0)
    repeats = positive_int(repeats, "repeats")
    for name in models:
        one_of(name, MODELS, "models")
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device must be one this machine has; got {device!r} without CUDA")
    rng, results = np.random.default_rng(seed), {}
    for name in models:
        if name == "skipgram":
            workload = skipgram_workload(steps + warmup, dtype, device)
        else:
            workload = array_workload(name, BATCH * min(steps + warmup, 64), dtype, device, rng)
        per_second, seconds = rate(*workload, device, steps, warmup, repeats)
        results[name] = {
            "unit": "words/s" if name == "skipgram" else "examples/s",
            "per_second": per_second,
            "batch_size": SKIPGRAM_BATCH if name == "skipgram" else BATCH,
            "steps": steps,
            "seconds": seconds,
        }
    return results


def table(by_device):
    """Rows per model, one column per device, and the first device's rate over the last's."""
    devices = list(by_device)
    header = f"{'model':<12s}{'unit':<12s}" + "".join(f"{d:>14s}" for d in devices)
    ratio = len(devices) > 1
    lines = [header + (f"{devices[0] + '/' + devices[-1]:>14s}" if ratio else "")]
    for name in by_device[devices[0]]:
        figures = [by_device[d][name]["per_second"] for d in devices]
        row = f"{name:<12s}{by_device[devices[0]][name]['unit']:<12s}" + "".join(
            f"{f:>14,.0f}" for f in figures
        )
        lines.append(row + (f"{figures[0] / figures[-1]:>13.1f}x" if ratio else ""))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", action="append", help="cpu, cuda, cuda:1... (repeat it; default cpu)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated (default: all four)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    args = parser.parse_args(argv)
    models = tuple(m for m in args.models.split(",") if m)
    by_device = {
        d: measure(
            d, models=models, steps=args.steps, warmup=args.warmup, repeats=args.repeats, dtype=args.dtype
        )
        for d in args.device or ["cpu"]
    }
    print(
        f"training throughput, {args.dtype}, median of {args.repeats} blocks of {args.steps} steps "
        f"(cpu: {torch.get_num_threads()} threads):"
    )
    print(table(by_device))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
