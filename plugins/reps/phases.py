"""Counting reps from per-frame phase labels (``up`` / ``mid`` / ``down``), e.g. from a
trained classifier: the seed project's approach, made robust.

A classifier's labels flicker (``down down up down down``) and at a low frame rate a
fast rep may skip ``mid`` or even show ``down`` for a single frame. So:

* a label must hold for ``min_run`` consecutive frames before it counts (jitter is
  ignored), except that a run of the *other* extreme always ends the current one;
* ``mid`` and unknown labels never change the state: ``up -> down -> up`` counts
  whether or not ``mid`` was seen between them (skipped phases are tolerated);
* one rep = reaching ``down`` and then ``up`` again (a completed down -> up cycle);
  ``up -> mid -> up`` (a half rep) counts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PhaseCycle:
    bottom: float  # first time ``down`` was confirmed
    end: float  # time ``up`` was confirmed again: the rep is complete


def count_phase_cycles(
    labels: Sequence[str | None],
    times: Sequence[float] | None = None,
    down: str = "down",
    up: str = "up",
    min_run: int = 2,
) -> list[PhaseCycle]:
    """Completed down -> up cycles in a label sequence (times default to frame numbers)."""
    times = list(times) if times is not None else list(range(len(labels)))
    if len(times) != len(labels):
        raise ValueError(f"{len(labels)} labels but {len(times)} times")
    cycles: list[PhaseCycle] = []
    state: str | None = None
    bottom = 0.0
    for label, start, length in _runs(labels):
        if label not in (up, down) or label == state:
            continue
        if length < min_run and not _confirmed_later(labels, start + length, label, length, up, down, min_run):
            continue  # a flicker: too short, and not continued after a mid/unknown frame
        if label == down:
            state, bottom = down, float(times[start])
        elif state == down:
            cycles.append(PhaseCycle(bottom, float(times[start])))
            state = up
        else:
            state = up
    return cycles


def _runs(labels: Sequence[str | None]):
    """(label, first index, length) of each run of equal labels."""
    start = 0
    for k in range(1, len(labels) + 1):
        if k == len(labels) or labels[k] != labels[start]:
            yield labels[start], start, k - start
            start = k


def _confirmed_later(labels, after: int, label: str, length: int, up: str, down: str, min_run: int) -> bool:
    """A short run still counts if the label is the next extreme seen and holds long enough in total.

    ``down mid down`` at a low frame rate is one bottom, not two flickers: frames of the
    same extreme separated only by ``mid``/unknown frames add up.
    """
    total = length
    for following in labels[after:]:
        if following == label:
            total += 1
            if total >= min_run:
                return True
        elif following in (up, down):
            return False
    return False
