"""Checkpoints a killed run resumes from bit for bit.

A checkpoint is one safetensors file written atomically (temp file + ``os.replace``): the weights
(``model.<name>``), the optimizer's buffers (``optimizer.<i>``), the per-step losses and, as JSON
metadata, the position of the next batch, the optimizer's hyperparameters, the epoch records and
the state of ``model.rng`` (a model that draws random numbers while it trains keeps them there).
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import safe_open

from ..checks import InputError, positive_int
from ..state import check_state_dict, save_safetensors
from .history import DivergedError, History

CHECKPOINT_FORMAT = "paritynets.train/1"


class Checkpointer:
    """A run's checkpoints: where (``path``, None for none), how often (every ``every`` steps
    within an epoch, and at every epoch's end), and which step the file on disk holds."""

    def __init__(self, path, every, model, optimizer, run):
        self.path = Path(path) if path is not None else None
        self.every = None if every is None else positive_int(every, "checkpoint_every")
        self.model, self.optimizer, self.run = model, optimizer, run
        self.saved_step = None

    def resume(self):
        """(history, epoch, batch) to go on from: the file's when there is one, else a fresh start."""
        if self.path is None or not self.path.exists():
            return History(), 0, 0
        history, epoch, batch = restore_checkpoint(self.path, self.model, self.optimizer, self.run)
        self.saved_step = len(history.step_loss)
        return history, epoch, batch

    def due(self, step, mid_epoch):
        """Whether step ``step`` (1-based) ends with a checkpoint inside an epoch."""
        return bool(self.path and self.every and mid_epoch and step % self.every == 0)

    def save(self, history, epoch, batch):
        """Write the checkpoint whose next batch is (epoch, batch); never one with NaN/inf weights."""
        if self.path is None:
            return
        for name, value in self.model.parameters().items():
            if not np.isfinite(value).all():
                raise DivergedError(
                    f"parameter {name} holds NaN/inf after step {len(history.step_loss)}; not writing "
                    f"checkpoint {self.path}, which keeps the last good state"
                )
        save_checkpoint(self.path, self.model, self.optimizer, history, self.run, epoch, batch)
        self.saved_step = len(history.step_loss)

    def last_good(self):
        """What a diverged run leaves on disk, in words."""
        if self.path is None:
            return "training stopped (no checkpoint was configured)"
        if self.saved_step is None:
            return f"training stopped before the first checkpoint; {self.path} was not written"
        return (
            f"training stopped; the last good checkpoint {self.path} (after step {self.saved_step}) is intact"
        )


def save_checkpoint(path, model, optimizer, history, run, epoch, batch):
    """Write everything a resumed run needs to ``path`` (atomically). (epoch, batch) is the next batch."""
    opt_state = optimizer.state_dict()
    tensors = {f"model.{name}": np.array(value) for name, value in model.parameters().items()}
    buffers = []
    for name, state in opt_state["state"].items():
        for key, value in state.items():
            tensors[f"optimizer.{len(buffers)}"] = np.array(value)
            buffers.append([name, key])
    tensors["history.step_loss"] = np.array(history.step_loss, dtype=np.float64)
    meta = {
        "format": CHECKPOINT_FORMAT,
        "run": run,
        "epoch": int(epoch),
        "batch": int(batch),
        "step": len(history.step_loss),
        "epochs": history.epochs,
        "optimizer": {
            "type": type(optimizer).__name__,
            "hparams": opt_state["hparams"],
            "steps": opt_state["steps"],
        },
        "optimizer_buffers": buffers,
        "model_rng": _rng_state(model),
        "time": time.time(),
    }
    save_safetensors(tensors, path, metadata={"paritynets": json.dumps(meta)})


@dataclass
class Checkpoint:
    """A checkpoint read back: ``weights`` (a state dict), ``optimizer_state`` (as
    ``optimizer.state_dict()`` gives it), ``history`` and the position of the next batch."""

    weights: dict
    optimizer_state: dict
    history: History
    epoch: int
    batch: int
    meta: dict

    @property
    def step(self):
        return len(self.history.step_loss)


def load_checkpoint(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with safe_open(path, "np") as f:
            meta = json.loads((f.metadata() or {}).get("paritynets", "null"))
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    except Exception as err:  # safetensors raises its own error types for a corrupt header
        raise InputError(f"{path} is not a readable checkpoint: {err}") from err
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path} is a safetensors file but not a training checkpoint ({CHECKPOINT_FORMAT})")
    state = {}
    for i, (name, key) in enumerate(meta["optimizer_buffers"]):
        state.setdefault(name, {})[key] = tensors[f"optimizer.{i}"]
    hparams = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["optimizer"]["hparams"].items()}
    return Checkpoint(
        weights={k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")},
        optimizer_state={"hparams": hparams, "steps": meta["optimizer"]["steps"], "state": state},
        history=History([float(v) for v in tensors["history.step_loss"]], meta["epochs"]),
        epoch=meta["epoch"],
        batch=meta["batch"],
        meta=meta,
    )


def restore_checkpoint(path, model, optimizer, run):
    """Load ``path`` into ``model`` and ``optimizer`` (in place); return (history, epoch, batch)."""
    ckpt = load_checkpoint(path)
    for key, value in run.items():
        if ckpt.meta["run"].get(key) != value:
            raise InputError(
                f"cannot resume from {path}: it was written with {key}={ckpt.meta['run'].get(key)}, "
                f"this run has {key}={value}"
            )
    if ckpt.meta["optimizer"]["type"] != type(optimizer).__name__:
        raise InputError(
            f"cannot resume from {path}: it holds {ckpt.meta['optimizer']['type']} state, "
            f"this run uses {type(optimizer).__name__}"
        )
    params = model.parameters()
    weights = check_state_dict(ckpt.weights, {name: value.shape for name, value in params.items()})
    for name, value in weights.items():
        params[name][...] = value  # in place: the optimizer holds these very arrays
    optimizer.load_state_dict(ckpt.optimizer_state)
    if ckpt.meta["model_rng"] is not None:
        model.rng.bit_generator.state = ckpt.meta["model_rng"]
    return ckpt.history, ckpt.epoch, ckpt.batch


def _rng_state(model):
    rng = getattr(model, "rng", None)
    return rng.bit_generator.state if isinstance(rng, np.random.Generator) else None
