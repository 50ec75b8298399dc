"""Is the camera moving? Its motion between two samples, and what moves against it.

A motion detector that learns a fixed background sees everything move when the
camera pans or is held in the hand. The camera's own motion is the one that most of
the picture agrees on: corners tracked from one sample to the next (pyramidal
Lucas-Kanade), and the similarity (shift, turn, zoom) that the most of them fit
(RANSAC). A person or a car moving on their own are outliers of it. Lining the
previous sample up with that motion leaves, in the difference, only what moved on
its own: the walker the camera follows, not the street going by.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_CORNERS = 12  # fewer tracked corners than this: too little texture to tell
AGREEING = 0.3  # share of the tracked corners that must fit the camera's motion (repeated texture mismatches some)


def camera_motion(previous: np.ndarray, image: np.ndarray, min_shift: float) -> np.ndarray | None:
    """The 2x3 similarity taking ``previous`` to ``image`` if it moves some pixel by ``min_shift`` or more, else None.

    None as well where it cannot be told (a blank picture): the camera is then taken
    as fixed, which is what the detector assumed before.
    """
    corners = cv2.goodFeaturesToTrack(previous, maxCorners=120, qualityLevel=0.01, minDistance=5)
    if corners is None or len(corners) < MIN_CORNERS:
        return None
    tracked, found, _ = cv2.calcOpticalFlowPyrLK(previous, image, corners, None, winSize=(15, 15), maxLevel=3)
    ok = found.ravel() == 1
    if ok.sum() < MIN_CORNERS:
        return None
    matrix, inliers = cv2.estimateAffinePartial2D(
        corners[ok], tracked[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0
    )
    if matrix is None or inliers.sum() < max(MIN_CORNERS, AGREEING * ok.sum()):
        return None
    height, width = image.shape[:2]
    probes = np.array([[width / 2, height / 2], [0.0, 0.0], [width, 0.0], [0.0, height], [width, height]])
    moved = probes @ matrix[:, :2].T + matrix[:, 2]
    if float(np.hypot(*(moved - probes).T).max()) < min_shift:
        return None
    return matrix.astype(np.float32)


def moves_against_camera(previous: np.ndarray, image: np.ndarray, motion: np.ndarray, threshold: float) -> np.ndarray:
    """255 where ``image`` differs by more than ``threshold`` from ``previous`` moved as the camera moved.

    What the camera brought into view has nothing to compare with and is left out.
    """
    height, width = image.shape[:2]
    lined_up = cv2.warpAffine(previous, motion, (width, height))
    seen_before = cv2.warpAffine(np.full_like(previous, 255), motion, (width, height))
    seen_before = cv2.erode(seen_before, np.ones((5, 5), np.uint8))
    differs = cv2.threshold(cv2.absdiff(image, lined_up), threshold, 255, cv2.THRESH_BINARY)[1]
    return cv2.bitwise_and(differs, seen_before)
