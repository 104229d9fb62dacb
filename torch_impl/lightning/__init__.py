"""Training the torch twins with Lightning: systems (a twin inside a ``LightningModule``), data
modules over the shared loaders, the loop's batch order as a stateful sampler, the parity gate,
atomic checkpoints and the export back to NumPy. Imported on its own (``import torch_impl`` never
imports Lightning, which takes seconds to load)."""

from .autoencoder import AutoencoderSystem
from .checkpoint_io import AtomicCheckpointIO
from .classifier import ClassifierSystem
from .data import ArrayData, DigitsData, MnistIdxData, OpenMLMnistData, TextData
from .gate import ParityGate, ParityGateError, check_system
from .progress import EpochLines
from .sampling import ArrayBatches, EpochSampler, ResumableLoader, SkipGramBatches
from .skipgram import SkipGramSystem
from .system import TWINS, TwinSystem

__all__ = [
    "TWINS",
    "ArrayBatches",
    "ArrayData",
    "AtomicCheckpointIO",
    "AutoencoderSystem",
    "ClassifierSystem",
    "DigitsData",
    "EpochLines",
    "EpochSampler",
    "MnistIdxData",
    "OpenMLMnistData",
    "ParityGate",
    "ParityGateError",
    "ResumableLoader",
    "SkipGramBatches",
    "SkipGramSystem",
    "TextData",
    "TwinSystem",
    "check_system",
]
