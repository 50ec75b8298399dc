"""Pose landmarks on disk (``pose.npz``) and in memory: the format other tools read.

``pose.npz`` holds two arrays, no pickled objects (``np.load(path)`` opens it safely):
``times`` (n,) seconds of the source, and ``landmarks`` (n, people, 33, 4) float32:
normalised x, y (0-1 across the upright frame), z (relative depth) and visibility, NaN
where that person was not found. A person is one column for the whole video (see
``tracking``). Where the camera shook in place, ``camera`` (n, 2) is how far the picture
had moved from the first frame's, in the units of x and y: the landmarks are where they
are in the picture, and minus ``camera`` where they were against the scene. Files written before there was a person axis hold (n, 33, 4); ``load``
reads both and always returns the new layout. Landmark order is MediaPipe's (0 nose ...
32 right foot index).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from highlight import HighlightError
from highlight.atomic import atomic_path

POSE_FILE = "pose.npz"
LANDMARK_COUNT = 33
MIN_VISIBILITY = 0.3  # landmarks below this are the model's guesses, not seen
MISSED_S = 1.0  # someone the model loses for up to this long (a frame or two at 10 a second) is still in view

# Bones drawn by the overlay (MediaPipe's pose connections, face left out but the nose kept).
SKELETON = (
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (27, 29),
    (29, 31),
    (27, 31),
    (24, 26),
    (26, 28),
    (28, 30),
    (30, 32),
    (28, 32),
    (15, 17),
    (15, 19),
    (15, 21),
    (16, 18),
    (16, 20),
    (16, 22),
    (0, 11),
    (0, 12),
)


@dataclass
class PoseTrack:
    """Landmarks of one person over time."""

    times: np.ndarray  # (n,) seconds
    landmarks: np.ndarray  # (n, 33, 4) x, y, z, visibility; NaN where not detected

    @property
    def detected(self) -> np.ndarray:
        return np.isfinite(self.landmarks[:, 0, 0])

    def nearest(self, t: float, max_gap: float) -> np.ndarray | None:
        """The landmarks closest in time to ``t`` (within ``max_gap`` seconds), or None."""
        if self.times.size == 0:
            return None
        k = int(np.clip(np.searchsorted(self.times, t), 1, self.times.size - 1)) if self.times.size > 1 else 0
        if self.times.size > 1 and abs(self.times[k - 1] - t) <= abs(self.times[k] - t):
            k -= 1
        if abs(self.times[k] - t) > max_gap or not np.isfinite(self.landmarks[k, 0, 0]):
            return None
        return self.landmarks[k]


@dataclass
class PeopleTrack:
    """Landmarks of everyone in view over time, one column per person."""

    times: np.ndarray  # (n,) seconds
    landmarks: np.ndarray  # (n, people, 33, 4); NaN where that person was not seen

    @property
    def people(self) -> int:
        return int(self.landmarks.shape[1])

    def person(self, k: int) -> PoseTrack:
        return PoseTrack(self.times, self.landmarks[:, k])

    def movement(self) -> np.ndarray:
        """How much each person moved: the summed frame-to-frame shift of their landmarks,
        in units of their own height (so a person far away compares with one nearby).

        The person who moves most is the one exercising; someone watching, a coach or a
        poster shifts little. Only landmarks seen in both frames of a step count, so
        nobody is credited for appearing or leaving.
        """
        seen = self.landmarks[..., 3] >= MIN_VISIBILITY  # (n, people, 33)
        xy = np.where(seen[..., None], self.landmarks[..., :2], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: a person not in a frame
            height = np.nanmedian(np.nanmax(xy[..., 1], axis=2) - np.nanmin(xy[..., 1], axis=2), axis=0)
            step = np.nanmean(np.linalg.norm(np.diff(xy, axis=0), axis=-1), axis=2)  # (n - 1, people)
        return np.nansum(step, axis=0) / np.maximum(np.nan_to_num(height, nan=1.0), 1e-3)

    def person_or_nobody(self, k: int | None) -> PoseTrack:
        """Person ``k``'s track, or an all-NaN one (nobody found) when ``k`` is None."""
        if k is None:
            return PoseTrack(self.times, np.full((self.times.size, LANDMARK_COUNT, 4), np.nan, np.float32))
        return self.person(k)

    def most_active(self) -> int | None:
        """The column of the person who moved most; None when nobody was seen."""
        if self.people == 0:
            return None
        return int(np.argmax(self.movement()))

    def in_view(self, missed: float = MISSED_S) -> list[tuple[float, float]]:
        """When anyone was in view: (start, end) seconds, in order.

        Each analysed frame with someone in it stands for the time up to the next analysed
        frame. The model loses someone for a frame or two (a blurred turn, a limb across the
        face): sightings ``missed`` seconds apart or less are one stretch.
        """
        anyone = np.isfinite(self.landmarks[:, :, 0, 0]).any(axis=1)  # all False where nobody has a column
        if not anyone.any():
            return []
        step = float(np.median(np.diff(self.times))) if len(self.times) > 1 else 0.0
        ends = np.append(self.times[1:], self.times[-1] + step)
        spans: list[tuple[float, float]] = []
        for start, end in zip(self.times[anyone], ends[anyone]):
            if spans and start - spans[-1][1] <= missed:
                spans[-1] = (spans[-1][0], float(end))
            else:
                spans.append((float(start), float(end)))
        return spans


