"""``--preview``: the latest analysed frame, the plugins' drawings (the skeleton) and the status line.

It runs on the frame loop's thread (OpenCV windows belong to one thread) and at most
ten times a second, so it costs the analysis little. Only made where a display exists
(``highlight.cli.live.has_display``); headless machines run without it.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

WINDOW = "highlight live"
REFRESH_S = 0.1
PREVIEW_WIDTH = 960


def compose(session, line: str) -> np.ndarray | None:
    """The preview picture (BGR, for OpenCV): the latest frame, what each plugin draws, the status line."""
    frame = session.source.latest_frame
    if frame is None:
        return None
    image = frame.image(width=min(PREVIEW_WIDTH, frame.size[0]), fmt="rgb24")
    for draw in session.live_plugin_overlays():
        image = draw(image, frame.time)
    image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
    for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(image, line[:110], (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, width, cv2.LINE_AA)
    return image


class Preview:
    """Shows ``compose``'s picture in a window; ``q`` in the window stops the session."""

    def __init__(self) -> None:
        self._shown = 0.0

    def __call__(self, session, line: str) -> None:
        now = time.monotonic()
        if now - self._shown < REFRESH_S:
            return
        image = compose(session, line)
        if image is None:
            return
        self._shown = now
        cv2.imshow(WINDOW, image)
        if cv2.waitKey(1) & 0xFF == ord("q"):
            session.stop.set()
