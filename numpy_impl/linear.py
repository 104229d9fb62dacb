"""Linear softmax classifier: logits = x @ weight.T + bias, mean softmax cross-entropy.
With ``n_classes=1`` it is logistic regression (one sigmoid output, binary cross-entropy)."""

import numpy as np

from . import init, ops
from .arrays import as_arrays
from .checks import check_classifier_batch, one_of
from .model import Model


class LinearClassifier(Model):
    def __init__(self, n_features, n_classes, *, seed=0, dtype=np.float32):
        self.n_features, self.n_classes = n_features, n_classes
        rng = np.random.default_rng(seed)
        super().__init__(
            {
                "weight": init.normal(rng, (n_classes, n_features), 0.01, dtype),  # (C, D)
                "bias": init.zeros((n_classes,), dtype),  # (C,)
            },
            dtype,
        )

    def logits(self, x):
        x = np.asarray(x, dtype=self.dtype)
        return ops.linear(x, self._params["weight"], self._params["bias"])[0]

    def loss_and_backward(self, batch, reduction="mean"):
        one_of(reduction, ("mean",), "reduction")  # the checks and "sum" come with the model contract
        x, y = check_classifier_batch(as_arrays(batch), self.n_features, max(self.n_classes, 2))
        x = np.asarray(x, dtype=self.dtype)
        logits, linear_backward = ops.linear(x, self._params["weight"], self._params["bias"])  # (N, C)
        loss, loss_backward = ops.classification_loss(logits, y)

        def backward():
            (dlogits,) = loss_backward()
            _, dweight, dbias = linear_backward(dlogits)
            return {"weight": dweight, "bias": dbias}

        return loss, backward
