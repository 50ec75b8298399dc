"""Where is the hoop? Found from where the ball goes in this recording, with no options.

On a court someone is in view all the time, so presence marks the whole recording; the
shots are the moments the ball reaches the hoop, and ``--region`` around the hoop with
``--preset shots`` finds them. This finds that region by itself, from the ball:

* The ball in flight is a small, solid, round moving blob on its own (three-frame
  difference at ``SAMPLE_FPS``, in colour, on a picture ``WIDTH`` wide), of about the same
  size from one sample to the next; a person's motion is a large blob, and the
  fragments of a moving arm or leg are ragged or stuck to it.
* Such blobs are linked into tracks (the next position near where the last velocity
  points). A shot's track leaves the hands, rises on a parabola, passes its highest
  point and comes down onto the rim, where the ball stops going sideways or leaves its
  path: it drops through the net, bounces back or is knocked off. That point (the *rim
  point*) is kept for every track that rose, travelled sideways and came down.
* The hoop is where several flights, at separate moments, end within a few ball widths
  of each other, out of the people's way (large motion is counted on a coarse grid:
  where people move often, a flight that seems to end was caught or is a limb), and not
  where flights also begin (a ball caught and thrown again: passes). Arms, legs,
  a dribbled ball (it comes down to the floor, below where it started) and noise
  give no such meeting point, so a workout finds no hoop and the run behaves as
  without this.

Filmed from behind the shooter, a shot flies along the camera's line of sight: it hardly
goes sideways, but the ball shrinks on its way to the rim (``flew_in_depth``), and where
its fall is stopped, by the rim or the net, is the rim point (``caught``). Near the top of
its arc such a ball barely moves in the picture and is not seen for a few samples: the
track that comes down there, then, goes on from the one lost there (``goes_on``). A ball
caught and thrown again where flights end is thrown there at the same distance (the same
size); a larger one was thrown from nearer the camera, in front of the hoop in the picture.

Where the presence pass found the camera shaking in place, each sample is first lined up
with the first one (``highlight.scorers.steady``): the board's edges moving by a pixel are
otherwise large motion at the rim in every sample.

Memory is bounded whatever the length: three small frames, the live tracks, a coarse
grid and a point or two per flight. The search stops as soon as ``CERTAIN_FLIGHTS``
flights ended at one place (checked every minute of the recording). Time is bounded too:
a recording longer than five minutes is searched in five one-minute stretches spread over
it (``search_stretches``), since looking ten times a second means decoding every frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from highlight.scorers.clutter import MEDIAN_OF_ONE, MEDIAN_OF_THE_LARGEST, NOISE_SIGMAS, noise_of
from highlight.scorers.steady import Steadier, measured, steadied
from highlight.source import Frame, Schedule, VideoSource

SAMPLE_FPS = 10.0  # a ball in flight moves a few of its widths in 0.1 s: trackable, and cheap
WIDTH = 480  # px: a ball a few metres from the rim is still a dozen pixels at this width
MIN_FLIGHTS = 3  # separate flights ending at one place: a hoop, not a coincidence
DIFFERENCE = 20  # levels of 255, in any colour, a moving ball differs from what was behind it
MIN_AREA = 6  # px at WIDTH: smaller is noise
MAX_DIAMETER = 0.08  # of the width: a ball nearer than that fills the frame like a person
MIN_DIAMETER = 0.01  # of the width: a smaller moving speck is too few pixels to tell from noise
PEOPLE_GRID = 24  # cells across and down where large motion (people) is counted
PEOPLE_AT_RIM = 0.1  # the most samples in which large motion may be at a rim (people are below it)
CERTAIN_FLIGHTS = 10  # separate flights ending at one place that leave no doubt: the search stops
CHECK_EVERY_S = 60.0  # how often (recording time) the search looks whether it can stop
# A long recording is searched in this many stretches spread over it, each this long: a court in
# use shows shots seconds to a minute apart, and a workout none however long it is watched
SEARCH_STRETCHES = 5
STRETCH_S = 60.0
SAME_FLIGHT_S = 1.0  # rim points closer in time than this are one flight (a bounce on the rim)
HANG_S = 0.5  # a ball flying away from (or toward) the camera hangs at the top of its arc in the picture this long
KEEP_HANGING_S = 5.0  # a flight lost at its top waits this long for the track it goes on as (a ball's whole fall)
DEEPER = 1.3  # a ball this many times smaller (or larger) at its flight's end than at its start flew away (or toward)
PARTIAL = 0.7  # of a track's typical ball size: a blob this much smaller shows only part of the ball
STOPPED = 0.7  # falling freely, each step down is longer than the last: one this much shorter was stopped
NEARER = 1.4  # a ball this many times larger (or smaller) than at the rim is nearer the camera (or farther)
# A shot's clip at a hoop found on its own runs from just before the release to just after the result:
# a ball still in the hands is part of the body's blob, so a flight is seen from a sample or two after the release
RELEASE_UNSEEN_S = 2.0 / SAMPLE_FPS
# the region reaches four ball widths (a metre) below the rim: a ball leaving it has gone through the net or off
# the rim, and in half a second more it falls about as far again, or is seen going away: where it went is seen
RESULT_S = 0.5


@dataclass(frozen=True)
class Ball:
    """A ball-like blob in one sample: centre and diameter in pixels at ``WIDTH``."""

    t: float
    x: float
    y: float
    diameter: float


@dataclass(frozen=True)
class Hoop:
    """The hoop found in a recording: the region to score with ``--preset shots``, and the evidence."""

    region: str  # LEFT,TOP,WIDTH,HEIGHT in fractions of the frame
    flights: int  # separate ball flights that ended there
    ball: float  # the ball's diameter, in fractions of the frame's width
    flight_s: float  # the typical time of those flights, from where the ball was first seen in flight to the rim

    def clip_padding(self) -> dict[str, float]:
        """``pad_before`` and ``pad_after`` that hold each shot from its release to its result.

        A shot is scored from when the ball comes into the region, before the rim: a lead-in
        as long as this court's flights (``flight_s``), plus what was not seen of them
        (``RELEASE_UNSEEN_S``), starts its clip just before the release, whether the
        shots are lay-ups or from far out. Practice shots a few seconds apart then get clips
        of their own, not one after another with the retrieval in between.
        """
        return {"pad_before": round(self.flight_s + RELEASE_UNSEEN_S, 2), "pad_after": RESULT_S}


@dataclass
class _Track:
    balls: list[Ball] = field(default_factory=list)
    missed: int = 0  # samples since the last ball: one may be lost against a background of its colour
    hung: bool = False  # seen again coming down after it hung, unseen, at the top of its arc (``goes_on``)

    def predicted(self) -> tuple[float, float, float]:
        """Where the ball should be next (its last velocity) and how far off it may be (gravity, jitter)."""
        last = self.balls[-1]
        if len(self.balls) < 2:
            return last.x, last.y, 6.0 * last.diameter
        before = self.balls[-2]
        steps = 1 + self.missed
        vx, vy = last.x - before.x, last.y - before.y
        return last.x + steps * vx, last.y + steps * vy, steps * max(3.0 * last.diameter, 0.8 * math.hypot(vx, vy))


def moving_blobs(moved: np.ndarray, t: float) -> tuple[list[Ball], np.ndarray]:
    """What moved in a sample (``moved``: it differs from both neighbours there): ball-like blobs, and large motion.

    A ball-like blob is small, solid and round, and apart from large motion; the large
    blobs (people) are returned as a mask, to know where people are.
    """
    count, labels, stats, centres = cv2.connectedComponentsWithStats(moved.astype(np.uint8), connectivity=8)
    largest = (MAX_DIAMETER * moved.shape[1]) ** 2
    large_ids = [k for k in range(1, count) if stats[k][cv2.CC_STAT_AREA] > largest]
    large = [stats[k] for k in large_ids]
    balls = []
    for k in range(1, count):
        x, y, w, h, area = stats[k]
        if not MIN_AREA <= area <= largest or max(w, h) > 2.0 * min(w, h) or area < 0.5 * w * h:
            continue  # noise, a person, or a ragged fragment of one
        cx, cy = centres[k]
        if any(_touches(stats_k, cx, cy, max(w, h)) for stats_k in large):
            continue  # a hand or a head moving with a body
        balls.append(Ball(t, float(cx), float(cy), float(math.sqrt(4.0 * area / math.pi))))
    return balls, np.isin(labels, large_ids) if large_ids else np.zeros(moved.shape, bool)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where any colour changed by more than ``DIFFERENCE``: an orange ball on a wall of its brightness still shows.

    In a grainy picture (a dim gym, a cheap sensor) the camera's noise alone changes pixels
    by that much: there, by more than ``NOISE_SIGMAS`` of the noise. Most pixels are still
    between two samples, so the median change is the noise's; a clean picture's is 0 or 1
    level, and its threshold stays ``DIFFERENCE``. Grain of 12 levels made 350 ball-like
    specks a sample, and a 38 s workout took three minutes to search.
    """
    change = cv2.absdiff(a, b)
    median_of_noise = MEDIAN_OF_ONE
    if change.ndim == 3:  # the largest of the three (numpy's max over an axis is ten times slower)
        change = np.maximum(np.maximum(change[..., 0], change[..., 1]), change[..., 2])
        median_of_noise = MEDIAN_OF_THE_LARGEST
    noise = noise_of(change[::4, ::4], median_of_noise)
    return change > max(DIFFERENCE, NOISE_SIGMAS * noise)


