"""Issue 16's speed table: analysis at keyframe cost, the motion gate, against what else runs on the file.

    python benchmarks/bench_speed.py [--minutes 10] [--short-minutes 3] [--memory-minutes 30] [--seed-seconds 60]
                                     [--baseline REV] [--no-dvr-scan] [--no-model]

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
  into benchmarks/out/: the intervals' tIoU against it says how far the results moved.
* ``memory``: the same analysis on a ``--memory-minutes`` recording: peak memory must
  not grow with the length.
* decode only, with plain PyAV on every core: every frame, and keyframes only (each
  keyframe on frame threads): the floor for an analysis that looks at every keyframe.
* DVR-Scan (``dvr-scan-headless``, installed in its own venv under benchmarks/out by
  bench_accuracy.py's setup) in its fastest mode, ``-df 4``.
* ``--model``: the ResNet50 classifier that ``highlight train`` writes (untrained
  weights: the same cost), TFLite, behind the motion gate and without it; and the seed's
  pipeline on the first ``--seed-seconds``: every frame through Keras ResNet50.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
sys.path.insert(0, str(REPO / "benchmarks"))


def render_sample(*args, **kwargs):
    """samples/make_samples.py's ``render`` (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("make_samples", REPO / "samples" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render(*args, **kwargs)


EMPTY_SECONDS = 30.0  # one rendered stretch of empty scene, repeated


def segment(seconds: float, visit: bool) -> Path:
    """A rendered stretch of the phone-like scene, with a player in view all along (``visit``) or empty."""
    path = OUT / f"seg_{'visit' if visit else 'empty'}_{seconds:g}s.mp4"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"rendering {path.name} (1080p30; once) ...", file=sys.stderr)
        tmp = path.with_suffix(".tmp.mp4")
        visits = [(0.5, seconds - 0.5)] if visit else []
        render_sample(tmp, 1920, 1080, Fraction(30), seconds, visits, seed=5, bitrate=12_000_000)
        tmp.rename(path)
    return path


def recording(minutes: float) -> Path:
    """About ``minutes`` of phone-like video, three visits each a tenth of it long; made once.

    Rendering 1080p runs at a fraction of real time here, so one visit and one empty
    stretch are rendered and laid out by stream copy (whole GOPs: a keyframe still
    every second): empty, visit, empty, visit, empty, visit, empty.
    """
    path = OUT / f"visits_1080p30_{minutes:g}min.mp4"
    if path.exists():
        return path
    seconds = minutes * 60
    visit = round(seconds / 10)
    gaps = max(4, round((seconds - 3 * visit) / EMPTY_SECONDS))  # empty stretches, over the four gaps
    outer, inner = gaps // 4, (gaps - 2 * (gaps // 4)) // 2
    layout = [outer, inner, inner, gaps - 2 * inner - outer]
    empty, busy = segment(EMPTY_SECONDS, visit=False), segment(visit, visit=True)
    pieces = [empty] * layout[0] + [busy] + [empty] * layout[1] + [busy] + [empty] * layout[2] + [busy]
    pieces += [empty] * layout[3]
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


def worst_tiou(found: list, reference: list) -> str:
    """The lowest, over the reference intervals, of the best tIoU with a found one."""
    from highlight.intervals import temporal_iou

    if not reference:
        return "-" if not found else "0 (none before)"
    worst = min(max((temporal_iou(tuple(r), tuple(f)) for f in found), default=0.0) for r in reference)
    return f"{worst:.3f} ({len(found)} vs {len(reference)})"


def print_table(rows: list[tuple[str, dict, str]], reference: dict[str, float]) -> None:
    header = ("run", "video", "wall", "x real time", "CPU", "vs this run", "frames decoded", "peak RSS", "tIoU vs old")
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

    for label, video in (("short", short_video), ("long", long_video)):
        old = add(f"{label}: highlight before ({revision[:7]})", run_child("highlight", old_code, video=str(video)))
        new = run_child("highlight", video=str(video))
        add(f"{label}: highlight (this branch)", new, worst_tiou(new["intervals"], old["intervals"]))
    if args.memory_minutes:
        add("memory: highlight (this branch)", run_child("highlight", video=str(recording(args.memory_minutes))))
    add("long: decode only, keyframes", run_child("decode", video=str(long_video), keyframes_only=True))
    add("long: decode only, every frame", run_child("decode", video=str(long_video), keyframes_only=False))
    if not args.no_dvr_scan:
        add("long: DVR-Scan -df 4", run_child("dvr-scan", video=str(long_video)))
    if not args.no_model:
        model = str(model_folder())
        old = add(
            f"model: --model before ({revision[:7]})",
            run_child("highlight", old_code, video=str(long_video), model=model),
        )
        ungated = run_child("highlight", video=str(long_video), model=model, gate=False)
        add("model: --model, no gate", ungated, worst_tiou(ungated["intervals"], old["intervals"]))
        gated = run_child("highlight", video=str(long_video), model=model, gate=True)
        add("model: --model behind the motion gate", gated, worst_tiou(gated["intervals"], old["intervals"]))
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
        " (model rows: relative to the seed's pipeline). tIoU vs old: the lowest best-match tIoU of the"
        " old run's intervals (intervals found now vs before)."
    )


if __name__ == "__main__":
    main()
