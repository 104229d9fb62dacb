"""Benchmarks: every twin beside its peers and beside the machine's own limit, as ratios measured
side by side in one run (``python -m scripts.bench``, ``paritynets-bench``)."""
