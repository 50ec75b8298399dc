"""Analysis plus clips, per clip method, against the analysis alone, on a phone-like 1080p recording.

    python benchmarks/bench_clips.py [--minutes 3]

Generates (once, cached in benchmarks/out/) a phone-like recording: 1920x1080, 30 fps,
H.264 at 12 Mbit/s with a keyframe every second, three visits of a player, each about
a tenth of the recording (a minute in ten). Each run is ``process_video`` in a fresh
process, one after the other on the same file, so the ratios compare like with like
even on a busy machine. Prints one table: the analysis, the clip writing, their sum,
and the sum as a multiple of the analysis alone (the target for copy and smart:
<= 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench_run import cached_1080p, child_result

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / "out"
METHODS = ("copy", "smart", "encode")


def recording(minutes: float) -> Path:
    """The cached recording: three visits, each a tenth of its length, evenly spread, with sound."""
    seconds = minutes * 60
    visits = [(seconds * (k + 0.5) / 3 - seconds / 20, seconds * (k + 0.5) / 3 + seconds / 20) for k in range(3)]
    return cached_1080p(f"court_1080p30_{minutes:g}min_3visits.mp4", seconds, visits, seed=7, audio=True)


def measure_one(video: Path, method: str | None) -> dict:
    """Runs in a child process: one video through the pipeline; ``method`` None: no clips."""
    from highlight.pipeline import process_video
    from highlight.settings import RunSettings

    settings = RunSettings(clips=method is not None, clip_method=method or "smart")
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        manifest = process_video(video, Path(out) / video.stem, settings, force=True)
        wall = time.perf_counter() - started
    clipped = sum(i.duration for i in manifest.intervals)
    return {"wall_s": wall, "timing": manifest.timing, "duration": manifest.source.duration, "clipped_s": clipped}


def run_child(video: Path, method: str | None) -> dict:
    return child_result(__file__, [str(video), method or "none"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        video, method = args.child
        print(json.dumps(measure_one(Path(video), None if method == "none" else method)))
        return
    video = recording(args.minutes)
    alone = run_child(video, None)
    rows = [("analysis alone", alone)] + [(f"+ --clips {m}", run_child(video, m)) for m in METHODS]
    base = alone["wall_s"]
    header = ("run", "analysis", "write clips", "total", "x analysis alone", "clips' length")
    table = [header]
    for name, r in rows:
        table.append(
            (
                name,
                f"{r['timing']['analysis_s']:.1f} s",
                f"{r['timing'].get('write_s', 0):.1f} s" if name != "analysis alone" else "-",
                f"{r['wall_s']:.1f} s",
                f"{r['wall_s'] / base:.2f}x",
                f"{r['clipped_s']:.0f} s",
            )
        )
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    size = video.stat().st_size * 8 / (args.minutes * 60) / 1e6
    print(
        f"highlight run + clips, {args.minutes:g} min 1080p30 H.264 at {size:.1f} Mbit/s "
        f"(keyframe every 1 s, AAC audio), {os.cpu_count()} CPU cores"
    )
    for k, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("total = wall time of process_video (analysis, clips, manifest); each run in a fresh process.")


if __name__ == "__main__":
    main()
