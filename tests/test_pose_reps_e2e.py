"""End to end on real footage: `highlight run --plugin pose --plugin reps` on a squat clip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from highlight_plugins.pose.landmarks import PeopleTrack, load, save
from highlight_plugins.pose.overlay import BONE_COLOUR, frame_drawer
from typer.testing import CliRunner

from highlight.cli import app
from highlight.export import manifest as manifests

pytestmark = pytest.mark.slow


def _green_pixels(image: np.ndarray) -> int:
    return int(np.sum(np.all(np.abs(image.astype(int) - BONE_COLOUR) < 40, axis=-1)))


def test_run_counts_squats_writes_pose_and_draws_it(shared, dev_labels, tmp_path, monkeypatch):
    video = shared / "data" / "videos" / "squat_side.mp4"
    truth = dev_labels["reps"]["squat_side.mp4"]
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", str(shared / "models" / "pose_landmarker_lite.task"))
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(video),
            "--out",
            str(tmp_path),
            "--quiet",
            "--plugin",
            "pose",
            "--plugin",
            "reps",
            "--overlay",
            "pose",
            "--highlight-sets",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "reps: squat: 3 reps" in result.output and "s/rep" in result.output

    folder = tmp_path / "squat_side"
    manifest = manifests.load(folder)
    reps = manifest.plugins["reps"]
    assert reps["count"] == truth["count"]
    assert truth["what"].startswith("bodyweight squats") and reps["recognised"] == "squat"
    assert reps["sets"][0]["exercise"] == "squat" and all("not low" not in r["flags"] for r in reps["reps"])
    assert [r["bottom"] for r in reps["reps"]] == pytest.approx(truth["bottom_approx_s"], abs=0.5)
    assert reps["sets"][0]["reps"] == 3 and 2.0 < reps["seconds_per_rep"] < 4.0

    people = load(folder / "pose.npz")
    assert people.landmarks.shape == (manifest.plugins["pose"]["frames"], people.people, 33, 4)
    track = people.person(manifest.plugins["pose"]["person"] - 1)
    assert track.detected.mean() > 0.9
    assert np.all(np.diff(track.times) > 0)

    # --highlight-sets: the set (1.85-9.05 s, plus a second each side) is a highlight
    first = manifest.intervals[0]
    assert first.start <= reps["sets"][0]["start"] and first.end >= reps["sets"][0]["end"]
    import av

    with av.open(str(folder / first.clip)) as clip:
        frame = next(f for f in clip.decode(video=0) if f.time >= 2.5 - first.start)
        assert _green_pixels(frame.to_ndarray(format="rgb24")) > 200  # the skeleton is drawn


def test_pose_file_round_trip_and_nearest_lookup(tmp_path):
    landmarks = np.full((3, 33, 4), np.nan, np.float32)
    landmarks[0] = 0.5
    landmarks[0, :, 3] = 1.0
    landmarks[2] = 0.25
    landmarks[2, :, 3] = 1.0
    track = PeopleTrack(np.array([0.0, 0.1, 0.2]), landmarks[:, None])
    save(tmp_path / "pose.npz", track)
    again = load(tmp_path / "pose.npz").person(0)
    np.testing.assert_array_equal(again.times, track.times)
    assert again.nearest(0.04, 0.15)[0, 0] == 0.5
    assert again.nearest(0.1, 0.15) is None  # nobody detected in the nearest frame
    assert again.nearest(0.9, 0.15) is None  # too far from any analysed frame
    image = np.zeros((100, 200, 3), np.uint8)
    drawn = frame_drawer(PeopleTrack(track.times, landmarks[:, None]))(image, 0.19)
    assert _green_pixels(drawn) == 0  # every landmark at one point: bones of zero length
    landmarks[2, 23:25, :2] = [[0.1, 0.1], [0.9, 0.9]]  # spread the hips: a visible bone
    drawn = frame_drawer(PeopleTrack(track.times, landmarks[:, None]))(image, 0.19)
    assert _green_pixels(drawn) > 50 and image.sum() == 0  # drawn on a copy
    counted = frame_drawer(PeopleTrack(track.times, landmarks[:, None]), {1: [0.05]})(image, 0.19)
    assert np.sum(np.any(counted != drawn, axis=-1)) > 20  # the count so far, written above the person


POSE_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from highlight.pipeline import process_video
from highlight.settings import RunSettings
settings = RunSettings(plugins=("pose",), clips=False, plugin_options=(("pose", (("model", sys.argv[3]),)),))
manifest = process_video(Path(sys.argv[1]), Path(sys.argv[2]), settings)
print(json.dumps({"tensorflow": "tensorflow" in sys.modules, "detected": manifest.plugins["pose"]["detected_frames"]}))
"""


def test_pose_does_not_drag_in_tensorflow(shared, tmp_path):
    """mediapipe imports TensorFlow (2 s per process) for a docs decorator unless kept from it."""
    import subprocess
    import sys

    model = shared / "models" / "pose_landmarker_lite.task"
    video = shared / "data" / "videos" / "quva_023_fitness.mp4"
    done = subprocess.run(
        [sys.executable, "-c", POSE_IN_A_FRESH_PROCESS, str(video), str(tmp_path), str(model)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["detected"] > 0 and result["tensorflow"] is False


def test_pose_finds_the_person_in_a_frame_with_padded_rows(shared, tmp_path):
    """quva_060 is 216 wide: rgb24 rows of 648 bytes in lines of 672. Before `Frame.image`
    made every array contiguous, MediaPipe read the padded rows as garbage: 0/378 frames.

    The skipping is recognised and counted: tracking the yellow shoes frame by frame (all
    15 fps) shows 64 times off the floor, every 8 to 10 frames, the first at frame 1 as
    the clip starts mid-jump: 63 complete jumps."""
    from highlight.pipeline import process_video
    from highlight.settings import RunSettings

    video = shared / "data" / "videos" / "quva_060_jumping_rope.mp4"
    model = shared / "models" / "pose_landmarker_lite.task"
    settings = RunSettings(plugins=("pose", "reps"), clips=False, plugin_options=(("pose", (("model", str(model)),)),))
    plugins = process_video(video, tmp_path, settings).plugins
    pose, reps = plugins["pose"], plugins["reps"]
    assert pose["frames"] >= 370
    assert pose["detected_frames"] >= 0.95 * pose["frames"]
    assert reps["recognised"] == "jump_rope" and abs(reps["count"] - 63) <= 1
