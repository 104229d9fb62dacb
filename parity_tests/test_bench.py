"""The benchmark command (``scripts.bench``): a ``--quick`` run end to end, the README section writer,
the tables, the lazy look-up of the rows' functions. No figure is held to a bound here: timings on a
shared machine are the benchmark's output, not the suite's."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numpy_impl.checks import InputError
from scripts.bench import config, data, helpers, per_model, plots, readme, report

ROOT = Path(__file__).resolve().parents[1]
ROWS = ["a_per_model", "b_sklearn", "c_skipgram", "d_parity", "e_machine", "f_growth", "g_gpu"]
PNG = b"\x89PNG\r\n\x1a\n"


def python_path():
    return os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])


def bench(*args, env=None, timeout=300):
    environ = {**os.environ, "PYTHONPATH": python_path(), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scripts.bench", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    readme_before = (ROOT / "README.md").read_bytes()
    # a caller's thread setting is overridden: the benchmark is defined on one thread
    done = bench("--quick", "--out", str(out), env={"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"})
    assert done.returncode == 0, done.stderr
    return out, done, json.loads((out / "bench.json").read_text()), readme_before


def test_quick_run_has_every_row_in_order_with_a_status(quick_run):
    _, _, results, _ = quick_run
    assert list(results["rows"]) == ROWS
    for key, row in results["rows"].items():
        assert row["status"] in ("ok", "not available", "skipped"), (key, row.get("traceback"))
        if row["status"] != "ok":
            assert row["reason"].startswith(row["status"]), (key, row["reason"])
    # no figure of a row failed either (a helper's signature changed, a CLI refused its options...)
    text = json.dumps({key: row for key, row in results["rows"].items()})
    assert '"failed: ' not in text, text


def test_quick_run_records_how_it_was_measured(quick_run):
    _, done, results, _ = quick_run
    meta = results["meta"]
    assert meta["command"] == "paritynets-bench --quick --out " + meta["command"].split()[-1]
    assert {meta["threads"][v] for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")} == {
        "1"
    }
    assert meta["threads"]["torch"] == 1
    assert all(pool["threads"] == 1 for pool in meta["threads"].get("blas", []))
    assert meta["versions"]["numpy"] == np.__version__ and meta["versions"]["torch"]
    assert meta["cpu"] and meta["date"][:4].isdigit() and meta["data"]
    for title in report.TITLES.values():
        assert title in done.stdout


def test_quick_run_measures_the_rows_of_its_own(quick_run):
    """Parity timing, the scikit-learn baselines and peak memory need no other helper's module."""
    _, _, results, _ = quick_run
    rows = results["rows"]
    parity = rows["d_parity"]
    assert parity["status"] == "ok" and parity["all_passed"]
    assert set(parity["seconds"]) == {"linear", "mlp", "autoencoder", "skipgram"}
    assert parity["total_s"] == pytest.approx(sum(parity["seconds"].values()))
    baselines = rows["b_sklearn"]
    assert [r["model"] for r in baselines["records"]] == ["linear", "mlp"]
    for r in baselines["records"]:
        assert 0.0 <= r["numpy_accuracy"] <= 1.0 and 0.0 <= r["sklearn_accuracy"] <= 1.0
        assert r["numpy_over_sklearn"] == pytest.approx(r["numpy_s"] / r["sklearn_s"])
    memory = rows["a_per_model"]["records"][0]["memory"]
    assert set(memory) == {"numpy", "torch"}  # --quick: the first model at the first batch
    for engine, figures in memory.items():
        if "reason" in figures:  # its epoch is the loop's, from the NumPy-performance module
            assert figures["reason"] == "not available: scripts.bench.epochs missing", engine
        else:
            assert figures["method"] == "VmHWM after reset"
            assert 0 <= figures["added_mb"] <= figures["peak_mb"]
    if "peak_mb" in memory["numpy"]:
        # a NumPy-only process stays far below one that imported torch (an inherited high-water
        # mark would give both the benchmark's own peak)
        assert memory["numpy"]["peak_mb"] < memory["torch"]["peak_mb"]


