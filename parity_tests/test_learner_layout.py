"""Learner code in the learner's own layout (weights (in, out), names W1 b1..., functions, one-hot
labels, a summed loss, L2 inside the loss) checked against the torch MLP through a layout mapping
that is only named, never coded: correct code passes everywhere (random configurations, exact
kinks), its report speaks the learner's names, and a mapping that does not fit is an error."""

import sys
from pathlib import Path

import numpy as np
import pytest
from learner_code import Style, functions, init_params, make_batch

from numpy_impl.checks import InputError
from numpy_impl.data import make_xor
from numpy_impl.gradcheck import Layout
from numpy_impl.gradcheck import check as check_without_torch
from torch_impl.parity import check

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "examples"))
import two_layer_net  # noqa: E402  the docs' example learner code


def test_the_docs_two_layer_net_is_checked_against_the_torch_mlp_through_a_named_layout():
    layout = Layout(weights="in, out", labels="one-hot", l2=0.5 * two_layer_net.REG)
    code = (two_layer_net.forward, two_layer_net.backward)
    report = check(code, two_layer_net.batch, "mlp", params=two_layer_net.params, layout=layout)
    assert report.ok, str(report)
    assert [g.name for g in report.gradients] == ["b2", "W2", "b1", "W1"]  # your names, backward order
    assert [t.name for t in report.backward()][:3] == ["dscores", "b2", "W2"]
    assert {t.name for t in report.intermediates} == {"dscores", "dh1", "dz1"}
    assert max(t.max_error_over_scale for t in report.backward()) <= 1e-10
    assert report.gradients[-1].shape == (64, 32)  # W1 in (in, out), as you wrote it
    assert "W1 -> layers.0.weight (transposed)" in str(report)


def random_style(rng):
    depth = int(rng.integers(1, 4))
    sizes = tuple(int(s) for s in rng.integers(2, 9, size=depth + 1))
    return Style(
        sizes=sizes,
        activation=str(rng.choice(["relu", "relu", "tanh", "sigmoid"])),
        weights=str(rng.choice(["in, out", "out, in"])),
        labels=str(rng.choice(["one-hot", "ids"])),
        loss=str(rng.choice(["mean", "sum"])),
        reg=float(rng.choice([0.0, 0.1])),
    )


def random_point(seed):
    rng = np.random.default_rng(seed)
    style = random_style(rng)
    params = init_params(style, seed=seed, zero_biases=bool(rng.random() < 0.5))
    n = int(rng.integers(1, 10))
    zero_rows = [i for i in range(n) if rng.random() < 0.2]
    return style, params, make_batch(style, n, seed=seed + 1, zero_rows=zero_rows)


def test_no_false_alarm_on_200_random_correct_configurations():
    failures = []
    for seed in range(200):
        style, params, batch = random_point(seed)
        mode = "exhaustive" if seed % 4 == 0 else "sampled"
        report = check(
            functions(style),
            batch,
            "mlp",
            params=params,
            layout=style.layout,
            activation=style.activation,
            finite_differences=mode,
        )
        if not report.ok:
            failures.append(f"seed {seed} {style}\n{report}")
    assert not failures, failures[0]


RELU_SIZES = [(2, 4, 2), (2, 8, 2), (2, 3, 3, 2), (2, 6, 6, 6, 3)]


@pytest.mark.parametrize("sizes", RELU_SIZES, ids=str)
def test_xor_with_zero_biases_puts_every_unit_on_its_kink_and_never_fails(sizes):
    """Input (0, 0) puts every hidden pre-activation exactly at 0: finite differences there cross
    kinks (inconclusive), and the twin agrees with relu'(0) = 0."""
    x, y = make_xor()
    inconclusive = 0
    for seed in range(5):
        style = Style(sizes=sizes, labels="ids", weights="in, out")
        params = init_params(style, seed=seed)
        report = check(
            functions(style),
            (x, y.astype(np.int64)),
            "mlp",
            params=params,
            layout=style.layout,
            finite_differences="exhaustive",
        )
        assert report.ok, str(report)
        inconclusive += report.finite_differences.n_inconclusive
    assert inconclusive > 0  # the kinks were there, and were set aside


