"""The classifier table's reference rows (template matching, the identity-activation ablation) and
the hidden-layer PCA picture."""

from pathlib import Path

import numpy as np
import pytest

import numpy_impl
import torch_impl
from numpy_impl import optim
from numpy_impl.checks import InputError
from numpy_impl.data import load_digits, shuffle_split
from numpy_impl.train import fit
from scripts.main_job.baselines import (
    ABLATION,
    ablation_models,
    class_means,
    hidden_activations,
    nearest_template,
    plot_hidden_pca,
    template_matching,
)


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    (x_train, y_train), (x_test, y_test) = shuffle_split(x, y, seed=42)
    return x_train, y_train, x_test, y_test


def train_sgd(model, x, y, epochs):
    """The classifiers' reference training: plain SGD, lr 0.1, batch 64."""
    fit(model, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=epochs, batch_size=64, progress="off")


def test_nearest_template_is_the_euclidean_argmin():
    rng = np.random.default_rng(0)
    x, templates = rng.normal(size=(40, 7)), rng.normal(size=(5, 7))
    brute = np.linalg.norm(x[:, None, :] - templates[None, :, :], axis=2).argmin(axis=1)
    np.testing.assert_array_equal(nearest_template(x, templates), brute)


def test_class_means_and_a_missing_class():
    x = np.array([[0.0, 2.0], [2.0, 4.0], [10.0, 10.0]])
    np.testing.assert_array_equal(class_means(x, np.array([0, 0, 1])), [[1.0, 3.0], [10.0, 10.0]])
    with pytest.raises(InputError, match=r"class\(es\) \[1\]"):
        class_means(x, np.array([0, 0, 2]))


def test_template_matching_row_on_digits(digits):
    row = template_matching(*digits)
    assert row["model"] == "template" and row["engine"] == "numpy"
    assert 0.85 <= row["test_accuracy"] <= 0.97  # measured 91.9 %; chance is 10 %
    assert np.isnan(row["final_loss"])


def test_ablation_pair_is_an_identity_mlp_with_twin_weights():
    pair = ablation_models(13, 5, hidden=11, seed=2, dtype=np.float64)
    numpy_model, torch_model = pair[ABLATION]
    assert numpy_model.activation == torch_model.activation == "identity"
    torch_state = torch_impl.to_numpy_state_dict(torch_model.state_dict())
    for name, value in numpy_model.state_dict().items():
        assert np.array_equal(value, torch_state[name]), name


def test_ablation_collapses_to_a_linear_model(digits):
    x_train, y_train, x_test, y_test = digits
    numpy_mlp, _ = ablation_models(64, 10, hidden=128, seed=0, dtype=np.float64)[ABLATION]
    linear = numpy_impl.LinearClassifier(64, 10, seed=0, dtype=np.float64)
    relu_mlp = numpy_impl.MLP((64, 128, 10), seed=0, dtype=np.float64)
    accuracy = {}
    for name, model in (("identity", numpy_mlp), ("linear", linear), ("relu", relu_mlp)):
        train_sgd(model, x_train, y_train, epochs=30)
        accuracy[name] = float(np.mean(model.logits(x_test).argmax(1) == y_test))
    # affine in x: the logits of a mixture are the mixture of the logits
    a, b = x_test[:5], x_test[5:10]
    np.testing.assert_allclose(
        numpy_mlp.logits(0.3 * a + 0.7 * b), 0.3 * numpy_mlp.logits(a) + 0.7 * numpy_mlp.logits(b), atol=1e-10
    )
    assert abs(accuracy["identity"] - accuracy["linear"]) <= 0.02, accuracy  # measured 93.3 vs 92.8 %
    assert not np.allclose(  # while the ReLU MLP is not affine
        relu_mlp.logits(0.3 * a + 0.7 * b), 0.3 * relu_mlp.logits(a) + 0.7 * relu_mlp.logits(b), atol=1e-6
    )


def test_hidden_pca_for_both_engines(digits, tmp_path):
    x_train, y_train, x_test, y_test = digits
    numpy_model = numpy_impl.MLP((64, 32, 10), seed=1, dtype=np.float64)
    train_sgd(numpy_model, x_train, y_train, epochs=3)
    torch_model = torch_impl.MLP((64, 32, 10), seed=1, dtype=np.float64)
    torch_impl.load_numpy_state_dict(torch_model, numpy_model.state_dict())
    np.testing.assert_allclose(
        hidden_activations(torch_model, x_test), numpy_model.hidden(x_test), atol=1e-12
    )
    assert hidden_activations(torch_model, x_test).min() >= 0  # ReLU units

    results = [
        plot_hidden_pca(m, x_test, y_test, tmp_path / f"{i}.png")
        for i, m in enumerate((numpy_model, torch_model))
    ]
    for result in results:
        assert Path(result["path"]).read_bytes()[:4] == b"\x89PNG"
        assert -1 <= result["silhouette_raw"] <= 1 and -1 <= result["silhouette_hidden"] <= 1
    assert results[0]["silhouette_raw"] == results[1]["silhouette_raw"]
    assert results[0]["silhouette_hidden"] == pytest.approx(results[1]["silhouette_hidden"], abs=1e-9)