PEAK = """
import numpy as np
from scripts.bench import memory
start, method = memory.reset_peak()
a = np.ones(100 * 2**20 // 8)
del a
print(start, memory.peak_kb(method), method)
"""


def test_peak_memory_is_the_fresh_process_own():
    """After the reset the peak is what the process itself allocated since, however large the
    parent's peak (a subprocess inherits its parent's ru_maxrss through vfork and exec)."""
    ballast = np.ones(400 * 2**20 // 8)  # the parent's high-water mark: at least 400 MB
    environ = {**os.environ, "PYTHONPATH": python_path()}
    done = subprocess.run([sys.executable, "-c", PEAK], cwd=ROOT, env=environ, capture_output=True, text=True)
    del ballast
    assert done.returncode == 0, done.stderr
    start, peak, method = done.stdout.split(maxsplit=2)
    assert method.strip() == "VmHWM after reset"
    added_mb, peak_mb = (int(peak) - int(start)) / 1024, int(peak) / 1024
    assert 95 <= added_mb <= 110  # the 100 MB array, not the 400 MB of the parent
    assert peak_mb < 300


def test_quick_run_plots_are_png_and_leave_the_readme_alone(quick_run):
    out, _, results, readme_before = quick_run
    curves = results["rows"]["f_growth"].get("curves", {})
    expected = {name for name, curve in curves.items() if "series" in curve}
    assert set(results["plots"]) == expected
    for path in results["plots"].values():
        assert Path(path).parent == out and Path(path).read_bytes()[:8] == PNG
    assert (ROOT / "README.md").read_bytes() == readme_before


def test_plots_are_valid_png(tmp_path):
    import matplotlib.image

    curve = {
        "x": [1, 2, 4],
        "label": "rows",
        "unit": "s/epoch",
        "series": {"numpy": [1, 2, 4], "torch": [2, 3, 5]},
    }
    row = {"status": "ok", "curves": {"rows": curve, "ddp": {"reason": "not available: x missing"}}}
    paths = plots.plot_growth(row, tmp_path)
    assert list(paths) == ["rows"]
    assert Path(paths["rows"]).read_bytes()[:8] == PNG
    assert matplotlib.image.imread(paths["rows"]).shape[2] in (3, 4)
    assert plots.plot_growth({"status": "not available", "reason": "..."}, tmp_path) == {}


REEXEC = """
import sys
import numpy  # loaded before the benchmark, with the caller's thread settings
from scripts.bench.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_caller_that_loaded_numpy_first_gets_a_one_thread_run(tmp_path):
    """NumPy's BLAS reads its thread count once: main() re-executes itself with the variables pinned."""
    environ = {**os.environ, "PYTHONPATH": python_path(), "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    command = [sys.executable, "-c", REEXEC, "--quick", "--only", "g", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "bench.json").read_text())
    assert list(results["rows"]) == ["g_gpu"]
    threads = results["meta"]["threads"]
    assert threads["OPENBLAS_NUM_THREADS"] == threads["OMP_NUM_THREADS"] == "1"
    assert all(pool["threads"] == 1 for pool in threads.get("blas", []))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quick", "--readme"], "--readme is refused with --quick or --only"),
        (["--readme", "{bare}"], "must hold exactly one <!-- bench:start -->"),
        (["--readme", "{missing}"], "is not a file"),
        (["--only", "a,z"], "--only takes row letters a-g"),
        (["--repeats", "3"], "repeats must be an integer >= 5"),
        (["--mnist", "{missing}"], "--mnist: no MNIST directory at"),
        (["--mnist", "{empty}"], "holds no '*-idx3-ubyte[.gz]' image file"),
        (["--mnist", "{unlabelled}"], "--mnist: no label file 't10k-labels-idx1-ubyte[.gz]' beside"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(tmp_path, args, message):
    (tmp_path / "bare.md").write_text("no markers\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "unlabelled").mkdir()
    (tmp_path / "unlabelled" / "t10k-images-idx3-ubyte").write_bytes(b"not IDX")
    names = {"bare": tmp_path / "bare.md", "missing": tmp_path / "missing.md"}
    names |= {"empty": tmp_path / "empty", "unlabelled": tmp_path / "unlabelled"}
    done = bench(*(a.format(**names) for a in args), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert message in done.stderr and "[bench]" not in done.stderr  # no row started
    assert not (tmp_path / "out" / "bench.json").exists()
    assert (tmp_path / "bare.md").read_text() == "no markers\n"


def test_sigterm_stops_the_whole_run_and_writes_nothing(tmp_path):
    """A signal between rows or inside one (where a Lightning fit turns it into a clean stop)
    ends the benchmark with 143 and one line; before, a fit's clean stop was one failed figure
    and the run went on to write a README with it."""
    environ = {**os.environ, "PYTHONPATH": python_path()}
    command = [sys.executable, "-m", "scripts.bench", "--quick", "--out", str(tmp_path / "out")]
    with subprocess.Popen(command, cwd=ROOT, env=environ, stderr=subprocess.PIPE, text=True) as run:
        for line in run.stderr:  # the first row done: the run is under way
            if line.startswith("[bench] a_per_model"):
                break
        run.send_signal(signal.SIGTERM)
        rest = run.stderr.read()
        assert run.wait(timeout=120) == 128 + signal.SIGTERM
    assert "paritynets-bench: stopped by SIGTERM; nothing written" in rest
    assert "[bench] g_gpu" not in rest and not (tmp_path / "out" / "bench.json").exists()


def test_a_clean_stop_inside_a_row_stops_the_run_other_exits_fail_the_figure():
    from numpy_impl.stopping import Stopped

    def stopped(*_):
        raise Stopped(signal.SIGTERM, "stopped by SIGTERM after step 3; last.ckpt holds it")

    def exits(*_):
        raise SystemExit(2)

    for run in (helpers.run_row, helpers.attempt):
        with pytest.raises(Stopped):
            run(stopped)
    assert helpers.run_row(exits)["status"] == "failed" and helpers.attempt(exits) == (
        None,
        "failed: SystemExit: 2",
    )


TEXT = "# title\n\nbefore\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nafter\n"


def test_section_writer_replaces_exactly_the_marked_region():
    new = readme.replace_section(TEXT, "| new | table |\n")
    head, tail = TEXT.split("old table\n")
    assert new == head + "| new | table |\n" + tail
    assert readme.replace_section(new, "| new | table |") == new  # regenerating is idempotent


@pytest.mark.parametrize(
    "text, found",
    [
        ("# no markers\n", "found 0 start and 0 end"),
        (TEXT + readme.START + "\n", "found 2 start and 1 end"),
        ("a\n<!-- bench:end -->\nb\n<!-- bench:start -->\n", "in the wrong order"),
    ],
)
def test_section_writer_refuses_a_readme_without_one_pair_of_markers(text, found):
    with pytest.raises(InputError, match="must hold exactly one <!-- bench:start -->") as caught:
        readme.replace_section(text, "x", name="docs/README.md")
    assert found in str(caught.value) and "docs/README.md" in str(caught.value)


def test_rewrite_changes_the_file_in_place(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(TEXT)
    readme.rewrite(path, "fresh")
    assert path.read_text() == TEXT.replace("old table", "fresh")
    (tmp_path / "bare.md").write_text("nothing\n")
    with pytest.raises(InputError, match="bare.md"):
        readme.rewrite(tmp_path / "bare.md", "fresh")
    assert (tmp_path / "bare.md").read_text() == "nothing\n"


def test_the_repository_readme_has_the_markers_once():
    text = (ROOT / "README.md").read_text()
    assert readme.replace_section(text, "x").count(readme.START) == 1


def test_markdown_tables_pad_columns_and_format_numbers():
    table = report.markdown(
        ["model", "s"], [["mlp", report.number(0.123456, " s")], ["a", report.number(12345.6)]]
    )
    lines = table.splitlines()
    assert lines == [
        "| model | s       |",
        "|-------|---------|",
        "| mlp   | 0.123 s |",
        "| a     | 12,346  |",
    ]
    assert report.number(None) == "—"


def test_tables_say_why_a_row_is_missing_once():
    results = {
        "rows": {
            "c_skipgram": {
                "status": "not available",
                "reason": "not available: scripts.bench.skipgram missing",
            },
            "g_gpu": {"status": "skipped", "reason": "skipped: no CUDA device here"},
            "e_machine": {"status": "failed", "reason": "TypeError: boom"},
        }
    }
    text = report.tables(results)
    assert "\n\nnot available: scripts.bench.skipgram missing" in text
    assert "not available: not available" not in text
    assert "\n\nskipped: no CUDA device here" in text and "\n\nfailed: TypeError: boom" in text


def test_the_per_model_table_names_lightnings_own_part_of_the_ratio():
    """The loss-only module's ratio to the loop is printed beside the system's, for the rows that
    measured it, in the same list as the reasons for blank figures."""
    mlp = {"model": "mlp", "batch": 256, "reasons": {}, "memory": {"reason": "not measured"}}
    mlp |= {"lightning_s": 0.06, "loop_s": 0.05, "loss_only_s": 0.055}
    linear = {"model": "linear", "batch": 256, "reasons": {"lightning": "MLP only"}, "memory": {}}
    records = [per_model._ratios(mlp), per_model._ratios(linear | {"numpy_s": 1.0, "torch_s": 2.0})]
    text = report.per_model({"records": records})
    lines = text.split("\n\n")[1].splitlines()
    assert lines == [
        "- memory: not measured",
        "- lightning: MLP only",
        "- Lightning's own part of Lightning/loop: a LightningModule whose step is only the twin's loss "
        "(every other hook Lightning's default) takes 1.1× (mlp, batch 256) the loop's time on the same batches",
    ]
    assert "| 1.2×" in text  # the system's own ratio, in the table
    assert "Lightning's own" not in report.per_model({"records": records[1:]})


def test_a_missing_module_makes_its_row_not_available():
    with pytest.raises(helpers.Unavailable, match=r"^not available: scripts\.bench\.nowhere missing$"):
        helpers.helper("scripts.bench.nowhere", "f")
    with pytest.raises(helpers.Unavailable, match="scripts.bench.report has no nothing_here"):
        helpers.helper("scripts.bench.report", "nothing_here")

    def missing(*_):
        return {"x": helpers.helper("scripts.bench.nowhere", "f")}

    assert helpers.run_row(missing) == {
        "status": "not available",
        "reason": "not available: scripts.bench.nowhere missing",
    }
    broken = helpers.run_row(lambda: {"x": 1 / 0})
    assert broken["status"] == "failed" and broken["reason"].startswith("ZeroDivisionError")


def test_a_helper_that_exits_fails_its_figure_not_the_run():
    """A command line inside a helper (LightningCLI on a bad option) calls sys.exit."""

    def exits():
        raise SystemExit(2)

    assert helpers.run_row(exits)["reason"] == "SystemExit: 2"
    assert helpers.attempt(exits) == (None, "failed: SystemExit: 2")
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C still stops the benchmark
        helpers.attempt(lambda: (_ for _ in ()).throw(KeyboardInterrupt))


def test_an_import_error_inside_an_existing_module_is_not_masked(tmp_path, monkeypatch):
    (tmp_path / "bench_broken_helper.py").write_text("import no_such_dependency_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_here"):
        helpers.helper("bench_broken_helper", "f")


def test_call_passes_only_the_options_a_function_takes():
    def f(a, *, repeats=5):
        return a, repeats

    assert helpers.call(f, 1, repeats=7, data="unused") == (1, 7)
    assert helpers.call(lambda a, **kw: (a, kw), 1, data=2) == (1, {"data": 2})


def test_a_full_run_times_every_figure_at_least_five_times():
    assert config.settings("out").repeats == 5 and config.settings("out", repeats=9).repeats == 9
    for bad in (4, 0, 5.0, True):
        with pytest.raises(InputError, match=r"repeats must be an integer >= 5"):
            config.settings("out", repeats=bad)
    assert config.settings("out", quick=True).repeats == 1


def test_digits_stand_in_has_mnist_shape(tmp_path):
    x = np.arange(2 * 64, dtype=float).reshape(2, 64)
    up = data.upsample(x)
    assert up.shape == (2, 784)
    images = up.reshape(2, 28, 28)
    assert images[0, 0, 0] == x[0, 0] and images[0, 27, 27] == x[0, 63]
    assert images[1, 4, 0] == x[1, 8]  # row 4 of 28 comes from row 1 of 8 (4 * 8 // 28)
    loaded = data.load_images(tmp_path, rows=3000)
    assert loaded.train[0].shape[1] == 784 and len(loaded.train[0]) >= 3000
    assert str(tmp_path) in loaded.source and "digits" in loaded.source


def test_tables_format_every_row():
    """Every row's table from figures shaped as the helpers return them (the GPU row included,
    which no CPU machine measures)."""
    engine = {"words_per_s": 250000.0, "x_gensim": 0.8, "wordsim353": 0.41, "simlex999": 0.15}
    setting = {"corpus": "head500", "epochs": 3, "dim": 100, "batch_size": 4096, "dtype": "float32"}
    curve = {"x": [1, 2], "label": "CPU ranks", "unit": "s/epoch", "series": {"mlp": [1.0, 0.6]}}
    results = {
        "rows": {
            "c_skipgram": {
                "status": "ok",
                "setting": setting,
                "engines": {"numpy": engine | {"analogy_accuracy": 0.05}},
            },
            "e_machine": {"status": "ok", "matmul_gflops": 150.0, "mlp_step_gflops": 105.0, "fraction": 0.7},
            "f_growth": {"status": "ok", "curves": {"ddp": curve | {"efficiency": {"mlp": 0.83}}}},
            "g_gpu": {
                "status": "ok",
                "devices": {"cuda": {"mlp": {"per_second": 2e6}}, "cpu": {"mlp": {"per_second": 5e4}}},
            },
        }
    }
    text = report.tables(results)
    assert "| numpy  | 250,000 | 0.8×                | 0.410      | 0.150     | 5.00 %    |" in text
    assert "head500, 3 epochs, d 100, batch 4096, float32" in text
    assert "| 150            | 105                    | 70 %" in text
    assert "- ddp (CPU ranks [1, 2], s/epoch): mlp 1, 0.6; efficiency mlp 0.83" in text
    assert "| mlp   | 2,000,000 | 50,000 | 40×        |" in text


@pytest.mark.parametrize(
    "module, args, message",
    [
        ("lightning", ["--epochs", "1"], "epochs must be an integer >= 2"),
        ("lightning", ["--rounds", "0"], "rounds must be an integer >= 1"),
        ("lightning", ["--mnist", "/nonexistent/mnist"], "no MNIST directory at /nonexistent/mnist"),
        ("skipgram", ["--engines", "numpy,fasttext"], "engine must be one of"),
        ("skipgram", ["--corpus", "/nonexistent.txt", "--engines", "numpy"], "no corpus file or directory"),
        ("epochs", ["--repeats", "0"], "repeats must be an integer >= 1"),
    ],
)
def test_the_stand_alone_benchmarks_refuse_bad_options_in_one_line(module, args, message):
    done = subprocess.run(
        [sys.executable, "-m", f"scripts.bench.{module}", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": python_path()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert f"python -m scripts.bench.{module}: error: {message}" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
