"""The ``reps`` plugin: counts repetitions from the ``pose`` plugin's landmarks.

It needs no frames of its own: at the end of a video it reads the people that ``pose``
published in ``context.shared["people"]`` and, for each person, turns their landmarks
into joint angles and heights, picks the signal of the exercise (``--exercise squat``)
or the most periodic one (``auto``), and counts complete down-and-up cycles (see
``counter``). The headline count is the one of ``--person N``, else of the person who
moves most; every person's count is listed under ``people``.

Phase labels instead of angles: a plugin that runs before ``reps`` may publish
``context.shared["phases"] = (times, labels)`` (per-frame ``up``/``mid``/``down`` from a
trained classifier); ``reps`` then counts completed down -> up cycles with the robust
sequence matcher in ``phases`` instead of using joint angles.
"""

from __future__ import annotations

from typing import Any

from highlight_plugins.pose.landmarks import PeopleTrack, PoseTrack, headline_person
from highlight_plugins.reps.counter import (
    EXERCISES,
    CounterSettings,
    Rep,
    count_by_vote,
    group_sets,
    pose_signals,
    summarise,
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
            "What to count; auto: the most periodic joint.",
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
        counted = [self._count_person(people.person(k), options, settings) for k in range(people.people)]
        if headline is None:
            result = {
                "method": "joint signal",
                "exercise": options["exercise"],
                "signal": None,
                "periodicity": 0.0,
                **self._result([], settings),
            }
        else:
            result = {**counted[headline][0], **self._result(counted[headline][1], settings)}
        result["person"] = None if headline is None else headline + 1
        result["people"] = [
            {"person": k + 1, "count": len(reps), "signal": details["signal"], "rep_ends": [rep.end for rep in reps]}
            for k, (details, reps) in enumerate(counted)
        ]
        if people.people > 1 and headline is not None:
            result["summary"] += f" (person {headline + 1} of {people.people})"
        return result

    @staticmethod
    def _count_person(track: PoseTrack, options: dict[str, Any], settings: CounterSettings) -> tuple[dict, list[Rep]]:
        """One person's reps and how they were counted (exercise, signal, periodicity)."""
        exercise = options["exercise"]
        signals = pose_signals(track.landmarks)
        allowed = None if exercise == "auto" else EXERCISES[exercise]
        choice, reps = count_by_vote(track.times, signals, allowed, settings)
        details = {
            "method": "joint signal",
            "exercise": exercise,
            "signal": choice.signal if choice else None,
            "periodicity": round(choice.strength, 3) if choice else 0.0,
        }
        return details, reps

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


def _one_line(result: dict[str, Any]) -> str:
    """'12 reps: 8 + 4 per set, 2.1 s/rep' for the run summary."""
    if not result["count"]:
        return "0 reps"
    per_set = " + ".join(str(s["reps"]) for s in result["sets"])
    sets = f" in {len(result['sets'])} sets ({per_set})" if len(result["sets"]) > 1 else ""
    return f"{result['count']} reps{sets}, {result['seconds_per_rep']:.1f} s/rep"
