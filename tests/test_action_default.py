"""When someone is in view for most of a recording, the default finds the action inside it.

A workout with the reps plugin: the highlights are its sets (labelled reps inside them).
With nothing that says where the action is: one line says the highlight is (nearly) all
of the recording and what to try. Checked on planted spans, a generated recording with
someone always moving in view, and a real workout clip against its labelled reps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from highlight.cli import app
from highlight.export import manifest as manifests
from highlight.intervals import (
    MOST_OF_THE_RECORDING,
    Interval,
    IntervalSettings,
    action_inside_presence,
    around_share,
    covered_share,
    holding_the_action,
)
from highlight.pipeline import with_someone_seen
from highlight.plugin_api import action_spans, presence_spans
from tests.footage import concatenated, reencoded, write_video

SETTINGS = IntervalSettings()  # the defaults: 1 s padding each side, 2 s merge gap


def test_sets_replace_a_presence_that_spans_the_recording():
    presence = [Interval(0.0, 60.0)]
    sets = [(5.0, 20.0), (21.5, 30.0), (40.0, 50.0)]  # a short rest between the first two
    found = action_inside_presence(presence, sets, SETTINGS, 60.0, ([10.0, 45.0], [0.9, 0.8]))
    assert [(i.start, i.end) for i in found] == [(4.0, 20.75), (20.75, 31.0), (39.0, 51.0)]
    assert found[0].peak_time == 10.0 and found[2].peak_time == 45.0
    assert covered_share(found, 60.0) < MOST_OF_THE_RECORDING


def test_a_visit_that_is_a_moment_of_the_recording_stands():
    assert action_inside_presence([Interval(10.0, 20.0)], [(12.0, 15.0)], SETTINGS, 60.0) is None
    assert action_inside_presence([Interval(0.0, 60.0)], [], SETTINGS, 60.0) is None


def test_someone_seen_again_within_seconds_was_around_in_between():
    """A player far away, seen while moving and lost for seconds at a time, is around all along; the
    visits of the long office recording, two minutes apart, are moments of it."""
    seen = [Interval(float(t), t + 5.0) for t in range(0, 60, 9)]  # 5 s seen, 4 s lost, again and again
    assert covered_share(seen, 60.0) < MOST_OF_THE_RECORDING <= around_share(seen, 60.0)
    assert action_inside_presence(seen, [(10.0, 45.0)], SETTINGS, 60.0) == [Interval(9.0, 46.0)]
    visits = [Interval(120.0, 178.0), Interval(300.0, 358.0), Interval(480.0, 538.0)]
    assert around_share(visits, 600.0) == covered_share(visits, 600.0)
    assert action_inside_presence(visits, [(130.0, 170.0)], SETTINGS, 600.0) is None


def test_action_spans_read_from_published_results_skip_other_shapes():
    results = {
        "reps": {"sets": [{"start": 3.0, "end": 9.0, "reps": 5}], "holds": [{"start": 20, "end": 30}]},
        "pose": {"frames": 10},
        "odd": {"sets": [{"from": 1}, "nonsense"]},
        "failed": "error text",
    }
    assert action_spans(results) == [(3.0, 9.0), (20.0, 30.0)]


def test_where_a_plugin_saw_someone_counts_as_someone_in_view():
    """The detector saw a visit of 7 s in a minute (someone doing push-ups on one spot is part of its empty
    scene); the pose plugin saw someone all along: the highlights are the sets."""
    results = {
        "pose": {"in_view": [{"start": 0.0, "end": 31.0}, {"start": 31.5, "end": 60.0}], "frames": 600},
        "reps": {"sets": [{"start": 5.0, "end": 20.0}, {"start": 30.0, "end": 50.0}]},
        "odd": {"in_view": [{"from": 1}]},
    }
    assert presence_spans(results) == [(0.0, 31.0), (31.5, 60.0)]
    presence = [Interval(3.0, 10.0)]
    seen = with_someone_seen(presence, results)
    assert around_share(presence, 60.0) < MOST_OF_THE_RECORDING <= around_share(seen, 60.0)
    found = action_inside_presence(seen, action_spans(results), SETTINGS, 60.0)
    assert [(i.start, i.end) for i in found] == [(4.0, 21.0), (29.0, 51.0)]
    assert with_someone_seen(presence, {"reps": {"sets": []}}) == presence


def render_someone_always_moving(path: Path, seconds: float = 8.0, fps: int = 25) -> None:
    """A fixed camera over a textured floor; a person-sized block walks back and forth the whole time."""
    rng = np.random.default_rng(11)
    floor = np.kron(rng.integers(70, 150, (9, 16, 3)), np.ones((20, 20, 1))).astype(np.uint8)

    def frames():
        for i in range(int(seconds * fps)):
            frame = floor.copy()
            x = int(140 + 110 * np.sin(i / fps * 1.3))
            frame[60:150, x : x + 28] = (210, 60, 50)
            noise = rng.integers(-3, 4, frame.shape)
            yield np.clip(frame.astype(int) + noise, 0, 255).astype(np.uint8)

    write_video(path, frames(), fps, {"g": str(fps)})


def test_a_highlight_that_is_all_of_it_says_so_and_what_to_try(tmp_path):
    video = tmp_path / "always.mp4"
    render_someone_always_moving(video)
    result = CliRunner().invoke(app, ["run", str(video), "-o", str(tmp_path / "out"), "--no-clips"])
    assert result.exit_code == 0, result.output
    manifest = manifests.load(tmp_path / "out" / "always")
    assert covered_share([Interval(i.start, i.end) for i in manifest.intervals], 8.0) >= MOST_OF_THE_RECORDING
    (hint,) = manifest.hints
    assert "of the recording" in hint and "highlight region" in hint and "--preset shots" in hint
    assert "--plugin pose --plugin reps" in hint
    assert "highlight region" in " ".join(result.output.split())  # in the run summary too
    assert "highlight region VIDEO" in (tmp_path / "out" / "report.html").read_text()  # and in the report


@pytest.mark.slow
def test_workout_highlights_are_the_sets(shared, dev_labels, tmp_path, monkeypatch):
    """squat_side with the reps plugin and no other option: the set, not the walk to the camera after it."""
    video = shared / "data" / "videos" / "squat_side.mp4"
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", str(shared / "models" / "pose_landmarker_lite.task"))
    args = ["run", str(video), "-o", str(tmp_path), "-q", "--no-clips", "--no-report"]
    result = CliRunner().invoke(app, [*args, "--plugin", "pose", "--plugin", "reps"])
    assert result.exit_code == 0, result.output
    manifest = manifests.load(tmp_path / "squat_side")
    sets = manifest.plugins["reps"]["sets"]
    assert len(manifest.intervals) == len(sets) >= 1
    for interval, entry in zip(manifest.intervals, sets):
        assert interval.start <= entry["start"] and interval.end >= entry["end"]
        assert interval.end - interval.start <= entry["end"] - entry["start"] + SETTINGS.pad_before + SETTINGS.pad_after
    for bottom in dev_labels["reps"]["squat_side.mp4"]["bottom_approx_s"]:
        assert any(i.start <= bottom <= i.end for i in manifest.intervals), bottom
    assert "sets" in manifest.hints[0]
    recut = CliRunner().invoke(app, ["cut", str(tmp_path / "squat_side"), "--pad-after", "0.5s", "-q"])
    assert recut.exit_code == 0, recut.output
    again = manifests.load(tmp_path / "squat_side")  # re-cut from the stored scores and results: still the sets
    ends = [min(s["end"] + 0.5, again.source.duration) for s in sets]
    assert [i.end for i in again.intervals] == pytest.approx(ends, abs=0.05)


@pytest.mark.slow
def test_both_sets_are_highlights_when_the_person_left_the_picture_between_them(
    shared, dev_labels, tmp_path, monkeypatch
):
    """pushup_gym_side twice in one file: they walk in, do 10 push-ups, get up, and (out of
    the picture for a second) walk in again for 10 more. The pose tracker loses them in
    between; the second set was once someone else's: neither counted nor a highlight."""
    clip = shared / "data" / "videos" / "pushup_gym_side.mp4"
    video = concatenated([clip, clip], tmp_path / "two_sets.mp4")
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", str(shared / "models" / "pose_landmarker_lite.task"))
    args = ["run", str(video), "-o", str(tmp_path / "out"), "-q", "--no-clips", "--no-report"]
    result = CliRunner().invoke(app, [*args, "--plugin", "pose", "--plugin", "reps"])
    assert result.exit_code == 0, result.output
    manifest = manifests.load(tmp_path / "out" / "two_sets")
    truth = dev_labels["reps"]["pushup_gym_side.mp4"]
    sets = manifest.plugins["reps"]["sets"]
    assert [entry["exercise"] for entry in sets] == ["pushup", "pushup"]
    assert [entry["reps"] for entry in sets] == [truth["count"]] * 2
    assert len(manifest.intervals) == 2
    copy_starts_at = manifest.source.duration / 2
    for offset in (0.0, copy_starts_at):
        for bottom in truth["bottom_approx_s"]:
            assert any(i.start <= offset + bottom <= i.end for i in manifest.intervals), offset + bottom


