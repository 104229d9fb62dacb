"""``paritynets-bench`` (``python -m scripts.bench``): every row of the benchmark in one run, on one
thread; prints the tables, writes ``bench.json`` and the growth curves' PNGs into ``--out``, and with
``--readme`` rewrites the README's performance section with the tables and this command.

Rows, in order: a. seconds per epoch and peak memory of the NumPy twin, the torch twin and the
Lightning path per model (float32, batches 64 and 256, MNIST's 8,000 training rows); b. the linear
model and the MLP against scikit-learn; c. skip-gram against gensim (1 and 2 workers); d. the full
parity check's time; e. the machine's float32 matmul rate and the NumPy MLP step's share of it;
f. growth curves (rows, hidden width, batch size, vocabulary, DDP 1 vs 2 ranks); g. the GPU (a CUDA
machine only). A row that cannot be measured says why; the others still run.
"""

import argparse
import importlib
import shlex
import sys
import time
from pathlib import Path

from .threads import ensure_one_thread

ROOT = Path(__file__).resolve().parents[2]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="paritynets-bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench", help="folder for bench.json and the plots (bench/)")
    parser.add_argument(
        "--mnist",
        help="MNIST IDX folder, which must hold the images (default: $PARITYNETS_MNIST, else "
        "../shared/data/mnist; without IDX files there, the digits upsampled to 28 x 28 stand in)",
    )
    parser.add_argument("--repeats", type=int, help="timed rounds per figure, >= 5 (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: tiny sizes, 1 repeat; never writes the README"
    )
    parser.add_argument(
        "--readme", nargs="?", const=str(ROOT / "README.md"), help="rewrite this README's performance section"
    )
    parser.add_argument("--only", help="comma-separated row keys (a,b,...,g) to run; default all")
    return parser.parse_args(argv)


# row key -> (module, function), imported when the run starts (after the threads are pinned)
ROWS = {
    "a_per_model": ("per_model", "per_model"),
    "b_sklearn": ("baselines", "versus_sklearn"),
    "c_skipgram": ("rows", "skipgram_speed"),
    "d_parity": ("parity", "parity_time"),
    "e_machine": ("rows", "machine"),
    "f_growth": ("growth", "curves"),
    "g_gpu": ("rows", "gpu"),
}


def row_function(key):
    module, name = ROWS[key]
    return getattr(importlib.import_module(f"scripts.bench.{module}"), name)


def run(s, images, only=None):
    """{"rows": {key: row}} measured on ``images``; ``only`` picks rows by letter."""
    from torch_impl.threads import use_threads

    from .helpers import run_row

    use_threads(1)
    results = {"rows": {}}
    for key in ROWS:
        if only and key[0] not in only:
            continue
        started = time.perf_counter()
        results["rows"][key] = row = run_row(row_function(key), s, images)
        row["row_seconds"] = time.perf_counter() - started
        print(f"[bench] {key}: {row['status']} in {row['row_seconds']:.1f} s", file=sys.stderr, flush=True)
    return results


def check_arguments(args):
    """The run's ``Settings`` and the rows it picks, refusing bad options before anything is timed."""
    from numpy_impl.checks import InputError
    from numpy_impl.files import check_writable_directory
    from numpy_impl.idx import check_idx_directory

    from . import config, readme

    only = set(args.only.split(",")) if args.only else None
    if only and not only <= {key[0] for key in ROWS}:
        raise InputError(f"--only takes row letters a-g separated by commas; got {args.only!r}")
    if args.readme:
        if args.quick or only:
            raise InputError("--readme is refused with --quick or --only: the section holds a whole full run")
        path = Path(args.readme)
        if not path.is_file():
            raise InputError(f"--readme {path} is not a file")
        readme.replace_section(path.read_text(encoding="utf-8"), "", name=str(path))  # markers present?
    if args.mnist:  # a folder named must hold MNIST; only the default location falls back to the digits
        try:
            check_idx_directory(args.mnist)  # the headers, as a training run checks its data
        except InputError as error:
            raise InputError(f"--mnist: {error}") from None
    s = config.settings(args.out, args.mnist, args.quick, args.repeats)
    check_writable_directory(s.out, "--out")
    return s, only


def write_outputs(results, s, args):
    """bench.json, the plots and, with ``--readme``, the README's section; returns the tables."""
    from numpy_impl.files import write_json

    from . import plots, readme, report

    if "f_growth" in results["rows"]:
        results["plots"] = plots.plot_growth(results["rows"]["f_growth"], s.out)
    tables = report.tables(results)
    write_json(s.out / "bench.json", results, default=str)
    if args.readme:
        path = readme.rewrite(
            args.readme, readme.section(tables, results["meta"]["command"], results["meta"])
        )
        print(f"rewrote the performance section of {path}", file=sys.stderr)
    return tables


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    ensure_one_thread(argv)
    from numpy_impl.checks import InputError

    from . import meta
    from .data import load_images

    args = parse_args(argv)
    try:
        s, only = check_arguments(args)
        images = load_images(s.mnist, s.rows)  # read (and checked) before anything is timed
    except InputError as error:
        print(f"paritynets-bench: error: {error}", file=sys.stderr)
        return 2
    from numpy_impl.stopping import Stopped, signal_name, stop_on_signals

    try:
        with stop_on_signals():
            results = run(s, images, only)
    except Stopped as stop:  # bench.json, the plots and the README are written after a whole run only
        print(f"paritynets-bench: stopped by {signal_name(stop.signum)}; nothing written", file=sys.stderr)
        return stop.code
    command = " ".join(["paritynets-bench", shlex.join(argv)]).strip()
    results = {"meta": meta.environment(command, images.source), **results}
    print(write_outputs(results, s, args))
    return 0
