"""Issue 16's speed table: analysis at keyframe cost, the motion gate, against what else runs on the file.

    python benchmarks/bench_speed.py [--minutes 10] [--short-minutes 3] [--memory-minutes 30] [--seed-seconds 60]
                                     [--baseline REV] [--office PATH | --no-office] [--no-dvr-scan] [--no-model]

Generates (once, cached in the gitignored benchmarks/out/) phone-like recordings:
1920x1080, 30 fps, H.264 at 12 Mbit/s with a keyframe every second, a fixed camera on
an empty scene with three visits, each a tenth of the recording (a minute in ten),
laid out from a rendered visit and a rendered empty stretch (see ``recording``).
Every measurement runs in its own process, so that its peak memory (VmHWM) is its
own; wall time and CPU time (all threads: FFmpeg's and TensorFlow's) are both shown,
because on a shared machine wall time depends on the neighbours and CPU time less so.
All ratios are between rows of the same run.

Rows:

* ``highlight``: ``analyse`` with default settings, this checkout; and the same code at
  ``--baseline`` (default: the merge base with main), exported with ``git archive``
  into benchmarks/out/. Both are scored against the visits planted in the recording
  (the renderer's ground truth): the worst tIoU of a visit, and highlights on none.
* ``office``: the same on the real-footage recording of
  ``../shared/bench/make_long_office.py`` (the CDnet office's empty room with its
  camera noise, three visits, ground truth beside it): ``--office PATH``, or built
  once into benchmarks/out (most of an hour on two shared cores).
* ``memory``: the same analysis on a ``--memory-minutes`` recording: peak memory must
  not grow with the length.
* decode only, with plain PyAV on every core: every frame, and keyframes only (each
  keyframe on frame threads): the floor for an analysis that looks at every keyframe.
* DVR-Scan (``dvr-scan-headless`` in a venv of its own, found as bench_accuracy.py
  finds it: ``$DVR_SCAN``, /work/venv-dvrscan, benchmarks/out) in its fastest mode,
  ``-df 4``; the row is left out, saying so, where it is not installed.
* ``--model``: the ResNet50 classifier that ``highlight train`` writes (untrained
  weights: the same cost), TFLite, behind the motion gate and without it; and the seed's
  pipeline on the first ``--seed-seconds``: every frame through Keras ResNet50.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
sys.path.insert(0, str(REPO / "benchmarks"))


def render_sample(*args, **kwargs):
    """samples/make_samples.py's ``render`` (a script, not a package module)."""
    from highlight.checkout import load_script

    return load_script(REPO / "samples" / "make_samples.py").render(*args, **kwargs)


EMPTY_SECONDS = 30.0  # one rendered stretch of empty scene, repeated


def segment(seconds: float, visit: bool) -> tuple[Path, list[list[float]]]:
    """A rendered stretch of the phone-like scene, with a player in view all along (``visit``) or empty.

    Returns the file and when the player is in view in it (the renderer's ground truth,
    kept beside it in a .json).
    """
    path = OUT / f"seg_{'visit' if visit else 'empty'}_{seconds:g}s.mp4"
    truth_file = path.with_suffix(".json")
    if not path.exists() or not truth_file.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"rendering {path.name} (1080p30; once) ...", file=sys.stderr)
        tmp = path.with_suffix(".tmp.mp4")
        visits = [(0.5, seconds - 0.5)] if visit else []
        truth = render_sample(tmp, 1920, 1080, Fraction(30), seconds, visits, seed=5, bitrate=12_000_000)
        truth_file.write_text(json.dumps(truth))
        tmp.rename(path)
    return path, json.loads(truth_file.read_text())


def recording(minutes: float) -> Path:
    """About ``minutes`` of phone-like video, three visits each a tenth of it long; made once.

    Rendering 1080p runs at a fraction of real time here, so one visit and one empty
    stretch are rendered and laid out by stream copy (whole GOPs: a keyframe still
    every second): empty, visit, empty, visit, empty, visit, empty.
    """
    path = OUT / f"visits_1080p30_{minutes:g}min.mp4"
    truth_file = path.with_suffix(".json")
    seconds = minutes * 60
    visit = round(seconds / 10)
    gaps = max(4, round((seconds - 3 * visit) / EMPTY_SECONDS))  # empty stretches, over the four gaps
    outer, inner = gaps // 4, (gaps - 2 * (gaps // 4)) // 2
    layout = [outer, inner, inner, gaps - 2 * inner - outer]
    (empty, _), (busy, in_view) = segment(EMPTY_SECONDS, visit=False), segment(visit, visit=True)
    pieces = [empty] * layout[0] + [busy] + [empty] * layout[1] + [busy] + [empty] * layout[2] + [busy]
    pieces += [empty] * layout[3]
    starts = np.cumsum([0.0] + [EMPTY_SECONDS if piece == empty else visit for piece in pieces])
    planted = [[start + a, start + b] for start, piece in zip(starts, pieces) if piece == busy for a, b in in_view]
    truth_file.write_text(json.dumps({"gt_presence_intervals_s": planted}))
    if path.exists():
        return path
    listing = path.with_suffix(".txt")
    listing.write_text("".join(f"file '{piece}'\n" for piece in pieces))
    import imageio_ffmpeg

    tmp = path.with_suffix(".tmp.mp4")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0"]
    subprocess.run([*command, "-i", str(listing), "-c", "copy", str(tmp)], check=True)
    tmp.rename(path)
    listing.unlink()
    return path


