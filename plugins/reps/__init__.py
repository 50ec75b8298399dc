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

from highlight_plugins.pose.landmarks import PeopleTrack, PoseTrack, headline_person
from highlight_plugins.reps.counter import (
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
    features,
    flag_counts,
    holds,
    recognise,
    recognise_between,
    rep_form,
)
from highlight_plugins.reps.phases import count_phase_cycles

from highlight import HighlightError
from highlight.intervals import Interval
from highlight.options import Option
from highlight.plugin_api import NO_FRAMES, Plugin

EXERCISE_CHOICES = ("auto",) + tuple(EXERCISES)
SET_MARGIN_S = 1.0  # a set's highlight starts a second before its first rep and ends a second after


class RepsPlugin(Plugin):
    name = "reps"
    description = "Repetitions, tempo and sets from the pose (--exercise pushup|squat|...|auto)"
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
        ),
        Option("highlight_sets", "flag", False, "Make each set of reps a highlight.", alias="highlight-sets"),
    )

    def end_video(self) -> dict[str, Any]:
        options = self.context.options
        settings = CounterSettings(rest_s=float(options["rest"]))
        self.sets = []
        if "phases" in self.context.shared:
            return self._from_phases(settings)
        track = self.context.shared.get("pose")
        if track is None:
            raise HighlightError("no pose track: the pose plugin did not finish")
        people = self.context.shared.get("people") or PeopleTrack(track.times, track.landmarks[:, None])
        headline = self.context.shared.get("headline_person", headline_person(people, None))
        counted = [count_person(people.person(k), options["exercise"], settings) for k in range(people.people)]
        if headline is None:
            result = {**Counted(options["exercise"], UNKNOWN).details(), **self._result([], settings)}
        else:
            chosen = counted[headline]
            self.sets = chosen.sets
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
        """Each set as a highlight, with ``--highlight-sets``."""
        if not self.context.options["highlight_sets"]:
            return []
        duration = self.context.info.duration or float("inf")
        return [Interval(max(0.0, s.start - SET_MARGIN_S), min(duration, s.end + SET_MARGIN_S)) for s in self.sets]


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
        for entry, exercise in zip(result["sets"], self.set_exercises):
            inside = [form for rep, form in zip(self.reps, self.form) if entry["start"] <= rep.start <= entry["end"]]
            entry["exercise"] = exercise
            entry["flags"] = flag_counts(inside)
        result["form"] = flag_counts(self.form)
        result["holds"] = [{"start": h.start, "end": h.end, "seconds": h.seconds} for h in self.held]
        result["marks"] = [
            {"time": rep.bottom, "label": f"rep {k + 1}: {', '.join(form['flags'])}"}
            for k, (rep, form) in enumerate(zip(self.reps, self.form))
            if form["flags"]
        ]
        result["summary"] = self.one_line(result)
        return result

    def one_line(self, result: dict[str, Any]) -> str:
        """'squat: 8 reps, 2 not low, 2.1 s/rep' (or 'plank: 32 s held') for the run summary."""
        name = "" if self.recognised == UNKNOWN else f"{self.recognised}: "
        if self.held:
            return f"{name}{sum(h.seconds for h in self.held):.0f} s held in {len(self.held)}"
        flags = "".join(f", {n} {flag}" for flag, n in result["form"].items())
        return name + _one_line(result).replace(" reps", " reps" + flags, 1) if result["count"] else name + "0 reps"


def count_person(track: PoseTrack, named: str, settings: CounterSettings) -> Counted:
    """One person: the exercise (named, or recognised with ``auto``), then its reps or holds, and each rep's form.

    A recognised exercise is counted on its own joints; when they show no reps, or the
    exercise is ``unknown``, the most periodic joints are counted, as before exercises
    were recognised.
    """
    measures = body_measures(track.landmarks)
    recognised = recognise(features(track.times, measures)) if named == "auto" else named
    exercise = EXERCISES.get(recognised)
    if exercise is not None and exercise.hold:
        return Counted(named, recognised, held=holds(recognised, track.times, measures))
    signals = pose_signals(track.landmarks)
    choice, reps = count_by_vote(track.times, signals, exercise.signals if exercise else None, settings)
    if not reps and named == "auto" and exercise is not None:
        choice, reps = count_by_vote(track.times, signals, None, settings)
    counted = signals[choice.signal] if choice else None
    sets = group_sets(reps, settings.rest_s)
    return Counted(
        named,
        recognised,
        reps,
        choice.signal if choice else None,
        choice.strength if choice else 0.0,
        rep_form(recognised, track.times, measures, reps, counted),
        sets=sets,
        set_exercises=[recognise_between(track.times, measures, s.start, s.end) for s in sets],
    )


def _one_line(result: dict[str, Any]) -> str:
    """'12 reps: 8 + 4 per set, 2.1 s/rep' for the run summary."""
    if not result["count"]:
        return "0 reps"
    per_set = " + ".join(str(s["reps"]) for s in result["sets"])
    sets = f" in {len(result['sets'])} sets ({per_set})" if len(result["sets"]) > 1 else ""
    return f"{result['count']} reps{sets}, {result['seconds_per_rep']:.1f} s/rep"
