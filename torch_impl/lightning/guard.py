"""A checkpoint goes on only with its own run, and is evaluated only by its own kind of model.

Every checkpoint ``paritynets-train fit`` writes carries the run's key (``checkpoint["paritynets"]``):
the system's class and every hyperparameter, the data module's class and hyperparameters (but
``num_workers``, which changes no number), the trainer settings that change the numbers, the
global seed, and a fingerprint of the data (SHA-256 of the training and held-out arrays, or of
the encoded corpus and its vocabulary). ``fit --ckpt_path`` compares the new run's key with it
before anything is written or trained and refuses a difference, naming the key; ``validate`` /
``test`` / ``predict`` compare the system's class (its sizes are then the checkpoint's own, as
LightningCLI loads them). A file that is not a Lightning checkpoint is refused as such.

The system's part is compared on the parsed command line: LightningCLI would otherwise replace
the model's arguments with the checkpoint's without a word (``--model.init_args.lr 0.05`` with
``--ckpt_path`` would train on at the checkpoint's rate, another model's checkpoint would swap
the model).
"""

import torch
from lightning.pytorch.callbacks import Callback

from numpy_impl.checks import InputError
from numpy_impl.digest import array_digest
from numpy_impl.training.run_key import differing_key

KEY_FORMAT = "paritynets.lightning/1"
TRAINER_KEYS = ("precision", "accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm")
LEFT_OUT = ("_class_path", "_instantiator", "num_workers")
DEFERRED = ("system.vocab_size",)  # None in a config: taken from the data, whose fingerprint compares it


def read_checkpoint(path, name="--ckpt_path"):
    """A Lightning checkpoint as a dict (on the CPU, tensors only), or an InputError naming the file."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch's unpickling errors for a torn or foreign file
        raise InputError(
            f"{name} {path} is not a readable Lightning checkpoint: {type(err).__name__}: {err}"
        ) from None
    if not isinstance(checkpoint, dict) or not {"state_dict", "hyper_parameters"} <= set(checkpoint):
        raise InputError(
            f"{name} {path} is not a checkpoint written by paritynets-train (no state_dict and hyper_parameters)"
        )
    return checkpoint


def run_key(system, datamodule, trainer_options, seed):
    """The key of a run about to train ``system`` on ``datamodule`` (set up here)."""
    key = {"system": _class_path(system)}
    key |= {f"system.{k}": _plain(v) for k, v in system.hparams.items() if k not in LEFT_OUT}
    key["data"] = _class_path(datamodule)
    key |= {
        f"data.{k}": _plain(v) for k, v in getattr(datamodule, "hparams", {}).items() if k not in LEFT_OUT
    }
    key |= {f"trainer.{k}": _plain(trainer_options.get(k)) for k in TRAINER_KEYS}
    key["seed_everything"] = seed
    key["data.fingerprint"] = data_fingerprint(datamodule)
    return key


def check_resume(path, checkpoint, key):
    """Refuse to go on from ``checkpoint`` with a run whose key differs from the one it recorded."""
    recorded = checkpoint.get("paritynets")
    if not isinstance(recorded, dict) or recorded.get("format") != KEY_FORMAT:
        raise InputError(
            f"cannot resume from {path}: it does not record its run's hyperparameters and data "
            f"({KEY_FORMAT}; written by an older paritynets-train or by Lightning alone); start a new run"
        )
    written = dict(recorded["key"])
    current = {k: v for k, v in key.items() if not (k in DEFERRED and v is None)}
    difference = differing_key(
        {k: v for k, v in written.items() if k in current or k not in DEFERRED}, current
    )
    if difference:
        raise InputError(f"cannot resume from {path}: it was written with {difference}")


def check_model_config(path, checkpoint, model_config, *, resuming):
    """Refuse a checkpoint whose system differs from the one the command line asks for: resuming,
    in its class or any hyperparameter; evaluating, in its class (the data module was chosen for
    it; sizes and the rest are the checkpoint's own, which LightningCLI then takes). Done on the
    parsed arguments, before Lightning replaces them with the checkpoint's."""
    keys = None if resuming else ()
    written = _system_key(
        checkpoint["hyper_parameters"].get("_class_path", "(not recorded)"),
        checkpoint["hyper_parameters"],
        keys,
    )
    current = _system_key(model_config.get("class_path", ""), dict(model_config.get("init_args") or {}), keys)
    current = {k: v for k, v in current.items() if not (k in DEFERRED and v is None)}
    difference = differing_key(
        {k: v for k, v in written.items() if k in current or k not in DEFERRED}, current
    )
    if difference:
        what = f"cannot resume from {path}" if resuming else f"--ckpt_path {path} belongs to another model"
        raise InputError(f"{what}: it was written with {difference}")


def _system_key(class_path, hparams, keys):
    key = {"system": str(class_path).rsplit(".", 1)[-1]}
    return key | {
        f"system.{k}": _plain(v)
        for k, v in hparams.items()
        if k not in LEFT_OUT and (keys is None or k in keys)
    }


def data_fingerprint(datamodule):
    """SHA-256 of the data a module serves, or None for a module of a kind not known here."""
    if hasattr(datamodule, "skipgram_data"):
        key = datamodule.skipgram_data.run_key()
        return f"{key['corpus']}:{key['vocabulary_words']}"
    if hasattr(datamodule, "train_arrays"):
        datamodule.setup("fit")
        return array_digest([*datamodule.train_arrays, *datamodule.test_arrays])
    return None


class RecordRunKey(Callback):
    """Writes the run's key into every checkpoint of the run."""

    def __init__(self, key):
        self.key = key

    def on_save_checkpoint(self, trainer, pl_module, checkpoint):
        checkpoint["paritynets"] = {"format": KEY_FORMAT, "key": self.key}


def _class_path(obj):
    """The object's class name (a class path names it by its package or by its module)."""
    return type(obj).__name__


def _plain(value):
    """JSON-like values: tuples as lists (a checkpoint gives lists back)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value
