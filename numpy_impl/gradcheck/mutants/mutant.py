"""What a mutant is: one known learner bug (or an equivalent rewrite), the patches that inject it,
the models it reaches and the words a report's hint should use to name its cause."""

from dataclasses import dataclass

MODELS = ("linear", "mlp", "autoencoder", "skipgram")
CLASSIFIERS = ("linear", "mlp")
STACKS = ("linear", "mlp", "autoencoder")  # the models built from ops.linear
RELU_STACKS = ("mlp", "autoencoder")


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str  # what a learner wrote
    patches: object  # () -> [(owner, attribute or key, replacement)]; an owner may be a dict (a registry)
    equivalent: bool = False
    models: tuple = MODELS  # the models whose code the patches reach
    cause: str | None = (
        None  # a phrase the report's hints use for this bug; None: its error has no shape to read
    )
    layer: str = "gradients"  # "optimizer": a bug of the update, which no gradient check can see
