"""The pose tracker on its own: identities kept across swapped order, gaps and fast moves."""

from __future__ import annotations

import numpy as np
from highlight_plugins.pose.tracking import PoseTracker, box_iou, match_poses, pose_box


def _person(x: float, y: float, width: float = 0.2, height: float = 0.6, seed: int = 0) -> np.ndarray:
    """33 visible landmarks spread over a (width x height) box whose top-left is (x, y)."""
    rng = np.random.default_rng(seed)
    pose = np.ones((33, 4), np.float32)
    pose[:, 0] = x + rng.uniform(0, width, 33)
    pose[:, 1] = y + rng.uniform(0, height, 33)
    pose[[0, 1], 0] = [x, x + width]  # the extremes, so the box is exactly the given one
    pose[[0, 1], 1] = [y, y + height]
    return pose


def test_box_and_overlap():
    box = pose_box(_person(0.1, 0.2))
    assert np.allclose(box, [0.1, 0.2, 0.3, 0.8])
    assert box_iou(box, box) == 1.0
    assert box_iou(box, pose_box(_person(0.5, 0.2))) == 0.0
    assert abs(box_iou(box, pose_box(_person(0.2, 0.2))) - 1 / 3) < 1e-6


def test_unseen_landmarks_do_not_stretch_the_box():
    pose = _person(0.1, 0.2)
    pose[5, :2], pose[5, 3] = (0.9, 0.95), 0.05  # a guessed, off-body landmark
    assert np.allclose(pose_box(pose), [0.1, 0.2, 0.3, 0.8])


def test_two_people_keep_their_columns_whatever_order_the_model_gives():
    tracker = PoseTracker()
    truth = []
    for k in range(40):
        left = _person(0.1, 0.2 + 0.1 * np.sin(k / 3), seed=k)  # squatting up and down
        right = _person(0.6 + 0.002 * k, 0.25, seed=100 + k)  # drifting right
        poses, names = ([left, right], ["left", "right"]) if k % 3 else ([right, left], ["right", "left"])
        columns = tracker.add(poses)
        truth.append(dict(zip(names, columns)))
    assert all(t == {"left": truth[0]["left"], "right": truth[0]["right"]} for t in truth)
    landmarks = tracker.landmarks()
    assert landmarks.shape == (40, 2, 33, 4)
    assert np.all(landmarks[:, truth[0]["left"], :, 0] < 0.5)


def test_a_fast_move_without_overlap_is_matched_by_landmarks():
    narrow = _person(0.40, 0.2, width=0.05, height=0.6)
    moved = narrow.copy()
    moved[:, 0] += 0.1  # no overlap left, but 0.17 box heights away
    assert box_iou(pose_box(narrow), pose_box(moved)) == 0.0
    assert match_poses([narrow], [moved]) == [(0, 0)]
    far = narrow.copy()
    far[:, 0] += 0.4
    assert match_poses([narrow], [far]) == []


def test_a_short_gap_keeps_the_identity_a_long_one_starts_a_new_track():
    tracker = PoseTracker(max_missed=3)
    person = _person(0.3, 0.2)
    first = tracker.add([person])[0]
    for _ in range(3):
        tracker.add([])
    assert tracker.add([person]) == [first]
    for _ in range(4):
        tracker.add([])
    assert tracker.add([person]) != [first]
    landmarks = tracker.landmarks()
    assert landmarks.shape == (10, 2, 33, 4)
    assert np.isnan(landmarks[1:4]).all() and np.isfinite(landmarks[4, first]).all()


def test_someone_walking_in_gets_a_new_column():
    tracker = PoseTracker()
    a = tracker.add([_person(0.1, 0.2)])
    b = tracker.add([_person(0.6, 0.2), _person(0.1, 0.2)])
    assert b[1] == a[0] and b[0] != a[0]
