"""What a run was measured on: the date, the CPU model, the threads in effect and the versions of
the libraries that were timed (recorded in the JSON beside the figures)."""

import datetime
import platform
from importlib import metadata
from pathlib import Path

from .threads import threads_in_effect

LIBRARIES = ("numpy", "torch", "lightning", "scikit-learn", "gensim", "scipy", "matplotlib")


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo`` on Linux; ``platform.processor()`` elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def versions():
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def environment(command, data_source):
    import os

    threads = threads_in_effect()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "threads_line": ", ".join(f"{k}={v}" for k, v in threads.items() if k != "blas"),
        "versions": versions(),
        "data": data_source,
        "platform": platform.platform(),
    }
