"""In a region drawn around a hoop: a ball passing through it, or a body passing in front of it,
or the hoop itself shaking.

What makes a shot is the ball at the hoop: a small compact object. Someone walking past
near the camera covers the region too, but they are far larger than the region can
hold a ball: their head and shoulders in it, the rest of them below it, down to the
floor and often to the frame's bottom. So the scorer looks a little beyond the region
(``reach`` on each side) and leaves out every moving object that reaches out of the
region further than a ball could: a ball half in the region sticks out of it by at most
its own size, a body by all of itself.

How far a ball can reach is measured in the region's own size, the one scale every court
gives: a region drawn around a hoop holds at least the rim (0.45 m across) and room for
the ball (0.24 m) to come into it, so a ball is at most about a third of the region's
size (``BALL_SHARE``), motion blur included, whatever the camera's distance or the
hoop's size in pixels. A player at the rim for a lay-up or a tip-in also reaches below
the region and is left out with the ball in their hands; the ball dropping through the
net, away from them, is the shot.

A board on a pole trembles in the wind, and so does a camera on a tripod: the strong
edges of the board and rim then flicker as specks of "motion" a ball's size, second
after second. They are the background moved by a pixel, and moving the background back
by that pixel explains them (``shaken``); nothing explains a ball but the ball.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# A ball's largest extent, as a share of the region's size (the square root of its area).
BALL_SHARE = 1 / 3

# A blob is the background shaken when shifting the background by a pixel leaves less than
# this share of its difference (specks on a trembling board's edges: 0.05-0.3; a ball: 0.75-1).
SHAKE_RESIDUAL = 0.5

# How far each piece of one body is grown to meet the others, as a share of a ball's reach: pieces up to
# a quarter of a ball apart (6 cm) are one. A ball leaves the hands by that within a frame or two.
PIECES_APART = 1 / 8

Box = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom exclusive)


def ball_reach(region_pixels: int) -> int:
    """How far (pixels) a ball can stick out of a region of ``region_pixels``: the margin to look beyond it."""
    return max(2, math.ceil(BALL_SHARE * math.sqrt(max(region_pixels, 0))))


def grown(box: Box, reach: int, size: tuple[int, int]) -> Box:
    """``box`` with ``reach`` pixels more on each side, within an image of ``size`` (width, height)."""
    left, top, right, bottom = box
    width, height = size
    return max(0, left - reach), max(0, top - reach), min(width, right + reach), min(height, bottom + reach)


def without_bodies(mask: np.ndarray, region: Box, reach: int) -> np.ndarray:
    """``mask`` without the objects that reach further than ``reach`` out of ``region`` (its box in ``mask``).

    An object is a connected part of the mask once gaps of up to a quarter of a ball are
    closed (``PIECES_APART`` of ``reach`` each way, 2 pixels at least): a body's outline
    breaks where their shirt matches what is behind it, a patterned shirt into pieces
    centimetres apart, and its parts (the ball in their hands among them) belong to it all
    the same. Closed by a fixed 2 pixels, a shooter seen from behind walking to the rim
    after the shot was pieces inside the region, each a ball's size, and the clip's
    peak was on them, not on the shot.
    """
    if not mask.any():
        return mask
    across = 2 * max(2, round(PIECES_APART * reach)) + 1
    joined = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (across, across)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    left, top, right, bottom = region
    x, y, w, h = (stats[:, k] for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    beyond = np.maximum.reduce([left - x, top - y, x + w - right, y + h - bottom])
    body = beyond >= reach
    body[0] = False  # the background
    if not body.any():
        return mask
    return np.where(body[labels], 0, mask).astype(mask.dtype)


def shaken(box: Box | tuple[int, int, int, int], image: np.ndarray, background: np.ndarray | None) -> bool:
    """Whether the blob in ``box`` (x, y, width, height) is ``background`` moved by up to a pixel.

    Compared with the background shifted by at most one pixel each way, the blob's
    difference falls to less than ``SHAKE_RESIDUAL`` of what it is unshifted: what changed
    there is where the background's edges are, not what is in front of them. A ball, a
    net swinging under it, a hand, differ from every shift of what is behind them.
    """
    if background is None or background.shape != image.shape:
        return False
    x, y, w, h = box
    height, width = image.shape[:2]
    seen = image[y : y + h, x : x + w].astype(np.float32)
    around = background[max(0, y - 1) : min(height, y + h + 1), max(0, x - 1) : min(width, x + w + 1)]
    unshifted = float(np.mean((seen - background[y : y + h, x : x + w].astype(np.float32)) ** 2))
    if seen.size == 0 or unshifted == 0.0:
        return False
    best = float(cv2.matchTemplate(around.astype(np.float32), seen, cv2.TM_SQDIFF).min()) / seen.size
    return math.sqrt(best) < SHAKE_RESIDUAL * math.sqrt(unshifted)
