"""Three-way parity (NumPy loop = torch loop = Lightning Trainer, float64) for the four models, and
the parity gate: it passes correct twins at a small cost, stops broken ones naming the tensor,
and is switched off on request."""

import io

import numpy as np
import pytest
from lightning_cases import CASES, ScaledLoss, max_difference, patched_relu, train_three_ways, trainer

from torch_impl.lightning import ClassifierSystem, DigitsData, ParityGate, ParityGateError

TOLERANCE = 1e-10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_lightning_ends_with_the_loops_weights(case):
    weights = train_three_ways(case)
    assert max_difference(weights["lightning"], weights["torch"]) <= TOLERANCE
    assert max_difference(weights["lightning"], weights["numpy"]) <= TOLERANCE
    start = case.make()[0]
    if start.model is not None:  # the weights moved: the parity is not that of untouched weights
        untouched = {k: v.numpy() for k, v in start.model.state_dict().items()}
        assert max_difference(weights["lightning"], untouched) > 1e-3


def fit_with_gate(system, gate_on=True, **data_args):
    stream = io.StringIO()
    gate = ParityGate(gate_on, stream=stream)
    trainer(1, callbacks=[gate], limit_train_batches=2).fit(system, DigitsData(**data_args))
    return gate, stream.getvalue()


def test_the_gate_passes_a_correct_twin_in_well_under_a_second():
    system = ClassifierSystem(sizes=(64, 128, 10))  # the digits MLP, float32 training
    gate, out = fit_with_gate(system)
    assert gate.report.ok and gate.seconds < 1.0, str(gate.report)
    assert out.count("\n") == 1 and out.startswith("parity gate: ok, MLP's loss and 4 gradients agree")
    assert f"in {gate.seconds:.3f} s" in out and "a batch of 64 (float64, CPU)" in out
    assert gate.report.dtype == "float64"  # the check ran on float64 copies


def test_the_gate_stops_a_twin_whose_loss_is_scaled():
    system = ClassifierSystem(sizes=(64, 16, 10))
    broken = ScaledLoss((64, 16, 10))
    broken.load_state_dict(system.model.state_dict())
    system.model = broken
    before = {k: v.clone() for k, v in broken.state_dict().items()}
    with pytest.raises(ParityGateError) as caught:
        fit_with_gate(system)
    message = str(caught.value)
    assert message.startswith("parity gate: FAILED, ScaledLoss disagrees with its NumPy twin (layers.1.bias)")
    assert "first divergent: layers.1.bias" in message and "before the first optimizer step" in message
    assert all((before[k] == v).all() for k, v in broken.state_dict().items())  # no step was taken


def test_the_gate_stops_a_twin_with_one_relu_replaced(monkeypatch):
    patched_relu(monkeypatch)
    with pytest.raises(
        ParityGateError, match=r"MLP disagrees with its NumPy twin \(layers\.\d\.(weight|bias)\)"
    ):
        fit_with_gate(ClassifierSystem(sizes=(64, 16, 10), dtype="float64"))


def test_the_gate_can_be_switched_off(monkeypatch):
    patched_relu(monkeypatch)
    gate, out = fit_with_gate(ClassifierSystem(sizes=(64, 16, 10)), gate_on=False)
    assert gate.report is None and out == ""


def test_the_gate_checks_every_model_on_its_real_batches():
    for case in CASES:
        system, data = case.make()
        gate = ParityGate(stream=io.StringIO())
        trainer(1, callbacks=[gate], limit_train_batches=1).fit(system, data)
        assert gate.report.ok, f"{case.name}: {gate.report}"
        assert len(gate.report.gradients) == len(system.model.state_dict())
        assert np.isfinite(gate.report.loss.yours)
