"""People at the frame's edges count, swaying things do not start a visit (issue 23).

Generated recordings with planted ground truth: a passer-by of whom only the feet show
along the top edge, someone half out of the picture at the right edge, a bunch of
balloons that starts to sway partway through (alone, then with someone walking in), someone
walking right past swaying balloons and out, a flag in gusty wind (alone, and with people
walking past while it flaps), leaves swaying at the top edge from the first frame of a
recording with one keyframe, each under camera noise; the real shop-door clip against
its labels in dev.json; someone standing beside a flag that starts to flap while they are there; and the
real office clip's long recording (``benchmarks/office_recording.py``) with leaves or a flag in gusts in front
of its door, or a flag over the desk by the visitor's side, against its planted visits.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from highlight.intervals import find_intervals, temporal_iou
from highlight.pipeline import analyse, make_scorer
from highlight.scorers.clutter import SEED_PAIRS, MovingShare
from highlight.scorers.edges import EdgeWatch
from highlight.scorers.sway import WALK_SAMPLES, SwayWatch
from highlight.settings import RunSettings
from highlight.source import VideoSource, probe
from tests.conftest import load_checkout_script
from tests.footage import OFFICE_VISIT, FlappingFlag, office_from, reencoded, write_video

WIDTH, HEIGHT, FPS = 320, 180, 25
# The labels' granularity (visits 1.1 s apart, one of 0.8 s): fine interval settings, no padding
FINE = RunSettings(clips=False).with_changes(
    {"pad_before": 0.0, "pad_after": 0.0, "merge_gap": 0.5, "min_duration": 0.5}
)
NO_PADDING = RunSettings(clips=False).with_changes({"pad_before": 0.0, "pad_after": 0.0})  # as the benchmarks score


def highlights(path: Path, settings: RunSettings = FINE) -> list[tuple[float, float]]:
    info = probe(path)
    with VideoSource(path, info) as source:
        analysis = analyse(source, make_scorer(settings), settings)
    return [
        (i.start, i.end) for i in find_intervals(analysis.times, analysis.scores, settings.intervals, info.duration)
    ]


def share_seen(found: list[tuple[float, float]], visit: tuple[float, float]) -> float:
    """How much of ``visit`` (start, end s) is in the highlights ``found``."""
    start, end = visit
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in found) / (end - start)


def in_weather(video: Path, weather: str, folder: Path, monkeypatch) -> Path:
    """``video`` with ``bench_weather.py``'s ``weather`` drawn over it, in ``folder``."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    return load_checkout_script("benchmarks/bench_weather.py").encoded(video, weather, folder)