MIN_PERSON_FRAMES = 3  # a track seen in fewer analysed frames cannot show that it moves like a person
MIN_PERSON_MOVEMENT = 0.01  # a person's landmarks spread over at least this share of their height over time


def moving_people(people: PeopleTrack) -> PeopleTrack:
    """Only the tracks that move like a person: seen in at least ``MIN_PERSON_FRAMES`` frames,
    with landmarks that move by at least ``MIN_PERSON_MOVEMENT`` of the track's height.

    The pose model sees people in gym benches, posters and coat stands now and then; such a
    skeleton keeps still to the pixel (a person standing as still as they can still sways
    and breathes, and the model's own jitter on a live body is larger), or flickers in for a
    frame or two. Either is not a person, and would count as one in "2 people".
    """
    keep = [k for k in range(people.people) if _moves_like_a_person(people.landmarks[:, k])]
    return PeopleTrack(people.times, people.landmarks[:, keep])


def _moves_like_a_person(landmarks: np.ndarray) -> bool:
    seen = np.isfinite(landmarks[:, 0, 0])
    if seen.sum() < MIN_PERSON_FRAMES:
        return False
    xy = np.where((landmarks[seen, :, 3] >= MIN_VISIBILITY)[..., None], landmarks[seen, :, :2], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a landmark never visible: NaN
        height = np.nanmedian(np.nanmax(xy[..., 1], axis=1) - np.nanmin(xy[..., 1], axis=1))
        spread = np.nanmedian(np.nanstd(xy, axis=0).mean(axis=-1))
    return bool(np.isfinite(spread) and height > 0 and spread >= MIN_PERSON_MOVEMENT * height)


def headline_person(people: PeopleTrack, chosen: int | None) -> int | None:
    """The column the headline (the rep count in the summary) is for.

    ``chosen`` is the user's ``--person N`` (numbered from 1 in order of appearance, as
    the overlay labels them); without it, the person who moved most.
    """
    if not chosen:
        return people.most_active()
    if not 1 <= int(chosen) <= people.people:
        raise HighlightError(f"--person {chosen}: {people.people} people were found in this video")
    return int(chosen) - 1


def save(path: Path, people: PeopleTrack, camera: np.ndarray | None = None) -> None:
    """pose.npz, compressed, without pickle (np.load reads it safely), written atomically; ``camera``: each
    frame's shake (``pose.camera``), stored where the camera shook."""
    arrays = {"times": people.times.astype(np.float64), "landmarks": people.landmarks.astype(np.float32)}
    if camera is not None:
        arrays["camera"] = camera.astype(np.float32)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def load(path: Path) -> PeopleTrack:
    """A ``pose.npz`` of either layout, as (n, people, 33, 4): an old file is one person."""
    try:
        with np.load(path, allow_pickle=False) as data:
            times, landmarks = data["times"], data["landmarks"]
    except (OSError, KeyError, ValueError) as error:
        raise HighlightError(f"{path}: not a pose file ({error})") from None
    if landmarks.ndim == 3:
        landmarks = landmarks[:, None]
    if landmarks.ndim != 4 or landmarks.shape[2:] != (LANDMARK_COUNT, 4) or landmarks.shape[0] != times.shape[0]:
        raise HighlightError(f"{path}: not a pose file (landmarks of shape {landmarks.shape})")
    return PeopleTrack(times, landmarks)
