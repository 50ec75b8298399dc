"""What `highlight watch` costs on top of `highlight run`, and how soon a file is done.

    python benchmarks/bench_watch.py [--files 8] [--seconds 12]

Generates (once, cached in benchmarks/out/) a small recording, copies it N times into a
folder, and prints one table:

* `highlight run` over the folder (one process, the baseline);
* `highlight watch --exit-when-idle` over the same folder with 1 and 2 workers: the
  wall time, and the overhead per file against `run` (a child process per file: Python
  start-up and imports), after subtracting the settle time;
* latency: one file dropped into an idle, running daemon, from its last write to `done`
  (settle time + processing).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / "out"
SETTLE = 1.0


def recording(seconds: float) -> Path:
    path = CACHE / f"court_640x360_{seconds:g}s.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        from highlight.checkout import load_script

        module = load_script(REPO / "samples" / "make_samples.py")
        tmp = path.with_suffix(".tmp.mp4")
        module.render(tmp, 640, 360, Fraction(30), seconds, [(seconds * 0.3, seconds * 0.7)], seed=3)
        tmp.rename(path)
    return path


def highlight(*args: str) -> list[str]:
    return [sys.executable, "-m", "highlight", *args]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
    return time.perf_counter() - started


def latency(video: Path, work: Path) -> float:
    """Seconds from a file's last write to its `done` record, in a daemon already running."""
    from highlight.watch.store import STORE_FILE, Store

    folder, out = work / "latency-in", work / "latency-out"
    folder.mkdir()
    daemon = subprocess.Popen(
        highlight("watch", str(folder), "--out", str(out), "--settle", f"{SETTLE}s", "--no-clips"),
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while not (out / "watch.log").exists() or "watching" not in (out / "watch.log").read_text():
            time.sleep(0.05)
        target = folder / "drop.mp4"
        shutil.copy(video, target)
        landed = target.stat().st_mtime
        deadline = time.time() + 600
        while time.time() < deadline:
            if (out / STORE_FILE).exists():
                with Store(out / STORE_FILE) as store:
                    record = store.get(target.resolve())
                if record and record.status == "done":
                    return record.finished - landed
            time.sleep(0.05)
        raise RuntimeError("the daemon did not finish the file")
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each recording")
    args = parser.parse_args()
    video = recording(args.seconds)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        work = Path(tmp)
        folder = work / "in"
        folder.mkdir()
        for k in range(args.files):
            shutil.copy(video, folder / f"rally_{k:02d}.mp4")
        base = timed(highlight("run", str(folder), "--out", str(work / "run-out"), "--no-clips", "-q"))
        rows.append(("highlight run", args.files, "-", f"{base:.1f}", f"{base / args.files:.2f}", "-"))
        for workers in (1, 2):
            wall = timed(
                highlight(
                    "watch",
                    str(folder),
                    "--out",
                    str(work / f"watch-out-{workers}"),
                    "--no-clips",
                    "--settle",
                    f"{SETTLE}s",
                    "--workers",
                    str(workers),
                    "--exit-when-idle",
                )
            )
            overhead = (wall - SETTLE - base) / args.files
            rows.append(
                (
                    "highlight watch",
                    args.files,
                    str(workers),
                    f"{wall:.1f}",
                    f"{wall / args.files:.2f}",
                    f"{overhead:+.2f}",
                )
            )
        drop = latency(video, work)
    print(
        f"{args.files} recordings of {args.seconds:g} s, 640x360, --no-clips, settle {SETTLE:g}s, {os.cpu_count()} CPUs"
    )
    header = ("command", "files", "workers", "wall s", "s/file", "overhead s/file vs run")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    print(
        f"latency, one file dropped into a running daemon: {drop:.1f} s from its last write to done "
        f"(settle {SETTLE:g}s + processing)"
    )


if __name__ == "__main__":
    main()
