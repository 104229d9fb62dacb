"""The known learner bugs as a product feature: each one a patch of ``numpy_impl`` (an operation,
a registry entry, a model method) that turns a correct model into one with that bug, and
equivalent rewrites that must still pass. Course authors run them against a correct
implementation to prove that their checks bite (``paritynets-mutate``,
``torch_impl.parity.run_mutants``); the test suite activates one for a whole session with
``PARITYNETS_MUTANT=<name>``. Torch-free, like the rest of the checker's core.

    with activate("relu_mask_missing"):
        ...  # every NumPy model built from ops.relu now has that bug

    mutant.py      what a mutant is (the bug, its patches, the models it reaches, its cause)
    patching.py    swapping patches in and back
    ops_bugs.py    the shared operations rebuilt with one knob turned
    classifier.py autoencoder.py skipgram.py    the catalogues
"""

from contextlib import contextmanager

from .autoencoder import AUTOENCODER_MUTANTS
from .classifier import MUTANTS
from .mutant import MODELS, Mutant
from .patching import patched
from .skipgram import SKIPGRAM_MUTANTS

ALL = [*MUTANTS, *AUTOENCODER_MUTANTS, *SKIPGRAM_MUTANTS]
BY_NAME = {m.name: m for m in ALL}


def for_model(model):
    """The mutants whose patches reach ``model`` ("linear", "mlp", "autoencoder" or "skipgram")."""
    return [m for m in ALL if model in m.models]


@contextmanager
def activate(name):
    """Swap in mutant ``name`` for the duration of the block; the originals always come back."""
    if name not in BY_NAME:
        raise KeyError(f"unknown mutant {name!r}; known: {', '.join(BY_NAME)}")
    with patched(BY_NAME[name].patches()):
        yield BY_NAME[name]


__all__ = [
    "ALL",
    "AUTOENCODER_MUTANTS",
    "BY_NAME",
    "MODELS",
    "MUTANTS",
    "SKIPGRAM_MUTANTS",
    "Mutant",
    "activate",
    "for_model",
]
