"""Evaluate an exported model with NumPy alone (torch is never imported): the round trip from a
Lightning checkpoint, trained anywhere, back to the from-scratch code.

    paritynets-train export runs/mlp/version_0/checkpoints/last.ckpt
    python -m scripts.evaluate_numpy runs/mlp/version_0/checkpoints/last.safetensors [--mnist DIR]

The file names its NumPy class and constructor arguments (``torch_impl/lightning/export.py``).
Classifiers print test accuracy and loss, the autoencoder its test MSE, on the seed-42 80/20 split
of the digits (or of the MNIST IDX files in ``--mnist``), the split the Lightning runs test on;
skip-gram prints its word-similarity scores over the exported vocabulary.
"""

import argparse
import json

from safetensors import safe_open

import numpy_impl
from numpy_impl.data import load_digits, load_mnist_idx, shuffle_split


def load_exported(path):
    """(the NumPy twin holding the exported weights, the file's metadata)."""
    with safe_open(path, "np") as f:
        meta = f.metadata() or {}
    if "model" not in meta:
        raise numpy_impl.InputError(f"{path} was not written by paritynets-train export (no model metadata)")
    model = getattr(numpy_impl, meta["model"])(**json.loads(meta["args"]))
    model.load_state_dict(numpy_impl.load_safetensors(path))
    return model, meta


def evaluate_exported(path, mnist=None):
    """{metric: value} of the exported model, named as the Lightning test stage names them."""
    model, meta = load_exported(path)
    if meta["model"] == "SkipGram":
        from numpy_impl.embeddings import WordVectors, evaluate

        words = json.loads(meta["vocabulary"])
        scores = evaluate(WordVectors(words, model.parameters()["input_vectors.weight"]))
        return {
            "test_wordsim353": scores["wordsim353"]["spearman"],
            "test_simlex999": scores["simlex999"]["spearman"],
            "test_analogy_accuracy": scores["analogies"]["accuracy"],
        }
    x, y = shuffle_split(*(load_mnist_idx(mnist) if mnist else load_digits()), test_fraction=0.2, seed=42)[1]
    if meta["model"] == "Autoencoder":
        return {"test_mse": model.loss((x,))}
    logits = model.logits(x)  # (N, C); one column: a binary classifier
    predicted = logits.argmax(axis=1) if logits.shape[1] > 1 else logits[:, 0] > 0
    return {"test_accuracy": float((predicted == y).mean()), "test_loss": model.loss((x, y))}


def main(argv=None):
    parser = argparse.ArgumentParser(description="evaluate an exported model with NumPy alone")
    parser.add_argument("path", help="a .safetensors file written by paritynets-train export")
    parser.add_argument("--mnist", help="a directory of MNIST IDX files (default: the digits)")
    args = parser.parse_args(argv)
    model, _ = load_exported(args.path)
    metrics = evaluate_exported(args.path, args.mnist)
    print(f"{model}: " + "  ".join(f"{k} {v:.6g}" for k, v in metrics.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
