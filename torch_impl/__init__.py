"""The torch twins of ``numpy_impl``'s models: same names, shapes and initial values; gradients
from autograd. Lightning lives in ``torch_impl.lightning`` so plain use never imports it."""

from .autoencoder import Autoencoder
from .bridge import (
    load_numpy_state_dict,
    load_state_dict,
    save_state_dict,
    to_numpy_state_dict,
    to_torch_state_dict,
)
from .linear import LinearClassifier
from .mlp import MLP
from .skipgram import SkipGram

__all__ = [
    "MLP",
    "Autoencoder",
    "LinearClassifier",
    "SkipGram",
    "load_numpy_state_dict",
    "load_state_dict",
    "save_state_dict",
    "to_numpy_state_dict",
    "to_torch_state_dict",
]
