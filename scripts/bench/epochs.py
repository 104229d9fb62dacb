"""Seconds per epoch of a NumPy twin and of its torch twin on the same batches, and the FLOP rate
of the NumPy MLP's training step, for the benchmark to set beside the machine's matmul rate.

    from scripts.bench.epochs import epoch_seconds, side_by_side
    with set_threads(1):                                 # torch_impl.threads
        epoch_seconds("mlp", "numpy", batch=256, rows=8000)          # median seconds per epoch
        side_by_side("autoencoder", batch=64, rows=8000)             # {"numpy": s, "torch": s}

Both engines train through the one loop (``numpy_impl.training.fit`` / ``torch_impl.train.fit``)
from the same initial weights (one seed), on the same batches (``epoch_batches``), in float32 by
default, with the same optimizer: SGD (lr 0.1) for the classifiers, Adam (lr 1e-3) for the
autoencoder. An epoch's seconds are the loop's own (``History.seconds``: batches, steps, the
history), not the data's one-off validation. Epochs are timed in turn, engine after engine, so
that a load on the shared machine hits both alike; the first epoch of each is a warm-up.
"""

import argparse
import statistics
import sys
import time

import numpy as np

MODELS = {  # name -> (constructor name in both packages, its arguments, optimizer)
    "linear": ("LinearClassifier", (784, 10), "sgd"),
    "mlp": ("MLP", ((784, 128, 10),), "sgd"),
    "autoencoder": ("Autoencoder", ((784, 400, 200, 2),), "adam"),
}
ENGINES = ("numpy", "torch")
LEARNING_RATES = {"sgd": 0.1, "adam": 1e-3}


def mnist_rows(rows=8000, directory=None):
    """The first ``rows`` (None: all) training rows of the bundled MNIST (the 80 % split of its 10,000 images
    the main job trains on): x (rows, 784) float64 in [0, 1], y (rows,) int64."""
    from numpy_impl.data import load_mnist_idx, shuffle_split

    from .data import default_mnist

    directory = directory or default_mnist()
    (x, y), _ = shuffle_split(*load_mnist_idx(directory), test_fraction=0.2, seed=42)
    return x[:rows], y[:rows]


def trainer(model_name, engine, batch, data, *, dtype=np.float32, seed=0, sizes=None):
    """A function that trains ``engine``'s twin of ``model_name`` for one epoch on ``data`` (x, y)
    cut into batches of ``batch`` and returns that epoch's seconds; every call trains the same
    epoch's batches again, the model (``.model``) and optimizer carrying on. ``sizes``: other layer sizes for
    the MLP or the autoencoder (e.g. (784, 512, 10))."""
    class_name, args, optimizer = MODELS[model_name]
    if sizes is not None:
        if model_name == "linear":
            raise ValueError("sizes applies to the mlp and the autoencoder; the linear model has none")
        args = (tuple(sizes),)
    x, y = data
    arrays = (x,) if model_name == "autoencoder" else (x, y)
    if engine == "numpy":
        import numpy_impl
        from numpy_impl import optim
        from numpy_impl.training import fit

        model = getattr(numpy_impl, class_name)(*args, seed=seed, dtype=dtype)
        opt = {"sgd": optim.SGD, "adam": optim.Adam}[optimizer](
            model.parameters(), lr=LEARNING_RATES[optimizer]
        )
    elif engine == "torch":
        import torch

        import torch_impl
        from torch_impl.train import fit

        model = getattr(torch_impl, class_name)(*args, seed=seed, dtype=dtype)
        opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer](
            model.parameters(), lr=LEARNING_RATES[optimizer]
        )
    else:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")

    def one_epoch():
        history = fit(model, opt, arrays, epochs=1, batch_size=batch, seed=seed, progress="off")
        return history.seconds[0]

    one_epoch.model = model  # what it trains, for a look after the run
    return one_epoch


def epoch_seconds(
    model_name, engine, batch, rows=8000, *, repeats=5, dtype=np.float32, data=None, sizes=None
):
    """The median seconds per epoch of ``engine``'s twin over ``repeats`` epochs after a warm-up."""
    one_epoch = trainer(model_name, engine, batch, data or mnist_rows(rows), dtype=dtype, sizes=sizes)
    one_epoch()
    return statistics.median(one_epoch() for _ in range(repeats))


