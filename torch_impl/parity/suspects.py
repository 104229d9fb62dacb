"""Suspects: a torch twin with a known learner bug put into its activation's backward, for the
report to test your gradients against when they differ from the twin's. Yours equal a suspect's
on every tensor that differs: that bug is the likely cause, named in the learner's words. The
twin's activations are looked up in the registry ``torch_impl.ops.ACTIVATIONS`` at every call, so
a suspect swaps one entry for the duration of one reference call."""

import torch

from numpy_impl.gradcheck import Reference
from numpy_impl.gradcheck.mutants.patching import patched

from .. import ops


def _relu_with(backward):
    """ReLU's forward with another backward(dh, z, h)."""

    class Suspect(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            h = z.clamp(min=0)
            ctx.save_for_backward(z, h)
            return h

        @staticmethod
        def backward(ctx, dh):
            z, h = ctx.saved_tensors
            return backward(dh, z, h)

    return Suspect.apply


RELU_SUSPECTS = (
    (
        lambda dh, z, h: dh,
        "your gradients equal the {name}'s with the ReLU mask left out (dz = dh, also where z <= 0): "
        "the ReLU mask is missing; multiply by (z > 0)",
    ),
    (
        lambda dh, z, h: dh * (z >= 0).to(dh.dtype),
        "your gradients equal the {name}'s with relu'(0) = 1 (mask z >= 0): torch's ReLU has derivative 0 "
        "at 0, so the mask is (z > 0)",
    ),
    (
        lambda dh, z, h: dh * h * (1 - h),
        "your gradients equal the {name}'s with sigmoid's derivative h(1 - h) in the ReLU layers: "
        "ReLU's derivative is (z > 0)",
    ),
)


def twin_suspects(torch_model, function, name, shapes, order):
    """[(hint, Reference)] for a twin whose layers use ReLU; none for the others."""
    if getattr(torch_model, "activation", None) != "relu":
        return []
    suspects = []
    for backward, hint in RELU_SUSPECTS:
        relu = _relu_with(backward)

        def call(state_dict, batch, reduction="mean", relu=relu):
            with patched([(ops.ACTIVATIONS, "relu", relu)]):
                return function(state_dict, batch, reduction)

        suspects.append(
            (
                hint.format(name=name),
                Reference(call, name, shapes=shapes, reductions=("mean", "sum"), order=order),
            )
        )
    return suspects
