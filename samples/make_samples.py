"""Generate small sample recordings with known highlights (for the quick start and the tests).

    python samples/make_samples.py [FOLDER]      # default: this folder

Each sample is a fixed camera on a textured scene with sensor noise and a slow
lighting drift (what a tripod recording looks like to a detector), and a "player" who
walks in, moves around, and leaves. ``truth.json`` lists each file's action intervals.

* ``court.mp4``     640x360, 30 fps, 24 s, AAC audio, two visits of the player and an
                    auto-exposure jump with nobody in view (must not be a highlight)
* ``phone_portrait.mp4``  the same kind of scene filmed in portrait: stored landscape
                    with a 90-degree display rotation, as phones do; no audio
* ``pal_25fps.mp4``  720x576, 25 fps, 12 s, one visit
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent


def _scene(width: int, height: int, seed: int) -> np.ndarray:
    """A textured static background: blocks of colour, a floor, some lines."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(70, 150, (height // 20 + 1, width // 20 + 1, 3)).astype(np.float32)
    scene = np.kron(coarse, np.ones((20, 20, 1)))[:height, :width]
    scene[int(height * 0.6) :] = scene[int(height * 0.6) :] * 0.5 + np.array([150, 110, 70]) * 0.5  # the floor
    scene[int(height * 0.6) : int(height * 0.6) + 3] = 230  # a court line
    return scene