def _touches(box: np.ndarray, cx: float, cy: float, margin: float) -> bool:
    x, y, w, h = box[:4]
    return x - margin <= cx <= x + w + margin and y - margin <= cy <= y + h + margin


def rim_points(track: list[Ball], hung: bool = False) -> list[Ball]:
    """Where a flight that rose, travelled and came down met the rim; none for any other track.

    The ball reaches the rim coming down; there it leaves its parabola: it drops through
    the net (its sideways speed falls away), bounces back off the rim or board (its
    sideways speed turns), or is knocked off its path. The last sample before either is
    a candidate (both, when they differ: a jittery path may seem to leave early, a swish
    may keep its sideways speed into the net); a track lost while still on its path ends
    where the ball met the net or the board. A flight along the camera's line of sight
    (``flew_in_depth``) has no sideways speed to lose: it met the rim where its fall was
    stopped (``caught``). So does one that ``hung`` at its top: a ball going sideways never
    hangs there (a hand at the top of its swing does, and comes back down).
    """
    if len(track) < 5:
        return []
    track = track[track.index(release_point(track)) :]
    if len(track) < 5:
        return []
    size = float(np.median([b.diameter for b in track]))
    xs = np.array([b.x for b in track])
    ys = np.array([b.y for b in track])
    apex = _top(track)
    if not thrown(track) or apex == len(track) - 1:
        return []  # never rose (a dribble, a swinging limb) or never came down
    sideways = np.diff(xs)
    flight = np.median(np.abs(sideways[: max(apex, 1)]))
    last = len(track) - 1
    if flight >= 0.5 * size and not hung:
        direction = np.sign(np.sum(sideways[: max(apex, 1)]))
        stops = next((k for k in range(apex, last) if sideways[k] * direction < 0.35 * flight), last)
        leaves = next((k for k in range(max(apex, 4), last) if _leaves_path(track[: k + 1], track[k + 1], size)), last)
        ends = sorted({stops, leaves})
    elif (stopped := caught(track, apex)) is not None and flew_in_depth(track[: stopped + 1]):
        ends = [stopped]
    else:
        return []  # no travel, sideways or in depth: not a shot's arc (a dribble, a toss caught again)
    return [track[end] for end in ends if ys[end] - ys[apex] >= 0.5 * size and is_free_flight(track[: end + 1])]


