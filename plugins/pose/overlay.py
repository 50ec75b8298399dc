"""Drawing the skeleton onto exported clips, from the landmarks the pose plugin saved."""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from plugins.pose.landmarks import SKELETON, PoseTrack

BONE_COLOUR = (0, 255, 128)  # RGB: moviepy frames are RGB
JOINT_COLOUR = (255, 64, 64)
MIN_VISIBILITY = 0.3


def draw_pose(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A copy of ``image`` (H, W, 3 RGB) with the skeleton drawn, line width scaled to the frame."""
    out = np.array(image, dtype=np.uint8, copy=True)
    height, width = out.shape[:2]
    thickness = max(2, round(min(width, height) / 200))
    points = np.round(landmarks[:, :2] * (width, height)).astype(int)
    visible = landmarks[:, 3] >= MIN_VISIBILITY
    for a, b in SKELETON:
        if visible[a] and visible[b]:
            cv2.line(out, tuple(map(int, points[a])), tuple(map(int, points[b])), BONE_COLOUR, thickness, cv2.LINE_AA)
    for k in np.flatnonzero(visible[:33]):
        if k == 0 or k >= 11:
            cv2.circle(out, tuple(map(int, points[k])), thickness + 1, JOINT_COLOUR, -1, cv2.LINE_AA)
    return out


def frame_drawer(track: PoseTrack) -> Callable[[np.ndarray, float], np.ndarray]:
    """(image, time) -> image with the nearest analysed pose, if one is close enough in time."""
    step = float(np.median(np.diff(track.times))) if track.times.size > 1 else 0.1
    max_gap = 1.5 * step

    def draw(image: np.ndarray, t: float) -> np.ndarray:
        landmarks = track.nearest(t, max_gap)
        return image if landmarks is None else draw_pose(image, landmarks)

    return draw
