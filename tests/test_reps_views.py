"""Sets, names and people on stick figures seen as real recordings see them: getting down
before a set and up after it, from the front, the side and in between, through a camera
that pans and zooms, next to a person-shaped thing that never moves.

The figures are ``test_exercises``' kinematic stick figures (segments of fixed length
moved as a coach describes the exercise), given a body width (shoulders and hips a
third and a fifth of a torso length apart, as MediaPipe places them) and turned about
the vertical axis, then projected; the truth is what was planted.
"""

from __future__ import annotations

import numpy as np
import pytest
from highlight_plugins.pose.landmarks import PeopleTrack, PoseTrack, moving_people
from highlight_plugins.pose.tracking import joined_in_turn, who_is_who
from highlight_plugins.reps import count_person
from highlight_plugins.reps.counter import CounterSettings, count_by_vote, pose_signals

from tests.test_exercises import EXAMPLES, FPS, LENGTH, figure, pushup, squat

LEFT = (11, 13, 15, 23, 25, 27)
RIGHT = (12, 14, 16, 24, 26, 28)
HALF_WIDTH = {11: 0.33, 13: 0.33, 15: 0.33, 23: 0.2, 25: 0.2, 27: 0.2}  # half the width apart, in torso lengths
FRONTAL = {"jumping_jack"}  # figures drawn face on (their x is sideways); the rest are drawn side on


def turned(landmarks: np.ndarray, yaw_deg, frontal: bool = False) -> np.ndarray:
    """The figure turned ``yaw_deg`` about the vertical (0: as drawn; 90: a quarter turn),
    orthographic. ``yaw_deg`` may be an array over frames: a camera walking around."""
    out = landmarks.copy()
    x = landmarks[:, :, 0] - 0.5
    depth = np.zeros_like(x)  # across the figure's drawing plane
    for left, right in zip(LEFT, RIGHT):
        half = 0.5 * HALF_WIDTH[left] * LENGTH["torso"]
        depth[:, left], depth[:, right] = half, -half
    if frontal:  # drawn face on: the drawn x is sideways, the body's width is along it already
        depth = np.zeros_like(x)
    yaw = np.radians(np.broadcast_to(np.asarray(yaw_deg, float), (x.shape[0],)))[:, None]
    out[:, :, 0] = 0.5 + x * np.cos(yaw) + depth * np.sin(yaw)
    return out


