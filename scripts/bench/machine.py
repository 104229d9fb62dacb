"""The machine's own limit, the physical reference for the twins' speed: its float32 matmul rate
on one thread, measured in the run that uses it."""

import statistics
import time
from contextlib import contextmanager

import numpy as np


def median_seconds(function, repeats=7, warmup=1):
    """The median wall time of ``function()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def matmul_rate(m=256, k=784, n=128, dtype=np.float32, *, calls=50, repeats=7):
    """FLOP/s of ``a @ b.T`` for a (m, k) and b (n, k), a linear layer's forward (x @ W.T, W in
    torch's (out, in) layout): 2 m k n FLOPs a product, median of ``repeats`` runs of ``calls``
    products each, after a warm-up. Run it under ``one_thread()`` for the one-thread figure."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
    out = np.empty((m, n), dtype=dtype)

    def products():
        for _ in range(calls):
            np.matmul(a, b.T, out=out)

    return 2 * m * k * n * calls / median_seconds(products, repeats)


@contextmanager
def one_thread():
    """BLAS, OpenMP and torch's intra-op pool on one thread, restored on exit."""
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:  # NumPy-only figures need no torch
        torch = None
    previous = torch.get_num_threads() if torch else None
    with threadpool_limits(limits=1):
        if torch:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(previous)