def caught(track: list[Ball], apex: int) -> int | None:
    """The first sample after the top at which the falling ball was stopped: the rim or the net; None if never.

    Falling, a ball only speeds up: each step down is longer than the one before. The rim
    or the net stops it: the next step is less than ``STOPPED`` of the last one (the net
    holds it), or goes up (it bounced off the rim). Only a ball falling by half its width a
    sample or more counts: slower, at the top of its arc, its steps are its jitter.
    """
    for k in range(max(apex, 1), len(track) - 1):
        before, here, after = track[k - 1], track[k], track[k + 1]
        falling = (here.y - before.y) / max(here.t - before.t, 1e-6)
        then = (after.y - here.y) / max(after.t - here.t, 1e-6)
        if (here.y - before.y) >= 0.5 * here.diameter and then < STOPPED * falling:
            return k
    return None


def release_point(track: list[Ball]) -> Ball:
    """Where a flight began: its lowest point before the top (the ball leaving the hands)."""
    ys = [b.y for b in track]
    return track[int(np.argmax(ys[: _top(track) + 1]))]


def near_the_top(track: list[Ball]) -> bool:
    """The ball rose, and was last seen at the top of its path or one or two samples past it."""
    top = _top(track)
    return len(track) >= 2 and top >= len(track) - 3 and track[0].y > track[top].y