def filmed_moving(times: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A hand-held camera: the whole picture pans (a tenth of the frame) and zooms (+-25%), slowly."""
    out = landmarks.copy()
    scale = 1.0 + 0.25 * np.sin(2 * np.pi * times / 9.0)
    shift_x = 0.1 * np.sin(2 * np.pi * times / 7.0)
    shift_y = 0.05 * np.sin(2 * np.pi * times / 11.0 + 1.0)
    for axis, shift in ((0, shift_x), (1, shift_y)):
        out[:, :, axis] = 0.5 + scale[:, None] * (landmarks[:, :, axis] - 0.5) + shift[:, None]
    return out


def coming_closer(times: np.ndarray, landmarks: np.ndarray, nearest: float, horizon: float = 0.3) -> np.ndarray:
    """Someone walking toward the camera: steadily growing to ``nearest`` times their first size in
    the picture, about the horizon (the camera's height), as perspective draws them."""
    out = landmarks.copy()
    scale = (1.0 + (nearest - 1.0) * times / times[-1])[:, None] / nearest
    for axis, centre in ((0, 0.5), (1, horizon)):
        out[:, :, axis] = centre + scale * (landmarks[:, :, axis] - centre)
    return out


def between(start: np.ndarray, end: np.ndarray, seconds: float) -> np.ndarray:
    """Landmarks moving smoothly from pose ``start`` to pose ``end`` (each 33 x 4) in ``seconds``."""
    weight = 0.5 - 0.5 * np.cos(np.pi * np.linspace(0, 1, int(seconds * FPS)))[:, None, None]
    return (1 - weight) * start[None] + weight * end[None]


def joined(*pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    landmarks = np.concatenate(pieces)
    return np.arange(len(landmarks)) / FPS, landmarks


def counted(times: np.ndarray, landmarks: np.ndarray) -> dict:
    return count_person(PoseTrack(times, landmarks), "auto", CounterSettings()).result()


def test_getting_down_and_getting_up_are_not_reps():
    """Standing, 1.5 s getting down into a plank, 6 push-ups, 1.5 s getting up, standing."""
    _, standing = figure(2.0, 180, 0, 0, 0, 0)
    _, pushups = pushup(reps=6)
    times, landmarks = joined(
        standing, between(standing[-1], pushups[0], 1.5), pushups, between(pushups[-1], standing[0], 1.5), standing
    )
    result = counted(times, landmarks)
    assert result["count"] == 6
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("pushup", 6)]
    assert result["sets"][0]["start"] >= 3.0 and result["sets"][0]["end"] <= 3.5 + 6 * 2.5 + 0.5


@pytest.mark.parametrize("rise_s", [1.5, 2.5])
def test_pushing_up_from_the_floor_into_the_plank_is_no_rep(rise_s):
    """Standing, down onto the floor, lying there half a second, pushing up into a plank
    (slower than a push-up's 2.5 s cycle takes to rise), 6 push-ups. Pushing up from lying
    ends in the set's posture and within its swing: it was counted as a 7th rep."""
    _, standing = figure(2.0, 180, 0, 0, 0, 0)
    _, pushups = pushup(reps=6)
    lying = pushups[int(1.25 * FPS)]  # the bottom of a push-up: chest on the floor
    pieces = (between(standing[-1], lying, 1.5), np.repeat(lying[None], 5, axis=0), between(lying, pushups[0], rise_s))
    result = counted(*joined(standing, *pieces, pushups))
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("pushup", 6)]


def walking(seconds: float, stride_s: float = 1.0, speed: float = 0.5) -> np.ndarray:
    """Landmarks of a figure walking across the picture: legs swinging in turn, ``speed`` frame widths a second."""

    def thigh(sign: float):
        return lambda t: sign * 25 * np.sin(2 * np.pi * t / stride_s)

    def shin(sign: float):  # the knee bends as the leg swings through
        return lambda t: thigh(sign)(t) - 20 * np.clip(sign * np.sin(2 * np.pi * t / stride_s), 0, None)

    times, landmarks = figure(seconds, 180, 0, 0, 0, 0, split=(thigh(1), shin(1), thigh(-1), shin(-1)))
    landmarks = landmarks.copy()
    landmarks[:, :, 0] += speed * times[:, None] - 0.4
    return landmarks


def test_walking_in_is_no_set_and_walking_alone_no_reps():
    walk = walking(5.0)
    _, squats = squat(reps=5)
    squats = squats.copy()
    squats[:, :, 0] += walk[-1, 23, 0] - squats[0, 23, 0]  # squatting where the walk ended
    result = counted(*joined(walk, between(walk[-1], squats[0], 0.5), squats))
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("squat", 5)]
    assert counted(*joined(walking(8.0)))["count"] == 0


@pytest.mark.parametrize("rest_s", [8.0, 30.0])
def test_two_sets_with_a_rest_standing_between_are_counted_once_each(rest_s):
    """The commonest workout: a set, a rest standing where the set was done, another set.
    Standing is the squats' own posture: each set was counted over both, and twice (18 of 9)."""
    _, first = squat(reps=5)
    _, second = squat(reps=4)
    _, standing = figure(rest_s, 180, 0, 0, 0, 0)
    result = counted(*joined(standing[:20], first, standing, second, standing[:20]))
    assert result["count"] == 9
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("squat", 5), ("squat", 4)]
    assert result["sets"][0]["end"] < 2.0 + 5 * 2.5 + 0.5 < 2.0 + 5 * 2.5 + rest_s - 0.5 < result["sets"][1]["start"]


def test_another_exercise_after_a_rest_in_the_same_posture_is_found_too():
    """Squats and jumping jacks are both done standing, and so is the rest between them: the set
    found first was widened over all of it, and the other exercise was never searched for."""
    _, squats = squat(reps=5)
    _, jacks = EXAMPLES["jumping_jack"]()
    _, standing = figure(10.0, 180, 0, 0, 0, 0)
    result = counted(*joined(standing[:20], squats, standing, jacks, standing[:20]))
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("squat", 5), ("jumping_jack", 10)]
    result = counted(*joined(standing[:20], jacks, standing, squats, standing[:20]))
    assert [entry["exercise"] for entry in result["sets"]] == ["jumping_jack", "squat"]
    assert result["sets"][1]["reps"] == 5 and result["sets"][0]["reps"] >= 9  # the first jack begins from standing


