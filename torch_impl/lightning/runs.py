"""Where a CLI command writes, decided on purpose rather than by Lightning's defaults.

A run is one directory ``<root>/version_<n>`` (``root`` = ``trainer.default_root_dir``) holding
``config.yaml``, ``metrics.csv``, ``hparams.yaml`` and ``checkpoints/`` (``last.ckpt``, the latest
epoch's checkpoint). ``fit`` starts the next version, so running a command twice never meets an
existing ``config.yaml``; ``fit --ckpt_path last`` continues the newest run that has a
``last.ckpt`` in its own directory (Lightning alone would look for it in a new, empty one and
start from scratch with only a warning), and refuses clearly when there is none. Evaluating a
run's checkpoint (``validate``, ``test``, ``predict``) writes into ``<run>/<stage>/``.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from numpy_impl.checks import InputError

VERSION = re.compile(r"^version_(\d+)$")


@dataclass
class RunPlan:
    """Where the loggers of one command write: ``save_dir/version`` (``log_dir``)."""

    save_dir: Path
    version: str
    resumed: bool = False  # fit going on in an existing run

    @property
    def log_dir(self):
        return self.save_dir / self.version


def versions(root):
    """The run directories under ``root``, by version number."""
    root = Path(root)
    found = [
        (int(m.group(1)), p) for p in root.glob("version_*") if (m := VERSION.match(p.name)) and p.is_dir()
    ]
    return [p for _, p in sorted(found)]


def next_version(root):
    runs = versions(root)
    return f"version_{int(VERSION.match(runs[-1].name).group(1)) + 1 if runs else 0}"


def last_checkpoint(root):
    """The ``last.ckpt`` of the newest run under ``root`` that has one."""
    for run in reversed(versions(root)):
        if (run / "checkpoints" / "last.ckpt").is_file():
            return run / "checkpoints" / "last.ckpt"
    raise InputError(
        f"--ckpt_path last: no run under {root} has a checkpoints/last.ckpt to resume or evaluate; "
        "run fit without --ckpt_path first (or pass the path of a checkpoint file)"
    )


def run_of(checkpoint):
    """The run directory a checkpoint file belongs to (``<run>/checkpoints/x.ckpt``), or None."""
    checkpoint = Path(checkpoint)
    return checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else None


def plan_run(subcommand, root, ckpt_path):
    """(checkpoint file or None, RunPlan) for ``subcommand`` with ``--ckpt_path`` (None, "last",
    "best" or a file) under ``root``."""
    root = Path(root)
    if ckpt_path == "last":
        ckpt_path = last_checkpoint(root)
    if ckpt_path is not None and ckpt_path != "best" and not Path(ckpt_path).is_file():
        raise InputError(f"--ckpt_path {ckpt_path}: no such checkpoint file")
    run = run_of(ckpt_path) if ckpt_path not in (None, "best") else None
    if run is None:
        return ckpt_path, RunPlan(root, next_version(root))
    if subcommand == "fit":
        return str(ckpt_path), RunPlan(run.parent, run.name, resumed=True)
    return str(ckpt_path), RunPlan(run, subcommand)


def keep_metrics(log_dir):
    """Before a resumed run writes ``metrics.csv`` anew (Lightning's CSV logger deletes an existing
    one), move it to ``metrics.<k>.csv``, k = 1, 2, ... in the order of the resumptions."""
    current = Path(log_dir) / "metrics.csv"
    if not current.is_file():
        return None
    k = 1
    while (kept := current.with_name(f"metrics.{k}.csv")).exists():
        k += 1
    current.rename(kept)
    return kept


def run_config(ckpt_path):
    """The ``config.yaml`` of the run ``ckpt_path`` belongs to, or None."""
    run = run_of(ckpt_path) if ckpt_path else None
    config = run / "config.yaml" if run is not None else None
    return config if config is not None and config.is_file() else None