@pytest.mark.parametrize("zero_biases", [True, False])
def test_all_zero_input_rows_never_fail(zero_biases):
    for seed in range(5):
        style = Style(sizes=(13, 11, 11, 5), weights="in, out", loss="sum", reg=0.1)
        params = init_params(style, seed=seed, zero_biases=zero_biases)
        batch = make_batch(style, 7, seed=seed, zero_rows=(1, 4))
        torch_free = check_without_torch(
            functions(style), batch, params=params, finite_differences="exhaustive"
        )
        assert torch_free.ok, str(torch_free)
        report = check(
            functions(style), batch, "mlp", params=params, layout=style.layout, finite_differences=None
        )
        assert report.ok, str(report)


def test_a_layout_that_does_not_fit_is_an_error_naming_it():
    style = Style()
    params, batch = init_params(style), make_batch(style, 7)
    with pytest.raises(
        InputError, match=r"b1 \(11,\) for layers.0.bias \(13,\).*are your weights \(in, out\)\?"
    ):
        check(
            functions(style), batch, "mlp", params=params, layout=Layout(weights="out, in", labels="one-hot")
        )
    with pytest.raises(InputError, match="cannot pair your parameters"):
        check(functions(style), batch, "linear", params=params, layout=style.layout)
    with pytest.raises(InputError, match="Layout names 'V1', which is not one of your parameters"):
        check(
            functions(style),
            batch,
            "mlp",
            params=params,
            layout=Layout(names={"V1": "layers.0.weight"}, labels="one-hot"),
        )


class Summed:
    """Our autoencoder as learner code whose loss is the MSE summed over every element."""

    def __init__(self, model):
        self.model = model

    def parameters(self):
        return self.model.parameters()

    def loss_and_grads(self, batch):
        return self.model.loss_and_grads(batch, reduction="sum")


def test_a_twin_taken_without_a_layout_says_what_a_layout_would_do():
    """Correct code in its own names, or (in, out) weights under the twin's names, checked with no
    layout: the structure failure says which Layout would pair them."""
    style = Style(weights="out, in", labels="ids")
    params, batch = init_params(style), make_batch(style, 7)
    report = check(functions(style), batch, "mlp", params=params, finite_differences=None)
    assert report.failed_checks() == ["structure: torch MLP"]
    assert "your names are not the torch MLP's (layers.0.weight, layers.0.bias, ...): layout=Layout()" in str(
        report
    )
    assert check(functions(style), batch, "mlp", params=params, layout=Layout(), finite_differences=None).ok
    style = Style(weights="in, out", labels="ids")
    forward, backward = functions(style)
    names = {f"W{k}": f"layers.{k - 1}.weight" for k in (1, 2)} | {
        f"b{k}": f"layers.{k - 1}.bias" for k in (1, 2)
    }
    ours = {v: k for k, v in names.items()}

    def twin_named(p, b):  # the twin's names, (in, out) weights
        loss, cache = forward({ours[k]: v for k, v in p.items()}, b)
        grads = backward(cache)
        grads = grads[0] if isinstance(grads, tuple) else grads  # (grads, intermediates)
        return loss, {names[k]: v for k, v in grads.items()}

    twin_params = {names[k]: v for k, v in init_params(style).items()}
    report = check(twin_named, batch, "mlp", params=twin_params, finite_differences=None)
    assert "are your weights (in, out), z = x @ W? layout=Layout(weights='in, out')" in str(report), str(
        report
    )


