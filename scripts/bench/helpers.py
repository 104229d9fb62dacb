"""The measurement functions other modules provide, looked up when a row runs, so that a module that
is missing makes its row say so instead of stopping the benchmark; and the one way a row runs."""

import contextlib
import importlib
import inspect
import sys
import traceback

from numpy_impl.stopping import Stopped


class Unavailable(Exception):
    """A row (or one figure of it) cannot be measured here; the message says why, in one line."""

    status = "not available"


class Skipped(Unavailable):
    """A row that does not apply to this machine (no GPU): skipped, with the reason."""

    status = "skipped"


@contextlib.contextmanager
def refused_by(parser):
    """A stand-alone benchmark's body: an ``InputError`` (a bad option, or a bad input found by the
    models' and the data's own checks) exits 2 with argparse's one-line message, not a traceback."""
    from numpy_impl.checks import InputError

    try:
        yield
    except InputError as error:
        parser.error(str(error))


def helper(module, name):
    """``module.name``, imported now; ``Unavailable("not available: <module> missing")`` when the
    module does not exist (an ImportError inside an existing module is a failure, not this)."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            raise Unavailable(f"not available: {module} missing") from None
        raise
    if not hasattr(found, name):
        raise Unavailable(f"not available: {module} has no {name}")
    return getattr(found, name)


def run_row(function, *args):
    """{"status": "ok", **figures}, {"status": "not available", "reason"} or, when the measurement
    itself breaks, {"status": "failed", "reason", "traceback"}: one row never stops the others.
    ``Stopped`` (Ctrl-C or SIGTERM, which a Lightning fit turns into a clean stop) stops the run."""
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the helpers' progress lines: stdout has the tables
            return {"status": "ok", **function(*args)}
    except Stopped:
        raise
    except Unavailable as why:
        return {"status": why.status, "reason": str(why)}
    except (Exception, SystemExit) as error:  # noqa: BLE001 (a broken row is reported; the others go on)
        return {
            "status": "failed",
            "reason": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }


def attempt(function, *args, **kwargs):
    """(value, None) or (None, reason) for one figure of a row, so that the row's other figures
    are still measured when one cannot be; ``Stopped`` stops the run, as in ``run_row``."""
    try:
        return function(*args, **kwargs), None
    except Stopped:
        raise
    except Unavailable as why:
        return None, str(why)
    except (Exception, SystemExit) as error:  # noqa: BLE001 (as run_row; a CLI inside may sys.exit)
        return None, f"failed: {type(error).__name__}: {error}"


def call(function, *args, **options):
    """``function(*args, **options)`` passing only the options its signature takes (the helpers'
    optional settings, such as ``repeats`` or ``data``, differ from one to the next)."""
    parameters = inspect.signature(function).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        options = {k: v for k, v in options.items() if k in parameters}
    return function(*args, **options)
