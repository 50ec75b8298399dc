"""``--preview``: the latest analysed frame and the status line in an OpenCV window.

It runs on the frame loop's thread (OpenCV windows belong to one thread) and at most
ten times a second, so it costs the analysis little. Only made where a display exists
(``highlight.cli.live.has_display``); headless machines run without it.
"""

from __future__ import annotations

import time

WINDOW = "highlight live"
REFRESH_S = 0.1
PREVIEW_WIDTH = 960


class Preview:
    """Shows ``session.source.latest_frame`` with the status text drawn on it."""

    def __init__(self) -> None:
        self._shown = 0.0

    def __call__(self, session, line: str) -> None:
        import cv2

        frame = session.source.latest_frame
        now = time.monotonic()
        if frame is None or now - self._shown < REFRESH_S:
            return
        self._shown = now
        image = frame.image(width=min(PREVIEW_WIDTH, frame.size[0]), fmt="bgr24").copy()
        cv2.putText(image, line[:110], (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(image, line[:110], (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        cv2.imshow(WINDOW, image)
        if cv2.waitKey(1) & 0xFF == ord("q"):
            session.stop.set()
