"""Optimizers and learning-rate schedules from a system's typed hyperparameters (YAML), the same
``torch.optim`` classes the plain loop uses, so a Lightning run steps exactly as ``torch_impl.train``.

The one schedule besides a constant rate is word2vec's linear decay, measured in examples done:
``numpy_impl.optim.word2vec_lr`` over the run's ``max_epochs``, set before every step the way
``torch_impl.train.torch_step`` sets it (``group["lr"] = lr`` in every parameter group).
"""

import torch

from numpy_impl.checks import InputError, one_of, real
from numpy_impl.ops import REDUCTIONS
from numpy_impl.optim import word2vec_lr

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
SCHEDULES = ("constant", "linear")


def build_optimizer(
    parameters, name, *, lr, momentum=0.0, weight_decay=None, betas=(0.9, 0.999), sparse=False
):
    """``torch.optim.<name>`` over ``parameters``; ``weight_decay=None`` keeps torch's default for
    the optimizer (0 for SGD and Adam, 1e-2 for AdamW). ``sparse``: the model's gradients are
    sparse, which only plain SGD takes (as in torch, refused here before the first step)."""
    one_of(name, tuple(OPTIMIZERS), "optimizer")
    check_options(lr=lr, momentum=momentum, weight_decay=weight_decay, betas=betas)
    options = {"lr": float(lr)}
    if weight_decay is not None:
        options["weight_decay"] = float(weight_decay)
    if name == "sgd":
        options["momentum"] = float(momentum)
    elif momentum:
        raise InputError(f"momentum is SGD's; {name} takes betas (got momentum={momentum})")
    else:
        options["betas"] = (float(betas[0]), float(betas[1]))
    if sparse and (name != "sgd" or options.get("weight_decay")):
        raise InputError(
            f"{name} with weight_decay={weight_decay} does not take the sparse gradients of "
            "nn.Embedding(sparse=True); use optimizer sgd without weight decay, or the model's sparse: false"
        )
    return OPTIMIZERS[name](parameters, **options)


def check_hparams(h):
    """A system's training hyperparameters checked when it is built, before any data is read."""
    one_of(h.optimizer, tuple(OPTIMIZERS), "optimizer")
    one_of(h.lr_schedule, SCHEDULES, "lr_schedule")
    one_of(h.reduction, REDUCTIONS, "reduction")
    check_options(lr=h.lr, momentum=h.momentum, weight_decay=h.weight_decay, betas=h.betas)
    real(h.end_lr, "end_lr", minimum=0)


def check_options(*, lr, momentum, weight_decay, betas):
    """The options by the NumPy optimizers' rules (finite, >= 0; betas in [0, 1)): an InputError
    naming the option rather than torch's ValueError from inside the optimizer."""
    real(lr, "lr", minimum=0)
    real(momentum, "momentum", minimum=0)
    if weight_decay is not None:
        real(weight_decay, "weight_decay", minimum=0)
    if len(betas) != 2:
        raise InputError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    for i, beta in enumerate(betas):
        real(beta, f"betas[{i}]", minimum=0, below=1)


def schedule(name, max_epochs, lr, end_lr):
    """``lr_schedule(t) -> lr`` (t: epochs done, fractions counted in examples), None for "constant"."""
    one_of(name, SCHEDULES, "lr_schedule")
    if name == "constant":
        return None
    if max_epochs is None or max_epochs < 1:
        raise InputError(f"lr_schedule 'linear' decays over trainer.max_epochs; got max_epochs={max_epochs}")
    return word2vec_lr(max_epochs, lr, end_lr)


def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr
