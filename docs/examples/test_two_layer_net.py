"""An example test file for your own code: copy it next to your network and change the imports.
Run it with ``pytest test_two_layer_net.py``; a failing check shows the whole report.

The first test needs NumPy only (finite differences of your own loss); the second compares with
the torch MLP through a layout named once, and checks the intermediates you return too."""

import numpy as np
import two_layer_net as net

from numpy_impl.gradcheck import Layout, assert_gradients

LAYOUT = Layout(weights="in, out", labels="one-hot", l2=0.5 * net.REG)  # x @ W, one-hot y, 0.5 * reg * |W|^2


def test_gradients_match_finite_differences():
    assert_gradients(
        (net.forward, net.backward), net.make_batch(n=16), params=net.init_params(64, 32, 10), layout=LAYOUT
    )


def test_gradients_match_the_torch_mlp():
    from torch_impl.parity import assert_gradients as against_torch

    params = net.init_params(64, 32, 10, seed=3)
    params["b1"] = np.full(32, 0.1)  # away from the initial zero biases
    against_torch(
        (net.forward, net.backward), net.make_batch(n=16, seed=2), "mlp", params=params, layout=LAYOUT
    )