def test_sets_where_the_detector_saw_nobody_are_held_whole():
    # someone jumping rope on one spot, learned as part of the scene: the presence has a
    # visit at 39-51 s only; the reps plugin found two sets, one inside the visit
    presence = [Interval(39.0, 51.0)]
    found = holding_the_action(presence, [(5.0, 20.0), (42.0, 48.0)], SETTINGS, 60.0, ([10.0, 45.0], [0.9, 0.8]))
    assert [(i.start, i.end, i.peak_time) for i in found] == [(4.0, 21.0, 10.0), (39.0, 51.0, 0.0)]
    # a set the presence holds only in parts: one highlight from its start to its end
    parts = [Interval(0.0, 13.4), Interval(27.6, 37.8)]
    assert [(i.start, i.end) for i in holding_the_action(parts, [(0.4, 37.5)], SETTINGS, 37.8)] == [(0.0, 37.8)]
    assert holding_the_action(presence, [(42.0, 48.0)], SETTINGS, 60.0) is None
    assert holding_the_action(presence, [], SETTINGS, 60.0) is None


@pytest.mark.slow
def test_a_set_the_detector_cannot_see_is_a_highlight(shared, tmp_path, monkeypatch):
    """quva_060 (someone jumping rope on one spot all along) with the jumper excluded from the detector.

    The detector sees nobody; the reps plugin, which looks at the whole picture, finds the
    set, and the set is the highlight (it once gave 63 reps and no highlight). The pose
    plugin saw him all along: someone is in view for all of it, and the set is all there is.
    """
    video = shared / "data" / "videos" / "quva_060_jumping_rope.mp4"
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", str(shared / "models" / "pose_landmarker_lite.task"))
    args = ["run", str(video), "-o", str(tmp_path), "-q", "--no-clips", "--no-report", "--exclude", "0,0,1,1"]
    result = CliRunner().invoke(app, [*args, "--plugin", "pose", "--plugin", "reps"])
    assert result.exit_code == 0, result.output
    manifest = manifests.load(tmp_path / video.stem)
    sets = manifest.plugins["reps"]["sets"]
    assert sets and sum(entry["reps"] for entry in sets) >= 40, sets  # he jumps all along
    for entry in sets:
        assert any(i.start <= entry["start"] and entry["end"] <= i.end for i in manifest.intervals), manifest.intervals
    assert "the highlights are the sets" in manifest.hints[0], manifest.hints  # the pose plugin saw him all along


