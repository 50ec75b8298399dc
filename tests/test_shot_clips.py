"""Shot clips people can share (``--preset shots``): no two clips overlap, the reel plays each
second once, each clip's peak is its own shot, a short shot is kept.

Checked on score timelines with planted events (pure functions), on a generated video for the
reel, and on the real court clips against shots read by eye (tests/labels/shots_by_eye.json, with
the hoop region each clip is run with).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from highlight.intervals import Interval, IntervalSettings, find_intervals, union
from highlight.pipeline import analyse, make_scorer
from highlight.presets import with_preset
from highlight.settings import RunSettings
from highlight.source import VideoSource, probe
from tests.footage import write_video

SHOTS = RunSettings().with_changes(with_preset("shots", {})).intervals


def planted(events: list[tuple[float, float]], seconds: float = 20.0, fps: float = 10.0):
    """A shots-rate timeline (every frame near each event, as the pass refines edges) with ``events`` at 1."""
    coarse = np.arange(0.0, seconds, 1 / fps)
    dense = np.concatenate([np.arange(a - 0.2, b + 0.2, 1 / 30) for a, b in events])
    times = np.unique(np.round(np.concatenate([coarse, dense]), 4))
    scores = np.zeros_like(times)
    for a, b in events:
        scores[(times >= a) & (times <= b)] = 1.0
    return times, scores


def no_overlap(clips: list[Interval]) -> bool:
    return all(a.end <= b.start + 1e-9 for a, b in zip(clips, clips[1:]))


def test_shots_close_together_split_the_seconds_between_them():
    events = [(3.0, 3.4), (4.6, 5.0), (12.0, 12.5)]  # two shots 1.2 s apart, a third alone
    clips = find_intervals(*planted(events), SHOTS, duration=20.0)
    assert len(clips) == 3 and no_overlap(clips), clips
    assert clips[0].end == pytest.approx(clips[1].start) == pytest.approx((3.4 + 4.6) / 2, abs=0.05)
    assert clips[2].start == pytest.approx(12.0 - SHOTS.pad_before, abs=0.05)  # room: the whole lead-in
    for clip, (a, b) in zip(clips, events):
        assert a - 0.05 <= clip.peak_time <= b + 0.05, (clip, a, b)  # its own shot, not the neighbour's


def test_a_ball_back_at_the_hoop_after_a_bounce_on_the_rim_stays_in_its_shots_clip():
    """court_practice_51s at 7.6 s: the ball leaves the region 0.4 s, bouncing on the rim, and comes back."""
    events = [(7.3, 7.87), (8.27, 8.47), (12.0, 12.4)]
    clips = find_intervals(*planted(events), SHOTS, duration=20.0)
    assert len(clips) == 2 and no_overlap(clips), clips
    assert clips[0].start < 7.3 and clips[0].end > 8.47 and 7.3 <= clips[0].peak_time <= 8.47, clips[0]


def test_peak_is_the_event_not_a_louder_neighbour_in_the_padding():
    times, scores = planted([(3.0, 3.4), (4.6, 5.0)])
    scores[(times >= 3.0) & (times <= 3.4)] = 0.7  # the first shot scores lower than the second
    first, second = find_intervals(times, scores, SHOTS, duration=20.0)
    assert 3.0 <= first.peak_time <= 3.4 and first.peak == pytest.approx(0.7)
    assert 4.6 <= second.peak_time <= 5.0


def test_a_short_shot_is_kept_a_one_frame_flicker_is_not():
    shot = find_intervals(*planted([(8.0, 8.23)]), SHOTS, duration=20.0)
    assert len(shot) == 1 and shot[0].start <= 8.0 and shot[0].end >= 8.23, shot
    times, scores = planted([(8.0, 8.23)])
    flicker = np.zeros_like(scores)
    flicker[np.argmin(np.abs(times - 8.1))] = 1.0
    assert find_intervals(times, flicker, SHOTS, duration=20.0) == []


def test_every_preset_yields_padding_never_overlaps():
    """Whatever the settings, clips are disjoint and the union is what they cover."""
    rng = np.random.default_rng(3)
    times = np.arange(0.0, 60.0, 0.1)
    scores = (rng.random(times.size) < 0.08).astype(float)
    for settings in (SHOTS, IntervalSettings(smooth=0.0, min_duration=0.0, merge_gap=0.0, separate=True)):
        clips = find_intervals(times, scores, settings, duration=60.0)
        assert len(clips) > 5 and no_overlap(clips)
        assert sum(c.duration for c in clips) == pytest.approx(sum(u.duration for u in union(clips)))


def test_union_plays_shared_footage_once():
    spans = union([Interval(4.0, 6.0), Interval(0.5, 2.0), Interval(1.5, 2.5)])
    assert [(s.start, s.end) for s in spans] == [(0.5, 2.5), (4.0, 6.0)]


def write_counter_video(path: Path, seconds: float = 3.0, fps: int = 25) -> None:
    """A small video whose brightness says the frame number (a reel can be checked frame by frame)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * fps)):
            image = np.full((48, 64, 3), 10 + 3 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_reel_never_repeats_a_frame(tmp_path):
    from moviepy import VideoFileClip

    from highlight.export.clips import ClipSettings, write_reel

    video, reel = tmp_path / "counter.mp4", tmp_path / "reel.mp4"
    write_counter_video(video)
    overlapping = [Interval(0.4, 1.6), Interval(1.2, 2.4)]  # as given by hand, or by an older run
    with VideoFileClip(str(video)) as clip:
        write_reel(clip, overlapping, reel, ClipSettings(threads=1))
    with av.open(str(reel)) as container:
        levels = [float(f.to_ndarray(format="gray").mean()) for f in container.decode(video=0)]
    assert len(levels) == pytest.approx(2.0 * 25, abs=2)  # the union, 0.4-2.4 s
    assert np.all(np.diff(levels) > 0), ("a frame came back", levels)  # brightness only rises


def shot_run(path: Path, region: str, **detector_options) -> tuple[list[Interval], np.ndarray, np.ndarray]:
    """``--preset shots --region REGION`` (and the motion options given): clips, sample times, scores."""
    settings = RunSettings(clips=False, regions=(region,), detector_options=tuple(detector_options.items()))
    settings = settings.with_changes(with_preset("shots", {}))
    info = probe(path)
    with VideoSource(path, info) as source:
        analysis = analyse(source, make_scorer(settings), settings)
    clips = find_intervals(analysis.times, analysis.scores, settings.intervals, info.duration)
    return clips, analysis.times, analysis.scores


def shot_clips(path: Path, region: str, **detector_options) -> list[Interval]:
    return shot_run(path, region, **detector_options)[0]


@pytest.mark.slow
def test_court_five_shots_clips_are_disjoint_each_with_its_shot(shared, dev_labels, shots_by_eye):
    clips = shot_clips(
        shared / "data" / "videos" / "court_five_shots.mp4", shots_by_eye["court_five_shots.mp4"]["region"]
    )
    shots = dev_labels["shots"]["court_five_shots.mp4"]["ball_in_air_approx_s"]
    assert len(clips) == len(shots) and no_overlap(clips), clips
    for clip, shot in zip(clips, shots):
        assert clip.start <= shot <= clip.end and clip.start <= clip.peak_time <= clip.end, (clip, shot)
    assert sum(c.duration for c in clips) <= probe(shared / "data" / "videos" / "court_five_shots.mp4").duration


def each_shot_in_a_clip_of_its_own(clips: list[Interval], shots: list[float]) -> list[Interval]:
    """The clip holding each shot, checked: one clip per shot, no clip holding two, none overlapping."""
    assert no_overlap(clips), clips
    holding = [[c for c in clips if c.start <= shot <= c.end] for shot in shots]
    assert all(len(h) == 1 for h in holding), list(zip(shots, holding))
    assert len({id(h[0]) for h in holding}) == len(shots)  # no clip holds two shots
    return [h[0] for h in holding]


@pytest.mark.slow
def test_court_practice_every_shot_in_a_clip_of_its_own_walk_throughs_in_none(shared, shots_by_eye):
    label = shots_by_eye["court_practice_51s.mp4"]
    clips, times, scores = shot_run(shared / "data" / "videos" / "court_practice_51s.mp4", label["region"])
    last = each_shot_in_a_clip_of_its_own(clips, label["shots_s"])[-1]
    assert abs(last.peak_time - label["shots_s"][-1]) <= label["tolerance_s"]  # the short last shot kept, its own peak
    for what, (start, end) in label["not_shots_s"].items():  # the player walking through the region
        during = (times >= start) & (times <= end)
        assert during.any() and scores[during].max() < SHOTS.exit_threshold, (what, scores[during])
        assert not any(start <= c.peak_time <= end for c in clips), (what, clips)


@pytest.mark.slow
def test_gym_shooting_every_shot_in_a_clip_of_its_own(shared, shots_by_eye):
    label = shots_by_eye["gym_shooting.mp4"]
    clips = shot_clips(shared / "data" / "videos" / "gym_shooting.mp4", label["region"])
    for clip, shot in zip(each_shot_in_a_clip_of_its_own(clips, label["shots_s"]), label["shots_s"]):
        assert abs(clip.peak_time - shot) <= label["tolerance_s"], (clip, shot)  # its peak is its own shot
    assert len(clips) == len(label["shots_s"]), clips  # three players in view all along: no other clip


def test_live_shot_clips_wait_for_a_neighbour_that_could_shorten_them():
    """`highlight live --preset shots`: a clip is final only once no next shot can take half its tail."""
    from highlight.live.decisions import LiveIntervals

    times, scores = planted([(3.0, 3.4), (5.5, 5.9)], seconds=15.0)  # the second starts inside the first's tail
    live = LiveIntervals(SHOTS)
    written: dict[int, Interval] = {}  # each highlight as last written
    for t, s in zip(times, scores):
        live.add([float(t)], [float(s)])
        written.update({d.index: d.interval for d in live.decide(float(t))})
    written.update({d.index: d.interval for d in live.decide(float(times[-1]), over=True)})
    clips = [written[k] for k in sorted(written)]
    expected = find_intervals(times, scores, SHOTS, float(times[-1]))
    assert [(c.start, c.end) for c in clips] == [(e.start, e.end) for e in expected]
    assert len(clips) == 2 and no_overlap(clips)


HOOP_AT = (236, 58)  # rim centre in the generated frame (px)
PLANTED_SHOTS = (1.6, 4.2, 5.8, 9.4)  # when each ball reaches the rim; the middle two 1.6 s apart
PLANTED_FLIGHT_S = 1.0  # seconds from release to the rim


def render_shots_on_another_court(path: Path, seconds: float = 12.0, fps: int = 30) -> None:
    """A fixed camera on a court unlike the real ones: a board and rim, a player always moving
    along the floor, and a ball that rises from the player's hands and comes down through the
    rim at ``PLANTED_SHOTS``, under gravity, then drops to the floor."""
    width, height = 320, 180
    rng = np.random.default_rng(5)
    wall = np.kron(rng.integers(90, 130, (9, 16, 3)), np.ones((20, 20, 1))).astype(np.uint8)
    wall[120:, :] = (150, 110, 70)  # a wooden floor
    wall[30:70, 216:256] = (235, 235, 235)  # the board
    rx, ry = HOOP_AT

    def frames():
        for i in range(int(seconds * fps)):
            t = i / fps
            frame = wall.copy()
            px = int(60 + 40 * np.sin(t * 0.9))  # the player never stops
            frame[95:165, px : px + 18] = (40, 40, 160)
            frame[ry : ry + 2, rx - 9 : rx + 9] = (230, 60, 20)  # the rim
            for arrival in PLANTED_SHOTS:
                flight = PLANTED_FLIGHT_S
                k = t - (arrival - flight)
                if 0.0 <= k <= flight:  # x linear, y a parabola from the hands (px+9, 100) to the rim
                    x0, y0, g = px + 9, 100.0, 300.0
                    vy = (ry - y0 - 0.5 * g * flight**2) / flight
                    x, y = x0 + (rx - x0) * k / flight, y0 + vy * k + 0.5 * g * k * k
                elif 0.0 < k - flight <= 0.5:  # through the net and down
                    x, y = rx, ry + 300.0 * (k - flight)
                else:
                    continue
                yy, xx = np.ogrid[:height, :width]
                frame[(xx - x) ** 2 + (yy - y) ** 2 <= 16] = (200, 90, 30)
            yield np.clip(frame.astype(int) + rng.integers(-4, 5, frame.shape), 0, 255).astype(np.uint8)

    write_video(path, frames(), fps)


def test_generated_court_one_clip_per_shot_none_overlapping(tmp_path):
    video = tmp_path / "other_court.mp4"
    render_shots_on_another_court(video)
    clips = shot_clips(video, "0.6,0.1,0.27,0.4")  # around the board and rim
    assert len(clips) == len(PLANTED_SHOTS) and no_overlap(clips), clips
    for clip, arrival in zip(clips, PLANTED_SHOTS):
        assert clip.start <= arrival - 0.5 and arrival + 0.5 <= clip.end, (clip, arrival)  # the shot and its result
        assert arrival - 0.5 <= clip.peak_time <= arrival + 0.6, (clip, arrival)  # its own shot
    for alone in (clips[0], clips[-1]):  # with room, the whole lead-in: the release a second before the rim
        assert alone.start <= PLANTED_SHOTS[clips.index(alone)] - 1.0
    assert clips[1].end == pytest.approx(clips[2].start)  # the close pair split the seconds between them


# -- someone walking through the hoop region is not a shot --------------------------------

FRAME = (480, 270)
METRE = 33.0  # px per metre at the hoop when the court is filmed from nearest (scale 1)


@dataclass(frozen=True)
class Walker:
    """Someone crossing the picture from left to right; ``near``: close to the camera (frame-tall)."""

    start: float  # seconds when they enter the picture
    seconds: float  # to cross it
    near: bool = True
    ball: bool = False  # carrying the ball in front of them


def hoop_region(scale: float) -> tuple[tuple[int, int], str]:
    """The rim's centre (px) and a region around the board and rim with room above, at ``scale``."""
    hx, hy = 300, 95
    left, top, right, bottom = (
        hx - 1.6 * METRE * scale,
        hy - 2.0 * METRE * scale,
        hx + 1.6 * METRE * scale,
        hy + 0.9 * METRE * scale,
    )
    width, height = FRAME
    return (hx, hy), f"{left / width:.4f},{top / height:.4f},{(right - left) / width:.4f},{(bottom - top) / height:.4f}"


def ball_at(t: float, arrival: float, rim: tuple[int, int], scale: float) -> tuple[float, float] | None:
    """Where a shot reaching the rim at ``arrival`` is: released 1.4 s before from 4.5 m out, under gravity."""
    hx, hy = rim
    m, flight = METRE * scale, 1.4
    k = t - (arrival - flight)
    x0, y0, g = hx - 4.5 * m, hy + 2.4 * m, 9.8 * m  # hands 0.65 m above the floor... 3.05 m below the rim
    if 0.0 <= k <= flight:
        vy = (hy - y0 - 0.5 * g * flight**2) / flight
        return x0 + (hx - x0) * k / flight, y0 + vy * k + 0.5 * g * k * k
    if 0.0 < k - flight <= 0.5:  # through the net and down
        return hx, hy + 0.5 * g * (k - flight) ** 2 + 2.0 * m * (k - flight)
    return None


def draw_person(frame: np.ndarray, x: float, top: float, height: float, t: float, ball: bool) -> None:
    """A standing figure ``height`` tall from ``top``: head, shirt, swinging legs (and the ball held out)."""
    head, limb = height / 8, max(1, round(height / 14))
    cv2.circle(frame, (round(x), round(top + head / 2)), round(head / 2), (205, 160, 130), -1)
    cv2.rectangle(
        frame,
        (round(x - height / 8), round(top + head)),
        (round(x + height / 8), round(top + 0.55 * height)),
        (70, 45, 45),
        -1,
    )
    swing = 0.12 * height * np.sin(t * 9.0)
    for side in (-1, 1):  # a leg from the hip to the foot
        cv2.line(
            frame,
            (round(x), round(top + 0.55 * height)),
            (round(x + side * swing), round(top + height)),
            (50, 50, 60),
            limb,
        )
    if ball:
        cv2.circle(frame, (round(x + height / 6), round(top + 0.4 * height)), round(height / 14), (200, 90, 30), -1)


def render_court_with_walkers(
    path: Path,
    shots: tuple[float, ...],
    walkers: tuple[Walker, ...],
    scale: float,
    seconds: float,
    trembles: tuple[tuple[float, float], ...] = (),
) -> str:
    """A fixed camera on a court (the hoop ``scale`` times its nearest size: further away when smaller),
    shots reaching the rim at ``shots``, ``walkers``, and the board trembling in the wind during
    ``trembles``; returns the hoop region."""
    width, height = FRAME
    rng = np.random.default_rng(17)
    wall = np.kron(rng.integers(95, 135, (27, 48, 3)), np.ones((10, 10, 1))).astype(np.uint8)
    rim, region = hoop_region(scale)
    hx, hy = rim
    m = METRE * scale
    floor = int(hy + 3.05 * m)
    wall[floor:, :] = (150, 110, 70)

    def frames():
        for i in range(int(seconds * 30)):
            t = i / 30
            frame = wall.copy()
            # the board and rim, trembling by a pixel in the wind during ``trembles``
            dx = int(any(a <= t <= b for a, b in trembles) and i % 4 < 2)
            x, y = int(hx) + dx, int(hy) + dx
            frame[int(y - 1.1 * m) : int(y + 0.15 * m), int(x - 0.9 * m) : int(x + 0.9 * m)] = (235, 235, 235)
            frame[int(y - 0.25 * m) : y, int(x - 0.3 * m) : int(x + 0.3 * m)] = (200, 40, 40)  # its square
            frame[int(y - 0.2 * m) : int(y - 0.05 * m), int(x - 0.2 * m) : int(x + 0.2 * m)] = (235, 235, 235)
            frame[y : y + 2, int(x - 0.23 * m) : int(x + 0.23 * m)] = (230, 60, 20)  # the rim
            shooter = hx - 4.5 * m + 0.5 * m * np.sin(t * 1.3)  # always moving, out of the region
            draw_person(frame, shooter, floor - 1.9 * m, 1.9 * m, t, ball=False)
            for arrival in shots:
                ball = ball_at(t, arrival, rim, scale)
                if ball is not None:
                    cv2.circle(frame, (round(ball[0]), round(ball[1])), max(2, round(0.12 * m)), (200, 90, 30), -1)
            for walker in walkers:
                k = (t - walker.start) / walker.seconds
                if 0.0 <= k <= 1.0:
                    if walker.near:  # from above the picture's top to below its bottom: the camera is close
                        tall, top, x0, x1 = 1.3 * height, -0.05 * height, -0.2 * width, 1.2 * width
                    else:  # a few metres in front of the hoop: head and shoulders through the region's bottom
                        tall, top, x0, x1 = 2.4 * 1.9 * m, hy + 0.3 * m, hx - 3.0 * m, hx + 3.0 * m
                    draw_person(frame, x0 + (x1 - x0) * k, top, tall, t, walker.ball)
            yield np.clip(frame.astype(int) + rng.integers(-4, 5, frame.shape), 0, 255).astype(np.uint8)

    write_video(path, frames(), 30)
    return region


WALKERS = (Walker(1.0, 1.2), Walker(4.0, 1.5, ball=True), Walker(7.0, 1.0, near=False))
TREMBLES = ((8.5, 9.5), (11.0, 12.0))  # the board shaking by a pixel, a second at a time


@pytest.mark.parametrize("scale", [1.0, 0.55])  # the court filmed from nearer, and from twice as far
def test_someone_walking_through_the_region_or_the_board_trembling_is_not_a_shot(tmp_path, scale):
    video = tmp_path / "walkers.mp4"
    region = render_court_with_walkers(video, (), WALKERS, scale, seconds=12.5, trembles=TREMBLES)
    assert shot_clips(video, region) == []
    # the footage is a real test: counting whatever moves in the region, each walker makes a clip there
    anything = shot_clips(video, region, ball_only=False)
    assert all(any(c.start <= w.start + w.seconds / 2 <= c.end for c in anything) for w in WALKERS), anything
    if scale == 1.0:  # and so does the trembling board (from further away, its pixel is lost in the blur)
        assert any(a <= c.peak_time <= b for c in anything for a, b in TREMBLES), anything


@pytest.mark.parametrize("scale", [1.0, 0.55])
def test_shots_and_walk_throughs_in_one_video_only_the_shots(tmp_path, scale):
    shots = (2.8, 6.0, 10.5)  # between and beside the walkers (1-2.2, 4-5.5, 7-8 s)
    video = tmp_path / "court.mp4"
    region = render_court_with_walkers(video, shots, WALKERS, scale, seconds=12.5, trembles=TREMBLES)
    clips = shot_clips(video, region)
    assert len(clips) == len(shots) and no_overlap(clips), clips
    for clip, arrival in zip(clips, shots):
        assert clip.start <= arrival <= clip.end and arrival - 0.6 <= clip.peak_time <= arrival + 0.6, (clip, arrival)


def test_a_ball_stays_a_body_reaching_out_of_the_region_goes():
    from highlight.scorers.bodies import ball_reach, without_bodies

    region = (30, 30, 90, 90)  # a 60 px square region inside a 120 px crop
    reach = ball_reach(60 * 60)
    assert reach == 20  # a third of the region's size
    mask = np.zeros((120, 120), np.uint8)
    cv2.circle(mask, (50, 50), 6, 255, -1)  # a ball in the region
    cv2.circle(mask, (88, 60), 8, 255, -1)  # a ball crossing its edge: out by less than its size
    cv2.rectangle(mask, (70, 75), (85, 119), 255, -1)  # a body from inside down to the crop's bottom
    kept = without_bodies(mask, region, reach)
    assert kept[50, 50] and kept[60, 88] and not kept[80, 78] and not kept[110, 78]


def test_the_background_moved_by_a_pixel_is_shaken_a_ball_is_not():
    from highlight.scorers.bodies import shaken

    background = np.full((60, 60), 120, np.uint8)
    background[20:40, 20:40] = 230  # a board
    trembled = np.roll(background, 1, axis=1)
    assert shaken((38, 18, 4, 24), trembled, background)  # its right edge, a pixel on
    with_ball = background.copy()
    cv2.circle(with_ball, (40, 30), 4, 60, -1)  # a ball in front of the same edge
    assert not shaken((35, 25, 10, 10), with_ball, background)
