"""The ``pose`` plugin: MediaPipe PoseLandmarker on the frames of the shared decode pass.

Runs the landmarker in VIDEO mode (it tracks the person from frame to frame rather than
searching the whole picture each time) at ``--pose-fps`` (10 by default: enough for a
rep every half second), writes ``pose.npz`` to the video's output folder, and publishes
the track as ``context.shared["pose"]`` for later plugins (``reps``).
MediaPipe is imported only when this plugin runs.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np

from highlight import HighlightError
from highlight.options import Option
from highlight.plugin_api import Plugin, VideoContext
from highlight.source import Frame
from plugins.pose.landmarks import LANDMARK_COUNT, POSE_FILE, PoseTrack, load, save

MODEL_ENV = "HIGHLIGHT_POSE_MODEL"
DEFAULT_FPS = 10.0
INPUT_WIDTH = 640  # frames are scaled down to this before inference (the network sees 256x256 anyway)
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
    from highlight.config import config_file

    return (
        f"the pose plugin needs a PoseLandmarker model: give --pose-model PATH, set {MODEL_ENV}, "
        f"or put model = \"PATH\" under [plugins.pose] in {config_file()} "
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


class PosePlugin(Plugin):
    name = "pose"
    description = "Body pose (33 MediaPipe landmarks per frame) -> pose.npz; --overlay pose draws it on clips"
    sample_fps = DEFAULT_FPS
    options = (
        Option("model", "path", None, "PoseLandmarker .task bundle (lite, full or heavy).", alias="pose-model", env=MODEL_ENV),
        Option("fps", "number", DEFAULT_FPS, "Frames per second the pose is estimated on.", unit="frames/s", alias="pose-fps"),
    )

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        model_path(options)

    @classmethod
    def overlay(cls, out_dir: Path, options: dict[str, Any]) -> Callable[[np.ndarray, float], np.ndarray] | None:
        from plugins.pose.overlay import frame_drawer

        path = out_dir / POSE_FILE
        return frame_drawer(load(path)) if path.is_file() else None

    def start_video(self, context: VideoContext) -> None:
        _skip_tensorflow_for_docs()
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

        self.model = model_path(context.options)
        self.sample_fps = float(context.options["fps"])
        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model)),
            running_mode=RunningMode.VIDEO,
            num_poses=1,
        )
        self.landmarker = PoseLandmarker.create_from_options(options)
        self.times: list[float] = []
        self.rows: list[np.ndarray] = []
        self.last_ms = -1

    def on_frame(self, frame: Frame) -> None:
        import mediapipe as mp

        width = min(INPUT_WIDTH, frame.size[0])
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=frame.image(width=width))
        timestamp_ms = max(int(round(frame.time * 1000)), self.last_ms + 1)  # must strictly increase
        self.last_ms = timestamp_ms
        result = self.landmarker.detect_for_video(image, timestamp_ms)
        self.times.append(frame.time)
        if result.pose_landmarks:
            self.rows.append(np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks[0]], np.float32))
        else:
            self.rows.append(np.full((LANDMARK_COUNT, 4), np.nan, np.float32))

    def end_video(self) -> dict[str, Any]:
        self.landmarker.close()
        landmarks = np.stack(self.rows) if self.rows else np.empty((0, LANDMARK_COUNT, 4), np.float32)
        track = PoseTrack(np.asarray(self.times, np.float64), landmarks)
        save(self.context.out_dir / POSE_FILE, track)
        self.context.shared["pose"] = track
        detected = int(track.detected.sum())
        return {
            "file": POSE_FILE,
            "model": self.model.name,
            "fps": self.sample_fps,
            "frames": len(track.times),
            "detected_frames": detected,
            "mean_visibility": round(float(np.nanmean(landmarks[:, :, 3])), 3) if detected else None,
            "summary": f"person in {detected}/{len(track.times)} analysed frames",
        }
