"""Where a body's parts are, measured so that turning the body or moving the camera changes nothing.

A camera on a tripod or in a hand moves, zooms and looks from any side; what stays
the same is the body itself. Two facts carry every measure here:

* **The body's own size.** Each limb seen along its length shows its true size, seen
  end on it looks short. In any frame some segment is near-parallel to the picture
  (standing: the legs; on hands and feet: the arms), so the largest segment length,
  divided by its usual share of a torso length (``SEGMENT_RATIO``), is the torso length
  in pixels, whatever the view. Smoothed over a couple of seconds, it follows a zoom
  or a person walking closer, and not one landmark's jitter.
* **Up is up.** A level camera turning about the person (front, three-quarter, side)
  keeps every vertical distance and changes every horizontal one. So measures are
  built from vertical distances in torso lengths: how upright the torso is, how high
  the shoulders are above the hands, the hips above the feet. A camera shifting the
  whole picture moves every part alike, so a distance between two parts ignores it.
"""

from __future__ import annotations

import warnings

import numpy as np

# MediaPipe PoseLandmarker indices (33 landmarks; the COCO body joints among them).
LANDMARK = {
    "nose": 0,
    "left_shoulder": 11,
    "right_shoulder": 12,
    "left_elbow": 13,
    "right_elbow": 14,
    "left_wrist": 15,
    "right_wrist": 16,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
    "left_ankle": 27,
    "right_ankle": 28,
}
SIDES = ("left", "right")
JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")

# A segment's length as a share of the torso's (shoulder to hip): adult averages, with
# every person within about 15% of them; the largest of these estimates is the one
# least foreshortened.
SEGMENT_RATIO = {
    ("shoulder", "hip"): 1.0,
    ("hip", "knee"): 0.85,
    ("knee", "ankle"): 0.85,
    ("shoulder", "elbow"): 0.6,
    ("elbow", "wrist"): 0.5,
}
SCALE_WINDOW_FRAMES = 21  # the body's size is smoothed over this many analysed frames (2 s at 10 fps)


def joint_points(landmarks: np.ndarray, min_visibility: float) -> dict[str, np.ndarray]:
    """``left_knee`` -> (n, 2) image points (y down), NaN where the model is unsure, plus the nose."""
    xy = landmarks[:, :, :2].astype(np.float64).copy()
    xy[landmarks[:, :, 3] < min_visibility] = np.nan
    return {name: xy[:, index] for name, index in LANDMARK.items()}


def mean_of_sides(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Both sides averaged where both are seen, else the one seen: a limb hidden behind the body
    in a side view leaves its twin, which moves alike in a symmetric exercise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # neither side seen: NaN, as meant
        return np.nanmean(np.stack([left, right]), axis=0)


def body_scale(points: dict[str, np.ndarray], window: int = SCALE_WINDOW_FRAMES) -> np.ndarray:
    """The torso length in image units per frame, from the least foreshortened segment (see module doc)."""
    estimates = [
        np.linalg.norm(points[f"{side}_{a}"] - points[f"{side}_{b}"], axis=1) / ratio
        for (a, b), ratio in SEGMENT_RATIO.items()
        for side in SIDES
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nobody seen in a frame: NaN
        largest = np.nanmax(np.stack(estimates), axis=0)
    return rolling_median(largest, window)


def rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """The median of the finite values within ``window`` frames around each one (NaN where none)."""
    if values.size == 0:
        return values
    half = window // 2
    padded = np.pad(values, half, mode="constant", constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(windows, axis=1)


def torso_tilt(shoulder: np.ndarray, hip: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The torso's angle from vertical in degrees (0 upright, 90 lying, 180 head down), from
    its vertical extent alone: the same from the front, the side or in between, where the
    angle in the picture reads a push-up filmed head-on as standing."""
    rise = (hip[:, 1] - shoulder[:, 1]) / scale
    return np.degrees(np.arccos(np.clip(rise, -1.0, 1.0)))


def height_above(part: np.ndarray, base: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """How far ``part`` is above ``base`` in torso lengths (a distance between two parts: a moving camera cancels)."""
    return (base[:, 1] - part[:, 1]) / scale
