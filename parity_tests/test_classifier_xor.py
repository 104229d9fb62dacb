"""XOR (00->0, 01->1, 10->1, 11->0): an MLP with a nonlinearity fits it; the linear model cannot,
whatever it is given (the four points are not linearly separable)."""

import numpy as np
import pytest

import numpy_impl
from numpy_impl.data import make_xor
from numpy_impl.optim import SGD
from numpy_impl.train import fit


def train(model, steps=1000, lr=0.5):
    x, y = make_xor()
    history = fit(model, SGD(model.parameters(), lr=lr), (x, y), epochs=steps, batch_size=4, progress="off")
    return history.step_loss[-1]


def accuracy(model):
    x, y = make_xor()
    logits = model.logits(x)
    predictions = (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else logits.argmax(axis=1)
    return float((predictions == y).mean())


@pytest.mark.parametrize(
    "sizes, activation, seed", [((2, 8, 1), "tanh", 0), ((2, 8, 1), "relu", 1), ((2, 4, 2), "tanh", 2)]
)
def test_mlp_fits_xor(sizes, activation, seed):
    model = numpy_impl.MLP(sizes, activation, seed=seed, dtype=np.float64)
    loss = train(model)
    assert accuracy(model) == 1.0
    assert loss < 0.05


@pytest.mark.parametrize("n_classes, seed", [(1, 0), (2, 1)])
def test_linear_model_cannot_fit_xor(n_classes, seed):
    model = numpy_impl.LinearClassifier(2, n_classes, seed=seed, dtype=np.float64)
    loss = train(model, steps=300)
    # log 2 is the least cross-entropy a linear model reaches on XOR (all-zero weights are its optimum)
    assert loss >= np.log(2) - 1e-9
    assert accuracy(model) <= 0.75


def test_mlp_without_nonlinearity_cannot_fit_xor():
    model = numpy_impl.MLP((2, 8, 1), "identity", seed=0, dtype=np.float64)
    assert train(model, steps=300) >= np.log(2) - 1e-9
    assert accuracy(model) <= 0.75
