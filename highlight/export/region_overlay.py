"""Regions and a coordinate grid drawn over stills: what ``--region``/``--exclude`` cover, seen.

One drawing function (``draw_regions``) serves ``highlight region``, the report's stills
and the contact sheet, so a region looks the same wherever a user meets it: included
regions outlined in green, excluded ones outlined in red and hatched (hatching reads
as "not this" even to someone who cannot tell red from green). Every image drawn on
shows the whole upright frame, so a region's fractions map straight onto it.

Sizes (line widths, fonts) follow the image's shorter side, so the grid is as
readable on a 360p still as on a 4K one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from highlight.export.manifest import Manifest
from highlight.regions import Region, parse_region

INCLUDE_COLOUR = (0, 230, 118)
EXCLUDE_COLOUR = (255, 59, 48)
GRID_COLOUR = (255, 255, 255)
LABEL_BACKGROUND = (0, 0, 0)
GRID_STEP = 0.1
_GRID_OPACITY = 0.55
_HATCH_OPACITY = 0.6


def regions_of(settings: Mapping[str, Any]) -> tuple[tuple[Region, ...], tuple[Region, ...]]:
    """(included, excluded) regions from a manifest's settings; none in manifests that predate them.

    Raises ValueError naming the text when a stored region does not parse (a hand-edited
    ``highlights.json``), so the caller can say which file is wrong.
    """
    included = tuple(parse_region(text) for text in settings.get("regions", None) or ())
    excluded = tuple(parse_region(text) for text in settings.get("excludes", None) or ())
    return included, excluded


@dataclass(frozen=True)
class RegionMarks:
    """A run's regions, ready to draw on any still of its recording (which shows the whole frame)."""

    included: tuple[Region, ...]
    excluded: tuple[Region, ...]
    frame_size: tuple[int, int]

    def draw(self, image: Image.Image) -> Image.Image:
        return draw_regions(image, self.included, self.excluded, self.frame_size)

    @property
    def tag(self) -> str:
        """A short name part that changes with the regions ('' without any): kept stills whose
        marks are out of date then no longer match a wanted name, and are made again."""
        if not self.included and not self.excluded:
            return ""
        text = ";".join(["+" + str(r) for r in self.included] + ["-" + str(r) for r in self.excluded])
        return "_r" + hashlib.sha1(text.encode()).hexdigest()[:8]


def marks_from_manifest(manifest: Manifest) -> RegionMarks:
    """The regions the run looked at, over its recording's upright frame; ValueError if one is unreadable.

    Those of its settings, or the hoop it found on its own (``detector.hoop.region``): its
    shots were scored there, as with ``--region``, and a user sees on every still where
    that is before keeping it in the camera's highlight.toml.
    """
    included, excluded = regions_of(manifest.settings or {})
    found = ((manifest.detector or {}).get("hoop") or {}).get("region")
    if found and not included:
        included = (parse_region(found),)
    return RegionMarks(included, excluded, (int(manifest.source.width or 1), int(manifest.source.height or 1)))


def line_width(size: tuple[int, int]) -> int:
    """An outline that stays visible but thin: 3 px on a thumbnail (JPEG smears 2), about 12 px on 4K."""
    return max(3, round(min(size) / 180))


def draw_regions(
    image: Image.Image,
    included: Sequence[Region],
    excluded: Sequence[Region],
    frame_size: tuple[int, int],
) -> Image.Image:
    """A copy of ``image`` (showing the whole upright frame of ``frame_size``) with the regions drawn
    (``image`` itself when there are none: nothing to copy for).

    Excluded regions are hatched first and outlined last, so an excluded area inside an
    included one shows its own red edge on top of the green.
    """
    if not included and not excluded:
        return image
    marked = image.convert("RGB")
    for region in excluded:
        marked = _hatch(marked, region.pixels(frame_size, marked.size))
    draw = ImageDraw.Draw(marked)
    width = line_width(marked.size)
    for regions, colour in ((included, INCLUDE_COLOUR), (excluded, EXCLUDE_COLOUR)):
        for region in regions:
            corners = [tuple(int(v) for v in point) for point in region.pixels(frame_size, marked.size)]
            draw.line(corners + [corners[0]], fill=colour, width=width, joint="curve")
    return marked


def _hatch(image: Image.Image, corners: np.ndarray) -> Image.Image:
    """Diagonal stripes blended in inside the polygon only (a mask keeps them off the rest)."""
    width, height = image.size
    spacing = max(6, round(min(width, height) / 30))
    stripes = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(stripes)
    for offset in range(-height, width, spacing):
        draw.line([(offset, height), (offset + height, 0)], fill=255, width=max(2, spacing // 4))
    inside = Image.new("L", image.size, 0)
    ImageDraw.Draw(inside).polygon([tuple(int(v) for v in point) for point in corners], fill=255)
    mask = Image.fromarray(
        (np.asarray(stripes, np.float32) * (np.asarray(inside) > 0) * _HATCH_OPACITY).astype(np.uint8)
    )
    return Image.composite(Image.new("RGB", image.size, EXCLUDE_COLOUR), image, mask)


def grid_positions(length: int, step: float = GRID_STEP) -> list[tuple[float, int]]:
    """(fraction, pixel) of each inner grid line across ``length`` pixels: 0.1 ... 0.9."""
    count = round(1 / step)
    return [(k * step, round(k * step * (length - 1))) for k in range(1, count)]


def font_size(size: tuple[int, int]) -> int:
    """Label height in pixels: about 1/28 of the shorter side, never below 12 (360p: 13, 4K: 77)."""
    return max(12, round(min(size) / 28))


def draw_grid(image: Image.Image, step: float = GRID_STEP) -> Image.Image:
    """A copy with lines every ``step`` of the width and height, labelled with their fraction on the edges.

    Lines are blended (the picture stays visible under them); labels sit on a dark
    box along the top and left edges, where they hide the least of the action.
    """
    base = image.convert("RGB")
    lines = Image.new("L", base.size, 0)
    draw = ImageDraw.Draw(lines)
    thickness = max(1, round(min(base.size) / 540))
    width, height = base.size
    for _, x in grid_positions(width, step):
        draw.line([(x, 0), (x, height)], fill=255, width=thickness)
    for _, y in grid_positions(height, step):
        draw.line([(0, y), (width, y)], fill=255, width=thickness)
    mask = Image.fromarray((np.asarray(lines, np.float32) * _GRID_OPACITY).astype(np.uint8))
    gridded = Image.composite(Image.new("RGB", base.size, GRID_COLOUR), base, mask)
    labels = ImageDraw.Draw(gridded)
    font = _font(font_size(base.size))
    pad = max(2, font_size(base.size) // 6)
    for fraction, x in grid_positions(width, step):
        _label(labels, (x + pad, pad), _fraction_text(fraction), font, pad)
    for fraction, y in grid_positions(height, step):
        _label(labels, (pad, y + pad), _fraction_text(fraction), font, pad)
    return gridded


def _fraction_text(fraction: float) -> str:
    return f"{fraction:.2f}".rstrip("0")


def _label(draw: ImageDraw.ImageDraw, at: tuple[int, int], text: str, font, pad: int) -> None:
    left, top, right, bottom = draw.textbbox(at, text, font=font)
    draw.rectangle([left - pad, top - pad, right + pad, bottom + pad], fill=LABEL_BACKGROUND)
    draw.text(at, text, fill=GRID_COLOUR, font=font)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()
