"""The ``reps`` plugin: counts repetitions from the ``pose`` plugin's landmarks.

It needs no frames of its own: at the end of a video it reads the people that ``pose``
published in ``context.shared["people"]`` and, for each person, turns their landmarks
into joint angles and heights, names the exercise (``--exercise squat``, or with
``auto`` the one recognised from the pose, see ``exercises``), counts complete
down-and-up cycles of that exercise's joints (see ``counter``; the most periodic joints
when the exercise is ``unknown``), times a hold (plank), and checks each rep's form
(depth, lockout, range, tempo). The headline count is the one of ``--person N``, else
of the person who moves most; every person's count is listed under ``people``.

Phase labels instead of angles: a plugin that runs before ``reps`` may publish
``context.shared["phases"] = (times, labels)`` (per-frame ``up``/``mid``/``down`` from a
trained classifier); ``reps`` then counts completed down -> up cycles with the robust
sequence matcher in ``phases`` instead of using joint angles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from highlight_plugins.pose.landmarks import PeopleTrack, PoseTrack, headline_person
from highlight_plugins.reps.counter import (
    Choice,
    CounterSettings,
    Rep,
    RepSet,
    count_by_vote,
    group_sets,
    pose_signals,
    summarise,
)
from highlight_plugins.reps.exercises import (
    EXERCISES,
    UNKNOWN,
    Hold,
    body_measures,
    flag_counts,
    holds,
    recognise_between,
    rep_form,
)
from highlight_plugins.reps.phases import count_phase_cycles
from highlight_plugins.reps.sets import find_sets, in_sight, within

from highlight import HighlightError
from highlight.intervals import Interval
from highlight.options import Option
from highlight.plugin_api import NO_FRAMES, Plugin

EXERCISE_CHOICES = ("auto",) + tuple(name for name, exercise in EXERCISES.items() if not exercise.moving_about)
SET_MARGIN_S = 1.0  # a set's highlight starts a second before its first rep and ends a second after


class RepsPlugin(Plugin):
    name = "reps"
    description = "Which exercise, repetitions, sets, holds and form per rep from the pose (--exercise squat|...|auto)"
    sample_fps = NO_FRAMES
    requires = ("pose",)
    options = (
        Option(
            "exercise",
            "choice",
            "auto",
            "What to count; auto: the exercise recognised from the pose (unknown: the most periodic joints).",
            choices=EXERCISE_CHOICES,
            alias="exercise",
        ),
        Option(
            "rest",
            "seconds",
            CounterSettings.rest_s,
            "A pause longer than this between reps starts a new set.",
            unit="s",
            alias="rest",
            minimum=0,
        ),
        Option(
            "highlight_sets",
            "flag",
            False,
            "Make each set of reps (and each plank) a highlight.",
            alias="highlight-sets",
        ),
    )

    def end_video(self) -> dict[str, Any]:
        options = self.context.options
        settings = CounterSettings(rest_s=float(options["rest"]))
        self.sets, self.holds = [], []
        if "phases" in self.context.shared:
            return self._from_phases(settings)
        track = self.context.shared.get("pose")
        if track is None:
            raise HighlightError("no pose track: the pose plugin did not finish")
        people = self.context.shared.get("people") or PeopleTrack(track.times, track.landmarks[:, None])
        headline = self.context.shared.get("headline_person", headline_person(people, None))
        return self._count_people(people, headline, settings)

    def live_results(self) -> dict[str, Any]:
        """The count so far, while a live stream goes on (`highlight live` shows it); {} before any pose."""
        people_so_far = self.context.shared.get("people_so_far")
        if people_so_far is None or "phases" in self.context.shared:
            return {}
        people, headline = people_so_far()
        if not len(people.times):
            return {}
        return self._count_people(people, headline, CounterSettings(rest_s=float(self.context.options["rest"])))

    def _count_people(self, people: PeopleTrack, headline: int | None, settings: CounterSettings) -> dict[str, Any]:
        options = self.context.options
        counted = [count_person(people.person(k), options["exercise"], settings) for k in range(people.people)]
        if headline is None:
            result = {**Counted(options["exercise"], UNKNOWN).details(), **self._result([], settings)}
        else:
            chosen = counted[headline]
            self.sets, self.holds = chosen.sets, chosen.held
            result = {**chosen.details(), **chosen.result()}
        result["person"] = None if headline is None else headline + 1
        result["people"] = [
            {
                "person": k + 1,
                "exercise": person.recognised,
                "count": len(person.reps),
                "signal": person.signal,
                "rep_ends": [rep.end for rep in person.reps],
            }
            for k, person in enumerate(counted)
        ]
        if people.people > 1 and headline is not None:
            result["summary"] += f" (person {headline + 1} of {people.people})"
        return result

    def _from_phases(self, settings: CounterSettings) -> dict[str, Any]:
        times, labels = self.context.shared["phases"]
        cycles = count_phase_cycles(list(labels), list(times))
        starts = [cycles[k - 1].end if k else times[0] for k in range(len(cycles))]
        reps = [Rep(float(s), c.bottom, c.end) for s, c in zip(starts, cycles)]
        return {"method": "phase labels", **self._result(reps, settings)}

    def _result(self, reps: list[Rep], settings: CounterSettings) -> dict[str, Any]:
        self.sets = group_sets(reps, settings.rest_s)
        result = summarise(reps, self.sets)
        result["summary"] = _one_line(result)
        return result

    def highlight_intervals(self) -> list[Interval]:
        """Each set, and each hold (a plank), as a highlight, with ``--highlight-sets``."""
        if not self.context.options["highlight_sets"]:
            return []
        duration = self.context.info.duration or float("inf")
        spans = [(s.start, s.end) for s in self.sets] + [(h.start, h.end) for h in self.holds]
        return [Interval(max(0.0, start - SET_MARGIN_S), min(duration, end + SET_MARGIN_S)) for start, end in spans]


@dataclass
class Counted:
    """One person's exercise, reps and form: how they were found and what they say."""

    named: str  # --exercise: a name or "auto"
    recognised: str  # the exercise counted: the named one, or the one recognised with "auto"
    reps: list[Rep] = field(default_factory=list)
    signal: str | None = None
    periodicity: float = 0.0
    form: list[dict] = field(default_factory=list)  # per rep: tempo, form measures, flags
    held: list[Hold] = field(default_factory=list)
    sets: list[RepSet] = field(default_factory=list)
    set_exercises: list[str] = field(default_factory=list)  # recognised within each set
    set_signals: list[str | None] = field(default_factory=list)  # the signal each set was counted on

    def details(self) -> dict[str, Any]:
        return {
            "method": "joint signal",
            "exercise": self.named,
            "recognised": self.recognised,
            "signal": self.signal,
            "periodicity": round(self.periodicity, 3),
        }

    def result(self) -> dict[str, Any]:
        """The JSON result: reps with their form, sets with their exercise and flags, holds, marks for the report."""
        result = summarise(self.reps, self.sets)
        for rep, form in zip(result["reps"], self.form):
            rep.update(form)
        for entry, exercise, signal in zip(result["sets"], self.set_exercises, self.set_signals):
            inside = [form for rep, form in zip(self.reps, self.form) if entry["start"] <= rep.start <= entry["end"]]
            entry["exercise"] = exercise
            entry["signal"] = signal
            entry["views"] = list(dict.fromkeys(form["view"] for form in inside))
            entry["flags"] = flag_counts(inside)
        result["form"] = flag_counts(self.form)
        result["holds"] = [
            {"start": h.start, "end": h.end, "seconds": h.seconds, "flags": list(h.flags)} for h in self.held
        ]
        result["marks"] = [
            {"time": rep.bottom, "label": f"rep {k + 1}: {', '.join(form['flags'])}"}
            for k, (rep, form) in enumerate(zip(self.reps, self.form))
            if form["flags"]
        ]
        result["summary"] = self.one_line(result)
        return result

    def one_line(self, result: dict[str, Any]) -> str:
        """'squat: 8 reps in 2 sets (5 + 3), 2 not low, 2.1 s/rep' for the run summary; with
        several exercises one such part each ('squat: 5 reps; pushup: 5 reps, 1 shallow'),
        and a plank as 'plank: 32 s held'."""
        exercises = list(dict.fromkeys(self.set_exercises))
        parts = []
        if len(exercises) == 1:
            flags = "".join(f", {n} {flag}" for flag, n in result["form"].items())
            line = _one_line(result).replace(" reps", " reps" + flags, 1) if flags else _one_line(result)
            parts.append(line if exercises[0] == UNKNOWN else f"{exercises[0]}: {line}")
        for exercise in exercises if len(exercises) > 1 else ():
            sets = [entry for entry, name in zip(result["sets"], self.set_exercises) if name == exercise]
            flags = {}
            for entry in sets:
                for flag, n in entry["flags"].items():
                    flags[flag] = flags.get(flag, 0) + n
            count = sum(entry["reps"] for entry in sets)
            parts.append(f"{exercise}: {count} reps" + "".join(f", {n} {flag}" for flag, n in flags.items()))
        if self.held:
            flags = sorted({flag for hold in self.held for flag in hold.flags})
            parts.append(
                f"plank: {sum(h.seconds for h in self.held):.0f} s held" + "".join(f", {flag}" for flag in flags)
            )
        return "; ".join(parts) or "0 reps"