def test_a_summed_loss_is_the_twin_s_own_sum_not_n_times_its_mean():
    """For the MSE the sum runs over N*D elements: the twin computes it (reduction="sum"), where
    scaling the mean by N would be D times off."""
    import numpy_impl

    model = numpy_impl.Autoencoder((13, 11, 5, 3), dtype=np.float64, seed=2)
    x = np.random.default_rng(0).random((7, 13))
    report = check(
        Summed(model), (x,), "autoencoder", layout=Layout(loss="sum"), finite_differences="exhaustive"
    )
    assert report.ok, str(report)
    assert report.loss.yours == pytest.approx(7 * 13 * model.loss((x,)), rel=1e-12)


@pytest.mark.parametrize("kind", ["linear", "mlp", "autoencoder", "skipgram"])
def test_every_twin_by_name_sizes_itself_from_your_parameters(kind):
    import numpy_impl
    from numpy_impl.gradcheck import points

    model = {
        "linear": lambda: numpy_impl.LinearClassifier(13, 5, dtype=np.float64),
        "mlp": lambda: numpy_impl.MLP((13, 11, 5), dtype=np.float64),
        "autoencoder": lambda: numpy_impl.Autoencoder((13, 11, 3), dtype=np.float64),
        "skipgram": lambda: numpy_impl.SkipGram(11, 7, dtype=np.float64),
    }[kind]()
    batch = {
        "skipgram": points.id_batch(11, 5, 3, seed=1),
        "autoencoder": (np.random.default_rng(0).random((7, 13)),),
    }.get(kind, points.classifier_batch(13, 5, 7))
    if kind == "skipgram":
        model.load_state_dict(points.random_state(model))
    report = check(model, batch, kind, finite_differences=None)
    assert (
        report.ok
        and report.reference.startswith("torch ")
        and len(report.gradients) == len(model.state_dict())
    ), str(report)


def test_a_torch_function_in_your_own_layout_is_a_reference_with_intermediates():
    import torch

    style = Style(sizes=(13, 11, 5), labels="ids")

    def torch_loss(p, batch):
        x, y = batch
        z1 = x @ p["W1"] + p["b1"]
        scores = torch.relu(z1) @ p["W2"] + p["b2"]
        return torch.nn.functional.cross_entropy(scores, y), {"dz1": z1, "dz2": scores}

    params, batch = init_params(style, zero_biases=False), make_batch(style, 7)
    report = check(functions(style), batch, torch_loss, params=params)
    assert report.ok and {t.name for t in report.intermediates} == {"dz1", "dz2"}, str(report)
    assert any(
        "intermediate dh1: the torch function torch_loss has none by that name" in n for n in report.notes
    )
    broken = check(functions(style, "no_mask"), batch, torch_loss, params=params, finite_differences=None)
    assert broken.first_divergent_intermediate == "dz1"


def test_the_l2_options_are_read_as_written_or_refused_by_name():
    style = Style(reg=0.02)  # the loss adds 0.01 * sum(W**2) over W1 and W2
    params, batch = init_params(style), make_batch(style, 7)
    assert Layout(l2=np.float32(0.5)).l2 == 0.5 and Layout(l2=0.01, l2_on="W1").l2_on == ("W1",)
    with pytest.raises(InputError, match="l2 must be a number >= 0"):
        Layout(l2=True)
    with pytest.raises(
        InputError, match=r"Layout l2_on names 'V1', not among your parameters \(W1, b1, W2, b2\)"
    ):
        check(
            functions(style),
            batch,
            "mlp",
            params=params,
            layout=Layout(weights="in, out", labels="one-hot", l2=0.01, l2_on=["V1"]),
        )
    only_w1 = Layout(weights="in, out", labels="one-hot", l2=0.01, l2_on="W1")  # one name, not 'W' and '1'
    report = check(functions(style), batch, "mlp", params=params, layout=only_w1, finite_differences=None)
    assert report.first_divergent == "W2" and "+ 0.01 * sum(W**2) over W1\n" in str(report) + "\n"
