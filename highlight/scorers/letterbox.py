"""Black bars around the picture: where the picture a camera filmed lies inside the frame.

A recording exported to another shape is padded with black: a 16:9 clip in a 4:3 frame
has bars above and below it (letterbox), a 4:3 security camera or a portrait phone video
in a 16:9 frame has them at its sides (pillarbox). The detectors must see the picture,
not the frame: someone coming in is cut by the picture's edge, not the frame's; the
border band (``highlight.scorers.edges``) must watch the picture's border, not black;
and at the detector's width the picture must be as large as it can be. Padded, the shop
door's visit along its top edge was missed (tIoU 0.80 -> 0.00) and a portrait rope
jumper was never in a highlight (100% -> 0%).

The bars are found the way ffmpeg's ``cropdetect`` finds them: lines along an edge whose
brightness is at most ``BLACK`` grey levels, in every one of a few frames spread over
the recording (a dark scene is dark in some of them, a bar in all). Padding is centred:
the bars on opposite sides are as wide as each other, within ``EVEN``. A dark floor or
a night sky along one edge is no bar.
"""

from __future__ import annotations

import numpy as np

BLACK = 24  # grey levels a bar's line is at most, on average (ffmpeg's cropdetect: 24 of 255)
SMALLEST = 0.02  # of the frame's side: narrower black lines are an encoder's edge, not padding
SHORTEST_PICTURE = 0.25  # of the frame's side: the picture inside bars is at least this (9:16 in 16:9: 0.32)
EVEN = 0.01  # of the side (or 2 pixels): how much wider one bar may be than the one opposite


def picture_box(greys: list[np.ndarray]) -> tuple[float, float, float, float] | None:
    """The picture inside black bars, as fractions of the frame (left, top, right, bottom); None without bars.

    ``greys``: grey frames of the recording (the same size), spread over it.
    """
    if not greys or any(grey.shape != greys[0].shape for grey in greys):
        return None
    height, width = greys[0].shape
    black_rows = np.all([grey.mean(axis=1) <= BLACK for grey in greys], axis=0)
    black_columns = np.all([grey.mean(axis=0) <= BLACK for grey in greys], axis=0)
    top, bottom = _bars(black_rows)
    left, right = _bars(black_columns)
    if (top, bottom, left, right) == (0, 0, 0, 0):
        return None
    return left / width, top / height, 1.0 - right / width, 1.0 - bottom / height


def _bars(black: np.ndarray) -> tuple[int, int]:
    """The bars at either end of a side (``black``: whether each line across it is black), in lines: (0, 0) where
    they are not padding (too narrow, uneven, or leaving too little picture)."""
    side = len(black)
    first = _run(black)
    last = _run(black[::-1])
    if first >= side:  # all black: a black frame, not bars
        return 0, 0
    if min(first, last) < SMALLEST * side or abs(first - last) > max(2, EVEN * side):
        return 0, 0
    if side - first - last < SHORTEST_PICTURE * side:
        return 0, 0
    return first, last


def _run(black: np.ndarray) -> int:
    """How many lines from the start are black."""
    not_black = np.flatnonzero(~black)
    return int(not_black[0]) if len(not_black) else len(black)
