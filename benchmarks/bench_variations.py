"""Presence on the real clips recorded again: the default detector on files it was not tuned on.

    python benchmarks/bench_variations.py [--jobs 2] [--only NAME ...] [--ways WAY ...]

A method right on the clips as they are and wrong on the same scenes written otherwise
is fitted to the files, not to what is in them. Each real clip in
``../shared/data/videos`` with presence labels (``dev.json``, and the office visit read
by eye) or with someone working out in it (``WORKOUTS``) is encoded again seven ways, as
other cameras and apps write the same scene, or another camera filmed it:

* ``long-gop``: x264's default keyframe interval (250 frames, 8 s at 30 fps), as an
  editor's export makes it: seeking and keyframe-only analysis see far fewer pictures;
* ``mirrored``: flipped left to right, a keyframe a second: the same scene from the
  other side (nothing moves in time);
* ``grain``: sensor noise of 12 grey levels, a keyframe a second: a dim gym, a cheap sensor;
* ``small``: 360 lines at crf 26, a keyframe every 2 s: a messaging app's copy;
* ``wobble``: the camera wobbling in place by up to 0.8% of the width, a few times a
  second (a phone on a tripod in the wind), a keyframe a second;
* ``handheld``: the camera held by hand, swaying slowly by up to 3% of the width each way
  (6% from one side to the other), with a tremor, a keyframe a second;
* ``turned``: the camera turned to one side, its far edge 16% shorter than its near one
  (a keystone): another view of the same scene, a keyframe a second.

``--ways`` runs only the ways named, among them six more that are not run by default
(``MORE_VARIATIONS``): ``hevc-10bit`` (an iPhone's format, x265's default keyframes),
``15-fps``, ``60-fps-repeated`` (each frame twice), ``dusk`` (darker, half the contrast,
the noise of a sensor turned up), ``phone-30-fps`` (30 fps, a keyframe a second, as most
phones write it: at 25 or 29.97 fps the other ways' 30-frame keyframes are 1.2 or 1.001 s
apart, and no pairs of keyframes a second apart seed the clutter map; at 30 fps they do)
and ``padded`` (exported to another shape: black bars above and below a picture wider
than 4:3, beside a narrower one, so that its edges are no longer the frame's).

The encodings are made once with ffmpeg (supervised: a time limit, the exit status
checked, its last line of stderr shown on failure) under ``benchmarks/out/variations``,
each as a temporary file renamed when complete. Each recording is analysed with the
default settings and no padding (``--margin 0``), as ``bench_accuracy.py`` does, and
scored against the clip's labels: the tIoU of each labelled interval with the best
highlight, and false highlights (and those on someone in view that the labels leave out,
read by eye: ``bench_accuracy.SEEN_BY_EYE_UNLABELLED``). A workout clip has no interval labels: its row gives
the share of it in highlights, to compare across the encodings (someone is in view
for most of each; where the labels say when, ``dev.json``'s notes give it).

The labelled court clips (``bench_accuracy.shot_labels``) are run with no options at all,
as a new user runs them: whether the hoop is found from the ball's flights, the labelled
shots inside clips, clips without a shot, and the share of the recording in clips.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench_accuracy import (
    EYE_PRESENCE,
    OUT,
    SEEN_BY_EYE_UNLABELLED,
    SHARED,
    Result,
    our_highlights,
    presence_row,
    shot_labels,
    shots_row,
)

from highlight import HighlightError
from highlight.intervals import Interval, covered_share
from highlight.pipeline import process_video
from highlight.settings import RunSettings
from tests.footage import DUSK, HANDHELD, TURNED, WOBBLE  # the ways tests record footage again (REPO is on sys.path)

PADDED = (
    "pad=w='if(gt(iw/ih,4/3),iw,ceil(ih*16/9/2)*2)':h='if(gt(iw/ih,4/3),ceil(iw*3/4/2)*2,ih)':x=(ow-iw)/2:y=(oh-ih)/2"
)


def _x264(crf: int, keyframes: int | None = None, filters: str | None = None) -> list[str]:
    """ffmpeg's video options: ``filters``, then H.264 at ``crf`` with a keyframe every ``keyframes`` frames
    (None: x264's default, 250)."""
    filtered = ["-vf", filters] if filters else []
    spaced = ["-g", str(keyframes)] if keyframes else []
    return [*filtered, "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), *spaced]


VARIATIONS = {  # name -> ffmpeg video options after the input
    "long-gop": _x264(22),
    "mirrored": _x264(22, 30, "hflip"),
    "grain": _x264(22, 30, "noise=alls=12:allf=t:all_seed=5"),
    "small": _x264(26, 60, "scale=-2:'min(360,ih)'"),
    "wobble": _x264(22, 30, WOBBLE),
    "handheld": _x264(22, 30, HANDHELD),
    "turned": _x264(22, 30, TURNED),
}
MORE_VARIATIONS = {  # not run by default (nor by bench_plugins.py): ``--ways`` names them
    # an iPhone's format: HEVC in 10 bits, x265's default keyframes (250 frames)
    "hevc-10bit": [
        *("-c:v", "libx265", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p10le"),
        *("-tag:v", "hvc1", "-x265-params", "log-level=error"),
    ],
    "15-fps": _x264(22, 15, "fps=15"),
    "phone-30-fps": _x264(22, 30, "fps=30"),  # keyframes exactly a second apart, whatever the clip's rate
    "60-fps-repeated": _x264(22, 60, "fps=60"),  # each frame twice: no motion between neighbours
    "dusk": _x264(24, 30, DUSK),
    # exported to another shape: black bars above and below a picture wider than 4:3 (a 4:3 frame), beside a
    # narrower one (a 16:9 frame), the picture centred; its edges are no longer the frame's
    "padded": _x264(22, 30, PADDED),
}
ALL_VARIATIONS = {**VARIATIONS, **MORE_VARIATIONS}
WORKOUTS = (  # someone working out in view for most of each clip
    "squat_side.mp4",
    "pushup_side.mp4",
    "pushup_gym_side.mp4",
    "pushup_tutorial.mp4",
    "jumping_jacks_three_views.mp4",
    "quva_020_fitness.mp4",
    "quva_022_fitness.mp4",
    "quva_023_fitness.mp4",
    "quva_027_fitness.mp4",
    "quva_038_monkey_bars.mp4",
    "quva_060_jumping_rope.mp4",
    "quva_093_core_strength.mp4",
)
ENCODE_LIMIT_S = 600.0
SETTINGS = RunSettings(clips=False).with_changes({"pad_before": 0.0, "pad_after": 0.0})


def encoded(video: Path, variation: str, folder: Path) -> Path:
    """``video`` encoded as ``variation`` in ``folder`` (made once); RuntimeError with ffmpeg's reason."""
    target = folder / f"{video.stem}~{variation}.mp4"
    if target.is_file():
        return target
    partial = target.with_name(f".{target.name}.part.mp4")
    command = ["ffmpeg", "-v", "error", "-y", "-i", str(video), "-an", *ALL_VARIATIONS[variation], str(partial)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=ENCODE_LIMIT_S)
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg took longer than {ENCODE_LIMIT_S:.0f} s") from None
    if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"ffmpeg failed (exit status {done.returncode}): {last}")
    partial.replace(target)
    return target


Encoder = Callable[[Path, str, Path], Path]  # (clip, way, folder) -> the clip recorded that way, made there once


def row(job: tuple[Path, str, list[list[float]] | None, Path, Encoder]) -> tuple[str, str, str]:
    """(clip, variation, result) for one recording: scored against ``labelled``, or its share in highlights."""
    video, variation, labelled, folder, encode = job
    try:
        path = video if variation == "as filmed" else encode(video, variation, folder)
        found, _ = our_highlights(path, SETTINGS)
    except (RuntimeError, OSError) as error:
        found = Result([], 0.0, f"failed: {error}")
    if labelled is not None:
        unlabelled = list(SEEN_BY_EYE_UNLABELLED.get((video.name, "intervals_s"), {}).values())
        return video.name, variation, presence_row(labelled, found, unlabelled)
    if found.error:
        return video.name, variation, found.error
    length = found.duration
    share = sum(end - start for start, end in found.spans) / length if length else 0.0
    spans = ", ".join(f"{start:.1f}-{end:.1f}" for start, end in found.spans) or "none"
    return video.name, variation, f"{share:.0%} in highlights ({spans} of {length:.1f} s)"


def court_row(job: tuple[Path, str, dict, Path, Encoder]) -> tuple[str, str, str]:
    """(clip, variation, result) for a labelled court clip run with no options: the hoop, and the shots in clips."""
    video, variation, label, folder, encode = job
    try:
        path = video if variation == "as filmed" else encode(video, variation, folder)
        with tempfile.TemporaryDirectory() as out:
            manifest = process_video(path, Path(out), RunSettings(clips=False), force=True)
    except (RuntimeError, OSError, HighlightError) as error:
        return video.name, variation, f"failed: {error}"
    found = Result([(i.start, i.end) for i in manifest.intervals], 0.0, peaks=[i.peak_time for i in manifest.intervals])
    hoop = manifest.detector.get("hoop")
    how = f"hoop from {hoop['flights']} flights" if hoop else "no hoop"
    share = covered_share([Interval(i.start, i.end) for i in manifest.intervals], manifest.source.duration or 0.0)
    return video.name, variation, f"{how}: {shots_row(label, found)}, {share:.0%} of it in clips"


def presence_labels() -> dict[str, list[list[float]]]:
    """Each clip's labelled visits: ``dev.json``'s ``intervals_s``, and the office visit read by eye."""
    dev = json.loads((SHARED / "data" / "labels" / "dev.json").read_text())
    labels = {name: label["intervals_s"] for name, label in dev.get("presence", {}).items() if "intervals_s" in label}
    return {**labels, **EYE_PRESENCE}


def options(description: str | None, ways: Iterable[str] = ()) -> argparse.Namespace:
    """``--jobs`` and ``--only``, as this benchmark and ``bench_weather.py`` take them; ``--ways`` among ``ways``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="recordings analysed at once")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these clips (file names)")
    if ways:
        parser.add_argument("--ways", nargs="+", choices=list(ways), metavar="WAY", help="only these ways")
    return parser.parse_args()


def print_table(rows: list[tuple[str, str, str]], how: str) -> None:
    """One row per recording: the clip, ``how`` it was recorded, and its highlights against the labels."""
    print(f"| clip | {how} | highlights (default, margin 0) |")
    print("|---|---|---|")
    for clip, variation, result in rows:
        print(f"| {clip} | {variation} | {result} |")


def recorded_each_way(
    clips: dict[str, Any],
    ways: Iterable[str],
    folder: Path,
    encode: Encoder,
    args: argparse.Namespace,
    score: Callable[[tuple], tuple[str, str, str]] = row,
) -> list[tuple[str, str, str]]:
    """Each clip as filmed and recorded each of ``ways`` (``encode``, in ``folder``), scored ``--jobs`` at a time
    by ``score`` against the clip's labels (``clips``' values)."""
    videos = SHARED / "data" / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [
        (videos / name, way, labelled, folder, encode)
        for name, labelled in clips.items()
        if (videos / name).is_file() and (not args.only or name in args.only)
        for way in ("as filmed", *ways)
    ]
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        return list(pool.map(score, jobs))


def main() -> None:
    args = options(__doc__, ALL_VARIATIONS)
    ways = args.ways or list(VARIATIONS)
    clips = {**presence_labels(), **dict.fromkeys(WORKOUTS)}
    folder = OUT / "variations"
    rows = recorded_each_way(clips, ways, folder, encoded, args)
    courts = shot_labels(json.loads((SHARED / "data" / "labels" / "dev.json").read_text()))
    rows += recorded_each_way(courts, ways, folder, encoded, args, score=court_row)
    print_table(rows, "recorded")


if __name__ == "__main__":
    main()
