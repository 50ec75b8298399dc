"""A camera that shakes in place: each picture lined up with the empty scene's before it is compared.

A phone on a tripod in the wind, on a railing or held still by hand wobbles by a few
pixels. The detector compares every sample with the empty scene, so a wobble of a
pixel at its small size leaves a line of difference along every strong edge in the
picture (a door frame, a shelf): as tall as a person, and it never leaves. The border
band, looked at in four times the detail, sees the same wobble four pixels wide, along
the whole frame's edge.

The wobble is the one shift the fixed things in the picture agree on: corners of the
empty scene, tracked into each sample (pyramidal Lucas-Kanade); the shift is the mean
of those within ``AGREE_PX`` of their median, so a person moving is left out of it. A
tripod's wobble turns the camera by a fraction of a degree, which at this size is a
shift.

Whether the camera shakes is decided once, from the frames spread over the recording
(``prepare``): some of them away from the first by ``SHAKEN_PX`` or more, none further
than ``MAX_SHAKE`` of the width (further is a camera pointed elsewhere or carried, which is
``highlight.scorers.camera``'s case; a hand holding a phone on a scene sways it by a few
percent, and so does a tripod on a railing), and coming back: a shake scatters them around one
place, while a camera that drifts one way (a slow turn, a produced video's dolly) puts
them along a line in time (``drifts``; on the wobbling recordings a line explains at most
a quarter of their scatter, on two produced videos 0.61-0.72). On a fixed camera the tracking's own noise is up
to 0.26 pixels (the real fixed-camera clips, people moving in them), and nothing is
moved nor spent in the pass. On a shaking one every sample is moved back before anything
else looks at it; the strip of the picture a shake uncovers shows nothing of the frame: it
is given the empty scene's picture there, and is not looked at along the border.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MEASURED_WIDTH = 160  # px: a shake is measured on a grey picture this wide (the pixels below are of it)
MIN_SHAKE_PX = 0.3  # pixels of the small picture: less is the tracking's noise on a fixed camera
SHAKEN_PX = 0.5  # a frame spread over the recording this far from the first: the camera shakes
SHAKEN_FRAMES = 2  # so many of them: the camera stays where a bump left it, and is then lined up as well
MAX_SHAKE = 0.1  # of the width: further from the empty scene is a camera pointed elsewhere, not one shaking in place
DRIFT_SHARE = 0.5  # of the spread frames' scatter a straight line in time explains: the camera drifts, not shakes
MIN_CORNERS = 12  # fewer corners of the empty scene than this: too little texture to tell
AGREE_PX = 1.0  # a corner within this of the corners' median shift moves with the camera
AGREEING = 0.3  # share of the tracked corners that must fit the one motion (people and repeated texture do not)


@dataclass(frozen=True)
class Steadier:
    """Lines pictures up with ``reference`` (the empty scene, small and grey). Read-only once made.

    ``least``: a shake smaller than this (pixels) is left alone. ``MIN_SHAKE_PX`` while it
    is not known whether the camera shakes; once it is, every shake is undone (a third of
    a pixel at the small size is more than a pixel in the border band's detail).
    """

    reference: np.ndarray
    corners: np.ndarray | None
    least: float = MIN_SHAKE_PX
    frame_width: int = 0  # the whole frame's width in the reference's pixels (a region's picture is part of it)

    @classmethod
    def of(
        cls,
        reference: np.ndarray,
        least: float = MIN_SHAKE_PX,
        frame_width: int | None = None,
        fixed: np.ndarray | None = None,
    ) -> Steadier:
        """``fixed``: where in ``reference`` the fixed things may be (nonzero); default everywhere. Someone in
        view in the reference is left out of it, or their corners would be taken for the scene's."""
        corners = cv2.goodFeaturesToTrack(reference, maxCorners=120, qualityLevel=0.01, minDistance=5, mask=fixed)
        corners = corners if corners is not None and len(corners) >= MIN_CORNERS else None
        return cls(reference, corners, least, frame_width or reference.shape[1])

    def shake(self, image: np.ndarray) -> np.ndarray | None:
        """The shift (a 2x3 matrix) taking the reference's places to ``image``'s, where the camera shook in place.

        None where it did not move (less than ``least``), moved away (more than
        ``MAX_SHAKE`` of the frame's width), or it cannot be told (too few corners agree).
        """
        return self.within(self.shift(image))

    def within(self, shift: np.ndarray | None) -> np.ndarray | None:
        """``shift`` where it is a shake to undo, else None (see ``shake``)."""
        if shift is None or not self.least <= displacement(shift) <= MAX_SHAKE * self.frame_width:
            return None
        return shift

    def shift(self, image: np.ndarray, hidden: np.ndarray | None = None) -> np.ndarray | None:
        """How the fixed things of the reference moved in ``image`` (a 2x3 matrix), however far; None where most
        of its corners do not agree on one shift (a new view, or too little texture to tell).

        ``hidden``: where in ``image`` something stands in front of the scene (nonzero), such as a person
        found there: the corners there are not looked for.
        """
        if self.corners is None or image.shape != self.reference.shape:
            return None
        tracked, found, _ = cv2.calcOpticalFlowPyrLK(
            self.reference, image, self.corners, None, winSize=(15, 15), maxLevel=2
        )
        ok = found.ravel() == 1
        if hidden is not None:
            x, y = np.round(self.corners.reshape(-1, 2)).astype(int).T
            ok &= hidden[np.clip(y, 0, hidden.shape[0] - 1), np.clip(x, 0, hidden.shape[1] - 1)] == 0
        if ok.sum() < MIN_CORNERS:
            return None
        moves = (tracked[ok] - self.corners[ok]).reshape(-1, 2)
        agreeing = np.hypot(*(moves - np.median(moves, axis=0)).T) <= AGREE_PX
        if agreeing.sum() < max(MIN_CORNERS, AGREEING * ok.sum()):
            return None
        dx, dy = moves[agreeing].mean(axis=0)
        return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)