def test_jumps_a_rest_standing_then_jumps_are_two_sets():
    """A jump begins and ends standing, between its crouch and its flight: the counted height
    left its top at the first set's last landing and came back at the next set's first flight,
    one "rep" across the rest, and the two sets were one (19 reps)."""
    _, jumps = EXAMPLES["jump"]()
    _, standing = figure(10.0, 180, 0, 0, 0, 0)
    result = counted(*joined(standing[:20], jumps, standing, jumps, standing[:20]))
    assert [entry["exercise"] for entry in result["sets"]] == ["jump", "jump"]
    # 9 each, not 10: a set's first jump, from standing, is not counted (docs/reps.md)
    assert all(entry["reps"] >= 9 for entry in result["sets"])


def test_jumps_from_standing_are_jumps():
    """Counted on the shoulders' height, a rep ends as they come back to their top, in the
    air: the feet's rise was measured on the rest of each cycle, too little for a jump."""
    _, jumps = EXAMPLES["jump"]()
    _, standing = figure(2.0, 180, 0, 0, 0, 0)
    result = counted(*joined(standing, jumps, standing))
    assert [entry["exercise"] for entry in result["sets"]] == ["jump"]


def test_squats_then_down_into_push_ups_split_into_two_sets():
    """Dropping from the last squat into a push-up position is neither a squat nor a push-up."""
    _, squats = squat(reps=5)
    _, pushups = pushup(reps=5)
    times, landmarks = joined(squats, between(squats[-1], pushups[0], 1.5), pushups)
    result = counted(times, landmarks)
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("squat", 5), ("pushup", 5)]


PLANTED = {"squat": 5, "pushup": 5, "lunge": 5, "jumping_jack": 10, "burpee": 4}  # reps in test_exercises.EXAMPLES


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_the_same_exercise_is_named_and_counted_alike_from_any_side(name):
    times, landmarks = EXAMPLES[name]()
    for yaw in (0, 45, 90):  # side on, three-quarter, face on (for a frontal figure the other way round)
        result = counted(times, turned(landmarks, yaw, frontal=name in FRONTAL))
        assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [(name, PLANTED[name])], yaw


def test_views_are_labelled_from_the_bodys_orientation():
    times, landmarks = squat()
    views = {yaw: {rep["view"] for rep in counted(times, turned(landmarks, yaw))["reps"]} for yaw in (0, 45, 90)}
    assert views == {0: {"side"}, 45: {"three-quarter"}, 90: {"front"}}
    face_on = counted(times, turned(landmarks, 90))
    assert face_on["form"] == {} and all(rep["not_judged"] for rep in face_on["reps"])


@pytest.mark.parametrize("name", ["squat", "pushup", "jump", "jumping_jack"])
def test_a_moving_camera_changes_neither_name_nor_count(name):
    times, landmarks = EXAMPLES[name]()
    still = counted(times, landmarks)
    moving = counted(times, filmed_moving(times, landmarks))
    assert still["sets"][0]["exercise"] == name
    assert moving["sets"][0]["exercise"] == name and moving["count"] == still["count"]


def test_a_dip_measures_the_same_near_the_camera_as_far_from_it():
    """Walking lunges toward the camera, three times as big at the end: the hips dip as far, in torso lengths."""
    times, landmarks = EXAMPLES["lunge"]()
    hips = pose_signals(coming_closer(times, landmarks, nearest=3.0))["both_hip_height"]
    first, last = times < 2.5, times >= times[-1] - 2.5  # a rep each
    assert np.ptp(hips[last]) == pytest.approx(np.ptp(hips[first]), rel=0.25)


@pytest.mark.parametrize("name", ["lunge", "jump", "squat"])
def test_the_hips_of_someone_coming_closer_count_every_rep(name):
    """Five times as big at the end, with the pose model's jitter: counted on the hips' height alone."""
    times, landmarks = EXAMPLES[name]()
    planted = counted(times, landmarks)["count"]
    for seed in range(6):
        jittered = coming_closer(times, landmarks, nearest=5.0)
        jittered[:, :, :2] += np.random.default_rng(seed).normal(0.0, 0.005, jittered[:, :, :2].shape)
        _, reps = count_by_vote(times, pose_signals(jittered), ("hip_height",))
        assert len(reps) == planted, seed


def test_a_camera_walking_around_squats_still_sees_squats():
    """The hand-held case: the camera circles from the side to face on while panning and zooming."""
    times, landmarks = squat(reps=6)
    around = filmed_moving(times, turned(landmarks, np.linspace(0, 80, times.size)))
    result = counted(times, around)
    assert result["count"] == 6 and [entry["exercise"] for entry in result["sets"]] == ["squat"]