def scene(seed: int) -> np.ndarray:
    """A textured pavement: blocks of grey-brown, some lines."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(90, 170, (HEIGHT // 12 + 1, WIDTH // 12 + 1, 1)).astype(np.float32)
    floor = np.kron(coarse, np.ones((12, 12, 1)))[:HEIGHT, :WIDTH] * np.array([1.0, 0.95, 0.85])
    floor[::24] = 200  # paving joints
    return floor


def record(path: Path, seconds: float, draw, noise: float, seed: int = 5, gop: float = 1.0) -> list[list[float]]:
    """Encode ``seconds`` of the scene with ``draw(frame, t) -> bool`` (someone in view) on it, a keyframe every
    ``gop`` seconds; the true visits."""
    rng = np.random.default_rng(seed + 1)
    background = scene(seed)
    shown: list[bool] = []

    def frames():
        for i in range(int(seconds * FPS)):
            frame = background.copy()
            shown.append(bool(draw(frame, i / FPS)))
            frame += rng.normal(0.0, noise, frame.shape)
            yield np.clip(frame, 0, 255).astype(np.uint8)

    write_video(path, frames(), FPS, {"g": str(round(gop * FPS)), "crf": "23", "preset": "veryfast"})
    return runs(shown)


def runs(flags: list[bool]) -> list[list[float]]:
    found, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            found.append([start / FPS, i / FPS])
            start = None
    return found


def feet_along_the_top(start: float, end: float):
    """Someone walking past above the picture: only their feet show, 4% of the height, stepping left to right."""

    def draw(frame: np.ndarray, t: float) -> bool:
        if not start <= t < end:
            return False
        x = 0.1 * WIDTH + (t - start) / (end - start) * 0.8 * WIDTH
        step = 3 * np.sin(2 * np.pi * 1.8 * t)  # one foot ahead, then the other
        for offset in (-step, step):
            left = int(x + offset)
            frame[0 : int(0.04 * HEIGHT), left : left + 4] = (35, 30, 30)
        return True

    return draw


def half_out_at_the_right(start: float, end: float):
    """Someone half out of the picture at the right edge, walking down along it (towards the camera)."""

    def draw(frame: np.ndarray, t: float) -> bool:
        if not start <= t < end:
            return False
        height = int(0.3 * HEIGHT)
        top = int(-height + (t - start) / (end - start) * (HEIGHT + height * 0.5))
        rows = slice(max(top, 0), max(top + height, 0))
        frame[rows, WIDTH - 8 : WIDTH] = (60, 70, 150)  # half a body: the other half is out of the picture
        return top + height > 0 and top < HEIGHT

    return draw


def balloons(sway_from: float, seed: int = 9):
    """A bunch of balloons on strings by the left edge: still, then swaying in a draught from ``sway_from``."""
    rng = np.random.default_rng(seed)
    anchors = np.column_stack([rng.uniform(0.1, 0.22, 9) * WIDTH, rng.uniform(0.15, 0.5, 9) * HEIGHT])
    colours = rng.choice([(230, 110, 30), (240, 240, 240), (25, 25, 25)], 9)
    phases, periods = rng.uniform(0, 2 * np.pi, 9), rng.uniform(1.2, 2.0, 9)
    yy, xx = np.ogrid[:HEIGHT, :WIDTH]

    def draw(frame: np.ndarray, t: float) -> bool:
        swing = 0.0 if t < sway_from else 1.0
        for (x, y), colour, phase, period in zip(anchors, colours, phases, periods):
            dx = swing * 7 * np.sin(2 * np.pi * t / period + phase)
            dy = swing * 2 * np.cos(2 * np.pi * t / period + phase)
            frame[(yy - (y + dy)) ** 2 + (xx - (x + dx)) ** 2 <= 7**2] = colour
        return False  # balloons are nobody

    return draw


def walker(start: float, end: float, top: float | None = None, across: float = 0.7):
    """Someone walking in from the right edge, ``across`` of the width in the time: by default along the bottom
    of the picture (away from the balloons); ``top`` (a fraction of the height) puts them right past them."""

    def draw(frame: np.ndarray, t: float) -> bool:
        if not start <= t < end:
            return False
        height, width = int(0.4 * HEIGHT), int(0.12 * HEIGHT)
        x = int(WIDTH - (t - start) / (end - start) * across * WIDTH)
        first_row = HEIGHT - 10 - height if top is None else int(top * HEIGHT)
        frame[first_row : first_row + height, max(x, 0) : max(x + width, 0)] = (170, 40, 50)
        return x + width > 0 and x < WIDTH

    return draw


def flag_in_gusts(gusts: list[tuple[float, float]], box=(0.3, 0.15, 0.25, 0.27)):
    """A striped flag on a pole (``box``: left, top, width, height as fractions) that hangs still between
    ``gusts`` (start, end s) and flaps in them: the cloth's loose end swings up and down on a wave running
    along it, rising to full strength in half a second and settling as long after."""
    x0, y0, w, h = int(box[0] * WIDTH), int(box[1] * HEIGHT), int(box[2] * WIDTH), int(box[3] * HEIGHT)
    margin = int(0.35 * h) + 2
    flag = FlappingFlag()

    def draw(frame: np.ndarray, t: float) -> bool:
        flag.blow(t, 1.0 if any(a <= t < b for a, b in gusts) else 0.0)
        inside, second = flag.cloth(w, h, margin)
        stripes = np.where(second[..., np.newaxis], (230, 230, 240), (200, 30, 40))
        patch = frame[y0 - margin : y0 + h + margin, x0 : x0 + w]
        patch[:] = np.where(inside[..., np.newaxis], stripes, patch)
        frame[y0 - 4 : y0 + 2 * h, x0 - 3 : x0] = (90, 90, 90)  # the pole
        return False  # a flag is nobody

    return draw


def leaves_at_the_top(seed: int = 4):
    """A plant hanging into the picture at the top left: leaves cut by the top edge, swaying from the first frame."""
    rng = np.random.default_rng(seed)
    anchors = np.column_stack([rng.uniform(0.05, 0.4, 8) * WIDTH, rng.uniform(-0.02, 0.12, 8) * HEIGHT])
    shades, phases, periods = rng.uniform(0.6, 1.0, 8), rng.uniform(0, 2 * np.pi, 8), rng.uniform(0.8, 1.6, 8)
    yy, xx = np.ogrid[:HEIGHT, :WIDTH]

    def draw(frame: np.ndarray, t: float) -> bool:
        for (x, y), shade, phase, period in zip(anchors, shades, phases, periods):
            dx = 8 * np.sin(2 * np.pi * t / period + phase)
            frame[((yy - y) / 9.0) ** 2 + ((xx - (x + dx)) / 14.0) ** 2 <= 1] = (40 * shade, 110 * shade, 45 * shade)
        return False  # leaves are nobody

    return draw


def both(*draws):
    return lambda frame, t: any([draw(frame, t) for draw in draws])


@pytest.mark.parametrize("noise", [2.5, 6.0], ids=["camera-noise", "heavy-noise"])
def test_feet_along_the_top_edge_are_someone(tmp_path, noise):
    path = tmp_path / "feet.mp4"
    truth = record(path, 12.0, feet_along_the_top(3.0, 9.0), noise)
    found = highlights(path)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.8, (found, truth)


def test_someone_half_out_at_the_right_edge_is_someone(tmp_path):
    path = tmp_path / "right.mp4"
    truth = record(path, 10.0, half_out_at_the_right(2.5, 7.5), 2.5)
    found = highlights(path)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.8, (found, truth)


def test_balloons_that_start_to_sway_are_nobody(tmp_path):
    # swaying for the last third only: not yet clutter (moving much of the recording)
    path = tmp_path / "balloons.mp4"
    record(path, 15.0, balloons(sway_from=10.0), 2.5)
    assert highlights(path) == []


def test_the_visit_after_the_sway_starts_at_the_person(tmp_path):
    path = tmp_path / "balloons_then_someone.mp4"
    truth = record(path, 15.0, both(balloons(sway_from=10.0), walker(12.0, 15.0)), 2.5)
    found = highlights(path)
    assert len(found) == 1, (found, truth)
    assert abs(found[0][0] - truth[0][0]) <= 0.3 and temporal_iou(found[0], truth[0]) >= 0.8, (found, truth)


SWAYING_SINCE = {"all-along": 0.0, "5-s-before": 4.0, "2-s-before": 7.0, "1-s-before": 8.0}


@pytest.mark.parametrize("sway_from", SWAYING_SINCE.values(), ids=SWAYING_SINCE.keys())
def test_a_visit_past_swaying_balloons_ends_when_the_walker_leaves(tmp_path, sway_from):
    """Balloons that were swaying before someone came in do not hold their visit after they go.

    Before, the balloons differed from the empty scene and moved where the walker had been: the visit lasted to
    the end of the recording. Balloons that began to sway only a second or two before are not clutter yet: they
    held it to the end too, until whatever moved with nobody in view (not only clutter) was kept from holding it."""
    path = tmp_path / "walker_past_balloons.mp4"
    truth = record(path, 16.0, both(balloons(sway_from=sway_from), walker(9.0, 14.0, top=0.2, across=1.1)), 2.5)
    found = highlights(path)
    assert len(found) == 1 and abs(found[0][1] - truth[0][1]) <= 0.5, (found, truth)
    # a sway that began a moment before, seen at two samples a second apart, can look like a walk: the start
    # may land a sample early then
    assert temporal_iou(found[0], truth[0]) >= (0.9 if sway_from < 7.0 else 0.8), (found, truth)


def test_shop_door_edges_and_balloons(shared, dev_labels):
    """The real shop-door clip: the people along the top and right edges are seen, the balloons start nothing.

    Labelled by eye (edges +-0.25 s): 26.75-45.9 s people along the top and right
    edges only; balloons sway from 54.75 s, the next person comes at 56.95 s.
    """
    labels = dev_labels["presence"]["cctv_shop_door.mp4"]["intervals_s"]
    found = highlights(shared / "data" / "videos" / "cctv_shop_door.mp4")
    first_visit, edge_visit, last_visit = labels[0], labels[1], labels[-1]
    # the edge visit is a highlight of its own, 1.1 s after the first (it once ran on from it: tIoU 0.56 / 0.42)
    assert max(temporal_iou(tuple(first_visit), f) for f in found) >= 0.8, found
    assert max(temporal_iou(tuple(edge_visit), f) for f in found) >= 0.8, found
    assert not any(54.75 - 0.25 <= a < last_visit[0] - 0.25 for a, _ in found), found  # nothing starts on balloons
    assert max(temporal_iou(tuple(last_visit), f) for f in found) >= 0.8, found


@pytest.mark.slow
def test_shop_door_as_a_cctv_export_sees_its_edge_people_when_they_come(shared, dev_labels, tmp_path):
    """The shop door at 12 frames a second with keyframes 2 s apart, as a recorder exports it. The people along
    its edges count once they have travelled along them, which only samples close enough to follow them tell;
    sampled a keyframe apart while quiet, each sight of them was alone: 45% of the edge visit was in highlights
    (27.0-28.7 s, then nothing until 38.9 s)."""
    labels = dev_labels["presence"]["cctv_shop_door.mp4"]["intervals_s"]
    video = reencoded(shared / "data" / "videos" / "cctv_shop_door.mp4", tmp_path / "export.mp4", 24, "fps=12", 24)
    found = highlights(video)
    last_visit = labels[-1]
    assert share_seen(found, labels[1]) >= 0.85, found
    assert not any(54.75 - 0.25 <= a < last_visit[0] - 0.25 for a, _ in found), found  # nothing starts on balloons


# the bars ``bench_variations.py``'s ``padded`` adds: above and below a picture wider than 4:3, beside a narrower one
PADDED = (
    "pad=w='if(gt(iw/ih,4/3),iw,ceil(ih*16/9/2)*2)':h='if(gt(iw/ih,4/3),ceil(iw*3/4/2)*2,ih)':x=(ow-iw)/2:y=(oh-ih)/2"
)


@pytest.mark.slow
def test_a_padded_shop_door_is_watched_at_its_picture_edges(shared, dev_labels, tmp_path):
    """The shop door (16:9) exported to 4:3, black bars above and below. Its edge visit is people's legs along the
    top of the picture: with the bars analysed as picture, the border band watched them, and the picture's top
    edge cut nobody (tIoU 0.00, as filmed 0.80). Inside its bars the picture is the recording's."""
    labels = dev_labels["presence"]["cctv_shop_door.mp4"]["intervals_s"]
    video = reencoded(shared / "data" / "videos" / "cctv_shop_door.mp4", tmp_path / "padded.mp4", 30, PADDED)
    found = highlights(video, NO_PADDING)
    for visit in (labels[0], labels[1], labels[-1]):
        assert max(temporal_iou(tuple(visit), f) for f in found) >= 0.8, found
    assert not any(54.75 - 0.25 <= a < labels[-1][0] - 0.25 for a, _ in found), found  # nothing starts on balloons


