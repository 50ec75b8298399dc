"""Regions of the picture to look at (``--region``) or to ignore (``--exclude``).

A phone on a tripod sees more than the action: a road behind the fence, a TV, the
app's overlay, trees in the wind, or, on a court, the shooter who is always in view
while only the hoop tells when a shot happens. A region says where to look.

Syntax, one region per option (repeat the option for several):

* a rectangle ``LEFT,TOP,WIDTH,HEIGHT``: ``0.58,0.10,0.22,0.35``
* a polygon of three or more corners ``X,Y;X,Y;X,Y``: ``0.1,0.9;0.5,0.4;0.9,0.9``

Numbers are fractions of the upright frame (0 = left/top, 1 = right/bottom), so one
setting serves a recording at every resolution; a number ending in ``px`` is in
pixels of the upright frame (``600px,40px,200px,180px``). One region is all fractions
or all pixels. ``str(region)`` gives the text back, so a region is stored in the
settings (and their key) and in ``highlights.json`` as the user would type it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(px)?\s*$")
SYNTAX = "LEFT,TOP,WIDTH,HEIGHT or X,Y;X,Y;X,Y (fractions of the frame, or numbers ending in px)"


@dataclass(frozen=True)
class Region:
    """A polygon over the upright frame, in fractions or in pixels of the full frame."""

    points: tuple[tuple[float, float], ...]
    in_pixels: bool = False
    rectangle: bool = False  # written back as LEFT,TOP,WIDTH,HEIGHT

    def fractions(self, frame_size: tuple[int, int]) -> np.ndarray:
        """Corners as fractions of the frame, (n, 2): the same at every resolution."""
        points = np.asarray(self.points, dtype=float)
        if self.in_pixels:
            points = points / np.asarray(frame_size, dtype=float)
        return points

    def pixels(self, frame_size: tuple[int, int], size: tuple[int, int] | None = None) -> np.ndarray:
        """Corners in pixels of an image of ``size`` (width, height) showing the whole frame."""
        width, height = size or frame_size
        return np.round(self.fractions(frame_size) * [width, height]).astype(np.int32)

    def __str__(self) -> str:
        unit = "px" if self.in_pixels else ""
        if self.rectangle:
            (left, top), _, (right, bottom), _ = self.points
            values = (left, top, right - left, bottom - top)
            return ",".join(f"{_number(v)}{unit}" for v in values)
        return ";".join(f"{_number(x)}{unit},{_number(y)}{unit}" for x, y in self.points)


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def parse_region(text: str) -> Region:
    """A region from the option text; ValueError with a one-line reason when it is not one."""
    corners = str(text).split(";")
    if len(corners) == 1:
        values, units = _numbers(corners[0], 4, text)
        left, top, width, height = values
        if width <= 0 or height <= 0:
            raise ValueError(f"{text!r}: width and height must be above 0")
        points = ((left, top), (left + width, top), (left + width, top + height), (left, top + height))
        region = Region(points, units, rectangle=True)
    else:
        if len(corners) < 3:
            raise ValueError(f"{text!r}: a polygon needs at least 3 corners X,Y;X,Y;X,Y")
        parsed = [_numbers(corner, 2, text) for corner in corners]
        if len({units for _, units in parsed}) > 1:
            raise ValueError(f"{text!r}: mixes fractions and px; use one unit per region")
        points = tuple((x, y) for (x, y), _ in parsed)
        region = Region(points, parsed[0][1])
        if _area(points) <= 0:
            raise ValueError(f"{text!r}: the polygon encloses no area")
    if not region.in_pixels and any(v > 1.0 + 1e-9 for point in region.points for v in point):
        raise ValueError(f"{text!r}: fractions of the frame go up to 1 (write 600px for pixels)")
    return region


def _numbers(text: str, count: int, whole: str) -> tuple[tuple[float, ...], bool]:
    """``count`` non-negative numbers separated by commas, and whether they are in px."""
    parts = text.split(",")
    matches = [_NUMBER.match(part) for part in parts]
    if len(parts) != count or not all(matches):
        raise ValueError(f"{whole!r}: expected {SYNTAX}")
    units = {bool(m.group(2)) for m in matches}
    if len(units) > 1:
        raise ValueError(f"{whole!r}: mixes fractions and px; use one unit per region")
    return tuple(float(m.group(1)) for m in matches), units.pop()


def _area(points: Sequence[tuple[float, float]]) -> float:
    xs, ys = np.asarray(points, dtype=float).T
    return abs(float(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1)))) / 2


def parse_regions(texts: Sequence[str] | None) -> tuple[Region, ...]:
    """Every region of a repeated option, in order."""
    return tuple(parse_region(text) for text in texts or ())


def region_mask(
    include: Sequence[Region],
    exclude: Sequence[Region],
    frame_size: tuple[int, int],
    size: tuple[int, int],
) -> np.ndarray | None:
    """255 where to look, 0 elsewhere, for an image of ``size`` (width, height); None: everywhere.

    Without an include region the whole frame counts; excluded areas are cut out of
    whatever is included, so ``--exclude`` alone ignores one area of the whole frame.
    """
    if not include and not exclude:
        return None
    width, height = size
    mask = np.zeros((height, width), np.uint8) if include else np.full((height, width), 255, np.uint8)
    for region in include:
        cv2.fillPoly(mask, [region.pixels(frame_size, size)], 255)
    for region in exclude:
        cv2.fillPoly(mask, [region.pixels(frame_size, size)], 0)
    return mask
