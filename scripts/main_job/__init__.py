"""The main job (the README's first command): every model trained from one seed in NumPy and in
torch on the same batches, with accuracy tables, parity figures and plots.

``cli.py`` is the orchestrator; each section (``classifiers.py``, ``autoencoder.py``, ``skipgram.py``)
is a module with one ``run_<section>(out_dir, seed, epochs, ...) -> dict`` imported only when selected.
``data.py`` gives the sections the same train/test split; ``plots.py`` the figures.
"""
