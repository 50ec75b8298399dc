"""After the pass, a visit in which nothing moved but what moves by itself with nobody in view is taken back
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


def settled(
    visits: dict[int, int | None],
    seconds: int,
    at_edge: set[int] = frozenset(),
    worker_at: int | None = None,
    notes: list[str | None] | None = None,
) -> np.ndarray:
    """The scores after ``settle``: 0.9 at the looks of each visit (start -> where the walker is, None: no walker).

    ``worker_at``: someone working out on one spot (a block that changes at every look) all along, there;
    ``notes``: gets the manifest's line on what was taken back."""
    recheck = VisitRecheck(area, REFERENCE)
    times, scores = np.arange(seconds, dtype=float), np.zeros(seconds)
    walking, previous = {}, None
    for start, walker in visits.items():
        for t in range(start, start + 5):
            scores[t] = 0.9
            walking[t] = None if walker is None else walker + 8 * (t - start)
    for t in range(seconds):
        image = picture(t, leaves=True, walker_at=walking.get(t))
        if worker_at is not None:
            image[50:80, worker_at : worker_at + 20] = 20 + 40 * (t % 3)
        recheck.look(float(t), previous, image, t in at_edge)
        previous = image
    scores = recheck.settle(times, scores, exit_threshold=0.3)
    if notes is not None:
        notes.append(recheck.note())
    return scores


def test_a_visit_of_the_leaves_alone_is_taken_back_and_one_with_a_walker_is_kept():
    notes = []
    scores = settled({45: None, 60: 60}, 80, notes=notes)
    assert not scores[45:50].any()
    assert (scores[60:65] == 0.9).all()
    assert notes[0].startswith("1 stretch taken back once the whole recording was seen (45.0-49.0 s)"), notes


def test_visits_early_on_are_judged_by_the_first_looks_with_nobody_in_view_after_them():
    """A gust in the first seconds, before ``KNOWN_AFTER`` looks with nobody in view: the first that many of the
    recording, after it, say where the leaves sway, and it is taken back. A walker there from the start moved where
    nothing moves once they have gone, and is kept. Where the whole recording has fewer, nothing is known of where
    things move by themselves, and every visit is kept."""
    scores = settled({2: None, 80: None}, 100)
    assert not scores[2:7].any() and not scores[80:85].any()
    assert (settled({2: 60}, 100)[2:7] == 0.9).all()
    assert (settled({2: None}, 16 + KNOWN_AFTER)[2:7] == 0.9).all()
    assert not settled({2: None}, 17 + KNOWN_AFTER)[2:7].any()


def test_someone_missed_between_the_stretches_they_were_seen_in_is_not_what_sways():
    """Someone working out on one spot all along, seen by the pass in stretches (0.9) and missed between them: the
    looks within ``AWAY_SECONDS`` of a visit are not of nobody, so their motion there is not taken for the scene's,
    and none of their visits is taken back."""
    visits = {start: None for start in range(0, 200, 20)}
    scores = settled(visits, 200, worker_at=100)
    assert all((scores[start : start + 5] == 0.9).all() for start in visits)


def test_what_the_edge_watch_found_is_kept():
    """Feet along the top edge are too small at the detector's size to weigh as much as a visit; the edge watch,
    which looks at the border in detail, found them."""
    scores = settled({45: None}, 60, at_edge={47})
    assert (scores[45:50] == 0.9).all()


def test_visits_after_the_looks_kept_are_left_as_they_are(monkeypatch):
    """Looks are kept up to ``MAX_LOOKS`` (memory); a visit after them is not judged by the last one kept."""
    monkeypatch.setattr("highlight.scorers.recheck.MAX_LOOKS", 50)
    scores = settled({45: None, 60: None}, 80)
    assert not scores[45:50].any()
    assert (scores[60:65] == 0.9).all()