def _top(track: list[Ball]) -> int:
    return int(np.argmin([b.y for b in track]))


def goes_on(track: list[Ball], ball: Ball) -> bool:
    """``ball`` is the ball of ``track`` coming down after it hung at the top of its arc, unseen.

    A ball flying away from the camera barely moves in the picture near the top of its
    arc, for a few samples: a ball that moves less than its width between samples
    hardly differs from both neighbours, and is not seen (or in pieces). Where it comes
    down it is the same flight if it shows up whole within ``HANG_S`` where it could be
    by then: sideways at its speed, up or down no further than its speed carries it.
    """
    top = _top(track)
    before, last = track[max(0, top - 1)], track[top]
    gap, step = ball.t - last.t, last.t - before.t
    if not 0 < gap <= HANG_S or step <= 0 or not 0.5 <= ball.diameter / last.diameter <= 2.0:
        return False
    across = last.x + (last.x - before.x) * gap / step
    upward = abs(last.y - before.y) * gap / step
    return abs(ball.x - across) <= 2.0 * last.diameter and abs(ball.y - last.y) <= upward + 2.0 * last.diameter


def thrown(track: list[Ball]) -> bool:
    """The ball rose by more than its width and a half from its lowest point before its top: thrown from there."""
    if len(track) < 3:
        return False
    top = _top(track)
    size = float(np.median([b.diameter for b in track]))
    return top > 0 and max(b.y for b in track[: top + 1]) - track[top].y >= 1.5 * size


def flew_in_depth(track: list[Ball]) -> bool:
    """The ball ended ``DEEPER`` times smaller or larger than it started: it flew away from the camera or toward it.

    Filmed from behind the shooter (or from behind the hoop), a shot goes mostly along
    the camera's line of sight: little sideways travel, but the ball's apparent size
    falls (or grows) with its distance, the same ball seen from farther away. A dribble
    or a ball tossed up and caught stays at one distance. The size is one over the
    distance, and the distance changes at a steady speed in flight: one over the size is
    fitted with a line in time, and its two ends compared. Samples showing only part of
    the ball (less than ``PARTIAL`` of the typical size) are left out of the fit.
    """
    typical = float(np.median([b.diameter for b in track])) if track else 0.0
    whole = [b for b in track if b.diameter >= PARTIAL * typical]
    if len(whole) < 5:
        return False
    times = np.array([b.t for b in whole])
    slope, offset = np.polyfit(times, [1.0 / b.diameter for b in whole], 1)
    first, last = offset + slope * times[0], offset + slope * times[-1]
    return min(first, last) > 0 and max(first, last) >= DEEPER * min(first, last)


def _leaves_path(flight: list[Ball], after: Ball, size: float) -> bool:
    """``after`` is more than two ball widths off the path the flight so far was on (it hit something)."""
    t = np.array([b.t for b in flight]) - flight[0].t
    across = np.polyfit(t, [b.x for b in flight], 1)
    down = np.polyfit(t, [b.y for b in flight], 2)
    later = after.t - flight[0].t
    return math.hypot(np.polyval(across, later) - after.x, np.polyval(down, later) - after.y) > 2.0 * size


