"""Stopping cleanly on Ctrl-C (SIGINT) and SIGTERM.

A program wraps its work in ``stop_on_signals()``: either signal raises ``Stopped`` where the
program is, so it can keep what it finished and end with one line and the shell's status for a
death by that signal (128 + signum: 130, 143). A training loop wraps its steps in
``deferred_stop()``: a signal that arrives during a step is only recorded, and the loop stops
at the end of the step, once the weights and the optimizer agree again, writes its checkpoint
there and raises ``Stopped``. A second signal while the loop finishes its step stops at once.

``Stopped`` is a ``SystemExit`` (as Lightning's own ``SIGTERMException`` is): ``except
Exception`` does not swallow it, and uncaught it ends the program with its status, quietly.
"""

import signal
import threading
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(SystemExit):
    """Stopped by ``signum``; ``code`` is 128 + signum, ``message`` says what was kept."""

    def __init__(self, signum, message=None):
        super().__init__(128 + signum)
        self.signum = signum
        self.message = message or f"stopped by {signal_name(signum)}"

    def __str__(self):
        return self.message


def signal_name(signum):
    return signal.Signals(signum).name


def _raise_stopped(signum, frame):
    raise Stopped(signum)


@contextmanager
def stop_on_signals():
    """SIGINT and SIGTERM raise ``Stopped`` in the main thread while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise_stopped) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class DeferredStop:
    """The signal recorded during a ``deferred_stop`` block (``signum``, None until one comes)."""

    def __init__(self):
        self.signum = None

    def record(self, signum, frame):
        if self.signum is not None:  # a second signal: the user does not want to wait
            raise Stopped(signum, f"stopped by a second {signal_name(signum)} in the middle of a step")
        self.signum = signum


@contextmanager
def deferred_stop(*, force=False):
    """Record SIGINT / SIGTERM during the block instead of acting on them. Only in the main
    thread, and (unless ``force``) only over Python's default handlers or ``stop_on_signals``':
    a handler the program installed itself is left alone."""
    stop = DeferredStop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {}
    for s in SIGNALS:
        if force or signal.getsignal(s) in (signal.default_int_handler, signal.SIG_DFL, _raise_stopped):
            previous[s] = signal.signal(s, stop.record)
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