def baseline_tree(revision: str) -> Path:
    """The package at ``revision``, exported (read-only use of the repository) to compare against."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = OUT / f"baseline-{commit}"
    if not (tree / "highlight").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", commit, "highlight"], cwd=REPO, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


# ---- measurements, each in a child process --------------------------------------------


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    """CPU time of this process and its threads, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured_since(started: float, cpu: float, duration: float, decode: dict, **more) -> dict:
    """One row's measurement in this process, from ``started`` (perf_counter) and ``cpu`` (cpu_seconds)."""
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "duration": duration,
        "decode": decode,
        "peak_mb": peak_rss_mb(),
        **more,
    }


def measure_highlight(video: str, model: str | None = None, gate: bool = True) -> dict:
    """``analyse`` + ``find_intervals`` as ``highlight run --no-clips`` does them."""
    from highlight.intervals import find_intervals
    from highlight.pipeline import analyse, make_scorer
    from highlight.settings import RunSettings
    from highlight.source import VideoSource, probe

    settings = RunSettings(clips=False, model=model)
    if model:
        from highlight.scorers.classifier import model_thresholds

        settings = settings.with_changes(model_thresholds(Path(model)))
        if "model_gate" in RunSettings.__dataclass_fields__:
            settings = settings.with_changes({"model_gate": gate})
    info = probe(Path(video))
    make_scorer(settings)  # loading TensorFlow and the model is not analysis
    started, cpu = time.perf_counter(), cpu_seconds()
    with VideoSource(Path(video), info) as source:
        analysis = analyse(source, make_scorer(settings), settings)
    found = find_intervals(analysis.times, analysis.scores, settings.intervals, info.duration)
    intervals = [(i.start, i.end) for i in found]
    refined = int(analysis.refined.sum())  # frames scored between samples to place edges: the classifier's too
    return measured_since(started, cpu, info.duration, analysis.decode_stats, intervals=intervals, refined=refined)


def measure_decode(video: str, keyframes_only: bool) -> dict:
    """Plain PyAV decoding on every core: the cost of the decoder alone.

    Every frame: FFmpeg's own threads (frame and slice). Keyframes only: each keyframe
    packet sent to a decoder on frame threads, one per core, as ``highlight`` decodes
    them ahead; keyframes depend on nothing else, so this is the floor for any analysis
    that looks at every keyframe (FFmpeg's ``skip_frame=NONKEY`` on a normal decoder,
    measured here, keeps to one core: 25 s where this takes 13 s on the 10-minute file).
    """
    import av

    started, cpu = time.perf_counter(), cpu_seconds()
    frames = 0
    with av.open(video) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        if keyframes_only:
            decoder = av.CodecContext.create(stream.codec_context.name, "r")
            decoder.extradata = stream.codec_context.extradata
            decoder.thread_type, decoder.thread_count = "FRAME", os.cpu_count() or 1
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.size:
                    frames += len(decoder.decode(packet))
            frames += len(decoder.decode(None))
        else:
            stream.thread_type = "AUTO"
            for _ in container.decode(stream):
                frames += 1
    return measured_since(started, cpu, duration, {"frames_decoded": frames})


