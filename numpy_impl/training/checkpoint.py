"""Checkpoints a killed run resumes from bit for bit.

A checkpoint is one safetensors file written atomically (temp file + ``os.replace``) with the
checksums of its tensors and metadata: the weights (``model.<name>``), the optimizer's buffers
(``optimizer.<i>``), the per-step losses and, as JSON metadata, the position of the next batch,
the optimizer's state, the epoch records, the state of ``model.rng`` (a model that draws random
numbers while it trains keeps them there) and the run's key: every hyperparameter of the model,
the optimizer and the loop, and a fingerprint of the data (``run_key``). A resumed run must have
the same key, else it is refused naming the first differing entry; a checkpoint is loaded whole
or not at all.
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import InputError, MissingFileError, positive_int
from ..files import remove_stale_temporaries
from ..locks import PathLock
from ..state import check_state_dict, read_safetensors, save_safetensors
from .history import DivergedError, History
from .run_key import differing_key

CHECKPOINT_FORMAT = "paritynets.train/2"
_META_KEYS = ("run", "epoch", "batch", "step", "epochs", "optimizer", "optimizer_buffers", "model_rng")


class Checkpointer:
    """A run's checkpoints: where (``path``, None for none), how often (every ``every`` steps
    within an epoch, and at every epoch's end), and which step the file on disk holds. ``run`` is
    the run's key (``run_key``) or a function giving it, called once, and only when there is a path. While the run
    lasts it owns ``path`` (``hold()``): a second run on the same file is refused."""

    def __init__(self, path, every, model, optimizer, run):
        self.path = Path(path) if path is not None else None
        self.every = None if every is None else positive_int(every, "checkpoint_every")
        self.model, self.optimizer = model, optimizer
        self.run = (run() if callable(run) else dict(run)) if self.path is not None else {}
        self.saved_step = None
        self.lock = PathLock(self.path, "checkpoint") if self.path is not None else None

    def hold(self):
        """Lock ``path`` for this run and remove the temporary files killed writers left beside it."""
        if self.lock is not None:
            self.lock.acquire()
            remove_stale_temporaries(self.path.parent)

    def release(self):
        if self.lock is not None:
            self.lock.release()

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
    """The checkpoint at ``path``, its checksums verified; ``InputError`` naming the file and the
    problem for a file that is not a whole checkpoint of this format."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no checkpoint at {path}")
    try:
        tensors, metadata = read_safetensors(path, require_checksum=True)
    except InputError as err:
        raise InputError(f"{path} is not a readable checkpoint: {err}") from err
    meta = _metadata(path, metadata.get("paritynets"))
    try:
        state = {}
        for i, (name, key) in enumerate(meta["optimizer_buffers"]):
            state.setdefault(name, {})[key] = tensors[f"optimizer.{i}"]
        hparams = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["optimizer"]["hparams"].items()}
        optimizer_state = {"hparams": hparams, "steps": meta["optimizer"]["steps"], "state": state}
        history = History([float(v) for v in tensors["history.step_loss"]], meta["epochs"])
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(
            f"{path} is an incomplete checkpoint: {type(err).__name__} {err} is missing or malformed"
        ) from None
    return Checkpoint(
        weights={k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")},
        optimizer_state=optimizer_state,
        history=history,
        epoch=meta["epoch"],
        batch=meta["batch"],
        meta=meta,
    )


def _metadata(path, text):
    try:
        meta = json.loads(text or "null")
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or not str(meta.get("format", "")).startswith("paritynets.train/"):
        raise InputError(f"{path} is a safetensors file but not a training checkpoint ({CHECKPOINT_FORMAT})")
    if meta["format"] != CHECKPOINT_FORMAT:
        raise InputError(
            f"{path} is a checkpoint of format {meta['format']}, written by an older paritynets that did "
            f"not record the run's hyperparameters and data; this one reads {CHECKPOINT_FORMAT}: start a new run"
        )
    missing = [k for k in _META_KEYS if k not in meta]
    if missing:
        raise InputError(f"{path} is an incomplete checkpoint: its metadata lacks {', '.join(missing)}")
    for k in ("epoch", "batch", "step"):
        if isinstance(meta[k], bool) or not isinstance(meta[k], int) or meta[k] < 0:
            raise InputError(f"{path} is a malformed checkpoint: {k} is {meta[k]!r}, not an integer >= 0")
    return meta


def restore_checkpoint(path, model, optimizer, run):
    """Load ``path`` into ``model`` and ``optimizer`` (in place); return (history, epoch, batch).
    Everything is checked before anything changes: a refused checkpoint leaves both as they were."""
    ckpt = load_checkpoint(path)
    difference = differing_key(ckpt.meta["run"], run)
    if difference:
        raise InputError(f"cannot resume from {path}: it was written with {difference}")
    if ckpt.meta["optimizer"].get("type") != type(optimizer).__name__:
        raise InputError(
            f"cannot resume from {path}: it holds {ckpt.meta['optimizer'].get('type')} state, "
            f"this run uses {type(optimizer).__name__}"
        )
    params = model.parameters()
    weights = check_state_dict(ckpt.weights, {name: value.shape for name, value in params.items()})
    rng_state = _checked_rng_state(path, model, ckpt.meta["model_rng"])
    optimizer.load_state_dict(ckpt.optimizer_state)  # checks all of it before it changes anything
    for name, value in weights.items():
        params[name][...] = value  # in place: the optimizer holds these very arrays
    if rng_state is not None:
        model.rng.bit_generator.state = rng_state
    return ckpt.history, ckpt.epoch, ckpt.batch


def _checked_rng_state(path, model, state):
    """``state`` when it suits ``model.rng`` (tried on a copy of the generator), else an InputError."""
    if state is None:
        return None
    rng = getattr(model, "rng", None)
    if not isinstance(rng, np.random.Generator):
        raise InputError(f"cannot resume from {path}: it holds a model RNG state; this model has no rng")
    try:
        type(rng.bit_generator)().state = state
    except (TypeError, ValueError, KeyError) as err:
        raise InputError(f"cannot resume from {path}: its model RNG state is malformed ({err})") from None
    return state


def _rng_state(model):
    rng = getattr(model, "rng", None)
    return rng.bit_generator.state if isinstance(rng, np.random.Generator) else None
