"""Lining a camera that shakes in place up with the empty scene (``highlight.scorers.steady``)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from highlight.scorers.steady import MAX_SHAKE, Steadier, measured, shakes_in_place, steadied
from highlight.source import VideoSource


def shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)


TIMES = [float(t) for t in range(15)]  # frames spread over a recording


def test_a_shake_scatters_around_one_place_and_a_drift_goes_one_way():
    rng = np.random.default_rng(0)
    scattered = [shift(*rng.normal(0.0, 0.8, 2)) for _ in TIMES]
    assert shakes_in_place(scattered, TIMES, 160)
    assert not shakes_in_place([shift(0.12 * t, 0.05 * t) for t in TIMES], TIMES, 160)  # a slow turn
    assert not shakes_in_place([shift(0.2, -0.1) for _ in TIMES], TIMES, 160)  # the tracking's noise: fixed
    assert not shakes_in_place([shift(MAX_SHAKE * 160 * 1.5, 0.0), *scattered[1:]], TIMES, 160)  # carried off


@pytest.mark.parametrize(("dx", "dy"), [(1.3, -0.7), (-0.4, 0.6), (2.0, 0.0)])
def test_the_shift_of_a_real_picture_is_measured_and_undone(shared, dx, dy):
    with VideoSource(shared / "data" / "videos" / "office_cdnet.mp4") as source:
        frame = next(iter(source.sample([1.0])))[0]
        picture = frame.image(width=640, fmt="gray")
    moved = cv2.warpAffine(picture, shift(4 * dx, 4 * dy), picture.shape[::-1], borderMode=cv2.BORDER_REFLECT)
    steadier = Steadier.of(measured(picture), least=0.0)
    shake = steadier.shake(measured(moved))
    assert shake is not None and abs(shake[0, 2] - dx) < 0.1 and abs(shake[1, 2] - dy) < 0.1, shake
    back = steadied(moved, shake, scale=4.0)
    inner = (slice(16, -16), slice(16, -16))  # the strip the shift uncovered is repeated, not seen
    assert (
        np.abs(back[inner].astype(int) - picture[inner]).mean()
        < 0.25 * np.abs(moved[inner].astype(int) - picture[inner]).mean()
    )
