"""The mean of a loss over examples, accumulated on the device a batch at a time and summed over
DDP ranks when computed.

torchmetrics 1.9's ``MeanMetric(nan_strategy="disable")`` (the setting that avoids a host read
per update) replaces the weights it is given by ones (torchmetrics issue 3434, measured here), so
it averages batches, not examples: a short last batch counts as much as a full one, and under
DDP the ranks' unequal shares are averaged as equals. ``ExampleMean`` keeps the two sums itself.
"""

import torch
from torchmetrics import Metric


class ExampleMean(Metric):
    """``update(mean, n)``: a batch of ``n`` examples whose mean loss is ``mean``; ``compute()``:
    the mean over every example seen (on every rank)."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, mean, n):
        self.total += mean.detach().to(self.total.dtype) * n  # no value is read: no host sync
        self.count += n

    def compute(self):
        return self.total / self.count
