"""The one small interface every scorer implements (like PySceneDetect's detectors)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

import numpy as np

from highlight.source import Frame, VideoSource


class Scorer(ABC):
    """Turns frames into scores in [0, 1]: how much of a highlight each frame is.

    The pipeline calls ``prepare`` once per video, then ``score`` on batches of
    ``batch_size`` images made by ``image_for``, in time order. ``learn=False`` marks
    frames scored out of order (the edges of a highlight, between two samples): a
    scorer with state (a background model) must score them without updating it.
    """

    name: ClassVar[str]
    batch_size: int = 1

    def prepare(self, source: VideoSource) -> None:
        """Look at the video before the pass (optional): e.g. estimate an empty background."""

    @abstractmethod
    def image_for(self, frame: Frame) -> np.ndarray:
        """The array this scorer wants for ``frame`` (its size, colour, normalisation)."""

    @abstractmethod
    def score(self, images: Sequence[np.ndarray], learn: bool = True) -> np.ndarray:
        """One score in [0, 1] per image."""

    def describe(self) -> dict[str, Any]:
        """Name and parameters, stored in the manifest so a result can be traced back."""
        return {"name": self.name}

    @property
    def default_threshold(self) -> float | None:
        """A threshold this scorer knows to be right (a trained model's), else None."""
        return None

    @property
    def default_exit_threshold(self) -> float | None:
        """The exit threshold to pair with ``default_threshold`` (a trained model's), else None."""
        return None
