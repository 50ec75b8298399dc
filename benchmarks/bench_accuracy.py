"""Accuracy of the default detector on the labelled real clips, beside DVR-Scan's.

    python benchmarks/bench_accuracy.py [--timeout 600] [--dvr-scan PATH | --no-dvr-scan] [--only presence|shots]

Every clip with labels in ../shared/data/labels/dev.json (set HIGHLIGHT_SHARED for
another place), by kind of label:

* presence clips (when someone is in view): the tIoU of each labelled interval with
  the best highlight, and false highlights (ones that overlap no labelled interval).
  Run with default settings and no padding (``--margin 0``): the edges are compared.
  Where the labels are finer than the default interval settings (visits closer than
  the 2 s merge gap, or shorter than the 1 s minimum: ``cctv_shop_door.mp4``), a second
  row cuts the same analysis at ``FINE`` (``--merge-gap 0.5 --min-duration 0.5``).
  ``office_cdnet.mp4`` is added with its visit read by eye from the frames (not in
  dev.json): the visitor stands still reading for seconds at a time. Where the labels
  leave out someone in view (``SEEN_BY_EYE_UNLABELLED``: a passer-by's legs along the
  shop door's top edge at 51.0-52.6 s), a false highlight there still counts, and the
  row says how many of the false ones fall there.
* shot clips (basketball shots): run with ``--region`` around the hoop and
  ``--preset shots``; shots found (labelled shot times inside a clip, or for a clip
  labelled with a count only, clips up to that count) out of labelled, and clips
  without a shot (of them, those on something labelled as not a shot: a walk-through).
  Besides dev.json's shot clips, those in ``tests/labels/shots_by_eye.json`` (shots read
  by eye, court_practice_51s and gym_shooting), which also gives each clip's hoop region.

A presence clip labelled in two readings (``cctv_shop_door.mp4``: any body part in
view, and the stricter ``intervals_s_body_in_main_area``) gets a row for each.

The same clips go through DVR-Scan (PyPI ``dvr-scan-headless``, the command-line
package of DVR-Scan without its GUI), with its defaults and with its region option
(``-a``) for the shot clips. It lives in a virtual environment of its own, never a
dependency of the project: ``--dvr-scan PATH`` (or the ``DVR_SCAN`` environment
variable) names its ``dvr-scan`` executable, else ``/work/venv-dvrscan/bin/dvr-scan``
or ``benchmarks/out/dvr-scan-venv/bin/dvr-scan``; where none is found the table says
so and how to install it. Each DVR-Scan run is a supervised child process: a time
limit, its exit status checked, and a failure shown in the table rather than ending
the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from highlight.intervals import find_intervals, temporal_iou
from highlight.pipeline import analyse, make_scorer
from highlight.presets import with_preset
from highlight.regions import parse_region
from highlight.settings import RunSettings
from highlight.source import VideoSource, probe

SHARED = Path(os.environ.get("HIGHLIGHT_SHARED", REPO.parent / "shared"))
OUT = REPO / "benchmarks" / "out"
DVR_SCAN_PACKAGE = "dvr-scan-headless==1.8.2.1"
DVR_SCAN_PLACES = (Path("/work/venv-dvrscan/bin/dvr-scan"), OUT / "dvr-scan-venv" / "bin" / "dvr-scan")
DVR_SCAN_MISSING = (
    "DVR-Scan not found: python3 -m venv VENV && VENV/bin/pip install {package}, "
    "then --dvr-scan VENV/bin/dvr-scan (or DVR_SCAN=...)"
)
SHOTS_BY_EYE = REPO / "tests" / "labels" / "shots_by_eye.json"  # shots read by eye, and each court clip's hoop region
# Read by eye from contact sheets of the frames: first and last frame with the visitor visible.
EYE_PRESENCE = {"office_cdnet.mp4": [[23.3, 81.6]]}
# Someone in view that a reading of a clip's labels leaves out, read by eye (crops of the edge at 4x, every 0.2 s):
# a highlight there is still counted false, and the row says how many of the false ones fall there.
SEEN_BY_EYE_UNLABELLED = {
    ("cctv_shop_door.mp4", "intervals_s"): {  # "any visible body part, including legs/feet ... along the top edge"
        "a passer-by's legs (blue jeans) along the top-left edge, x 80-130 px": [51.0, 52.6],
    },
}
FINE = {"merge_gap": 0.5, "min_duration": 0.5}  # interval settings as fine as labels a second apart

Span = tuple[float, float]


@dataclass
class Result:
    """One clip through one tool: the highlights, or why there are none."""

    spans: list[Span]
    seconds: float
    error: str | None = None
    peaks: list[float] | None = None  # each highlight's highest score, where the tool says
    duration: float | None = None  # of the recording, where the tool read it


def our_highlights(video: Path, settings: RunSettings, recut: dict | None = None) -> tuple[Result, Result | None]:
    """The highlights with ``settings``, and (``recut``: interval settings changed) from the same analysis."""
    started = time.perf_counter()
    info = probe(video)
    with VideoSource(video, info) as source:
        analysis = analyse(source, make_scorer(settings), settings)
    seconds = time.perf_counter() - started

    def cut(intervals) -> Result:
        found = find_intervals(analysis.times, analysis.scores, intervals, info.duration)
        return Result(
            [(i.start, i.end) for i in found], seconds, peaks=[i.peak_time for i in found], duration=info.duration
        )

    return cut(settings.intervals), (cut(settings.with_changes(recut).intervals) if recut else None)


def finer_than(labelled: list[list[float]], settings: RunSettings) -> bool:
    """Labels with visits closer together than the merge gap, or shorter than the minimum duration.

    No detector reproduces those at those settings: such a clip gets a row at ``FINE``.
    """
    spans = sorted(labelled)
    gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:])]
    return any(g < settings.intervals.merge_gap for g in gaps) or any(
        end - start < settings.intervals.min_duration for start, end in spans
    )


def dvr_scan_command(given: str | None = None) -> Path | None:
    """The dvr-scan executable: ``given``, else ``$DVR_SCAN``, else the first of ``DVR_SCAN_PLACES`` there is."""
    given = given or os.environ.get("DVR_SCAN")
    if given:
        return Path(given) if Path(given).is_file() else None
    return next((place for place in DVR_SCAN_PLACES if place.is_file()), None)


def dvr_scan(executable: Path | None, video: Path, timeout: float, region: str | None = None) -> Result:
    """DVR-Scan in scan-only mode; ``-q`` makes it print just start,end,start,end... timecodes."""
    if executable is None:
        return Result([], 0.0, "not installed")
    command = [str(executable), "-i", str(video), "-so", "-q"]
    if region:
        info = probe(video)
        points = parse_region(region).pixels((info.width, info.height))
        command += ["-a", *(str(int(v)) for v in points.ravel())]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result([], timeout, f"timed out after {timeout:.0f} s")
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return Result([], seconds, f"exit {done.returncode}: {last}")
    return Result(parse_timecode_list(done.stdout), seconds)


def parse_timecode_list(text: str) -> list[Span]:
    """``00:00:01.200,00:00:05.000,...`` (DVR-Scan ``-q``) as (start, end) pairs in seconds."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return []
    values = [_timecode_seconds(v) for v in lines[-1].split(",") if v.strip()]
    return list(zip(values[0::2], values[1::2]))


