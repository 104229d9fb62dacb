"""Medians of timings taken side by side: every function is called in turn, round after round, so a
load on the shared machine falls on all of them alike; round 0 is the warm-up and is not kept."""

import statistics
import time


def rounds(functions, repeats=5, warmup=1):
    """{name: what ``functions[name]()`` returned in each of ``repeats`` rounds}, the functions
    called in turn, round after round, after ``warmup`` rounds whose results are dropped."""
    kept = {name: [] for name in functions}
    for round_ in range(warmup + repeats):
        for name, function in functions.items():
            value = function()
            if round_ >= warmup:
                kept[name].append(value)
    return kept


def side_by_side(functions, repeats=5, warmup=1):
    """({name: median seconds of ``functions[name]()`` over ``repeats`` interleaved rounds after
    ``warmup`` rounds}, {name: what its last call returned})."""
    results = {}

    def timed(name, function):
        def call():
            started = time.perf_counter()
            results[name] = function()
            return time.perf_counter() - started

        return call

    seconds = rounds({name: timed(name, f) for name, f in functions.items()}, repeats, warmup)
    return {name: statistics.median(values) for name, values in seconds.items()}, results
