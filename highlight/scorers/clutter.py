"""Where the picture keeps moving with nobody there: leaves, a flag, an escalator, a screen.

A person comes and goes; swaying leaves, a waving flag, an escalator or a TV move in
the same place whenever one looks. The map keeps, per pixel, the share of the time
it was seen moving (``MovingShare``): seeded before the pass from pairs of frames about
a second apart spread over the whole recording (so clutter that moves from the first
frame is known from the first frame), then followed over ``memory`` seconds; where
keyframes are too far apart for such pairs, learned from the pass's first looks.
Motion there cannot start a presence: only motion elsewhere, or someone already held, can.

People who stay in one place and keep moving (players taking turns to shoot, someone
working out) move there as often as leaves do, but what moves is shaped like a person
standing: at least ``person_height`` of the picture tall and taller than wide. Such
blobs are not learned as clutter; a flag, a plant or a screen is as wide as it is
tall or wider, or in pieces. Where someone's motion comes in pieces too (jumping rope:
arms, rope, the hem of their shorts), a people detector tells the place is theirs
(``highlight.scorers.people``, ``spare``).

Nor can what was seen moving with nobody in view in the seconds before the visit began
(``moved_before``), clutter or not, hold a presence: balloons or leaves swaying where a
walker passed differ from the empty scene long after the walker has gone, also when
they began to sway a second before he came, too new to be clutter. What starts the
visit, and what moved where it starts, is the visitor (someone working out in one place
moves there between their sets too), unless it is clutter: a TV the visitor walks past
went on before them and goes on after they leave.
"""

from __future__ import annotations

import cv2
import imutils
import numpy as np

CLUTTER_SHARE = 0.4  # moving this share of the time or more, in the same place: clutter, not a visit
NOISE_SIGMAS = 5.0  # what differs by this many of the noise's standard deviations moved (MOG2's default too)
REACH = 7  # pixels (of the analysed picture) around a busy one that clutter may swing into
UPRIGHT = 1.5  # someone standing is at least this many times taller than wide (blurred, in action: 1.5-4)
SWEPT_SECONDS = 10.0  # clutter sweeps its whole swing within this (swings of 1-3 s, sampled a second apart)
SEED_PAIRS = 8  # pairs of frames a second apart needed to seed how often a place moves
# Of still pixels' absolute changes between two samples, the median is this many of the noise's standard
# deviation: of one grey level's change, and of the largest of three colours' ((2 Phi(m) - 1)^3 = 1/2)
EXACT_COUNTS = 2**24  # OpenCV's histogram counts in 32-bit floats: whole numbers below this are exact
MEDIAN_OF_ONE = 0.6745
MEDIAN_OF_THE_LARGEST = 1.265


class MovingShare:
    """How often each place (pixel) is seen moving: seeded from pairs of frames, then followed over ``memory`` seconds.

    A place is busy (clutter) where it moved in ``CLUTTER_SHARE`` of the looks or more,
    once ``SEED_PAIRS`` looks were taken: from one pair, whatever moved then (someone
    squatting, a passer-by) would be busy at a share of 1, and nothing moving there could
    start a visit for the next minute. Where the pairs are too few (keyframes far apart:
    x264's default of one every 250 frames, or one for the whole recording) the share is
    the mean of the pass's own looks until ``memory`` seconds of them are in, then their
    average over the last ``memory`` seconds: leaves swaying from the first frame are
    known a few seconds in, not a minute (an average from 0 over 120 s takes 60 s to reach 0.4).
    """

    def __init__(self, shape: tuple[int, ...], memory: float):
        self.share = np.zeros(shape[:2], np.float32)
        self.memory = memory
        self.looks = 0
        self.seconds = 0.0  # of the pass's looks learned from, up to ``memory``

    def seed(self, masks: list[np.ndarray]) -> None:
        """Start from the pairs' motion (1 = moved), spread over the recording; too few say nothing."""
        masks = [mask for mask in masks if mask.shape == self.share.shape]
        if len(masks) >= SEED_PAIRS:
            self.share = np.mean(np.stack(masks), axis=0).astype(np.float32)
            self.looks, self.seconds = len(masks), self.memory  # the whole recording, looked at evenly

    def learn(self, moved: np.ndarray, gap: float) -> None:
        """One more look (1 = moved), ``gap`` seconds after the last."""
        if moved.shape != self.share.shape:
            return
        self.seconds = min(self.memory, self.seconds + max(gap, 0.0))
        rate = min(1.0, max(gap, 0.0) / self.seconds) if self.seconds > 0 else 1.0
        cv2.accumulateWeighted(moved.astype(np.float32), self.share, rate)
        self.looks += 1

    def known(self) -> bool:
        """Whether enough looks were taken to tell a busy place (``SEED_PAIRS``)."""
        return self.looks >= SEED_PAIRS

    def busy(self) -> np.ndarray:
        """255 where the place moves ``CLUTTER_SHARE`` of the time or more (nothing before it is ``known``)."""
        if not self.known():
            return np.zeros(self.share.shape, np.uint8)
        return (self.share >= CLUTTER_SHARE).astype(np.uint8) * 255


