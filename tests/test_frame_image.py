"""``Frame.image`` hands every consumer a well-formed array at every size and rotation.

The reference is FFmpeg's own command-line decoder, which applies the display matrix
itself (autorotate): an independent reading of the same file, not our code again.
Widths are chosen so rgb24 rows are not a multiple of FFmpeg's line alignment (216 x 3
= 648 bytes in lines of 672), plus one aligned width (640) and an odd one (217, in
yuv444p: 4:2:0 needs even sides).
"""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from highlight.source import FramePart, VideoSource
from tests.conftest import load_sample_maker

HEIGHT = 120


def _pattern(width: int, height: int) -> np.ndarray:
    """Smooth gradients (red across, green down) and a bright block at the top-left:
    every rotation and any shift of rows looks different, and 4:2:0 keeps it nearly intact."""
    x = np.linspace(0, 255, width)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height)[:, None].repeat(width, 1)
    picture = np.stack([x, y, np.full_like(x, 96)], axis=-1)
    picture[: height // 4, : width // 4] = 250
    return picture.astype(np.uint8)


def _encode(path: Path, width: int, pix_fmt: str) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10, options={"qp": "0"})
        stream.width, stream.height, stream.pix_fmt = width, HEIGHT, pix_fmt
        stream.codec_context.time_base = Fraction(1, 10)
        for k in range(3):
            frame = av.VideoFrame.from_ndarray(_pattern(width, HEIGHT), format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _ffmpeg_first_frame(path: Path, width: int, height: int) -> np.ndarray:
    """The first frame as FFmpeg shows it (rotated upright by its autorotate), rgb24."""
    raw = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


def _assert_well_formed(array: np.ndarray, shape: tuple[int, ...]) -> None:
    assert array.shape == shape
    assert array.flags.c_contiguous
    assert array.strides[0] == int(np.prod(shape[1:]))  # rows follow each other, no padding
    # what a raw-buffer consumer (MediaPipe's mp.Image) sees is the picture itself
    assert np.array_equal(np.frombuffer(memoryview(array), np.uint8).reshape(shape), array)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[tuple[int, int], Path]:
    """(stored width, display rotation) -> file."""
    folder = tmp_path_factory.mktemp("widths")
    files = {}
    for width in (216, 218, 222, 1366, 640, 217):
        plain = folder / f"w{width}.mp4"
        _encode(plain, width, "yuv444p" if width % 2 else "yuv420p")
        files[width, 0] = plain
        for degrees in (90, 180, 270):
            rotated = folder / f"w{width}_r{degrees}.mp4"
            load_sample_maker().rotate_metadata(plain, rotated, degrees)
            files[width, degrees] = rotated
    return files


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
@pytest.mark.parametrize("width", [216, 218, 222, 1366, 640, 217])
def test_full_size_image_is_contiguous_and_matches_ffmpeg(videos, width, degrees):
    path = videos[width, degrees]
    source = VideoSource(path)
    upright_w, upright_h = (HEIGHT, width) if degrees % 180 else (width, HEIGHT)
    assert (source.info.width, source.info.height) == (upright_w, upright_h)
    frame, _ = next(source.sample([None]))
    image = frame.image()
    _assert_well_formed(image, (upright_h, upright_w, 3))
    reference = _ffmpeg_first_frame(path, upright_w, upright_h).astype(int)
    assert np.abs(image.astype(int) - reference).mean() < 2.0
    _assert_well_formed(frame.image(fmt="bgr24"), (upright_h, upright_w, 3))
    assert np.array_equal(frame.image(fmt="bgr24")[..., ::-1], image)


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
@pytest.mark.parametrize("width", [216, 222, 1366, 217])
def test_scaled_images_are_contiguous_and_show_the_same_picture(videos, width, degrees):
    path = videos[width, degrees]
    frame, _ = next(VideoSource(path).sample([None]))
    full = frame.image()
    for asked in (100, 106, 202):
        scaled = frame.image(width=asked)
        out_h, out_w = scaled.shape[:2]
        assert out_w == asked
        _assert_well_formed(scaled, (out_h, out_w, 3))
        expected = np.asarray(Image.fromarray(full).resize((out_w, out_h), Image.BILINEAR), int)
        assert np.abs(scaled.astype(int) - expected).mean() < 6.0  # swscale's area filter vs PIL's
        grey = frame.image(width=asked, fmt="gray")
        _assert_well_formed(grey, (out_h, out_w))
        assert np.abs(grey.astype(int) - np.asarray(Image.fromarray(scaled).convert("L"), int)).mean() < 3.0


def test_a_misread_picture_would_fail_the_content_check(videos):
    """The content check can fail: the 216-wide picture read with 672-byte rows as 648."""
    path = videos[216, 0]
    frame, _ = next(VideoSource(path).sample([None]))
    image = frame.image()
    padded = np.zeros((HEIGHT, 672), np.uint8)
    padded[:, :648] = image.reshape(HEIGHT, 648)
    misread = padded.reshape(-1)[: HEIGHT * 648].reshape(HEIGHT, 216, 3).astype(int)
    reference = _ffmpeg_first_frame(path, 216, HEIGHT).astype(int)
    assert np.abs(misread - reference).mean() > 20.0


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
@pytest.mark.parametrize("width", [216, 1366, 217])
def test_luma_is_the_upright_brightness_at_full_size(videos, width, degrees):
    """The border watch cuts its band from ``luma``: the same picture as FFmpeg's, upright, every pixel."""
    path = videos[width, degrees]
    frame, _ = next(VideoSource(path).sample([None]))
    luma = frame.luma()
    upright_h, upright_w = frame.image().shape[:2]
    assert luma is not None and luma.shape == (upright_h, upright_w)
    reference = np.asarray(Image.fromarray(_ffmpeg_first_frame(path, upright_w, upright_h)).convert("L"), float)
    assert np.corrcoef(luma.astype(float).ravel(), reference.ravel())[0, 1] > 0.99


@pytest.mark.parametrize("degrees", [0, 90])
@pytest.mark.parametrize("box", [(0, 20, 640, 100), (100, 0, 540, 120), (37, 13, 601, 107)])
def test_a_part_of_a_frame_shows_that_part_as_a_frame_of_its_own(videos, box, degrees):
    """The picture inside black bars is handed to the detector as a frame (``FramePart``): scaled to a width, it
    shows the box's picture at that width, its shape kept; its ``luma`` is the box of the frame's, upright."""
    frame, _ = next(VideoSource(videos[640, degrees]).sample([None]))
    if degrees:  # upright, the 640x120 picture is 120x640: the same box, turned
        left, top, right, bottom = box
        box = (top, left, bottom, right)
    left, top, right, bottom = box
    part = FramePart(frame, box)
    assert part.size == (right - left, bottom - top) and part.time == frame.time
    full = frame.image()[top:bottom, left:right]
    for asked in (64, 160, 202):
        scaled = part.image(width=asked)
        expected_h = round(asked * (bottom - top) / (right - left))
        assert abs(scaled.shape[0] - expected_h) <= 1 and scaled.shape[1] == asked
        _assert_well_formed(scaled, scaled.shape)
        expected = np.asarray(Image.fromarray(full).resize(scaled.shape[1::-1], Image.BILINEAR), int)
        assert np.abs(scaled.astype(int) - expected).mean() < 6.0
    assert np.array_equal(part.luma(), frame.luma()[top:bottom, left:right])