def test_a_still_person_shaped_thing_and_a_flicker_are_not_people():
    times, squatting = squat()
    _, bench = figure(times[-1] + 1 / FPS, 180, 0, 0, 0, 0, seed=1)  # a standing shape that never moves
    flicker = np.full_like(squatting, np.nan)
    flicker[20:22] = squatting[40:42]  # seen in two frames only
    people = PeopleTrack(times, np.stack([bench, squatting, flicker], axis=1))
    kept = moving_people(people)
    assert kept.people == 1
    np.testing.assert_array_equal(kept.landmarks[:, 0], squatting)


def test_a_cut_that_moves_the_person_does_not_start_another_person():
    """After a cut the person stands elsewhere in the picture: a new track, the same person, the same set."""
    times, landmarks = squat(reps=6)
    cut = times.size // 2
    before, after = np.full_like(landmarks, np.nan), np.full_like(landmarks, np.nan)
    before[:cut] = landmarks[:cut]
    after[cut + 2 :] = landmarks[cut + 2 :]
    after[cut + 2 :, :, 0] += 0.3  # moved a third of the picture, after two frames of dissolve
    people = joined_in_turn(PeopleTrack(times, np.stack([before, after], axis=1)))
    assert people.people == 1
    assert counted(times, people.landmarks[:, 0])["count"] == 6
    two_at_once = PeopleTrack(times, np.stack([landmarks, landmarks + 0.2], axis=1))
    assert joined_in_turn(two_at_once).people == 2


def away_between_sets(seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5 squats, ``seconds`` out of the picture, 4 squats: the tracker's two tracks, (frames, 2, 33, 4)."""
    _, first = squat(reps=5)
    _, second = squat(reps=4)
    gone = np.full((int(seconds * FPS), *first.shape[1:]), np.nan, np.float32)
    times, landmarks = joined(first, gone, second)
    tracks = np.full((len(times), 2, *first.shape[1:]), np.nan, np.float32)
    tracks[: len(first), 0] = first
    tracks[len(first) + len(gone) :, 1] = second
    return times, tracks, landmarks


def test_someone_back_after_a_rest_out_of_view_is_the_same_person_with_two_sets():
    """The tracker loses them while they are away (a drink, 20 s): left as two people, the
    second set was someone else's, and neither counted nor made a highlight."""
    times, tracks, _ = away_between_sets(20.0)
    people = joined_in_turn(PeopleTrack(times, tracks))
    assert people.people == 1
    result = counted(times, people.landmarks[:, 0])
    assert [(entry["exercise"], entry["reps"]) for entry in result["sets"]] == [("squat", 5), ("squat", 4)]
    assert result["sets"][0]["end"] <= 12.5 + 0.5 and result["sets"][1]["start"] >= 12.5 + 20.0 - 0.5


def test_the_people_are_the_tracks_that_move_like_a_person_joined_in_turn():
    """What the pose plugin reports, at the end and to a live status line: a bench the pose model
    sees all along is nobody, and the one who left and came back is one person."""
    times, tracks, _ = away_between_sets(20.0)
    _, bench = figure(times[-1] + 1 / FPS, 180, 0, 0, 0, 0, seed=1)  # a standing shape that never moves
    people = who_is_who(PeopleTrack(times, np.concatenate([tracks, bench[: len(times), None]], axis=1)))
    assert (
        people.people == 1 and np.isfinite(people.landmarks[:, 0, 0, 0]).sum() == np.isfinite(tracks[:, :, 0, 0]).sum()
    )


def test_a_set_stops_when_its_person_leaves_even_for_less_than_a_rest():
    """3 s away is shorter than a rest between sets (5 s), but nobody does reps out of the picture."""
    times, _, landmarks = away_between_sets(3.0)
    result = counted(times, landmarks)
    assert [entry["reps"] for entry in result["sets"]] == [5, 4]


def test_who_comes_back_continues_whoever_was_last_seen_nearest():
    """Two people leave together (one to the left, one to the right) and come back each on their own side."""
    times, tracks, _ = away_between_sets(20.0)
    left, right = tracks.copy(), tracks.copy()
    left[..., 0] -= 0.3
    right[..., 0] += 0.3
    both = np.concatenate([left, right], axis=1)[:, [0, 2, 3, 1]]  # columns: left, right, right back, left back
    people = joined_in_turn(PeopleTrack(times, both))
    assert people.people == 2
    seen = np.isfinite(people.landmarks[:, :, 0, 0])
    for k in range(2):
        xs = people.landmarks[seen[:, k], k, 23, 0]
        assert xs.max() - xs.min() < 0.3  # each stayed on their own side
