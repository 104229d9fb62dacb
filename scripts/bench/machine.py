"""The machine's own limit, the physical reference for the twins' speed: its float32 matmul rate
on one thread, measured in the run that uses it."""

from contextlib import contextmanager

import numpy as np

from .timing import side_by_side


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

    seconds, _ = side_by_side({"products": products}, repeats)
    return 2 * m * k * n * calls / seconds["products"]


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
