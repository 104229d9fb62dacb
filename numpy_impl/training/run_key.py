"""What a resumed run must share with the run that wrote its checkpoint: the run's key.

Every hyperparameter that changes the numbers is in it: the model's dtype and constructor
arguments, the optimizer's class and hyperparameters at the start, the data source's batch size,
seed and a fingerprint of the data itself, the reduction and the learning-rate schedule. The
number of epochs is not: a run may be resumed to go on for longer.
"""

import json

# what our models' constructors take; a model (or a wrapper around one) without some of them is
# compared on those it has, its parameters' names and shapes being checked by the state dict
MODEL_HPARAMS = (
    "dtype",
    "n_features",
    "n_classes",
    "sizes",
    "activation",
    "vocab_size",
    "dim",
    "init",
    "sparse",
)
OPTIONAL = "model."  # entries compared only when both runs record them
SCHEDULE_POINTS = (0, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10)  # epochs done: where two schedules must agree


def run_key(model, optimizer, source, reduction, lr_schedule):
    """What a resumed run must share with the run that wrote the checkpoint, as plain JSON: the
    model's dtype and constructor arguments, the optimizer's class and hyperparameters at the
    start, the data source's key (batch size, seed and a fingerprint of the data), the reduction
    and the learning-rate schedule (its values at ``SCHEDULE_POINTS``)."""
    key = {f"model.{a}": getattr(model, a) for a in MODEL_HPARAMS if hasattr(model, a)}
    key["optimizer"] = type(optimizer).__name__
    key |= {f"optimizer.{k}": v for k, v in optimizer.state_dict()["hparams"].items()}
    key |= source.run_key() if hasattr(source, "run_key") else {}
    key["reduction"] = reduction
    if lr_schedule is not None:
        key["lr_schedule"] = [float(lr_schedule(t)) for t in SCHEDULE_POINTS]
    return json.loads(json.dumps(key, default=str))  # tuples as lists, as the file gives them back


def differing_key(written, current):
    """The first entry in which two run keys differ, in words ("lr=0.1, this run has lr=0.05"), or None."""
    for key in list(current) + [k for k in written if k not in current]:
        if key.startswith(OPTIONAL) and (key not in written or key not in current):
            continue
        if written.get(key) != current.get(key):
            return f"{key}={_shown(written.get(key))}, this run has {key}={_shown(current.get(key))}"
    return None


def _shown(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 80 else f"{text[:37]}...{text[-37:]}"