def _draw_player(frame: np.ndarray, cx: float, floor_y: float, scale: float) -> bool:
    """A person-sized figure: a body and a head, in a shirt colour unlike the scene.

    Returns whether any of it is in the picture (the ground truth of "someone in view").
    """
    h = int(frame.shape[0] * 0.35 * scale)
    w = max(4, h // 3)
    top = int(floor_y) - h
    x0, x1 = int(cx - w / 2), int(cx + w / 2)
    ys, ye = max(top + h // 4, 0), max(int(floor_y), 0)
    frame[ys:ye, max(x0, 0) : max(x1, 0)] = (200, 40, 40)
    r = max(2, w // 3)
    yy, xx = np.ogrid[: frame.shape[0], : frame.shape[1]]
    head = (yy - (top + r)) ** 2 + (xx - cx) ** 2 <= r * r
    frame[head] = (225, 190, 160)
    return x1 > 0 and x0 < frame.shape[1]


def _player_x(t: float, visit: tuple[float, float], width: int, still: bool = False) -> float | None:
    """Walk in from the left edge, dribble in the middle (or stand ``still``), walk out to the right."""
    start, end = visit
    if not start <= t < end:
        return None
    walk = min(1.5, (end - start) / 3)
    if t < start + walk:
        return -width * 0.05 + (t - start) / walk * width * 0.45
    if t > end - walk:
        return width * 0.4 + (t - (end - walk)) / walk * width * 0.7
    if still:
        return width * 0.4
    return width * (0.4 + 0.1 * np.sin(2 * np.pi * (t - start) / 1.3))


def _light(t: float, seconds: float, exposure_jump: float | None, exposure_step: float | None) -> float:
    """Scene brightness: a slow drift, a moment of auto-exposure hunting, a lasting exposure step."""
    light = 1.0 + 0.08 * t / seconds  # the sun comes out slowly
    if exposure_jump is not None and exposure_jump <= t < exposure_jump + 0.2:
        light *= 1.12  # auto exposure hunts for a moment
    if exposure_step is not None and t >= exposure_step:
        light *= 1.3  # auto exposure settles on a new level
    return light


def _cloud_shade(t: float, cloud: tuple[float, float] | None, width: int, height: int) -> np.ndarray | float:
    """A soft shadow (a cloud) drifting across the scene from left to right between two times."""
    if cloud is None or not cloud[0] <= t < cloud[1]:
        return 1.0
    centre = -0.3 * width + (t - cloud[0]) / (cloud[1] - cloud[0]) * 1.6 * width
    xs = np.arange(width, dtype=np.float32)
    shade = 1.0 - 0.35 * np.exp(-(((xs - centre) / (0.25 * width)) ** 2))
    return np.broadcast_to(shade[np.newaxis, :, np.newaxis], (height, width, 1))


def render(
    path: Path,
    width: int,
    height: int,
    fps: Fraction,
    seconds: float,
    visits: list[tuple[float, float]],
    audio: bool = False,
    exposure_jump: float | None = None,
    seed: int = 0,
    bitrate: int | None = None,
    still: bool = False,
    exposure_step: float | None = None,
    cloud: tuple[float, float] | None = None,
    noise: float = 2.5,
    sway: tuple[float, float, float, float] | None = None,
    pan: float = 0.0,
    edge: bool = False,
    screen: tuple[float, float, float, float] | None = None,
    flicker: float = 0.0,
    clock: bool = False,
    escalator: tuple[float, float, float, float] | None = None,
    shake: float = 0.0,
    furniture: bool = False,
) -> list[list[float]]:
    """Encode the sample; return the intervals in which the player is in view, in seconds.

    ``bitrate`` (bits/s) encodes at a fixed rate as phones do (about 12-17 Mbit/s at
    1080p30, sensor noise and all); the default, quality-based, makes small files.
    ``still``: the player stands still between walking in and out. ``exposure_step``
    (s): the exposure rises for good; ``cloud`` (start, end s): a shadow drifts across.
    ``noise``: the sensor noise's standard deviation (grey levels). ``sway`` (left, top,
    width, height as fractions): a striped flag there waves all the time, with nobody in
    view because of it. ``pan``: the camera pans right by this fraction of the width a
    second, following the player (who then stays near the middle of the picture).
    ``edge``: the player walks along the top edge with only their legs in view.
    ``screen`` (left, top, width, height as fractions): a TV there, on all the time, with
    cuts between shots and a figure walking across in each, with nobody in view because of it.
    ``flicker``: lamps on the mains beating with the frame rate: the brightness swings by
    this fraction, about once a second. ``clock``: a burned-in date and time at the top
    left, as CCTV writes it, ticking every second. ``escalator`` (left, top, width, height):
    steps moving up there all the time. ``shake``: the camera wobbles in place by up to this
    fraction of the width each way, a few times a second (a phone on a tripod in the wind).
    ``furniture``: a room's strong edges on the wall: dark door frames and shelves, a white board.
    """
    visible: list[bool] = []
    rng = np.random.default_rng(seed + 1)
    scene_width = width + (int(np.ceil(pan * width * seconds)) + 1 if pan else 0)  # the camera's path
    scene = _scene(scene_width, height, seed).astype(np.float32)
    if furniture:
        _draw_furniture(scene)
    grain = rng.normal(0, noise, (8, height, width, 3)).astype(np.float32)  # sensor noise, drawn once
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "g": str(int(fps))}  # a keyframe a second, like phones
        if bitrate:
            video.bit_rate = bitrate
        else:
            video.options = {**video.options, "crf": "23"}
        sound = out.add_stream("aac", rate=48000) if audio else None
        n_frames = int(seconds * fps)
        for i in range(n_frames):
            t = float(i / fps)
            light = _light(t, seconds, exposure_jump, exposure_step) * _cloud_shade(t, cloud, width, height)
            light *= 1.0 + flicker * np.sin(2 * np.pi * FLICKER_HZ * t)
            left = int(pan * width * t)
            frame = scene[:, left : left + width] * light + grain[rng.integers(len(grain))]
            if sway is not None:
                _draw_flag(frame, sway, t)
            if screen is not None:
                _draw_screen(frame, screen, t, seed)
            if escalator is not None:
                _draw_escalator(frame, escalator, t)
            if clock:
                _draw_clock(frame, t)
            in_view = False
            for visit in visits:
                x = _player_x(t, visit, width, still)
                if x is not None and pan:
                    x = width * 0.5 + 0.05 * width * np.sin(2 * np.pi * t)  # followed: near the middle
                if x is not None:
                    in_view |= _draw_player(frame, x, height * (0.1 if edge else 0.85), 1.0)
            visible.append(in_view)
            if shake:
                frame = _shaken(frame, shake, t)
            image = av.VideoFrame.from_ndarray(np.clip(frame, 0, 255).astype(np.uint8), format="rgb24")
            for packet in video.encode(image):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            _write_audio(out, sound, seconds, visits)
    return _runs(visible, fps)


def _draw_furniture(scene: np.ndarray) -> None:
    """A room's strong edges on the wall, some cut by the frame's edges as a room's are: dark door frames and
    shelves, a white board (150 grey levels against the wall)."""
    height, width = scene.shape[:2]
    wall = int(height * 0.6)
    for left, right in ((0.04, 0.22), (0.55, 0.75)):  # two door frames: posts and a lintel
        x0, x1 = int(left * width), int(right * width)
        scene[int(0.15 * height) : wall, [*range(x0, x0 + 4), *range(x1 - 4, x1)]] = 25
        scene[int(0.15 * height) : int(0.15 * height) + 4, x0:x1] = 25
    for y in (0.3, 0.45):  # shelves from the left edge to the second door, and from it to the right edge
        scene[int(y * height) : int(y * height) + 3, : int(0.52 * width)] = 30
        scene[int(y * height) : int(y * height) + 3, int(0.78 * width) :] = 30
    scene[: int(0.25 * height), int(0.8 * width) : int(0.95 * width)] = 240  # a white board up to the ceiling


def _shaken(frame: np.ndarray, shake: float, t: float) -> np.ndarray:
    """``frame`` as a camera wobbling by up to ``shake`` of the width each way saw it at ``t`` (two beating swings)."""
    import cv2

    height, width = frame.shape[:2]
    dx = shake * width * (0.6 * np.sin(2 * np.pi * 2.3 * t) + 0.4 * np.sin(2 * np.pi * 0.7 * t + 1.0))
    dy = shake * width * (0.6 * np.sin(2 * np.pi * 1.9 * t + 2.0) + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)


def _draw_flag(frame: np.ndarray, box: tuple[float, float, float, float], t: float) -> None:
    """A striped flag in ``box`` (fractions), waving: each column swings on a travelling wave."""
    height, width = frame.shape[:2]
    x0, y0 = int(box[0] * width), int(box[1] * height)
    w, h = int(box[2] * width), int(box[3] * height)
    ys = np.arange(h)[:, np.newaxis]
    xs = np.arange(w)[np.newaxis, :]
    wave = 0.15 * h * np.sin(2 * np.pi * (0.8 * t - xs / max(w, 1))) * (xs / max(w, 1))
    stripe = (((ys + wave) // max(h // 5, 1)) % 2).astype(bool)
    frame[y0 : y0 + h, x0 : x0 + w] = np.where(stripe[..., np.newaxis], (230, 230, 240), (200, 30, 40))


SHOT_SECONDS = 1.7  # a TV programme's shots: a cut this often
FLICKER_HZ = 1.1  # mains lamps (100 Hz) beating with a 33 fps exposure: a slow swing, not a blink
STEP_SPEED = 0.5  # an escalator's steps rise this many metres a second (a step is about 0.4 m)


def _draw_escalator(frame: np.ndarray, box: tuple[float, float, float, float], t: float) -> None:
    """Steps in ``box`` (fractions): dark treads and bright edges, rising all the time."""
    height, width = frame.shape[:2]
    x0, y0 = int(box[0] * width), int(box[1] * height)
    w, h = max(int(box[2] * width), 4), max(int(box[3] * height), 4)
    step = max(h // 6, 3)
    rows = (np.arange(h)[:, np.newaxis] + int(t * STEP_SPEED / 0.4 * step)) % step
    frame[y0 : y0 + h, x0 : x0 + w] = np.where(rows < step // 4, 190.0, 60.0)[..., np.newaxis]


def _draw_clock(frame: np.ndarray, t: float) -> None:
    """A burned-in date and time at the top left, white on the picture, ticking every second."""
    import cv2

    height = frame.shape[0]
    seconds = 12 * 3600 + 48 * 60 + int(t)
    text = f"16-03-2017 {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    scale = height / 450
    cv2.putText(
        frame,
        text,
        (int(0.02 * height), int(0.07 * height)),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        max(1, round(2 * scale)),
        cv2.LINE_AA,
    )


def _draw_screen(frame: np.ndarray, box: tuple[float, float, float, float], t: float, seed: int) -> None:
    """A TV in ``box`` (fractions): each shot a backdrop of its own colours, and someone walking across it."""
    height, width = frame.shape[:2]
    x0, y0 = int(box[0] * width), int(box[1] * height)
    w, h = max(int(box[2] * width), 4), max(int(box[3] * height), 4)
    shot = int(t // SHOT_SECONDS)
    colours = np.random.default_rng((seed, shot)).integers(20, 235, (3, 3))
    frame[y0 : y0 + h, x0 : x0 + w] = colours[0]
    frame[y0 + h // 2 : y0 + h, x0 : x0 + w] = colours[1]  # a floor
    across = (t - shot * SHOT_SECONDS) / SHOT_SECONDS
    figure_w, figure_h = max(w // 10, 2), int(0.6 * h)
    fx = x0 + int(across * (w - figure_w)) if shot % 2 else x0 + int((1 - across) * (w - figure_w))
    frame[y0 + h - figure_h - h // 8 : y0 + h - h // 8, fx : fx + figure_w] = colours[2]


def _runs(flags: list[bool], fps: Fraction) -> list[list[float]]:
    """[start, end) seconds of each run of True frames."""
    runs, start = [], None
    for i, flag in enumerate(flags + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append([round(float(start / fps), 4), round(float(i / fps), 4)])
            start = None
    return runs


def _write_audio(out, sound, seconds: float, visits: list[tuple[float, float]]) -> None:
    """Crowd hum, plus a bounce sound while the player is in view."""
    rate, chunk = 48000, 1024
    samples = int(seconds * rate)
    t = np.arange(samples) / rate
    signal = 0.05 * np.sin(2 * np.pi * 110 * t)
    for start, end in visits:
        inside = (t >= start) & (t < end)
        signal[inside] += 0.2 * np.sin(2 * np.pi * 440 * t[inside]) * (np.sin(2 * np.pi * 2 * t[inside]) > 0.9)
    pcm = signal.astype(np.float32)
    for k in range(0, samples, chunk):
        block = pcm[k : k + chunk]
        frame = av.AudioFrame.from_ndarray(block[np.newaxis, :], format="fltp", layout="mono")
        frame.rate = rate
        frame.pts = k
        for packet in sound.encode(frame):
            out.mux(packet)
    for packet in sound.encode():
        out.mux(packet)


def moving_square(
    path: Path,
    size: tuple[int, int],
    frames: int,
    codec: str = "libx264",
    fps: int = 25,
    last_frame_at: float | None = None,
    frame_times: list[float] | None = None,
    audio: bool = False,
) -> Path:
    """A bright square crossing a grey frame: a small recording with motion all along, in any codec and size.

    For the fault tests, which need many odd files fast rather than a realistic scene.
    ``frame_times`` (s) gives each frame its own time (a variable frame rate, as phones
    write in low light); ``last_frame_at`` (s) adds one more frame that late (a phone
    that stopped recording badly); ``audio`` adds a tone as long as the video.
    """
    width, height = size
    times = list(frame_times) if frame_times is not None else [k / fps for k in range(frames)]
    times += [last_frame_at] if last_frame_at else []
    time_base = Fraction(1, 1000) if frame_times is not None else Fraction(1, fps)
    with _scheduling_kept(), av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = time_base
        sound = container.add_stream("aac", rate=48000) if audio else None
        for k, t in enumerate(times):
            image = np.full((height, width, 3), 90, np.uint8)
            x = int((k % frames) / frames * (width - width // 5))
            image[height // 3 : height // 3 + height // 4, x : x + width // 5] = 230
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = round(t / time_base), time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            _write_audio(container, sound, max(times) + 1 / fps, [])
    return path


@contextmanager
def _scheduling_kept() -> Iterator[None]:
    """Put back the calling thread's CPU scheduling after an encoder has changed it.

    SVT-AV1 (``libsvtav1``), run as root, sets the thread that opens it to real-time
    scheduling (SCHED_FIFO, priority 99) and leaves it so. Every process started from that
    thread afterwards inherits it: a test browser whose renderer then spins is never
    preempted, and starves everything else on the machine, the test that waits on it too.
    """
    if not hasattr(os, "sched_getscheduler"):  # not Linux
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        yield
    finally:
        if (os.sched_getscheduler(0), os.sched_getparam(0)) != (policy, param):
            os.sched_setscheduler(0, policy, param)


def rotate_metadata(src: Path, dst: Path, degrees: int) -> None:
    """Copy with a display rotation, as a phone held upright writes it."""
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-display_rotation",
            str(degrees),
            "-i",
            str(src),
            "-c",
            "copy",
            str(dst),
        ],
        check=True,
    )


SAMPLES = {
    "court.mp4": dict(
        width=640,
        height=360,
        fps=Fraction(30),
        seconds=24.0,
        visits=[(3.0, 8.0), (14.0, 19.5)],
        audio=True,
        exposure_jump=11.0,
        seed=0,
    ),
    "pal_25fps.mp4": dict(width=720, height=576, fps=Fraction(25), seconds=12.0, visits=[(4.0, 9.0)], seed=2),
}
PORTRAIT = dict(width=640, height=360, fps=Fraction(30), seconds=10.0, visits=[(2.0, 6.5)], seed=1)


def make_samples(folder: Path = HERE) -> dict[str, list[list[float]]]:
    """Write the samples and truth.json (when-in-view intervals per file); return the truth."""
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, list[list[float]]] = {}
    for name, spec in SAMPLES.items():
        truth[name] = render(folder / f".tmp-{name}", **spec)
        (folder / f".tmp-{name}").rename(folder / name)
    landscape = folder / ".tmp-landscape.mp4"
    truth["phone_portrait.mp4"] = render(landscape, **PORTRAIT)
    rotate_metadata(landscape, folder / ".tmp-portrait.mp4", 90)
    (folder / ".tmp-portrait.mp4").rename(folder / "phone_portrait.mp4")
    landscape.unlink()
    (folder / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for name, intervals in make_samples(target).items():
        print(f"{target / name}: action at {intervals}")