@pytest.mark.slow
def test_a_portrait_rope_jumper_padded_to_a_wide_frame_is_in_view_all_along(shared, tmp_path):
    """A portrait phone video (216x320) of someone jumping rope, put in a 16:9 frame with black bars at its sides:
    at the detector's 160 pixels the picture was 61 wide, the jumper a few pixels across, and never in a
    highlight (as filmed, 100%). Inside its bars, the picture is analysed at the detector's full width."""
    video = reencoded(shared / "data" / "videos" / "quva_060_jumping_rope.mp4", tmp_path / "padded.mp4", 30, PADDED)
    info, scorer = probe(video), make_scorer(NO_PADDING)
    with VideoSource(video, info) as source:
        analysis = analyse(source, scorer, NO_PADDING)
    found = find_intervals(analysis.times, analysis.scores, NO_PADDING.intervals, info.duration)
    assert share_seen([(i.start, i.end) for i in found], (0.0, info.duration)) >= 0.9
    assert "the 216x320 picture inside them" in scorer.describe()["picture"]  # the run says so


@pytest.mark.slow
def test_shop_door_in_snow_sees_its_edge_people_walk_along_the_edge(shared, dev_labels, tmp_path, monkeypatch):
    """The shop door with ``bench_weather.py``'s snow drawn over it, a keyframe every 30 frames at 29.97 fps
    (1.001 s apart). The flakes hide the first looks at the people along the top edge; their walk along it is
    seen over the next ones, and the third of those came 3.003 s after the first, just past ``SWAY_SECONDS``:
    17% of the edge visit was in highlights (42.7 s on); then 73% (30.9 s on), and 67% (32.0 s on) since a track
    must show more than a speck (the flakes' first looks at them are dots)."""
    video = in_weather(shared / "data" / "videos" / "cctv_shop_door.mp4", "snow", tmp_path, monkeypatch)
    found = highlights(video)
    assert share_seen(found, dev_labels["presence"]["cctv_shop_door.mp4"]["intervals_s"][1]) >= 0.5, found


def test_snowflakes_along_the_edges_of_a_small_picture_are_nobody(shared, tmp_path, monkeypatch):
    """The office clip (360x240, its band looked at full size) with ``bench_weather.py``'s snow drawn over it:
    flakes falling past the side edges are specks of 3 by 3 pixels there, and each travels along the edge as it
    falls. They were someone at the edge: two false highlights (5.9-14.2 s and 17.7-23.3 s, joined to the
    visit). An edge track counts once it showed more than a point of the band, blurred."""
    video = in_weather(shared / "data" / "videos" / "office_cdnet.mp4", "snow", tmp_path, monkeypatch)
    found = highlights(video, NO_PADDING)
    assert len(found) == 1 and temporal_iou(found[0], OFFICE_VISIT) >= 0.9, found


@pytest.mark.slow
def test_someone_in_view_from_the_first_frame_who_walks_out_in_snow_leaves_no_visit_behind(
    shared, tmp_path, monkeypatch
):
    """The office clip from 45 s on (its visitor reading), then its empty room, in ``bench_weather``'s snow.

    Once he has walked out, the wall he stood in front of is the scene he uncovered (``MotionScorer._uncovered``),
    and so is the band where his legs reached the bottom edge. Flakes crossing that band made of the difference
    there a track that moved along the edge and held the visit to the end (0.61 tIoU); the band is now told it
    shows the empty border there."""
    office = office_from(shared / "data" / "videos" / "office_cdnet.mp4", 45.0, tmp_path / "office.mp4")
    found = highlights(in_weather(office, "snow", tmp_path, monkeypatch), NO_PADDING)
    assert len(found) == 1 and temporal_iou(found[0], (0.0, OFFICE_VISIT[1] - 45.0)) >= 0.9, found


def test_shop_door_exported_small_in_snow_sees_its_edge_people_and_no_flakes(shared, dev_labels, tmp_path, monkeypatch):
    """The shop door at 320x180, as a recorder's small export, with snow drawn over it. A chain of flakes along
    the edge was someone (51.4-52.7 s), and the first visit ran on into the edge visit (0.0-48.1 s). The feet
    along the top edge are dots of the blur's size at some samples, never at every one: keeping out each such
    dot, rather than tracks of nothing else, lost a third of the edge visit (69% of it in highlights)."""
    labels = dev_labels["presence"]["cctv_shop_door.mp4"]["intervals_s"]
    small = reencoded(shared / "data" / "videos" / "cctv_shop_door.mp4", tmp_path / "small.mp4", 30, "scale=320:-2")
    video = in_weather(small, "snow", tmp_path, monkeypatch)
    found = highlights(video, NO_PADDING)
    assert all(any(temporal_iou(tuple(label), f) > 0 for label in labels) for f in found), found
    assert not any(a < labels[0][1] < b and a < labels[1][0] < b for a, b in found), found  # two visits, not one
    assert share_seen(found, labels[1]) >= 0.8, found


