"""From-scratch models in NumPy: forward, loss and a hand-written backward pass.

Parameters carry torch's names and (out, in) layout, so a state dict moves between engines as is.
This package never imports torch.
"""

from .autoencoder import Autoencoder
from .checks import InputError
from .linear import LinearClassifier
from .mlp import MLP
from .skipgram import SkipGram
from .state import StateDictError, load_safetensors, save_safetensors

__all__ = [
    "MLP",
    "Autoencoder",
    "InputError",
    "LinearClassifier",
    "SkipGram",
    "StateDictError",
    "load_safetensors",
    "save_safetensors",
]