def is_free_flight(track: list[Ball]) -> bool:
    """A ball of a visible size thrown through the air: sideways at a steady speed, up and down on a parabola.

    The ball's own width is the yardstick: its centre may wander by up to two widths from
    the fitted path (motion blur, the net behind it), not more (a limb, noise linked up).
    """
    if len(track) < 5:
        return False
    size = float(np.median([b.diameter for b in track]))
    if size < MIN_DIAMETER * WIDTH:
        return False
    t = np.array([b.t for b in track]) - track[0].t
    xs, ys = np.array([b.x for b in track]), np.array([b.y for b in track])
    across, down = np.polyfit(t, xs, 1), np.polyfit(t, ys, 2)
    wander = math.hypot(_rms(np.polyval(across, t) - xs), _rms(np.polyval(down, t) - ys))
    return down[0] > 0 and wander <= 2.0 * size  # y grows downwards: gravity bends the path down


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


@dataclass
class HoopFinder:
    """Watches a recording at ``SAMPLE_FPS`` and says where the ball's flights end, if they end in one place."""

    previous: tuple[float, np.ndarray] | None = None  # the last sample: its time and picture
    change: np.ndarray | None = None  # where it differs from the one before it
    tracks: list[_Track] = field(default_factory=list)
    rim_points: list[Ball] = field(default_factory=list)
    flight_times: dict[Ball, float] = field(default_factory=dict)  # rim point -> seconds since its flight's release
    releases: list[Ball] = field(default_factory=list)  # where those flights began
    hanging: list[_Track] = field(default_factory=list)  # lost near their top: the fall may come as another track
    frame_size: tuple[int, int] = (WIDTH, WIDTH)
    people: np.ndarray = field(default_factory=lambda: np.zeros((PEOPLE_GRID, PEOPLE_GRID)))
    samples: int = 0
    steady: bool = False  # the camera shakes in place: line each sample up with the first
    steadier: Steadier | None = None  # what does it

    def add(self, t: float, image: np.ndarray) -> None:
        """One sample (RGB or grey), ``WIDTH`` wide, in time order; each difference is taken once."""
        image = self._steady(image)
        self.frame_size = (image.shape[1], image.shape[0])
        if self.previous is not None:
            then, before = self.previous
            change = changed(before, image)
            if self.change is not None:  # the previous sample differs from both of its neighbours there
                balls, large = moving_blobs(self.change & change, then)
                self._follow(balls)
                cells = cv2.resize(large.astype(np.float32), (PEOPLE_GRID, PEOPLE_GRID), interpolation=cv2.INTER_AREA)
                self.people += cells > 0.0
                self.samples += 1
            self.change = change
        self.previous = (t, image)

    def _steady(self, image: np.ndarray) -> np.ndarray:
        """``image`` lined up with the first sample, where the camera shakes (``highlight.scorers.steady``).

        A tripod wobbling by a pixel moves the board's and the poles' edges between any two
        samples: large motion at the rim in every one, and no hoop. A fixed camera's samples
        are left as they are.
        """
        if not self.steady:
            return image
        small = measured(image)
        if self.steadier is None:
            self.steadier = Steadier.of(small, least=0.0)
            return image
        shake = self.steadier.shake(small)
        return image if shake is None else steadied(image, shake, image.shape[1] / small.shape[1])

    def _follow(self, balls: list[Ball]) -> None:
        free = list(balls)
        alive = []
        for track in self.tracks:
            x, y, reach = track.predicted()
            last = track.balls[-1]
            matches = [
                b for b in free if math.hypot(b.x - x, b.y - y) <= reach and 0.4 <= b.diameter / last.diameter <= 2.5
            ]
            if matches:
                best = min(matches, key=lambda b: math.hypot(b.x - x, b.y - y))
                free.remove(best)
                track.balls.append(best)
                track.missed = 0
                alive.append(track)
            elif track.missed == 0 and len(track.balls) >= 2:
                track.missed = 1
                alive.append(track)
            else:
                self._end(track)
        self.tracks = alive + [_Track([b]) for b in free]

    def _end(self, track: _Track) -> None:
        self._join_hanging(track)
        if near_the_top(track.balls):
            self.hanging.append(track)  # it may be seen again coming down, as another track
        release = release_point(track.balls)
        if thrown(track.balls):  # wherever it went: a ball is thrown from hands, never from a rim
            self.releases.append(release)
        for rim in rim_points(track.balls, track.hung):
            self.rim_points.append(rim)
            self.flight_times[rim] = rim.t - release.t

    def _join_hanging(self, track: _Track) -> None:
        """Put in front of ``track`` the flight it continues after the ball hung, unseen, at its top (``goes_on``).

        Its first samples may be pieces of the ball, still hanging: the flight goes on at
        the first of the first three that ``goes_on`` it. Tracks lost near their top are
        kept ``KEEP_HANGING_S`` (tracks end in the order of their last sample, not their first).
        """
        now = track.balls[-1].t
        self.hanging = [h for h in self.hanging if now - h.balls[-1].t <= KEEP_HANGING_S]
        begins, third = track.balls[0].t, track.balls[:3][-1].t
        for earlier in self.hanging:
            # its top is among its last three samples: one too long before, or not yet before, cannot be gone on from
            if begins - earlier.balls[-1].t > HANG_S or earlier.balls[-3:][0].t >= third:
                continue
            first = next((k for k, b in enumerate(track.balls[:3]) if goes_on(earlier.balls, b)), None)
            if first is not None:
                track.balls[:first] = earlier.balls[: _top(earlier.balls) + 1]
                track.hung = True
                self.hanging.remove(earlier)
                return

    def result(self) -> Hoop | None:
        """At the end of the recording: the hoop, from every flight (those still in the air end here)."""
        self.skip()
        return self.hoop()

    def skip(self) -> None:
        """The next sample comes after a stretch not looked at: the flights in the air end, nothing is compared
        across it."""
        for track in self.tracks:
            self._end(track)
        self.tracks = []
        self.previous = self.change = None

    def hoop(self) -> Hoop | None:
        """The hoop so far: where at least ``MIN_FLIGHTS`` separate flights ended within three ball widths."""
        # A rim is out of people's way: where they move in more than a sample in ten, a flight
        # that seems to stop was caught (a pass, a rebound) or is a limb.
        points = [p for p in self.rim_points if self.people_share(p.x, p.y) <= PEOPLE_AT_RIM]
        if len(points) < MIN_FLIGHTS:
            return None
        best: list[Ball] = []
        for centre in points:
            near = [
                p
                for p in points
                if math.hypot(p.x - centre.x, p.y - centre.y) <= 3.0 * centre.diameter
                and 0.6 <= p.diameter / centre.diameter <= 1.6
            ]
            if _separate_flights(near) > _separate_flights(best):
                best = near
        flights = _separate_flights(best)
        if flights < MIN_FLIGHTS:
            return None
        x = float(np.median([p.x for p in best]))
        y = float(np.median([p.y for p in best]))
        size = float(np.median([p.diameter for p in best]))
        # the first sample of a thrown ball is a step (a few of its widths) away from the hands
        # ... at the rim's distance from the camera: a ball much larger there was thrown from nearer (behind the shooter)
        thrown_from = [
            r
            for r in self.releases
            if math.hypot(r.x - x, r.y - y) <= 6.0 * size and 1 / NEARER <= r.diameter / size <= NEARER
        ]
        if 2 * _separate_flights(thrown_from) >= flights:
            return None  # the ball is caught there and thrown again (passes): hands, not a rim
        flight_s = float(np.median([self.flight_times[p] for p in best]))
        return Hoop(self._region_around(x, y, size), flights, size / self.frame_size[0], flight_s)

    def people_share(self, x: float, y: float) -> float:
        """The share of the samples in which large motion (people) was at (x, y) or in a cell next to it."""
        width, height = self.frame_size
        column = min(PEOPLE_GRID - 1, int(x / width * PEOPLE_GRID))
        row = min(PEOPLE_GRID - 1, int(y / height * PEOPLE_GRID))
        near = self.people[max(0, row - 1) : row + 2, max(0, column - 1) : column + 2]
        return float(near.max()) / max(1, self.samples)

    def _region_around(self, x: float, y: float, size: float) -> str:
        """The rim, the net below it and the ball's way in from above, as a user draws it around a hoop.

        Measured in ball widths from the rim point, like the regions drawn by hand on the
        courts here: 4.5 to each side, 7 above (the end of the arc), 4 below (the net).
        """
        width, height = self.frame_size
        left, right = max(0.0, x - 4.5 * size), min(width, x + 4.5 * size)
        top, bottom = max(0.0, y - 7.0 * size), min(height, y + 4.0 * size)
        values = (left / width, top / height, (right - left) / width, (bottom - top) / height)
        return ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in values)


