"""The autoencoder's parity battery: the test points of docs/models.md for an encoder/decoder pair,
each checked with ``torch_impl.parity.check_model``. ``test_autoencoder.py`` asserts every case
passes; ``test_autoencoder_mutants.py`` runs the battery under each mutant and asserts it fails.

Sizes: a tiny all-distinct-size model (13 -> 11 -> 5 -> 3, mirrored) for exhaustive finite
differences, one with a square layer (11 x 11) so a transposed weight gradient cannot hide, and the
reference 784 -> 400 -> 200 -> 2. N = 7 rows, different from every feature size.
"""

import numpy as np

import numpy_impl
import torch_impl
from torch_impl.parity import check_model
from torch_impl.parity.autograd import autograd_loss_and_grads

TINY = (13, 11, 5, 3)
SQUARE = (13, 11, 11, 3)
DEFAULT = (784, 400, 200, 2)
N = 7


def pair(sizes, dtype, *, activation="relu", seed=0):
    """(NumPy autoencoder, torch twin) with the same arguments, hence the same initial weights."""
    return (
        numpy_impl.Autoencoder(sizes, activation, seed=seed, dtype=dtype),
        torch_impl.Autoencoder(sizes, activation, seed=seed, dtype=dtype),
    )


def pixel_batch(n_features, n, *, seed=0, dtype=np.float64, zero_fraction=0.3):
    """``(x,)`` like images: values in [0, 1), a share of them exactly 0 (MNIST's background)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, n_features))
    x[rng.random((n, n_features)) < zero_fraction] = 0.0
    return (x.astype(dtype),)


def after_reference_steps(numpy_model, torch_model, batch, *, steps=3, lr=0.5):
    """The NumPy model moved by ``steps`` gradient-descent steps taken with the torch twin's autograd
    gradients: a point away from the initial weights (non-zero biases) that does not depend on the
    backward pass under test."""
    state = numpy_model.state_dict()
    for _ in range(steps):
        _, grads = autograd_loss_and_grads(torch_model, state, batch)
        state = {name: value - lr * grads[name] for name, value in state.items()}
    numpy_model.load_state_dict(state)
    return numpy_model


def loaded(model, state):
    model.load_state_dict(state)
    return model


def exact_zero_point(model, n, *, seed=0, zero_fraction=0.5):
    """Weights, biases and pixels on a coarse binary lattice, so every sum is exact (float64) in any
    order and both engines; in each layer followed by the activation, biases chosen so that the
    units are active (gradients reach every layer) except that in one row a ``zero_fraction`` of
    the pre-activations are exactly 0: there only the ReLU convention (torch: relu'(0) = 0) decides
    the gradient. Returns (state_dict, (x,))."""
    state = model.state_dict()
    dtype = state["encoder.0.weight"].dtype
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, size=(n, model.sizes[0])) / 4.0
    h = x
    for prefix in ("encoder", "decoder"):
        for i in range(model.n_layers):
            weight, bias = f"{prefix}.{i}.weight", f"{prefix}.{i}.bias"
            w = rng.integers(-4, 5, size=state[weight].shape) / 8.0
            b = rng.integers(-4, 5, size=state[bias].shape) / 8.0
            z = h @ w.T
            last = i == model.n_layers - 1  # the code and the output are linear
            if not last:
                b = np.ceil(-z.min(axis=0) * 8) / 8 + 1 / 8  # every unit active on every row...
                zeroed = rng.random(b.shape) < zero_fraction
                zeroed[rng.integers(b.size)] = True
                b[zeroed] = -z[i % n, zeroed]  # ...but these, exactly at the kink in one row
            state[weight], state[bias] = w.astype(dtype), b.astype(dtype)
            h = z + b if last else np.maximum(z + b, 0.0)
    return state, (x.astype(dtype),)


# --- the cases: name -> () -> ParityReport ----------------------------------------------------------


def tiny_float64_initial():
    """At the initial weights (zero biases: a row whose units are all off puts the next layer's
    pre-activations exactly at 0, so some finite differences straddle a kink: sampled is enough)."""
    numpy_model, torch_model = pair(TINY, np.float64, seed=1)
    return check_model(
        numpy_model, torch_model, pixel_batch(TINY[0], N, seed=1), finite_differences="sampled"
    )


def tiny_after_steps_exhaustive():
    """Away from the initial weights: non-zero biases, no pre-activation sitting exactly at 0."""
    numpy_model, torch_model = pair(TINY, np.float64, seed=2)
    batch = pixel_batch(TINY[0], N, seed=2)
    after_reference_steps(numpy_model, torch_model, batch, steps=5)
    return check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")


def square_layer_exhaustive():
    numpy_model, torch_model = pair(SQUARE, np.float64, seed=3)
    batch = pixel_batch(SQUARE[0], N, seed=3)
    after_reference_steps(numpy_model, torch_model, batch, steps=3)
    return check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")


def tiny_float32():
    numpy_model, torch_model = pair(TINY, np.float32, seed=4)
    return check_model(numpy_model, torch_model, pixel_batch(TINY[0], N, seed=4, dtype=np.float32))


def batch_of_one():
    numpy_model, torch_model = pair(TINY, np.float64, seed=5)
    batch = pixel_batch(TINY[0], 1, seed=5)
    after_reference_steps(numpy_model, torch_model, batch, steps=2)
    return check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")


def relu_exact_zero():
    numpy_model, torch_model = pair(TINY, np.float64, seed=6)
    state, batch = exact_zero_point(numpy_model, N, seed=6)
    return check_model(loaded(numpy_model, state), torch_model, batch, finite_differences=None)


def tanh_after_steps():
    numpy_model, torch_model = pair(TINY, np.float64, activation="tanh", seed=7)
    batch = pixel_batch(TINY[0], N, seed=7)
    after_reference_steps(numpy_model, torch_model, batch, steps=3)
    return check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")


def default_float64(finite_differences="sampled"):
    numpy_model, torch_model = pair(DEFAULT, np.float64, seed=8)
    batch = pixel_batch(DEFAULT[0], 16, seed=8)
    return check_model(numpy_model, torch_model, batch, finite_differences=finite_differences)


def default_float32():
    numpy_model, torch_model = pair(DEFAULT, np.float32, seed=9)
    return check_model(numpy_model, torch_model, pixel_batch(DEFAULT[0], 16, seed=9, dtype=np.float32))


CASES = {
    "tiny_float64_initial": tiny_float64_initial,
    "tiny_after_steps_exhaustive": tiny_after_steps_exhaustive,
    "square_layer_exhaustive": square_layer_exhaustive,
    "tiny_float32": tiny_float32,
    "batch_of_one": batch_of_one,
    "relu_exact_zero": relu_exact_zero,
    "tanh_after_steps": tanh_after_steps,
    "default_float64": default_float64,
    "default_float32": default_float32,
}


REFERENCE_SIZE_CASES = ("default_float64", "default_float32")


def run_battery(fast=False):
    """{case: ParityReport}. ``fast`` keeps the tiny-model cases only (every check, exhaustive
    finite differences included) and leaves out the reference sizes: enough to catch every known
    bug, cheap enough to run once per mutant."""
    return {name: case() for name, case in CASES.items() if not (fast and name in REFERENCE_SIZE_CASES)}


def failed_cases(reports):
    """{case: failed checks} for the cases that did not pass."""
    return {name: report.failed_checks() for name, report in reports.items() if not report.ok}
