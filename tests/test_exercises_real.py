"""Exercise recognition and counting with ``--exercise auto`` on real clips (MediaPipe: slow).

The labelled clips say in dev.json what is done in them ("walking lunges"); the test
maps that text to the exercise name it must be recognised as (dribbling is none of
the exercises: ``unknown``) and checks the count stays the labelled one. pushup_side
(from a push-up counter's repository, see SOURCES.md) has no count label: its four
push-ups were counted by watching it.
"""

from __future__ import annotations

import pytest

from highlight.pipeline import process_video
from highlight.settings import RunSettings, plugin_options_tuple
from tests.footage import WOBBLE, reencoded

pytestmark = pytest.mark.slow

# clip -> (dev.json's "what" begins with, the exercise that is)
LABELLED = {
    "quva_020_fitness.mp4": ("walking lunges", "lunge"),
    "quva_023_fitness.mp4": ("jumps", "jump"),
    "quva_092_basketball.mp4": ("dribbling", "unknown"),
    "quva_093_core_strength.mp4": ("crunches", "crunch"),
}  # squat_side.mp4 ("bodyweight squats": squat) is run end to end in test_pose_reps_e2e


# Ways other cameras and apps write the same scene (as benchmarks/bench_variations.py
# makes them): -> (a keyframe every so many frames, ffmpeg's filter, crf).
RECORDED = {
    "grain": (30, "noise=alls=12:allf=t:all_seed=5", 22),  # a dim gym, a cheap sensor
    "small": (60, "scale=-2:'min(360,ih)'", 26),  # a messaging app's copy
    "wobble": (30, WOBBLE, 22),  # a phone on a tripod in the wind
}


def _reps(shared, tmp_path, name: str, video=None) -> dict:
    model = shared / "models" / "pose_landmarker_lite.task"
    settings = RunSettings(
        plugins=("pose", "reps"), clips=False, plugin_options=plugin_options_tuple({"pose": {"model": str(model)}})
    )
    video = video or shared / "data" / "videos" / name
    return process_video(video, tmp_path / "highlights" / video.name, settings).plugins["reps"]


@pytest.mark.parametrize("name", sorted(LABELLED))
def test_labelled_clip_is_recognised_and_counted_right(shared, dev_labels, tmp_path, name):
    what, exercise = LABELLED[name]
    truth = dev_labels["reps"][name]
    assert truth["what"].startswith(what)
    reps = _reps(shared, tmp_path, name)
    assert reps["exercise"] == "auto" and reps["recognised"] == exercise
    assert reps["count"] == truth["count"]
    assert [s["exercise"] for s in reps["sets"]] == [exercise] * len(reps["sets"])
    assert all("down_s" in rep and "flags" in rep for rep in reps["reps"])


def test_jumping_jacks_are_counted_through_every_view(shared, dev_labels, tmp_path):
    """Front, three-quarter and side, with dissolves between: each view's jacks within one."""
    truth = dev_labels["reps"]["jumping_jacks_three_views.mp4"]
    reps = _reps(shared, tmp_path, "jumping_jacks_three_views.mp4")
    assert reps["recognised"] == truth["exercise"] == "jumping_jack"
    assert [s["exercise"] for s in reps["sets"]] == ["jumping_jack"] * len(reps["sets"])
    assert abs(reps["count"] - truth["count"]) <= 1
    views = {"front": (2.4, 8.75), "three_quarter": (8.75, 15.1), "side": (15.1, 22.4)}  # from the label's "what"
    for name, (start, end) in views.items():
        seen = sum(start <= rep["bottom"] < end for rep in reps["reps"])
        assert abs(seen - truth["by_view"][name]) <= 1, name
    assert "short range" not in reps["form"]


def test_push_ups_between_getting_down_and_up_the_bench_no_person(shared, dev_labels, tmp_path):
    truth = dev_labels["reps"]["pushup_gym_side.mp4"]
    reps = _reps(shared, tmp_path, "pushup_gym_side.mp4")
    assert reps["recognised"] == truth["exercise"] == "pushup"
    assert reps["count"] == truth["count"] and len(reps["people"]) == 1
    assert [s["exercise"] for s in reps["sets"]] == ["pushup"]
    bottoms = [rep["bottom"] for rep in reps["reps"]]  # the reps are the labelled ones, not getting down or up
    assert bottoms == pytest.approx(truth["bottom_approx_s"], abs=0.6)
    assert (
        "shallow" not in reps["form"]
    )  # the chest goes down to the floor every rep (seen in frames at 9, 13, 17, 21 s)


def test_pushups_are_recognised_with_their_form_measured(shared, tmp_path):
    reps = _reps(shared, tmp_path, "pushup_side.mp4")
    assert reps["recognised"] == "pushup" and reps["summary"].startswith("pushup: ")
    assert reps["count"] == 4  # bottoms at about 4, 7.5, 11 and 14 s, counted by watching the clip
    assert all(rep["min_elbow_angle"] < 90 for rep in reps["reps"])  # every one of them goes down far: none shallow
    assert "shallow" not in reps["form"]


@pytest.mark.parametrize(
    ("name", "way"),
    [
        ("quva_020_fitness.mp4", "grain"),
        ("quva_020_fitness.mp4", "small"),
        ("pushup_gym_side.mp4", "small"),
        ("pushup_gym_side.mp4", "wobble"),
    ],
)
def test_a_labelled_clip_recorded_otherwise_keeps_its_count(shared, dev_labels, tmp_path, name, way):
    """The walking lunges come toward the camera: their first dips are a fraction of the last in
    the picture, and with another sensor's noise the first two were lost (3 of 5). Through a
    wobbling camera every landmark moved with the picture: the push-ups were 12, the walk in
    counted, until the pose frames were lined up with the first (``pose.camera``)."""
    keyframes, video_filter, quality = RECORDED[way]
    video = reencoded(shared / "data" / "videos" / name, tmp_path / f"{way}.mp4", keyframes, video_filter, quality)
    assert _reps(shared, tmp_path, name, video)["count"] == dev_labels["reps"][name]["count"]
