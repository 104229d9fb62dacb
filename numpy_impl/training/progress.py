"""Progress of a training run on stderr: a tqdm bar on a terminal, one line per epoch otherwise
(a bar in a log file is a wall of carriage returns). Shared by the NumPy and the torch loops."""

import sys
import time

from ..checks import InputError

MODES = ("auto", "bar", "lines", "off", True, False, None)


def check_mode(mode):
    if not any(mode is m or (isinstance(m, str) and mode == m) for m in MODES):
        raise InputError(f"progress must be 'auto', 'bar', 'lines' or 'off'; got {mode!r}")
    return mode


class Progress:
    HIDDEN = ("epoch", "loss_sum", "examples")  # in the record, too much for a progress line

    def __init__(self, mode, desc, epochs, steps_per_epoch, done=0, stream=None):
        check_mode(mode)
        self.stream = stream or sys.stderr
        if mode == "auto" or mode is True:
            mode = "bar" if hasattr(self.stream, "isatty") and self.stream.isatty() else "lines"
        self.mode, self.desc, self.epochs = mode, desc, epochs
        self.started = time.perf_counter()
        self.bar, self.shown = None, {}
        if mode == "bar" and epochs:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=epochs * steps_per_epoch, initial=done, desc=desc, file=self.stream, leave=True
            )

    def step(self, loss):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(self.shown | {"loss": f"{loss:.4f}"}, refresh=False)

    def epoch_done(self, record):
        metrics = {k: _shown(v) for k, v in record.items() if k not in self.HIDDEN}
        if self.bar is not None:
            self.shown = {"epoch": f"{record['epoch']}/{self.epochs}"} | {
                k: v for k, v in metrics.items() if k != "loss"
            }
            self.bar.set_postfix(self.shown | {"loss": metrics["loss"]})
        if self.mode == "lines":
            elapsed = time.perf_counter() - self.started
            line = "  ".join(f"{k} {v}" for k, v in metrics.items())
            print(
                f"{self.desc} epoch {record['epoch']}/{self.epochs}  {line}  ({elapsed:.1f} s)",
                file=self.stream,
            )
            self.stream.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _shown(value):
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}" if abs(value) < 1e-3 else f"{value:.4f}"
