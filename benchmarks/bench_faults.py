"""What the fault defences of issue 13 cost, and the speeds the watch daemon's default job timeout rests on.

    python benchmarks/bench_faults.py [VIDEO] [--plugin pose]

Prints two tables:

* the "already done?" check of a finished video, per clip: trusting the manifest's list
  (the files exist) against probing each clip (header, last second decoded, length),
  which is what a rerun and the daemon now do before skipping or reusing a clip; and the
  folder lock taken per video;
* `highlight run` on VIDEO (default: a real recording in ../shared) with the default
  settings, with slow motion and a reel, and with each --plugin given: the run time as a
  fraction of the recording's length, against the default job timeout of the watch
  daemon (JOB_TIMEOUT_PER_SECOND x the length): the margin is how many times slower a
  run could be before a file that is still making progress would be given up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from highlight.export import manifest as manifests  # noqa: E402
from highlight.folder_lock import folder_lock  # noqa: E402
from highlight.source import probe  # noqa: E402
from highlight.table import format_table  # noqa: E402
from highlight.watch.daemon import JOB_TIMEOUT_PER_SECOND  # noqa: E402

DEFAULT_VIDEO = REPO.parent / "shared" / "data" / "videos" / "court_practice_51s.mp4"


def run(video: Path, out: Path, *options: str) -> float:
    """Seconds one `highlight run` takes (a fresh output folder, no report)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "highlight", "run", str(video), "--out", str(out), "-q", "--no-report", *options],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=3600,
        cwd=REPO,
    )
    return time.perf_counter() - started


def check_costs(folder: Path, repeats: int = 5) -> list[tuple[str, str, str]]:
    """Per-clip milliseconds of the two "already done?" checks, and of taking the folder lock."""
    manifest = manifests.load(folder)
    names = manifest.output_files()
    clips = len(manifest.playing_seconds())

    def best(check) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            check()
            times.append(time.perf_counter() - started)
        return min(times)

    listed = best(lambda: all((folder / name).is_file() for name in names))
    probed = best(lambda: manifest.intact_files(folder))

    def lock_once() -> None:
        with folder_lock(folder):
            pass

    locked = best(lock_once)
    return [
        ("trust the list (files exist)", f"{clips}", f"{1000 * listed / max(clips, 1):.3f}"),
        ("probe each clip (new)", f"{clips}", f"{1000 * probed / max(clips, 1):.1f}"),
        ("folder lock, take and release", "-", f"{1000 * locked:.3f} (per video)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--plugin", action="append", default=[], help="also time a run with this plugin")
    args = parser.parse_args()
    length = probe(args.video).duration
    setups = [
        ("default", ()),
        ("--full-scan", ("--full-scan",)),
        ("--slowmo 0.5 --reel", ("--slowmo", "0.5", "--reel")),
    ]
    setups += [(f"--plugin {name}", ("--plugin", name)) for name in args.plugin]
    rows = [("run", "recording", "run time", "run / length", f"timeout {JOB_TIMEOUT_PER_SECOND:g}x: margin")]
    with tempfile.TemporaryDirectory() as work:
        for label, options in setups:
            out = Path(work) / label.replace(" ", "_")
            seconds = run(args.video, out, *options)
            share = seconds / length
            rows.append(
                (label, f"{length:.1f} s", f"{seconds:.1f} s", f"{share:.2f}", f"{JOB_TIMEOUT_PER_SECOND / share:.0f}x")
            )
        video_out = Path(work) / "--slowmo_0.5_--reel" / args.video.stem
        costs = [("check", "clips", "ms per clip"), *check_costs(video_out)]
    print(f'{args.video.name}: the "already done?" check of a finished video ({json.dumps(str(video_out.name))})')
    print("\n".join(format_table(costs)))
    print()
    print("\n".join(format_table(rows)))


if __name__ == "__main__":
    main()
