"""The suite's name for the mutant catalogue, ``numpy_impl.gradcheck.mutants`` (the known learner
bugs moved into the package because users run them too: ``paritynets-mutate`` proves a course's
checks bite). ``PARITYNETS_MUTANT=<name>`` makes ``conftest.py`` activate one for a whole session."""

from numpy_impl.gradcheck.mutants import (  # noqa: F401
    ALL,
    AUTOENCODER_MUTANTS,
    BY_NAME,
    MUTANTS,
    SKIPGRAM_MUTANTS,
    Mutant,
    activate,
    for_model,
)
