"""The default scorer: is someone (something) in view of a fixed camera?

No training: the empty scene is learned from the recording itself.

* ``prepare`` builds a background plate, the per-pixel median of frames spread over
  the whole video, and seeds the model with it. The median ignores anyone who moves
  around, so a player already on court when recording starts is not learned as
  background (a first-frame model would show a "ghost" when they leave).
* A Gaussian mixture per pixel (OpenCV MOG2) then follows slow lighting change; its
  per-pixel variance absorbs sensor noise.
* Each frame is scaled to a small grey image, blurred (compression blocks and noise),
  and its brightness normalised to the plate's (auto exposure, clouds).
* The foreground mask is opened (isolated pixels are noise, not people), and only blobs
  of at least ``min_blob`` of the frame count: scattered specks of noise or leaves add
  up to an area, but never to a person. The score is ``1 - exp(-area / reference_area)``:
  0 for an empty scene, about 0.6 when a region the size of ``reference_area`` (a
  fraction of the frame) moves, near 1 for more.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import imutils
import numpy as np

from highlight.options import Option
from highlight.scorers.base import Scorer
from highlight.source import Frame, VideoSource


class MotionScorer(Scorer):
    name = "motion"
    description = "Someone (something) in view of a fixed camera; no training, learns the empty scene"
    options = (
        Option("width", "integer", 160, "Width the frames are analysed at.", unit="px"),
        Option("history", "seconds", 120.0, "How long the background model remembers: slower change becomes background.", unit="s"),
        Option("var_threshold", "number", 25.0, "How far (squared, MOG2) a pixel must differ from the background to count."),
        Option("reference_area", "number", 0.002, "Moving area, as a fraction of the frame, that scores about 0.6."),
        Option("min_blob", "number", 0.0004, "Smallest blob that counts, as a fraction of the frame."),
        Option("plate_frames", "integer", 15, "Frames spread over the video that make the empty-scene plate."),
    )

    def __init__(self, sample_fps: float = 2.0, **options):
        super().__init__(sample_fps, **options)
        self._model = self._new_model()
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._brightness = 128.0

    def _new_model(self):
        samples = max(10, int(self.history * self.sample_fps))
        model = cv2.createBackgroundSubtractorMOG2(history=samples, varThreshold=self.var_threshold, detectShadows=False)
        return model

    @property
    def learning_rate(self) -> float:
        return 1.0 / max(10.0, self.history * self.sample_fps)

    def prepare(self, source: VideoSource) -> None:
        self._model = self._new_model()
        images = self._spread_frames(source)
        if len(images) < 3:
            return
        plate = np.median(np.stack(images), axis=0).astype(np.uint8)
        self._brightness = float(plate.mean()) or 128.0
        # Start from the plate, then let the spread frames teach each pixel its real
        # variance (seeding with the plate alone leaves it near zero, and every bit of
        # noise would be foreground until the model caught up). Someone in one or two
        # of the spread frames gets a low-weight mode, which is not background.
        self._model.apply(plate, learningRate=1.0)
        rate = 0.5 / len(images)  # someone in one or two of them stays well below a background mode's weight
        for image in images:
            self._model.apply(self._normalise(image), learningRate=rate)
        self._model.apply(plate, learningRate=rate)

    def _spread_frames(self, source: VideoSource) -> list[np.ndarray]:
        """Distinct frames spread evenly over the video."""
        duration = source.info.duration
        if duration <= 0 or self.plate_frames < 3:
            return []
        images, used = [], set()
        for k in range(self.plate_frames):
            t = duration * (k + 0.5) / self.plate_frames
            frame = source.frame_near(t)  # a keyframe: cheap
            if frame is None or frame.time in used:  # keyframes far apart: decode up to t
                frame = next(source.window(t, t + 1.0), None)
            if frame is not None and frame.time not in used:
                used.add(frame.time)
                images.append(self._small_grey(frame))
        return images

    def _small_grey(self, frame: Frame) -> np.ndarray:
        grey = frame.image(width=self.width, fmt="gray")
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def image_for(self, frame: Frame) -> np.ndarray:
        return self._normalise(self._small_grey(frame))

    def _normalise(self, grey: np.ndarray) -> np.ndarray:
        mean = float(grey.mean())
        if mean > 1.0:
            grey = cv2.convertScaleAbs(grey, alpha=self._brightness / mean)
        return grey

    def score(self, images: Sequence[np.ndarray], learn: bool = True) -> np.ndarray:
        rate = self.learning_rate if learn else 0.0
        scores = np.empty(len(images))
        for k, image in enumerate(images):
            mask = self._model.apply(image, learningRate=rate)
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
            scores[k] = 1.0 - math.exp(-self._blob_area(mask) / self.reference_area)
        return scores

    def _blob_area(self, mask: np.ndarray) -> float:
        """Foreground fraction of the frame, counting only blobs of at least ``min_blob``."""
        if not mask.any():
            return 0.0
        contours = imutils.grab_contours(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE))
        smallest = self.min_blob * mask.size
        return sum(a for a in (cv2.contourArea(c) for c in contours) if a >= smallest) / mask.size