@pytest.mark.slow
def test_the_sets_are_the_highlights_as_a_phone_writes_a_workout(shared, tmp_path, monkeypatch):
    """pushup_tutorial.mp4 at 30 fps with a keyframe a second, as most phones write it.

    Pairs of keyframes a second apart show the push-ups moving in every pair: the
    detector takes the spot for clutter, and sees someone for 59% of it. The pose plugin
    sees him all along: the highlights are his sets (and the plank he demonstrates before
    the second set, 29-31 s), not the talk standing between them (read by eye: 25.5-28.5 s).
    It was one highlight, all of the recording.
    """
    video = reencoded(shared / "data" / "videos" / "pushup_tutorial.mp4", tmp_path / "phone.mp4", 30, "fps=30", 22)
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", str(shared / "models" / "pose_landmarker_lite.task"))
    args = ["run", str(video), "-o", str(tmp_path / "out"), "-q", "--no-clips", "--no-report"]
    result = CliRunner().invoke(app, [*args, "--plugin", "reps"])
    assert result.exit_code == 0, result.output
    manifest = manifests.load(tmp_path / "out" / "phone")
    reps = manifest.plugins["reps"]
    assert [entry["reps"] for entry in reps["sets"]] == [9, 5], reps["sets"]
    for entry in reps["sets"]:
        assert any(i.start <= entry["start"] and entry["end"] <= i.end for i in manifest.intervals), manifest.intervals
    assert not any(i.start <= 27.0 <= i.end for i in manifest.intervals), manifest.intervals
    assert len(manifest.intervals) == len(reps["sets"]) + len(reps.get("holds", []))
    assert "the highlights are the sets" in manifest.hints[0], manifest.hints
