"""Speed and memory of `highlight run` with the default detector on 1080p30 recordings.

    python benchmarks/bench_run.py [--minutes 3] [--short-minutes 1]

Generates (once, cached in benchmarks/out/) phone-like recordings: 1920x1080, 30 fps,
H.264 at 12 Mbit/s with a keyframe every second, a fixed camera on a mostly empty scene with a
player in view about a tenth of the time. Each measurement runs in a fresh process
so that peak memory is that run's alone. Prints one table:

* analysis real-time factor: video seconds per wall second for decode + score
  (the target on 2 cores is >= 20x); clip writing is reported apart
* the split between decoding (with colour conversion), scoring and writing
* peak memory (RSS) for a short and a long recording: flat means it does not grow
* for comparison, ``--full-scan`` (2 samples a second throughout, no quiet skipping)
  and decoding every frame (what a plain loop does)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / "out"


def _render():
    from highlight.checkout import load_script

    return load_script(REPO / "samples" / "make_samples.py").render


def cached_1080p(name: str, seconds: float, visits: list[tuple[float, float]], seed: int, audio: bool = False) -> Path:
    """A phone-like 1080p30 court recording (12 Mbit/s) with people visiting at ``visits``, rendered once."""
    path = CACHE / name
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ({seconds:.0f} s of 1080p30; once) ...", file=sys.stderr)
        tmp = path.with_suffix(".tmp.mp4")
        _render()(tmp, 1920, 1080, Fraction(30), seconds, visits, audio=audio, seed=seed, bitrate=12_000_000)
        tmp.rename(path)
    return path


def recording(minutes: float) -> Path:
    """About a tenth of the time someone is on court, in visits of ~8 s."""
    seconds = minutes * 60
    visits = [(start, start + 8.0) for start in range(20, int(seconds) - 10, 80)]
    return cached_1080p(f"court_1080p30_{minutes:g}min.mp4", seconds, visits, seed=5)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's, kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_one(video: Path, sample_fps: float, clips: bool, skip_quiet: bool) -> dict:
    """Runs in a child process: one video through the pipeline, with timings and peak RSS."""
    from highlight.pipeline import process_video
    from highlight.settings import RunSettings

    settings = RunSettings(sample_fps=sample_fps, clips=clips, skip_quiet=skip_quiet)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        manifest = process_video(video, Path(out) / video.stem, settings, force=True)
        wall = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    return {
        "wall_s": wall,
        "peak_mb": peak_mb,
        "timing": manifest.timing,
        "decode": manifest.decode,
        "duration": manifest.source.duration,
        "highlights": len(manifest.intervals),
    }


def child_result(script: str, arguments: list[str]) -> dict:
    """``script --child ARGUMENTS`` in a fresh process importing this checkout: its last line of output, as JSON.

    A fresh process per measurement, so that its peak memory and imports are its own.
    """
    command = [sys.executable, script, "--child", *arguments]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    return json.loads(output.stdout.splitlines()[-1])


def run_child(video: Path, sample_fps: float = 2.0, clips: bool = False, skip_quiet: bool = True) -> dict:
    return child_result(__file__, [str(video), str(sample_fps), str(int(clips)), str(int(skip_quiet))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--short-minutes", type=float, default=1.0)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        video, fps, clips, skip = args.child
        print(json.dumps(measure_one(Path(video), float(fps), clips == "1", skip == "1")))
        return
    long_video, short_video = recording(args.minutes), recording(args.short_minutes)
    rows = [
        ("default, short", run_child(short_video)),
        ("default, long", run_child(long_video)),
        ("--full-scan, long", run_child(long_video, skip_quiet=False)),
        ("every frame, long", run_child(long_video, sample_fps=30.0, skip_quiet=False)),
        ("default + clips, long", run_child(long_video, clips=True)),
    ]
    header = (
        "run",
        "video",
        "analysis",
        "realtime",
        "decode",
        "score",
        "prepare",
        "frames decoded",
        "write clips",
        "highlights",
        "peak RSS",
    )
    table = [header]
    for name, r in rows:
        t = r["timing"]
        table.append(
            (
                name,
                f"{r['duration']:.0f} s",
                f"{t['analysis_s']:.1f} s",
                f"{r['duration'] / t['analysis_s']:.1f}x",
                f"{t['decode_s']:.1f} s",
                f"{t['score_s'] + t['convert_s']:.1f} s",
                f"{t['prepare_s']:.1f} s",
                f"{r['decode']['frames_decoded']}/{round(r['duration'] * 30)}",
                f"{t.get('write_s', 0):.1f} s" if name.endswith("clips, long") else "-",
                str(r["highlights"]),
                f"{r['peak_mb']:.0f} MB",
            )
        )
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    size = long_video.stat().st_size * 8 / (args.minutes * 60) / 1e6
    print(
        f"highlight run, default detector, 1080p30 H.264 at {size:.1f} Mbit/s (keyframe every 1 s), {os.cpu_count()} CPU cores"
    )
    for k, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(
        "realtime = video seconds per wall second of analysis (decode + score); score includes colour conversion;"
        " clip writing is reported apart."
    )


if __name__ == "__main__":
    main()
