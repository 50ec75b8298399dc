"""A shaking camera's shift at each pose frame, so people are measured as if it stood still (``pose.camera``)."""

from __future__ import annotations

import cv2
import numpy as np
from highlight_plugins.pose.camera import CameraShake, filled, steadied
from highlight_plugins.pose.landmarks import LANDMARK_COUNT, PeopleTrack

from highlight.source import VideoSource

WIDTH = 640  # the pose plugin's picture; shakes are measured at 160 (a quarter)
CAMERA = [(0.0, 0.0), (2.4, -1.6), (-1.2, 2.0), (3.0, 1.0), (-2.6, -0.8)]  # px of WIDTH: up to 0.5% of it
PERSON = (0.25, 0.15, 0.7, 0.95)  # x0, y0, x1, y1: a person filling much of the picture, close to the camera


def moved(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    return cv2.warpAffine(image, matrix, image.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


def pose_over(box: tuple[float, float, float, float]) -> np.ndarray:
    """Landmarks spread over ``box`` (normalised), all seen."""
    rng = np.random.default_rng(1)
    landmarks = np.ones((LANDMARK_COUNT, 4), np.float32)
    landmarks[:, 0] = rng.uniform(box[0], box[2], LANDMARK_COUNT)
    landmarks[:, 1] = rng.uniform(box[1], box[3], LANDMARK_COUNT)
    landmarks[:2, :2] = [box[:2], box[2:]]
    return landmarks


def shaking_frames(shared) -> list[tuple[np.ndarray, np.ndarray]]:
    """The real office, shaken by ``CAMERA``, with a person-sized patch of sharp texture moving on its own
    (down and to the right, 6 px a frame): each frame and the pose found in it."""
    with VideoSource(shared / "data" / "videos" / "office_cdnet.mp4") as source:
        scene = next(iter(source.sample([1.0])))[0].image(width=WIDTH)
    height = scene.shape[0]
    texture = cv2.resize(
        np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8), (WIDTH, height), cv2.INTER_NEAREST
    )
    frames = []
    for k, (dx, dy) in enumerate(CAMERA):
        own = 6.0 * k / WIDTH
        box = (PERSON[0] + own, PERSON[1] + own, PERSON[2] + own, PERSON[3] + own)
        x0, y0, x1, y1 = (np.array(box) * [WIDTH, height, WIDTH, height]).astype(int)
        picture = moved(scene, dx, dy)
        picture[y0:y1, x0:x1] = moved(texture, 6.0 * k + dx, 6.0 * k + dy)[y0:y1, x0:x1]
        frames.append((picture, pose_over(box)))
    return frames


def test_the_shake_is_the_scenes_not_the_persons(shared):
    expected = np.array(CAMERA) / WIDTH  # in the landmarks' units for x; y below
    frames = shaking_frames(shared)
    expected[:, 1] *= WIDTH / frames[0][0].shape[0]
    shake = CameraShake()
    for picture, pose in frames:
        shake.add(picture, [pose])
    assert np.abs(shake.shifts() - expected).max() < 0.15 / 160, shake.shifts() - expected  # a sixth of a pixel
    blind = CameraShake()  # the person's corners taken for the scene's: their own motion is read as the camera's
    for picture, _ in frames:
        blind.add(picture, [])
    assert np.abs(blind.shifts() - expected).max() > 2.0 / 160


def test_a_frame_not_told_takes_its_neighbours_shift_and_landmarks_are_moved_back():
    shifts = filled([(0.0, 0.0), None, (0.02, -0.01), None])
    assert np.allclose(shifts, [[0.0, 0.0], [0.01, -0.005], [0.02, -0.01], [0.02, -0.01]])
    landmarks = np.full((4, 1, LANDMARK_COUNT, 4), 0.5, np.float32)
    back = steadied(PeopleTrack(np.arange(4.0), landmarks), shifts).landmarks
    assert np.allclose(back[:, 0, 0, :2], 0.5 - shifts) and np.allclose(back[..., 2:], 0.5)
    assert steadied(PeopleTrack(np.arange(4.0), landmarks), None).landmarks is landmarks
