"""Medians of timings taken side by side: every function is called in turn, round after round, so a
load on the shared machine falls on all of them alike; round 0 is the warm-up and is not kept."""

import statistics
import time


def side_by_side(functions, repeats=5, warmup=1):
    """({name: median seconds of ``functions[name]()`` over ``repeats`` interleaved rounds after
    ``warmup`` rounds}, {name: what its last call returned})."""
    seconds = {name: [] for name in functions}
    results = {}
    for round_ in range(warmup + repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function()
            elapsed = time.perf_counter() - started
            if round_ >= warmup:
                seconds[name].append(elapsed)
    return {name: statistics.median(values) for name, values in seconds.items()}, results
