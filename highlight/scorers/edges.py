"""People partly in view at the frame's edges: feet along the top, half a body at a side.

Someone walking past just outside the picture shows only a sliver of themselves: legs
a few pixels tall along the top edge of a camera looking down, a shoulder at a side.
At the motion detector's working size (160 pixels wide) that is a speck, and specks are
noise. So the border band (``BAND`` of the height, all around) is looked at with
``DETAIL`` times the detail, cut straight from the full-resolution frame: unrolled into
one strip (``unroll_border``), row 0 the frame's edge, a column a place along the
perimeter. What differs there from the empty scene and is cut by the frame's edge is
followed from sample to sample along the perimeter.

What makes it a person is that it *travels*: someone walking past moves along or
through the edge, ``TRAVEL`` of the width or more from where they were first seen,
within ``SWAY_SECONDS``. Something that swings in place (a plant, a flag, a door)
comes back to where it started, and what moves between almost any two samples (leaves)
is clutter there, learned as the clutter map learns it. A snowflake drifting past the edge
travels too, but it is a speck: a track counts once it showed more than one pixel of the
band, blurred (``POINT``), and more than a line (a raindrop's streak, flakes side by
side). A track that travelled counts for as long as it is seen, standing still too
(someone waiting at the edge), up to the motion detector's ``hold``; but not one where the
detector found the scene someone uncovered as they left (``uncovered``): their legs at the
bottom edge for most of the recording are in the band's median too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from highlight.scorers.clutter import MovingShare, moved_between, unlike_each
from highlight.scorers.sway import LINK_SECONDS, SWAY_SECONDS, within_seconds

BAND = 0.06  # the border band, as a fraction of the picture's height: a sliver of someone
DETAIL = 4  # the band is looked at this many times the detector's working width (up to the full frame)
TRAVEL = 0.03  # a person walks this fraction of the width along the edge within SWAY_SECONDS; a swing does not
LINK = 0.15  # of the width a second: as far from a track's last place as a walker gets, a blob continues it
SMALLEST = 0.25  # of the detector's ``min_blob``: at the edge a foot is all there may be
LONGEST = 0.25  # of the picture's shorter side: a blob longer than this along the edge is light or the camera
BLUR = 5  # pixels: the band's blur (compression blocks, noise), across and along
POINT = BLUR * BLUR  # a blob no larger than this may be one pixel of the band, blurred: a speck, not a shape


def unroll_border(grey: np.ndarray, size: tuple[int, int], band: int) -> np.ndarray:
    """The border band of ``grey`` (any resolution), ``band`` pixels deep at ``size``, as one strip.

    Top, right, bottom and left side by side, each turned so that row 0 is the frame's
    edge and the columns run clockwise from the top-left corner: a column is a place on
    the perimeter. The top and bottom take the corners. Cut from the full frame and
    shrunk (area averaging), the band costs a fraction of converting the whole frame.
    """
    full_h, full_w = grey.shape[:2]
    width, height = size
    deep_y, deep_x = max(1, round(band * full_h / height)), max(1, round(band * full_w / width))
    side = max(1, height - 2 * band)

    def shrink(part: np.ndarray, w: int, h: int) -> np.ndarray:
        part = part if part.strides[-1] == part.itemsize else np.ascontiguousarray(part)  # a turned frame's view
        return cv2.resize(part, (w, h), interpolation=cv2.INTER_AREA)

    top = shrink(grey[:deep_y], width, band)
    right = shrink(grey[deep_y : full_h - deep_y, full_w - deep_x :], band, side).T[::-1]
    bottom = shrink(grey[full_h - deep_y :], width, band)[::-1, ::-1]
    left = shrink(grey[deep_y : full_h - deep_y, :deep_x], band, side).T[:, ::-1]
    return np.ascontiguousarray(np.hstack([top, right, bottom, left]))


@dataclass
class _Track:
    born: float
    seen: float
    start: float  # place on the perimeter (a column of the strip) where first seen
    place: float  # and now
    moved: float  # last time it moved
    travelled: bool = False
    # Once larger than a point (``POINT``) and thicker than a line (``EdgeWatch.thinnest``). A
    # snowflake drifting past the edge, or one after another, travels along it as feet do; but
    # each is a speck, blurred to a dot of the blur's size at most, and a raindrop's streak or
    # two flakes side by side are a blurred line. Feet may be that small at a sample (a small
    # picture, a low contrast), not at every sample of a walk.
    shaped: bool = False
    # First seen before how often the band moves was known (``MovingShare.known``: keyframes far
    # apart, nothing seeded it). Leaves at the edge sway far enough along it to travel in those
    # first looks, and would then count as someone for as long as they are seen: such a track is
    # forgotten once it is known, and what is still there is followed again, judged. Until then
    # it counts: someone at the edge from the first frame (a workout filmed with the head cut
    # off) is someone from the first frame; leaves there are a highlight for those few seconds.
    unjudged: bool = False


class EdgeWatch:
    """Follows what is cut by the frame's edge in the border band; says whether a travelled one is in view.

    ``size``: the picture's size at which the band is looked at; ``light(seen, empty)``
    says whether pixels differ from the empty scene's only by light; ``memory`` (s):
    how long clutter is remembered; ``reach``: the margin around clutter it swings into;
    ``detail``: ``size``'s width as a share of the band's full detail (``DETAIL`` times the
    detector's width; less in a smaller frame).
    """

    def __init__(
        self,
        size: tuple[int, int],
        min_blob: float,
        threshold: float,
        hold: float,
        light: Callable[[np.ndarray, np.ndarray], bool],
        memory: float,
        reach: int,
        detail: float,
    ):
        self.size = size
        self.width, self.height = size
        self.threshold, self.hold, self.light = threshold, hold, light
        self._reach = np.ones((reach, reach), np.uint8)
        self.smallest = SMALLEST * min_blob * self.width * self.height
        # a line, blurred, is ``BLUR`` thick at most: at the band's full detail a body part at the edge is thicker
        # both ways. A frame with less detail shows a foot thinner, and tells it from a line less: so much less.
        self.thinnest = BLUR * min(detail, 1.0)
        self.textured = min_blob * self.width * self.height  # smaller blobs have too few pixels to tell light by
        self.band = max(2, round(BAND * self.height))
        self.margin = self.band // 2  # a blob this close to the edge is cut by it (its rim blurs below the threshold)
        self.perimeter = 2 * self.width + 2 * max(1, self.height - 2 * self.band)  # the strip's length
        self.longest = LONGEST * min(self.width, self.height)
        self.plate: np.ndarray | None = None
        self.empty: np.ndarray | None = None  # the band at the last sample with nothing moving and nobody at the edge
        self.moving = MovingShare((self.band, self.perimeter), memory)  # how often each place moves
        self._previous: tuple[float, np.ndarray] | None = None  # the last regular sample
        self.tracks: list[_Track] = []
        self.began: float | None = None  # when the tracks that travelled at the last sample were first seen
        # a track in view at the last sample was first seen once the band's clutter was known (judged, not
        # ``_Track.unjudged``): the recheck after the pass keeps what such a track found, and judges the rest
        self.judged_in_view = False
        self._kernel = np.ones((3, 3), np.uint8)

    def strip(self, grey: np.ndarray) -> np.ndarray:
        """The band of a full-resolution grey frame, unrolled and blurred (compression blocks, noise)."""
        return cv2.GaussianBlur(unroll_border(grey, self.size, self.band), (BLUR, BLUR), 0)

    def strip_of_mask(self, mask: np.ndarray) -> np.ndarray:
        """A mask of the picture (any resolution, non-zero = set) as a strip: 255 where any of it is set."""
        return ((unroll_border(mask, self.size, self.band) > 0) * 255).astype(np.uint8)

    def seed(self, strips: list[np.ndarray], pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """The empty border (the median of strips spread over the video) and how often each place moves.

        ``pairs``: strips about a second apart, spread over the video, as the clutter map
        is seeded with, and as few of them say as little (``clutter.SEED_PAIRS``): a plant
        swaying at the edge from the first frame is known as such from the first frame.
        """
        usable = [strip for strip in strips if strip.shape == self.moving.share.shape]
        self.plate = np.median(np.stack(usable), axis=0).astype(np.uint8) if len(usable) >= 3 else None
        self.moving.seed([moved_between(a, b) for a, b in pairs if a.shape == b.shape])

    def follow(self, strip: np.ndarray, t: float, ignore: np.ndarray | None, quiet: bool = False) -> bool:
        """Learn from a regular sample at ``t``: whether a travelled track is in view (and moved within ``hold``).

        ``ignore``: a strip, non-zero where not to look (the detector's clutter, excluded areas).
        ``quiet``: nothing moved in the picture at this sample; with nobody at the edge
        either, nor anything new there that may yet travel, the band is the newest picture
        of the empty border. A recording that starts with nothing moving starts empty: what
        differs there from the median (someone who stands there later, for most of it) is
        not someone, however its outline shifts from sample to sample.
        """
        if quiet and self._previous is None:
            self.empty = strip
        self._learn_clutter(strip, t)
        places = self._places(strip, ignore)
        self.began, self.judged_in_view = None, False
        known = self.moving.known()
        # what was followed before the band's clutter was known is followed again from now (``_Track.unjudged``)
        self.tracks = [
            track for track in self.tracks if t - track.seen <= LINK_SECONDS and not (known and track.unjudged)
        ]
        in_view = False
        for place, shaped in places:
            track = self._nearest(place, t)
            if track is None:
                track = _Track(born=t, seen=t, start=place, place=place, moved=t, unjudged=not known)
                self.tracks.append(track)
            if self._distance(place, track.place) >= 1.0:
                track.moved = t
            track.seen, track.place = t, place
            track.shaped |= shaped
            if self._may_travel(track, t):
                track.travelled = track.shaped and self._distance(place, track.start) >= TRAVEL * self.width
                if track.travelled:
                    self.began = min(track.born, self.began if self.began is not None else track.born)
            seen = track.travelled and t - track.moved <= self.hold
            in_view |= seen
            self.judged_in_view |= seen and not track.unjudged
        if quiet and not in_view and not any(self._may_travel(track, t) for track in self.tracks):
            self.empty = strip
        return in_view

    def uncovered(self, strip: np.ndarray, places: np.ndarray) -> None:
        """The band (``strip``, this sample's) shows the empty border where ``places`` (a strip, non-zero) is set:
        there the detector found the scene the one present uncovered as they left. Its tracks there are
        forgotten: what held them from the empty border there was the scene's own picture."""
        base = self.empty if self.empty is not None else self.plate
        if base is None or strip.shape != base.shape or places.shape != base.shape:
            return
        columns = places.any(axis=0)
        self.empty = np.where(columns, strip, base)
        self.tracks = [track for track in self.tracks if not columns[min(round(track.place), self.perimeter - 1)]]

    def sees(self, strip: np.ndarray, t: float, ignore: np.ndarray | None) -> bool:
        """Whether a frame between samples (at ``t``, not learned from) shows a travelled track near where it was."""
        return any(
            (track := self._nearest(place, t)) is not None and track.travelled
            for place, _ in self._places(strip, ignore)
        )

    def undecided(self, t: float) -> bool:
        """Whether something seen at the sample at ``t`` is new enough to travel yet and has not: the samples that
        follow it (``LINK_SECONDS`` apart at most) tell whether it is someone."""
        return any(track.seen == t and self._may_travel(track, t) for track in self.tracks)

    @staticmethod
    def _may_travel(track: _Track, t: float) -> bool:
        """Whether the track is new enough to travel yet (``SWAY_SECONDS``), and has not."""
        return not track.travelled and within_seconds(t - track.born, SWAY_SECONDS)

    def _learn_clutter(self, strip: np.ndarray, t: float) -> None:
        """Follow how often each place moves between regular samples, over ``memory`` seconds.

        Leaves at the edge move between almost any two samples; a path people walk
        along moves only while someone's foot is on that place.
        """
        if self._previous is not None and self._previous[1].shape == strip.shape:
            self.moving.learn(moved_between(self._previous[1], strip), t - self._previous[0])
        self._previous = (t, strip)

    def _places(self, strip: np.ndarray, ignore: np.ndarray | None) -> list[tuple[float, bool]]:
        """Places on the perimeter of the blobs that differ from the empty border and are cut by the edge, and
        whether each has a shape (``_Track.shaped``).

        The empty border is known twice, as the detector knows the empty scene: the median of
        the band over the video (``plate``) and the band at the last quiet sample (``empty``).
        A place where people stood for much of the recording is in the median: with nobody
        there the band differs from it, and a track that travelled there stayed "in view"
        after they had gone (the shop door's first visitors held the 1.1 s gap to the next
        ones, and the next ones' first 3 s). Someone in view differs from both.
        """
        if self.plate is None or strip.shape != self.plate.shape:
            return []
        differs = unlike_each(strip, (self.plate, self.empty), self.threshold)
        if not differs.any():
            return []
        busy = cv2.dilate(self.moving.busy(), self._reach)
        if ignore is not None and ignore.shape == busy.shape:
            busy = cv2.bitwise_or(busy, ignore)
        differs = cv2.morphologyEx(cv2.bitwise_and(differs, cv2.bitwise_not(busy)), cv2.MORPH_OPEN, self._kernel)
        count, labels, stats, centres = cv2.connectedComponentsWithStats(differs)
        places = []
        for k in range(1, count):
            x, y, w, h, area = stats[k]
            if area < self.smallest or y > self.margin or w > self.longest:
                continue
            inside = labels[y : y + h, x : x + w] == k
            if area >= self.textured and self.light(
                strip[y : y + h, x : x + w][inside], self.plate[y : y + h, x : x + w][inside]
            ):
                continue
            places.append((float(centres[k][0]), bool(area > POINT and min(w, h) > self.thinnest)))
        return places

    def _distance(self, a: float, b: float) -> float:
        gap = abs(a - b) % self.perimeter
        return min(gap, self.perimeter - gap)

    def _nearest(self, place: float, t: float) -> _Track | None:
        """The track ``place`` continues: the nearest within a walk (``LINK``) of where it was last seen."""
        near = [
            track
            for track in self.tracks
            if self._distance(place, track.place) <= LINK * self.width * max(abs(t - track.seen), 0.5)
        ]
        return min(near, key=lambda track: self._distance(place, track.place), default=None)