def _timecode_seconds(text: str) -> float:
    hours, minutes, seconds = text.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def presence_row(labelled: list[list[float]], found: Result, unlabelled: list[list[float]] = ()) -> str:
    """tIoU per labelled interval, and false highlights (those on someone the labels leave out, ``unlabelled``)."""
    if found.error:
        return found.error
    ious = [max((temporal_iou(tuple(t), f) for f in found.spans), default=0.0) for t in labelled]
    false = [f for f in found.spans if max(temporal_iou(tuple(t), f) for t in labelled) == 0]
    seen = sum(1 for f in false if any(temporal_iou(tuple(u), f) > 0 for u in unlabelled))
    on_seen = f" ({seen} on someone in view the labels leave out)" if seen else ""
    return f"tIoU {' / '.join(f'{v:.2f}' for v in ious)}; {len(found.spans)} highlights, {len(false)} false{on_seen}"


def shots_row(label: dict, found: Result) -> str:
    """Shots found out of labelled, and clips without a shot (those on a labelled walk-through among them)."""
    if found.error:
        return found.error
    count = int(label["count"])
    times = label.get("ball_in_air_approx_s")
    # what made each clip: its peak where the tool gives one (padding may reach over a walk-through), else all of it
    events = [(p, p) for p in found.peaks] if found.peaks is not None else found.spans
    if times:
        hit = sum(1 for t in times if any(a <= t <= b for a, b in found.spans))
        empty = [e for e, (a, b) in zip(events, found.spans) if not any(a <= t <= b for t in times)]
    else:  # a count only: each clip up to the count is taken as one shot
        hit = min(count, len(found.spans))
        empty = events[count:]
    not_shots = label.get("not_shots_s", {}).values()
    walks = sum(1 for a, b in empty if any(a <= end and start <= b for start, end in not_shots))
    on_walks = f" ({walks} on a walk-through)" if not_shots else ""
    return f"{hit}/{count} shots in {len(found.spans)} clips, {len(empty)} without a shot{on_walks}"