def walked_along_the_top(width: int, height: int, detail: float = 1.0) -> bool:
    """Whether the edge watch of a 640x360 frame (its band at ``detail`` of its full detail) takes a blob of
    ``width`` by ``height`` pixels of the band, cut by the top edge and 20 pixels further along it each second,
    for someone at the edge within 3 s."""
    watch = EdgeWatch((640, 360), 0.0004, 30.0, 300.0, lambda seen, empty: False, 120.0, 7, detail)
    empty = np.full((watch.band, watch.perimeter), 120, np.uint8)
    watch.seed([empty] * 5, [])
    watch.follow(empty, 0.0, None, quiet=True)
    seen = []
    for second in range(1, 4):
        strip = empty.copy()
        strip[:height, 100 + 20 * second : 100 + 20 * second + width] = 40
        seen.append(watch.follow(strip, float(second), None))
    return any(seen)


def test_at_the_edge_a_speck_or_a_line_that_travels_is_nobody_and_a_foot_is_someone():
    """A snowflake is a speck (the blur's 5x5 at most); a raindrop's streak, or two flakes side by side, a line
    along the edge as thin as the blur. Each travelled along the edge as feet do, and was someone there: in a
    5-minute office recording at 640x360, snow gave 6 false highlights and rain 1. A foot is thicker both ways.
    In a frame with half the band's detail, a foot shows as thin as a line does at full detail, and counts."""
    assert not walked_along_the_top(5, 5)  # a speck
    assert not walked_along_the_top(14, 4)  # a streak along the edge, 56 pixels
    assert walked_along_the_top(8, 9)  # a foot, 72 pixels
    assert walked_along_the_top(14, 4, detail=0.5)


GUSTS = [(2.0, 5.5), (11.0, 14.0), (20.0, 24.0), (29.0, 32.0)]
# flags (left, top, width, height) that gusts used to start visits with, or held visits past the walker leaving
FLAGS = {"small-right": (0.6, 0.3, 0.15, 0.2), "left": (0.2, 0.25, 0.2, 0.25), "wide-top": (0.45, 0.12, 0.28, 0.25)}


@pytest.mark.parametrize("box", FLAGS.values(), ids=FLAGS.keys())
def test_a_flag_in_gusty_wind_starts_nothing_once_it_has_swung(tmp_path, box):
    """Between gusts the flag hangs still long enough to be neither clutter nor remembered as a moving thing.

    Each gust, its loose end swings up first (an upright strip, shaped like someone standing) and the wave then
    runs along the cloth (a centre that shifts, like a walk): before, 1 to 3 of each of these flags' 4 gusts
    started visits, later ones among them. Where it swayed and was held back in the gusts before, it is that flag again. The first gust
    of a flag never seen moving may still start one."""
    path = tmp_path / "flag.mp4"
    record(path, 37.0, flag_in_gusts(GUSTS, box), 2.5)
    found = highlights(path, FINE)
    assert not any(end > GUSTS[1][0] for _, end in found), found


# flags over a quarter of the picture (the issue's), where ``benchmarks/office_recording.py`` puts two of them
QUARTER_FLAGS = {"middle": (0.2, 0.2, 0.4, 0.35), "right": (0.55, 0.16, 0.4, 0.35)}


@pytest.mark.parametrize("box", QUARTER_FLAGS.values(), ids=QUARTER_FLAGS.keys())
def test_a_flag_over_a_quarter_of_the_picture_flapping_all_along_is_nobody(tmp_path, box):
    """A flag in a steady wind from the first frame to the last, and someone walking past it: one visit.

    Over the desk at the lower left (``office_recording.py``'s ``low-left``) it is not yet so: the clutter map
    knows the parts of the cloth that move most often, and the rest, swinging out of them, comes in pieces that
    move from one place to another, and started a visit of 1.4 s (docs/presence.md, limits)."""
    path = tmp_path / "flag_all_along.mp4"
    truth = record(path, 30.0, both(flag_in_gusts([(0.0, 30.0)], box), walker(19.5, 24.0, across=1.1)), 2.5)
    found = highlights(path, FINE)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.9, (found, truth)


@pytest.mark.parametrize("box", [FLAGS["left"], FLAGS["wide-top"]], ids=["left", "wide-top"])
def test_people_passing_a_flag_in_gusty_wind_are_the_visits(tmp_path, box):
    """Each of two walkers passes while a gust blows: each is a visit, and the gusts are not.

    Before, a gust started a visit of its own, or the flap nearest the second walker (who came in between two
    samples) was taken for them: their visit began with the gust, 0.4 s early."""
    path = tmp_path / "flag_and_people.mp4"
    draw = both(flag_in_gusts(GUSTS, box), walker(19.5, 24.0, across=1.1), walker(29.5, 33.0, across=1.1))
    truth = record(path, 37.0, draw, 2.5)
    found = [highlight for highlight in highlights(path, FINE) if highlight[1] > GUSTS[1][0]]
    assert len(found) == 2, (found, truth)
    for visit, highlight in zip(truth, found):
        assert abs(highlight[1] - visit[1]) <= 0.5 and temporal_iou(highlight, visit) >= 0.9, (found, truth)


def visitor(come: float, stand: float, leave: float, gone: float, spot: float, top: float = 0.2, tall: float = 0.4):
    """Someone ``tall`` (of the height) walking in from the right edge (``come``), standing at ``spot`` (a fraction
    of the width) from ``stand``, shifting their weight a pixel, and walking back out by the right edge from
    ``leave`` to ``gone``."""

    def draw(frame: np.ndarray, t: float) -> bool:
        if not come <= t < gone:
            return False
        height, width = int(tall * HEIGHT), int(0.3 * tall * HEIGHT)
        if t < stand:
            x = WIDTH + (spot * WIDTH - WIDTH) * (t - come) / (stand - come)
        elif t < leave:
            x = spot * WIDTH + (1.0 if int(t * 2) % 2 else -1.0)
        else:
            x = spot * WIDTH + (WIDTH - spot * WIDTH) * (t - leave) / (gone - leave)
        left, first_row = int(x), int(top * HEIGHT)
        frame[first_row : first_row + height, max(left, 0) : max(left + width, 0)] = (170, 40, 50)
        return left + width > 0 and left < WIDTH

    return draw


def test_someone_standing_still_stays_in_view_as_a_larger_walker_comes_and_goes(tmp_path):
    """Someone far from the camera comes in at 1-6 s and stands until 30 s; from 20 s someone near it, three
    times their size, walks in and out again.

    After that walk, what holds the visit is a tenth of what held it while they walked, nothing moves where it
    is (the adaptive model has learned the one standing), and it does not change: as the scene that someone in
    view from the first frame uncovers as they walk out (``MotionScorer._uncovered``). But the one standing did
    not change since before the walk either, and the scene uncovered did."""
    far = visitor(1.0, 6.0, 30.0, 34.0, spot=0.2, top=0.55, tall=0.25)
    near = visitor(20.0, 22.0, 22.5, 24.5, spot=0.55, top=0.1, tall=0.75)
    path = tmp_path / "two.mp4"
    truth = record(path, 70.0, both(far, near), 2.5)  # the one standing is in less than half of it: not in the plate
    found = highlights(path)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.9, (found, truth)