def _separate_flights(points: list[Ball]) -> int:
    """How many of the points are at least ``SAME_FLIGHT_S`` apart in time."""
    count, last = 0, -math.inf
    for t in sorted(p.t for p in points):
        if t - last >= SAME_FLIGHT_S:
            count, last = count + 1, t
    return count


def found_hint(region: str, flights: int, padding: dict[str, float]) -> str:
    """The run summary's line for a hoop found on its own: what was done, and how to keep it (the same options)."""
    pads = f"--pad-before {padding['pad_before']:g}s --pad-after {padding['pad_after']:g}s"
    return (
        f"hoop found at {region} from {flights} ball flights ending there: one clip per shot, from the release "
        f"to the result (as --region {region} --preset shots {pads}; keep them in the camera's highlight.toml)"
    )


def find_hoop(source: VideoSource, steady: bool = False) -> Hoop | None:
    """The hoop the ball flights of the recording end at, or None: looked for at ``SAMPLE_FPS``.

    A recording up to ``SEARCH_STRETCHES`` x ``STRETCH_S`` long is searched whole; a longer
    one in those stretches, spread over it (``search_stretches``). Every frame is decoded
    to look ten times a second, as long as the recording lasts: 20 minutes of a workout at
    1080p cost 74 s to find no hoop (the presence pass: 6 s), and five minutes of a court
    in use hold enough flights. ``steady``: the camera shakes in place (the presence pass
    found so): line the samples up.
    """
    finder = HoopFinder(steady=steady)
    stretches = search_stretches(source.info.duration)
    samples = (
        ((frame.time, frame) for frame, _ in source.sample([SAMPLE_FPS]))
        if stretches is None
        else _sampled_stretches(source, stretches, finder)
    )
    checked = 0.0
    for time, frame in samples:
        finder.add(time, frame.image(width=WIDTH))
        if time - checked >= CHECK_EVERY_S:
            checked = time
            hoop = finder.hoop()
            if hoop is not None and hoop.flights >= CERTAIN_FLIGHTS:
                return hoop  # a long recording need not be searched to its end
    return finder.result()


def search_stretches(duration: float) -> list[tuple[float, float]] | None:
    """The stretches (start, end) a recording of ``duration`` is searched in; None: all of it."""
    if not math.isfinite(duration) or duration <= SEARCH_STRETCHES * STRETCH_S:
        return None
    step = duration / SEARCH_STRETCHES
    starts = [k * step + (step - STRETCH_S) / 2 for k in range(SEARCH_STRETCHES)]
    return [(start, start + STRETCH_S) for start in starts]


def _sampled_stretches(
    source: VideoSource, stretches: list[tuple[float, float]], finder: HoopFinder
) -> Iterator[tuple[float, Frame]]:
    """(time, frame) at ``SAMPLE_FPS`` within each stretch, the finder told of the gap before each."""
    for start, end in stretches:
        finder.skip()
        schedule = Schedule(SAMPLE_FPS, source.info.fps)
        for frame in source.window(start, end):
            if schedule.wants(frame.time):
                yield frame.time, frame