def shot_labels(dev: dict) -> dict[str, dict]:
    """Every labelled shot clip: dev.json's, then those read by eye; each with its hoop ``region``."""
    by_eye = json.loads(SHOTS_BY_EYE.read_text())["clips"]
    labels = {name: {**label, "region": by_eye[name]["region"]} for name, label in dev.get("shots", {}).items()}
    for name, label in by_eye.items():
        if "shots_s" in label:
            labels[name] = {
                "count": len(label["shots_s"]),
                "ball_in_air_approx_s": label["shots_s"],
                "not_shots_s": label.get("not_shots_s", {}),
                "region": label["region"],
            }
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds each DVR-Scan run may take")
    parser.add_argument("--no-dvr-scan", action="store_true", help="only this project's detector")
    parser.add_argument("--dvr-scan", metavar="PATH", help="DVR-Scan's dvr-scan executable (default: $DVR_SCAN)")
    parser.add_argument("--only", choices=("presence", "shots"), help="only the clips with this kind of label")
    args = parser.parse_args()
    executable = None if args.no_dvr_scan else dvr_scan_command(args.dvr_scan)
    if executable is None and not args.no_dvr_scan:
        print(DVR_SCAN_MISSING.format(package=DVR_SCAN_PACKAGE), file=sys.stderr)
    labels = json.loads((SHARED / "data" / "labels" / "dev.json").read_text())
    videos = SHARED / "data" / "videos"
    presence_settings = RunSettings(clips=False).with_changes({"pad_before": 0.0, "pad_after": 0.0})

    rows: list[tuple[str, str, str, str, str]] = []
    readings = [
        (name, key, intervals)
        for name, label in labels.get("presence", {}).items()
        for key, intervals in label.items()
        if key.startswith("intervals_s")
    ]
    readings += [(name, "by eye", intervals) for name, intervals in EYE_PRESENCE.items()]
    readings = [] if args.only == "shots" else readings
    for name in dict.fromkeys(name for name, _, _ in readings):
        own = [reading for reading in readings if reading[0] == name]
        fine = any(finer_than(intervals, presence_settings) for _, _, intervals in own)
        ours, ours_fine = our_highlights(videos / name, presence_settings, FINE if fine else None)
        theirs = Result([], 0.0, "not run") if args.no_dvr_scan else dvr_scan(executable, videos / name, args.timeout)
        variants = [("default", ours)]
        if ours_fine is not None:
            variants.append((" ".join(f"--{key.replace('_', '-')} {value}" for key, value in FINE.items()), ours_fine))
        for _, reading, intervals in own:
            source = reading if reading == "by eye" else f"dev.json {reading}"
            unlabelled = list(SEEN_BY_EYE_UNLABELLED.get((name, reading), {}).values())
            for how, found in variants:
                rows.append(
                    (
                        f"{name} ({source})",
                        f"presence, {how}, margin 0",
                        presence_row(intervals, found, unlabelled),
                        presence_row(intervals, theirs, unlabelled),
                        f"{found.seconds:.1f} / {theirs.seconds:.1f}",
                    )
                )
    for name, label in shot_labels(labels).items() if args.only != "presence" else ():
        hoop = label["region"]
        shot_settings = RunSettings(clips=False, regions=(hoop,)).with_changes(with_preset("shots", {}))
        ours, _ = our_highlights(videos / name, shot_settings)
        for region in (None, hoop):
            theirs = (
                Result([], 0.0, "not run")
                if args.no_dvr_scan
                else dvr_scan(executable, videos / name, args.timeout, region)
            )
            how = f"shots, --region {hoop} --preset shots" + ("" if region else " (DVR-Scan: defaults, no region)")
            rows.append(
                (
                    name,
                    how,
                    shots_row(label, ours),
                    shots_row(label, theirs),
                    f"{ours.seconds:.1f} / {theirs.seconds:.1f}",
                )
            )
    print_table(rows)


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("clip", "task and settings", "highlight", "DVR-Scan 1.8", "seconds (ours / DVR-Scan)")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
