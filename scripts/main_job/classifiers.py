"""Classifiers section: the linear classifier, the MLP and its ablation without a nonlinearity, each
trained from one seed in NumPy (``numpy_impl.optim.SGD``) and in torch (``torch.optim.SGD``) on the
same batches at the reference settings (``config.REFERENCE``), after the template-matching floor.
Reports accuracy per model and engine and how far the engines drifted apart (the largest per-step
loss difference and the final weight difference), and pictures what the hidden layer learned."""

import numpy as np
import torch

import numpy_impl
import torch_impl
from numpy_impl.optim import SGD

from . import plots
from .baselines import ablation_models, plot_hidden_pca, template_matching
from .config import SectionResult
from .data import load_split
from .twins import engine_call, train_twins


def run_classifiers(config):
    """Train and compare the classifiers on the run's split; write the plots; a SectionResult."""
    settings = config.settings("classifiers")
    split = load_split(config.mnist, config.split_seed)
    sizes = {"n_features": split.n_features, "n_classes": split.n_classes, "hidden": settings["hidden"]}
    pairs = build_models(**sizes, seed=config.seed, dtype=config.dtype)
    pairs |= ablation_models(**sizes, seed=config.seed, dtype=config.dtype)
    runs = {name: train_pair(name, pair, split, settings, config) for name, pair in pairs.items()}
    rows = [template_matching(split.x_train, split.y_train, split.x_test, split.y_test)]
    rows += [row for name, pair in pairs.items() for row in accuracy_rows(name, pair, runs[name], split)]
    parity = [parity_row(name, pair, runs[name], split) for name, pair in pairs.items()]
    files, silhouettes = draw(runs, pairs, split, settings, config)
    header = (
        f"Classifiers on {split.describe()}; {config.dtype}, seed {config.seed}, {settings['epochs']} epochs"
    )
    numbers = {
        "data": split.describe(),
        "dtype": config.dtype,
        "seed": config.seed,
        "split_seed": config.split_seed,
        "settings": {k: settings[k] for k in ("lr", "batch_size", "epochs")} | {"seed": config.seed},
        "rows": rows,
        "parity": parity,
        "hidden_pca_silhouette": silhouettes,
        "epochs": {n: {e: h.epochs for e, h in r.histories.items()} for n, r in runs.items()},
    }
    report = "\n\n".join([header, format_accuracy_table(rows), format_parity_table(parity)])
    return SectionResult(report, files, numbers)


def build_models(n_features, n_classes, *, hidden, seed, dtype):
    """{name: (NumPy model, torch twin)}: same arguments, hence bit-identical initial weights."""
    return {
        "linear": (
            numpy_impl.LinearClassifier(n_features, n_classes, seed=seed, dtype=dtype),
            torch_impl.LinearClassifier(n_features, n_classes, seed=seed, dtype=dtype),
        ),
        "mlp": (
            numpy_impl.MLP((n_features, hidden, n_classes), seed=seed, dtype=dtype),
            torch_impl.MLP((n_features, hidden, n_classes), seed=seed, dtype=dtype),
        ),
    }


def train_pair(name, pair, split, settings, config):
    """Both engines' copies trained with plain SGD on the same batches, test accuracy per epoch."""
    numpy_model, torch_model = pair
    return train_twins(
        numpy_model,
        torch_model,
        SGD(numpy_model.parameters(), lr=settings["lr"]),
        torch.optim.SGD(torch_model.parameters(), lr=settings["lr"]),
        (split.x_train, split.y_train),
        desc=name,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        seed=config.seed,
        evaluate=lambda model: {"test_accuracy": accuracy(model, split.x_test, split.y_test)},
        progress=config.progress,
    )


def predict(model, x):
    """Class ids from either engine's model (both have ``logits(x)``)."""
    return engine_call(model, model.logits, x).argmax(1)


def accuracy(model, x, y):
    return float(np.mean(predict(model, x) == y))


def accuracy_rows(name, pair, run, split):
    """One table row per engine: train and test accuracy, the last epoch's mean loss."""
    return [
        {
            "model": name,
            "engine": engine,
            "train_accuracy": accuracy(model, split.x_train, split.y_train),
            "test_accuracy": accuracy(model, split.x_test, split.y_test),
            "final_loss": run.histories[engine].epochs[-1]["loss"],
        }
        for engine, model in zip(("numpy", "torch"), pair, strict=True)
    ]


def parity_row(name, pair, run, split):
    numpy_model, torch_model = pair
    differing = predict(numpy_model, split.x_test) != predict(torch_model, split.x_test)
    return {
        "model": name,
        "steps": run.steps,
        "max_loss_diff": run.max_loss_diff,
        "max_weight_diff": run.max_weight_diff,
        "test_predictions_differing": int(np.sum(differing)),
    }


def draw(runs, pairs, split, settings, config):
    """The section's three figures: ({name: path}, the hidden-layer PCA's silhouette scores)."""
    out_dir = config.section_dir("classifiers")
    title = f"{split.describe()}, {config.dtype}, seed {config.seed}, SGD lr {settings['lr']}, batch {settings['batch_size']}"
    confusion = {
        f"{name} (numpy), test": (split.y_test, predict(numpy_model, split.x_test))
        for name, (numpy_model, _) in pairs.items()
    }
    numpy_mlp = pairs["mlp"][0]
    hidden_pca = plot_hidden_pca(numpy_mlp, split.x_test, split.y_test, out_dir / "mlp_hidden_pca.png")
    files = {
        "loss_curves": plots.loss_curves(runs, out_dir / "classifier_loss_curves.png", title),
        "confusion": plots.confusion_matrices(
            confusion, out_dir / "classifier_confusion.png", split.n_classes
        ),
        "hidden_pca": hidden_pca.pop("path"),
    }
    return files, hidden_pca


def format_accuracy_table(rows):
    lines = [f"{'model':<13} {'engine':<7} {'train acc':>10} {'test acc':>10} {'final loss':>11}"]
    for r in rows:
        lines.append(
            f"{r['model']:<13} {r['engine']:<7} {r['train_accuracy']:>10.2%} {r['test_accuracy']:>10.2%}"
            f" {r['final_loss']:>11.4f}"
        )
    return "\n".join(lines)


def format_parity_table(parity):
    lines = [
        "NumPy vs torch (same seed, same batches):",
        f"{'model':<13} {'steps':>6} {'max |loss diff|':>16} {'max |weight diff|':>18} {'test preds differing':>21}",
    ]
    for p in parity:
        lines.append(
            f"{p['model']:<13} {p['steps']:>6} {p['max_loss_diff']:>16.2e} {p['max_weight_diff']:>18.2e}"
            f" {p['test_predictions_differing']:>21}"
        )
    return "\n".join(lines)