def test_a_flag_that_starts_to_flap_beside_someone_does_not_hold_their_visit_after_they_walk_out(tmp_path):
    """Someone comes in at 3 s and stands beside a flag; a gust begins at 8 s while they stand there and blows
    to the end; they walk out at 11-15 s.

    The flag was still when they came, so its flapping is theirs as much as anything that moves during a visit,
    and it moves where they are: the visit lasted to the end of the recording (3.0-24.0 s). After a walk, with
    what held them shrunk to a quarter, only motion there that could start a visit (not what swings in place)
    keeps it; and once they walked out, motion where they were does not start it again.

    Not yet right beside the wider flag at the top (``FLAGS["wide-top"]``): the visit ends as they walk out, but
    the flag's wave, where they were (so never remembered as swaying), starts a highlight of 1.6 s at 18.1 s;
    nor where they walk out in 2 s (one sample of their walk; docs/presence.md, limits)."""
    box = FLAGS["left"]
    path = tmp_path / "flag_beside.mp4"
    spot = box[0] + box[2] + 0.02  # just right of the cloth
    truth = record(path, 24.0, both(flag_in_gusts([(8.0, 24.0)], box), visitor(3.0, 5.0, 11.0, 15.0, spot)), 2.5)
    found = highlights(path)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.9, (found, truth)


def test_someone_coming_in_after_the_last_keyframe_is_seen(tmp_path):
    """A keyframe every 2 s, the last at 8 s of 10, and someone walking in at 8.4 s: the last GOP is looked at.

    While the scene is quiet only keyframes are analysed; no keyframe follows the last GOP, and the walker
    was never seen: no highlight at all."""
    path = tmp_path / "late.mp4"
    truth = record(path, 10.0, walker(8.4, 10.0, across=0.6), 2.5, gop=2.0)
    found = highlights(path)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.7, (found, truth)


def seen_at(watch: SwayWatch, x: int, t: float) -> None:
    """A round thing moving at ``x`` in the middle of the picture (not cut by an edge, not upright), at ``t``."""
    motion = np.zeros((90, 160), np.uint8)
    motion[40:50, x : x + 10] = 255
    watch.may_start(motion, t, learn=True, smallest=20)