class ClutterMap:
    def __init__(self, shape: tuple[int, ...], memory: float, person_height: float):
        self.moving = MovingShare(shape, memory)
        self.shape = self.moving.share.shape
        self.person_height = person_height
        self._idle = np.full(self.shape, -np.inf, np.float32)  # when clutter last moved with nobody in view
        self._idle_other = np.full(self.shape, -np.inf, np.float32)  # and anything else
        self._people: np.ndarray | None = None  # where someone was seen working out in place (255): never clutter

    def seed(self, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Start from how often each pixel moved between the two frames of each pair (``MovingShare.seed``)."""
        self.moving.seed([self._not_people(moved_between(a, b)) for a, b in pairs if a.shape == b.shape])

    def learn(self, motion: np.ndarray, gap: float) -> None:
        """Follow the share with this sample's motion mask (255 = moving), ``gap`` seconds after the last."""
        if motion.shape == self.shape:
            self.moving.learn(self._not_people((motion > 0).astype(np.uint8)), gap)

    def outside(self, motion: np.ndarray) -> np.ndarray:
        """The motion mask without the clutter (and the margin leaves swing into)."""
        if motion.shape != self.shape:
            return motion
        return cv2.bitwise_and(motion, cv2.bitwise_not(self.mask()))

    def mask(self) -> np.ndarray:
        """255 where the clutter is, and the margin leaves swing into."""
        busy = cv2.dilate(self.moving.busy(), np.ones((REACH, REACH), np.uint8))
        return busy if self._people is None else cv2.bitwise_and(busy, cv2.bitwise_not(self._people))

    def spare(self, people: np.ndarray) -> None:
        """Where someone was seen working out in place (255, ``highlight.scorers.people``): not clutter."""
        if people.shape == self.shape and people.any():
            self._people = people

    def spared(self, motion: np.ndarray) -> np.ndarray | None:
        """The part of ``motion`` (255 = moving) where someone works out in place; None where there is no such place."""
        if self._people is None or motion.shape != self._people.shape:
            return None
        return cv2.bitwise_and(motion, self._people)

    def note_idle(self, motion: np.ndarray, t: float) -> None:
        """This regular sample's motion (255 = moving), taken with nobody in view: where things moved then.

        Clutter or not: balloons that began to sway a moment before someone came, too new
        to be clutter yet, are as much not the visitor as clutter is.
        """
        if motion.shape == self.shape:
            clutter = self.mask()
            self._idle[cv2.bitwise_and(motion, clutter) > 0] = t
            self._idle_other[cv2.bitwise_and(motion, cv2.bitwise_not(clutter)) > 0] = t

    def moved_before(self, start: float, theirs: np.ndarray | None = None) -> np.ndarray | None:
        """Where things moved with nobody in view in the ``SWEPT_SECONDS`` before ``start`` (255), or None.

        Taken as a visit begins: where things were swaying before the visitor came. Each
        place is filled to its convex hull (a plain balloon shifted by a few pixels moves
        at its rim only, and its middle, shifted too, differs from the empty scene as
        much), and what is not clutter with what is within ``REACH`` of it (a bunch,
        whichever of it moved; the clutter mask takes in that margin already).
        What is not clutter and reaches what starts the visit (``theirs``, 255) is the
        visitor's own: someone who moved there a moment before they were sure to be
        someone. Clutter is not: it moved there before them, and goes on after they leave.
        """
        places = _hulls(self._idle, start)
        for place in _hulls(np.maximum(self._idle, self._idle_other), start, REACH):
            if theirs is None or theirs.shape != place.shape or not cv2.bitwise_and(place, theirs).any():
                places.append(place)
        return np.bitwise_or.reduce(places) if places else None

    def _not_people(self, moved: np.ndarray) -> np.ndarray:
        """``moved`` (1 = moved) without the blobs shaped like a standing person."""
        contours = imutils.grab_contours(cv2.findContours(moved, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE))
        for contour in contours:
            if is_upright(cv2.boundingRect(contour), moved.shape[0], self.person_height):
                cv2.drawContours(moved, [contour], -1, 0, thickness=-1)
        return moved


def _hulls(last_moved: np.ndarray, start: float, reach: int = 1) -> list[np.ndarray]:
    """Each place that moved in the ``SWEPT_SECONDS`` before ``start`` (``last_moved``: when each pixel
    last did), with what is within ``reach`` pixels of it, filled to its convex hull: one mask (255) each."""
    moved = ((last_moved >= start - SWEPT_SECONDS) & (last_moved < start)).astype(np.uint8) * 255
    if not moved.any():
        return []
    moved = cv2.dilate(moved, np.ones((reach, reach), np.uint8))
    outlines, _ = cv2.findContours(moved, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    blank = np.zeros_like(moved)
    return [cv2.drawContours(blank.copy(), [cv2.convexHull(outline)], -1, 255, thickness=-1) for outline in outlines]


def is_upright(box: tuple[int, int, int, int], picture_height: int, person_height: float) -> bool:
    """A bounding box (x, y, width, height) with the shape of someone standing: tall enough, taller than wide."""
    _, _, width, height = box
    return height >= person_height * picture_height and height >= UPRIGHT * width


def unlike_each(image: np.ndarray, pictures: tuple[np.ndarray | None, ...], threshold: float) -> np.ndarray:
    """255 where ``image`` differs by more than ``threshold`` grey levels from each of ``pictures``.

    A picture that is None or of another size is not compared. Someone in view differs from
    every picture of the empty scene (the median over the video, the last quiet sample).
    """
    unlike = np.full(image.shape, 255, np.uint8)
    for picture in pictures:
        if picture is not None and picture.shape == image.shape:
            differs = cv2.threshold(cv2.absdiff(image, picture), threshold, 255, cv2.THRESH_BINARY)[1]
            unlike = cv2.bitwise_and(unlike, differs)
    return unlike


def noise_of(change: np.ndarray, median_of_noise: float = MEDIAN_OF_ONE) -> float:
    """The camera noise's standard deviation, from the absolute changes between two frames (``median_of_noise``:
    which changes, one grey level's or the largest of three colours'). Most pixels are still between two samples,
    so the median change is the noise's."""
    return median_of(change) / median_of_noise


def median_of(values: np.ndarray) -> float:
    """``np.median(values)``; for 8-bit values counted from their histogram, in one pass instead of a sort.

    The detector takes the median change of the border band at every sample.
    """
    if values.dtype != np.uint8 or not 0 < values.size < EXACT_COUNTS:
        return float(np.median(values))
    counts = cv2.calcHist([values.reshape(len(values), -1)], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(counts.astype(np.int64))
    count = int(cumulative[-1])
    lower = int(np.searchsorted(cumulative, (count - 1) // 2, side="right"))
    upper = int(np.searchsorted(cumulative, count // 2, side="right"))
    return (lower + upper) / 2.0


def moved_between(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """1 where the two frames differ by more than ``NOISE_SIGMAS`` of the camera's noise (most pixels are still).

    ``where`` (non-zero = these pixels): measure the noise there only.
    """
    difference = cv2.absdiff(a, b)
    noise = max(1.0, noise_of(difference if where is None else difference[where > 0]))
    moved = cv2.threshold(difference, NOISE_SIGMAS * noise, 1, cv2.THRESH_BINARY)[1]
    return cv2.morphologyEx(moved, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
