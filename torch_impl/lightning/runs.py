"""Where a CLI command writes, decided on purpose rather than by Lightning's defaults.

A run is one directory ``<root>/version_<n>`` (``root`` = ``trainer.default_root_dir``) holding
``config.yaml``, ``metrics.csv``, ``hparams.yaml`` and ``checkpoints/`` (``last.ckpt``, the latest
epoch's checkpoint). ``fit`` starts the next version, so running a command twice never meets an
existing ``config.yaml``; ``fit --ckpt_path last`` continues the newest run that has a
``last.ckpt`` in its own directory (Lightning alone would look for it in a new, empty one and
start from scratch with only a warning), and refuses clearly when there is none. Evaluating a
run's checkpoint (``validate``, ``test``, ``predict``) writes into ``<run>/<stage>/``.

A new version's directory is created at once (``mkdir`` fails for the second of two runs that
chose the same number, which takes the next), so two runs never share one; the command then
owns its directory for as long as it runs (``numpy_impl.locks``). Under a multi-process launch
only rank 0 chooses: it leaves its choice in ``PARITYNETS_RUN_DIR`` for the ranks it starts.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from numpy_impl.checks import InputError, MissingFileError

VERSION = re.compile(r"^version_(\d+)$")
RUN_DIR = "PARITYNETS_RUN_DIR"


@dataclass
class RunPlan:
    """Where the loggers of one command write: ``save_dir/version`` (``log_dir``)."""

    save_dir: Path
    version: str | None  # None until ``claim`` gives a new run its version
    resumed: bool = False  # fit going on in an existing run
    created: bool = False  # this process created ``log_dir``
    root_created: bool = False  # ... and ``save_dir`` with it

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


def new_version(root):
    """The name of a new run directory under ``root``, created here so that no other run takes it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    while True:
        version = next_version(root)
        try:
            (root / version).mkdir()
            return version
        except FileExistsError:  # another run took this number between the look and the mkdir
            continue


def global_rank():
    """This process's rank in a multi-process launch (0 when there is none)."""
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


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
        what = "a directory, not a checkpoint file" if Path(ckpt_path).is_dir() else "no such checkpoint file"
        raise MissingFileError(f"--ckpt_path {ckpt_path}: {what}")
    run = run_of(ckpt_path) if ckpt_path not in (None, "best") else None
    if run is None:
        return ckpt_path, RunPlan(root, None)  # a new version, taken by ``claim`` once the run is set up
    if subcommand == "fit":
        return str(ckpt_path), RunPlan(run.parent, run.name, resumed=True)
    return str(ckpt_path), RunPlan(run, subcommand)


def claim(plan):
    """Give a new run its version: rank 0 creates the next ``version_<n>`` (``plan.created``), the
    other ranks of a launch take rank 0's choice. A plan with a version keeps it."""
    if plan.version is not None:
        return plan
    if global_rank() > 0:
        chosen = os.environ.get(RUN_DIR)
        newest = versions(plan.save_dir)[-1].name if versions(plan.save_dir) else next_version(plan.save_dir)
        plan.version = Path(chosen).name if chosen else newest
        return plan
    plan.root_created = not plan.save_dir.exists()
    plan.version, plan.created = new_version(plan.save_dir), True
    os.environ[RUN_DIR] = str(plan.log_dir)  # inherited by the ranks Lightning launches
    return plan


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
