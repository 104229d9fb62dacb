"""``paritynets-train`` (``scripts/train.py``, LightningCLI) as a user runs it, in process: every
config parses, each model's config fits and writes a run, a re-run and a resume go where they
should, a checkpoint alone is enough to evaluate (its config is found, its hyperparameters win),
the gate stops a broken twin with its report, and the export gives NumPy the test metrics.
Lightning's reported pitfalls are tested here rather than assumed fixed."""

import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import torch
import yaml

import numpy_impl
from numpy_impl.data import load_digits, shuffle_split
from scripts.evaluate_numpy import evaluate_exported, load_exported
from scripts.train import main
from torch_impl.lightning.cli import TrainCLI

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def fit(root, config="mlp", *extra):
    return main(
        [
            "fit",
            "--config",
            str(ROOT / "configs" / f"{config}.yaml"),
            "--trainer.default_root_dir",
            str(root),
            *extra,
        ]
    )


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def epoch_rows(path, key):
    return [row for row in rows(path) if row.get(key)]


def test_the_configs_are_the_four_models_and_the_mnist_runs():
    stems = [p.stem for p in CONFIGS]
    assert stems == ["autoencoder", "linear", "mlp", "mlp_mnist", "mlp_mnist70k", "skipgram"]


@pytest.mark.parametrize("config", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_parses_into_its_system_and_data(config, tmp_path):
    cli = TrainCLI(args=["--config", str(config), "--trainer.default_root_dir", str(tmp_path)], run=False)
    expected = {"mlp": "MLP", "mlp_mnist": "MLP", "mlp_mnist70k": "MLP", "linear": "LinearClassifier"}
    expected["autoencoder"] = "Autoencoder"
    expected["skipgram"] = None  # sized from the data's vocabulary when the run starts
    assert (type(cli.model.model).__name__ if cli.model.model is not None else None) == expected[config.stem]
    assert cli.trainer.max_epochs >= 10 and cli.config.parity_gate is True
    assert [type(logger).__name__ for logger in cli.trainer.loggers] == ["CSVLogger"]  # no TensorBoard here
    assert type(cli.trainer.strategy.checkpoint_io).__name__ == "AtomicCheckpointIO"
    assert not list(tmp_path.iterdir())  # parsing writes nothing


def test_print_config_dumps_the_resolved_experiment(capsys):
    with pytest.raises(SystemExit) as done:
        main(["fit", "--config", str(ROOT / "configs/mlp.yaml"), "--print_config"])
    assert done.value.code == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["model"]["class_path"] == "torch_impl.lightning.ClassifierSystem"
    assert config["model"]["init_args"]["sizes"] == [64, 128, 10] and config["parity_gate"] is True
    assert config["trainer"]["accelerator"] == "auto" and config["data"]["init_args"]["split_seed"] == 42


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    """One fit of configs/mlp.yaml (2 epochs, last.ckpt every 10 steps) and what it printed."""
    root = tmp_path_factory.mktemp("runs")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # capsys is per test; this output is the module's
        status = fit(root, "mlp", "--trainer.max_epochs", "2", "--checkpoint_every", "10")
    assert status == 0
    return root, out.getvalue()


def test_fit_writes_a_run_with_config_metrics_and_last_checkpoint(mlp_run):
    root, out = mlp_run
    run = root / "version_0"
    assert {p.name for p in run.iterdir()} >= {"config.yaml", "metrics.csv", "hparams.yaml", "checkpoints"}
    assert {p.name for p in (run / "checkpoints").iterdir()} == {"last.ckpt", "epoch=1-step=46.ckpt"}
    assert yaml.safe_load((run / "config.yaml").read_text())["model"]["init_args"]["sizes"] == [64, 128, 10]
    assert [r["epoch"] for r in epoch_rows(run / "metrics.csv", "val_accuracy")] == ["0", "1"]
    assert torch.load(run / "checkpoints/last.ckpt", weights_only=False)["global_step"] == 46


@pytest.mark.parametrize("every", [0, 20])
def test_log_every_n_steps_zero_logs_no_step_loss_and_the_epochs_still(tmp_path, every):
    """Lightning's log_every_n_steps: 0 means no step is logged (a modulo by it would divide by 0)."""
    assert fit(tmp_path, "mlp", "--trainer.max_epochs", "2", f"--trainer.log_every_n_steps={every}") == 0
    metrics = tmp_path / "version_0" / "metrics.csv"
    assert bool(epoch_rows(metrics, "train_loss_step")) == (every > 0)
    assert [r["epoch"] for r in epoch_rows(metrics, "train_loss")] == ["0", "1"]


def tree(root):
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in root.rglob("*")}


