"""Presence on the real clips filmed through weather: rain, snow, flakes close to the lens.

    python benchmarks/bench_weather.py [--jobs 2] [--only NAME ...]

An outdoor camera films through rain and snow, and a lamp by a camera at night draws
insects that, close to the lens, are large soft blobs crossing the picture in a second.
None of it is someone. Each clip with presence labels (``dev.json``, and the office visit
read by eye) gets weather drawn over every frame, in the clip's own size, and is encoded
again (x264, a keyframe a second) once, under ``benchmarks/out/weather`` (a temporary
name renamed when complete; ffmpeg supervised: a time limit, its exit status). Each
recording is analysed with the default settings and no padding and scored against the
clip's own labels, as ``bench_variations.py`` does:

* ``rain``: streaks 3-8% of the height long, slanted, new ones every frame, the picture a
  little darker;
* ``snow``: flakes 1-5 pixels across (at 360 lines) drifting down and sideways, each in
  view for several seconds;
* ``near-lens`` and ``near-lens-heavy``: flakes (or insects) close to the lens, soft discs
  2-7% of the height across, each falling through the picture in 0.7-1.7 s; one per
  40 000 pixels of frame (5 in a 640x360 picture, 2 in 360x240), and three times as many.

The weather is drawn with fixed seeds: every run encodes the same recordings.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from bench_accuracy import OUT, SHARED
from bench_variations import options, presence_labels, print_table, recorded_each_way

ENCODE_LIMIT_S = 600.0


class Rain:
    """Streaks at a slant, drawn anew in every frame."""

    def __init__(self, size: tuple[int, int], rng: np.random.Generator, density: float = 3.0):
        self.width, self.height = size
        self.count, self.rng = int(density * self.width * self.height / 1000), rng

    def draw(self, frame: np.ndarray) -> np.ndarray:
        layer = np.zeros((self.height, self.width), np.float32)
        xs, ys = self.rng.uniform(0, self.width, self.count), self.rng.uniform(0, self.height, self.count)
        lengths = self.rng.uniform(0.03, 0.08, self.count) * self.height
        for x, y, length in zip(xs, ys, lengths):
            cv2.line(layer, (int(x), int(y)), (int(x + 0.15 * length), int(y + length)), 1.0, 1, cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (3, 3), 0)[..., None]
        return 0.93 * (frame * (1 - 0.45 * layer) + 220 * 0.45 * layer)


class Flakes:
    """Flakes falling and drifting; each that leaves at the bottom comes again at the top, somewhere else."""

    def __init__(self, size: tuple[int, int], rng: np.random.Generator, per_pixel: float, near: bool):
        self.width, self.height = size
        self.rng = rng
        count = max(1, int(per_pixel * self.width * self.height))
        scale = self.height / 360
        self.x, self.y = rng.uniform(0, self.width, count), rng.uniform(0, self.height, count)
        self.speed = rng.uniform(*((0.02, 0.05) if near else (0.004, 0.012)), count) * self.height  # a frame
        self.radius = rng.uniform(*((4.0, 12.0) if near else (0.8, 2.5)), count) * scale
        self.phase = rng.uniform(0, 2 * np.pi, count)
        self.blur, self.frame = 1.0 + 2.0 * near, 0

    def draw(self, frame: np.ndarray) -> np.ndarray:
        self.frame += 1
        self.y += self.speed
        gone = self.y > self.height + self.radius
        self.y[gone] = -self.radius[gone]
        self.x[gone] = self.rng.uniform(0, self.width, int(gone.sum()))
        self.x = (self.x + 0.6 * self.speed * np.sin(0.1 * self.frame + self.phase)) % self.width
        layer = np.zeros((self.height, self.width), np.float32)
        for x, y, radius in zip(self.x, self.y, self.radius):
            cv2.circle(layer, (int(x), int(y)), max(1, int(radius)), 1.0, -1, cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (0, 0), self.blur)[..., None]
        return frame * (1 - 0.8 * layer) + 235 * 0.8 * layer


WEATHER: dict[str, Callable[[tuple[int, int], np.random.Generator], Rain | Flakes]] = {
    "rain": lambda size, rng: Rain(size, rng),
    "snow": lambda size, rng: Flakes(size, rng, 3.0 / 4000, near=False),
    "near-lens": lambda size, rng: Flakes(size, rng, 1.0 / 40000, near=True),
    "near-lens-heavy": lambda size, rng: Flakes(size, rng, 3.0 / 40000, near=True),
}


def encoded(video: Path, weather: str, folder: Path) -> Path:
    """``video`` with ``weather`` drawn over it, in ``folder`` (made once); RuntimeError with the reason."""
    target = folder / f"{video.stem}~{weather}.mp4"
    if target.is_file():
        return target
    partial = target.with_name(f".{target.name}.part.mp4")
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    command = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}"]
    command += ["-r", f"{fps:.5f}", "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "22"]
    command += ["-g", str(round(fps)), "-pix_fmt", "yuv420p", str(partial)]
    sky = WEATHER[weather](size, np.random.default_rng(3))
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            encoder.stdin.write(np.clip(sky.draw(frame.astype(np.float32)), 0, 255).astype(np.uint8).tobytes())
        encoder.stdin.close()
        status = encoder.wait(timeout=ENCODE_LIMIT_S)
        reason = encoder.stderr.read().decode(errors="replace").strip().splitlines()
    except (subprocess.TimeoutExpired, BrokenPipeError) as error:
        encoder.kill()
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg did not finish: {type(error).__name__}") from None
    finally:
        capture.release()
    if status != 0 or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed (exit status {status}): {(reason or ['no output'])[-1]}")
    partial.replace(target)
    return target


def main() -> None:
    args = options(__doc__)
    if not (SHARED / "data" / "videos").is_dir():
        sys.exit(f"bench_weather: {SHARED / 'data' / 'videos'} is missing (set HIGHLIGHT_SHARED)")
    print_table(recorded_each_way(presence_labels(), WEATHER, OUT / "weather", encoded, args), "weather")


if __name__ == "__main__":
    main()
