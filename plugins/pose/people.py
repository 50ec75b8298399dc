"""Every person's pose, at the cost of one when one person is in view.

MediaPipe's PoseLandmarker in VIDEO mode runs its person detector only while it tracks
fewer people than ``num_poses``; once all are tracked, each frame costs just the
landmark network per person. Asking for up to 4 people with one in view therefore runs
the detector on every frame: measured on these 2 shared cores that doubled the cost of
pose (squat_side: 25 -> 51 ms a frame). So the landmarker is asked for exactly as many
people as are in view:

* once every ``scan_every_s`` (1 s) an IMAGE-mode landmarker searches the whole frame
  for up to ``max_people``: the one detector run a second that costs;
* between scans a VIDEO-mode landmarker tracks ``num_poses`` = the people the last scan
  found (at least one), so with everybody tracked the detector stays off. When the
  count changes the tracking landmarker is made anew (its old state would hold people
  that are gone). Someone walking in is found at the next scan, within a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MAX_PEOPLE = 4
SCAN_EVERY_S = 1.0


def _as_array(pose: Any) -> np.ndarray:
    return np.array([(p.x, p.y, p.z, p.visibility) for p in pose], np.float32)


class PeopleLandmarker:
    """``detect(image, time_ms)`` -> the poses (each 33 x 4) of everyone in the frame."""

    def __init__(self, model: Path, max_people: int = DEFAULT_MAX_PEOPLE, scan_every_s: float = SCAN_EVERY_S):
        from mediapipe.tasks.python.vision import RunningMode

        self.model = model
        self.max_people = max_people
        self.scan_every_ms = scan_every_s * 1000.0
        self.scanner = self._create(RunningMode.IMAGE, max_people)
        self.tracker = None
        self.tracked = 0  # num_poses of ``tracker``
        self.last_scan_ms = -np.inf
        self.scans = 0

    def _create(self, mode, num_poses: int):
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model)), running_mode=mode, num_poses=num_poses
        )
        return PoseLandmarker.create_from_options(options)

    def detect(self, image, time_ms: int) -> list[np.ndarray]:
        """The poses in ``image`` (an ``mp.Image``); ``time_ms`` must increase from call to call."""
        from mediapipe.tasks.python.vision import RunningMode

        if self.max_people > 1 and time_ms - self.last_scan_ms >= self.scan_every_ms:
            self.last_scan_ms = time_ms
            self.scans += 1
            found = [_as_array(pose) for pose in self.scanner.detect(image).pose_landmarks]
            wanted = max(1, len(found))
            if wanted != self.tracked:
                self._close_tracker()
                self.tracker, self.tracked = self._create(RunningMode.VIDEO, wanted), wanted
            if len(found) > 1:
                return found  # the tracker starts on the next frame (seeding it now would run its detector)
        if self.tracker is None:
            self.tracker, self.tracked = self._create(RunningMode.VIDEO, 1), 1
        return [_as_array(pose) for pose in self.tracker.detect_for_video(image, time_ms).pose_landmarks]

    def _close_tracker(self) -> None:
        if self.tracker is not None:
            self.tracker.close()
            self.tracker = None

    def close(self) -> None:
        self._close_tracker()
        self.scanner.close()