def moving(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    """A motion mask of the picture's size (90 x 160), moving in each of ``boxes`` (left, top, width, height)."""
    motion = np.zeros((90, 160), np.uint8)
    for left, top, width, height in boxes:
        motion[top : top + height, left : left + width] = 255
    return motion


def test_someone_seen_in_pieces_at_first_starts_when_they_show_whole_but_a_flag_there_again_does_not():
    """In view from the first frame, a far player is two pieces (a dark shirt against a dark fence: head and
    shoulders, and legs with the ball beside them, as wide as tall): held back, and remembered as a swaying
    thing. A second later they show whole, upright, where they were: before, that place was the swaying
    thing's, and nothing started there all recording. A flag that swung there before and is seen again,
    whatever shape it then has, still starts nothing."""
    everywhere = np.full((90, 160), 255, np.uint8)
    in_pieces, whole = moving((72, 20, 8, 10), (66, 40, 22, 24)), moving((70, 22, 11, 40))
    player = SwayWatch(person_height=0.3)
    assert not player.may_start(in_pieces, 0.0, True, 20, everywhere).any()
    assert player.may_start(whole, 1.0, True, 20, everywhere).any()
    flag = SwayWatch(person_height=0.3)
    assert not flag.may_start(in_pieces, 0.0, True, 20, everywhere).any()
    assert not flag.may_start(in_pieces, 5.0, True, 20, everywhere).any()  # gone for a while, then there again
    assert not flag.may_start(whole, 5.5, True, 20, everywhere).any()


def test_a_flag_cut_into_bands_by_its_wave_is_not_someone_standing():
    """What moves of a flag's cloth in a steady wind, sample after sample: at one of them the wave's nodes cut it
    into bands a pixel apart, the largest taller than wide (the shape of someone standing) and most of it. Before,
    the flag, held back as swinging since the first frame, then started a visit: in the office recording with a
    flag in front of where the visitor stands, one of 109 s. That band, with what touches it, is the cloth."""
    everywhere = np.full((90, 160), 255, np.uint8)
    cloth, bands = moving((56, 13, 39, 40)), moving((56, 13, 12, 44), (69, 13, 26, 44))
    flag = SwayWatch(person_height=0.3)
    assert not flag.may_start(cloth, 0.0, True, 20, everywhere).any()
    assert not flag.may_start(bands, 1.0, True, 20, everywhere).any()


def test_someone_behind_leaves_is_a_column_of_pieces_not_the_leaves_swinging_again():
    """Leaves swing in front of a door as specks a few pixels each, held back; someone comes in behind them, cut
    into head, shirt and legs, none of them most of what moves. The office recording at the clip's own shape (no
    black bars) with leaves in the middle: the visitor was taken for the leaves swinging again (moving where they
    had swayed) and for no one standing, and each visit was found 18 s late (tIoU 0.67 / 0.40 / 0.65). Many times
    the size of what swayed there is not the leaves; pieces within a leaf's width of each other, the largest
    upright, stand together. The leaves again, and a bunch of round balloons on top of each other, start nothing."""
    everywhere = np.full((90, 160), 255, np.uint8)
    leaves = moving(*[(x, y, 2, 2) for x in range(56, 73, 8) for y in range(16, 77, 8)])  # 24 specks, 96 px
    behind = SwayWatch(person_height=0.15)
    assert not behind.may_start(leaves, 0.0, True, 3, everywhere).any()
    assert not behind.may_start(leaves, 1.0, True, 3, everywhere).any()  # swinging again
    head, shirt, legs = (62, 20, 6, 6), (60, 30, 10, 18), (61, 52, 8, 20)  # 376 px, 3 px apart
    assert behind.may_start(moving(head, shirt, legs), 2.0, True, 3, everywhere).any()
    assert not behind.may_start(leaves, 9.0, True, 3, everywhere).any()  # the visitor gone, the leaves again
    balloons = np.zeros((90, 160), np.uint8)
    for y in (26, 39, 52, 65):  # round, one above the other, each within reach of the next
        cv2.circle(balloons, (100, y), 5, 255, -1)
    assert not SwayWatch(person_height=0.15).may_start(balloons, 0.0, True, 3, everywhere).any()


def test_someone_walking_away_behind_a_flag_an_arm_out_walked_and_the_flag_alone_did_not():
    """A flag flaps over the lower left; someone by it walks out to its far side, one moving thing with it. An arm
    out, their body (the largest blob) is as wide as tall at all samples but one, so it was no body walking: the
    flag, flapping where they had been, held the first visit of the office recording with a flag by the desk 52 s
    past their leaving (tIoU 0.51, at the clip's own shape). Going one way at every step, far, is a walk. The
    flag's largest band jumping back and forth over the cloth, and someone swinging their arms on one spot, are
    not."""
    everywhere = np.full((90, 160), 255, np.uint8)

    def cloth(t: int) -> list[tuple[int, int, int, int]]:  # bands of a wave, a pixel or few apart, the tallest jumping
        tallest = (1, 7, 3, 9)[t % 4]
        return [(10 + 12 * k, 62, 8, 26 if k == tallest else 14) for k in range(10)]

    def body(x: int, arm_out: bool) -> list[tuple[int, int, int, int]]:  # above the cloth, within reach of it
        arm = [(x + 10, 20, 24, 4)] if arm_out else []
        return [(x, 14, 12, 44), *arm]  # with the arm out, 34 wide: as wide as tall, for a person's shape

    walker = SwayWatch(person_height=0.3)
    for t, x in enumerate(range(124, 20, -24)):  # 24 px a second, right to left, to the far side of the flag
        walker.may_start(moving(*cloth(t), *body(x, arm_out=t != 2)), float(t), True, 20, everywhere)
        assert len(walker.objects) == 1  # one moving thing, the flag with them
    assert walker.walked_at == 4.0  # one way at every step, by more than their widest
    flag, on_the_spot = SwayWatch(person_height=0.3), SwayWatch(person_height=0.3)
    for t in range(8):
        flag.may_start(moving(*cloth(t)), float(t), True, 20, everywhere)
        on_the_spot.may_start(moving(*body(100 + 4 * (t % 2), arm_out=t % 2 == 0)), float(t), True, 20, everywhere)
    assert flag.walked_at == -np.inf and on_the_spot.walked_at == -np.inf


def test_a_walk_seen_a_keyframe_apart_at_29_97_fps_is_a_walk():
    """The walker of the test above sampled a keyframe apart at 29.97 fps: 30 frames are 1.001 s, and the first
    of the four sightings going one way is 3.003 s before the last. It is as much within ``SWAY_SECONDS`` as at
    30 fps; before, it was dropped from the path, the walk never seen, and in the office recording with leaves in
    front of the door at 29.97 fps the second visit held 5 s past the visitor's leaving through it."""
    everywhere = np.full((90, 160), 255, np.uint8)
    walker = SwayWatch(person_height=0.3)
    for k, x in enumerate(range(124, 20, -24)):
        arm = [(x + 10, 20, 24, 4)] if k != 2 else []
        walker.may_start(moving((x, 14, 12, 44), *arm), 1.001 * k, True, 20, everywhere)
    assert walker.walked_at == pytest.approx(4.004)


def test_going_one_way_where_leaves_swayed_starts_a_visit_and_the_leaves_swinging_do_not():
    """A clump of leaves swings in front of a door, held back and remembered; someone comes in through the door
    behind it, as large as the clump, no upright shape among the leaves, moving where it swayed: the leaves
    swinging again, however far they go. Going one way at every step over four samples, by more than their
    widest, is a walk, and starts the visit (in the 10-minute office recording with leaves in the middle at 29.97
    fps, the second visitor was held back 18 s as the leaves: tIoU 0.67, 0.96 now). The clump swinging back and
    forth over as many samples starts nothing."""
    everywhere = np.full((90, 160), 255, np.uint8)
    door = SwayWatch(person_height=0.3)
    clump = [(40, 20, 40, 30), (48, 24, 40, 30)]  # as wide as tall: swinging a few pixels
    for t in range(4):
        assert not door.may_start(moving(clump[t % 2]), float(t), True, 20, everywhere).any()
    bodies = [(40, 22, 30, 26), (58, 14, 14, 40), (60, 22, 30, 26), (70, 22, 30, 26)]  # upright once, 30 px on
    started = [door.may_start(moving(body), float(t), True, 20, everywhere).any() for t, body in enumerate(bodies, 10)]
    assert started == [False, False, False, True]
    leaves = SwayWatch(person_height=0.3)
    for t in range(12):
        assert not leaves.may_start(moving(clump[t % 2]), float(t), True, 20, everywhere).any()


def test_before_the_scene_is_known_travel_takes_three_sightings():
    """A clump of leaves is seen twice, its centre a third of what it covered from where it was: travel, and at
    the second look of a recording whose keyframes pair no frames a second apart (29.97 fps, one every 30
    frames: 1.001 s) nothing is known yet of where the picture keeps moving. In the office recording with
    leaves in front of the door retimed so, that started the one highlight of the whole recording (0.19 with
    each visit). Until the clutter map is known, travel takes a third sighting: the clump swings back; someone
    walking goes on. (Nothing is remembered as swaying here: that memory is tested above.)"""

    def clump(x: int) -> np.ndarray:
        return moving((x, 30, 20, 20))  # as wide as tall: no one standing

    for scene_known, starts in ((True, [False, True]), (False, [False, False, False])):
        leaves = SwayWatch(person_height=0.3)
        seen = [
            leaves.may_start(clump(x), float(t), True, 20, None, scene_known).any() for t, x in enumerate((40, 50, 43))
        ]
        assert seen[: len(starts)] == starts
    walker = SwayWatch(person_height=0.3)
    seen = [walker.may_start(clump(x), float(t), True, 20, None, False).any() for t, x in enumerate((40, 50, 60))]
    assert seen == [False, False, True]


def test_what_came_in_at_once_to_nothing_must_travel_there_next_time_and_a_visitor_who_walked_need_not():
    """A band cut by the top edge starts a visit at once (the rim of a bush bending in a gust); nobody walks in
    it, over samples enough to see a walk. The next time something comes in there, it starts nothing until it
    travels. A visit too short to tell tells nothing; where the visit that came in there had someone walk in it,
    someone coming in there again starts at once, as before."""
    everywhere = np.full((90, 160), 255, np.uint8)
    rim = moving((70, 0, 4, 30))
    bush, glimpse = SwayWatch(person_height=0.3), SwayWatch(person_height=0.3)
    for watch, samples in ((bush, WALK_SAMPLES), (glimpse, WALK_SAMPLES - 1)):
        assert watch.may_start(rim, 10.0, True, 20, everywhere).any()
        watch.visit_began(10.0, entered=True)
        for k in range(samples):  # the rim swings in place
            watch.may_start(moving((70 + k % 2, 0, 4, 30)), 11.0 + k, True, 20, everywhere)
        watch.visit_ended()
    assert not bush.may_start(rim, 30.0, True, 20, everywhere).any()
    assert glimpse.may_start(rim, 30.0, True, 20, everywhere).any()
    door = SwayWatch(person_height=0.3)
    assert door.may_start(rim, 10.0, True, 20, everywhere).any()
    door.visit_began(10.0, entered=True)
    for k, x in enumerate((60, 75, 90)):  # they walk in, upright, sideways by their width each sample
        door.may_start(moving((x, 30, 8, 40)), 11.0 + k, True, 20, everywhere)
    assert door.walked_at == 13.0
    door.visit_ended()
    assert door.may_start(rim, 30.0, True, 20, everywhere).any()


def walking_in_depth(visits: list[tuple[float, float]], across: float = 0.45):
    """Someone who comes in through the bottom edge (past the camera) and walks straight away from it to a spot,
    stands there shifting a little, and walks back out the same way: up and down the picture, growing smaller
    and larger, never sideways. ``visits``: (in, out) s; ``across``: where, as a fraction of the width."""

    def draw(frame: np.ndarray, t: float) -> bool:
        for start, end in visits:
            if start <= t < end:
                walk = 3.0  # s to the spot
                away = min(1.0, (t - start) / walk, (end - t) / walk)  # 0 at the camera, 1 at the spot
                height, width = int(0.9 * HEIGHT * (1 - 0.5 * away)), int(0.25 * HEIGHT * (1 - 0.5 * away))
                bottom = int(HEIGHT + 0.5 * height - 0.35 * HEIGHT * away)  # cut by the bottom edge near it
                left = int(across * WIDTH - width / 2 + 2 * np.sin(2 * np.pi * 0.7 * t))
                top = max(0, bottom - height)
                frame[top:bottom, left : left + width] = (60, 50, 160)
                frame[top : top + max(2, height // 6), left + width // 4 : left + 3 * width // 4] = (120, 150, 200)
                return True
        return False

    return draw


def test_visitors_who_walk_straight_away_from_the_camera_are_each_a_highlight(tmp_path):
    """Three visitors, each coming in past the camera (at once, through the bottom edge) and walking up the
    picture to one spot and back: nobody walks sideways, so each visit came to nothing as far as the sway watch
    can tell (``SwayWatch.came_to_nothing``), at the place the next one comes in. Keeping what came in there
    again from travelling too took the second and third visits (one highlight of three); they must start as
    they travel."""
    path = tmp_path / "in_depth.mp4"
    truth = record(path, 135.0, walking_in_depth([(5.0, 25.0), (55.0, 75.0), (105.0, 125.0)]), 2.5)
    found = highlights(path, FINE)
    assert len(found) == 3, (found, truth)
    for visit, highlight in zip(truth, found):
        assert temporal_iou(tuple(visit), highlight) >= 0.9, (found, truth)


def test_something_new_that_has_yet_to_travel_is_watched_until_it_does_or_swings_long_enough():
    """Motion that must travel before it starts a presence is told only by samples close enough to follow it:
    while one is undecided the pass samples at the regular rate rather than a keyframe apart."""
    walker = SwayWatch(person_height=0.3)
    seen_at(walker, 70, 0.0)
    assert walker.undecided(0.0)
    seen_at(walker, 90, 0.5)  # it travelled: it may start a presence, and nothing is left to tell
    assert not walker.undecided(0.5)
    swinging = SwayWatch(person_height=0.3)
    for k in range(9):  # in place for longer than SWAY_SECONDS
        seen_at(swinging, 70 + k % 2, 0.5 * k)
        assert swinging.undecided(0.5 * k) == (0.5 * k <= 3.0)


def test_leaves_at_the_edge_from_the_first_frame_do_not_last_where_keyframes_are_far_apart(tmp_path):
    """One keyframe for the whole recording (x264's default is one every 250 frames): no pairs of keyframes a
    second apart tell the edge watch, before the pass, that the leaves at the top move all the time. Before,
    they travelled along the edge in the first samples and were someone at the edge for the whole recording:
    one highlight, 0-16 s. Now the pass's own first looks tell (``SEED_PAIRS`` of them, two a second): until
    then the leaves may be someone, never after, and the walker is the visit."""
    path = tmp_path / "leaves_one_keyframe.mp4"
    truth = record(path, 16.0, both(leaves_at_the_top(), walker(9.0, 13.0, across=1.1)), 2.5, gop=20.0)
    found = highlights(path)
    told_by = SEED_PAIRS / 2.0 + 1.0  # s: the looks, and a second of smoothing
    visits = [highlight for highlight in found if highlight[1] > told_by]
    assert len(visits) == 1 and temporal_iou(visits[0], truth[0]) >= 0.9, (found, truth)


def test_leaves_at_the_edge_do_not_hold_a_visit_after_the_walker_leaves(tmp_path):
    """Leaves hanging in at the top, swaying from the first frame (known as clutter from the first looks), and a
    walker along the bottom. The leaves differ from the empty scene as they sway and are cut by the frame's edge,
    shaped like someone partly in view: they held the visit 2.3 s past the walker's leaving (9.0-15.2 s for a
    walk of 9.0-12.9 s). On clutter, a still part of the picture holds a visit only where the visitor was."""
    path = tmp_path / "leaves_walker.mp4"
    truth = record(path, 16.0, both(leaves_at_the_top(), walker(9.0, 13.0, across=1.1)), 2.5)
    found = highlights(path)
    assert len(found) == 1 and temporal_iou(found[0], truth[0]) >= 0.9, (found, truth)
    assert found[0][1] <= truth[0][1] + 0.5, (found, truth)


# The real office clip's three visits (``office_recording.py``) with something swaying over a quarter of the
# picture where the visitor is: in front of the door they come in by, or over the desk by their side.
# (minutes, foliage, flag, size): the leaves at the clip's own shape (3:2), the flags at 16:9 with black bars
# at the sides.
WHERE_THE_VISITOR_IS = {
    "leaves": (5.0, "middle", None, (270, 180)),
    "flag-in-gusts": (10.0, None, "middle", (WIDTH, HEIGHT)),
    "flag-by-the-desk": (10.0, None, "low-left", (270, 180)),
}


@pytest.mark.slow
@pytest.mark.parametrize("recording", WHERE_THE_VISITOR_IS.values(), ids=WHERE_THE_VISITOR_IS.keys())
def test_what_sways_where_the_visitor_is_does_not_hold_a_visit_after_they_leave(shared, tmp_path, recording):
    """Each visit ends when the visitor leaves, at 320x180 (the leaves and the flag by the desk: 270x180, the
    clip's own shape, no black bars).

    Leaves shifted by a gust differ from the empty scene, and where the visitor came in they are not what moved
    before the visit: scattered specks the height of a far person each, they held the second visit 28 s past the
    visitor's leaving (tIoU 0.65). A presence left to a quarter of what held it seconds before, a moment after a
    walk, with nothing there moving that could start a visit and most of it changing from one sample to the
    next, has ended. Without the black bars that padded the clip's picture to 16:9, the visitor behind the leaves
    was taken for them and found 18 s late, until many times the size of what swayed there was not the leaves,
    and their pieces a column (``test_someone_behind_leaves_is_a_column_of_pieces_not_the_leaves_swinging_again``).

    The flag's gusts come and go with nobody in view and while someone is. Where it swayed with nobody in view
    does not hold a visit (``SwayWatch.swayed_places``), unless it was the visitor's: all of a place reaching
    where they start was, and the visitor comes in behind the flag. It held the first visit 48 s past their
    leaving and the third 24 s (tIoU 0.54 and 0.71). Now only what is within reach of where they start is
    theirs, or a place held back in the 10 s before (players warming up on one spot).

    Over the desk, a gust began as the visitor came in: the flag and the visitor were one moving thing, so the
    flag was theirs, and held the first visit 48 s and the third 24 s past their leaving (tIoU 0.54 / 0.98 /
    0.70). Their walk out was not seen (the box of the two together barely moved; their body did), the flag
    flapping in place where they had stood kept the visit, its cloth was still more than a quarter of what
    held them in the 5 s before (they had started to walk out), and, the visit ended, the flag moving where
    they had been started it again. At the clip's own shape the first visitor, walking away behind the flag
    with an arm out, was upright at 2 samples of 6, and their walk again not seen (tIoU 0.51), until going one
    way at every step, far, was a walk
    (``test_someone_walking_away_behind_a_flag_an_arm_out_walked_and_the_flag_alone_did_not``)."""
    minutes, foliage, flag, size = recording
    path = tmp_path / "office.mp4"
    truth = load_checkout_script("benchmarks/office_recording.py").build(path, minutes, size, foliage, flag=flag)
    found = highlights(path, NO_PADDING)
    assert len(found) == len(truth), (found, truth)
    for visit, highlight in zip(truth, found):
        assert temporal_iou(highlight, visit) >= 0.9, (found, truth)


@pytest.mark.slow
@pytest.mark.parametrize("place", ["upper-left", "upper-right"])
def test_a_bush_at_the_top_that_came_in_to_nothing_once_starts_nothing_there_again(shared, tmp_path, place):
    """A dense bush over the top quarter of the picture (``office_recording.py --bush``), 10 minutes at 320x180.

    Each gust bends it further than its usual swing: its rim, a band a few pixels wide and as
    tall as a person against the pale wall, comes in through the top edge or stands like
    someone, and started a visit at every gust (11 false highlights at the upper left, 20 at the
    upper right; visits 0.90 to 0.92, joined to a gust's). A visit that came in at once and in
    which nobody walked came to nothing: what comes in there again must travel first
    (``SwayWatch.came_to_nothing``). The first gust at a place, and one whose visit was too short
    to tell, still start one (2 at each place)."""
    path = tmp_path / "office.mp4"
    truth = load_checkout_script("benchmarks/office_recording.py").build(path, 10.0, (WIDTH, HEIGHT), None, bush=place)
    found = highlights(path, NO_PADDING)
    for visit in truth:
        assert max(temporal_iou(tuple(visit), highlight) for highlight in found) >= 0.9, (found, truth)
    false = [h for h in found if not any(temporal_iou(tuple(visit), h) > 0 for visit in truth)]
    assert len(false) <= 3, (false, truth)


def test_people_past_leaves_that_swayed_long_before_they_came_are_kept(tmp_path):
    """Leaves at the top swaying for 35 s before anyone comes: where they sway is known once the pass is over, and
    a visit in which nothing else moved is taken back. Feet walking along the top edge through the leaves, and a
    walker right below them, moved elsewhere too: both visits are kept (the feet from when the edge watch counts
    them, once they have walked 3% of the width: 37.6 s)."""
    path = tmp_path / "leaves_then_people.mp4"
    people = both(feet_along_the_top(36.0, 42.0), walker(45.0, 49.0, top=0.1, across=1.1))
    truth = record(path, 52.0, both(leaves_at_the_top(), people), 2.5)
    found = highlights(path)
    assert len(found) == 2, (found, truth)
    for visit, highlight in zip(truth, found):
        assert temporal_iou(highlight, visit) >= 0.7, (found, truth)


@pytest.mark.slow
@pytest.mark.parametrize("place", ["upper-left", "upper-right"])
def test_leaves_swaying_over_a_quarter_of_the_picture_away_from_the_visitor_are_no_highlight(shared, tmp_path, place):
    """A plant over a quarter of the picture (``office_recording.py --foliage``), 10 minutes at 320x180, swaying
    from the first frame in gusts and calms. A gust took leaves beyond where they had swung, and they started a
    visit as the pass saw them: one of 50 s at the upper left (373-423 s), two of 4 s at the upper right. Once the
    pass is over, the looks with nobody in view before a visit show where things sway by themselves; a visit in
    which nothing moved elsewhere is taken back (``highlight.scorers.recheck``). The visitor's are kept.

    The same frames at 29.97 fps (as most phones write it): keyframes 1.001 s apart pair no frames a second
    apart before the pass, and the leaves along the top edge passed for someone there in its first looks, before
    they told (a highlight of 5-10 s at the start). What the edge watch found then is judged as any visit is."""
    path = tmp_path / "office.mp4"
    truth = load_checkout_script("benchmarks/office_recording.py").build(path, 10.0, (WIDTH, HEIGHT), place)
    retimed = tmp_path / "office_29.97.mp4"
    command = ["ffmpeg", "-v", "error", "-y", "-itsscale", "1.001", "-i", str(path), "-c", "copy", str(retimed)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    for video, stretch in ((path, 1.0), (retimed, 1.001)):
        visits = [[start * stretch, end * stretch] for start, end in truth]
        found = highlights(video, NO_PADDING)
        assert len(found) == len(visits), (video.name, found, visits)
        for visit, highlight in zip(visits, found):
            assert temporal_iou(highlight, visit) >= 0.9, (video.name, found, visits)


def test_how_often_a_place_moves_is_told_by_enough_looks_only():
    """One pair of frames a second apart says nothing of how often a place moves: whatever moved then (someone
    squatting in place, in view from the first frame of a recording with one keyframe) was clutter, at a share of
    1, and nothing moving there started a visit for a minute (squat_side so recorded: 11% in highlights, not 91%).
    Without a seed the pass's own looks tell, as soon as there are enough of them, not a minute later."""
    moved, still = np.ones((4, 4), np.uint8), np.zeros((4, 4), np.uint8)
    seeded_once = MovingShare((4, 4), memory=120.0)
    seeded_once.seed([moved])
    assert not seeded_once.busy().any()
    leaves, walker = MovingShare((4, 4), memory=120.0), MovingShare((4, 4), memory=120.0)
    for look in range(SEED_PAIRS):
        leaves.learn(moved if look % 4 else still, gap=0.5)  # moving in most looks
        walker.learn(moved if look in (2, 3) else still, gap=0.5)  # passing by once
    assert leaves.busy().all() and not walker.busy().any()
