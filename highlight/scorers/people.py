"""Someone working out on one spot all along is a person, not clutter.

The clutter map (``highlight.scorers.clutter``) learns where the picture keeps moving
whenever one looks: leaves, a flag, a screen. Someone who jumps rope, shadow-boxes or
does burpees on one spot for most of the recording moves there as often; and where their
motion comes in pieces (arms, a rope, the hem of their shorts as they bob), no piece is
shaped like someone standing, so the whole place would be clutter and nobody would ever
be in view. What tells them from a plant is what is there: a person.

So each place tall enough to be someone where the picture keeps moving (clutter, or
where the frames spread over the recording differ from their median in a quarter of them
or more) is looked at in those frames, in more detail than the motion detector's, with
OpenCV's people detector (histograms of oriented gradients, Dalal and Triggs 2005; its
model is built into OpenCV: nothing to train or download). Where it finds someone
standing in at least ``SEEN_SHARE`` of those frames, the place is someone's. The place
is where they move (body, arms and rope, or their arms only: the detector also looks a
place's height above and below it), so the person found there is at least ``FILLS`` of
its height: a screen or a poster showing people shows them smaller than itself. Grain
(a dim gym, a cheap sensor) breaks up the gradients the detector reads: where it finds
nobody, it looks again at the picture smoothed over ``GRAIN_BLUR`` pixels. The
detector knows upright people only: someone doing push-ups is not found, but their
motion is one large blob that the clutter map does not take for clutter anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

SEEN_SHARE = 0.25  # of the spread frames: someone in the place in this many (the detector misses some poses)
SEEN_AT_LEAST = 2  # frames: one sighting could be someone passing through
WINDOW_HEIGHT = 128  # the people detector's window (64 x 128 pixels): a person about 96 pixels tall in it
LOOK_HEIGHT = 144  # a place is looked at this many pixels tall: a person filling it fits the window
MOST_UPSCALED = 2.0  # a place needing more enlargement than this is too small to tell anyone in it
AROUND = 0.25  # of the place's size on each side: the detector needs some background round a person
ABOVE_AND_BELOW = 1.0  # of the place's height: the rest of someone whose arms alone move (legs, head)
FILLS = 0.5  # of the place's height: the least a person working out there is tall (their reach adds the rest)
GRAIN_BLUR = 1.0  # px (Gaussian sigma) at the window's scale: averages grain out, keeps a body's outline (cells of 8)
MOST_PLACES = 4  # the largest places only: each costs a detection per spread frame


def people_places(places: np.ndarray, pictures: Sequence[np.ndarray], smallest_height: float) -> np.ndarray:
    """The places (255 in ``places``) in which someone stands in enough of ``pictures``: 255 there.

    ``pictures`` are grey frames spread over the recording, showing what ``places`` shows
    in more detail (any whole multiple of its size, or none). Places less than
    ``smallest_height`` pixels tall (of ``places``) are not looked at.
    """
    found = np.zeros_like(places)
    if not pictures or not places.any():
        return found
    scale = pictures[0].shape[1] / places.shape[1]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(places)
    tall = [k for k in range(1, count) if stats[k, cv2.CC_STAT_HEIGHT] >= smallest_height]
    needed = max(SEEN_AT_LEAST, math.ceil(SEEN_SHARE * len(pictures)))
    detector = _people_detector()
    for k in sorted(tall, key=lambda k: -stats[k, cv2.CC_STAT_AREA])[:MOST_PLACES]:
        box = tuple(round(v * scale) for v in stats[k, :4])
        seen = sum(_someone_in(detector, picture, box) for picture in pictures)
        if seen >= needed:
            found[labels == k] = 255
    return found


def _people_detector() -> cv2.HOGDescriptor:
    detector = cv2.HOGDescriptor()
    detector.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return detector


def _someone_in(detector: cv2.HOGDescriptor, picture: np.ndarray, box: tuple[int, ...]) -> bool:
    """Whether the detector finds a person in ``box`` (x, y, width, height) of ``picture``, filling its height.

    In it: the middle of the person's box; filling it: their box at least ``FILLS`` of its
    height. Looked for twice: with a little background around the place (all of them
    moves there), and with a place's height above and below it (only their arms move:
    their legs and head are beyond it).
    """
    return any(_someone_in_crop(detector, picture, box, round(reach * box[3])) for reach in (AROUND, ABOVE_AND_BELOW))


def _someone_in_crop(detector: cv2.HOGDescriptor, picture: np.ndarray, box: tuple[int, ...], margin_y: int) -> bool:
    x, y, width, height = box
    zoom = LOOK_HEIGHT / max(height, 1)
    if zoom > MOST_UPSCALED:
        return False
    margin_x = round(AROUND * width)
    left, top = max(0, x - margin_x), max(0, y - margin_y)
    right, bottom = min(picture.shape[1], x + width + margin_x), min(picture.shape[0], y + height + margin_y)
    crop = cv2.resize(
        picture[top:bottom, left:right],
        None,
        fx=zoom,
        fy=zoom,
        interpolation=cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR,
    )
    short_by = (max(0, WINDOW_HEIGHT - crop.shape[0]), max(0, WINDOW_HEIGHT // 2 - crop.shape[1]))
    if any(short_by):  # a place at the frame's edge: the window must fit
        crop = cv2.copyMakeBorder(crop, 0, short_by[0], 0, short_by[1], cv2.BORDER_REPLICATE)
    inside_left, inside_top = (x - left) * zoom, (y - top) * zoom
    inside_right, inside_bottom = inside_left + width * zoom, inside_top + height * zoom
    for look in (crop, cv2.GaussianBlur(crop, (0, 0), GRAIN_BLUR)):
        people, _ = detector.detectMultiScale(look, winStride=(8, 8), padding=(16, 16), scale=1.1)
        if any(
            inside_left <= px + pw / 2 <= inside_right
            and inside_top <= py + ph / 2 <= inside_bottom
            and ph >= FILLS * height * zoom
            for px, py, pw, ph in people
        ):
            return True
    return False
