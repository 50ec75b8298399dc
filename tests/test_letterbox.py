"""Black bars around the picture (``highlight.scorers.letterbox``): found as ffmpeg's cropdetect finds them, in every
probe, even on both sides; a dark floor, a night sky or a black frame is no bar."""

import numpy as np

from highlight.scorers.letterbox import picture_box


def scene(height: int = 180, width: int = 320, seed: int = 0) -> np.ndarray:
    """A grey picture with some texture: a room's walls and floor."""
    rng = np.random.default_rng(seed)
    return rng.integers(60, 200, (height, width)).astype(np.uint8)


def barred(picture: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """``picture`` with black bars of those many lines around it (a little noise in the black, as encoded)."""
    height, width = picture.shape
    frame = np.random.default_rng(1).integers(0, 6, (height + top + bottom, width + left + right)).astype(np.uint8)
    frame[top : top + height, left : left + width] = picture
    return frame


def test_side_bars_of_a_four_by_three_picture_in_a_wide_frame_are_found():
    frames = [barred(scene(180, 240, seed), 0, 0, 40, 40) for seed in range(3)]
    assert picture_box(frames) == (40 / 320, 0.0, 280 / 320, 1.0)


def test_bars_above_and_below_are_found_and_a_dark_scene_in_one_probe_does_not_widen_them():
    frames = [barred(scene(140, 320, seed), 20, 20, 0, 0) for seed in range(3)]
    frames[1][20:40] = 3  # the top of the picture is dark in one probe (a night sky): the bar is what is black in all
    assert picture_box(frames) == (0.0, 20 / 180, 1.0, 160 / 180)


def test_what_is_dark_along_one_edge_only_is_no_bar():
    frames = [scene(seed=seed) for seed in range(3)]
    for frame in frames:
        frame[150:] = 4  # a black floor at the bottom, nothing as dark at the top
    assert picture_box(frames) is None
    uneven = [barred(scene(180, 270, seed), 0, 0, 40, 10) for seed in range(3)]  # a dark wall, not centred padding
    assert picture_box(uneven) is None


def test_no_bars_a_black_frame_and_a_sliver_are_none():
    assert picture_box([scene(seed=seed) for seed in range(3)]) is None
    assert picture_box([np.zeros((180, 320), np.uint8)] * 3) is None  # a black recording: nothing to find
    assert picture_box([barred(scene(180, 316, seed), 0, 0, 2, 2) for seed in range(3)]) is None  # an encoder's edge
    assert picture_box([barred(scene(180, 40, seed), 0, 0, 140, 140) for seed in range(3)]) is None  # too little left
