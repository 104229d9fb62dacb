"""Linear softmax classifier: logits = x @ weight.T + bias, softmax cross-entropy.
With ``n_classes=1`` it is logistic regression (one sigmoid output, binary cross-entropy)."""

import numpy as np

from . import init, ops
from .arrays import as_arrays, float_dtype, to_numpy
from .checks import check_classifier_batch, check_features, positive_int
from .model import Model


class LinearClassifier(Model):
    def __init__(self, n_features, n_classes, *, seed=0, dtype=np.float32):
        self.n_features = positive_int(n_features, "n_features")
        self.n_classes = positive_int(n_classes, "n_classes")
        dtype = float_dtype(dtype)
        rng = init.generator(seed)
        shape = (self.n_classes, self.n_features)
        super().__init__(
            {
                "weight": init.normal(rng, shape, 0.01, dtype),  # (C, D)
                "bias": init.zeros((self.n_classes,), dtype),  # (C,)
            },
            dtype,
        )

    def logits(self, x):
        x = check_features(to_numpy(x), self.n_features, self._cast)
        return ops.linear(x, self._params["weight"], self._params["bias"])[0]

    def validate(self, batch):
        return check_classifier_batch(as_arrays(batch), self.n_features, max(self.n_classes, 2), self._cast)

    def loss_and_backward(self, batch, reduction="mean"):
        x, y = batch
        x = self._cast(x)
        logits, linear_backward = ops.linear(
            x, self._params["weight"], self._params["bias"], input_grad=False
        )  # (N, C)
        loss, loss_backward = ops.classification_loss(logits, y, reduction)

        def backward():
            (dlogits,) = loss_backward()
            _, dweight, dbias = linear_backward(dlogits)
            return {"weight": dweight, "bias": dbias}

        return loss, backward
