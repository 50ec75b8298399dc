"""``highlight region``: a still to read ``--region`` coordinates off, or to drag one on.

Guessing ``0.58,0.10,0.22,0.35`` for a hoop is hopeless; reading it off a picture of
the recording is not. The still is the upright frame at one moment with a grid of
fractions (lines every 0.1, labelled on the edges) and the regions given so far, so
a user can check a region before a long run. Where a display and OpenCV's GUI exist,
the user drags a rectangle on the still instead (``cv2.selectROI``) and gets the
option text to paste.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.export.region_overlay import draw_grid, draw_regions
from highlight.export.thumbnails import grab_frames
from highlight.regions import Region, parse_region
from highlight.source import probe

STILL_SUFFIX = "_region.png"
_WINDOW = "highlight region: drag a rectangle, then Enter (c cancels)"
_SCREEN_WIDTH = 1280  # the selector shows the still at most this wide (a 4K still would not fit a screen)


def default_still_path(video: Path) -> Path:
    """``<name>_region.png`` in the current folder: the recording's folder may be read-only."""
    return Path.cwd() / f"{Path(video).stem}{STILL_SUFFIX}"


def parse_option_regions(texts: Sequence[str] | None, option: str) -> tuple[Region, ...]:
    """Regions of a repeated option; HighlightError naming the option and the reason."""
    try:
        return tuple(parse_region(text) for text in texts or ())
    except ValueError as error:
        raise HighlightError(f"{option} {error}") from None


def still_at(video: Path, at: float | None) -> tuple[Image.Image, tuple[int, int], float]:
    """(upright full-size frame at ``at`` seconds, frame size, the time used); default: the middle."""
    info = probe(video)
    time = info.duration / 2 if at is None else at
    if info.duration and time > info.duration:
        raise HighlightError(f"{video}: --at {time:g}s is past the end ({info.duration:.2f} s long)")
    frames = grab_frames(Path(video), [time], width=info.width)
    if time not in frames:
        raise HighlightError(f"{video}: no frame decodable near {time:.2f} s")
    return frames[time], (info.width, info.height), time


def region_still(
    frame: Image.Image, frame_size: tuple[int, int], included: Sequence[Region], excluded: Sequence[Region]
) -> Image.Image:
    """The frame with the coordinate grid, then the regions on top (a region must never hide under the grid)."""
    return draw_regions(draw_grid(frame), included, excluded, frame_size)


def write_region_still(
    video: Path, out: Path | None, at: float | None, included: Sequence[Region], excluded: Sequence[Region]
) -> tuple[Path, Image.Image, tuple[int, int]]:
    """Write the gridded still; return (its path, the plain frame, the frame size) for picking on."""
    frame, frame_size, _ = still_at(video, at)
    path = Path(out) if out else default_still_path(video)
    still = region_still(frame, frame_size, included, excluded)
    try:
        with atomic_path(path) as tmp:
            still.save(tmp, format=_image_format(path))
    except (OSError, ValueError) as error:
        raise HighlightError(f"{path}: cannot write the still ({error})") from None
    return path, frame, frame_size


def _image_format(path: Path) -> str:
    """PNG unless the name asks for JPEG: the grid's thin lines blur in JPEG."""
    return "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"


def can_show_windows() -> bool:
    """A display to open a window on, and an OpenCV that can open one there.

    Tried in a child process: OpenCV's Qt aborts the whole process (no exception) when
    DISPLAY names a server it cannot reach, e.g. a stale DISPLAY over SSH, and
    opencv-python-headless has no windows at all (cv2.error).
    """
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        child = subprocess.run([sys.executable, "-c", _WINDOW_PROBE], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return child.returncode == 0


_WINDOW_PROBE = "import cv2; cv2.namedWindow('highlight'); cv2.waitKey(1); cv2.destroyAllWindows()"


def region_from_selection(selection: Sequence[float], size: tuple[int, int]) -> Region | None:
    """The rectangle ``(x, y, width, height)`` picked on an image of ``size``, as a region; None: cancelled.

    Fractions are rounded to 3 decimals: a thousandth of the frame is finer than anyone
    drags, and the option stays short enough to type.
    """
    x, y, width, height = (float(v) for v in selection)
    if width <= 0 or height <= 0:
        return None
    image_w, image_h = size
    left, top = round(x / image_w, 3), round(y / image_h, 3)
    fractions = (left, top, min(round(width / image_w, 3), 1 - left), min(round(height / image_h, 3), 1 - top))
    return parse_region(",".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in fractions))


def pick_region(
    frame: Image.Image, frame_size: tuple[int, int], included: Sequence[Region], excluded: Sequence[Region]
) -> Region | None:
    """Let the user drag a rectangle on the gridded still (OpenCV's ROI selector); None when cancelled."""
    import cv2

    still = region_still(frame, frame_size, included, excluded)
    if still.width > _SCREEN_WIDTH:
        still = still.resize((_SCREEN_WIDTH, round(still.height * _SCREEN_WIDTH / still.width)))
    bgr = np.ascontiguousarray(np.asarray(still)[:, :, ::-1])
    try:
        selection = cv2.selectROI(_WINDOW, bgr, showCrosshair=True, fromCenter=False)
    finally:
        cv2.destroyWindow(_WINDOW)
    return region_from_selection(selection, still.size)


HOW_TO_READ = (
    "Read a region off the grid: lines every 0.1 of the width and height, labelled on the top "
    "and left edges. LEFT,TOP is the rectangle's upper-left corner, WIDTH,HEIGHT its size, "
    "e.g. --region 0.58,0.1,0.22,0.35 (or drag a rectangle on any still in report.html)."
)
