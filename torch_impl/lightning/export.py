"""Back to NumPy: a Lightning checkpoint's twin as a safetensors file the NumPy twin loads.

    paritynets-train export runs/mlp/version_0/checkpoints/last.ckpt   # -> .../last.safetensors

The file holds the twin's state dict (the keys both engines share, in the checkpoint's dtype) and,
as metadata, the twin's class and constructor arguments (and a skip-gram model's vocabulary), so
that NumPy alone rebuilds the model:

    import json, numpy_impl
    from safetensors import safe_open

    meta = safe_open(path, "np").metadata()
    model = getattr(numpy_impl, meta["model"])(**json.loads(meta["args"]))
    model.load_state_dict(numpy_impl.load_safetensors(path))
    words = json.loads(meta["vocabulary"])  # skip-gram only
"""

import importlib
import json
from pathlib import Path

from numpy_impl.checks import InputError, MissingFileError

from ..bridge import save_state_dict
from .guard import read_checkpoint

SYSTEMS = ("ClassifierSystem", "AutoencoderSystem", "SkipGramSystem")  # what a class path may name


def load_system(checkpoint, system_class=None):
    """The system a checkpoint holds, on the CPU: its class is the one the CLI recorded in its
    hyperparameters (``_class_path``), else ``system_class``."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise MissingFileError(f"no checkpoint at {checkpoint}")
    hparams = read_checkpoint(checkpoint, "checkpoint")["hyper_parameters"]
    if system_class is None:
        path = hparams.get("_class_path")
        if path is None:
            raise InputError(f"{checkpoint} does not name its system class; pass system_class=")
        if path.rpartition(".")[2] not in SYSTEMS:
            raise InputError(
                f"{checkpoint} names the system {path}, which is not one of {', '.join(SYSTEMS)}"
            )
        system_class = getattr(importlib.import_module("torch_impl.lightning"), path.rpartition(".")[2])
    return system_class.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)


def export_checkpoint(checkpoint, out=None, *, system_class=None):
    """Write the twin of ``checkpoint`` to ``out`` (default: beside it, ``.safetensors``); the path."""
    system = load_system(checkpoint, system_class)
    name, args = system.twin_spec()
    args = {**args, "seed": system.hparams.seed, "dtype": system.hparams.dtype}
    if name == "SkipGram":
        args["sparse"] = False  # NumPy's dense gradients; the weights are the same either way
    metadata = {"model": name, "args": json.dumps(_plain(args)), "checkpoint": str(checkpoint)}
    if getattr(system, "vocabulary", None) is not None:
        metadata["vocabulary"] = json.dumps(system.vocabulary)
    out = Path(out) if out is not None else Path(checkpoint).with_suffix(".safetensors")
    save_state_dict(system.model.state_dict(), out, metadata=metadata)
    return out


def _plain(args):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}