def test_fast_dev_run_trains_a_step_and_leaves_the_disk_as_it_found_it(tmp_path, capsys):
    """Lightning's smoke test writes no log and no checkpoint: neither does the command (Lightning's
    ModelCheckpoint would still write last.ckpt as training ends, the systems' files would fail
    on the dummy logger's missing directory, and the run directory would stay behind, empty)."""
    assert fit(tmp_path / "fresh", "mlp", "--trainer.fast_dev_run=true") == 0
    assert not (tmp_path / "fresh").exists()
    root = tmp_path / "runs"
    assert fit(root, "mlp", "--trainer.max_epochs", "1") == 0
    before = tree(root)
    assert fit(root, "mlp", "--trainer.fast_dev_run=2") == 0
    ckpt = str(root / "version_0/checkpoints/last.ckpt")
    for command in ("validate", "test", "predict"):
        assert main([command, "--ckpt_path", ckpt, "--trainer.fast_dev_run=true"]) == 0
    assert "fast_dev_run: predictions not written" in capsys.readouterr().out
    assert tree(root) == before


def test_enable_checkpointing_false_trains_and_writes_no_checkpoint(tmp_path):
    assert fit(tmp_path, "mlp", "--trainer.max_epochs", "1", "--trainer.enable_checkpointing=false") == 0
    assert (tmp_path / "version_0" / "metrics.csv").is_file()
    assert not list(tmp_path.rglob("*.ckpt"))


def test_fit_prints_the_gate_and_one_line_per_epoch_without_a_bar(mlp_run):
    _, out = mlp_run
    lines = out.splitlines()
    gate = [line for line in lines if line.startswith("parity gate:")]
    assert len(gate) == 1 and gate[0].startswith("parity gate: ok, MLP's loss and 4 gradients agree")
    assert float(gate[0].rsplit(" in ", 1)[1].removesuffix(" s")) < 1.0
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/2", "2/2"]
    assert "train_loss" in epochs[0] and "val_accuracy" in epochs[0]
    assert "\r" not in out


def test_a_rerun_starts_the_next_version_and_leaves_the_first(mlp_run, tmp_path):
    shutil.copytree(mlp_run[0], tmp_path, dirs_exist_ok=True)
    before = (tmp_path / "version_0/config.yaml").read_text()
    assert fit(tmp_path, "mlp", "--trainer.max_epochs", "1", "--progress", "off") == 0
    assert (tmp_path / "version_1/checkpoints/last.ckpt").is_file()
    assert (tmp_path / "version_0/config.yaml").read_text() == before


def test_ckpt_path_last_goes_on_with_the_newest_run(mlp_run, tmp_path, capsys):
    shutil.copytree(mlp_run[0], tmp_path, dirs_exist_ok=True)
    assert fit(tmp_path, "mlp", "--trainer.max_epochs", "3", "--ckpt_path", "last") == 0
    run = tmp_path / "version_0"
    assert not (tmp_path / "version_1").exists()
    assert torch.load(run / "checkpoints/last.ckpt", weights_only=False)["global_step"] == 69
    out = capsys.readouterr().out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch ")] == ["3/3"]
    assert [r["epoch"] for r in epoch_rows(run / "metrics.1.csv", "val_accuracy")] == ["0", "1"]  # kept
    assert [r["epoch"] for r in epoch_rows(run / "metrics.csv", "val_accuracy")] == ["2"]
    assert "checkpoints/last.ckpt" in yaml.safe_load((run / "config.yaml").read_text())["ckpt_path"]


def test_fit_with_a_checkpoint_alone_goes_on_in_its_run(mlp_run, tmp_path):
    shutil.copytree(mlp_run[0], tmp_path, dirs_exist_ok=True)
    last = tmp_path / "version_0/checkpoints/last.ckpt"
    assert main(["fit", "--ckpt_path", str(last), "--trainer.max_epochs", "3", "--progress", "off"]) == 0
    assert torch.load(last, weights_only=False)["global_step"] == 69 and not (tmp_path / "version_1").exists()


def test_ckpt_path_last_without_a_run_is_refused(tmp_path, capsys):
    assert fit(tmp_path, "mlp", "--ckpt_path", "last") == 1
    assert "no run under" in capsys.readouterr().err and not list(tmp_path.iterdir())


def test_a_checkpoint_alone_is_enough_to_test_it_with_its_hyperparameters(mlp_run, tmp_path):
    shutil.copytree(mlp_run[0], tmp_path, dirs_exist_ok=True)
    last = tmp_path / "version_0/checkpoints/last.ckpt"
    assert main(["test", "--ckpt_path", str(last)]) == 0  # no --config: the run's config.yaml is used
    first = rows(tmp_path / "version_0/test/metrics.csv")[-1]
    # another config's sizes: the checkpoint's hyperparameters win, so its weights load
    other = ["--config", str(ROOT / "configs/mlp.yaml"), "--model.init_args.sizes", "[64, 32, 10]"]
    assert main(["test", *other, "--ckpt_path", str(last)]) == 0
    second = rows(tmp_path / "version_0/test/metrics.csv")[-1]
    assert first["test_accuracy"] == second["test_accuracy"] and float(first["test_accuracy"]) > 0.8
    assert (tmp_path / "version_0/test/test_confusion_matrix.csv").is_file()


