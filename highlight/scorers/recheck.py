"""After the pass: a visit in which nothing moved but what moved before anyone came is no visit.

Leaves, a flag or a bush that sway from the first minute move in the same places all
recording long. The pass judges each look as it comes, knowing only what it has seen so
far, and a gust that takes the leaves a little further than before, or a rim cut by the
frame's edge, can start a visit there ([presence](../../docs/presence.md)). Once the pass
is over, the looks before the first visit say where things move with nobody in view
(``SWAY_SHARE`` of them or more, grown by ``REACH``: as far as what sways swings beyond
where it was seen). A visit in which nothing moved outside those places by as much as
starts a visit (the detector's ``reference_area``) was that swaying, and is taken back.
Someone who came in moved somewhere else, at least on their way in.

It needs ``KNOWN_AFTER`` seconds of looks before the first visit. With someone in view
within the first seconds (a workout filmed from its start), what moved before might be
them, missed: nothing is taken back then. What the edge watch found (people partly in
view at the frame's edge, too small at the detector's size to weigh as much as a visit)
is not taken back either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from highlight.scorers.clutter import REACH, moved_between

KNOWN_AFTER = 30.0  # seconds of looks with nobody in view that show where things sway: several swings and calms
SWAY_SHARE = 0.1  # a place moving in this share of those looks or more sways there
MAX_LOOKS = 4 * 3600  # looks kept (about 2 KB each): four hours a look a second; later visits are not rechecked


@dataclass(frozen=True)
class _Look:
    time: float
    moved: np.ndarray  # packed bits: where the picture moved since the look before
    at_edge: bool  # the edge watch saw someone


class VisitRecheck:
    """Keeps what moved at each regular look; ``settle`` takes back the visits that were only what swayed before.

    ``area(mask)``: how much of the picture ``mask`` is, as the detector weighs what starts a
    visit (blobs it counts, a fraction of the pixels looked at); ``reference_area``: as much as
    starts one.
    """

    def __init__(self, area: Callable[[np.ndarray], float], reference_area: float):
        self.area, self.reference_area = area, reference_area
        self._looks: list[_Look] = []
        self._shape: tuple[int, int] | None = None
        self._previous: np.ndarray | None = None
        self._kept_until = math.inf  # looks after this were not kept (``MAX_LOOKS``)

    def look(self, t: float, image: np.ndarray, at_edge: bool) -> None:
        """A regular sample's picture (lined up with the empty scene) at ``t``."""
        previous, self._previous = self._previous, image
        if len(self._looks) >= MAX_LOOKS:
            self._kept_until = min(self._kept_until, t)
            return
        if previous is None or previous.shape != image.shape:
            return
        self._shape = image.shape[:2]
        self._looks.append(_Look(t, np.packbits(moved_between(previous, image)), at_edge))

    def settle(self, times: np.ndarray, scores: np.ndarray, exit_threshold: float) -> np.ndarray:
        """``scores`` with each run at or above ``exit_threshold`` that only what swayed before made, at 0."""
        runs = _runs(scores >= exit_threshold)
        if not runs or self._shape is None:
            return scores
        first = times[runs[0][0]]
        before = [look for look in self._looks if look.time < first]
        if not before or first - before[0].time < KNOWN_AFTER:
            return scores
        moved = np.zeros(self._shape, np.uint32)
        for look in before:
            moved += self._unpacked(look)
        sways = moved >= SWAY_SHARE * len(before)
        elsewhere = cv2.dilate(sways.astype(np.uint8), np.ones((REACH, REACH), np.uint8)) == 0
        settled = scores.copy()
        looked = np.array([look.time for look in self._looks])
        for start, end in runs:
            if times[end - 1] >= self._kept_until:  # what moved then was not kept
                continue
            # from the look at or before it to the one at or after it: between two looks, the frames are
            # scored because one of them rose, and what made it rise is what that look saw
            first_look = max(0, np.searchsorted(looked, times[start], side="right") - 1)
            last_look = np.searchsorted(looked, times[end - 1], side="left")
            around = self._looks[first_look : last_look + 1]
            if not any(look.at_edge or self._moved_elsewhere(look, elsewhere) for look in around):
                settled[start:end] = 0.0
        return settled

    def _unpacked(self, look: _Look) -> np.ndarray:
        height, width = self._shape
        return np.unpackbits(look.moved, count=height * width).reshape(height, width)

    def _moved_elsewhere(self, look: _Look, elsewhere: np.ndarray) -> bool:
        return self.area((self._unpacked(look) * elsewhere).astype(np.uint8) * 255) >= self.reference_area


def _runs(above: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True in ``above``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))
