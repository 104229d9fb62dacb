"""The training loop's older home, kept so that ``from numpy_impl.train import fit`` and the other
names keep working; they live in ``numpy_impl.training`` now."""

from .training import *  # noqa: F403 (every public name of the package, as before)
from .training import __all__  # noqa: F401
