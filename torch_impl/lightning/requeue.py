"""Requeueing a SLURM job on SIGUSR1 so that the requeued job resumes exactly.

SLURM sends SIGUSR1 ahead of a job's time limit when asked to (``#SBATCH --signal=SIGUSR1@90``).
Lightning's own handler (``SLURMEnvironment(auto_requeue=True)``, ``signal_connector.py``) saves a
checkpoint from inside the signal handler, wherever the process is in its step, each DDP rank at
its own point, with a barrier among them. Here the handler only notes the signal. At the end of
every ``check_every``-th optimizer step the ranks agree (one all-reduce) on whether any of them got
it; if one did, ``last.ckpt`` is written at that step boundary, as the step checkpoints are, rank 0
runs ``scontrol requeue $SLURM_JOB_ID`` and every rank stops (exit status 0). The requeued job runs
its script again with ``--ckpt_path last`` (``scripts/slurm/train.sbatch``) and goes on from there.

A handler installed before the trainer registers its own makes Lightning leave SIGUSR1 alone (it
keeps an existing handler); ``fit`` adds this callback under SLURM (``cli.py``).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint

from numpy_impl.checks import positive_int


class Requeued(SystemExit):
    """The run stopped after writing ``last.ckpt``: exit status 0 once its job is requeued, 1 when
    ``scontrol requeue`` failed (the job then ends; resume it with ``--ckpt_path last``)."""


class Requeue(pl.Callback):
    def __init__(self, check_every: int = 10, signum: int = signal.SIGUSR1, command: str = "scontrol"):
        self.check_every = positive_int(check_every, "check_every")
        self.signum, self.command = signum, command
        self.requested, self._previous = False, None

    def setup(self, trainer, pl_module, stage):
        if stage == "fit" and self._previous is None:
            self._previous = signal.signal(self.signum, self._note)

    def teardown(self, trainer, pl_module, stage):
        if self._previous is not None:
            signal.signal(self.signum, self._previous)
            self._previous = None

    def _note(self, signum, frame):
        self.requested = True  # all a signal handler does: the step in progress goes on undisturbed

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.global_step % self.check_every:
            return
        if not trainer.strategy.reduce_boolean_decision(self.requested, all=False):  # any rank
            return
        path = last_checkpoint(trainer)
        trainer.save_checkpoint(
            path, weights_only=False
        )  # every rank calls it; rank 0 writes, then a barrier
        requeued = requeue(self.command) if trainer.is_global_zero else True
        if trainer.is_global_zero and requeued:
            print(f"requeue: wrote {path} at step {trainer.global_step}; job requeued", flush=True)
        raise Requeued(0 if requeued else 1)


def last_checkpoint(trainer):
    """Where the run's checkpoint callback writes ``last.ckpt`` (what ``--ckpt_path last`` finds)."""
    for callback in trainer.checkpoint_callbacks:
        if isinstance(callback, ModelCheckpoint) and callback.save_last and callback.dirpath:
            return Path(callback.dirpath) / f"{callback.CHECKPOINT_NAME_LAST}{callback.FILE_EXTENSION}"
    raise ValueError(
        "Requeue needs a ModelCheckpoint(save_last=True): the requeued job resumes from last.ckpt"
    )


def requeue(command="scontrol"):
    """``scontrol requeue`` this job (an array task as ``<array job>_<task>``); True when done."""
    array_job = os.environ.get("SLURM_ARRAY_JOB_ID")
    job = f"{array_job}_{os.environ['SLURM_ARRAY_TASK_ID']}" if array_job else os.environ.get("SLURM_JOB_ID")
    done = subprocess.run([command, "requeue", str(job)], capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        print(f"requeue: {command} requeue {job} failed: {message}", file=sys.stderr, flush=True)
    return done.returncode == 0