def count_person(track: PoseTrack, named: str, settings: CounterSettings) -> Counted:
    """One person: their sets, the exercise of each (named, or recognised with ``auto``),
    its reps counted on its own joints, each rep's form, and any plank held.

    With ``auto`` a long recording may hold several exercises, and talk, rest, getting
    down or up between them: ``sets.find_sets`` says where the sets are and counts each
    on the signal most periodic within it; each set's exercise is then recognised from
    that set's stretch alone.
    """
    measures = body_measures(track.landmarks)
    signals = pose_signals(track.landmarks)
    times = track.times
    stretches = in_sight(times, np.isfinite(track.landmarks[:, 0, 0]))
    if named != "auto":
        exercise = EXERCISES[named]
        if exercise.hold:
            return Counted(named, named, held=holds(named, times, measures))
        parts = []
        for stretch in stretches:
            choice, reps = count_by_vote(times[stretch], within(signals, stretch), exercise.signals, settings)
            parts += [(named, choice, reps)] if reps else []
        return _counted(named, named, track, measures, signals, parts, [], settings)
    held = holds("plank", times, measures)
    parts = []
    sets = [
        found
        for stretch in stretches
        for found in find_sets(times[stretch], within(signals, stretch), measures["tilt"][stretch], settings)
    ]
    for found in sets:
        exercise = recognise_between(times, measures, found.reps[0].start, found.reps[-1].end, found.reps)
        if exercise == UNKNOWN and not found.first:
            continue  # searched for another exercise, found some other movement
        if exercise in EXERCISES and EXERCISES[exercise].moving_about:
            continue  # walking about between sets: steps are no reps
        parts.append((exercise, found.choice, found.reps))
    most = max(parts, key=lambda part: len(part[2]))[0] if parts else ("plank" if held else UNKNOWN)
    return _counted(named, most, track, measures, signals, parts, held, settings)


