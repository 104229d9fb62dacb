"""The linear model and the MLP beside scikit-learn at matched settings: each fit timed side by side
with its peer (interleaved rounds, the median), and each fit's held-out accuracy.

- linear: our ``LinearClassifier`` (plain SGD, lr 0.1, batch 64, ``epochs`` epochs, no penalty)
  against ``LogisticRegression`` (the multinomial softmax model with lbfgs, its default solver; it
  has no minibatch SGD, so its own fit to convergence, ``max_iter`` 200, is the peer).
- mlp: our ``MLP`` 784-128-10 (ReLU) against ``MLPClassifier(hidden_layer_sizes=(128,))`` with
  solver "sgd", the same lr, batch, epochs, no momentum and no L2 (``alpha=0``), stopping rules off
  so that it trains every epoch.

Both engines see float32 data; the batches differ (scikit-learn shuffles with its own generator).
"""

import warnings

import numpy as np

from .timing import side_by_side

LR, BATCH = 0.1, 64


def ours(name, train, epochs):
    """A function fitting our NumPy ``name`` model from scratch; it returns the fitted model."""
    import numpy_impl
    from numpy_impl.optim import SGD
    from numpy_impl.training import fit

    n_features, n_classes = train[0].shape[1], int(train[1].max()) + 1
    sizes = (n_features, n_classes) if name == "linear" else (n_features, 128, n_classes)

    def train_once():
        model = (
            numpy_impl.LinearClassifier(*sizes, seed=0, dtype=np.float32)
            if name == "linear"
            else numpy_impl.MLP(sizes, seed=0, dtype=np.float32)
        )
        opt = SGD(model.parameters(), lr=LR)
        fit(model, opt, train, epochs=epochs, batch_size=BATCH, seed=0, progress="off")
        return model

    return train_once


def sklearn_peer(name, train, epochs):
    """A function fitting scikit-learn's peer of ``name`` from scratch; it returns the estimator."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    def train_once():
        if name == "linear":
            estimator = LogisticRegression(C=np.inf, max_iter=200)
        else:
            estimator = MLPClassifier(
                hidden_layer_sizes=(128,),
                solver="sgd",
                learning_rate_init=LR,
                batch_size=BATCH,
                max_iter=epochs,
                momentum=0.0,
                alpha=0.0,
                tol=0.0,
                n_iter_no_change=epochs + 1,
                random_state=0,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget of epochs is the point
            return estimator.fit(*train)

    return train_once


def accuracy(predicted, y):
    return float(np.mean(np.asarray(predicted) == y))


def versus_sklearn(s, images):
    """Seconds per fit and held-out accuracy of ours and scikit-learn's, for the linear model and the MLP."""
    x, y = images.rows(s.rows)
    train = (x.astype(np.float32), y)
    x_test, y_test = images.test[0].astype(np.float32), images.test[1]
    records = []
    for name in ("linear", "mlp"):
        seconds, fitted = side_by_side(
            {
                "numpy": ours(name, train, s.baseline_epochs),
                "sklearn": sklearn_peer(name, train, s.baseline_epochs),
            },
            repeats=s.repeats,
            warmup=s.warmup,
        )
        records.append(
            {
                "model": name,
                "numpy_s": seconds["numpy"],
                "sklearn_s": seconds["sklearn"],
                "numpy_over_sklearn": seconds["numpy"] / seconds["sklearn"],
                "numpy_accuracy": accuracy(fitted["numpy"].logits(x_test).argmax(axis=1), y_test),
                "sklearn_accuracy": accuracy(fitted["sklearn"].predict(x_test), y_test),
                "sklearn_iterations": int(np.max(fitted["sklearn"].n_iter_)),
            }
        )
    return {"epochs": s.baseline_epochs, "batch": BATCH, "lr": LR, "rows": len(x), "records": records}
