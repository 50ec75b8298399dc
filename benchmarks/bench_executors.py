"""Throughput of the executors on a folder of six short real clips, as ratios measured in one run.

    python benchmarks/bench_executors.py [--repeat 1] [--no-ray]

The folder links (never copies) six short clips from ../shared/data/videos: one such
recording alone leaves a core idle, so `--jobs 2` should approach twice the throughput
of `--jobs 1` on an idle 2-core machine (target >= 1.7x). `--executor ray` runs the
same folder on a local Ray cluster (2 CPUs); on one machine expect parity with the
local executor, not gain: the point of Ray is the same results on many machines. The
cluster's start-up is timed apart (a cluster is started once, not per batch).

Every run writes clips as a default run does, into a fresh output folder, and every
run's intervals must equal `--jobs 1`'s. A second table runs two long 1080p recordings
(``--long-minutes``), where one recording alone already keeps every core busy (the
keyframes decode on frame threads): there `--jobs 2` must lose nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from highlight.batch import run_batch  # noqa: I001 - after the path set-up
from highlight.executors import ExecutorRequest
from highlight.export import manifest as manifests
from highlight.settings import RunSettings
from highlight.table import format_table

SHARED = Path(os.environ.get("HIGHLIGHT_SHARED", REPO.parent / "shared"))
CLIPS = [
    "quva_020_fitness",
    "quva_022_fitness",
    "quva_023_fitness",
    "quva_027_fitness",
    "quva_038_monkey_bars",
    "quva_092_basketball",
]


def intervals(out: Path) -> dict[str, list[tuple[float, float]]]:
    return {
        p.parent.name: [(i.start, i.end) for i in manifests.load(p.parent).intervals]
        for p in sorted(out.glob(f"*/{manifests.MANIFEST_FILE}"))
    }


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the pool's workers, once the batch closes them)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_batch(folder: Path, out: Path, executor: str, request: ExecutorRequest) -> tuple[float, float, float]:
    """(wall seconds, seconds of video, CPU seconds here) of one batch."""
    started, cpu = time.perf_counter(), cpu_seconds()
    report = run_batch([folder], RunSettings(), out, quiet=True, executor=executor, request=request)
    wall = time.perf_counter() - started
    assert not report.failed, [r.error for r in report.failed]
    return wall, sum(r.video_seconds for r in report.results), cpu_seconds() - cpu


def compare(folder: Path, work: Path, runs: list, repeat: int) -> dict[str, tuple[float, float, float]]:
    """The fastest of ``repeat`` batches per executor over ``folder``; every run's intervals must equal the first's."""
    results: dict[str, tuple[float, float, float]] = {}
    reference = None
    for attempt in range(repeat):
        for label, executor, request in runs:
            out = work / f"out-{folder.name}-{attempt}-{executor}-{request.jobs}"
            wall, video, cpu = timed_batch(folder, out, executor, request)
            if label not in results or wall < results[label][0]:
                results[label] = (wall, video, cpu)
            found = intervals(out)
            reference = reference or found
            assert found == reference, f"{label}: intervals differ from --jobs 1's"
    return results


def print_results(title: str, results: dict[str, tuple[float, float, float]]) -> None:
    base = results["--jobs 1"][0]
    rows = [("executor", "wall", "x real time", "throughput vs --jobs 1", "cores busy (CPU s / wall)")]
    for label, (wall, video, cpu) in results.items():
        busy = f"{cpu / wall:.2f}" if "ray" not in label else "- (Ray's workers)"
        rows.append((label, f"{wall:.1f}s", f"{video / wall:.1f}x", f"{base / wall:.2f}x", busy))
    print(f"{title}, {results['--jobs 1'][1]:.0f} s of video, clips written; {os.cpu_count()} cores")
    print("\n".join(format_table(rows)))


def long_recordings(work: Path, minutes: float) -> Path:
    """Two long 1080p recordings (bench_speed's phone-like one, linked twice): one alone already uses every core."""
    import bench_speed

    folder = work / "long"
    folder.mkdir()
    for name in ("first", "second"):
        (folder / f"{name}.mp4").symlink_to(bench_speed.recording(minutes))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each executor; the fastest counts")
    parser.add_argument("--no-ray", action="store_true", help="leave out --executor ray")
    parser.add_argument(
        "--long-minutes", type=float, default=3.0, help="two 1080p recordings this long, --jobs 1 against 2 (0: none)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-executors-"))
    folder = work / "in"
    folder.mkdir()
    for name in CLIPS:
        (folder / f"{name}.mp4").symlink_to(SHARED / "data" / "videos" / f"{name}.mp4")
    local = [("--jobs 1", "local", ExecutorRequest(jobs=1)), ("--jobs 2", "local", ExecutorRequest(jobs=2))]
    runs = list(local)
    ray_start = None
    if not args.no_ray:
        import ray

        started = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
        ray_start = time.perf_counter() - started
        runs.append(("--executor ray (local, 2 CPUs)", "ray", ExecutorRequest()))
    print_results(f"{len(CLIPS)} short real clips", compare(folder, work, runs, args.repeat))
    if ray_start is not None:
        print(f"Ray cluster start-up (once, not in the times above): {ray_start:.1f}s")
    if args.long_minutes:
        long = compare(long_recordings(work, args.long_minutes), work, local, args.repeat)
        print_results(f"\ntwo {args.long_minutes:g}-minute 1080p recordings", long)
    print("intervals: identical in every run")
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores{' (a busy machine)' if load > 1.5 else ''}")


if __name__ == "__main__":
    main()
