"""Classifiers section: the linear classifier, the MLP and its ablation without a nonlinearity, each
trained from one seed in NumPy (``numpy_impl.optim.SGD``) and in torch (``torch.optim.SGD``) on the
same batches, with the SPEC settings (SGD lr 0.1, batch 64, 30 epochs), after the template-matching
floor. Reports accuracy per model and engine and how far the engines drifted apart (the largest
per-step loss difference and the final weight difference), and pictures what the hidden layer learned."""

from pathlib import Path

import numpy as np
import torch

import numpy_impl
import torch_impl
from numpy_impl.optim import SGD
from numpy_impl.train import fit as fit_numpy
from torch_impl.train import fit as fit_torch

from . import plots
from .baselines import ablation_models, plot_hidden_pca, template_matching
from .data import load_split

REFERENCE = {"lr": 0.1, "batch_size": 64, "epochs": 30, "hidden": 128}


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


def predict(model, x):
    """Class ids from either engine's model (both have ``logits(x)``)."""
    if isinstance(model, torch.nn.Module):
        weight = next(model.parameters())
        with torch.no_grad():
            return model.logits(torch.as_tensor(x, dtype=weight.dtype)).argmax(1).numpy()
    return model.logits(x).argmax(1)


def accuracy(model, x, y):
    return float(np.mean(predict(model, x) == y))


def train_pair(name, numpy_model, torch_model, split, *, epochs, lr, batch_size, seed, progress):
    """Train both engines' copies on the same batches; return their histories and the figures."""

    def evaluate(model):
        return {"test_accuracy": accuracy(model, split.x_test, split.y_test)}

    data = (split.x_train, split.y_train)
    common = {
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "evaluate": evaluate,
        "progress": progress,
    }
    histories = {
        "numpy": fit_numpy(
            numpy_model, SGD(numpy_model.parameters(), lr=lr), data, desc=f"{name} numpy", **common
        ),
        "torch": fit_torch(
            torch_model,
            torch.optim.SGD(torch_model.parameters(), lr=lr),
            data,
            desc=f"{name} torch",
            **common,
        ),
    }
    models = {"numpy": numpy_model, "torch": torch_model}
    torch_weights = torch_impl.to_numpy_state_dict(torch_model.state_dict())
    return {
        "histories": histories,
        "rows": [
            {
                "model": name,
                "engine": engine,
                "train_accuracy": accuracy(model, split.x_train, split.y_train),
                "test_accuracy": accuracy(model, split.x_test, split.y_test),
                "final_loss": histories[engine].epochs[-1]["loss"] if epochs else float("nan"),
            }
            for engine, model in models.items()
        ],
        "parity": {
            "model": name,
            "steps": len(histories["numpy"].step_loss),
            "max_loss_diff": _max_abs_diff(histories["numpy"].step_loss, histories["torch"].step_loss),
            "max_weight_diff": max(
                _max_abs_diff(value, torch_weights[key]) for key, value in numpy_model.state_dict().items()
            ),
            "test_predictions_differing": int(
                np.sum(predict(numpy_model, split.x_test) != predict(torch_model, split.x_test))
            ),
        },
        "test_predictions": {engine: predict(model, split.x_test) for engine, model in models.items()},
    }


def run_classifiers(
    out_dir, seed=0, epochs=None, *, mnist=None, dtype="float64", quick=False, progress="auto", split_seed=42
):
    """Train and compare both classifiers; write the plots into ``out_dir``; return the figures.

    epochs: default 30 (the SPEC setting), 2 with ``quick``. mnist: a directory of IDX files
    (default: the embedded digits). dtype: "float64" (parity figures at rounding level) or "float32".
    """
    out_dir = Path(out_dir)
    if epochs is None:
        epochs = 2 if quick else REFERENCE["epochs"]
    split = load_split(mnist, split_seed)
    settings = {"lr": REFERENCE["lr"], "batch_size": REFERENCE["batch_size"], "epochs": epochs, "seed": seed}
    dtype = np.dtype(dtype)
    sizes = {"n_features": split.n_features, "n_classes": split.n_classes, "hidden": REFERENCE["hidden"]}
    pairs = build_models(**sizes, seed=seed, dtype=dtype) | ablation_models(**sizes, seed=seed, dtype=dtype)
    runs = {}
    for name, (numpy_model, torch_model) in pairs.items():
        runs[name] = train_pair(name, numpy_model, torch_model, split, progress=progress, **settings)

    title = f"{split.describe()}, {dtype.name}, seed {seed}, SGD lr {settings['lr']}, batch {settings['batch_size']}"
    files = [
        plots.loss_curves(
            {n: r["histories"] for n, r in runs.items()}, out_dir / "classifier_loss_curves.png", title
        ),
        plots.confusion_matrices(
            {f"{n} (numpy), test": (split.y_test, r["test_predictions"]["numpy"]) for n, r in runs.items()},
            out_dir / "classifier_confusion.png",
            split.n_classes,
        ),
    ]
    hidden_pca = plot_hidden_pca(pairs["mlp"][0], split.x_test, split.y_test, out_dir / "mlp_hidden_pca.png")
    files.append(hidden_pca["path"])
    rows = [template_matching(split.x_train, split.y_train, split.x_test, split.y_test)]
    rows += [row for run in runs.values() for row in run["rows"]]
    parity = [run["parity"] for run in runs.values()]
    header = f"Classifiers on {split.describe()}; {dtype.name}, seed {seed}, {epochs} epochs"
    return {
        "section": "classifiers",
        "data": split.describe(),
        "dtype": dtype.name,
        "seed": seed,
        "split_seed": split_seed,
        "settings": settings,
        "rows": rows,
        "parity": parity,
        "hidden_pca_silhouette": {k: v for k, v in hidden_pca.items() if k != "path"},
        "epochs": {n: {e: h.epochs for e, h in r["histories"].items()} for n, r in runs.items()},
        "files": [str(f) for f in files],
        "report": header + "\n\n" + format_accuracy_table(rows) + "\n\n" + format_parity_table(parity),
    }


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


def _max_abs_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0
