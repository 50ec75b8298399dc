"""Pose landmarks on disk (``pose.npz``) and in memory: the format other tools read.

``pose.npz`` holds two arrays, no pickled objects (``np.load(path)`` opens it safely):
``times`` (n,) seconds of the source, and ``landmarks`` (n, 33, 4) float32: normalised
x, y (0-1 across the upright frame), z (relative depth) and visibility, NaN for frames
where nobody was found. Landmark order is MediaPipe's (0 nose ... 32 right foot index).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from highlight import HighlightError
from highlight.atomic import atomic_path

POSE_FILE = "pose.npz"
LANDMARK_COUNT = 33

# Bones drawn by the overlay (MediaPipe's pose connections, face left out but the nose kept).
SKELETON = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22), (0, 11), (0, 12),
)


@dataclass
class PoseTrack:
    """Landmarks of one person over time (the most prominent one in each frame)."""

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


def save(path: Path, track: PoseTrack) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, times=track.times.astype(np.float64), landmarks=track.landmarks.astype(np.float32))


def load(path: Path) -> PoseTrack:
    try:
        with np.load(path, allow_pickle=False) as data:
            return PoseTrack(data["times"], data["landmarks"])
    except (OSError, KeyError, ValueError) as error:
        raise HighlightError(f"{path}: not a pose file ({error})") from None
