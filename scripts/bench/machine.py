"""The machine's own limit, the physical reference for the twins' speed: its float32 matmul rate
on one thread, measured in the run that uses it."""

import numpy as np

from .timing import side_by_side


def matmul_rate(m=256, k=784, n=128, dtype=np.float32, *, calls=50, repeats=7):
    """FLOP/s of ``a @ b.T`` for a (m, k) and b (n, k), a linear layer's forward (x @ W.T, W in
    torch's (out, in) layout): 2 m k n FLOPs a product, median of ``repeats`` runs of ``calls``
    products each, after a warm-up. Run it under ``torch_impl.threads.set_threads(1)`` for the
    one-thread figure."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
    out = np.empty((m, n), dtype=dtype)

    def products():
        for _ in range(calls):
            np.matmul(a, b.T, out=out)

    seconds, _ = side_by_side({"products": products}, repeats)
    return 2 * m * k * n * calls / seconds["products"]
