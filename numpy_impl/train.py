"""The one training loop, for every model: epochs of mini-batches, one optimizer step per batch, a
history, an optional learning-rate schedule, and checkpoints a killed run resumes from bit for bit.

    model = MLP((64, 128, 10), seed=0, dtype=np.float64)
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, opt, (x, y), epochs=30, batch_size=64, seed=0, checkpoint="run/ckpt.safetensors")

A model is anything with ``parameters()`` (the live dict name -> array the optimizer updates) and
``loss_and_grads(batch) -> (float, grads)``. A model whose training step is not "the gradient of
``loss`` into ``optimizer.step``" says so with ``train_step(batch, optimizer) -> loss``: skip-gram
steps on the gradient of the batch's *summed* loss, as word2vec does, fused into one pass.

``data`` is either a tuple of arrays indexed by the same rows, cut into shuffled mini-batches, or a
batch source: an object whose ``epoch(e)`` gives epoch e's batches (sized, iterated once, the same
for the same e; ``numpy_impl.text.SkipGramData`` is one). The batch order of an epoch is a pure
function of (seed, epoch), ``epoch_batches`` for arrays, so a resumed run needs no shuffling state,
only its position (epoch, batch). A model that draws random numbers while it trains keeps them in
``model.rng`` (a ``np.random.Generator``); its state goes into the checkpoint too.

The torch twin (``torch_impl.train.fit``) is this loop with a torch step, so both engines see the
same batches, the same schedule and the same history.

A checkpoint is one safetensors file written atomically (temp file + ``os.replace``): the weights
(``model.<name>``), the optimizer's buffers (``optimizer.<i>``), the per-step losses and, as JSON
metadata, the position, the optimizer's hyperparameters, the epoch records and the RNG state.
"""

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors import safe_open

from .checks import InputError
from .data import batches
from .state import check_state_dict, save_safetensors

CHECKPOINT_FORMAT = "paritynets.train/1"


class DivergedError(FloatingPointError):
    """The loss (or the weights) became NaN/inf; training stopped and wrote no checkpoint after it."""


@dataclass
class History:
    """What a run produced: the loss of every optimizer step (the batch's mean), and one record per
    finished epoch (``epoch`` 1-based, ``loss`` = the mean loss over the epoch's examples,
    ``loss_sum`` = their summed loss in float64, ``examples``, the last ``lr`` under a schedule,
    what the batch source reports about the epoch, and evaluation metrics). ``seconds``: wall time
    of each epoch trained in this process (not checkpointed: a resumed run times only its part)."""

    step_loss: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def metric(self, name):
        """One metric across epochs, e.g. ``history.metric("test_accuracy")``."""
        return [record[name] for record in self.epochs]


def epoch_batches(n_rows, batch_size, seed, epoch):
    """Row indices of each mini-batch of ``epoch`` (0-based): a permutation drawn from
    ``default_rng((seed, epoch))`` cut into consecutive batches; the last one may be smaller."""
    if int(n_rows) < 1:
        raise InputError(f"cannot make batches from {n_rows} rows; the data is empty")
    if int(batch_size) != batch_size or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer; got {batch_size!r}")
    if int(seed) != seed or seed < 0 or int(epoch) != epoch or epoch < 0:
        raise InputError(f"seed and epoch must be integers >= 0; got seed={seed!r}, epoch={epoch!r}")
    return batches(int(n_rows), int(batch_size), np.random.default_rng([int(seed), int(epoch)]))


def check_data(data):
    """``data`` as a tuple of arrays (or tensors) with the same number of rows, at least one."""
    if not isinstance(data, (tuple, list)) or not data:
        raise InputError(
            "data is a tuple of arrays indexed by the same rows, like (x, y), or a batch source with "
            f"epoch(e); got {type(data).__name__}"
        )
    lengths = [len(a) for a in data]
    if len(set(lengths)) != 1:
        raise InputError(f"the arrays in data have different numbers of rows: {lengths}")
    if lengths[0] == 0:
        raise InputError("data has 0 rows; training needs at least one example")
    return tuple(data), lengths[0]


