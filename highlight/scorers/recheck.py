"""After the pass: a visit in which nothing moved but what moves with nobody in view is no visit.

Leaves, a flag or a bush that sway from the first minute move in the same places all
recording long. The pass judges each look as it comes, knowing only what it has seen so
far, and a gust that takes the leaves a little further than before, or a rim cut by the
frame's edge, can start a visit there ([presence](../../docs/presence.md)). Once the pass
is over, the looks with nobody in view before a visit say where things move by
themselves (``SWAY_SHARE`` of those looks or more, grown by ``REACH``: as far as what
sways swings beyond where it was seen). A visit in which nothing moved outside those
places by as much as starts a visit (the detector's ``reference_area``) was that swaying,
and is taken back. Someone who came in moved somewhere else, at least on their way in.

"Nobody in view" is a look more than ``AWAY_SECONDS`` from every visit: someone working
out on one spot, missed between two stretches the pass saw them in, moves there, and
what moved there in those looks is theirs, not the scene's. It takes ``KNOWN_AFTER`` such
looks to judge a visit: those before it or, early in the recording, the first
``KNOWN_AFTER`` of the recording, most of them after it. A bush's gusts in the first minute
are judged by how it swayed later; someone in view from the start of a workout who then
left moved where nothing moved once they had gone. A recording with fewer such looks is
left as the pass found it. What the edge watch found (people
partly in view at the frame's edge, too small at the detector's size to weigh as much as
a visit) is not taken back either, unless only what it began to follow before its first
looks told how often the band moves found it (``EdgeWatch.judged_in_view``): leaves along
the top edge, travelling in those looks where no pairs of frames seeded it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from highlight.scorers.clutter import REACH, moved_between

KNOWN_AFTER = 30  # looks with nobody in view that show where things sway (30 s at a look a second): swings and calms
AWAY_SECONDS = 10.0  # a look this far from every visit has nobody in view: closer, it may be someone missed a moment
SWAY_SHARE = 0.1  # a place moving in this share of those looks or more sways there
NOTED_SPANS = 5  # the manifest's note lists this many stretches taken back, and counts the rest
MAX_LOOKS = 4 * 3600  # looks kept (about 2 KB each): four hours a look a second; later visits are not rechecked


@dataclass(frozen=True)
class _Look:
    time: float
    moved: np.ndarray  # packed bits: where the picture moved since the look before
    at_edge: bool  # the edge watch saw someone, with a track judged as it was followed


class VisitRecheck:
    """Keeps what moved at each regular look; ``settle`` takes back the visits that were only what swayed before.

    ``area(mask)``: how much of the picture ``mask`` is, as the detector weighs what starts a
    visit (blobs it counts, a fraction of the pixels looked at); ``reference_area``: as much as
    starts one.
    """

    def __init__(self, area: Callable[[np.ndarray], float], reference_area: float):
        self.area, self.reference_area = area, reference_area
        self._looks: list[_Look] = []
        self._shape: tuple[int, int] = (0, 0)
        self._kept_until = math.inf  # looks after this were not kept (``MAX_LOOKS``)
        self.taken_back: list[tuple[float, float]] = []  # (start, end) s of what ``settle`` took back

    def look(self, t: float, previous: np.ndarray | None, image: np.ndarray, at_edge: bool) -> None:
        """A regular sample's picture (lined up with the empty scene) at ``t``, and the one before it (or None)."""
        if len(self._looks) >= MAX_LOOKS:
            self._kept_until = min(self._kept_until, t)
            return
        if previous is None or previous.shape != image.shape:
            return
        if image.shape[:2] != self._shape:  # the first look, or a picture of another size: what went before is moot
            self._looks, self._shape = [], image.shape[:2]
        self._looks.append(_Look(t, np.packbits(moved_between(previous, image)), at_edge))

    def settle(self, times: np.ndarray, scores: np.ndarray, exit_threshold: float) -> np.ndarray:
        """``scores`` with each run at or above ``exit_threshold`` that only what swayed before made, at 0."""
        runs = _runs(scores >= exit_threshold)
        if not runs or not self._looks:
            return scores
        looked = np.array([look.time for look in self._looks])
        spans = [(times[start], times[end - 1]) for start, end in runs]
        # from the look at or before a run to the one at or after it: between two looks, the frames are
        # scored because one of them rose, and what made it rise is what that look saw
        brackets = [
            (max(0, np.searchsorted(looked, a, side="right") - 1), np.searchsorted(looked, b)) for a, b in spans
        ]
        nobody = _away_from(looked, spans)
        for first, last in brackets:
            nobody[first : last + 1] = False
        seen_nobody = np.flatnonzero(nobody)
        if len(seen_nobody) < KNOWN_AFTER:  # nothing is known of where things move by themselves
            return scores
        known_from = int(seen_nobody[KNOWN_AFTER - 1]) + 1  # the looks that hold the first KNOWN_AFTER of them
        settled = scores.copy()
        moved, counted, next_look = np.zeros(self._shape, np.uint32), 0, 0
        for (start, end), (first, last) in zip(runs, brackets):
            while next_look < max(first, known_from):  # with nobody in view: before this run, or the first ones
                if nobody[next_look]:
                    moved += self._unpacked(self._looks[next_look])
                    counted += 1
                next_look += 1
            if times[end - 1] >= self._kept_until:
                continue
            sways = (moved >= SWAY_SHARE * counted).astype(np.uint8)
            elsewhere = cv2.dilate(sways, np.ones((REACH, REACH), np.uint8)) == 0
            if not any(
                look.at_edge or self._moved_elsewhere(look, elsewhere) for look in self._looks[first : last + 1]
            ):
                settled[start:end] = 0.0
                self._note_taken_back(times[start], times[end - 1])
        return settled

    def _note_taken_back(self, start: float, end: float) -> None:
        """Runs taken back within ``AWAY_SECONDS`` of each other are one stretch to the user (one gust)."""
        if self.taken_back and start - self.taken_back[-1][1] <= AWAY_SECONDS:
            self.taken_back[-1] = (self.taken_back[-1][0], end)
        else:
            self.taken_back.append((start, end))

    def note(self) -> str | None:
        """One line for the manifest on what was taken back, or None."""
        if not self.taken_back:
            return None
        spans = ", ".join(f"{start:.1f}-{end:.1f} s" for start, end in self.taken_back[:NOTED_SPANS])
        more = f" and {len(self.taken_back) - NOTED_SPANS} more" if len(self.taken_back) > NOTED_SPANS else ""
        stretches = "1 stretch" if len(self.taken_back) == 1 else f"{len(self.taken_back)} stretches"
        return (
            f"{stretches} taken back once the whole recording was seen ({spans}{more}): nothing moved in them "
            "but what moves by itself with nobody in view (leaves, a flag in the wind)"
        )

    def _unpacked(self, look: _Look) -> np.ndarray:
        height, width = self._shape
        return np.unpackbits(look.moved, count=height * width).reshape(height, width)

    def _moved_elsewhere(self, look: _Look, elsewhere: np.ndarray) -> bool:
        return self.area((self._unpacked(look) * elsewhere).astype(np.uint8) * 255) >= self.reference_area


def _away_from(looked: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """Which looks are more than ``AWAY_SECONDS`` from every span (start, end)."""
    away = np.ones(len(looked), bool)
    for start, end in spans:
        away &= (looked < start - AWAY_SECONDS) | (looked > end + AWAY_SECONDS)
    return away


def _runs(above: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True in ``above``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))
