"""The ``pose`` plugin: MediaPipe PoseLandmarker on the frames of the shared decode pass.

Finds everyone in view (up to 4; ``people`` keeps that as cheap as one person when one
is in view), at ``--pose-fps`` (10 by default: enough for a rep every half second),
gives each person a column of their own over the video (``tracking``), measures a
camera shaking in place (``camera``), writes ``pose.npz`` to the video's output folder
and publishes ``context.shared["people"]`` (everyone) and ``context.shared["pose"]``
(the headline person: ``--person N``, else the one who moves most) for later plugins
(``reps``), measured as if the camera stood still.
MediaPipe is imported only when this plugin runs.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from highlight_plugins.pose.camera import CameraShake, steadied
from highlight_plugins.pose.landmarks import (
    POSE_FILE,
    PeopleTrack,
    headline_person,
    load,
    save,
)
from highlight_plugins.pose.people import PeopleLandmarker
from highlight_plugins.pose.tracking import PoseTracker, who_is_who

from highlight import HighlightError
from highlight.options import Option
from highlight.plugin_api import Plugin, VideoContext
from highlight.source import Frame

MODEL_ENV = "HIGHLIGHT_POSE_MODEL"
DEFAULT_FPS = 10.0
INPUT_WIDTH = 640  # frames are scaled down to this before inference (the network sees 256x256 anyway)
LIVE_POSE_MAX_AGE_S = 1.0  # a skeleton older than this is not drawn on the live preview
MODEL_URL = "https://ai.google.dev/edge/mediapipe/solutions/vision/pose_landmarker#models"


def _skip_tensorflow_for_docs() -> None:
    """Keep mediapipe from importing TensorFlow, which it does only for a docs decorator.

    ``mediapipe.tasks.python.core.optional_dependencies`` imports TensorFlow when it is
    installed (here for `highlight train`) just for ``doc_controls.do_not_generate_docs``;
    that costs 2 s and some hundreds of MB in every process that runs pose (the watch
    daemon starts one per recording). Without TensorFlow mediapipe uses a no-op; this
    puts that same no-op in place before mediapipe is first imported.
    """
    name = "mediapipe.tasks.python.core.optional_dependencies"
    if name in sys.modules or "tensorflow" in sys.modules:
        return
    module = types.ModuleType(name, "mediapipe's optional dependencies, as when TensorFlow is not installed")
    module.doc_controls = types.SimpleNamespace(do_not_generate_docs=lambda thing: thing)
    sys.modules[name] = module


def model_help() -> str:
    """Every way to give the pose model, named in the error a user sees when none is set."""
    from highlight.config import config_file

    return (
        f"the pose plugin needs a PoseLandmarker model: give --pose-model PATH, set {MODEL_ENV}, "
        f'or put model = "PATH" under [plugins.pose] in {config_file()} '
        f"(e.g. pose_landmarker_lite.task, from {MODEL_URL})"
    )


def model_path(options: dict[str, Any]) -> Path:
    """The .task bundle to use: option ``model`` (the command line fills it from
    $HIGHLIGHT_POSE_MODEL or the config file where not given), checked to exist."""
    given = options.get("model")
    if not given:
        raise HighlightError(model_help())
    path = Path(given).expanduser()
    if not path.is_file():
        raise HighlightError(f"{path}: pose model not found ({model_help()})")
    return path


def _rep_ends(out_dir: Path) -> dict[int, list[float]]:
    """Person number -> times their reps ended, from the ``reps`` result in highlights.json
    (written before the clips); empty when reps did not run."""
    from highlight.export.manifest import load_if_present

    manifest = load_if_present(out_dir)
    people = (manifest.plugins.get("reps", {}).get("people") if manifest else None) or []
    return {entry["person"]: entry["rep_ends"] for entry in people if "rep_ends" in entry}


class PosePlugin(Plugin):
    name = "pose"
    description = "Body pose (33 MediaPipe landmarks per frame) -> pose.npz; --overlay pose draws it on clips"
    sample_fps = DEFAULT_FPS
    extra = "pose"
    options = (
        Option(
            "model",
            "path",
            None,
            "PoseLandmarker .task bundle (lite, full or heavy).",
            alias="pose-model",
            env=MODEL_ENV,
        ),
        Option(
            "fps",
            "number",
            DEFAULT_FPS,
            "Frames per second the pose is estimated on.",
            unit="frames/s",
            alias="pose-fps",
            minimum=0,
            maximum=240,
            above_minimum=True,
        ),
        Option(
            "person",
            "integer",
            None,
            "Whose pose and reps the headline is (1 = first seen); default: who moves most.",
            alias="person",
            minimum=1,
        ),
    )

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        model_path(options)

    @classmethod
    def overlay(cls, out_dir: Path, options: dict[str, Any]) -> Callable[[np.ndarray, float], np.ndarray] | None:
        from highlight_plugins.pose.overlay import frame_drawer

        path = out_dir / POSE_FILE
        return frame_drawer(load(path), _rep_ends(out_dir)) if path.is_file() else None

    def start_video(self, context: VideoContext) -> None:
        _skip_tensorflow_for_docs()
        self.model = model_path(context.options)
        self.sample_fps = float(context.options["fps"])
        self.landmarker = PeopleLandmarker(self.model)
        self.tracker = PoseTracker(max_missed=max(1, round(self.sample_fps)))  # a second out of sight
        self.times: list[float] = []
        self.last_ms = -1
        self._lock = threading.Lock()  # on_frame (plugin thread) vs people_so_far (a live status line)
        self._latest: tuple[float, list[np.ndarray]] = (-1.0, [])  # the last frame's poses, for live_overlay
        self.shake = CameraShake() if context.camera_shakes else None
        context.shared["people_so_far"] = self.people_so_far

    def on_frame(self, frame: Frame) -> None:
        import mediapipe as mp

        width = min(INPUT_WIDTH, frame.size[0])
        picture = frame.image(width=width)
        timestamp_ms = max(round(frame.time * 1000), self.last_ms + 1)  # must strictly increase
        self.last_ms = timestamp_ms
        poses = self.landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=picture), timestamp_ms)
        with self._lock:
            if self.shake is not None:
                self.shake.add(picture, poses)
            self.tracker.add(poses)
            self.times.append(frame.time)
            self._latest = (frame.time, poses)

    def live_overlay(self) -> Callable[[np.ndarray, float], np.ndarray] | None:
        """The skeletons of the last analysed frame, drawn on frames up to a second after it (live preview)."""
        from highlight_plugins.pose.overlay import draw_pose

        with self._lock:
            seen_at, poses = self._latest
        if not poses:
            return None

        def draw(image: np.ndarray, t: float) -> np.ndarray:
            if abs(t - seen_at) > LIVE_POSE_MAX_AGE_S:
                return image
            for landmarks in poses:
                image = draw_pose(image, landmarks)
            return image

        return draw

    def people_so_far(self) -> tuple[PeopleTrack, int | None]:
        """Everyone tracked up to now and the headline person, while a live stream goes on."""
        with self._lock:
            tracked = PeopleTrack(np.asarray(self.times, np.float64), self.tracker.landmarks())
            shifts = self.shake.shifts() if self.shake is not None else None
        people = steadied(who_is_who(tracked), shifts)  # as at the end: someone back from a drink keeps their count
        try:
            return people, headline_person(people, self.context.options["person"])
        except HighlightError:  # --person N before N people have been seen
            return people, None

    def end_video(self) -> dict[str, Any]:
        self.landmarker.close()
        tracked = PeopleTrack(np.asarray(self.times, np.float64), self.tracker.landmarks())
        people = who_is_who(tracked)
        shifts = self.shake.shifts() if self.shake is not None else None
        save(self.context.out_dir / POSE_FILE, people, camera=shifts)
        people = steadied(people, shifts)  # measured as if the camera stood still
        headline = headline_person(people, self.context.options["person"])
        self.context.shared["people"] = people
        self.context.shared["pose"] = people.person_or_nobody(headline)
        self.context.shared["headline_person"] = headline  # index into people, or None: reps counts for them
        seen = np.isfinite(people.landmarks[:, :, 0, 0])  # (frames, people)
        detected = int(seen.any(axis=1).sum())
        visibility = people.landmarks[:, :, :, 3][seen]
        summary = f"person in {detected}/{len(people.times)} analysed frames"
        if people.people > 1:
            summary = f"{people.people} people, someone in {detected}/{len(people.times)} analysed frames"
        result = {
            "file": POSE_FILE,
            "model": self.model.name,
            "fps": self.sample_fps,
            "frames": len(people.times),
            "detected_frames": detected,
            "people": people.people,
            "person": None if headline is None else headline + 1,
            "frames_per_person": [int(n) for n in seen.sum(axis=0)],
            "in_view": [{"start": round(start, 3), "end": round(end, 3)} for start, end in people.in_view()],
            "scans": self.landmarker.scans,
            "mean_visibility": round(float(visibility.mean()), 3) if visibility.size else None,
            "summary": summary,
        }
        if shifts is not None:
            result["camera"] = (
                f"the camera shook in place (by up to {100 * np.abs(shifts).max():.1f}% of the picture): "
                "the landmarks were measured against the first frame's scene (pose.npz: camera)"
            )
        return result
