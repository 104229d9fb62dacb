"""One thread everywhere, decided before NumPy loads its BLAS: the benchmark's figures are defined on
one thread, so that the engines compare like for like on a shared machine.

This module imports nothing heavy: ``__main__`` calls ``pin_environment()`` before anything imports
NumPy, and ``cli.main`` re-executes the command when NumPy was loaded without it (a caller's own
process), since a BLAS reads its thread count once, when it loads.
"""

import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_environment(environ=os.environ):
    """Set every BLAS/OpenMP thread variable to 1 (a different value is overridden, not kept)."""
    for name in THREAD_VARIABLES:
        environ[name] = "1"


def pinned(environ=os.environ):
    return all(environ.get(name) == "1" for name in THREAD_VARIABLES)


def ensure_one_thread(argv):
    """Re-execute ``python -m scripts.bench argv`` with the variables pinned when NumPy is already
    loaded with others (it cannot change its BLAS threads afterwards); otherwise pin them here."""
    if "numpy" in sys.modules and not pinned():
        pin_environment()
        os.execv(sys.executable, [sys.executable, "-m", "scripts.bench", *argv])
    pin_environment()


def threads_in_effect():
    """What the run measured under: the variables, torch's threads, and the BLAS pools NumPy loaded
    (threadpoolctl's view when it is installed)."""
    found = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    if "torch" in sys.modules:
        found["torch"] = sys.modules["torch"].get_num_threads()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return found
    found["blas"] = [
        {"library": p.get("internal_api"), "threads": p.get("num_threads"), "version": p.get("version")}
        for p in threadpool_info()
    ]
    return found
