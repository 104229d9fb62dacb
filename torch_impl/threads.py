"""The one place where torch runs set their threads: torch's intra-op pool and the BLAS / OpenMP
pools under it (threadpoolctl). The plain loop takes ``torch_impl.train.fit(..., threads=N)``,
Lightning ``paritynets-train fit --threads N`` (each DDP rank sets its own), the benchmarks
``--threads`` (default 1), and each reports the count it ran with. None leaves the counts as they
are (torch's default: one per core).

Why one by default in tests and benchmarks: on a busy 2-core machine two torch threads made a
training step slower and its timings bimodal, not faster (docs/lightning.md, "Speed").
"""

from contextlib import contextmanager

import torch

from numpy_impl.checks import positive_int


def use_threads(threads):
    """``threads`` torch and BLAS threads from now on in this process (None: unchanged); returns
    the number of torch threads in force."""
    if threads is not None:
        from threadpoolctl import threadpool_limits

        threads = positive_int(threads, "threads")
        threadpool_limits(limits=threads)  # not as a context: the limits stay
        torch.set_num_threads(threads)
    return torch.get_num_threads()


@contextmanager
def set_threads(threads):
    """``threads`` torch and BLAS threads within the block (None: unchanged), the previous counts
    restored after it; yields the number of torch threads in force."""
    if threads is None:
        yield torch.get_num_threads()
        return
    from threadpoolctl import threadpool_limits

    threads, before = positive_int(threads, "threads"), torch.get_num_threads()
    with threadpool_limits(limits=threads):
        torch.set_num_threads(threads)
        try:
            yield threads
        finally:
            torch.set_num_threads(before)
