"""The classifier table's reference rows and the picture of what the MLP's hidden layer learned.

- ``template_matching``: one mean image per class, each image goes to the nearest mean
  (Euclidean): the floor every learned model must clear (about 81 % on MNIST, see
  ``docs/main_job.md``). A table row.
- ``ablation_models``: the MLP with ``activation="identity"``, a (NumPy, torch) pair to train like
  the other classifiers. Without its nonlinearity the MLP is a product of linear maps, i.e. a
  linear model, and lands where the linear classifier does.
- ``plot_hidden_pca``: 2-D PCA of the raw pixels beside 2-D PCA of the MLP's hidden activations,
  coloured by digit.
"""

import numpy as np

import numpy_impl
import torch_impl
from numpy_impl.checks import InputError

from . import plots
from .twins import engine_call

ABLATION = "mlp-identity"


def class_means(x, y, n_classes=None):
    """The mean image of each class, (C, D); a class without examples is an error, not a NaN row."""
    n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
    counts = np.bincount(y, minlength=n_classes)
    if (counts == 0).any():
        raise InputError(f"class(es) {np.flatnonzero(counts == 0).tolist()} have no training example")
    sums = np.zeros((n_classes, x.shape[1]))
    np.add.at(sums, y, x)
    return sums / counts[:, None]


def nearest_template(x, templates):
    """Index of the nearest template (Euclidean) for every row of x."""
    # |x - t|^2 = |x|^2 - 2 x.t + |t|^2, and |x|^2 is the same for every template of a row
    distances = -2 * x @ templates.T + (templates * templates).sum(axis=1)
    return distances.argmin(axis=1)


def template_matching(x_train, y_train, x_test, y_test):
    """Nearest-class-mean classification, as a row of the classifier table."""
    templates = class_means(np.asarray(x_train, dtype=np.float64), y_train)
    return {
        "model": "template",
        "engine": "numpy",
        "train_accuracy": float(np.mean(nearest_template(x_train, templates) == y_train)),
        "test_accuracy": float(np.mean(nearest_template(x_test, templates) == y_test)),
        "final_loss": float("nan"),  # nothing is trained
    }


def ablation_models(n_features, n_classes, *, hidden, seed, dtype):
    """{"mlp-identity": (NumPy MLP, torch twin)} with ``activation="identity"``, for the classifier
    section to train exactly like the MLP (same sizes, seed, optimizer and batches)."""
    sizes = (n_features, hidden, n_classes)
    return {
        ABLATION: (
            numpy_impl.MLP(sizes, "identity", seed=seed, dtype=dtype),
            torch_impl.MLP(sizes, "identity", seed=seed, dtype=dtype),
        )
    }


def plot_hidden_pca(model, x, y, path, max_points=2000):
    """Two panels: 2-D PCA of the raw inputs and 2-D PCA of ``model.hidden(x)``, coloured by class.

    ``model`` is a trained MLP of either engine. Returns the path and the silhouette score of the
    classes in each 2-D projection (in [-1, 1]; higher = classes better separated).
    """
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score

    x, y = np.asarray(x)[:max_points], np.asarray(y)[:max_points]
    panels = {
        "raw pixels": x,
        f"hidden layer ({model.sizes[1]} {model.activation} units)": hidden_activations(model, x),
    }
    fig, axes = plots.figure(1, 2, size=(5.5, 5.0))
    scores = []
    for ax, (title, features) in zip(axes[0], panels.items(), strict=True):
        points = PCA(n_components=2, random_state=0).fit_transform(features)
        scores.append(float(silhouette_score(points, y)) if len(np.unique(y)) > 1 else float("nan"))
        scatter = ax.scatter(
            points[:, 0], points[:, 1], c=y, cmap="tab10", s=5, alpha=0.7, vmin=-0.5, vmax=9.5
        )
        ax.set_title(f"PCA of the {title}\nsilhouette of the digits {scores[-1]:.3f}")
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
    fig.colorbar(scatter, ax=list(axes[0]), ticks=range(10), label="digit")
    fig.suptitle("what the hidden layer learned: the same images before and after it")
    return {"path": plots.save(fig, path), "silhouette_raw": scores[0], "silhouette_hidden": scores[1]}


def hidden_activations(model, x):
    """``model.hidden(x)`` as a NumPy array, for a model of either engine."""
    return engine_call(model, model.hidden, x)
