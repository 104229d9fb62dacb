"""Benchmarks: each engine beside its peers, measured as ratios side by side in one run."""
