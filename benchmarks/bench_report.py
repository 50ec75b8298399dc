"""How long timelines, the report and contact sheets take for a video with many highlights.

    python benchmarks/bench_report.py [VIDEO] [--highlights N]

Runs the analysis once (no clips), then replaces the intervals with N evenly spread
highlights (as a long recording would have) and times: all four timelines, the report
built cold (stills extracted) and warm (stills reused), and the report's size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from highlight.batch import run_batch  # noqa: E402
from highlight.export import manifest as manifests  # noqa: E402
from highlight.export.manifest import IntervalEntry  # noqa: E402
from highlight.export.report import FILES_DIR, build_report  # noqa: E402
from highlight.export.timelines import FORMATS, write_timelines  # noqa: E402
from highlight.intervals import Interval  # noqa: E402
from highlight.settings import RunSettings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", nargs="?", default=str(REPO.parent / "shared/data/videos/office_cdnet.mp4"))
    parser.add_argument("--highlights", type=int, default=300)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench_report_"))
    try:
        run_batch([Path(args.video)], RunSettings(clips=False), out, quiet=True, write_report=False)
        folder = next(out.rglob("highlights.json")).parent
        manifest = manifests.load(folder)
        duration = manifest.source.duration
        step = duration / args.highlights
        manifest.intervals = [
            IntervalEntry.from_interval(k + 1, Interval(k * step, k * step + step * 0.8, 0.9, k * step + step * 0.4))
            for k in range(args.highlights)
        ]
        manifest.save(folder)
        rows = []
        started = time.perf_counter()
        write_timelines(folder, list(FORMATS))
        rows.append(("4 timelines (edl, fcpxml, fcp7, otio)", time.perf_counter() - started))
        started = time.perf_counter()
        build_report(out)
        rows.append(
            (f"report, cold ({3 * args.highlights} stills extracted) + contact sheet", time.perf_counter() - started)
        )
        started = time.perf_counter()
        build_report(out)
        rows.append(("report, warm (stills reused)", time.perf_counter() - started))
        size = (out / "report.html").stat().st_size / 1024
        stills = sum(p.stat().st_size for p in (out / FILES_DIR).rglob("*.jpg")) / 1024 / 1024
        print(f"{Path(args.video).name}: {duration:.0f} s, {args.highlights} highlights")
        print(f"| {'step':58s} | seconds |")
        print(f"|{'-' * 60}|---------|")
        for name, seconds in rows:
            print(f"| {name:58s} | {seconds:7.2f} |")
        print(f"report.html {size:.0f} KiB, stills {stills:.1f} MiB")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
