"""Region parsing (fractions, pixels, polygons), the text round trip, and masks."""

from __future__ import annotations

import numpy as np
import pytest

from highlight.regions import parse_region, parse_regions, region_mask


def test_rectangle_in_fractions_round_trips():
    region = parse_region("0.58,0.10,0.22,0.35")
    assert region.rectangle and not region.in_pixels
    assert str(region) == "0.58,0.1,0.22,0.35"
    assert parse_region(str(region)) == region
    assert np.allclose(region.fractions((1920, 1080))[2], [0.80, 0.45])


def test_rectangle_in_pixels_scales_to_any_image():
    region = parse_region("960px,0px,960px,540px")
    assert region.in_pixels and str(region) == "960px,0px,960px,540px"
    assert region.pixels((1920, 1080), (160, 90)).tolist() == [[80, 0], [160, 0], [160, 45], [80, 45]]


def test_polygon():
    region = parse_region("0.1,0.9;0.5,0.4;0.9,0.9")
    assert not region.rectangle and len(region.points) == 3
    assert parse_region(str(region)) == region


@pytest.mark.parametrize(
    "text, reason",
    [
        ("0.5,0.2,0.3", "expected LEFT,TOP,WIDTH,HEIGHT"),
        ("0.5,0.2,0,0.3", "width and height"),
        ("a,b,c,d", "expected"),
        ("0.5,0.2,1.5,0.3", "fractions of the frame go up to 1"),
        ("10px,0.2,0.3,0.3", "mixes fractions and px"),
        ("0.1,0.1;0.2,0.2", "at least 3 corners"),
        ("0.1,0.1;0.2,0.2;0.3,0.3", "encloses no area"),
        ("-0.1,0.1,0.2,0.2", "expected"),
    ],
)
def test_bad_regions_say_why_in_one_line(text, reason):
    with pytest.raises(ValueError, match=reason) as caught:
        parse_region(text)
    assert "\n" not in str(caught.value) and text in str(caught.value)


def test_mask_includes_then_excludes():
    include = parse_regions(["0,0,0.5,1"])
    exclude = parse_regions(["0,0,0.25,0.5"])
    mask = region_mask(include, exclude, (200, 100), (20, 10))
    assert mask.shape == (10, 20)
    assert mask[8, 2] == 255 and mask[8, 15] == 0 and mask[1, 1] == 0
    assert region_mask((), (), (200, 100), (20, 10)) is None
    only_excluded = region_mask((), exclude, (200, 100), (20, 10))
    assert only_excluded[8, 15] == 255 and only_excluded[1, 1] == 0
