"""The one small interface every detector implements (like PySceneDetect's detectors)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from highlight.options import Option, complete, parse_values
from highlight.regions import parse_regions
from highlight.source import Frame, VideoSource


class Scorer(ABC):
    """Turns frames into scores in [0, 1]: how much of a highlight each frame is.

    The pipeline calls ``prepare`` once per video, then ``score`` on batches of
    ``batch_size`` images made by ``image_for``, in time order. ``learn=False`` marks
    frames scored out of order (the edges of a highlight, between two samples): a
    scorer with state (a background model) must score them without updating it.

    A detector (registered in the entry-point group ``highlight.detectors``) is built
    as ``cls(sample_fps=..., **options)``: this base constructor takes the options it
    declares in ``options`` (parsed, defaults filled in) and sets each as an attribute
    of the same name, so ``describe()`` can list them all. A subclass calls
    ``super().__init__(sample_fps, regions, excludes, **options)`` first. A detector
    that can look at part of the picture sets ``supports_regions``; it gets
    ``--region``/``--exclude`` as ``self.regions`` / ``self.excludes`` (canonical texts,
    see ``highlight.regions``), and any other refuses them. ``threshold`` and
    ``exit_threshold``, where a detector sets them, are used by ``run`` where the user
    gave none.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""  # one line for `highlight plugins`
    options: ClassVar[tuple[Option, ...]] = ()
    threshold: ClassVar[float | None] = None
    exit_threshold: ClassVar[float | None] = None
    supports_regions: ClassVar[bool] = False
    # Which frames between two samples that cross the threshold are scored, to place
    # the edge: every ``refine_every``-th. A cheap scorer (the motion detector, about
    # 1 ms a frame) scores every frame. One that costs as much as decoding a whole GOP
    # (a neural network: ResNet50 is about 27 ms of CPU a frame here) scores every
    # third: a third of the cost, the edge within a frame and a half, and the time-
    # weighted median still sees the stretch densely, where a noisy score wavers around
    # the threshold (halving, 5 frames a second, followed one frame's noise there).
    refine_every: ClassVar[int] = 1
    # The furthest ``began_at`` reaches behind the latest regular sample, in seconds: a
    # live session cuts its parts at least this far behind the stream, so a start that
    # is confirmed late still lands in one part.
    look_back: ClassVar[float] = 0.0
    batch_size: int = 1

    def __init__(
        self, sample_fps: float = 2.0, regions: Sequence[str] = (), excludes: Sequence[str] = (), **options: Any
    ):
        if (regions or excludes) and not self.supports_regions:
            raise ValueError(f"detector {self.name!r} does not take --region or --exclude")
        self.sample_fps = float(sample_fps)
        self.regions = tuple(str(region) for region in parse_regions(regions))
        self.excludes = tuple(str(region) for region in parse_regions(excludes))
        try:
            values = complete(self.options, parse_values(self.name, self.options, options))
        except ValueError as error:
            raise ValueError(f"detector {error}") from None
        for name, value in values.items():
            setattr(self, name, value)

    def prepare(self, source: VideoSource) -> None:  # noqa: B027 (an optional hook, empty by default)
        """Look at the video before the pass (optional): e.g. estimate an empty background."""

    @abstractmethod
    def image_for(self, frame: Frame) -> np.ndarray:
        """The array this scorer wants for ``frame`` (its size, colour, normalisation)."""

    @abstractmethod
    def score(self, images: Sequence[np.ndarray], learn: bool = True) -> np.ndarray:
        """One score in [0, 1] per image."""

    def expect_times(self, times: Sequence[float]) -> None:  # noqa: B027 (an optional hook)
        """The times (seconds) of the images the next ``score`` call gets; the pipeline says so first.

        Samples are not evenly spaced: where the scene is quiet, and in action when the
        GOPs are short, the pass looks at keyframes (a second apart on a phone), not at
        ``sample_fps``. A scorer whose memory is measured in seconds (a background model
        that learns over ``history`` seconds) keeps them to use the real spacing; one
        without time in it ignores them. A hook beside ``score`` rather than an argument
        of it, so detectors written for ``score(images, learn)`` (and wrappers of them)
        go on working.
        """

    def settle(self, times: np.ndarray, scores: np.ndarray, exit_threshold: float) -> np.ndarray:
        """The pass's ``scores`` (at ``times``), revised once the whole recording was seen; unchanged by default.

        A detector that judges each look as it comes knows more at the end: where things
        sway with nobody in view, say. ``exit_threshold``: where a highlight ends.
        """
        return scores

    def began_at(self) -> float | None:
        """When what raised the last regular sample's score was first seen, where that was at an earlier sample.

        A detector that needs a few samples to be sure (someone at the frame's edge is
        one once they have walked a few steps) says so here; the pipeline then scores
        the frames since then as well, so that the highlight starts where they came into
        view. None (the default): the rise is this sample's own.
        """
        return None

    @property
    def watching(self) -> bool:
        """Whether the scorer follows something that only samples at the regular rate can tell about (motion
        that may yet turn out to be someone): the pass does not skip a quiet stretch's frames then. False unless
        a scorer says so."""
        return False

    @property
    def camera_shakes(self) -> bool:
        """Whether the pass found the camera shaking in place and lined its samples up (``scorers.steady``):
        another look at the same recording (the hoop search) does the same. False unless a scorer says so."""
        return False

    def describe(self) -> dict[str, Any]:
        """Name, every option's value and the regions, stored in the manifest so a result can be traced back."""
        described = {"name": self.name, **{option.name: getattr(self, option.name) for option in self.options}}
        if self.regions or self.excludes:
            described.update(regions=list(self.regions), excludes=list(self.excludes))
        return described

    @property
    def default_threshold(self) -> float | None:
        """A threshold this scorer knows to be right (a trained model's), else None."""
        return self.threshold

    @property
    def default_exit_threshold(self) -> float | None:
        """The exit threshold to pair with ``default_threshold``, else None."""
        return self.exit_threshold