def _counted(
    named: str,
    recognised: str,
    track: PoseTrack,
    measures: dict[str, np.ndarray],
    signals: dict[str, np.ndarray],
    parts: list[tuple[str, Choice | None, list[Rep]]],
    held: list[Hold],
    settings: CounterSettings,
) -> Counted:
    """A person's result from their sets: (exercise, the signal counted, reps) each."""
    reps = [rep for _, _, part in parts for rep in part]
    form = [
        entry
        for exercise, choice, part in parts
        for entry in rep_form(exercise, track.times, measures, part, signals[choice.signal] if choice else None)
    ]
    biggest = max(parts, key=lambda part: len(part[2]))[1] if parts else None
    return Counted(
        named,
        recognised,
        reps,
        biggest.signal if biggest else None,
        biggest.strength if biggest else 0.0,
        form,
        held,
        sets=[group_sets(part, np.inf)[0] for _, _, part in parts],
        set_exercises=[exercise for exercise, _, _ in parts],
        set_signals=[choice.signal if choice else None for _, choice, _ in parts],
    )


def _one_line(result: dict[str, Any]) -> str:
    """'12 reps: 8 + 4 per set, 2.1 s/rep' for the run summary."""
    if not result["count"]:
        return "0 reps"
    per_set = " + ".join(str(s["reps"]) for s in result["sets"])
    sets = f" in {len(result['sets'])} sets ({per_set})" if len(result["sets"]) > 1 else ""
    return f"{result['count']} reps{sets}, {result['seconds_per_rep']:.1f} s/rep"
