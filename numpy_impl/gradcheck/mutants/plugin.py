"""A pytest plugin that runs a whole test session with one known bug active, for any project's
tests: ``PARITYNETS_MUTANT=relu_mask_missing pytest -p numpy_impl.gradcheck.mutants.plugin``.
A session that still passes shows a check that does not bite. ``paritynets-mutate --pytest``
runs it once per mutant."""

import os
from contextlib import ExitStack

import pytest

from . import activate

_STACK = pytest.StashKey[ExitStack]()


def pytest_configure(config):
    name = os.environ.get("PARITYNETS_MUTANT")
    stack = config.stash[_STACK] = ExitStack()
    if name:
        stack.enter_context(activate(name))


def pytest_unconfigure(config):
    config.stash[_STACK].close()


def pytest_report_header(config):
    name = os.environ.get("PARITYNETS_MUTANT")
    return f"paritynets mutant: {name}" if name else None
