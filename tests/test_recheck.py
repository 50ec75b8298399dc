"""After the pass, a visit in which nothing moved but what moved before anyone came is taken back
(``highlight.scorers.recheck``): pictures drawn here, a look a second."""

from __future__ import annotations

import numpy as np

from highlight.scorers.recheck import KNOWN_AFTER, VisitRecheck

SHAPE = (90, 160)
REFERENCE = 0.002  # the motion detector's ``reference_area``: as much of the picture as starts a visit


def area(mask: np.ndarray) -> float:
    return float(np.count_nonzero(mask)) / mask.size


def picture(t: int, leaves: bool, walker_at: int | None = None) -> np.ndarray:
    """A flat grey scene; leaves at the top left that change at every look; a walker's block elsewhere."""
    image = np.full(SHAPE, 120, np.uint8)
    if leaves:
        rng = np.random.default_rng(t)
        image[:25, :40] = rng.integers(40, 200, (25, 40), dtype=np.uint8)
    if walker_at is not None:
        image[40:80, walker_at : walker_at + 10] = 30
    return image


def settled(visits: dict[int, int | None], seconds: int, at_edge: set[int] = frozenset()) -> np.ndarray:
    """The scores after ``settle``: 0.9 at the looks of each visit (start -> where the walker is, None: no walker)."""
    recheck = VisitRecheck(area, REFERENCE)
    times, scores = np.arange(seconds, dtype=float), np.zeros(seconds)
    walking = {}
    for start, walker in visits.items():
        for t in range(start, start + 5):
            scores[t] = 0.9
            walking[t] = None if walker is None else walker + 8 * (t - start)
    for t in range(seconds):
        recheck.look(float(t), picture(t, leaves=True, walker_at=walking.get(t)), t in at_edge)
    return recheck.settle(times, scores, exit_threshold=0.3)


def test_a_visit_of_the_leaves_alone_is_taken_back_and_one_with_a_walker_is_kept():
    scores = settled({40: None, 60: 60}, 80)
    assert not scores[40:45].any()
    assert (scores[60:65] == 0.9).all()


def test_nothing_is_taken_back_without_enough_looks_before_anyone_came():
    """Someone in view within the first seconds (a workout filmed from its start): what moved before them might be
    them, missed."""
    early = int(KNOWN_AFTER) - 5
    scores = settled({early: None, 60: None}, 80)
    assert (scores[early : early + 5] == 0.9).all() and (scores[60:65] == 0.9).all()


def test_what_the_edge_watch_found_is_kept():
    """Feet along the top edge are too small at the detector's size to weigh as much as a visit; the edge watch,
    which looks at the border in detail, found them."""
    scores = settled({40: None}, 60, at_edge={42})
    assert (scores[40:45] == 0.9).all()


def test_visits_after_the_looks_kept_are_left_as_they_are(monkeypatch):
    """Looks are kept up to ``MAX_LOOKS`` (memory); a visit after them is not judged by the last one kept."""
    monkeypatch.setattr("highlight.scorers.recheck.MAX_LOOKS", 50)
    scores = settled({40: None, 60: None}, 80)
    assert not scores[40:45].any()
    assert (scores[60:65] == 0.9).all()
