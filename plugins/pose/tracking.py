"""Who is who: the poses of each analysed frame joined into one track per person.

MediaPipe's PoseLandmarker returns the poses of a frame in no fixed order, so with two
people in view "pose 0" can be either of them from one frame to the next. The tracker
gives each person a column of their own for the whole video:

* A pose's box is the extent of its visible landmarks: the part of the picture the
  person covers, robust to landmarks the model guesses off-screen.
* A pose continues the track whose last box it overlaps most (intersection over
  union), or, when the person moved too far between samples for the boxes to overlap
  (a jump at 5 frames a second), whose landmarks lie nearest relative to the person's
  size. Pairs are taken best first, each track and pose once: with at most a few
  people that greedy choice is the optimal one in practice and needs no solver.
* A track not seen for ``max_missed`` samples is closed (the person left, or was
  hidden long enough that a return is as likely someone else); a pose matching no open
  track starts a new one.
* At the end, tracks that follow one another are one person (``joined_in_turn``):
  someone who steps out of the picture between sets and comes back, or whom a cut
  moved across it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from highlight_plugins.pose.landmarks import LANDMARK_COUNT, MIN_VISIBILITY, PeopleTrack, moving_people

MIN_IOU = 0.2  # boxes of the same person half a step apart overlap far more than this
MAX_RELATIVE_DISTANCE = 0.5  # mean landmark shift, in box heights, still taken as the same person


def pose_box(landmarks: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) around the visible landmarks (all of them if none is visible)."""
    visible = landmarks[:, 3] >= MIN_VISIBILITY
    points = landmarks[visible if visible.any() else slice(None), :2]
    return np.concatenate([points.min(axis=0), points.max(axis=0)])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes; 0 when either is empty."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def relative_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance between the landmarks of two poses, in heights of ``a``'s box.

    Only landmarks visible in both count; the box height makes it independent of how
    far the person stands from the camera.
    """
    both = (a[:, 3] >= MIN_VISIBILITY) & (b[:, 3] >= MIN_VISIBILITY)
    if not both.any():
        return float("inf")
    box = pose_box(a)
    height = max(float(box[3] - box[1]), 1e-3)
    return float(np.linalg.norm(a[both, :2] - b[both, :2], axis=1).mean() / height)


def match_poses(previous: list[np.ndarray], current: list[np.ndarray]) -> list[tuple[int, int]]:
    """(previous index, current index) pairs that are the same person, best first.

    A pair qualifies by box overlap (>= ``MIN_IOU``) or, failing that, by nearby
    landmarks (<= ``MAX_RELATIVE_DISTANCE``); overlap ranks above distance.
    """
    candidates = []
    for i, old in enumerate(previous):
        old_box = pose_box(old)
        for j, new in enumerate(current):
            iou = box_iou(old_box, pose_box(new))
            distance = relative_distance(old, new)
            if iou >= MIN_IOU:
                candidates.append(((0, -iou), i, j))
            elif distance <= MAX_RELATIVE_DISTANCE:
                candidates.append(((1, distance), i, j))
    pairs, used_old, used_new = [], set(), set()
    for _, i, j in sorted(candidates):
        if i not in used_old and j not in used_new:
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return pairs


@dataclass
class _OpenTrack:
    column: int
    last: np.ndarray
    missed: int = 0


@dataclass
class PoseTracker:
    """Feed it each analysed frame's poses in order; ``landmarks()`` gives (n, people, 33, 4)."""

    max_missed: int = 10  # samples; at the default 10 a second, a second out of sight
    _open: list[_OpenTrack] = field(default_factory=list)
    _rows: list[dict[int, np.ndarray]] = field(default_factory=list)
    _columns: int = 0

    def add(self, poses: list[np.ndarray]) -> list[int]:
        """Assign this frame's poses (each 33 x 4) to tracks; returns each pose's column."""
        pairs = match_poses([track.last for track in self._open], poses)
        columns = [-1] * len(poses)
        for i, j in pairs:
            track = self._open[i]
            track.last, track.missed = poses[j], -1
            columns[j] = track.column
        for j, pose in enumerate(poses):
            if columns[j] < 0:
                self._open.append(_OpenTrack(self._columns, pose, -1))
                columns[j] = self._columns
                self._columns += 1
        for track in self._open:
            track.missed += 1
        self._open = [track for track in self._open if track.missed <= self.max_missed]
        self._rows.append({column: pose for column, pose in zip(columns, poses)})
        return columns

    def landmarks(self) -> np.ndarray:
        """Every frame's poses by person: (n, people, 33, 4), NaN where a person was not seen."""
        out = np.full((len(self._rows), self._columns, LANDMARK_COUNT, 4), np.nan, np.float32)
        for k, row in enumerate(self._rows):
            for column, pose in row.items():
                out[k, column] = pose
        return out


def who_is_who(tracked: PeopleTrack) -> PeopleTrack:
    """The people in a recording from the tracker's tracks, at its end and while a live stream goes on:
    the tracks that move like a person (``landmarks.moving_people``), each person's tracks joined
    (``joined_in_turn``)."""
    return joined_in_turn(moving_people(tracked))


def joined_in_turn(people: PeopleTrack) -> PeopleTrack:
    """Tracks that follow one another as one person: each track that starts after others ended continues one.

    A phone on a tripod films one person working out; between sets they step out of the
    picture (a drink, a rest on the floor out of view) and come back, and a cut in an
    edited video moves them across it from one frame to the next. Either way the tracker
    loses them and starts a new track, and their workout goes on in it: left apart, the
    second set would be someone else's and not counted. So a track continues a person
    whose track ended before it began: the only one, or, where several have (two people
    who both left, a reflection in a mirror with its person), the one last seen nearest
    to where it comes in, in body heights (one comes back to where they work out).
    Tracks in view at the same time are different people.
    """
    seen = np.isfinite(people.landmarks[:, :, 0, 0])
    spans = sorted(
        (int(np.argmax(seen[:, k])), int(len(seen) - 1 - np.argmax(seen[::-1, k])), k)
        for k in range(people.people)
        if seen[:, k].any()
    )
    chains: list[list[int]] = []
    last_seen: list[tuple[int, np.ndarray]] = []  # each chain's last frame and box
    for first, last, column in spans:
        box = pose_box(people.landmarks[first, column])
        ended = [c for c, (end, _) in enumerate(last_seen) if end < first]
        if ended:
            nearest = min(ended, key=lambda c: _heights_apart(last_seen[c][1], box))
            chains[nearest].append(column)
            last_seen[nearest] = (last, pose_box(people.landmarks[last, column]))
        else:
            chains.append([column])
            last_seen.append((last, pose_box(people.landmarks[last, column])))
    landmarks = np.full((len(people.times), len(chains), LANDMARK_COUNT, 4), np.nan, np.float32)
    for k, chain in enumerate(chains):
        for column in chain:
            landmarks[seen[:, column], k] = people.landmarks[seen[:, column], column]
    return PeopleTrack(people.times, landmarks)


def _heights_apart(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart the centres of two (x0, y0, x1, y1) boxes are, in the taller one's heights."""
    height = max(a[3] - a[1], b[3] - b[1], 1e-3)
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2) / height)
