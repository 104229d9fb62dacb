"""The autoencoder system: ``Autoencoder(sizes, activation)`` trained on ``(x,)`` batches (the data
module's ``labels: false``), reconstruction MSE per stage (over all elements, as the loss)."""

from typing import Literal

from torchmetrics import MeanSquaredError

from numpy_impl.checks import positive_ints

from .system import TwinSystem


class AutoencoderSystem(TwinSystem):
    """``sizes``: the encoder's, from the data's features to the latent code; the decoder mirrors them."""

    def __init__(
        self,
        sizes: tuple[int, ...] = (64, 400, 200, 2),
        activation: Literal["relu", "sigmoid", "tanh", "identity"] = "relu",
        **options,
    ):
        super().__init__(**options)
        self.sizes = positive_ints(sizes, "sizes", min_length=2)
        self.build_twin()
        self.val_mse = MeanSquaredError()
        self.test_mse = MeanSquaredError()

    def twin_spec(self):
        return "Autoencoder", {"sizes": self.sizes, "activation": self.hparams.activation}

    def validation_step(self, batch, batch_idx):
        self.val_mse.update(self.model.reconstruct(batch[0]), batch[0])

    def test_step(self, batch, batch_idx):
        self.test_mse.update(self.model.reconstruct(batch[0]), batch[0])

    def on_validation_epoch_end(self):
        self.log_epoch_value("val_mse", self.val_mse.compute())
        self.val_mse.reset()

    def on_test_epoch_end(self):
        self.log_epoch_value("test_mse", self.test_mse.compute())
        self.test_mse.reset()

    def predict_step(self, batch, batch_idx):
        """The latent codes of a batch, (N, sizes[-1])."""
        return self.model.encode(batch[0])
