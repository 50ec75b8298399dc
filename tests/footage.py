"""Small generated recordings for tests: frames drawn with numpy, written as H.264 by PyAV."""

from __future__ import annotations

import itertools
import math
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int, options: Mapping[str, str] | None = None) -> None:
    """Encode RGB ``frames`` (all one size) to ``path`` at ``fps``; ``options`` go to libx264 (crf, g)."""
    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if options:
            stream.options = dict(options)
        for frame in itertools.chain([first], frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


WOBBLE = (  # a recording as a camera wobbling by up to 0.8% of the width saw them (ffmpeg's crop, moving)
    "crop=w=iw*0.992:h=ih*0.992:x=iw*0.004*(1+0.6*sin(2*PI*2.3*t)+0.4*sin(2*PI*0.7*t+1))"
    ":y=ih*0.004*(1+0.6*sin(2*PI*1.9*t+2)+0.4*sin(2*PI*0.5*t)),scale=trunc(iw/0.992/2)*2:-2"
)


HANDHELD = (  # a recording as a camera held by hand saw it: slow sways of up to 3% of the width each way, a tremor
    "crop=w=iw*0.94:h=ih*0.94"
    ":x=iw*0.03*(1+0.7*sin(2*PI*0.13*t)+0.2*sin(2*PI*0.31*t+1)+0.1*sin(2*PI*2.3*t))"
    ":y=ih*0.03*(1+0.6*sin(2*PI*0.11*t+2)+0.3*sin(2*PI*0.37*t)+0.1*sin(2*PI*1.9*t+1)),scale=trunc(iw/0.94/2)*2:-2"
)


# a recording as a camera turned to one side saw it: the far (right) edge 16% shorter than the near one, a keystone
TURNED = "perspective=x0=0:y0=0:x1=W:y1=0.08*H:x2=0:y2=H:x3=W:y3=0.92*H:sense=destination"

# a recording made at dusk: darker, half the contrast, the noise of a sensor turned up
DUSK = "eq=brightness=-0.18:contrast=0.55:gamma=0.8,noise=alls=10:allf=t:all_seed=3"


class FlappingFlag:
    """A striped flag's cloth in gusty wind: how strongly it flaps, and where the cloth is.

    The wind's strength (0 calm, 1 a gust) is reached within half a second. Flapping, the
    cloth's loose end swings up and down on a wave running along it; at rest it droops.
    ``tests/test_presence_edges`` and ``benchmarks/office_recording.py`` draw their flags with it.
    """

    def __init__(self, strength: float = 0.0):
        self.strength, self.phase, self.t = strength, 0.0, 0.0

    def blow(self, t: float, wind: float) -> None:
        """The wind at ``t`` is ``wind`` (0 to 1): the cloth follows it from the last time blown."""
        step, self.t = t - self.t, t
        self.strength += (wind - self.strength) * min(1.0, step / 0.5)
        self.phase += self.strength * 1.2 * step

    def cloth(self, width: int, height: int, margin: int) -> tuple[np.ndarray, np.ndarray]:
        """Where the cloth (``width`` x ``height`` at rest) is, in a patch ``margin`` rows taller above and below
        it, and which of its five stripes are the second colour: two masks of the patch's shape."""
        below_top = np.arange(-margin, height + margin)[:, np.newaxis]  # each row of the patch, from the top hem
        along = np.arange(width)[np.newaxis, :] / width
        strength = self.strength
        lift = strength * 0.2 * height * np.sin(2 * np.pi * (self.phase - along)) * along
        cloth = below_top - lift - (1 - strength) * 0.3 * height * along**2  # at rest the loose end droops
        inside = (cloth >= 0) & (cloth < height * (1 - 0.3 * (1 - strength) * along))
        return inside, (cloth // max(1, height // 5)) % 2 == 1


def reencoded(source: Path, path: Path, keyframes: int, video_filter: str, quality: int = 20) -> Path:
    """``source`` as another phone or app would have written it: x264 at constant ``quality`` (crf), filtered."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-vf", video_filter, "-an"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(quality), "-g", str(keyframes), str(path)]
    subprocess.run(command, check=True, timeout=120)
    return path


OFFICE_EMPTY_UNTIL = 22.5  # s: the office clip's empty room, before its visitor opens the door
# Looked at frame by frame: the office clip's visitor is first visible at 23.3 s (in the door) and
# last at 81.6 s (a sliver of his shirt at the door); the video ends at 82.0 s.
OFFICE_VISIT = (23.3, 81.6)


def office_from(office: Path, cut_at: float, path: Path) -> Path:
    """The office clip (``office``) from ``cut_at`` s on, then its empty room: a recording that starts with its
    visitor in view, reading at one spot for most of it, and goes on a while after he walks out."""
    empty_room = f"[b]trim=end={OFFICE_EMPTY_UNTIL},setpts=PTS-STARTPTS[y]"
    cut = f"split[a][b];[a]trim=start={cut_at},setpts=PTS-STARTPTS[x];{empty_room};[x][y]concat=n=2:v=1:a=0"
    return reencoded(office, path, 50, cut)


def concatenated(sources: Iterable[Path], path: Path) -> Path:
    """The recordings one after the other in one file, their packets copied (ffmpeg's concat demuxer)."""
    import imageio_ffmpeg

    listing = path.with_suffix(".txt")
    listing.write_text("".join(f"file '{source}'\n" for source in sources))
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0"]
    command += ["-i", str(listing), "-c", "copy", str(path)]
    subprocess.run(command, check=True, timeout=120)
    return path


RIM_HEIGHT = 3.05  # metres: every basketball hoop's
GRAVITY = 9.81


@dataclass(frozen=True)
class Shot:
    """An attempt filmed from behind the shooter: when the ball reaches the rim, from where (metres), made or not."""

    arrival: float  # seconds
    across: float  # the shooter's place, left (-) or right (+) of the camera's line of sight
    depth: float  # and how far in front of the camera
    made: bool = True


@dataclass(frozen=True)
class BehindTheShooter:
    """A phone on a tripod behind the shooter, facing the hoop: a pinhole camera, tilted up, in metres.

    The ball flies away from the camera: it shrinks with its distance on the way to the
    rim, goes little sideways, and hangs near the top of its arc in the picture. The
    shooter walks from one spot to the next between shots and raises the arms to shoot.
    """

    shots: tuple[Shot, ...]
    height: float = 1.3  # the camera's
    tilt: float = math.radians(14.0)  # up from level
    rim: float = 9.0  # from the camera to the rim along the ground
    focal: float = 0.8  # of the picture's width: a phone's main camera (about 65 degrees across)
    size: tuple[int, int] = (480, 270)

    def project(self, x: float, y: float, z: float) -> tuple[float, float, float]:
        """Pixel column and row of the point (x across, y up, z ahead), and its distance along the view."""
        up = (y - self.height) * math.cos(self.tilt) - z * math.sin(self.tilt)
        ahead = (y - self.height) * math.sin(self.tilt) + z * math.cos(self.tilt)
        focal = self.focal * self.size[0]
        return self.size[0] / 2 + focal * x / ahead, self.size[1] / 2 - focal * up / ahead, ahead

    def rim_at(self) -> tuple[float, float]:
        u, v, _ = self.project(0.0, RIM_HEIGHT, self.rim)
        return u, v

    def scene(self, seed: int = 0) -> np.ndarray:
        """The empty court (RGB): a wall in patches of grey, the floor, and the backboard."""
        width, height = self.size
        rng = np.random.default_rng(seed)
        picture = np.kron(rng.integers(90, 140, (9, 16, 1)), np.ones((height // 9 + 1, width // 16 + 1, 3)))
        picture = picture[:height, :width].astype(np.float64)
        _, floor, _ = self.project(0.0, 0.0, self.rim + 1.5)
        picture[int(floor) :] = (150, 110, 70)  # a wooden floor
        left, top, _ = self.project(-0.9, 3.95, self.rim + 0.4)
        right, bottom, _ = self.project(0.9, 2.9, self.rim + 0.4)
        picture[int(top) : int(bottom), int(left) : int(right)] = 235  # the board
        return picture

    def frame(self, t: float, scene: np.ndarray) -> np.ndarray:
        """The picture at ``t`` seconds (RGB, float): the shooter, the rim, and any ball in the air."""
        picture = scene.copy()
        across, depth, shooting = self._shooter(t)
        self.draw_person(picture, across, depth, 2.45 if shooting else 1.9)
        u, v = self.rim_at()
        half = self.project(0.23, RIM_HEIGHT, self.rim)[0] - u
        picture[int(v) : int(v) + 2, int(u - half) : int(u + half)] = (230, 60, 20)
        for shot in self.shots:
            ball = self._ball(shot, t)
            if ball is not None:
                self.draw_ball(picture, ball)
        return picture

    def draw_ball(self, picture: np.ndarray, where: tuple[float, float, float]) -> None:
        """A basketball (0.24 m across) at ``where`` (x across, y up, z ahead, metres)."""
        x, y, distance = self.project(*where)
        radius = self.focal * self.size[0] * 0.12 / distance
        rows, columns = np.ogrid[: self.size[1], : self.size[0]]
        picture[(columns - x) ** 2 + (rows - y) ** 2 <= radius**2] = (200, 90, 30)

    def draw_person(self, picture: np.ndarray, across: float, depth: float, top: float) -> None:
        """Someone 0.5 m wide from the floor to ``top`` (the hands when shooting), in patches like clothes and
        limbs: the pattern moves with them, as a person's does (a flat box would change only at its outline)."""
        left, upper, _ = self.project(across - 0.25, top, depth)
        right, lower, _ = self.project(across + 0.25, 0.0, depth)
        left, upper, right, lower = (int(round(v)) for v in (left, upper, right, lower))
        if right <= left or lower <= upper:
            return
        rows = max(1, round(top / 0.1))  # a patch every 10 cm up, five across
        pattern = np.random.default_rng(11).integers(30, 170, (rows, 5, 1)) + np.array([[[0, -10, 20]]])
        pattern = np.clip(pattern, 0, 255).astype(np.float64)
        body = cv2.resize(pattern, (right - left, lower - upper), interpolation=cv2.INTER_NEAREST)
        shown = picture[max(0, upper) : lower, max(0, left) : right]
        shown[:] = body[
            max(0, -upper) : max(0, -upper) + shown.shape[0], max(0, -left) : max(0, -left) + shown.shape[1]
        ]

    def frames(
        self, seconds: float, fps: float, noise: float = 3.0, seed: int = 0
    ) -> Iterable[tuple[float, np.ndarray]]:
        """(time, RGB uint8) at ``fps``, with camera noise."""
        scene, rng = self.scene(seed), np.random.default_rng(seed)
        for k in range(int(seconds * fps)):
            t = k / fps
            picture = self.frame(t, scene) + rng.normal(0.0, noise, scene.shape)
            yield t, np.clip(picture, 0, 255).astype(np.uint8)

    def flight(self, shot: Shot) -> float:
        """Seconds from the hands to the rim: longer from farther away."""
        return 0.8 + 0.06 * math.hypot(shot.across, self.rim - shot.depth)

    def _shooter(self, t: float) -> tuple[float, float, bool]:
        """Where the shooter stands at ``t`` (walking from each spot to the next), and whether they shoot."""
        releases = [shot.arrival - self.flight(shot) for shot in self.shots]
        for k, (shot, release) in enumerate(zip(self.shots, releases)):
            if t <= release + 0.3:
                if k == 0 or t >= release - 1.0:
                    return shot.across, shot.depth, release - 0.4 <= t <= release + 0.1
                before = self.shots[k - 1]
                share = (t - releases[k - 1] - 0.3) / max(0.1, release - 1.0 - releases[k - 1] - 0.3)
                share = min(1.0, max(0.0, share))
                return (
                    before.across + (shot.across - before.across) * share,
                    before.depth + (shot.depth - before.depth) * share,
                    False,
                )
        last = self.shots[-1]
        return last.across, last.depth, False

    def _ball(self, shot: Shot, t: float) -> tuple[float, float, float] | None:
        """The ball of ``shot`` at ``t`` (x, y, z), or None: in the hands, or on the floor by then."""
        flight = self.flight(shot)
        k = t - (shot.arrival - flight)
        x0, y0, z0 = shot.across, 2.3, shot.depth + 0.3
        if 0.0 <= k <= flight:
            rise = (RIM_HEIGHT + 0.1 - y0 + 0.5 * GRAVITY * flight**2) / flight
            share = k / flight
            return x0 * (1 - share), y0 + rise * k - 0.5 * GRAVITY * k * k, z0 + (self.rim - z0) * share
        after = k - flight
        if not 0.0 < after <= 0.7:
            return None
        if shot.made:  # slowed by the net, then falling
            return 0.0, RIM_HEIGHT - 0.8 * after - 0.5 * GRAVITY * after * after, self.rim
        # off the rim: up and away to one side, back toward the shooter
        return 1.2 * after, RIM_HEIGHT + 0.2 + 2.5 * after - 0.5 * GRAVITY * after * after, self.rim - 1.5 * after
