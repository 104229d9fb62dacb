"""Shared set-up of the suite: one BLAS/OpenMP thread (set before NumPy or torch is imported;
multi-threaded BLAS slowed these small matmuls 30-100x on 2-core machines), and an optional
mutant for the whole session (``PARITYNETS_MUTANT=<name>``, see ``mutants.py``)."""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import threadpoolctl  # noqa: E402
import torch  # noqa: E402

_thread_limit = threadpoolctl.threadpool_limits(1)  # in case a library was imported before this file
torch.set_num_threads(1)

MUTANT = os.environ.get("PARITYNETS_MUTANT")


@pytest.fixture(scope="session", autouse=True)
def session_mutant():
    """With PARITYNETS_MUTANT set, the whole session runs against that known bug."""
    if not MUTANT:
        yield None
        return
    import mutants

    with mutants.activate(MUTANT) as mutant:
        yield mutant


def pytest_report_header(config):
    return f"paritynets: PARITYNETS_MUTANT={MUTANT}" if MUTANT else None


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(items):
    """The long end-to-end tests (marked ``slow``) run first. Under the README's two pytest-xdist
    workers (``-n 2 --dist worksteal``) they then start early, while the other worker takes the
    short tests, instead of one of them running alone at the end; run in one process, the order
    changes nothing but when each test runs."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: slow ones first