class ArrayBatches:
    """A batch source over a tuple of arrays (or tensors): epoch e's batches are the rows of
    ``epoch_batches(n_rows, batch_size, seed, e)``."""

    def __init__(self, data, batch_size, seed=0):
        self.data, self.n_rows = check_data(data)
        epoch_batches(self.n_rows, batch_size, seed, 0)  # validates batch_size and seed before any work
        self.batch_size, self.seed = int(batch_size), int(seed)

    def run_key(self):
        """What a checkpoint must share with the run that resumes it."""
        return {"seed": self.seed, "batch_size": self.batch_size, "n_rows": int(self.n_rows)}

    def epoch(self, epoch):
        return ArrayEpoch(self.data, epoch_batches(self.n_rows, self.batch_size, self.seed, epoch))


class ArrayEpoch:
    def __init__(self, data, plan):
        self.data, self.plan = data, plan
        self.n_examples = sum(len(rows) for rows in plan)

    def __len__(self):
        return len(self.plan)

    def __iter__(self):
        for rows in self.plan:
            yield tuple(a[rows] for a in self.data)


def batch_source(data, batch_size, seed):
    """``data`` as a batch source: itself when it has ``epoch(e)``, else ``ArrayBatches``."""
    if hasattr(data, "epoch"):
        if batch_size is not None:
            raise InputError(f"{type(data).__name__} brings its own batches; do not pass batch_size")
        return data
    if batch_size is None:
        raise InputError("batch_size is needed to cut arrays into mini-batches")
    return ArrayBatches(data, batch_size, 0 if seed is None else seed)


def numpy_step(model, optimizer, batch):
    """One optimizer step of a NumPy model; returns the batch's loss. A non-finite loss returns
    before the update, so the weights stay those of the last good step."""
    train_step = getattr(model, "train_step", None)
    if train_step is not None:
        return float(train_step(batch, optimizer))
    loss, grads = model.loss_and_grads(batch)
    loss = float(loss)
    if math.isfinite(loss):
        optimizer.step(grads)
    return loss


def set_lr(optimizer, lr):
    """Set the learning rate of a NumPy optimizer or of every group of a torch one."""
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:
        optimizer.lr = lr
    else:
        for group in groups:
            group["lr"] = lr


def fit(
    model,
    optimizer,
    data,
    *,
    epochs,
    batch_size=None,
    seed=None,
    lr_schedule=None,
    evaluate=None,
    checkpoint=None,
    checkpoint_every=None,
    resume=False,
    progress="auto",
    desc="train",
    step=numpy_step,
):
    """Train ``model`` with ``optimizer`` for ``epochs`` passes over ``data``; return the History.

    data: a tuple of arrays (then ``batch_size`` and ``seed``, default 0, cut and shuffle it) or a
        batch source with ``epoch(e)`` (see the module's docstring).
    lr_schedule: optional ``lr_schedule(t) -> lr`` set before every step, where t = epoch (0-based)
        + the share of the epoch's examples already done; e.g. ``word2vec_lr(epochs)``.
    evaluate: optional ``evaluate(model) -> dict of floats`` run after every epoch; its values join
        the epoch's record (and the progress line).
    checkpoint: a file path; written at the end of every epoch and every ``checkpoint_every`` steps.
    resume: continue from ``checkpoint`` when that file exists (same seed, batch size and data);
        the final weights equal those of an uninterrupted run, bit for bit.
    progress: "auto" (a tqdm bar on a terminal, one line per epoch otherwise), "bar", "lines" or
        "off"; it goes to stderr so stdout keeps only results.
    step: ``step(model, optimizer, batch) -> loss``, the engine's optimizer step (``numpy_step``).

    A NaN/inf loss raises DivergedError naming the step (before that step's update, unless the
    model fuses loss and update in ``train_step``); the last checkpoint on disk stays the last good one.
    """
    source = batch_source(data, batch_size, seed)
    _check_settings(epochs, checkpoint_every)
    run = source.run_key() if hasattr(source, "run_key") else {}
    path = Path(checkpoint) if checkpoint is not None else None

    history, first_epoch, start = History(), 0, 0
    if resume and path is not None and path.exists():
        history, first_epoch, start = restore_checkpoint(path, model, optimizer, run)
    saved = {"step": len(history.step_loss) if first_epoch or start else None}

    def save(position_epoch, position_batch):
        _check_finite_parameters(model, len(history.step_loss), path)
        save_checkpoint(path, model, optimizer, history, run, position_epoch, position_batch)
        saved["step"] = len(history.step_loss)

    reporter = None
    try:
        for epoch in range(first_epoch, epochs):
            started = time.perf_counter()
            plan = source.epoch(epoch)
            if reporter is None:
                reporter = Progress(progress, desc, epochs, len(plan), len(history.step_loss))
            n_examples = getattr(plan, "n_examples", None)
            if lr_schedule is not None and not n_examples:
                raise InputError(
                    f"an lr_schedule needs the epoch's n_examples; {type(plan).__name__} has none"
                )
            sizes, done, lr = [], 0, None  # done: examples of this epoch before the batch
            for b, batch in enumerate(plan):
                if b < start:  # done before the checkpoint; iterated so that the source's draws repeat
                    sizes.append(len(batch[0]))
                    done += sizes[-1]
                    continue
                if lr_schedule is not None:
                    lr = lr_schedule(epoch + done / n_examples)
                    set_lr(optimizer, lr)
                loss = step(model, optimizer, batch)
                if not math.isfinite(loss):
                    where = f"epoch {epoch + 1}, batch {b + 1} of {len(plan)}"
                    raise DivergedError(
                        f"the loss became {loss} at step {len(history.step_loss) + 1} ({where}); "
                        + _last_good(path, saved)
                    )
                history.step_loss.append(loss)
                sizes.append(len(batch[0]))
                done += sizes[-1]
                reporter.step(loss)
                mid_epoch = b + 1 < len(plan)  # the epoch's end has its own checkpoint below
                if path and checkpoint_every and len(history.step_loss) % checkpoint_every == 0 and mid_epoch:
                    save(epoch, b + 1)
            start = 0
            extra = dict(getattr(plan, "record", None) or {}) | ({"lr": lr} if lr is not None else {})
            metrics = extra | dict(evaluate(model) if evaluate else {})
            history.epochs.append(epoch_record(epoch, history.step_loss[-len(sizes) :], sizes, metrics))
            history.seconds.append(time.perf_counter() - started)
            reporter.epoch_done(history.epochs[-1])
            if path:
                save(epoch + 1, 0)
    finally:
        if reporter is not None:
            reporter.close()
    return history


