"""Where a shaking camera had moved the picture at each pose frame, so that people are measured as if it stood still.

A phone on a tripod in the wind moves the whole picture by up to a percent of its
width, a few times a second, and every landmark moves with it. The reps counter reads
heights in the picture, and a push-up's hips travel only a few times that: recorded
through a 0.4% wobble, ``pushup_gym_side`` gave 12 push-ups in two sets, not 10.

The presence detector decides whether the camera shakes in place, once for the whole
recording (``highlight.scorers.steady``), and tells the plugins
(``VideoContext.camera_shakes``). Each pose frame is then measured the detector's way:
corners of the first frame tracked into it, and the one shift most of them agree on.
The people the pose model found are left out, in the first frame and in each, for they
move on their own: someone filling much of the picture would otherwise be taken for the
scene. A frame whose shift cannot be told takes its neighbours' (interpolated in time).

The landmarks stay where they are in the picture (the skeletons drawn on clips must
stay on the person); the shift is kept beside them and taken off only to measure.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
from highlight_plugins.pose.landmarks import PeopleTrack

from highlight.scorers.steady import Steadier, measured

PERSON_MARGIN = 0.15  # of a person's box, each way: hair, clothes, a barbell and the model's jitter


class CameraShake:
    """The shake of each pose frame from the first, measured as the frames come (``add``)."""

    def __init__(self) -> None:
        self._steadier: Steadier | None = None
        self._shifts: list[tuple[float, float] | None] = []  # (x, y) as landmarks are: shares of width, height

    def add(self, image: np.ndarray, poses: list[np.ndarray]) -> None:
        """Measure ``image`` (the picture ``poses`` were found in, RGB) against the first frame."""
        small = measured(image)
        hidden = people_in(small.shape, poses)
        if self._steadier is None:
            self._steadier = Steadier.of(small, least=0.0, fixed=cv2.bitwise_not(hidden))
        shift = self._steadier.within(self._steadier.shift(small, hidden))
        height, width = small.shape
        self._shifts.append(None if shift is None else (shift[0, 2] / width, shift[1, 2] / height))

    def shifts(self) -> np.ndarray:
        """(frames, 2): how far each frame's picture had moved from the first's, in the landmarks' units."""
        return filled(self._shifts)


def filled(shifts: list[tuple[float, float] | None]) -> np.ndarray:
    """``shifts`` as an array, a frame not told (None) taking its neighbours' (interpolated between the nearest
    told before and after it; zeros where none was told): a tripod's wobble swings a few times a second, and
    the pose frames are a tenth of a second apart."""
    told = [k for k, shift in enumerate(shifts) if shift is not None]
    if not told:
        return np.zeros((len(shifts), 2))
    places = np.array([shifts[k] for k in told])
    frames = np.arange(len(shifts))
    return np.stack([np.interp(frames, told, places[:, axis]) for axis in range(2)], axis=1)


def people_in(shape: tuple[int, int], poses: list[np.ndarray]) -> np.ndarray:
    """255 over each person's box (all landmarks, ``PERSON_MARGIN`` around them) in a picture of ``shape``."""
    height, width = shape
    mask = np.zeros(shape, np.uint8)
    for landmarks in poses:
        low, high = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
        margin = (high - low) * PERSON_MARGIN
        (x0, y0), (x1, y1) = (low - margin) * (width, height), (high + margin) * (width, height)
        mask[max(0, int(y0)) : max(0, int(np.ceil(y1))), max(0, int(x0)) : max(0, int(np.ceil(x1)))] = 255
    return mask


def steadied(people: PeopleTrack, shifts: np.ndarray | None) -> PeopleTrack:
    """``people`` with each frame's ``shifts`` taken off their landmarks: where they were against the scene
    (``people`` itself where the camera stood still: no ``shifts``)."""
    if shifts is None:
        return people
    landmarks = people.landmarks.copy()
    landmarks[..., :2] -= shifts[:, None, None, :].astype(landmarks.dtype)
    return replace(people, landmarks=landmarks)
