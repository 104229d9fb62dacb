"""The time of the full parity check of all four models at their reference sizes, in both dtypes:
``torch_impl.parity.check_model`` (structure, loss and every gradient against autograd) in float64
with sampled finite differences and in float32 (finite differences run in float64 only), each model
timed side by side with the others, median of the rounds after a warm-up round."""

import numpy as np

from .timing import side_by_side

# model -> (constructor in both packages, its arguments, batch rows); the batches are random, as the
# checker's test points are: MNIST-sized inputs, 64 rows (16 for the autoencoder, 64 pairs x K 5)
REFERENCE = {
    "linear": ("LinearClassifier", (784, 10), 64),
    "mlp": ("MLP", ((784, 128, 10),), 64),
    "autoencoder": ("Autoencoder", ((784, 400, 200, 2),), 16),
    "skipgram": ("SkipGram", (1009, 100), 64),
}
NEGATIVES = 5


def batch(name, dtype, rows):
    from numpy_impl.gradcheck.points import classifier_batch, id_batch

    if name == "skipgram":
        return id_batch(REFERENCE[name][1][0], rows, NEGATIVES, seed=1)
    if name == "autoencoder":
        return (np.random.default_rng(1).random((rows, 784)).astype(dtype),)
    return classifier_batch(784, 10, rows, seed=1, dtype=dtype)


def check(name):
    """A function running the float64 and the float32 check of ``name``; it returns both reports."""
    import numpy_impl
    import torch_impl
    from torch_impl.parity import check_model

    kind, args, rows = REFERENCE[name]
    batches = {dtype: batch(name, dtype, rows) for dtype in (np.float64, np.float32)}

    def both():
        reports = []
        for dtype, fd in ((np.float64, "sampled"), (np.float32, None)):
            numpy_model = getattr(numpy_impl, kind)(*args, seed=0, dtype=dtype)
            torch_model = getattr(torch_impl, kind)(*args, seed=0, dtype=dtype)
            reports.append(check_model(numpy_model, torch_model, batches[dtype], finite_differences=fd))
        return reports

    return both


def parity_time(s, images):
    """Seconds of each model's check (float64 + float32) and their total; all checks must pass."""
    from torch_impl.threads import use_threads

    use_threads(1)
    seconds, reports = side_by_side(
        {name: check(name) for name in REFERENCE}, repeats=s.repeats, warmup=s.warmup
    )
    failed = [name for name, pair in reports.items() if not all(r.ok for r in pair)]
    return {
        "seconds": seconds,
        "total_s": sum(seconds.values()),
        "all_passed": not failed,
        "failed": failed,
        "sizes": {name: {"args": str(args), "rows": rows} for name, (_, args, rows) in REFERENCE.items()},
    }
