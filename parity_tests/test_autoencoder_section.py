"""The main job's autoencoder section: both engines from one seed on the same batches, the
reported figures, and the plots (digits, quick settings)."""

import json

import numpy as np
import pytest

from numpy_impl.checks import InputError
from numpy_impl.data import load_digits, shuffle_split
from scripts.main_job.autoencoder import QUICK_EPOCHS, format_autoencoder, run_autoencoder

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def digits_split():
    x, y = load_digits()
    return shuffle_split(x, y, seed=42)


@pytest.fixture(scope="module")
def quick_result(digits_split, tmp_path_factory):
    out = tmp_path_factory.mktemp("autoencoder")
    return run_autoencoder(out, seed=3, epochs=3, data=digits_split, quick=True, progress="off"), out


def test_both_engines_train_to_the_same_reconstruction_error(quick_result):
    result, _ = quick_result
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
    for name in ("reconstructions", "latent", "loss_curves"):
        path = result["figures"][name]
        assert path.startswith(str(out))
        with open(path, "rb") as f:
            assert f.read(8) == PNG_MAGIC, f"{name} is not a PNG"
    report = format_autoencoder(result)
    assert "reconstruction test MSE" in report and f"{result['test_mse']['numpy']:.6f}" in report
    json.dumps({k: v for k, v in result.items() if k != "history"}, default=str)  # summary.json can hold it


def test_same_seed_same_result_and_other_seed_differs(digits_split, tmp_path, quick_result):
    result, _ = quick_result
    again = run_autoencoder(tmp_path / "a", seed=3, epochs=3, data=digits_split, quick=True, progress="off")
    other = run_autoencoder(tmp_path / "b", seed=4, epochs=3, data=digits_split, quick=True, progress="off")
    assert again["test_mse"] == result["test_mse"]
    assert other["test_mse"]["numpy"] != result["test_mse"]["numpy"]


def test_float32_engines_stay_close(digits_split, tmp_path):
    result = run_autoencoder(
        tmp_path, seed=0, epochs=2, data=digits_split, quick=True, dtype="float32", progress="off"
    )
    assert result["dtype"] == "float32"
    assert result["test_mse_difference"] <= 1e-4 * result["test_mse"]["torch"]


def test_bad_data_is_named(tmp_path):
    with pytest.raises(InputError, match="x_train, y_train"):
        run_autoencoder(tmp_path, seed=0, epochs=1, data=(np.zeros((4, 3)), np.zeros(4)), progress="off")
    x = np.zeros((4, 3))
    with pytest.raises(InputError, match="same columns"):
        run_autoencoder(tmp_path, 0, 1, ((x, np.zeros(4)), (np.zeros((4, 5)), np.zeros(4))), progress="off")


def test_the_orchestrator_runs_the_section(tmp_path):
    from scripts.main_job import cli

    assert cli.main(["--only", "autoencoder", "--quick", "--progress", "off", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    section = summary["autoencoder"]
    assert section["epochs"] == QUICK_EPOCHS
    assert section["test_mse_difference"] <= 1e-12
    assert "reconstruction test MSE" in section["report"]