def test_predict_writes_the_classes_numpy_predicts(mlp_run, tmp_path, capsys):
    shutil.copytree(mlp_run[0], tmp_path, dirs_exist_ok=True)
    last = tmp_path / "version_0/checkpoints/last.ckpt"
    assert main(["predict", "--ckpt_path", str(last)]) == 0
    written = tmp_path / "version_0/predict/predictions.safetensors"
    assert f"wrote {written}" in capsys.readouterr().out
    predicted = numpy_impl.load_safetensors(written)["predictions"]
    assert main(["export", str(last), "--out", str(tmp_path / "twin.safetensors")]) == 0
    model, _ = load_exported(tmp_path / "twin.safetensors")
    x, y = shuffle_split(*load_digits(), test_fraction=0.2, seed=42)[1]
    assert predicted.shape == y.shape and (predicted == model.logits(x).argmax(axis=1)).all()


def test_validate_reports_the_validation_metrics_of_a_checkpoint(mlp_run, tmp_path):
    shutil.copytree(mlp_run[0], tmp_path, dirs_exist_ok=True)
    assert main(["validate", "--ckpt_path", str(tmp_path / "version_0/checkpoints/last.ckpt")]) == 0
    assert float(rows(tmp_path / "version_0/validate/metrics.csv")[-1]["val_accuracy"]) > 0.8


def test_a_model_that_does_not_fit_the_data_is_refused_with_a_clear_message(tmp_path, capsys):
    assert fit(tmp_path, "linear", "--model.init_args.sizes", "[32, 10]") == 1
    err = capsys.readouterr().err
    assert "x has 64 features per row; the model expects 32" in err and "Traceback" not in err


def test_the_gate_stops_a_broken_twin_before_it_trains(tmp_path, capsys):
    broken = ["--model", "lightning_cases.ScaledLossSystem", "--model.sizes", "[64, 16, 10]"]
    assert fit(tmp_path, "mlp", *broken) == 1
    err = capsys.readouterr().err
    assert err.startswith("parity gate: FAILED, ScaledLoss disagrees with its NumPy twin (layers.1.bias)")
    assert "first divergent: layers.1.bias" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*/checkpoints/*.ckpt"))
    assert fit(tmp_path, "mlp", *broken, "--parity_gate", "false", "--trainer.max_epochs", "1") == 0


@pytest.mark.parametrize("config", ["linear", "mlp", "autoencoder", "skipgram"])
def test_exported_weights_give_numpy_the_test_metrics(config, tmp_path, capsys):
    assert fit(tmp_path, config, "--trainer.max_epochs", "1", "--model.init_args.dtype", "float64") == 0
    last = tmp_path / "version_0/checkpoints/last.ckpt"
    assert main(["test", "--ckpt_path", str(last)]) == 0
    lightning = {k: float(v) for k, v in rows(tmp_path / "version_0/test/metrics.csv")[-1].items() if v}
    exported = tmp_path / "twin.safetensors"
    assert main(["export", str(last), "--out", str(exported)]) == 0
    assert f"wrote {exported}" in capsys.readouterr().out
    numpy = evaluate_exported(exported)
    assert numpy.keys() <= lightning.keys() and len(numpy) >= 1
    for name, value in numpy.items():
        assert value == pytest.approx(lightning[name], rel=1e-12, abs=1e-12), name


def test_an_export_is_evaluated_by_numpy_without_importing_torch(mlp_run, tmp_path):
    exported = tmp_path / "twin.safetensors"
    assert main(["export", str(mlp_run[0] / "version_0/checkpoints/last.ckpt"), "--out", str(exported)]) == 0
    code = (
        "import sys\n"
        "from scripts.evaluate_numpy import main\n"
        f"main([{str(exported)!r}])\n"
        "assert not [m for m in sys.modules if m.startswith(('torch', 'lightning')) and sys.modules[m]]"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MLP(layers.0.weight(128, 64)") and "test_accuracy 0." in result.stdout


def test_the_readme_command_fits_the_mlp_config_in_a_fresh_process_within_a_minute(tmp_path):
    """``python -m scripts.train fit --config configs/mlp.yaml`` (what ``paritynets-train`` runs), all
    30 epochs, its stdout a pipe as in a log."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "scripts.train", "fit", "--config", "configs/mlp.yaml"]
    started = time.monotonic()
    run = subprocess.run(
        [*command, "--trainer.default_root_dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stderr[-3000:]
    assert seconds < 60 and (tmp_path / "version_0/checkpoints/last.ckpt").is_file()
    epochs = [line for line in run.stdout.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 30 and "\r" not in run.stdout + run.stderr
    assert float(epochs[-1].split("val_accuracy ")[1].split()[0]) > 0.9
    assert "Tip:" not in run.stdout + run.stderr  # Lightning's advertisement is kept out


def test_paritynets_train_is_the_console_command():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["paritynets-train"] == "scripts.train:main"


def test_without_tensorboard_the_csv_logger_alone_is_made(tmp_path, monkeypatch):
    import torch_impl.lightning.cli as cli

    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    built = TrainCLI(args=["--config", str(ROOT / "configs/linear.yaml")], run=False)
    assert [type(logger).__name__ for logger in built.trainer.loggers] == ["CSVLogger"]
