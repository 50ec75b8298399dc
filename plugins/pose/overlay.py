"""Drawing the skeleton onto exported clips, from the landmarks the pose plugin saved."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from highlight_plugins.pose.landmarks import SKELETON, PeopleTrack

BONE_COLOUR = (0, 255, 128)  # RGB: moviepy frames are RGB
JOINT_COLOUR = (255, 64, 64)
LABEL_COLOUR = (255, 255, 255)
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


def draw_label(image: np.ndarray, landmarks: np.ndarray, text: str) -> None:
    """``text`` above the person's head (their highest visible landmark), in place."""
    height, width = image.shape[:2]
    visible = landmarks[:, 3] >= MIN_VISIBILITY
    if not visible.any():
        return
    points = landmarks[visible, :2] * (width, height)
    top = int(np.argmin(points[:, 1]))
    scale = max(0.4, min(width, height) / 600)
    (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x = int(np.clip(points[top, 0] - text_w / 2, 0, max(0, width - text_w)))
    y = int(np.clip(points[top, 1] - text_h, text_h + 2, height - 1))  # kept inside the picture
    for colour, thickness in ((0, 0, 0), 4), (LABEL_COLOUR, 1):  # dark outline, then the text
        cv2.putText(
            image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, max(1, round(thickness * scale)), cv2.LINE_AA
        )


def frame_drawer(
    people: PeopleTrack, rep_ends: dict[int, list[float]] | None = None
) -> Callable[[np.ndarray, float], np.ndarray]:
    """(image, time) -> image with everyone's nearest analysed pose, if close enough in time.

    With several people in view each is labelled with their number (as ``--person``
    takes it) and, given ``rep_ends`` (person number -> times reps ended), the reps
    they have done so far; one person alone gets the count only.
    """
    step = float(np.median(np.diff(people.times))) if people.times.size > 1 else 0.1
    max_gap = 1.5 * step
    tracks = [people.person(k) for k in range(people.people)]
    ends = {number: np.asarray(times) for number, times in (rep_ends or {}).items()}

    def draw(image: np.ndarray, t: float) -> np.ndarray:
        out = image
        for k, track in enumerate(tracks):
            landmarks = track.nearest(t, max_gap)
            if landmarks is None:
                continue
            out = draw_pose(out, landmarks)
            done = f"{int(np.sum(ends[k + 1] <= t))}" if k + 1 in ends else ""
            label = f"{k + 1}: {done}" if len(tracks) > 1 and done else f"{k + 1}" if len(tracks) > 1 else done
            if label:
                draw_label(out, landmarks, label)
        return out

    return draw
