"""Which exercise, and how well each rep was done: one table, rules on the pose time series.

``EXERCISES`` is the one place an exercise is declared: the joint signals its reps are
counted on, whether it is done in reps or held (a plank is reported in seconds), what
it looks like (conditions on a few posture and movement features of a stretch of pose,
each with the reason it tells this exercise apart), and its form rules (per rep: a
measure at its extreme within the rep, the limit that flags it, and why). Recognition
is a decision list: the first exercise whose every condition holds wins, so the more
specific ones (a burpee contains a squat and a push-up) come first; when none holds
the answer is ``unknown`` and counting falls back to the most periodic joints.

Angles are measured in the picture (2-D), which is exact for a side view and
foreshortened otherwise: limits are set with a margin for that, never to one clip.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from highlight_plugins.pose.landmarks import MIN_VISIBILITY
from highlight_plugins.reps.body import SIDES, body_scale, height_above, joint_points, mean_of_sides, torso_tilt
from highlight_plugins.reps.counter import (
    JOINT_ANGLES,
    CounterSettings,
    Rep,
    amplitude,
    joint_angle,
    periodicity,
    resample,
    smooth,
)

UNKNOWN = "unknown"
DEFAULT_SETTINGS = CounterSettings()
SHORT_RANGE = 0.6  # a rep moving less than this fraction of its set's typical swing is "short range"
# Joint angles are measured in the picture: true from the side, foreshortened from the
# front (a bent knee coming at the camera looks straight). Form rules on angles are only
# applied in a side view. The view comes from how far apart the shoulders are, in torso
# lengths (body.body_scale): MediaPipe puts them at the joint centres, a third of a torso
# length apart face on (measured: 0.33 face on, 0.23 at three-quarter, 0.03 side on), so
# the width is 0.33 x sin(angle from side-on). Below 0.15 the body is within about 27
# degrees of side-on; above 0.27, within about 35 degrees of face-on.
SIDE_VIEW_MAX_SHOULDERS = 0.15
FRONT_VIEW_MIN_SHOULDERS = 0.27
NEIGHBOURS = 2  # a rep's range is compared with that of this many reps either side (a view change alters it)
MIN_HOLD_S = 2.0  # a held posture shorter than this is passing through it, not a plank
HOLD_WINDOW_S = 2.0  # a hold is recognised in windows this long (stillness needs some time to show)...
HOLD_STEP_S = 0.5  # ...one every half second


@dataclass(frozen=True)
class Within:
    """A feature of a stretch of pose between ``low`` and ``high`` (either may be open)."""

    feature: str
    low: float = -np.inf
    high: float = np.inf
    why: str = ""
    # Whether it holds where the feature cannot be measured in this view (NaN): a rule that
    # rules out what would show (the knees split) holds where the part that would show it
    # is hidden all along; one that needs something seen does not.
    unseen_holds: bool = False

    def holds(self, features: Mapping[str, float]) -> bool:
        value = features.get(self.feature, np.nan)
        if not np.isfinite(value):
            return self.unseen_holds
        return bool(self.low <= value <= self.high)


@dataclass(frozen=True)
class FormRule:
    """A rep is flagged ``flag`` when ``measure`` at its ``extreme`` within the rep is on the ``bad`` side of ``limit``."""

    flag: str
    measure: str  # a per-frame body measure (see ``body_measures``)
    extreme: str  # "min" or "max" over the rep
    bad: str  # "above" or "below"
    limit: float
    why: str
    # A second rule that must agree before the flag is raised: an angle in the picture can be
    # wrong (a backlit silhouette puts the elbow anywhere along the arm), a vertical distance
    # between two parts much less so.
    agree: FormRule | None = None

    def value(self, series: np.ndarray) -> float:
        finite = series[np.isfinite(series)]
        if not finite.size:
            return np.nan
        return float(finite.min() if self.extreme == "min" else finite.max())

    def flagged(self, value: float) -> bool:
        if not np.isfinite(value):
            return False
        return value > self.limit if self.bad == "above" else value < self.limit


@dataclass(frozen=True)
class Exercise:
    name: str
    signals: tuple[str, ...]  # what reps are counted on (either side; see counter.pose_signals)
    looks: tuple[Within, ...] = ()  # empty: never recognised, only counted when named
    form: tuple[FormRule, ...] = ()
    hold: bool = False  # a hold is reported in seconds, not reps
    moving_about: bool = False  # no exercise: its cycles (steps) are no reps, and it makes no set


UPRIGHT = Within("tilt", high=40, why="torso within 40 degrees of vertical: standing or hanging")
LYING = Within("tilt", low=55, high=115, why="torso near horizontal, head not hanging below the hips: on the floor")
STILL = (
    Within("elbow_swing", high=15, why="arms do not bend"),
    Within("knee_swing", high=15, why="legs do not bend"),
    Within("height_swing", high=0.15, why="the hips do not rise and fall"),
)
ELBOW_LOCKOUT = FormRule(
    "no lockout", "elbow_angle", "max", "below", 150, "arms not straightened at the top: a partial rep"
)
KNEE_LOCKOUT = FormRule("no lockout", "knee_angle", "max", "below", 150, "not standing up straight between reps")

EXERCISES: dict[str, Exercise] = {
    exercise.name: exercise
    for exercise in (
        Exercise(
            "burpee",
            ("hip_height", "knee_angle"),
            looks=(
                Within("tilt", high=80, why="standing or on hands and feet, never head down"),
                Within("tilt_swing", low=50, why="the torso goes from upright to horizontal every rep"),
                Within("drop_swing", low=0.8, why="the hips drop from standing to the floor and come back up"),
                Within(
                    "hands_overhead",
                    high=0.5,
                    why="the hands go down to the floor every rep (hanging from a bar they stay above the head)",
                ),
            ),
            form=(KNEE_LOCKOUT,),
        ),
        Exercise(
            "plank",
            (),
            looks=(LYING, Within("hip_angle", low=150, why="shoulders, hips and knees in one straight line"), *STILL),
            form=(
                FormRule(
                    "sagging", "hip_angle", "min", "below", 150, "hips dropped out of the straight line of a plank"
                ),
            ),
            hold=True,
        ),
        Exercise(
            "pushup",
            ("elbow_angle", "shoulder_height"),
            looks=(
                LYING,
                Within(
                    "press",
                    low=0.3,
                    why="on the hands: the shoulders stay above them (a crunch has them up by the head)",
                ),
                Within(
                    "press_swing", low=0.25, why="the shoulders come down toward the hands and push back up each rep"
                ),
                Within(
                    "tilt_swing",
                    high=60,
                    why="the body pivots about the feet as one plank: the torso tilts by tens of degrees (15-40 measured);"
                    " folding over a bench (back extensions) swings it 100",
                ),
            ),
            form=(
                FormRule(
                    "shallow",
                    "elbow_angle",
                    "min",
                    "above",
                    90,
                    "the elbows never reach 90 degrees",
                    agree=FormRule(
                        "shallow",
                        "press",
                        "min",
                        "above",
                        0.6,
                        "the shoulders stay higher above the hands than a forearm's length (half a torso):"
                        " the upper arms never came down to horizontal",
                    ),
                ),
                ELBOW_LOCKOUT,
            ),
        ),
        Exercise(
            "situp",
            ("hip_angle",),
            looks=(
                Within("tilt", low=35, why="lying for most of the set"),
                Within("knee_angle", high=130, why="knees bent, feet on the floor"),
                Within("hip_swing", low=12, why="the body folds at the hips each rep"),
                Within("tilt_swing", low=45, why="the torso comes all the way up (less is a crunch)"),
            ),
            form=(FormRule("not up", "tilt", "min", "above", 45, "the torso did not come up past 45 degrees"),),
        ),
        Exercise(
            "crunch",
            ("hip_angle", "shoulder_angle"),
            looks=(
                LYING,
                Within("knee_angle", high=130, why="knees bent, feet on the floor"),
                Within("hip_swing", low=12, why="the body folds at the hips each rep"),
            ),
        ),
        Exercise(
            "pullup",
            ("elbow_angle", "shoulder_height"),
            looks=(
                UPRIGHT,
                Within("hands_overhead", low=0.7, why="hanging: the hands stay above the head"),
                Within("elbow_swing", low=35, why="the arms bend and straighten each rep"),
            ),
            form=(ELBOW_LOCKOUT,),
        ),
        Exercise(
            "jumping_jack",
            ("shoulder_angle",),
            looks=(
                UPRIGHT,
                Within("raise_swing", low=1.2, why="the hands go from by the hips to overhead each rep, in any view"),
                Within(
                    "raise_low",
                    high=-0.3,
                    why="the hands come down below the shoulders (hanging from a bar they stay up)",
                ),
            ),
        ),
        Exercise(
            "jump_rope",
            ("hip_height", "shoulder_height"),
            looks=(
                UPRIGHT,
                Within("period", high=0.7, why="hops faster than a jump can be wound up: the rope sets the pace"),
                Within("knee_swing", high=30, why="small hops off the ankles, the knees barely bend"),
                Within("shoulder_swing", high=45, why="the wrists turn the rope, the arms stay low"),
                Within("lift", low=0.1, why="the body hops off the floor at every turn of the rope"),
            ),
        ),
        Exercise(
            "lunge",
            ("knee_angle", "hip_height"),
            looks=(
                UPRIGHT,
                Within("knee_split", low=0.25, why="at the bottom one knee is far lower than the other: split legs"),
                Within("drop_swing", low=0.3, why="the hips sink toward the feet each rep"),
            ),
            form=(
                FormRule(
                    "not low", "front_knee_angle", "min", "above", 110, "the front knee did not bend to near 90 degrees"
                ),
            ),
        ),
        Exercise(
            "walking",
            (),
            looks=(
                UPRIGHT,
                Within(
                    "travel",
                    low=0.5,
                    why="the hips cross the picture at a walk: a slow walk is about 1.5 torso lengths a second;"
                    " an exercise done in place drifts less than a third of that (walking lunges are told first)",
                ),
            ),
            moving_about=True,
        ),
        Exercise(
            "jump",
            ("hip_height", "knee_angle"),
            looks=(
                UPRIGHT,
                Within(
                    "feet_swing",
                    low=0.4,
                    why="the feet leave the floor in step with the reps (in a squat they stay planted; a moving camera is not in step)",
                ),
                Within("hands_overhead", high=0.5, why="not hanging from a bar and swinging"),
            ),
        ),
        Exercise(
            "squat",
            ("knee_angle", "hip_angle", "hip_height"),
            looks=(
                UPRIGHT,
                Within(
                    "knee_split",
                    high=0.25,
                    why="both knees bend alike (a lunge splits them; side on, the far knee may hide behind the near one all along)",
                    unseen_holds=True,
                ),
                Within("drop_swing", low=0.4, why="the hips sink well toward the feet each rep, seen from any side"),
                Within("hands_overhead", high=0.5, why="not hanging from a bar"),
            ),
            form=(
                FormRule("not low", "hip_depth", "max", "below", 0.0, "the hip crease did not go below the knee"),
                KNEE_LOCKOUT,
            ),
        ),
        Exercise("curl", ("elbow_angle",), form=(ELBOW_LOCKOUT,)),
        Exercise("press", ("elbow_angle", "shoulder_angle"), form=(ELBOW_LOCKOUT,)),
    )
}


# ---------------------------------------------------------------- measures per frame


def body_measures(landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame measures of one person (both sides averaged where seen), NaN where unseen.

    Angles in degrees, as seen in the picture (true from the side only: form rules use
    them in a side view; ``front_knee_angle``: the more bent knee). Everything recognition
    relies on holds in any view and under a moving camera (see ``body``): ``tilt``, the
    torso's angle from vertical from its vertical extent (0 upright, 90 lying); heights
    of one part above another in torso lengths (``hip_rise``: hips above the feet,
    ``press``: shoulders above the hands, ``arms_raise``: hands above the shoulders);
    ``hip_height`` and ``feet_height`` (in the picture: whole-body lifts, read only for
    the part that repeats with the reps); ``shoulder_width`` (0 side on, about 0.7 face
    on); ``hip_depth``: hip below the knee (above: negative); ``stance``: the ankles apart.
    """
    points = joint_points(landmarks, MIN_VISIBILITY)
    scale = body_scale(points)

    def point(name: str) -> np.ndarray:
        return mean_of_sides(points[f"left_{name}"], points[f"right_{name}"])

    def side(name: str, side_name: str) -> np.ndarray:
        return points[f"{side_name}_{name}"]

    shoulder, hip, knee, ankle, wrist = (point(name) for name in ("shoulder", "hip", "knee", "ankle", "wrist"))
    measures = {
        f"{joint}_angle": mean_of_sides(*(joint_angle(side(a, s), side(v, s), side(b, s)) for s in SIDES))
        for joint, (a, v, b) in JOINT_ANGLES.items()
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # neither knee seen: NaN
        measures["front_knee_angle"] = np.fmin(
            *(joint_angle(side("hip", s), side("knee", s), side("ankle", s)) for s in SIDES)
        )
    measures["tilt"] = torso_tilt(shoulder, hip, scale)
    measures["shoulder_width"] = np.linalg.norm(side("shoulder", "left") - side("shoulder", "right"), axis=1) / scale
    measures["hip_depth"] = (hip[:, 1] - knee[:, 1]) / scale
    measures["hip_height"] = -hip[:, 1] / scale
    measures["hip_across"] = hip[:, 0]  # in the picture: how far the person travels (see ``features``)
    measures["body_size"] = scale
    measures["hip_rise"] = height_above(hip, ankle, scale)
    measures["press"] = height_above(shoulder, wrist, scale)
    measures["arms_raise"] = height_above(wrist, shoulder, scale)
    measures["stance"] = np.linalg.norm(side("ankle", "left") - side("ankle", "right"), axis=1) / scale
    measures["knee_split"] = np.abs(side("knee", "left")[:, 1] - side("knee", "right")[:, 1]) / scale
    measures["feet_height"] = -ankle[:, 1] / scale
    nose = points["nose"]
    overhead = np.where(np.isfinite(wrist[:, 1]) & np.isfinite(nose[:, 1]), wrist[:, 1] < nose[:, 1], np.nan)
    measures["hands_overhead"] = overhead.astype(np.float64)
    return measures


# ---------------------------------------------------------------- recognition


def features(
    times: np.ndarray,
    measures: Mapping[str, np.ndarray],
    settings: CounterSettings = DEFAULT_SETTINGS,
    reps: Sequence[Rep] = (),
) -> dict[str, float]:
    """What a stretch of pose looks like: typical posture (medians) and how much each part moves (swings).

    ``lift`` and ``feet_swing`` are how far the hips and the feet rise in the picture in
    step with the reps (``repeating_swing``): a jump lifts the whole body every rep, a
    hand-held camera moves it too, but not in step with the reps.
    """
    found: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in ("tilt", "hip_angle", "knee_angle", "hands_overhead", "press"):
            found[name] = float(np.nanmedian(measures[name])) if np.isfinite(measures[name]).any() else np.nan
        for name in ("stance", "knee_split"):  # how far apart at the widest (the bottom of a rep)
            values = measures[name][np.isfinite(measures[name])]
            found[name] = float(np.percentile(values, 90)) if values.size else np.nan
        raised = measures["arms_raise"][np.isfinite(measures["arms_raise"])]
        found["raise_low"] = float(np.percentile(raised, 5)) if raised.size else np.nan  # the hands at their lowest
    for name, measure in (
        ("tilt_swing", "tilt"),
        ("elbow_swing", "elbow_angle"),
        ("knee_swing", "knee_angle"),
        ("hip_swing", "hip_angle"),
        ("shoulder_swing", "shoulder_angle"),
        ("height_swing", "hip_height"),
        ("stance_swing", "stance"),
        ("drop_swing", "hip_rise"),
        ("press_swing", "press"),
        ("raise_swing", "arms_raise"),
    ):
        found[name] = amplitude(measures[measure])
    found["lift"] = repeating_swing(times, measures["hip_height"], reps) if reps else found["height_swing"]
    found["feet_swing"] = (
        repeating_swing(times, measures["feet_height"], reps) if reps else amplitude(measures["feet_height"])
    )
    found["travel"] = travel(times, measures["hip_across"], measures["body_size"])
    _, height = resample(times, measures["hip_height"], settings.resample_fps)
    found["period"] = (
        periodicity(smooth(height, 3), settings.resample_fps, settings)[1] or np.nan if height.size >= 8 else np.nan
    )
    return found


def travel(times: np.ndarray, across: np.ndarray, size: np.ndarray) -> float:
    """How fast the hips cross the picture, in torso lengths a second, start to end of the stretch."""
    known = np.isfinite(across) & np.isfinite(size)
    if known.sum() < 2 or times[known][-1] <= times[known][0]:
        return np.nan
    first, last = np.flatnonzero(known)[[0, -1]]
    return float(abs(across[last] - across[first]) / np.median(size[known]) / (times[last] - times[first]))


PHASES = 10  # a rep's course is compared at this many points from its start to its end


def repeating_swing(times: np.ndarray, values: np.ndarray, reps: Sequence[Rep]) -> float:
    """The swing of the part of ``values`` that repeats with the reps: each rep resampled
    at ``PHASES`` points of its whole cycle, less its own mean (a slow drift), averaged over
    the reps, peak to peak. Motion out of step with the reps averages away.

    A whole cycle runs from a rep's start to the next one's (the typical rep's length for
    the last): a rep itself ends as the counted signal comes back to its top, and a jump
    counted on the shoulders' height is at its top while in the air, the feet highest."""
    known = np.isfinite(values)
    if not reps:
        return np.nan
    typical = float(np.median([rep.end - rep.start for rep in reps]))
    courses = []
    for rep, after in zip(reps, [*reps[1:], None]):
        end = min(after.start, rep.start + 2.0 * typical) if after else rep.start + max(typical, rep.end - rep.start)
        inside = known & (times >= rep.start) & (times <= end)
        if inside.sum() < 3:
            continue
        course = np.interp(np.linspace(rep.start, end, PHASES), times[inside], values[inside])
        courses.append(course - course.mean())
    return float(np.ptp(np.mean(courses, axis=0))) if courses else np.nan


def recognise(found: Mapping[str, float]) -> str:
    """The first exercise in ``EXERCISES`` whose every condition holds, else ``unknown``."""
    for exercise in EXERCISES.values():
        if exercise.looks and all(condition.holds(found) for condition in exercise.looks):
            return exercise.name
    return UNKNOWN


def recognise_between(
    times: np.ndarray, measures: Mapping[str, np.ndarray], start: float, end: float, reps: Sequence[Rep] = ()
) -> str:
    """The exercise done between ``start`` and ``end`` seconds (a set, whose ``reps`` they are)."""
    inside = (times >= start) & (times <= end)
    if inside.sum() < 4:
        return UNKNOWN
    stretch = {name: values[inside] for name, values in measures.items()}
    return recognise(features(times[inside], stretch, reps=reps))


# ---------------------------------------------------------------- form


def rep_form(
    exercise: str, times: np.ndarray, measures: Mapping[str, np.ndarray], reps: list[Rep], counted: np.ndarray | None
) -> list[dict]:
    """Per rep: tempo (down / up seconds), the view, each form measure at its extreme, and
    the flags raised. Seen from the front the rules on angles are not applied (see
    ``SIDE_VIEW_MAX_SHOULDERS``): no flag is better than a wrong one.

    ``counted`` is the signal the reps were counted on; a rep whose swing in it is less
    than ``SHORT_RANGE`` of the typical swing of its ``NEIGHBOURS`` is flagged "short
    range" (a partial rep among full ones, whatever the exercise; not for an ``unknown``
    movement, which has no form to keep). Neighbours, not the whole set: the same full
    rep swings less in the picture after the camera turns. Rules that cannot be judged
    from the view are listed under ``not_judged`` rather than guessed.
    """
    rules = EXERCISES[exercise].form if exercise in EXERCISES else ()
    swings = np.array([_swing(times, counted, rep) for rep in reps] if counted is not None else [], float)
    results = []
    for k, rep in enumerate(reps):
        inside = rep_window(times, reps, k)
        entry: dict = {"down_s": round(rep.bottom - rep.start, 2), "up_s": round(rep.end - rep.bottom, 2)}
        entry["view"] = view(measures["shoulder_width"][inside])
        flags = []
        for rule in rules if entry["view"] == "side" else ():
            verdicts = [_judged(entry, check, measures, inside) for check in (rule, rule.agree) if check]
            if all(verdicts):
                flags.append(rule.flag)
        if entry["view"] != "side" and rules:
            entry["not_judged"] = [f"{rule.flag}: not judged from a {entry['view']} view" for rule in rules]
        if exercise in EXERCISES and swings.size and swings[k] < SHORT_RANGE * _typical_near(swings, k):
            flags.append("short range")
        entry["flags"] = list(dict.fromkeys(flags))
        results.append(entry)
    return results


def _judged(entry: dict, rule: FormRule, measures: Mapping[str, np.ndarray], inside: np.ndarray) -> bool:
    """Whether ``rule`` flags the rep (its measure at its extreme is recorded in ``entry``)."""
    value = rule.value(measures[rule.measure][inside])
    entry[f"{rule.extreme}_{rule.measure}"] = round(value, 2) if np.isfinite(value) else None
    return rule.flagged(value)


def _typical_near(swings: np.ndarray, k: int) -> float:
    """The median swing of the reps around rep ``k`` (itself left out); NaN when none is known."""
    near = np.concatenate([swings[max(0, k - NEIGHBOURS) : k], swings[k + 1 : k + 1 + NEIGHBOURS]])
    near = near[np.isfinite(near)]
    return float(np.median(near)) if near.size else np.nan


def view(shoulder_width: np.ndarray) -> str:
    """The body's orientation to the camera from how far apart the shoulders are, in torso
    lengths: "side" when they overlap (angles in the picture are true), "front" when a
    shoulder width apart, "three-quarter" between, "unknown" when they are not seen."""
    finite = shoulder_width[np.isfinite(shoulder_width)]
    if not finite.size:
        return "unknown"
    width = float(np.median(finite))
    if width < SIDE_VIEW_MAX_SHOULDERS:
        return "side"
    return "front" if width > FRONT_VIEW_MIN_SHOULDERS else "three-quarter"


def rep_window(times: np.ndarray, reps: list[Rep], k: int) -> np.ndarray:
    """The frames rep ``k``'s form is judged on: the rep, widened by half its length each side.

    A rep runs from leaving the top to coming back to it (counter thresholds), so the
    top itself, where a lockout shows, lies just outside; widening by half a rep takes
    it in, but never past the bottom of the rep before or after.
    """
    rep = reps[k]
    half = 0.5 * (rep.end - rep.start)
    low = max(rep.start - half, reps[k - 1].bottom if k else -np.inf)
    high = min(rep.end + half, reps[k + 1].bottom if k + 1 < len(reps) else np.inf)
    return (times >= low) & (times <= high)


def _swing(times: np.ndarray, signal: np.ndarray, rep: Rep) -> float:
    inside = (times >= rep.start) & (times <= rep.end) & np.isfinite(signal)
    return float(np.ptp(signal[inside])) if inside.sum() >= 2 else np.nan


def flag_counts(per_rep: list[dict]) -> dict[str, int]:
    """How many reps raised each flag, in the order the flags were first seen."""
    counts: dict[str, int] = {}
    for entry in per_rep:
        for flag in entry["flags"]:
            counts[flag] = counts.get(flag, 0) + 1
    return counts


# ---------------------------------------------------------------- holds


@dataclass(frozen=True)
class Hold:
    start: float
    end: float
    flags: tuple[str, ...] = ()  # the exercise's form rules broken during the hold

    @property
    def seconds(self) -> float:
        return round(self.end - self.start, 2)


def holds(exercise: str, times: np.ndarray, measures: Mapping[str, np.ndarray]) -> list[Hold]:
    """Stretches of at least ``MIN_HOLD_S`` in which a held exercise is recognised.

    Every ``HOLD_STEP_S`` a window of ``HOLD_WINDOW_S`` around that moment is checked
    against all of the exercise's conditions, the stillness ones included (a push-up set
    has a plank's posture but its arms bend); the frames of the windows that pass make
    up the holds, and a frame where the person is not seen breaks one.
    """
    looks = EXERCISES[exercise].looks
    held = np.zeros(times.size, bool)
    seen = np.isfinite(measures["tilt"])
    for middle in np.arange(times[0], times[-1], HOLD_STEP_S) if times.size else ():
        inside = (times >= middle - HOLD_WINDOW_S / 2) & (times <= middle + HOLD_WINDOW_S / 2)
        if (inside & seen).sum() < 4:
            continue
        found = features(times[inside], {name: values[inside] for name, values in measures.items()})
        if all(condition.holds(found) for condition in looks):
            held |= inside
    held &= seen
    runs, start = [], None
    for k, inside in enumerate(np.append(held, False)):
        if inside and start is None:
            start = k
        elif not inside and start is not None:
            if times[k - 1] - times[start] >= MIN_HOLD_S:
                runs.append(_hold(exercise, times, measures, start, k))
            start = None
    return runs


def _hold(exercise: str, times: np.ndarray, measures: Mapping[str, np.ndarray], first: int, end: int) -> Hold:
    """Frames ``first`` to ``end`` (exclusive) as a hold, with the form rules it broke."""
    flags = tuple(
        rule.flag for rule in EXERCISES[exercise].form if rule.flagged(rule.value(measures[rule.measure][first:end]))
    )
    return Hold(round(float(times[first]), 2), round(float(times[end - 1]), 2), flags)