def _check_settings(epochs, checkpoint_every):
    if int(epochs) != epochs or epochs < 0:
        raise InputError(f"epochs must be an integer >= 0; got {epochs!r}")
    if checkpoint_every is not None and (int(checkpoint_every) != checkpoint_every or checkpoint_every < 1):
        raise InputError(f"checkpoint_every must be a positive number of steps; got {checkpoint_every!r}")


def epoch_record(epoch, losses, sizes, metrics=None):
    """The record of finished ``epoch`` (0-based) from its batches' mean ``losses`` and ``sizes``:
    the mean loss over examples, the summed loss (float64), the number of examples, and ``metrics``."""
    sizes = np.array(sizes, dtype=np.float64)
    loss_sum = float(np.array(losses, dtype=np.float64) @ sizes)
    record = {"epoch": epoch + 1, "loss": float(loss_sum / sizes.sum()), "loss_sum": loss_sum}
    record["examples"] = int(sizes.sum())
    for name, value in dict(metrics or {}).items():
        record[name] = value if isinstance(value, int) else float(value)
    return record


def _check_finite_parameters(model, step, path):
    for name, value in model.parameters().items():
        if not np.isfinite(value).all():
            raise DivergedError(
                f"parameter {name} holds NaN/inf after step {step}; not writing checkpoint {path}, "
                "which keeps the last good state"
            )


def _last_good(path, saved):
    if path is None:
        return "training stopped (no checkpoint was configured)"
    if saved["step"] is None:
        return f"training stopped before the first checkpoint; {path} was not written"
    return f"training stopped; the last good checkpoint {path} (after step {saved['step']}) is intact"


# -- checkpoints ---------------------------------------------------------------------------------


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


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """A tqdm bar on a terminal, one line per epoch otherwise (a bar in a log file is a wall of
    carriage returns). Shared by the NumPy and the torch loops."""

    HIDDEN = ("epoch", "loss_sum", "examples")  # in the record, too much for a progress line

    def __init__(self, mode, desc, epochs, steps_per_epoch, done=0, stream=None):
        if mode not in ("auto", "bar", "lines", "off", True, False, None):
            raise ValueError(f"progress must be 'auto', 'bar', 'lines' or 'off'; got {mode!r}")
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
