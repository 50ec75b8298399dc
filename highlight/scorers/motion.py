"""The default scorer: is someone (something) in view of a fixed camera?

No training: the empty scene is learned from the recording itself.

* ``prepare`` builds a background plate, the per-pixel median of frames spread over
  the whole video, and seeds the model with it. The median ignores anyone who moves
  around, so a player already on court when recording starts is not learned as
  background (a first-frame model would show a "ghost" when they leave).
* A Gaussian mixture per pixel (OpenCV MOG2) then follows slow lighting change; its
  per-pixel variance absorbs sensor noise.
* Each frame is scaled to a small grey image, blurred (compression blocks and noise),
  and its brightness normalised to the plate's (auto exposure, clouds). A recording
  left dark (dusk) is lifted first, as a camera exposing on its own would have lifted
  it (``highlight.scorers.exposure``): the grey-level thresholds are for an exposed picture.
* The foreground mask is opened (isolated pixels are noise, not people), and only blobs
  of at least ``min_blob`` of the frame count: scattered specks of noise or leaves add
  up to an area, but never to a person. The score is ``1 - exp(-area / reference_area)``:
  0 for an empty scene, about 0.6 when a region the size of ``reference_area`` (a
  fraction of the frame) moves, near 1 for more.
* Presence survives stillness. The adaptive model slowly learns whatever stands
  still (and a plate taken while someone stood in one spot for most of the video
  already contains them), so a person who stops to read or rest scores 0. Once
  something has entered (the adaptive model saw a blob of ``reference_area``), it is
  held present for as long as a person-sized part of the picture (``person_height``
  tall, or cut by the frame's edge: someone partly in view) differs from *both*
  pictures of the empty scene: the last sample in which nothing moved, taken just
  before they came in, and the plate. It ends when the picture is back to either
  (they left): a door that was already opening in that last quiet sample does not
  keep a visit alive for good. On clutter, a difference holds it only where they were
  last seen (``_continuing``): leaves at the frame's edge differ from the empty scene
  as they sway. And what holds them must stay about their size: fallen to a quarter
  a moment after a walk (``_held_share``, ``_left``), with nothing moving there that could
  start a visit (a flag flapping beside where they stood swings in place) and most of
  it changing from sample to sample, it is what else is there (leaves shifted by a
  gust), and they have left. Someone in view from the first frame who stood at one spot
  for most of the recording is in both pictures of the empty scene: once they walk out
  and nothing of a person's size changes any more, what holds the visit away from where
  the picture last did, the same as a sample ago but not as ``HELD_SECONDS`` ago, where
  the adaptive model sees nothing (it knows that picture from the rest of the
  recording), is the scene they uncovered (``_uncovered``); the edge watch's border band
  shows the empty border there. Only an entry starts a presence, so a lighting change
  with nobody in view (normalised brightness, a model that follows it) does not; and
  after ``hold`` seconds with nothing moving where they are (motion elsewhere, noise,
  leaves, a clock, does not count), what is left (a moved chair) becomes part of the
  scene. Someone working out on one spot is in the plate: when they pause, the presence
  ends, and their motion where they were last seen, within ``SWAY_SECONDS``, starts it
  again; not where someone walked just before it ended (``_walked_out``): they left.
  What was seen moving with nobody in view in the seconds before the entry, clutter or
  not, and apart from what starts it (``ClutterMap.moved_before``), does not hold a
  presence: balloons swaying where a walker passed and left, also when they began to
  sway only a second before.
* Clutter cannot start a presence (``highlight.scorers.clutter``): what moves in the
  same place whenever one looks (leaves, a flag, an escalator, a TV), measured over
  the whole recording before the pass and followed during it. A place where a people
  detector sees someone standing in the frames spread over the recording is someone
  working out on one spot, not clutter (``highlight.scorers.people``). Not inside a
  ``--region``: the user drew it around where the action happens, and there what
  moves again and again is the action (a ball through the net, shot after shot: a
  quarter to half of a practice's seconds); ``--exclude`` is how to ignore a swaying
  thing there.
* Swaying things cannot start a presence (``highlight.scorers.sway``): new motion must
  come in through the frame's edge, stand like a person, or travel; balloons or a plant
  that start to sway partway through swing in place. A start that is sure only a
  sample or two late is placed where they came into view (``began_at``). Only samples
  close enough to follow it tell whether it travels: while something is undecided so,
  or someone paused where they work out a moment ago, the pass does not skip a quiet
  stretch's frames (``watching``), which a keyframe apart (two seconds in a messaging
  app's copy) sees each sight of it alone. Where something was held back so, with
  nobody in view and where nobody has been, it is remembered: a flag in a later gust
  starts nothing there, nor holds a visit. So is where a visit that came in at once,
  and in which nobody walked, came in and was held (``SwayWatch.came_to_nothing``): a
  bush's rim, bent by a gust, does not start one at once there at the next gust.
* Once the pass is over (``settle``), a visit in which nothing moved but what moves by
  itself (a gust, a rim cut by the edge) is taken back (``highlight.scorers.recheck``):
  the looks with nobody in view (before it, or the recording's first ones) show where
  things sway, as the pass, judging each look as it came, could not yet tell.
* A picture padded with black bars (``highlight.scorers.letterbox``) is the frame: the
  detector is handed the picture inside them (``FramePart``), so that its edges, its
  border band and the detector's width are the picture's, as if it had been filmed so.
  Not where regions are drawn (on the frame, as the user saw it).
* People partly in view at the frame's edges (``highlight.scorers.edges``): the border
  band in 4 times the detail, cut from the full frame; what is cut by the edge and
  travels along it counts as someone (``reference_area``), feet along the top too.
* A camera shaking in place (``highlight.scorers.steady``; a phone on a tripod in the
  wind, or held by hand on a scene): where the frames spread over the recording say so,
  each sample, and its border band, is lined up with the empty scene before it is
  compared with it; what the shake uncovered shows the empty scene.
* A moving camera (``highlight.scorers.camera``): where most of the picture moves
  together, only what moves against it counts, and the manifest's detector entry
  says so in one line (``camera``), as it does for a shaking one.
* Regions (``--region``/``--exclude``): only the looked-at pixels count, and areas are
  fractions of them, not of the frame: a ball in a hoop region is a blob of the region.
  The scorer works on the regions' bounding box, scaled to ``width`` pixels (up to
  the full resolution), so a small region is seen with as much detail as a whole
  frame would be, at the same cost.
* ``ball_only`` (the shots preset): in a region around a hoop, only what could be a ball
  counts. The scorer also looks a ball's reach beyond the region, and an object that
  reaches out of it further than that (someone walking past near the camera) is left
  out (``highlight.scorers.bodies``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import cv2
import imutils
import numpy as np

from highlight.options import Option
from highlight.regions import Region, parse_regions, region_mask
from highlight.scorers.base import Scorer
from highlight.scorers.bodies import Box, ball_reach, grown, shaken, without_bodies
from highlight.scorers.camera import camera_motion, moves_against_camera
from highlight.scorers.clutter import REACH, ClutterMap, unlike_each
from highlight.scorers.edges import DETAIL, EdgeWatch
from highlight.scorers.exposure import exposure_gain, gain_table
from highlight.scorers.letterbox import picture_box
from highlight.scorers.light import relit
from highlight.scorers.people import SEEN_SHARE, people_places
from highlight.scorers.recheck import VisitRecheck
from highlight.scorers.steady import Steadier, displacement, shakes_in_place, steadied, uncovered
from highlight.scorers.sway import LINK_SECONDS, SWAY_SECONDS, SwayWatch, within_seconds
from highlight.source import Frame, FramePart, VideoSource, box_size, fit_size

CAMERA_MOTION_AREA = 0.05  # share of the picture that must change between two samples for a moving camera
MAX_BORDERS = 64  # border images made by ``image_for`` waiting for ``score``
EXPOSURE_PROBES = 3  # keyframes spread over the video that tell how it was exposed, and where black bars are
SHRINK_SECONDS = 5.0  # how far back someone's walking counts: leaving, not pausing
HELD_SECONDS = 10.0  # how far back what held someone counts: their size before they set off to walk out
SHRINK = 0.25  # of what differed there in those seconds: less, a moment after a walk, is what else is there


@dataclass(frozen=True)
class _View:
    """Where the scorer looks: a crop of the upright frame scaled to a working size."""

    full_size: tuple[int, int]  # the whole frame at the scale the crop is taken from
    box: Box  # left, top, right, bottom in that image
    mask: np.ndarray | None  # 255 where to look inside the box; None: all of it
    regions_box: Box | None = None  # with a ball's reach around the regions: their box inside the crop
    reach: int = 0  # pixels of the crop around ``regions_box``: how far a ball can stick out of the regions

    @property
    def pixels(self) -> int:
        left, top, right, bottom = self.box
        return int(np.count_nonzero(self.mask)) if self.mask is not None else (right - left) * (bottom - top)


def make_view(
    include: tuple[Region, ...],
    exclude: tuple[Region, ...],
    frame_size: tuple[int, int],
    width: int,
    ball_reach_around: bool = False,
) -> _View:
    """The crop around the include regions (all the frame without one); the regions ``width`` pixels wide.

    ``ball_reach_around``: the crop also holds a ball's reach around the regions
    (``highlight.scorers.bodies``), to tell a ball in them from a body passing by.
    """
    boxes = [region.fractions(frame_size) for region in include]
    if boxes:
        corners = np.clip(np.concatenate(boxes), 0.0, 1.0)
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 1.0, 1.0
    scale_width = min(frame_size[0], round(width / max(x1 - x0, 1e-3)))
    full_w, full_h = fit_size(frame_size, scale_width, None)
    box = (
        int(x0 * full_w),
        int(y0 * full_h),
        max(int(x0 * full_w) + 2, round(x1 * full_w)),
        max(int(y0 * full_h) + 2, round(y1 * full_h)),
    )
    mask = region_mask(include, exclude, frame_size, (full_w, full_h))
    regions_box, reach = None, 0
    if ball_reach_around and include and mask is not None:
        reach = ball_reach(int(np.count_nonzero(mask[box[1] : box[3], box[0] : box[2]])))
        crop = grown(box, reach, (full_w, full_h))
        regions_box = (box[0] - crop[0], box[1] - crop[1], box[2] - crop[0], box[3] - crop[1])
        box = crop
    if mask is not None:
        mask = np.ascontiguousarray(mask[box[1] : box[3], box[0] : box[2]])
    return _View((full_w, full_h), box, mask, regions_box, reach)


class _Spread(NamedTuple):
    """A frame spread over the video, as ``prepare`` learns the scene from it."""

    time: float
    small: np.ndarray  # the grey image the detector works on
    border: np.ndarray | None  # its border band in detail, where edges are watched
    detail: np.ndarray | None  # the whole picture in the band's detail (grey), where clutter is watched
    shift: np.ndarray | None  # how the picture moved since the first of them (``scorers.steady``)
    steady: tuple[np.ndarray, np.ndarray | None] | None  # (small, border) lined up with the first, where it shook

    def steadied(self) -> _Spread:
        """The frame lined up with the first of them, where it shook."""
        return self if self.steady is None else self._replace(small=self.steady[0], border=self.steady[1])


class MotionScorer(Scorer):
    name = "motion"
    description = "Someone (something) in view of a fixed camera; no training, learns the empty scene"
    supports_regions = True
    # An edge track starts within SWAY_SECONDS of its birth; a swaying object that
    # travels, from its previous sighting (at most LINK_SECONDS before).
    look_back = max(SWAY_SECONDS, LINK_SECONDS)
    options = (
        Option("width", "integer", 160, "Width the frames (or the region) are analysed at.", unit="px", minimum=16),
        Option(
            "history",
            "seconds",
            120.0,
            "How long the background model remembers: slower change becomes background.",
            unit="s",
            minimum=0,
            above_minimum=True,
        ),
        Option(
            "var_threshold",
            "number",
            25.0,
            "How far (squared, MOG2) a pixel must differ from the background to count.",
            minimum=0,
            above_minimum=True,
        ),
        Option(
            "reference_area",
            "number",
            0.002,
            "Moving area, as a fraction of the frame (or region), that scores about 0.6.",
            minimum=0,
            maximum=1,
            above_minimum=True,
        ),
        Option(
            "min_blob",
            "number",
            0.0004,
            "Smallest blob that counts, as a fraction of the frame (or region).",
            minimum=0,
            maximum=1,
        ),
        Option(
            "plate_frames", "integer", 15, "Frames spread over the video that make the empty-scene plate.", minimum=1
        ),
        Option(
            "hold_threshold",
            "number",
            30.0,
            "Grey levels from the empty scene that still mean someone is there.",
            minimum=0,
            maximum=255,
        ),
        Option(
            "person_height",
            "number",
            0.06,
            "Smallest height of someone in view, as a fraction of the frame (or region) height: "
            "only a blob this tall (or cut by the frame's edge) holds a presence.",
            minimum=0,
            maximum=1,
        ),
        Option(
            "hold",
            "seconds",
            300.0,
            "Someone still for longer than this, with nothing moving, becomes part of the scene.",
            unit="s",
            minimum=0,
        ),
        Option(
            "texture_std",
            "number",
            6.0,
            "Grey levels of texture the light-change test needs to see.",
            minimum=0,
            maximum=255,
        ),
        Option(
            "camera_shift",
            "number",
            0.01,
            "The whole picture shifting by this fraction of its width between samples is the camera moving.",
            minimum=0,
            maximum=1,
        ),
        Option(
            "relit_correlation",
            "number",
            0.8,
            "A blob this correlated with the background's texture is light, not someone.",
            minimum=-1,
            maximum=1,
        ),
        Option(
            "relit_ratio_spread",
            "number",
            0.03,
            "On flat areas: a blob one brightness ratio away from the background (within this spread) is light.",
            minimum=0,
        ),
        Option(
            "texture_spread",
            "number",
            0.1,
            "On textured areas: how far light's brightness ratio may spread (texture edges blur), besides the correlation.",
            minimum=0,
        ),
        Option(
            "ball_only",
            "flag",
            False,
            "In a --region around a hoop, count only what could be a ball: an object reaching out of the region "
            "further than a ball could (someone walking past near the camera) is left out. On with --preset shots.",
        ),
    )

    def __init__(self, sample_fps: float = 2.0, regions=(), excludes=(), **options):
        super().__init__(sample_fps, regions, excludes, **options)
        self._view: _View | None = None
        self._empty: np.ndarray | None = None  # the last sample with nothing in view
        self._plate: np.ndarray | None = None  # the scene as it looks most of the time (median over the video)
        self._present = False
        self._moved_before: np.ndarray | None = None  # where things moved in the seconds before this presence
        self._ended = False  # the last regular sample ended a presence
        self._where: np.ndarray | None = None  # where the one present was last seen (their motion, what held them)
        self._moved_at: np.ndarray | None = None  # where the picture last changed by a person's size, this presence
        self._moved_when = -math.inf  # and when (a regular sample; during a presence)
        self._been: np.ndarray | None = None  # everywhere someone was seen present, all recording long
        self._left_at = -math.inf  # when that presence ended
        self._walked_out = False  # someone walked a moment before it ended: they walked out, not paused
        self._still_since: float = 0.0  # seconds since the adaptive model last saw motion
        self._held_sizes: list[tuple[float, float]] = []  # (time, what held the one present), the last seconds
        self._recent: list[tuple[float, np.ndarray]] = []  # (time, picture) of the regular samples, the last seconds
        self._last_time: float | None = None  # of the last regular (learning) sample
        self._next_times: list[float] = []  # of the images of the next ``score`` call (``expect_times``)
        self._model = self._new_model()
        self._clutter = ClutterMap((1, 1), self.history, self.person_height)
        self._sway = SwayWatch(self.person_height)
        self._edges: EdgeWatch | None = None  # the border band in detail; None inside a --region
        # id(image) -> (image, its border strip, where that shows nothing of the frame: the camera shook)
        self._borders: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._recheck: VisitRecheck | None = None  # after the pass, visits of nothing but what sways by itself
        self._brightness = 128.0
        self._previous: np.ndarray | None = None  # the last regular sample, to measure the camera's motion
        self._camera_samples = [0, 0]  # regular samples in which the camera moved, of all
        self._steadier: Steadier | None = None  # lines a camera shaking in place up with the empty scene
        self._shook = 0.0  # how far it shook, as a fraction of the width (0: it did not)
        self._gain = 1.0  # every grey level is multiplied by it: a recording left dark (``scorers.exposure``)
        self._lift: np.ndarray | None = None  # its lookup table (None: 1.0)
        self._picture: Box | None = None  # the picture inside black bars, in the frame's pixels (None: no bars)

    @property
    def _watches_edges(self) -> bool:
        """Whether people partly in view at the frame's edges are looked for: not inside a region (no frame edge)."""
        return not self.regions

    @property
    def _watches_clutter(self) -> bool:
        """Whether repeated motion in one place is clutter, or swaying: not inside a region drawn around the action."""
        return not self.regions

    def _new_model(self):
        samples = max(10, int(self.history * self.sample_fps))
        model = cv2.createBackgroundSubtractorMOG2(
            history=samples, varThreshold=self.var_threshold, detectShadows=False
        )
        return model

    def learning_rate_after(self, seconds: float) -> float:
        """MOG2's learning rate for a sample ``seconds`` after the previous one.

        The model forgets over ``history`` *seconds*: samples a second apart (keyframes)
        each weigh twice what samples half a second apart do, so the background adapts
        at the same speed in time whatever the spacing. At most 0.1: one sample never
        rewrites the background.
        """
        return min(0.1, max(seconds, 0.0) / self.history)

    def prepare(self, source: VideoSource) -> None:
        self._model = self._new_model()
        probes = self._probes(source)
        self._picture = self._find_picture(probes)
        frame_size = box_size(self._picture) if self._picture else (source.info.width, source.info.height)
        self._view = make_view(
            parse_regions(self.regions), parse_regions(self.excludes), frame_size, self.width, self.ball_only
        )
        self._empty, self._plate, self._present, self._still_since, self._last_time = None, None, False, 0.0, None
        self._moved_before, self._held_sizes, self._recent = None, [], []
        self._previous, self._camera_samples, self._ended = None, [0, 0], False
        self._where, self._been, self._left_at = None, None, -math.inf
        self._moved_at, self._moved_when = None, -math.inf
        self._sway, self._borders = SwayWatch(self.person_height), {}
        self._edges, self._steadier, self._shook = None, None, 0.0
        self._recheck = None
        self._gain = self._exposure(probes)
        self._lift = gain_table(self._gain)
        if self._watches_edges:
            detail = fit_size(frame_size, min(frame_size[0], DETAIL * self.width), None)
            reach = max(1, round(REACH * detail[0] / self._view.full_size[0]))
            share = detail[0] / (DETAIL * self.width)
            self._edges = EdgeWatch(
                detail, self.min_blob, self.hold_threshold, self.hold, self._light, self.history, reach, share
            )
        spread = self._spread_frames(source)
        self._steadier = self._steadier_for(spread)
        if self._steadier is not None:
            spread = [frame.steadied() for frame in spread]
        elif self._watches_clutter and not self.ball_only:  # presence, a fixed camera
            self._recheck = VisitRecheck(self._counted_area, self.reference_area)
        images = [frame.small for frame in spread]
        median = np.median(np.stack(images), axis=0) if len(images) >= 3 else None
        self._clutter = ClutterMap(images[0].shape if images else (1, 1), self.history, self.person_height)
        pairs = self._partners(source, spread)
        if self._watches_clutter:
            self._clutter.seed([(small, partner) for small, partner, _ in pairs])
            self._spare_people(spread, median)
        if median is None:
            return
        if self._edges is not None:
            borders = [frame.border for frame in spread if frame.border is not None]
            self._edges.seed(borders, [(border, partner) for _, _, (border, partner) in pairs if border is not None])
        plate = median.astype(np.uint8)
        if self._steadier is not None:  # the plate is in the first spread frame's place, and has nobody in it
            self._steadier = Steadier.of(plate, least=0.0, frame_width=self._steadier.frame_width)
        self._brightness = float(plate.mean()) or 128.0
        self._empty = plate  # until a sample with nothing moving is seen
        self._plate = plate
        # Start from the plate, then let the spread frames teach each pixel its real
        # variance (seeding with the plate alone leaves it near zero, and every bit of
        # noise would be foreground until the model caught up). Someone in one or two
        # of the spread frames gets a low-weight mode, which is not background.
        self._model.apply(plate, learningRate=1.0)
        rate = 0.5 / len(images)  # someone in one or two of them stays well below a background mode's weight
        for image in images:
            self._model.apply(self._normalise(image), learningRate=rate)
        self._model.apply(plate, learningRate=rate)

    def _probes(self, source: VideoSource) -> list[Frame]:
        """``EXPOSURE_PROBES`` keyframes spread over the video, as decoded; none for a live stream (no duration to
        spread them over)."""
        duration = source.info.duration
        if duration <= 0 or not math.isfinite(duration):
            return []
        times = [duration * (k + 0.5) / EXPOSURE_PROBES for k in range(EXPOSURE_PROBES)]
        return [frame for frame in map(source.frame_near, times) if frame is not None]

    def _find_picture(self, probes: list[Frame]) -> Box | None:
        """The picture inside black bars (``highlight.scorers.letterbox``) in ``probes``, in the upright frame's
        pixels; None without bars, and where regions are drawn (on the frame, as the user saw it)."""
        if not probes or self.regions or self.excludes:
            return None
        found = picture_box([frame.image(fmt="gray") for frame in probes])  # at full size: to the pixel
        if found is None:
            return None
        width, height = probes[0].size
        left, top, right, bottom = found
        return round(left * width), round(top * height), round(right * width), round(bottom * height)

    def _framed(self, frame: Frame) -> Frame | FramePart:
        """What the detector looks at of ``frame``: the picture inside its black bars, or all of it."""
        return frame if self._picture is None else FramePart(frame, self._picture)

    def _exposure(self, probes: list[Frame]) -> float:
        """The gain that lifts a recording left dark (``highlight.scorers.exposure``), from the whole picture in
        the ``probes`` (not a region's crop: the camera exposed for all of it; not its black bars), as decoded;
        1.0 without probes (a live stream)."""
        if not probes:
            return 1.0
        return exposure_gain([self._framed(frame).image(width=self.width, fmt="gray") for frame in probes])

    def _lifted(self, grey: np.ndarray) -> np.ndarray:
        """``grey`` with the recording's exposure gain applied (itself where it needs none)."""
        return grey if self._lift is None else cv2.LUT(grey, self._lift)

    def _steadier_for(self, spread: list[_Spread]) -> Steadier | None:
        """What lines the samples up with the spread frames' reference (the first taken), where those frames say
        the camera shakes in place; None for a fixed camera (nothing is moved, nor spent on it in the pass)."""
        if self._steadier is None:
            return None
        width = self._steadier.frame_width
        shifts = [frame.shift for frame in spread]
        if not shakes_in_place(shifts, [frame.time for frame in spread], width):
            return None
        self._shook = max(displacement(shift) for shift in shifts if shift is not None) / width
        return replace(self._steadier, least=0.0)  # the same reference and corners: every shake is undone now

    def _spread_frames(self, source: VideoSource) -> list[_Spread]:
        """Distinct frames spread evenly over the video."""
        duration = source.info.duration
        if duration <= 0 or self.plate_frames < 3:
            return []
        targets = [duration * (k + 0.5) / self.plate_frames for k in range(self.plate_frames)]
        chosen: dict[float, _Spread] = {}  # target -> the frame taken for it
        for t in targets:
            frame = source.frame_near(t)  # a keyframe: cheap
            if frame is not None and frame.time not in {spread.time for spread in chosen.values()}:
                chosen[t] = self._spread(frame)
        self._decode_up_to(source, [t for t in targets if t not in chosen], chosen)
        return [chosen[t] for t in targets if t in chosen]

    def _decode_up_to(
        self,
        source: VideoSource,
        targets: list[float],
        chosen: dict[float, _Spread],
    ) -> None:
        """The first frame in [t, t + 1 s] for each target whose keyframe was taken already, in one forward pass.

        Keyframes far apart (a camera that writes one GOP for the whole recording)
        would otherwise be decoded from the same keyframe again for each target: for
        15 targets, 7.5 times the recording (16 s of a 2 s 8K file). One pass decodes
        each frame once and keeps only the small grey image of those it takes.
        """
        pending = sorted(targets)
        if not pending:
            return
        taken = {spread.time for spread in chosen.values()}
        for frame in source.window(pending[0], pending[-1] + 1.0):
            while pending and frame.time > pending[0] + 1.0:  # no frame within a second of it
                pending.pop(0)
            if pending and frame.time >= pending[0] - 1e-6 and frame.time not in taken:
                chosen[pending.pop(0)] = self._spread(frame)
                taken.add(frame.time)
            if not pending:
                return

    def _spare_people(self, spread: list[_Spread], median: np.ndarray | None) -> None:
        """Places where someone stands in enough of the spread frames are theirs (``scorers.people``).

        Looked at: the clutter, and where the spread frames differ from their ``median``
        (None: fewer than 3 of them) in ``SEEN_SHARE`` of them or more (someone who stays
        there, moving; where keyframes are far apart the clutter map has no pairs to learn
        from before the pass).
        """
        pictures = [frame.detail for frame in spread if frame.detail is not None]
        if not pictures:
            return
        places = self._clutter.mask()
        if median is not None:
            smalls = np.stack([frame.small for frame in spread])
            differs = np.abs(smalls.astype(np.int16) - median) > self.hold_threshold
            often = (differs.mean(axis=0) >= SEEN_SHARE).astype(np.uint8) * 255
            places = cv2.bitwise_or(places, cv2.dilate(often, np.ones((REACH, REACH), np.uint8)))
        smallest = self.person_height * spread[0].small.shape[0]
        self._clutter.spare(people_places(places, pictures, smallest))

    def _spread(self, frame: Frame) -> _Spread:
        frame = self._framed(frame)
        detail = None
        if self._watches_clutter and self._edges is not None:  # people working out in place: looked at in detail
            detail = self._lifted(frame.image(width=self._edges.width, height=self._edges.height, fmt="gray"))
        small = self._small_grey(frame)
        if self._steadier is None:  # the first spread frame: the others are lined up with it
            self._steadier = Steadier.of(small, frame_width=self._view.full_size[0] if self._view else None)
        shift = self._steadier.shift(small) if self._steadier is not None else None
        shake = self._steadier.within(shift) if self._steadier is not None else None
        steady = None if shake is None else (steadied(small, shake), self._border(frame, shake))
        return _Spread(frame.time, small, self._border(frame), detail, shift, steady)

    def _partners(
        self, source: VideoSource, spread: list[_Spread]
    ) -> list[tuple[np.ndarray, np.ndarray, tuple[np.ndarray | None, np.ndarray | None]]]:
        """Beside each spread frame, the next keyframe where it comes 0.2 to 2 s later: what moves at that moment.

        (small image, its partner's, (their border strips where edges are watched)).
        The pairs seed the clutter map and the edge watch's. Where keyframes are far apart there are no
        pairs (decoding up to a partner would cost what ``_decode_up_to`` saves): the
        map then learns during the pass alone.
        """
        pairs = []
        for time, image, border, *_ in spread:
            partner = source.frame_near(time + 1.0)
            if partner is not None and time + 0.2 <= partner.time <= time + 2.0:
                partner = self._framed(partner)
                small, shake = self._steady(self._small_grey(partner))
                pairs.append((image, small, (border, self._border(partner, shake))))
        return pairs

    def _small_grey(self, frame: Frame | FramePart) -> np.ndarray:
        view = self._view or make_view((), (), frame.size, self.width)
        left, top, right, bottom = view.box
        grey = frame.image(width=view.full_size[0], height=view.full_size[1], fmt="gray")[top:bottom, left:right]
        return self._lifted(cv2.GaussianBlur(grey, (5, 5), 0))

    def _steady(self, small: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``small`` lined up with the empty scene where the camera shook in place (``scorers.steady``), and
        the shake (None: it did not, or it moved away).

        The strip the shake uncovered shows the empty scene (the plate, once there is one): the frame's
        edge pixels repeated there differ from it, and a shake of a few pixels made of them a strip cut
        by the frame's edge, taken for someone coming in (a hand-held camera swaying by 3-4% of the width).
        """
        shake = self._steadier.shake(small) if self._steadier is not None else None
        if shake is None:
            return small, None
        lined_up = steadied(small, shake)
        if self._plate is not None and self._plate.shape == lined_up.shape:
            lined_up = np.where(uncovered(lined_up.shape, shake) == 255, self._plate, lined_up)  # wholly uncovered
        return lined_up, shake

    def _border(self, frame: Frame | FramePart, shake: np.ndarray | None = None) -> np.ndarray | None:
        """The frame's border band in detail (``highlight.scorers.edges``), where edges are watched; of the
        frame lined up with the empty scene where the camera shook (``shake``, measured on the small picture).

        Not lifted by the exposure gain: in that detail a dark picture's noise is several grey levels,
        and lifted with it, speckles along a cloud's shadow at dusk differed from the empty border by
        ``hold_threshold`` and were someone at the edge for six seconds.
        """
        if self._edges is None:
            return None
        grey = frame.luma() if shake is None else None
        if grey is None:  # no brightness plane to cut from, or to line up: the whole frame at the band's detail
            grey = frame.image(width=self._edges.width, height=self._edges.height, fmt="gray")
        if shake is not None and self._view is not None:
            grey = steadied(grey, shake, self._edges.width / self._view.full_size[0])
        return self._edges.strip(grey)

    def _unseen_band(self, shake: np.ndarray | None) -> np.ndarray | None:
        """Where the border band lined up after ``shake`` shows nothing of the frame (a strip, 255), or None."""
        if shake is None or self._edges is None or self._view is None:
            return None
        size = (self._edges.height, self._edges.width)
        unseen = uncovered(size, shake, self._edges.width / self._view.full_size[0])
        return self._edges.strip_of_mask(unseen) if unseen.any() else None

    def image_for(self, frame: Frame) -> np.ndarray:
        frame = self._framed(frame)
        small, shake = self._steady(self._small_grey(frame))
        image = self._normalise(small)
        border = self._border(frame, shake)
        if border is not None:
            if len(self._borders) >= MAX_BORDERS:  # made and never scored: keep the newest only
                self._borders.pop(next(iter(self._borders)))
            self._borders[id(image)] = (image, self._normalise(border, float(small.mean())), self._unseen_band(shake))
        return image

    def _normalise(self, grey: np.ndarray, mean: float | None = None) -> np.ndarray:
        """Brightness scaled to the plate's (``mean``: the small image's, for its border strip)."""
        mean = float(grey.mean()) if mean is None else mean
        if mean > 1.0:
            grey = cv2.convertScaleAbs(grey, alpha=self._brightness / mean)
        return grey

    def expect_times(self, times: Sequence[float]) -> None:
        self._next_times = list(times)

    def settle(self, times: np.ndarray, scores: np.ndarray, exit_threshold: float) -> np.ndarray:
        """Visits in which nothing moved but what moves by itself, taken back (``highlight.scorers.recheck``)."""
        return scores if self._recheck is None else self._recheck.settle(times, scores, exit_threshold)

    def score(self, images: Sequence[np.ndarray], learn: bool = True) -> np.ndarray:
        times, self._next_times = self._next_times, []
        if len(times) != len(images):  # not told: ``1 / sample_fps`` apart, after the last learning sample
            start = (self._last_time or 0.0) + 1.0 / self.sample_fps
            times = [start + k / self.sample_fps for k in range(len(images))]
        scores = np.empty(len(images))
        for k, (t, image) in enumerate(zip(times, images)):
            gap = t - self._last_time if self._last_time is not None else 1.0 / self.sample_fps
            rate = self.learning_rate_after(gap) if learn else 0.0
            motion = self._model.apply(image, learningRate=rate)
            previous, camera, changed = self._previous, None, None
            if learn:
                self._previous = image
                changed = self._changed_since(previous, image)  # where the picture changed since the last sample
                camera = self._camera_moved(previous, image, changed)
            if camera is not None:  # the background moved: only what moves against it counts
                motion = moves_against_camera(previous, image, camera, self.hold_threshold)
                self._present = False  # no fixed empty scene to hold a still person against
            elif learn and self._watches_clutter:
                self._clutter.learn(cv2.morphologyEx(motion, cv2.MORPH_OPEN, self._kernel), gap)
            background = self._model.getBackgroundImage() if camera is None else None
            own = self._clutter.outside(motion) if camera is None else motion
            moving_own = self._blob_area(own, image, background)  # what can keep a presence
            travels = self._may_start(own, t, learn) if camera is None and self._watches_clutter else own
            starting = moving_own if travels is own else self._blob_area(travels, image, background)  # can start one
            if not self._present and travels is not own and self._left_lately(t) and not self._walked_out:
                starting = max(starting, self._blob_area(self._where_they_were(own), image, background))
            if self._present:
                if self._moved_before is not None:  # what was moving before the visit does not hold it
                    motion, own = self._visitors_own(motion), self._visitors_own(own)
                    moving_own = self._blob_area(own, image, background)
                moving = self._blob_area(motion, image, background)
            else:  # between samples at the end of a visit, the visit's own motion places the end, as it did
                moving = moving_own if not learn and self._ended else starting
            held = self._continuing(self._visitors_own(self._differs_from_empty(image))) if self._present else None
            still = self._blob_area(held, image, self._empty, person=True) if held is not None else 0.0
            if learn and not self._present and self._watches_clutter:
                self._clutter.note_idle(cv2.morphologyEx(motion, cv2.MORPH_OPEN, self._kernel), t)
            quiet = False  # this sample is the newest picture of the empty scene
            left_behind = None  # what held the one present a moment ago: the scene they uncovered as they left
            if learn:
                near = self._moves_near(motion, held, still)
                self._note_moved(changed, t)
                share = self._held_share(still, t)
                uncovered = still > 0.0 and self._uncovered(t, held, near, image, changed)
                if uncovered or self._left(t, travels, held, still, share, changed):
                    left_behind = held if uncovered else None
                    # they left: what differs now (the scene they uncovered, what else is there) is not them
                    still, moving, moving_own = 0.0, starting, starting
                self._ended = self._present
                quiet = self._follow_presence(image, starting, moving_own, still, near, gap)
                if self._present and not self._ended:
                    # not someone in view from the first sample, nor one who paused on their spot a moment ago
                    self._sway.visit_began(t, entered=previous is not None and not self._left_lately(t))
                    theirs = self._person_sized(cv2.bitwise_or(travels, self._where_they_were(own)))  # what started it
                    self._where = cv2.dilate(theirs, np.ones((REACH, REACH), np.uint8)) if theirs.any() else None
                    self._moved_before = _either(
                        self._clutter.moved_before(t, theirs), self._sway.swayed_places(theirs, t)
                    )
                self._ended &= not self._present
                self._note_where(own, held, t)
                self._remember(image, t)
                self._last_time = t
            at_edge = self._someone_at_edge(image, t, learn, quiet, left_behind) if camera is None else False
            seen = max(moving, still, self.reference_area if at_edge else 0.0)
            if learn and self._recheck is not None:
                if camera is None:
                    self._recheck.look(t, previous, image, at_edge and self._edges.judged_in_view)
                else:  # what moves against a moving camera is the whole picture
                    self._recheck = None
            scores[k] = 1.0 - math.exp(-seen / self.reference_area)
        return scores

    def _remember(self, image: np.ndarray, t: float) -> None:
        """Keep the regular samples of the last ``HELD_SECONDS`` (``_uncovered``: what was there that long ago)."""
        self._recent = [(when, picture) for when, picture in self._recent if t - when < HELD_SECONDS]
        self._recent.append((t, image))

    def _held_share(self, still: float, t: float) -> float:
        """What differs from the empty scene where the one present is (``still``), as a share of the most it was in
        the last ``HELD_SECONDS`` (1.0 with nobody present).

        Someone who stops stays their size, and one who sits down behind a desk still shows
        half of it. When they walk out, what differs from the empty scene falls to what
        else is there: leaves shifted by a gust, scattered specks the size of a far person
        each. Those held the visit for as long as the wind blew. Someone who moves on to
        where the wall is the colour of their shirt shrinks too; but they move where they
        are (``_moves_near``), or, standing there, do not change (``_changed``).
        """
        if not self._present:
            self._held_sizes = []
            return 1.0
        self._held_sizes = [(when, size) for when, size in self._held_sizes if t - when <= HELD_SECONDS]
        self._held_sizes.append((t, still))
        most = max(size for _, size in self._held_sizes)
        return still / most if most > 0.0 else 1.0

    def _left(
        self,
        t: float,
        travels: np.ndarray,
        held: np.ndarray | None,
        still: float,
        share: float,
        changed: np.ndarray | None,
    ) -> bool:
        """Whether the one present, what held them shrunk below ``SHRINK`` of what it was (``share``: ``_held_share``),
        has left: they walked in the last ``SHRINK_SECONDS`` (``SwayWatch.walked_at``), and what is left neither
        stands still (``_mostly_changed``: ``changed``, since the sample before) nor has anything moving where it
        is that could start a visit (``travels``: not what swings in place; blobs the detector counts, ``min_blob``).

        Someone working out on one spot is in the median plate: at the top of a push-up
        little of them differs from it, and they changed since the sample before; but
        they did not walk. A flag that began to flap beside someone while they stood
        there moves where they were after they walked out, but in place: it held the
        visit until the wind dropped.
        """
        if not self._walked_lately(t) or share >= SHRINK:
            return False
        near = self._moves_near(travels, held, still, counted=True)
        return not near and self._mostly_changed(held, changed)

    def _walked_lately(self, t: float) -> bool:
        """Whether someone walked (``SwayWatch.walked_at``) in the ``SHRINK_SECONDS`` before ``t``: leaving, not
        pausing."""
        return within_seconds(t - self._sway.walked_at, SHRINK_SECONDS)

    def _left_lately(self, t: float) -> bool:
        """Whether the last presence ended in the ``SWAY_SECONDS`` before ``t``: what moves where they were may be
        them, moving again on their spot."""
        return within_seconds(t - self._left_at, SWAY_SECONDS)

    def _uncovered(
        self, t: float, held: np.ndarray | None, moves_near: bool, image: np.ndarray, changed: np.ndarray | None
    ) -> bool:
        """Whether what holds the one present at ``t`` is the scene they uncovered as they set off: nothing of a
        person's size changed in the picture for more than ``LINK_SECONDS`` (``_moved_when``: whoever moved has
        gone, not paused between two moves), and away from where it last did (``_moved_at``: their walk ended
        elsewhere, out of view or through a door), it did not change since the sample before (``changed``), it
        did since ``HELD_SECONDS`` ago, and nothing moves where it is (``moves_near``: the adaptive model knows
        this picture there; the frames spread over the recording seeded it).

        Someone in view from the first frame who stays at one spot for most of the recording is
        in the median plate, and in every quiet sample: once they walk out, the wall they stood
        in front of differs from both, and held the visit to the end of the recording. Someone
        who walks and stops is where the picture last changed; someone who stood there all
        along, as another walks out, did not change; someone reading whom the model remembers
        from an earlier visit turns a page, and a leaf that changed elsewhere is no person;
        someone doing push-ups holds still at the top for a moment, their feet away from the
        arms that moved.
        """
        before = self._recent[0][1] if self._recent else None
        return (
            t - self._moved_when > LINK_SECONDS
            and not moves_near
            and held is not None
            and not self._meets(held, self._moved_at)
            and not self._mostly_changed(held, changed)
            and self._mostly_changed(held, self._changed_since(before, image))
        )

    def _meets(self, held: np.ndarray, moved_at: np.ndarray | None) -> bool:
        """Whether ``held`` touches ``moved_at`` (None: nowhere) within the reach of a swing (``REACH``)."""
        if moved_at is None or moved_at.shape != held.shape:
            return False
        return bool(cv2.countNonZero(cv2.bitwise_and(cv2.dilate(held, np.ones((REACH, REACH), np.uint8)), moved_at)))

    def _changed_since(self, before: np.ndarray | None, image: np.ndarray) -> np.ndarray | None:
        """255 where ``image`` differs from ``before`` (an earlier sample) by more than ``hold_threshold``; None
        without one of its size. Taken once per regular sample (the one before) and asked by each rule after."""
        if before is None or before.shape != image.shape:
            return None
        return unlike_each(image, (before,), self.hold_threshold)

    def _mostly_changed(self, held: np.ndarray | None, changed: np.ndarray | None) -> bool:
        """Whether most of ``held`` (what differs from the empty scene) is where the picture ``changed``
        (``_changed_since``): leaves swinging change between two samples; someone standing still does not."""
        if held is None or changed is None:
            return False
        shown = cv2.morphologyEx(held, cv2.MORPH_OPEN, self._kernel) > 0
        return bool(shown.any()) and 2 * int(np.count_nonzero((changed > 0) & shown)) >= int(np.count_nonzero(shown))

    def _person_sized(self, motion: np.ndarray) -> np.ndarray:
        """The blobs of ``motion`` of a person's size (``reference_area``), or all of it where none is.

        What starts a visit is someone, as a whole or in pieces; a speck beside them is not.
        """
        opened = cv2.morphologyEx(motion, cv2.MORPH_OPEN, self._kernel)
        large = self._whole_people(opened)
        return large if large is not None else opened

    def _whole_people(self, opened: np.ndarray) -> np.ndarray | None:
        """The blobs of ``opened`` (a mask, opened) of a person's size (``reference_area``); None where none is."""
        count, labels, stats, _ = cv2.connectedComponentsWithStats(opened)
        smallest = self.reference_area * self._pixels_looked_at(opened)
        large = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] >= smallest]
        return (np.isin(labels, large) * 255).astype(np.uint8) if large else None

    def _visitors_own(self, mask: np.ndarray) -> np.ndarray:
        """``mask`` less where things moved with nobody in view before the visit began (``ClutterMap.moved_before``).

        Balloons or a plant that were swaying when someone came in differ from the empty
        scene and move all along: they must not keep the visit going once that person has left.
        """
        if self._moved_before is None or self._moved_before.shape != mask.shape:
            return mask
        return cv2.bitwise_and(mask, cv2.bitwise_not(self._moved_before))

    def _note_where(self, own: np.ndarray, held: np.ndarray | None, t: float) -> None:
        """Remember where the one present is (a regular sample), or when they were last seen."""
        if self._ended:
            self._left_at, self._walked_out = t, self._walked_lately(t)
            self._sway.visit_ended()
        if not self._present:
            return
        where = cv2.morphologyEx(self._visitors_own(own), cv2.MORPH_OPEN, self._kernel)  # not a flag swinging by them
        if held is not None and held.shape == where.shape:
            where = cv2.bitwise_or(where, held)
        # a pause shows little of them (the top of a push-up): the last full sight is where they are
        if cv2.countNonZero(where) >= self.reference_area * where.size:
            self._where = cv2.dilate(where, np.ones((REACH, REACH), np.uint8))
            self._been = self._where.copy() if self._been is None else cv2.bitwise_or(self._been, self._where)
            self._sway.visit_seen_at(self._where)

    def _note_moved(self, changed: np.ndarray | None, t: float) -> None:
        """Remember where the picture last changed by a person's size (``reference_area``, one blob) during a
        presence, between two regular samples (``changed``: ``_changed_since``): where the one present was last
        seen moving, whole.

        Not what the adaptive model sees: it may know someone where they stop (they stood there
        in the frames spread over the recording). Not a page turned, nor a leaf (on clutter, or
        where things moved before the visit, nothing counts): what changed by a speck elsewhere
        is not where they went.
        """
        if not self._present or changed is None:
            self._moved_at, self._moved_when = None, t
            return
        theirs = self._visitors_own(self._clutter.outside(changed))
        whole = self._whole_people(cv2.morphologyEx(theirs, cv2.MORPH_OPEN, self._kernel))
        if whole is not None:
            self._moved_at, self._moved_when = whole, t

    def _continuing(self, held: np.ndarray) -> np.ndarray:
        """``held`` less its blobs on clutter (``ClutterMap.mask``) that do not reach where the one present was
        last seen (``_where``): what differs there is the clutter, not someone standing still.

        Leaves cut by the frame's edge differ from the empty scene as they sway, and are
        shaped like someone partly in view: they held a walker's visit until the end of
        the recording, long after the walker had gone. A blob elsewhere is kept as it is:
        someone who walked a few steps between two samples a second apart and stopped.
        Where the one present was never seen whole (no ``_where``), no blob on clutter is theirs.
        """
        clutter = self._clutter.mask()
        if not held.any() or clutter.shape != held.shape or not clutter.any():
            return held
        _, labels = cv2.connectedComponents(held)
        on_clutter = np.unique(labels[(clutter > 0) & (labels > 0)])
        if self._where is not None and self._where.shape == held.shape:
            on_clutter = np.setdiff1d(on_clutter, labels[self._where > 0])
        return np.where(np.isin(labels, on_clutter), 0, held).astype(np.uint8)

    def _where_they_were(self, own: np.ndarray) -> np.ndarray:
        """``own`` motion where the one present a moment ago was last seen: them, moving again.

        Someone working out on one spot is part of the median plate: pausing at the top of
        a push-up they differ from nothing, and the presence ends. Moving again in place,
        they neither come in nor travel; but they move where they just were. Not asked
        where the presence ended a moment after a walk (``_walked_out``): a flag that flapped
        beside someone who walked out started their visit again, gust after gust.
        """
        if self._where is None or self._where.shape != own.shape:
            return np.zeros_like(own)
        return cv2.bitwise_and(own, self._where)

    def _may_start(self, own: np.ndarray, t: float, learn: bool) -> np.ndarray:
        """``own`` motion less what swings in place (``highlight.scorers.sway``).

        Where someone was seen working out in place (``ClutterMap.spare``), what moves is them.
        """
        opened = cv2.morphologyEx(own, cv2.MORPH_OPEN, self._kernel)
        spared = self._clutter.spared(opened)
        if spared is not None:
            opened = cv2.bitwise_and(opened, cv2.bitwise_not(spared))
        allowed = self._sway.may_start(
            opened, t, learn, self.min_blob * own.size, self._may_remember_swaying(own), self._clutter.moving.known()
        )
        if spared is not None:
            return cv2.bitwise_or(allowed, spared)
        return own if allowed is opened else allowed

    def _may_remember_swaying(self, own: np.ndarray) -> np.ndarray | None:
        """Where what is held back now may be remembered as a swaying thing (255): with nobody in view, and not
        where anyone was (someone who works out on a spot rests there, moving a little, and starts again there)."""
        if self._present:
            return None
        if self._been is None or self._been.shape != own.shape:
            return np.full_like(own, 255)
        return cv2.bitwise_not(self._been)

    def _someone_at_edge(
        self, image: np.ndarray, t: float, learn: bool, quiet: bool, left_behind: np.ndarray | None
    ) -> bool:
        """Someone partly in view travels along or through the frame's edge (``highlight.scorers.edges``).

        Counted as a person of ``reference_area``: whatever part of them shows, someone is there.
        """
        _, border, unseen = self._borders.pop(id(image), (None, None, None))
        if self._edges is None or border is None:
            return False
        ignore = self._clutter.mask()
        if self._view is not None and self._view.mask is not None and self._view.mask.shape == ignore.shape:
            ignore = cv2.bitwise_or(ignore, cv2.bitwise_not(self._view.mask))
        ignore = _either(self._edges.strip_of_mask(ignore) if ignore.any() else None, unseen)
        if left_behind is not None and left_behind.any():
            self._edges.uncovered(border, self._edges.strip_of_mask(cv2.dilate(left_behind, self._kernel)))
        return self._edges.follow(border, t, ignore, quiet) if learn else self._edges.sees(border, t, ignore)

    def _camera_moved(
        self, previous: np.ndarray | None, image: np.ndarray, changed: np.ndarray | None
    ) -> np.ndarray | None:
        """The camera's motion since the last regular sample (``camera``), counted for the manifest's note.

        Looked for only where much of the picture changed since that sample (``changed``:
        ``_changed_since``; ``CAMERA_MOTION_AREA``): a camera that moves changes all of it,
        and a quiet scene costs nothing.
        """
        if changed is None or self._view is None or self._view.mask is not None:
            return None  # a region is a place in a fixed view
        self._camera_samples[1] += 1
        if cv2.countNonZero(changed) < CAMERA_MOTION_AREA * changed.size:
            return None
        motion = camera_motion(previous, image, self.camera_shift * image.shape[1])
        self._camera_samples[0] += motion is not None
        return motion

    @property
    def watching(self) -> bool:
        """While motion seen at the last sample may yet start a presence: something new that has to travel first
        (``SwayWatch.undecided``; ``EdgeWatch.undecided`` along the frame's edge), or, for ``SWAY_SECONDS`` after
        a presence ended, someone who paused on the spot they work out on and may move there again
        (``_where_they_were``). Each is told only by samples close enough to follow it (``LINK_SECONDS``); a
        quiet stretch sampled a keyframe apart (two seconds in a messaging app's copy) sees each sight of it
        alone, and the far player on a court, or the people along a shop door's edges, never start."""
        if self._present or self._last_time is None:
            return False
        t = self._last_time
        edge = self._edges is not None and self._edges.undecided(t)
        return self._left_lately(t) or self._sway.undecided(t) or edge

    @property
    def camera_shakes(self) -> bool:
        return self._steadier is not None

    def camera_note(self) -> str | None:
        """One line for the manifest when the camera moved or shook: what the scorer did about it."""
        moved, seen = self._camera_samples
        notes = []
        if self._steadier is not None:
            notes.append(
                f"the camera shook in place (by up to {100 * self._shook:.1f}% of the width): each sample was "
                "lined up with the empty scene (tracked corners) before it was compared with it"
            )
        if moved:
            notes.append(
                f"the camera moved in {moved} of {seen} samples ({100 * moved / max(seen, 1):.0f}%): there, motion "
                "was measured against the previous sample moved as the camera moved (tracked corners), "
                "and nobody standing still is held"
            )
        return "; ".join(notes) or None

    def began_at(self) -> float | None:
        """When someone who was sure to be someone only at the last sample was first seen (see ``Scorer``).

        A walker partly in view at the edge, or something new that had to travel before
        it could be told from a swaying thing.
        """
        times = [t for t in (self._sway.began, self._edges.began if self._edges else None) if t is not None]
        return min(times, default=None)

    def describe(self) -> dict:
        described = super().describe()
        note = self.camera_note()
        if note:
            described["camera"] = note
        taken_back = self._recheck.note() if self._recheck is not None else None
        if taken_back:
            described["recheck"] = taken_back
        if self._picture is not None:
            left, top = self._picture[:2]
            width, height = box_size(self._picture)
            described["picture"] = (
                f"the picture is padded with black bars: the {width}x{height} picture inside them "
                f"(from {left},{top}) was analysed, its edges taken for the frame's"
            )
        if self._gain > 1.0:
            described["exposure"] = (
                f"the recording was left dark (dusk, a dim hall): its grey levels were multiplied by {self._gain:.2f}, "
                "as a camera exposing on its own would have (to a mid-grey average, short of making anything white), "
                "before it was compared with the empty scene"
            )
        return described

    def _moves_near(self, motion: np.ndarray, held: np.ndarray | None, still: float, counted: bool = False) -> bool:
        """Whether something moves where the held person is: only that keeps a still presence from expiring.

        Noise, leaves or a clock elsewhere in the picture never stop, and must not keep
        someone "present" who left behind a difference (a moved chair) an hour ago.
        ``counted``: only blobs the detector counts (``min_blob``) touching it, as what starts a visit is counted.
        """
        if held is None or still == 0.0:
            return False
        near = cv2.dilate(held, self._kernel, iterations=2)
        opened = cv2.morphologyEx(motion, cv2.MORPH_OPEN, self._kernel)
        if not counted:
            return bool(cv2.countNonZero(cv2.bitwise_and(opened, near)))
        _, labels, stats, _ = cv2.connectedComponentsWithStats(opened)
        touching = np.unique(labels[(near > 0) & (labels > 0)])
        smallest = self.min_blob * self._pixels_looked_at(opened)
        return bool(np.any(stats[touching, cv2.CC_STAT_AREA] >= smallest))

    def _differs_from_empty(self, image: np.ndarray) -> np.ndarray:
        """Pixels unlike both pictures of the empty scene: a person standing still is still there.

        The empty scene is known twice: the last sample before the entry in which nothing
        moved (it follows the light through the day) and the plate, the median over the
        whole video (nothing that comes and goes is in it). The last quiet sample can
        already hold the start of the visit (a door opening, too slowly for the motion
        model), and after they leave the room differs from it for good; the plate can
        lag the light. Someone in view differs from both.
        """
        if self._empty is None or self._empty.shape != image.shape:
            return np.zeros_like(image)
        return unlike_each(image, (self._empty, self._plate), self.hold_threshold)

    def _follow_presence(
        self, image: np.ndarray, starting: float, moving: float, still: float, moves_near: bool, gap: float
    ) -> bool:
        """Update, on regular samples only, whether someone is in view and what empty looks like.

        Returns whether this sample is the newest picture of the empty scene.

        An entry is motion of at least ``reference_area`` that does not swing in place
        (``starting``); a presence lasts while a
        person-sized part of the picture differs from the empty scene, and gives up
        after ``hold`` seconds with nothing moving there (something left behind is part
        of the scene now). With nothing moving and nobody held, this sample is the
        newest empty scene: it follows the light as the day goes on.
        """
        self._still_since = 0.0 if moves_near or not self._present else self._still_since + gap
        if self._present and ((still == 0.0 and moving < self.reference_area) or self._still_since > self.hold):
            self._present = False
        elif not self._present and starting >= self.reference_area:
            self._present = True
            return False
        if self._present or moving > 0.0:
            return False
        self._empty = image.copy()
        return True

    def _blob_area(
        self, mask: np.ndarray, image: np.ndarray, background: np.ndarray | None, person: bool = False
    ) -> float:
        """Foreground fraction of the looked-at pixels, counting only blobs of at least ``min_blob``.

        A blob whose pixels are the background's texture, only brighter or darker (a
        cloud's shadow, a lamp), is light, not something in view: it is not counted.
        ``person``: only blobs that could be someone count, at least ``person_height``
        tall or cut by the edge of the picture (someone partly in view). With ``ball_only``,
        an object reaching out of the regions further than a ball could is left out first,
        and so is a blob that is the background shaken by a pixel (``bodies.shaken``).
        """
        mask = around = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        view_mask = self._view.mask if self._view is not None else None
        if view_mask is not None and view_mask.shape == mask.shape:
            mask = cv2.bitwise_and(around, view_mask)
            if mask.any() and self._view.regions_box is not None:  # ball_only: what reaches out is a body
                mask = cv2.bitwise_and(without_bodies(around, self._view.regions_box, self._view.reach), view_mask)
        if not mask.any():
            return 0.0
        looked_at = self._pixels_looked_at(mask)
        contours = imutils.grab_contours(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE))
        smallest = self.min_blob * looked_at
        total = 0.0
        for contour in contours:
            area = cv2.contourArea(contour)
            if area < smallest or (person and not self._could_be_someone(contour, mask.shape)):
                continue
            if self._relit(contour, image, background):
                continue
            if self.ball_only and shaken(cv2.boundingRect(contour), image, background):
                continue
            total += area
        return total / looked_at

    def _counted_area(self, mask: np.ndarray) -> float:
        """``mask`` as much of the picture as the detector counts of it (``_blob_area``), light or not."""
        return self._blob_area(mask, mask, None)

    def _pixels_looked_at(self, mask: np.ndarray) -> int:
        """The pixels areas are a fraction of: those of the regions less the excluded ones, else the whole picture."""
        view_mask = self._view.mask if self._view is not None else None
        return self._view.pixels if view_mask is not None and view_mask.shape == mask.shape else mask.size

    def _could_be_someone(self, contour: np.ndarray, shape: tuple[int, ...]) -> bool:
        """Tall enough to be a person (``person_height`` of the picture), or cut by its edge.

        Specks of noise, a flickering digit of a burned-in clock, a shadow's rim are
        short; a person far away is still a few percent of the height, and one at the
        edge of the frame is cut off there, so any size will do for them.
        """
        x, y, w, h = cv2.boundingRect(contour)
        at_edge = x <= 0 or y <= 0 or x + w >= shape[1] or y + h >= shape[0]
        return at_edge or h >= self.person_height * shape[0]

    def _relit(self, contour: np.ndarray, image: np.ndarray, background: np.ndarray | None) -> bool:
        """The blob is the background under other light (``highlight.scorers.light``), not something in view."""
        if background is None or background.shape != image.shape:
            return False
        x, y, w, h = cv2.boundingRect(contour)
        inside = np.zeros((h, w), np.uint8)
        cv2.drawContours(inside, [contour - [x, y]], -1, 1, thickness=-1)
        select = inside.astype(bool)
        return self._light(image[y : y + h, x : x + w][select], background[y : y + h, x : x + w][select])

    def _light(self, seen: np.ndarray, empty: np.ndarray) -> bool:
        """``relit`` with this detector's options."""
        return relit(
            seen,
            empty,
            self.texture_std,
            self.relit_correlation,
            self.relit_ratio_spread,
            self.texture_spread,
        )


def _either(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The union of two masks (255), either of which may be None (nowhere); ``a`` alone where sizes differ."""
    if a is None:
        return b
    if b is None or b.shape != a.shape:
        return a
    return cv2.bitwise_or(a, b)