def side_by_side(
    model_name, batch, rows=8000, *, engines=ENGINES, repeats=5, dtype=np.float32, data=None, sizes=None
):
    """{engine: median seconds per epoch}, the engines' epochs interleaved after one warm-up each
    (each epoch's seconds are the loop's own, ``History.seconds``)."""
    from .timing import rounds

    data = data or mnist_rows(rows)
    runs = {engine: trainer(model_name, engine, batch, data, dtype=dtype, sizes=sizes) for engine in engines}
    return {engine: statistics.median(seconds) for engine, seconds in rounds(runs, repeats).items()}


def mlp_step_flops(sizes, batch):
    """The matmul FLOPs of one MLP training step: per layer the forward x @ W.T and the weight
    gradient dz.T @ x, 2 N in out each, and the input gradient dz @ W for every layer but the
    first (the data needs none, so it is not computed and not counted)."""
    flops = 0
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        flops += (2 if i == 0 else 3) * 2 * batch * n_in * n_out
    return flops


def mlp_step_rate(sizes=(784, 128, 10), batch=256, rows=8000, *, repeats=5, data=None):
    """FLOP/s of the NumPy MLP's float32 training step (``numpy_step``: forward, backward, SGD
    update) over an epoch's full batches, gathered beforehand: the median of ``repeats`` epochs."""
    return mlp_step_share(sizes, batch, rows, repeats=repeats, data=data)["step"]


def mlp_step_share(sizes=(784, 128, 10), batch=256, rows=8000, *, repeats=5, data=None):
    """{"step": the MLP step's FLOP/s, "matmul": the machine's (``matmul_rate``), "fraction"}, an
    epoch of steps and a matmul measurement taken in turn, so that both see the same load."""
    from .machine import matmul_rate

    epoch, n_steps = _step_epoch(sizes, batch, data or mnist_rows(rows))
    epoch()
    seconds, peaks = [], []
    for _ in range(repeats):
        seconds.append(epoch())
        peaks.append(matmul_rate(repeats=3))
    step = mlp_step_flops(sizes, batch) * n_steps / statistics.median(seconds)
    peak = statistics.median(peaks)
    return {"step": step, "matmul": peak, "fraction": step / peak}


def _step_epoch(sizes, batch, data):
    """(a function timing one epoch of NumPy MLP steps on ``data``'s full batches, their count)."""
    import numpy_impl
    from numpy_impl.optim import SGD
    from numpy_impl.training import epoch_batches, numpy_step

    model = numpy_impl.MLP(sizes, seed=0, dtype=np.float32)
    x, y = model.validate(data)
    full = [(x[r], y[r]) for r in epoch_batches(len(x), batch, 0, 0) if len(r) == batch]
    opt = SGD(model.parameters(), lr=0.1)

    def epoch():
        started = time.perf_counter()
        for b in full:
            numpy_step(model, opt, b)
        return time.perf_counter() - started

    return epoch, len(full)


def report(rows=8000, batches=(64, 256), repeats=5):
    """The NumPy / torch ratios of every model and batch size and the MLP step's share of the
    matmul rate, as printed lines, measured on one thread in this run."""
    from torch_impl.threads import set_threads

    data = mnist_rows(rows)
    lines = [f"seconds per epoch, MNIST {rows} rows, float32, one thread, median of {repeats}"]
    with set_threads(1):
        for name in MODELS:
            for batch in batches:
                s = side_by_side(name, batch, data=data, repeats=repeats)
                lines.append(
                    f"  {name:>11s} batch {batch:>4d}: numpy {s['numpy']:.3f}  torch {s['torch']:.3f}"
                    f"  numpy/torch {s['numpy'] / s['torch']:.2f}"
                )
        share = mlp_step_share(data=data, repeats=repeats)
    lines.append(
        f"  matmul 256x784 @ 784x128: {share['matmul'] / 1e9:.0f} GFLOP/s; MLP 784-128-10 step at batch "
        f"256: {share['step'] / 1e9:.0f} GFLOP/s = {100 * share['fraction']:.0f} % of it"
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.epochs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=8000, help="MNIST training rows (default 8000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per figure (default 5)")
    args = parser.parse_args(argv)
    from numpy_impl.checks import positive_int

    from .helpers import refused_by

    with refused_by(parser):
        positive_int(args.rows, "rows")
        positive_int(args.repeats, "repeats")
        print(report(rows=args.rows, repeats=args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
