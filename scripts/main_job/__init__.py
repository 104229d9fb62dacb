"""The main job (the README's first command): every model trained from one seed in NumPy and in
torch on the same batches, with accuracy tables, parity figures and plots.

``cli.py`` reads the options into a ``config.RunConfig`` and runs the sections of its table
``SECTIONS``; a section (``classifiers.py``, ``autoencoder.py``, ``skipgram.py``) is one function
``run_<section>(config) -> config.SectionResult``, its module imported only when it runs.
``config.py`` also holds the one table of reference settings; ``twins.py`` trains a NumPy model and
its torch twin on the same batches and compares them; ``data.py`` gives the sections the same
train/test split; ``baselines.py`` the classifiers' reference rows; ``plots.py`` the figures.
"""
