"""Long office recordings with known visits, made from the real CDnet office clip.

    python benchmarks/office_recording.py OUT.mp4 [--minutes 10] [--size 1920x1080] [--foliage [PLACE]]
        [--bush PLACE] [--flag right|middle|low-left [--steady-wind]] [--keyframes 1]

``../shared/bench/make_long_office.py`` lays out the real clip's empty room (with its
camera noise) and its visit, three times, and writes the ground truth beside the video.
This helper reuses that layout (the same source frame for every output frame, the same
ground truth) and adds what that script does not do:

* another length (``--minutes``: visits at 2/10, 5/10 and 8/10 of it, as the script's
  default 120, 300, 480 s in 10 minutes) or another size (``--size``): a 30-minute
  1080p encode takes most of an hour on two shared cores, 640x360 a fraction of that;
* ``--foliage``: a plant in the foreground over a quarter of the frame (``FOLIAGE_PLACES``:
  the lower left by default, over the desk; ``middle``, in front of where the visitor
  stands; ``upper-right``, over the bookcase and cut by the top edge), its leaves swaying
  in the wind all the time (each leaf on its own phase, with gusts), drawn at the
  source's resolution before the upscale so it looks as filmed. Nobody is in view
  because of it: the ground truth stays the visits;
* ``--bush``: a dense bush over a quarter of the frame (``FOLIAGE_PLACES``), leaves over
  leaves, that bends as one in the wind (its top most, gusts further), cut by the frame's
  edges where the quarter touches them;
* ``--flag``: a striped flag on a pole in gusty wind, about a quarter of the frame, where
  ``FLAG_PLACES`` says (clear of the visitor, in front of them, or beside them): calm,
  breeze and gusts in spells of 4 to 40 s, so that it starts to flap with nobody in
  view and while someone is; with ``--steady-wind``, a gust from the first frame to the last;
* ``--keyframes``: seconds between keyframes (1 by default, as the script's; x264's own
  default is 250 frames, 8.3 s, and some cameras write one GOP for the whole recording).

The ground truth is written to ``OUT.json`` in the script's format
(``gt_presence_intervals_s``), and the video to a temporary name renamed when done.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from highlight.checkout import load_script  # noqa: E402  (the repository, now on sys.path)
from tests.footage import FlappingFlag  # noqa: E402

SHARED = Path(os.environ.get("HIGHLIGHT_SHARED", REPO.parent / "shared"))
OFFICE = SHARED / "data" / "videos" / "office_cdnet.mp4"
MAKER = SHARED / "bench" / "make_long_office.py"


def office_maker() -> ModuleType:
    """make_long_office.py (a script, not a package module), for its layout and framing."""
    return load_script(MAKER)


def read_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


FOLIAGE_PLACES = {  # where the leaves hang (left, top, right, bottom, fractions of the frame)
    "lower-left": (0.0, 0.5, 0.5, 1.0),
    "middle": (0.25, 0.25, 0.75, 0.75),
    "upper-right": (0.5, 0.0, 1.0, 0.5),
    "upper-left": (0.0, 0.0, 0.5, 0.5),  # over the door the visitor comes in by, cut by the top and left edges
}


def slow_gusts(t: float, phases: np.ndarray) -> float:
    """The wind's push at ``t``, -1 to 1: gusts of tens of seconds within a swell of a minute or two (``phases``:
    two, in radians), the same way for a whole plant."""
    return float(np.sin(0.21 * t + phases[0]) * np.sin(0.07 * t + phases[1]))


class Foliage:
    """A plant's leaves over one quarter of a frame (``place``: one of ``FOLIAGE_PLACES``), swaying: clutter that
    moves all the time.

    Leaves hang from a few branches; each swings on its own phase and frequency (0.3 to
    1.5 Hz, as leaves in a breeze), by a few percent of the frame, and gusts push all of
    them the same way for seconds at a time.
    """

    def __init__(self, frame_size: tuple[int, int], place: str = "lower-left", seed: int = 7):
        width, height = frame_size
        rng = np.random.default_rng(seed)
        fractions = np.array(FOLIAGE_PLACES[place]) * (width, height, width, height)
        self.box = tuple(int(round(v)) for v in fractions)  # left, top, right, bottom
        left, top, right, bottom = self.box
        count = 90
        self.anchor = np.column_stack(
            [rng.uniform(left, right, count), rng.uniform(top - 0.05 * height, bottom, count)]
        )
        self.frequency = rng.uniform(0.3, 1.5, count)
        self.phase = rng.uniform(0, 2 * np.pi, count)
        self.amplitude = rng.uniform(0.01, 0.04, count) * height
        self.axes = np.column_stack([rng.uniform(0.03, 0.06, count), rng.uniform(0.012, 0.025, count)]) * height
        self.angle = rng.uniform(0, 180, count)
        self.colour = np.column_stack(
            [rng.uniform(20, 60, count), rng.uniform(90, 170, count), rng.uniform(30, 80, count)]
        )  # BGR greens
        self.gust_phase = rng.uniform(0, 2 * np.pi, 3)

    def gust(self, t: float) -> float:
        return slow_gusts(t, self.gust_phase[:2])

    def draw(self, frame: np.ndarray, t: float) -> np.ndarray:
        out = frame.copy()
        left, top, right, bottom = self.box
        height = frame.shape[0]
        sway = self.amplitude * np.sin(2 * np.pi * self.frequency * t + self.phase) + 0.04 * height * self.gust(t)
        layer = out[top:bottom, left:right]
        for k in range(len(sway)):
            x = self.anchor[k, 0] + sway[k] - left
            y = self.anchor[k, 1] + 0.3 * abs(sway[k]) - top
            axes = (max(1, int(self.axes[k, 0])), max(1, int(self.axes[k, 1])))
            angle = self.angle[k] + 8 * sway[k] / max(self.amplitude[k], 1e-6)
            cv2.ellipse(layer, (int(x), int(y)), axes, angle, 0, 360, self.colour[k].tolist(), -1, cv2.LINE_AA)
        return out


class Bush:
    """A dense bush over one quarter of a frame (``place``: one of ``FOLIAGE_PLACES``), bending in the wind.

    Overlapping leaves in a rounded outline, drawn once; each frame bends the whole of it
    (a smooth warp rooted at its bottom, so its top moves most), by a few percent of the
    frame all the time and further in gusts: unlike ``Foliage``'s loose leaves, it moves
    as one thing, at its rim against what is behind it. Cut by the frame's edge, it goes
    on beyond it by a margin: leaves swing in from there, not the wall behind.
    """

    def __init__(self, frame_size: tuple[int, int], place: str, seed: int = 3):
        width, height = frame_size
        rng = np.random.default_rng(seed)
        self.box = tuple(int(round(v)) for v in np.array(FOLIAGE_PLACES[place]) * (width, height, width, height))
        self.margin = round(0.1 * height)  # beyond the quarter on every side: the bush's own reach, and its sway's
        left, top, right, bottom = self.box
        size = (bottom - top + 2 * self.margin, right - left + 2 * self.margin)
        self.leaves = np.zeros((*size, 3), np.uint8)
        cover = np.zeros(size, np.uint8)
        for _ in range(size[0] * size[1] // 12):
            centre = (int(rng.uniform(0, size[1])), int(rng.uniform(0, size[0])))
            axes = (int(rng.uniform(0.015, 0.035) * height) + 1, int(rng.uniform(0.006, 0.015) * height) + 1)
            angle = rng.uniform(0, 180)
            colour = np.array([rng.uniform(20, 50), rng.uniform(80, 150), rng.uniform(30, 70)]) * rng.uniform(0.4, 1.1)
            cv2.ellipse(self.leaves, centre, axes, angle, 0, 360, colour.clip(0, 255).tolist(), -1, cv2.LINE_AA)
            cv2.ellipse(cover, centre, axes, angle, 0, 360, 255, -1)
        self.rows, self.columns = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float32)
        # a rounded outline, ragged, over the quarter and its margin: cut where the frame cuts that
        radius = ((self.columns / size[1] - 0.5) * 2) ** 2 + ((self.rows / size[0] - 0.5) * 2) ** 2
        ragged = cv2.resize(rng.uniform(0.7, 1.1, (8, 8)).astype(np.float32), (size[1], size[0]))
        self.cover = np.where(radius < ragged, cover, 0).astype(np.float32) / 255
        self.amplitude = 0.03 * height
        self.phase = rng.uniform(0, 2 * np.pi, 5)

    def draw(self, frame: np.ndarray, t: float) -> np.ndarray:
        a, phase, columns, rows = self.amplitude, self.phase, self.columns, self.rows
        bend = 1.0 - rows / rows.shape[0]  # rooted below
        across = a * np.sin(2 * np.pi * 0.6 * t + phase[0] + columns / 25.0) + 1.5 * a * slow_gusts(t, phase[3:5])
        across += 0.4 * a * np.sin(2 * np.pi * 1.3 * t + phase[1] + rows / 15.0)
        along = 0.3 * a * np.sin(2 * np.pi * 0.9 * t + phase[2] + columns / 30.0)
        map_x = (columns - bend * across).astype(np.float32)
        map_y = (rows - bend * along).astype(np.float32)
        leaves = cv2.remap(self.leaves, map_x, map_y, cv2.INTER_LINEAR).astype(np.float32)
        cover = cv2.remap(self.cover, map_x, map_y, cv2.INTER_LINEAR)[..., np.newaxis]
        out = frame.copy()
        height, width = frame.shape[:2]
        left, top = self.box[0] - self.margin, self.box[1] - self.margin
        x0, y0 = max(0, left), max(0, top)
        x1, y1 = min(width, left + leaves.shape[1]), min(height, top + leaves.shape[0])
        inside = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        behind = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (behind * (1 - cover[inside]) + leaves[inside] * cover[inside]).astype(np.uint8)
        return out


FLAG_PLACES = {  # where a flag hangs (left, top, width, height of the cloth at rest, fractions of the frame)
    "right": (0.55, 0.16, 0.4, 0.35),  # over the bookcase, clear of where the visitor stands
    "middle": (0.2, 0.2, 0.4, 0.35),  # in front of where the visitor stands and reads
    "low-left": (0.05, 0.45, 0.4, 0.35),  # over the desk, by the visitor's side
}


class Flag:
    """A striped flag on a pole in gusty wind (``place``: one of ``FLAG_PLACES``): clutter that comes and goes.

    The wind blows in spells of 4 to 40 s, each calm (the cloth hangs, its loose end
    drooping), a breeze or a gust, reached within half a second: the flag may hang still
    for longer than anything remembers it moving, then flap again with nobody in view,
    or start to flap while someone is. ``steady``: a gust from the first frame to the last.
    The cloth is ``tests.footage.FlappingFlag``, as the tests' flags are.
    """

    def __init__(self, frame_size: tuple[int, int], minutes: float, place: str, steady: bool = False, seed: int = 11):
        width, height = frame_size
        left, top, cloth_width, cloth_height = FLAG_PLACES[place]
        self.box = (round(left * width), round(top * height), round(cloth_width * width), round(cloth_height * height))
        self.spells = [(0.0, 1.0)] if steady else gusty_spells(minutes, seed)
        self.cloth = FlappingFlag(self.spells[0][1])

    def wind(self, t: float) -> float:
        return next(strength for start, strength in reversed(self.spells) if start <= t)

    def draw(self, frame: np.ndarray, t: float) -> np.ndarray:
        self.cloth.blow(t, self.wind(t))
        left, top, width, height = self.box
        margin = min(top, round(0.35 * height) + 2)  # the loose end swings this far above its hem
        inside, second = self.cloth.cloth(width, height, margin)
        stripes = np.where(second[..., np.newaxis], (240, 230, 230), (40, 30, 200))
        out = frame.copy()
        patch = out[top - margin : top + height + margin, left : left + width]  # cut by the frame's bottom, right
        rows, columns = patch.shape[:2]
        patch[:] = np.where(inside[:rows, :columns, np.newaxis], stripes[:rows, :columns], patch)
        out[max(0, top - 4) : top + 2 * height, max(0, left - 3) : left] = (90, 90, 90)  # the pole
        return out


def gusty_spells(minutes: float, seed: int) -> list[tuple[float, float]]:
    """Spells of wind of 4 to 40 s over ``minutes``: (start s, strength: 0 calm, 0.4 a breeze, 1 a gust)."""
    rng = np.random.default_rng(seed)
    spells, start = [], 0.0
    while start < minutes * 60:
        spells.append((start, float(rng.choice([0.0, 0.4, 1.0], p=[0.4, 0.3, 0.3]))))
        start += float(rng.uniform(4.0, 40.0))
    return spells


def build(
    output: Path,
    minutes: float,
    size: tuple[int, int],
    foliage: str | None,
    keyframes: float = 1.0,
    flag: str | None = None,
    steady_wind: bool = False,
    bush: str | None = None,
) -> list[list[float]]:
    """Encode the recording, a keyframe every ``keyframes`` seconds; returns the ground truth visits [start, end)
    in seconds."""
    maker = office_maker()
    maker.W, maker.H = size  # its framing functions read these
    frames = read_frames(OFFICE)
    n_out = int(round(minutes * 60 * maker.OUT_FPS))
    onsets = [minutes * 60 * f for f in (0.2, 0.5, 0.8)]
    source_of, blocks, _ = maker.build_mapping(n_out, onsets)
    in_block = np.zeros(n_out, bool)
    for block in blocks:
        in_block[block["out_start"] : block["out_end"]] = True
    present = in_block & (source_of >= maker.PERSON_FIRST) & (source_of <= maker.PERSON_LAST)
    truth = [[s / maker.OUT_FPS, e / maker.OUT_FPS] for s, e in maker.runs(present)]
    source_size = (frames[0].shape[1], frames[0].shape[0])
    drawn = [Foliage(source_size, foliage)] if foliage else []  # in front of the room, back to front
    drawn += [Bush(source_size, bush)] if bush else []
    drawn += [Flag(source_size, minutes, flag, steady_wind)] if flag else []
    import imageio_ffmpeg

    tmp = output.with_name(output.stem + ".tmp" + output.suffix)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo"]
    command += ["-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}", "-r", str(maker.OUT_FPS), "-i", "-", "-an"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    gop = str(max(1, round(keyframes * maker.OUT_FPS)))
    command += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", str(tmp)]
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE)
    try:
        for k in range(n_out):
            frame = frames[int(source_of[k])]
            for thing in drawn:
                frame = thing.draw(frame, k / maker.OUT_FPS)
            encoder.stdin.write(maker.fit_frame(frame, "pad").tobytes())
        encoder.stdin.close()
        if encoder.wait(timeout=600) != 0:
            raise RuntimeError(f"ffmpeg exited with {encoder.returncode} writing {tmp}")
    finally:
        if encoder.poll() is None:
            encoder.kill()
    tmp.rename(output)
    about = {"gt_presence_intervals_s": truth, "size": list(size), "minutes": minutes, "foliage": foliage, "flag": flag}
    about |= {"bush": bush, "keyframes_s": keyframes, "steady_wind": steady_wind}
    output.with_suffix(".json").write_text(json.dumps(about, indent=1))
    return truth


def parse_size(text: str) -> tuple[int, int]:
    width, height = (int(v) for v in text.lower().split("x"))
    return width, height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--size", type=parse_size, default=(1920, 1080), help="WIDTHxHEIGHT")
    parser.add_argument(
        "--foliage",
        nargs="?",
        const="lower-left",
        choices=list(FOLIAGE_PLACES),
        help="a swaying plant over a quarter of the frame there (FOLIAGE_PLACES; the lower left by default)",
    )
    parser.add_argument("--bush", choices=list(FOLIAGE_PLACES), help="a dense bush bending in the wind there")
    parser.add_argument("--flag", choices=list(FLAG_PLACES), help="a flag in gusty wind there (FLAG_PLACES)")
    parser.add_argument("--steady-wind", action="store_true", help="the flag flaps in a gust all along")
    parser.add_argument(
        "--keyframes", type=float, default=1.0, help="seconds between keyframes (x264's default: 250 frames, 8.3 s)"
    )
    args = parser.parse_args()
    if not OFFICE.is_file() or not MAKER.is_file():
        sys.exit(f"office_recording: {OFFICE} or {MAKER} is missing (set HIGHLIGHT_SHARED)")
    if args.steady_wind and not args.flag:
        parser.error("--steady-wind needs --flag")
    truth = build(
        args.output, args.minutes, args.size, args.foliage, args.keyframes, args.flag, args.steady_wind, args.bush
    )
    print(f"wrote {args.output}; visits (s): {truth}")


if __name__ == "__main__":
    main()
