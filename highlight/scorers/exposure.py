"""Was the recording exposed for its scene, or left dark (dusk, a dim hall)? The gain that lifts it.

The detector's grey-level thresholds (``hold_threshold``: how far someone standing
still differs from the empty scene; the light test's texture) are for a picture a
camera exposed. At dusk it runs out of exposure: the whole picture is darker and every
difference in it smaller by the same factor (half, in a recording made at half the
contrast), and someone in view no longer differs from the empty scene by the
threshold: the jumping-rope clip made dark was no highlight at all.

A camera exposing on its own raises the exposure until the picture's average is mid
grey (``MID_GREY``, what its meter aims at), or until its brightest part would go
white, whichever comes first: a dark gym with a bright window keeps the window and
stays dark. The gain here does the same: up to whichever of the two comes first, so
a picture a camera exposed gets none (a grey court with a white board: its average
is mid grey already), and nothing that was not white is made white (the board behind
the rim, where a shot's ball is seen). Exposure multiplies the light, and a
gamma-encoded picture multiplied by one number is still that (a power of a product):
one number times every grey level, about black. It keeps the brightness ratios the
light test reads (``highlight.scorers.light``); a contrast stretch about the mean
would not, and a lamp or a cloud's shadow would then look like someone. The gain is
bounded (``MAX_GAIN``): a darker picture is night, and lifting it further lifts the
sensor's noise, not the scene.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MID_GREY = 118.0  # 18% grey in sRGB: where a camera's meter puts a picture's average
WHITE = 255.0
BRIGHTEST_PERCENTILE = 99.9  # the picture's brightest part: a thousandth of it (not one hot pixel)
MAX_GAIN = 2.5  # more lifts the sensor's noise, not the scene
LEAST_GAIN = 1.1  # less is what auto exposure drifts by in any recording (the brightness normalisation follows it)


def exposure_gain(pictures: Sequence[np.ndarray]) -> float:
    """The factor a camera exposing on its own would have lifted ``pictures`` (grey, spread over the
    recording) by: to a mid-grey average, or until their brightest part is white, whichever comes first;
    1.0 for pictures exposed already (or none given), or short of it by less than ``LEAST_GAIN`` (the long
    office recording's empty room, a few percent under mid grey, is no dusk); at most ``MAX_GAIN``.

    Medians over the pictures: a flash or a frame gone black in one of them changes nothing.
    """
    if not pictures:
        return 1.0
    average = float(np.median([picture.mean() for picture in pictures]))
    brightest = float(np.median([np.percentile(picture, BRIGHTEST_PERCENTILE) for picture in pictures]))
    gain = min(MAX_GAIN, MID_GREY / max(average, 1.0), WHITE / max(brightest, 1.0))
    return gain if gain >= LEAST_GAIN else 1.0


def gain_table(gain: float) -> np.ndarray | None:
    """A lookup table (``cv2.LUT``) multiplying 8-bit grey levels by ``gain``, white kept white; None for 1.0."""
    if gain <= 1.0:
        return None
    return np.clip(np.round(np.arange(256) * gain), 0, 255).astype(np.uint8)