def measured(image: np.ndarray) -> np.ndarray:
    """``image`` (RGB or grey, any size) as the small grey picture a shake is measured on (``MEASURED_WIDTH``)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    height = max(1, round(grey.shape[0] * MEASURED_WIDTH / grey.shape[1]))
    return cv2.resize(grey, (MEASURED_WIDTH, height), interpolation=cv2.INTER_AREA)


def displacement(shift: np.ndarray) -> float:
    """How far (pixels) a ``shift`` moves the picture."""
    return float(np.hypot(shift[0, 2], shift[1, 2]))


def shakes_in_place(shifts: list[np.ndarray | None], times: list[float], width: int) -> bool:
    """Whether the frames spread over a recording (their ``shifts`` from the first, None: not told, at
    ``times``) say the camera shakes in place: some of them away from the first, none further than a shake
    goes (of the frame's ``width``, in the pixels the shifts are in), and not drifting one way."""
    told = [(t, shift) for t, shift in zip(times, shifts) if shift is not None]
    away = [displacement(shift) for _, shift in told if displacement(shift) >= SHAKEN_PX]
    if len(away) < SHAKEN_FRAMES or max(away) > MAX_SHAKE * width:
        return False
    return not drifts(np.array([t for t, _ in told]), np.array([shift[:, 2] for _, shift in told]))


def drifts(times: np.ndarray, places: np.ndarray) -> bool:
    """Whether the picture goes one way over the recording (a slow turn, a produced video's dolly) rather than
    coming back as a shake does: a straight line in time explains ``DRIFT_SHARE`` or more of the spread of
    its ``places`` (n x 2)."""
    spread = float(((places - places.mean(axis=0)) ** 2).sum())
    if len(times) < 3 or spread == 0.0:
        return False
    line = np.c_[times, np.ones_like(times)]
    fitted = line @ np.linalg.lstsq(line, places, rcond=None)[0]
    return 1.0 - float(((places - fitted) ** 2).sum()) / spread >= DRIFT_SHARE


def steadied(
    image: np.ndarray, shake: np.ndarray, scale: float = 1.0, border: int = cv2.BORDER_REPLICATE
) -> np.ndarray:
    """``image`` moved back by ``shake`` onto the reference's places (the edges it uncovers repeated).

    ``scale``: ``image`` is that many times the size of the pictures ``shake`` was measured on.
    """
    height, width = image.shape[:2]
    matrix = shake.copy()
    matrix[:, 2] *= scale
    return cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border
    )


def uncovered(shape: tuple[int, ...], shake: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """255 where a picture of ``shape`` moved back by ``shake`` (see ``steadied``) shows nothing of the frame.

    The frame's edge moved into the picture: what ``steadied`` repeats there is no new
    thing cut by the edge, and is not looked at.
    """
    frame = np.full(shape[:2], 255, np.uint8)
    return cv2.bitwise_not(steadied(frame, shake, scale, border=cv2.BORDER_CONSTANT))