def measure_seed(video: str, seconds: float) -> dict:
    """The seed's pipeline: every frame of the first ``seconds`` through Keras ResNet50 (weights None)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import av
    import keras
    import numpy as np

    model = keras.applications.ResNet50(weights=None, include_top=True, classes=2, input_shape=(224, 224, 3))
    model(np.zeros((1, 224, 224, 3), np.float32), training=False)  # built before the clock starts
    started, cpu = time.perf_counter(), cpu_seconds()
    frames, batch = 0, []
    with av.open(video) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time > seconds:
                break
            image = frame.reformat(width=224, height=224, format="rgb24").to_ndarray()
            batch.append(keras.applications.resnet50.preprocess_input(image.astype(np.float32)))
            frames += 1
            if len(batch) == 32:
                model(np.stack(batch), training=False)
                batch = []
    if batch:
        model(np.stack(batch), training=False)
    return measured_since(started, cpu, seconds, {"frames_decoded": frames})


def run_child(kind: str, code: Path = REPO, **arguments) -> dict:
    """One measurement in a fresh process, importing ``highlight`` from ``code``."""
    command = [sys.executable, __file__, "--child", kind, json.dumps(arguments)]
    env = {**os.environ, "PYTHONPATH": str(code), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {arguments}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_dvr_scan(video: str) -> dict:
    """DVR-Scan's fastest mode (``-df 4``: every 4th pixel row and column), scan only.

    Run from a child process of its own, so that the peak memory of the children it
    waited for is DVR-Scan's alone.
    """
    from bench_accuracy import dvr_scan_command

    from highlight.source import probe

    command = [str(dvr_scan_command()), "-i", video, "-so", "-q", "-df", "4"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"dvr-scan: exit {done.returncode}: {done.stderr[-500:]}")
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "duration": probe(Path(video)).duration,
        "decode": {},
        "peak_mb": usage.ru_maxrss / 1024,
    }


MEASURES = {
    "highlight": measure_highlight,
    "decode": measure_decode,
    "seed": measure_seed,
    "dvr-scan": measure_dvr_scan,
}


def model_folder() -> Path:
    """The classifier ``highlight train`` writes (ResNet50 + head, TFLite), untrained; made once."""
    from bench_classifier import make_model_folder

    folder = OUT / "speed-model"
    if not (folder / "model.json").is_file():
        make_model_folder(folder)
    return folder


# ---- the table -------------------------------------------------------------------------


def planted(video: Path) -> list[list[float]]:
    """The visits planted in ``video``: the ground truth written beside it."""
    return json.loads(video.with_suffix(".json").read_text())["gt_presence_intervals_s"]


def against_truth(found: list, truth: list) -> str:
    """The lowest, over the planted visits, of the best tIoU with a highlight; and highlights on no visit."""
    from highlight.intervals import temporal_iou

    worst = min((max((temporal_iou(tuple(t), tuple(f)) for f in found), default=0.0) for t in truth), default=1.0)
    false = sum(1 for f in found if max((temporal_iou(tuple(t), tuple(f)) for t in truth), default=0.0) == 0.0)
    return f"{worst:.3f} ({len(found)} found, {len(truth)} planted, {false} false)"


def office_recording(given: str | None) -> Path | None:
    """The real-footage office recording (../shared/bench/make_long_office.py), built once when missing."""
    path = Path(given) if given else OUT / "office_10min_1080p30.mp4"
    if path.exists() and path.with_suffix(".json").exists():
        return path
    script = REPO.parent / "shared" / "bench" / "make_long_office.py"
    office = REPO.parent / "shared" / "data" / "videos" / "office_cdnet.mp4"
    if given or not script.is_file() or not office.is_file():
        print(f"no office recording ({path} or {script} missing): its rows are left out", file=sys.stderr)
        return None
    print(f"building {path.name} with {script.name} (once; minutes) ...", file=sys.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("building_" + path.name)
    subprocess.run([sys.executable, str(script), str(office), str(tmp)], check=True, timeout=7200)
    tmp.with_suffix(".json").rename(path.with_suffix(".json"))
    tmp.rename(path)
    return path


def print_table(rows: list[tuple[str, dict, str]], reference: dict[str, float]) -> None:
    header = (
        "run",
        "video",
        "wall",
        "x real time",
        "CPU",
        "vs this run",
        "frames decoded",
        "peak RSS",
        "vs planted visits",
    )
    table = [header]
    for name, r, tiou in rows:
        decoded = r["decode"].get("frames_decoded")
        ahead = r["decode"].get("keyframes_decoded_ahead")
        classified = r["decode"].get("samples_classified")
        frames = "-" if decoded is None else str(decoded)
        if ahead:
            frames += f" ({ahead} ahead)"
        if classified is not None:
            frames += f"; classified {classified}/{classified + r['decode']['samples_gated']}"
        if "refined" in r and name.startswith("model"):
            frames += f"; {r['refined']} at edges"
        base = reference.get(name.split(":")[0].strip())
        table.append(
            (
                name,
                f"{r['duration']:.0f} s",
                f"{r['wall_s']:.1f} s",
                f"{r['duration'] / r['wall_s']:.1f}x",
                f"{r['cpu_s']:.1f} s",
                f"{(r['duration'] / r['wall_s']) / base:.2f}" if base else "-",
                frames,
                f"{r['peak_mb']:.0f} MB",
                tiou,
            )
        )
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    for k, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--short-minutes", type=float, default=3.0)
    parser.add_argument(
        "--memory-minutes", type=float, default=30.0, help="a longer recording, for peak memory (0: none)"
    )
    parser.add_argument("--seed-seconds", type=float, default=60.0)
    parser.add_argument("--baseline", default="", help="git revision to compare with (default: merge base with main)")
    parser.add_argument("--no-dvr-scan", action="store_true")
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument(
        "--office",
        metavar="PATH",
        help="the office recording of ../shared/bench/make_long_office.py, its .json beside it "
        "(default: built once into benchmarks/out)",
    )
    parser.add_argument("--no-office", action="store_true", help="leave out the real-footage office recording")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, arguments = args.child
        print(json.dumps(MEASURES[kind](**json.loads(arguments))))
        return
    revision = (
        args.baseline
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    old_code = baseline_tree(revision)
    long_video, short_video = recording(args.minutes), recording(args.short_minutes)
    rows: list[tuple[str, dict, str]] = []

    def add(name: str, result: dict, tiou: str = "") -> dict:
        rows.append((name, result, tiou))
        shown = {k: v for k, v in result.items() if k != "intervals"}
        print(f"  {name}: {json.dumps(shown)} {tiou}", file=sys.stderr, flush=True)
        return result

    office = None if args.no_office else office_recording(args.office)
    videos = [("short", short_video), ("long", long_video)] + ([("office", office)] if office else [])
    for label, video in videos:
        truth = planted(video)
        old = run_child("highlight", old_code, video=str(video))
        add(f"{label}: highlight before ({revision[:7]})", old, against_truth(old["intervals"], truth))
        new = run_child("highlight", video=str(video))
        add(f"{label}: highlight (this branch)", new, against_truth(new["intervals"], truth))
    if args.memory_minutes:
        memory_video = recording(args.memory_minutes)
        new = run_child("highlight", video=str(memory_video))
        add("memory: highlight (this branch)", new, against_truth(new["intervals"], planted(memory_video)))
    add("long: decode only, keyframes", run_child("decode", video=str(long_video), keyframes_only=True))
    add("long: decode only, every frame", run_child("decode", video=str(long_video), keyframes_only=False))
    if not args.no_dvr_scan:
        from bench_accuracy import DVR_SCAN_MISSING, DVR_SCAN_PACKAGE, dvr_scan_command

        if dvr_scan_command() is None:
            print(DVR_SCAN_MISSING.format(package=DVR_SCAN_PACKAGE), file=sys.stderr)
        else:
            add("long: DVR-Scan -df 4", run_child("dvr-scan", video=str(long_video)))
    if not args.no_model:
        model = str(model_folder())
        old = add(
            f"model: --model before ({revision[:7]})",
            run_child("highlight", old_code, video=str(long_video), model=model),
        )
        ungated = run_child("highlight", video=str(long_video), model=model, gate=False)
        truth = planted(long_video)
        add("model: --model, no gate", ungated, against_truth(ungated["intervals"], truth))
        gated = run_child("highlight", video=str(long_video), model=model, gate=True)
        add("model: --model behind the motion gate", gated, against_truth(gated["intervals"], truth))
        add("model: seed (every frame, Keras)", run_child("seed", video=str(long_video), seconds=args.seed_seconds))

    size = long_video.stat().st_size * 8 / (args.minutes * 60) / 1e6
    print(
        f"\nissue 16 speed: 1080p30 H.264 at {size:.1f} Mbit/s, keyframe every 1 s, three visits; "
        f"{os.cpu_count()} CPU cores (shared with other work: compare within the run, and CPU time)"
    )
    reference = {
        "short": rows[1][1]["duration"] / rows[1][1]["wall_s"],
        "long": rows[3][1]["duration"] / rows[3][1]["wall_s"],
    }
    reference["memory"] = reference["long"]
    if office:
        reference["office"] = rows[5][1]["duration"] / rows[5][1]["wall_s"]
    if not args.no_model:
        reference["model"] = rows[-1][1]["duration"] / rows[-1][1]["wall_s"]
    print_table(rows, reference)
    analyses = [r for name, r, _ in rows if name.endswith("highlight (this branch)")]
    print(
        "peak memory of the analysis: "
        + ", ".join(f"{r['peak_mb']:.0f} MB at {r['duration'] / 60:.0f} min" for r in analyses)
    )
    print(
        "vs this run: x real time relative to this branch's default analysis of the same video"
        " (model rows: relative to the seed's pipeline; the model is untrained). vs planted visits: the lowest,"
        " over the visits planted in the recording, of the best tIoU with a highlight; false: highlights on no visit."
    )


if __name__ == "__main__":
    main()
