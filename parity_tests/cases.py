"""A battery's unit: one model configuration at one test point, named for pytest ids."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    config: object  # the battery's own Config, with a ``label``
    point: str

    @property
    def id(self):
        return f"{self.config.label}-{self.point}"
