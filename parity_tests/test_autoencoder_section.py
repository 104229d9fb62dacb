"""The main job's autoencoder section: both engines from one seed on the same batches, the
reported figures, and the plots (digits, quick settings)."""

import json

import numpy as np
import pytest
from main_job_cases import assert_png
from main_job_cases import quick_config as quick

from scripts.main_job.autoencoder import format_autoencoder, run_autoencoder
from scripts.main_job.config import QUICK


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("autoencoder")
    return run_autoencoder(quick(out, seed=3, epochs=3)), out


def test_both_engines_train_to_the_same_reconstruction_error(quick_result):
    result = quick_result[0].numbers
    mse = result["test_mse"]
    assert result["sizes"] == (64, 32, 16, 2)
    assert np.isfinite(mse["numpy"]) and mse["numpy"] > 0
    assert result["test_mse_difference"] == abs(mse["numpy"] - mse["torch"])
    assert result["test_mse_difference"] <= 1e-12 * mse["numpy"]
    assert result["max_step_loss_difference"] <= 1e-12
    assert result["max_weight_difference"] <= 1e-12
    assert result["max_latent_difference"] <= 1e-10
    assert 0.15 <= result["latent_knn_accuracy"] <= 1  # above chance (10 %) even after 3 quick epochs
    losses = [record["loss"] for record in result["history"]["numpy"]]
    assert len(losses) == 3 and losses[-1] < losses[0], f"the autoencoder did not learn: {losses}"


def test_writes_the_figures_and_a_report(quick_result):
    result, out = quick_result
    assert list(result.files) == ["reconstructions", "latent", "loss_curves"]
    for path in result.files.values():
        assert path.parent == out / "autoencoder"
        assert_png(path)
    assert result.report == format_autoencoder(result.numbers)
    assert "reconstruction test MSE" in result.report
    assert f"{result.numbers['test_mse']['numpy']:.6f}" in result.report
    json.dumps(result.numbers)  # summary.json can hold it


def test_same_seed_same_result_and_other_seed_differs(tmp_path, quick_result):
    result = quick_result[0].numbers
    again = run_autoencoder(quick(tmp_path / "a", seed=3, epochs=3)).numbers
    other = run_autoencoder(quick(tmp_path / "b", seed=4, epochs=3)).numbers
    assert again["test_mse"] == result["test_mse"]
    assert other["test_mse"]["numpy"] != result["test_mse"]["numpy"]


def test_float32_engines_stay_close(tmp_path):
    result = run_autoencoder(quick(tmp_path, epochs=2, dtype="float32")).numbers
    assert result["dtype"] == "float32"
    assert result["test_mse_difference"] <= 1e-4 * result["test_mse"]["torch"]


def test_the_orchestrator_runs_the_section(tmp_path):
    from scripts.main_job import cli

    assert cli.main(["--only", "autoencoder", "--quick", "--progress", "off", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    section = summary["autoencoder"]
    assert section["epochs"] == QUICK["autoencoder"]["epochs"]
    assert (section["n_train"], section["n_test"]) == (512, 256)
    assert section["test_mse_difference"] <= 1e-12
    assert "reconstruction test MSE" in section["report"]
