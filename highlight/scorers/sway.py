"""Swaying things are not people: motion that swings in place cannot start a visit.

Balloons in a window, a plant, a flag, a sign in the wind can start to move some time
into a recording, so the clutter map (``highlight.scorers.clutter``), which knows what
moves most of the time, does not know them yet. What tells them from a person is that
they swing around a fixed place: over a few seconds, where they move comes back to where
it was. A person travels: a walker covers about their own width every half second,
near the camera or far from it.

So motion is grouped into objects (pieces within ``REACH`` of each other), each followed
from sample to sample (by overlap, or to the nearest piece as far as someone walks
in the time between, ``NEARBY``). A new object may start a presence at once when it
comes in through the frame's edge or has the shape of someone standing (the clutter
map's ``is_upright``, its largest blob and most of it: players and people working
out move in place; a bunch of round balloons is upright, if at all, in a small part;
behind leaves, the pieces of a body within reach of each other, a column),
and so may a followed object once it has that shape: someone in view from the first
frame, seen in pieces there (a dark shirt against a dark fence), shows whole a moment
later. Any other starts one only once its centre has moved by ``TRAVEL`` of the extent
it covered in the last ``SWAY_SECONDS``: a swing stays inside the extent it sweeps.
Seen twice, a clump of leaves can seem to: the clutter map has learned by then that
leaves move there, and takes them out; but before it knows anything of the scene
(``scene_known``: keyframes that pair no frames a second apart, 29.97 fps with one
every 30 frames, and the pass's first looks) travel takes a third sighting. The
pipeline then scores the frames since the sample before (``Scorer.began_at``), so the
visit starts where they came into view. Once someone is in view this does not matter:
the presence is held by what differs from the empty scene.

Wind comes in gusts, and between them a flag hangs still for longer than an object is
followed (``LINK_SECONDS``). So where objects were held back, with nobody in view, is
remembered for the rest of the recording (``swayed``): motion mostly there
(``SWAYED_THERE``), and no more than ``GROWN`` times the largest thing held back there,
is the same thing swinging again and starts nothing, however it is shaped or shifts,
unless it goes one way at every step, far (``_body_went_one_way``, below): someone who comes
in through a door behind leaves, as large as the clumps held back there, walks into the
room; a clump swings back. ``swayed_places`` keeps what swayed from holding a visit. An
object first seen anywhere else is not that thing: where it was itself held back since
does not keep its shape from counting.

A visit that came in at once and in which nobody walked came to nothing (``came_to_nothing``):
the rim of a dense bush, bent beyond its usual swing by a gust, is a band as tall as a
person that is cut by the top edge or stands against the wall behind. At the next gust it
comes in at the same place; there, what moves no longer starts a visit at once: it has to
travel first. Someone who comes in walks, and leaves their way in as it was; someone who
came in walking straight away from the camera (up the picture, never sideways) travels.

The watch also tells when someone last walked (``walked_at``): an upright object followed
over ``WALK_SAMPLES`` that went sideways by its own width, wherever it moved, or its
largest blob, upright at each of those samples, that did (someone walking away from a
flag that flaps with them, one object with it), or that went one way at every step of a
sample more, by its widest (an arm out, upright at one of them). Someone leaving walks;
someone working out on one spot, however much they move, does not. The presence detector
asks it when what holds a visit shrinks, and when a visit ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np

from highlight.scorers.clutter import REACH, SWEPT_SECONDS, UPRIGHT, is_upright

SWAY_SECONDS = 3.0  # long enough for a swing to come back (balloons, leaves: a second or two), short for a walk
LINK_SECONDS = 1.5  # an object not seen for longer is gone (quiet stretches are sampled a keyframe apart)
# Samples a keyframe apart come at frame times, a little past whole seconds: 30 frames at 29.97 fps
# are 1.001 s, and the third sample after a track's first is 3.003 s on. It is as much within
# ``SWAY_SECONDS`` as at 30 fps; without this slack a track had one look fewer to travel in.
SAMPLE_SLACK = 0.05  # s: the seconds above, and any such span, are measured with it (``within_seconds``)
TRAVEL = 0.3  # of the extent it covered: a walker gets there in a stride or two; a swing stays near its middle
NEARBY = 0.5  # of the width a second: how fast someone close to the camera crosses the picture
GROWN = 3.0  # an object this many times larger or smaller than at its last sample is another one
WALK_SAMPLES = 3  # samples an object is followed over before its way sideways is a walk
SWAYED_THERE = 0.5  # of a new motion's pixels: where something swayed before, it is that thing swinging again
SIGHTINGS_TO_TRAVEL = {True: 2, False: 3}  # whether the clutter map knows the scene -> sightings travel takes


def within_seconds(elapsed: float, seconds: float) -> bool:
    """Whether ``elapsed`` (between two samples) is at most ``seconds``, as samples at frame times tell it
    (``SAMPLE_SLACK``)."""
    return elapsed <= seconds + SAMPLE_SLACK


class _Sight(NamedTuple):
    """Where a followed object moved at one sample: its centre and box, and its largest blob's (its body's)."""

    t: float
    x: float  # the centre of its moving pixels
    y: float
    left: int  # its box
    top: int
    width: int
    height: int
    body_x: float  # the centre of its largest blob's box
    body_width: int
    body_upright: bool  # that box has the shape of someone standing (``clutter.is_upright``)


@dataclass(eq=False)
class _Object:
    footprint: np.ndarray  # where it moved at its last sample, widened by REACH (255)
    born: float
    seen: float
    path: list[_Sight] = field(default_factory=list)  # the last ``SWAY_SECONDS``
    area: int = 0  # moving pixels at its last sample
    may_start: bool = False  # the verdict at its last sample
    swayed_there: bool = False  # where something swayed before: it starts nothing, however it moves
    born_where_swayed: bool = False  # first seen where something else swayed before: that thing, not someone


@dataclass(eq=False)
class _Visit:
    """A visit in progress that came in at once: when, and where (255: where it came in, and was held since)."""

    start: float
    place: np.ndarray
    samples: int = 0  # regular samples since its first


class SwayWatch:
    """Follows moving objects; keeps those that swing in place from starting a presence."""

    def __init__(self, person_height: float):
        self.person_height = person_height
        self.objects: list[_Object] = []
        self.began: float | None = None  # when the objects that travelled at the last sample were first seen
        self.walked_at = -np.inf  # the last regular sample at which someone walked (``_walked``, upright)
        self.swayed: np.ndarray | None = None  # 255 where objects were held back as swaying, all recording long
        self._swayed_at: np.ndarray | None = None  # when each place of ``swayed`` was last held back (seconds)
        self._swayed_size: np.ndarray | None = None  # the most moving pixels an object held back there had
        self.came_to_nothing: np.ndarray | None = None  # 255 where starts at once began visits nobody walked in
        self._at_once: list[np.ndarray] = []  # where new objects were let through at once at the last sample
        self._visit: _Visit | None = None  # the visit in progress, where it came in at once
        self._reach = np.ones((REACH, REACH), np.uint8)

    def may_start(
        self,
        motion: np.ndarray,
        t: float,
        learn: bool,
        smallest: float,
        remember: np.ndarray | None = None,
        scene_known: bool = True,
    ) -> np.ndarray:
        """The part of ``motion`` (255 = moving, clutter removed) that may start a presence.

        ``scene_known``: whether the clutter map knows where the picture keeps moving
        (``SIGHTINGS_TO_TRAVEL``). ``learn``: a regular sample, in time order, that updates the objects; frames
        between samples are judged by the objects' verdicts at the last sample (motion
        not seen then is let through, as before there was this test). Objects of fewer
        than ``smallest`` moving pixels are let through: the detector's blob filter
        drops them. ``motion`` itself is returned where nothing is held back. ``remember``
        (255): where objects held back now may be remembered as swaying things; None:
        nowhere. Not while someone is in view, nor where anyone was: what they do,
        pausing or turning on the spot, resting between sets, is not a swaying thing.
        """
        if learn:
            self.began, self._at_once = None, []
            if self._visit is not None:
                self._visit.samples += 1
            self.objects = [o for o in self.objects if t - o.seen <= LINK_SECONDS and o.footprint.shape == motion.shape]
        if not motion.any():
            return motion
        allowed, held_back = np.zeros_like(motion), False
        count, labels = cv2.connectedComponents(cv2.dilate(motion, self._reach))
        pieces: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}  # id(object) or -k (new) -> (region, piece)
        known_by_id: dict[int, _Object] = {}
        for k in range(1, count):
            region = (labels == k).astype(np.uint8) * 255
            piece = cv2.bitwise_and(motion, region)
            if cv2.countNonZero(piece) < smallest:
                allowed = cv2.bitwise_or(allowed, piece)
                continue
            known = self._overlapping(region) or self._nearby(piece, t)
            if known is not None:
                known_by_id[id(known)] = known
            pieces.setdefault(id(known) if known is not None else -k, []).append((region, piece))
        for key, parts in pieces.items():
            region, piece = parts[0]
            for other_region, other_piece in parts[1:]:  # the pieces of one object: a bunch, a body in parts
                region, piece = cv2.bitwise_or(region, other_region), cv2.bitwise_or(piece, other_piece)
            if learn:
                ok = self._learn(known_by_id.get(key), piece, region, t, scene_known)
                if remember is not None and not ok:
                    self._note_swayed(cv2.bitwise_and(region, remember), t, cv2.countNonZero(piece))
            else:
                ok = key < 0 or known_by_id[key].may_start
            if ok:
                allowed = cv2.bitwise_or(allowed, piece)
            held_back |= not ok
        return allowed if held_back else motion

    def undecided(self, t: float) -> bool:
        """Whether an object seen at the sample at ``t`` is held back so far but new enough to travel yet
        (``SWAY_SECONDS``), and not where something swayed: the samples that follow it tell whether it is someone."""
        return any(
            o.seen == t and not o.may_start and not o.swayed_there and within_seconds(t - o.born, SWAY_SECONDS)
            for o in self.objects
        )

    def _learn(self, known: _Object | None, piece: np.ndarray, region: np.ndarray, t: float, scene_known: bool) -> bool:
        """Follow ``known`` (None: a new object) to ``piece``, where it moves now, and give its verdict."""
        box = cv2.boundingRect(piece)
        moments = cv2.moments(piece, binaryImage=True)
        centre = (moments["m10"] / moments["m00"], moments["m01"] / moments["m00"])
        area = cv2.countNonZero(piece)
        if known is not None and not known.area / GROWN <= area <= GROWN * known.area:  # a speck, then something else
            self.objects.remove(known)
            known = None
        again = self._swayed_there(piece)
        largest = _largest_blob(piece)
        body = cv2.boundingRect(largest)
        upright = is_upright(body, piece.shape[0], self.person_height)
        point = _Sight(t, *centre, *box, body[0] + body[2] / 2, body[2], upright)
        if known is None:  # someone coming in through the frame's edge, or standing, may start at once
            entering = _cut_by_edge(box, piece.shape) or (self._standing(piece, largest) and not again)
            entering &= not _mostly_inside(piece, self.came_to_nothing)  # what came in there came to nothing
            if entering:
                self._at_once.append(region)
            self.objects.append(
                _Object(region, t, t, [point], area, entering, swayed_there=again, born_where_swayed=again)
            )
            return entering
        known.area = area
        known.path = [p for p in known.path if within_seconds(t - p.t, SWAY_SECONDS)] + [point]
        # wherever it went; or its body, where what moves beside them is followed with them (a flag by them)
        went_one_way = _body_went_one_way(known.path)
        if (
            (_walked(known.path) and is_upright(box, piece.shape[0], self.person_height))
            or _body_walked(known.path)
            or went_one_way
        ):
            self.walked_at = t
        # a walk into the room, also where something swayed; someone in view from the first sample, moving in
        # pieces there, shows whole at a later one; what it swayed as itself since it was first seen is no other
        # thing swinging again (``born_where_swayed``)
        may_start = (
            went_one_way
            or (len(known.path) >= SIGHTINGS_TO_TRAVEL[scene_known] and self._travelled(known.path) and not again)
            or (self._standing(piece, largest) and not known.born_where_swayed)
        )
        if may_start and not known.may_start:  # since the sample before: what swung there before is not them
            since = known.path[-2].t if len(known.path) > 1 else t
            self.began = since if self.began is None else min(since, self.began)
        known.may_start, known.swayed_there = may_start, again
        known.footprint, known.seen = region, t
        return may_start

    def visit_began(self, t: float, entered: bool) -> None:
        """A visit began at the sample at ``t``; ``entered``: someone came in (not someone in view from the first
        sample, nor one moving again where they paused a moment ago). Where new objects were let through at
        once then is where it came in."""
        came_in = None
        if entered:
            for region in self._at_once:
                came_in = region.copy() if came_in is None else cv2.bitwise_or(came_in, region)  # not the object's
        self._visit = _Visit(t, came_in) if came_in is not None else None

    def visit_seen_at(self, where: np.ndarray) -> None:
        """The visit in progress is held where ``where`` (255) is now: where it came in, if nobody walks in it."""
        if self._visit is not None and where.shape == self._visit.place.shape:
            cv2.bitwise_or(self._visit.place, where, dst=self._visit.place)

    def visit_ended(self) -> None:
        """The visit in progress ended. Where it came in at once and was held, if nobody walked in it, is
        remembered (``came_to_nothing``): what comes in mostly there again, through the edge or standing,
        does not start a visit at once; it has to travel first.

        The rim of a bush bending further in a gust, cut by the top of the picture or
        upright against the wall behind, comes in like someone; the bush does it again at
        the next gust, at the same place. Someone who came in walks: into the room, along
        the edge, out again (``walked_at``), once followed over ``WALK_SAMPLES``: a visit with
        fewer samples after its first tells nothing (a far player on a court, seen for a
        second between pauses). Someone who works out on a spot does not walk, but they are
        in view from the first frame, or move again where they paused within
        ``SWAY_SECONDS`` (``MotionScorer``): neither came in (``visit_began``).
        """
        visit, self._visit = self._visit, None
        if visit is None or visit.samples < WALK_SAMPLES or self.walked_at >= visit.start:
            return
        if self.came_to_nothing is None or self.came_to_nothing.shape != visit.place.shape:
            self.came_to_nothing = np.zeros_like(visit.place)
        cv2.bitwise_or(self.came_to_nothing, visit.place, dst=self.came_to_nothing)

    def _note_swayed(self, region: np.ndarray, t: float, size: int) -> None:
        """Remember where an object of ``size`` moving pixels was held back as swaying at ``t`` (``region``: where
        it moves, widened by ``REACH``)."""
        if self.swayed is None or self.swayed.shape != region.shape:
            self.swayed = np.zeros_like(region)
            self._swayed_at = np.full(region.shape, -np.inf)
            self._swayed_size = np.zeros(region.shape, np.float32)
        cv2.bitwise_or(self.swayed, region, dst=self.swayed)
        self._swayed_at[region > 0] = t
        np.maximum(self._swayed_size, np.where(region > 0, size, 0), out=self._swayed_size)

    def swayed_places(self, theirs: np.ndarray, start: float) -> np.ndarray | None:
        """Where things were held back as swaying, as a visit begins at ``start``, less what is the visitor's:
        what is within ``REACH`` of ``theirs`` (255, what starts the visit), and the places reaching it that
        were held back in the ``SWEPT_SECONDS`` before.

        A flag that hung still when someone came in, and swings in a gust while they are
        in view, is not them: it must not keep the visit going after they have left. A
        place held back a moment ago that reaches what starts the visit is theirs: players
        warming up on one spot, held back, until one of them set off from there. A place
        that swayed long before is not, where they start apart: a flag in the middle of the
        picture, which the visitor came in behind, held their visit 48 s past their leaving.
        """
        if self.swayed is None or self.swayed.shape != theirs.shape:
            return None
        _, labels = cv2.connectedComponents(self.swayed)
        touched = np.unique(labels[(theirs > 0) & (labels > 0)])
        lately = np.unique(labels[(self._swayed_at >= start - SWEPT_SECONDS) & (labels > 0)])
        places = (labels > 0) & ~np.isin(labels, np.intersect1d(touched, lately))
        places &= cv2.dilate(theirs, self._reach) == 0
        return (places * 255).astype(np.uint8) if places.any() else None

    def _swayed_there(self, piece: np.ndarray) -> bool:
        """Most of ``piece`` moves where something swayed before, and it is no more than ``GROWN`` times the
        largest thing held back there: a flag or a plant in a new gust.

        Wind comes in gusts: between them a flag hangs still, long enough to be neither
        clutter (it moves a third of the time) nor remembered by its object (gone after
        ``LINK_SECONDS``). Each gust, what moves first is the loose end (an upright strip)
        and then the wave running along the cloth (a centre that shifts): the shape of
        someone standing, and travel. But it moves where it swayed, and was held back,
        in the gusts before. Someone coming in moves out of any such place within a
        stride or two, and starts there. Someone who comes in behind a plant, where its
        leaves swung as specks a few pixels each, is many times their size: not the plant.
        """
        if not _mostly_inside(piece, self.swayed):
            return False
        return cv2.countNonZero(piece) <= GROWN * float(self._swayed_size[piece > 0].max())

    def _standing(self, piece: np.ndarray, largest: np.ndarray) -> bool:
        """Shaped like someone standing: its largest blob (``largest``, a contour) upright
        (``clutter.is_upright``) and most of it, and upright still with the blobs a pixel from it
        (``_spreads_upright``: not a band of a flag's cloth); or, seen through leaves, with the blobs
        within ``REACH`` of it (``_within``), all upright so and most of it.

        A body is one upright blob, perhaps with an arm or a shadow beside it; a bunch of
        balloons or a plant is a cluster of round pieces, any upright one a small part.
        Behind leaves a body is cut into pieces, head, shirt and legs, none of them most of
        it: together they are a column, each piece within a leaf's width of the next, and
        the largest of them (the shirt, the legs) upright itself, as no round balloon is.
        """
        if not is_upright(cv2.boundingRect(largest), piece.shape[0], self.person_height):
            return False
        filled = np.zeros_like(piece)
        cv2.drawContours(filled, [largest], -1, 255, thickness=-1)
        body = (filled > 0) & (piece > 0)
        if self._stands(body, _within(body, piece, np.ones((3, 3), np.uint8)), piece):
            return True
        column = _within(body, piece, self._reach)
        upright = is_upright(cv2.boundingRect(column.astype(np.uint8)), piece.shape[0], self.person_height)
        return upright and self._stands(column, column, piece)

    @staticmethod
    def _stands(part: np.ndarray, spread: np.ndarray, piece: np.ndarray) -> bool:
        """``part`` (a mask of ``piece``'s pixels) is most of ``piece``, and ``spread`` (a mask of them with it)
        spreads upright."""
        return 2 * np.count_nonzero(part) >= cv2.countNonZero(piece) and _spreads_upright(spread)

    @staticmethod
    def _travelled(path: list[_Sight]) -> bool:
        """The last centre is ``TRAVEL`` of the object's extent (all it covered in the path) from an earlier one.

        A swing's centre stays near the middle of the extent it sweeps; a walk makes the
        extent as long as the way walked plus the walker, and the centre goes from one
        end of it to the other: a third of it once they have walked half their width.
        """
        left = min(p.left for p in path)
        top = min(p.top for p in path)
        right = max(p.left + p.width for p in path)
        bottom = max(p.top + p.height for p in path)
        extent = max(right - left, bottom - top)
        x, y = path[-1].x, path[-1].y
        return max(np.hypot(p.x - x, p.y - y) for p in path) >= TRAVEL * extent

    def _nearby(self, piece: np.ndarray, t: float) -> _Object | None:
        """The followed object whose last centre is as near as someone can walk since (``NEARBY``): the nearest.

        Samples can be a keyframe (a second) apart: a walker near the camera has left
        their last footprint far behind by then.
        """
        x, y, w, h = cv2.boundingRect(piece)
        centre = (x + w / 2, y + h / 2)
        reach = NEARBY * piece.shape[1]
        near = [(np.hypot(o.path[-1].x - centre[0], o.path[-1].y - centre[1]), o) for o in self.objects]
        near = [(distance, o) for distance, o in near if distance <= reach * max(t - o.seen, 0.5)]
        return min(near, key=lambda pair: pair[0])[1] if near else None

    def _overlapping(self, region: np.ndarray) -> _Object | None:
        """The followed object whose last footprint overlaps ``region`` most."""
        best, most = None, 0
        for known in self.objects:
            if known.footprint.shape == region.shape:
                shared = cv2.countNonZero(cv2.bitwise_and(known.footprint, region))
                if shared > most:
                    best, most = known, shared
        return best


def _within(body: np.ndarray, piece: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """``body`` (a mask of a blob of ``piece``) with the blobs of ``piece`` within ``reach`` (a kernel) of it, and
    theirs: a mask."""
    _, labels = cv2.connectedComponents(cv2.dilate(piece, reach))
    return np.isin(labels, np.unique(labels[body])) & (piece > 0)


def _spreads_upright(mask: np.ndarray) -> bool:
    """The pixels of ``mask`` spread ``UPRIGHT`` times as far up and down as across (their standard deviations).

    A wave running along a flag's cloth moves it in bands, a pixel-wide line that did not
    change between them where the wave's node is: a band can be taller than wide, the shape
    of someone standing, and the cloth it is part of wider than tall. The spread of the
    pixels (not their box) is the shape: a speck of noise beside a walker leaves it upright.
    """
    rows, columns = np.nonzero(mask)
    return len(rows) > 1 and float(rows.std()) >= UPRIGHT * float(columns.std())


def _largest_blob(piece: np.ndarray) -> np.ndarray:
    """The contour of the largest blob of ``piece``: its body, where it is someone."""
    contours, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return max(contours, key=cv2.contourArea)


def _walked(path: list[_Sight]) -> bool:
    """Followed over ``WALK_SAMPLES``, the centre went sideways by the object's own width (its box at the last
    sample) within the path.

    Someone walking out does, upright, also through where a plant swayed before; someone
    working out on one spot does not, however much they move: push-ups, squats, a jump
    rope go up and down, jumping jacks about their middle. Two pieces of them can be
    linked as one object across the picture once, not at every sample.
    """
    return len(path) >= WALK_SAMPLES and _went_sideways([(p.x, p.width) for p in path])


def _body_walked(path: list[_Sight]) -> bool:
    """The object's largest blob, upright at each of the last ``WALK_SAMPLES`` samples, went sideways by its own
    width over them.

    Someone walking out beside a flag that flaps with them is one object with it, its box
    as wide as both: that box barely moves as they go, their body does. Upright at every
    sample, it is a body, not whichever speck or band of cloth is largest at each. Someone
    walking away behind a flag, an arm out, is upright at few samples: ``_body_went_one_way``.
    """
    recent = path[-WALK_SAMPLES:]
    upright = all(p.body_upright for p in recent)
    return len(recent) == WALK_SAMPLES and upright and _went_sideways([(p.body_x, p.body_width) for p in recent])


def _body_went_one_way(path: list[_Sight]) -> bool:
    """Over the last ``WALK_SAMPLES`` + 1 samples of ``path``, the centre of the largest blob, upright at one of
    them at least, moved the same way at every step, and by its widest width in all.

    A walker crossing the picture covers about their own width every half second; one walking
    away from the camera, to a door at the back, half of it a second. Either way they go one
    way at every step. The largest piece of a flag's cloth jumps back and forth across it, and
    someone working out on one spot goes back and forth about it.
    """
    path = path[-WALK_SAMPLES - 1 :]
    if len(path) < WALK_SAMPLES + 1 or not any(p.body_upright for p in path):
        return False
    steps = np.diff([p.body_x for p in path])
    one_way = bool(np.all(steps > 0) or np.all(steps < 0))
    return one_way and abs(path[-1].body_x - path[0].body_x) >= max(p.body_width for p in path)


def _went_sideways(places: list[tuple[float, int]]) -> bool:
    """The last centre of ``places`` (centre x, width) is its width from an earlier one."""
    x, width = places[-1]
    return max(abs(other - x) for other, _ in places) >= width


def _mostly_inside(piece: np.ndarray, place: np.ndarray | None) -> bool:
    """At least ``SWAYED_THERE`` of the moving pixels of ``piece`` are in ``place`` (255; None: nowhere)."""
    if place is None or place.shape != piece.shape:
        return False
    return cv2.countNonZero(cv2.bitwise_and(piece, place)) >= SWAYED_THERE * cv2.countNonZero(piece)


def _cut_by_edge(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> bool:
    """The box touches the picture's border: what is there comes in from outside it (someone entering)."""
    x, y, w, h = box
    return x <= 0 or y <= 0 or x + w >= shape[1] or y + h >= shape[0]
