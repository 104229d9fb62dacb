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
import json
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
        "--mnist", help="MNIST IDX folder (default: $PARITYNETS_MNIST, else ../shared/data/mnist)"
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


def row_table():
    from . import baselines, growth, parity, rows

    return {
        "a_per_model": rows.per_model,
        "b_sklearn": baselines.versus_sklearn,
        "c_skipgram": rows.skipgram_speed,
        "d_parity": parity.parity_time,
        "e_machine": rows.machine,
        "f_growth": growth.curves,
        "g_gpu": rows.gpu,
    }


def run(s, only=None):
    """{"meta": ..., "rows": {key: row}}; ``only`` picks rows by letter."""
    from .data import load_images
    from .helpers import run_row
    from .threads import torch_one_thread

    torch_one_thread()
    images = load_images(s.mnist, s.rows)
    results = {"rows": {}}
    for key, function in row_table().items():
        if only and key[0] not in only:
            continue
        started = time.perf_counter()
        results["rows"][key] = row = run_row(function, s, images)
        row["row_seconds"] = time.perf_counter() - started
        print(f"[bench] {key}: {row['status']} in {row['row_seconds']:.1f} s", file=sys.stderr, flush=True)
    return results, images


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    ensure_one_thread(argv)
    from numpy_impl.checks import InputError
    from numpy_impl.files import check_writable_directory

    from . import config, meta, plots, readme, report

    args = parse_args(argv)
    try:
        if args.quick and args.readme:
            raise InputError("--readme is refused with --quick: a smoke run's figures mean nothing")
        s = config.settings(args.out, args.mnist, args.quick, args.repeats)
        check_writable_directory(s.out, "--out")
        only = set(args.only.split(",")) if args.only else None
        results, images = run(s, only)
    except InputError as error:
        print(f"paritynets-bench: error: {error}", file=sys.stderr)
        return 2
    command = "paritynets-bench " + shlex.join(argv) if argv else "paritynets-bench"
    results = {"meta": meta.environment(command.strip(), images.source), **results}
    if "f_growth" in results["rows"]:
        results["plots"] = plots.plot_growth(results["rows"]["f_growth"], s.out)
    tables = report.tables(results)
    (s.out / "bench.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(tables)
    if args.readme:
        path = readme.rewrite(
            args.readme, readme.section(tables, results["meta"]["command"], results["meta"])
        )
        print(f"rewrote the performance section of {path}", file=sys.stderr)
    return 0
