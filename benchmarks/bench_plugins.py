"""Pose and reps plugins on real footage: rep counts, pose accuracy, and what they cost.

    python benchmarks/bench_plugins.py [--shared ../shared] [--model PATH]

1. Reps: `highlight run --plugin pose --plugin reps` (exercise auto, ONE setting for all
   clips) on every clip with a person exercising: people found, the count per person,
   the exercise recognised per set of the headline person and their form flags; where
   labels/dev.json has a count, MAE and off-by-one accuracy (|count - truth| <= 1) over
   those, at the default pose rate and (labelled clips only) half of it.
2. Pose: PCK@0.2 on pose_images/coco (test_coco.json): MediaPipe people matched to the
   annotated ones (greedy, by mean keypoint distance), the 17 COCO keypoints (all are
   among MediaPipe's 33), threshold 0.2 x the longer side of the person's box.
3. Cost, at the default pose rate, after a warm-up run (MediaPipe's first load is not a
   per-video cost): each clip decoded alone with the run's frame schedule (decode-only),
   the run without plugins, and the run with pose and reps. The frames are decoded once
   and shared; pose inference runs on a worker thread, beside decoding and scoring.
   Besides the labelled clips (web clips of 640x360 to 960x544, which decode in under
   a millisecond a frame) the table has pushup_side.mp4 (720p) and phone-like copies of
   squat_side and pushup_side: scaled to 1920x1080, 30 fps, 12 Mbit/s H.264 with a
   keyframe a second and sensor noise, as a phone on a tripod records (made once,
   cached in benchmarks/out/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / "out"
sys.path.insert(0, str(REPO))

from highlight.checkout import use_checkout_plugins  # noqa: E402

use_checkout_plugins()  # the plugins measured are this checkout's

from bench_variations import VARIATIONS, encoded  # noqa: E402  (this folder, sys.path[0])
from highlight_plugins.pose import DEFAULT_FPS  # noqa: E402

from highlight.export.manifest import Manifest  # noqa: E402
from highlight.pipeline import process_video  # noqa: E402
from highlight.settings import RunSettings, plugin_options_tuple  # noqa: E402
from highlight.source import VideoSource, probe  # noqa: E402

# Clips in ../shared/data/videos with someone exercising (seen by eye; the rest are
# basketball shots and CDnet scenes): the labelled ones first, then the others.
EXERCISE_CLIPS = (
    "pushup_side.mp4",
    "pushup_tutorial.mp4",
    "quva_022_fitness.mp4",
    "quva_027_fitness.mp4",
    "quva_038_monkey_bars.mp4",
    "quva_060_jumping_rope.mp4",
)

# What the labels in dev.json call an exercise ("what" begins with) -> the name reps gives it,
# for the labels that have no "exercise" field (dribbling is no exercise: unknown).
EXERCISE_OF_WHAT = {
    "walking lunges": "lunge",
    "jumps": "jump",
    "dribbling": "unknown",
    "crunches": "crunch",
    "bodyweight squats": "squat",
    "push-ups": "pushup",
    "jumping jacks": "jumping_jack",
}


def true_exercise(truth: dict) -> str | None:
    """The labelled exercise of a clip: its "exercise" field, else read from its "what"."""
    if "exercise" in truth:
        return truth["exercise"]
    return next((name for what, name in EXERCISE_OF_WHAT.items() if truth.get("what", "").startswith(what)), None)


# COCO keypoint k -> MediaPipe landmark
COCO_TO_MEDIAPIPE = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def run_reps(videos: Path, labels: dict, model: Path, pose_fps: float, clips: list[str]) -> list[dict]:
    return [reps_row(videos / name, name, labels, model, pose_fps) for name in clips]


def reps_row(video: Path, name: str, labels: dict, model: Path, pose_fps: float) -> dict:
    """The reps plugin's result on ``video`` (clip ``name`` as filmed, or recorded otherwise), with its labels."""
    truth = labels["reps"].get(name, {})
    settings = RunSettings(
        plugins=("pose", "reps"),
        clips=False,
        plugin_options=plugin_options_tuple({"pose": {"model": str(model), "fps": pose_fps}}),
    )
    with tempfile.TemporaryDirectory() as out:
        manifest = process_video(video, Path(out), settings, force=True)
    reps, pose = manifest.plugins["reps"], manifest.plugins["pose"]
    if "error" in reps:
        raise SystemExit(f"{video.name}: {reps['error']}")
    return {
        "clip": name,
        "what": truth.get("what", "").split(",")[0][:20],
        "truth": truth.get("count"),
        "named": reps["recognised"],
        "true_name": true_exercise(truth) if truth else None,
        "people": pose["people"],
        "seen": f"{pose['detected_frames']}/{pose['frames']}",
        "person": reps["person"],
        "count": reps["count"],
        "counts": "/".join(str(p["count"]) for p in reps["people"]),
        "exercises": ", ".join(s["exercise"] for s in reps["sets"]) or reps["recognised"],
        "held": sum(h["seconds"] for h in reps.get("holds", [])),
        "form": ", ".join(f"{n} {flag}" for flag, n in reps.get("form", {}).items()) or "-",
        "tempo": reps["seconds_per_rep"],
    }


def print_recorded(videos: Path, labels: dict, model: Path) -> None:
    """The labelled clips recorded again each way ``bench_variations.py`` records them: count and exercise.

    Re-encoding changes nothing a person does, so every way should give the labelled
    count and exercise; what differs is the picture the pose model sees (noise, size,
    the other side), and so the landmarks' jitter.
    """
    ways = ("as filmed", *VARIATIONS)
    folder = CACHE / "variations"
    folder.mkdir(parents=True, exist_ok=True)
    cells = [["clip", "truth", *ways]]
    right = dict.fromkeys(ways, 0)
    for name in labels["reps"]:
        truth = labels["reps"][name]
        cells.append([name, f"{truth['count']} {true_exercise(truth)}"])
        for way in ways:
            video = videos / name if way == "as filmed" else encoded(videos / name, way, folder)
            row = reps_row(video, name, labels, model, DEFAULT_FPS)
            cells[-1].append(f"{row['count']} {row['named']}")
            right[way] += row["count"] == row["truth"] and row["named"] == row["true_name"]
    print(f"## Reps on the labelled clips recorded otherwise (bench_variations.py's ways), pose at {DEFAULT_FPS:g} fps")
    print(table(cells))
    print("count and exercise right: " + ", ".join(f"{way} {n}/{len(cells) - 1}" for way, n in right.items()) + "\n")


def print_reps(rows: list[dict], pose_fps: float) -> None:
    print(f"## Reps, pose at {pose_fps:g} fps")
    print(
        table(
            [
                [
                    "clip",
                    "labelled",
                    "people",
                    "seen",
                    "counts per person",
                    "headline",
                    "truth",
                    "abs err",
                    "exercise",
                    "true exercise",
                    "exercise per set",
                    "form flags",
                    "s/rep",
                ]
            ]
            + [
                [
                    r["clip"],
                    r["what"] or "-",
                    str(r["people"]),
                    r["seen"],
                    r["counts"] or "-",
                    f"#{r['person']}: {r['count']}" + (f" ({r['held']:.0f} s held)" if r["held"] else ""),
                    "-" if r["truth"] is None else str(r["truth"]),
                    "-" if r["truth"] is None else str(abs(r["count"] - r["truth"])),
                    r["named"],
                    r["true_name"] or "-",
                    r["exercises"],
                    r["form"],
                    f"{r['tempo']:.2f}" if r["tempo"] else "-",
                ]
                for r in rows
            ]
        )
    )
    errors = np.array([abs(r["count"] - r["truth"]) for r in rows if r["truth"] is not None])
    named = [r for r in rows if r["true_name"]]
    both = sum(r["count"] == r["truth"] and r["named"] == r["true_name"] for r in named)
    print(
        f"over the {errors.size} labelled clips: MAE {errors.mean():.2f}   off-by-one accuracy"
        f" {np.mean(errors <= 1):.2f}   exact {np.mean(errors == 0):.2f}   exercise right"
        f" {sum(r['named'] == r['true_name'] for r in named)}/{len(named)}   count and exercise right {both}/{len(named)}\n"
    )
    print(confusion(named))


def confusion(rows: list[dict]) -> str:
    """Exercise names: labelled (rows) against recognised (columns), clips counted."""
    names = sorted({r["true_name"] for r in rows} | {r["named"] for r in rows})
    cells = [["labelled \\ recognised"] + names]
    for true in names:
        cells.append(
            [true] + [str(sum(r["true_name"] == true and r["named"] == n for r in rows) or ".") for n in names]
        )
    return "## Exercise names over the labelled clips\n" + table(cells) + "\n"


def pose_settings(model: Path, plugins: tuple[str, ...] = ("pose", "reps")) -> RunSettings:
    return RunSettings(
        plugins=plugins, clips=False, plugin_options=plugin_options_tuple({"pose": {"model": str(model)}})
    )


def analysis_seconds(video: Path, settings: RunSettings) -> tuple[float, Manifest]:
    """Wall time of the analysis (no clips), and the manifest."""
    with tempfile.TemporaryDirectory() as out:
        manifest = process_video(video, Path(out), settings, force=True)
    return manifest.timing["analysis_s"], manifest


def cost_row(video: Path, model: Path) -> dict:
    with_plugins, manifest = analysis_seconds(video, pose_settings(model))
    without, _ = analysis_seconds(video, pose_settings(model, plugins=()))
    info = probe(video)
    decode_only = decode_only_seconds(video, [RunSettings().sample_fps, DEFAULT_FPS])
    return {
        "clip": video.name,
        "size": f"{info.width}x{info.height}",
        "frames": manifest.decode["frames_decoded"],
        "decode_only": decode_only,
        "without": without,
        "with": with_plugins,
        "pose_work": manifest.timing["plugins_s"],
        "pose_frames": manifest.plugins["pose"]["frames"],
    }


def phone_copy(source: Path, seed: int = 0) -> Path:
    """``source`` as a phone on a tripod records it: 1080p30, 12 Mbit/s, a keyframe a second, sensor noise."""
    import av

    path = CACHE / f"{source.stem}_phone1080p.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"making {path.name} (once) ...", file=sys.stderr)
    noise = np.random.default_rng(seed).normal(0, 2.0, (8, 1080, 1920, 3)).astype(np.float32)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(source)) as inp, av.open(str(tmp), "w") as out:
        video = out.add_stream("libx264", rate=Fraction(30))
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv420p"
        video.options = {"preset": "veryfast", "g": "30"}
        video.bit_rate = 12_000_000
        for k, frame in enumerate(inp.decode(inp.streams.video[0])):
            image = frame.reformat(width=1920, height=1080, format="rgb24").to_ndarray() + noise[k % len(noise)]
            for packet in video.encode(
                av.VideoFrame.from_ndarray(np.clip(image, 0, 255).astype(np.uint8), format="rgb24")
            ):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    tmp.rename(path)
    return path


def decode_only_seconds(path: Path, rates: list[float], repeats: int = 3) -> float:
    """The fastest of a few passes that only decode (and convert nothing): the floor of any run."""
    best = float("inf")
    info = probe(path)
    for _ in range(repeats):
        started = time.perf_counter()
        with VideoSource(path, info) as source:
            for _frame in source.sample(rates):
                pass
        best = min(best, time.perf_counter() - started)
    return best


def pck(images_dir: Path, model: Path, alpha: float = 0.2) -> dict:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    data = json.loads((images_dir / "test_coco.json").read_text())
    options = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)), running_mode=RunningMode.IMAGE, num_poses=5
    )
    correct = total = matched = people = 0
    per_joint = np.zeros((17, 2))
    with PoseLandmarker.create_from_options(options) as landmarker:
        for image in data["images"]:
            truth = [a for a in data["annotations"] if a["image_id"] == image["id"] and a["num_keypoints"] > 0]
            people += len(truth)
            found = landmarker.detect(mp.Image.create_from_file(str(images_dir / image["file_name"])))
            predicted = [
                np.array([(p.x * image["width"], p.y * image["height"]) for p in person])[COCO_TO_MEDIAPIPE]
                for person in found.pose_landmarks
            ]
            for annotation, guess in _match(truth, predicted):
                matched += 1
                keypoints = np.array(annotation["keypoints"], float).reshape(17, 3)
                labelled = keypoints[:, 2] > 0
                limit = alpha * max(annotation["bbox"][2], annotation["bbox"][3])
                hits = (np.linalg.norm(guess - keypoints[:, :2], axis=1) <= limit) & labelled
                correct += int(hits.sum())
                total += int(labelled.sum())
                per_joint[:, 0] += hits
                per_joint[:, 1] += labelled
    return {
        "pck": correct / max(total, 1),
        "keypoints": total,
        "matched": matched,
        "people": people,
        "per_joint": per_joint,
        "names": data["categories"][0]["keypoints"],
    }


def _match(truth: list[dict], predicted: list[np.ndarray]) -> list[tuple[dict, np.ndarray]]:
    """Greedy one-to-one matching by mean distance over the labelled keypoints, within the person's box size."""
    pairs = []
    for i, annotation in enumerate(truth):
        keypoints = np.array(annotation["keypoints"], float).reshape(17, 3)
        labelled = keypoints[:, 2] > 0
        size = max(annotation["bbox"][2], annotation["bbox"][3])
        for j, guess in enumerate(predicted):
            distance = float(np.mean(np.linalg.norm(guess[labelled] - keypoints[labelled, :2], axis=1)))
            if distance <= 0.5 * size:
                pairs.append((distance, i, j))
    used_truth, used_guess, matches = set(), set(), []
    for _distance, i, j in sorted(pairs):
        if i not in used_truth and j not in used_guess:
            used_truth.add(i)
            used_guess.add(j)
            matches.append((truth[i], predicted[j]))
    return matches


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))) for r in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("HIGHLIGHT_SHARED", REPO.parent / "shared")))
    parser.add_argument(
        "--model", type=Path, help="pose .task bundle [default: SHARED/models/pose_landmarker_lite.task]"
    )
    parser.add_argument(
        "--only",
        choices=("reps", "recorded", "cost", "pck"),
        help="one part of the benchmark (reps: the full rate only; recorded: the labelled clips re-encoded)",
    )
    args = parser.parse_args()
    model = (args.model or args.shared / "models" / "pose_landmarker_lite.task").resolve()
    labels = json.loads((args.shared / "data" / "labels" / "dev.json").read_text())
    videos = args.shared / "data" / "videos"
    print(
        f"pose model: {model.name}; reps: --exercise auto, default counter settings for every clip (machine shared: timings noisy)\n"
    )

    labelled = list(labels["reps"])
    if args.only in (None, "reps"):
        print_reps(run_reps(videos, labels, model, DEFAULT_FPS, labelled + list(EXERCISE_CLIPS)), DEFAULT_FPS)
    if args.only is None:
        print_reps(run_reps(videos, labels, model, DEFAULT_FPS / 2, labelled), DEFAULT_FPS / 2)
    if args.only in (None, "recorded"):
        print_recorded(videos, labels, model)
    if args.only in (None, "cost"):
        print_costs(videos, labels, model)
    if args.only in (None, "pck"):
        print_pck(args.shared, model)


def print_costs(videos: Path, labels: dict, model: Path) -> None:

    cost_videos = [videos / name for name in labels["reps"]] + [videos / "pushup_side.mp4"]
    cost_videos += [phone_copy(videos / "squat_side.mp4"), phone_copy(videos / "pushup_side.mp4")]
    analysis_seconds(cost_videos[0], pose_settings(model))  # warm-up: MediaPipe's first load happens once
    costs = [cost_row(video, model) for video in cost_videos]
    print(f"## Cost at the default pose rate ({DEFAULT_FPS:g} fps), analysis wall time in seconds")
    print(
        table(
            [
                [
                    "clip",
                    "size",
                    "frames decoded",
                    "decode-only",
                    "run",
                    "run + pose + reps",
                    "pose work",
                    "ms/pose frame",
                    "(run + pose + reps) / decode-only",
                    "added / decode-only",
                ]
            ]
            + [
                [
                    c["clip"],
                    c["size"],
                    str(c["frames"]),
                    f"{c['decode_only']:.2f}",
                    f"{c['without']:.2f}",
                    f"{c['with']:.2f}",
                    f"{c['pose_work']:.2f}",
                    f"{1000 * c['pose_work'] / max(c['pose_frames'], 1):.1f}",
                    f"{c['with'] / c['decode_only']:.1f}",
                    f"{(c['with'] - c['without']) / c['decode_only']:.1f}",
                ]
                for c in costs
            ]
        )
    )
    print(
        "decode-only: the run's frame schedule (scorer + pose), decoded and nothing else; run: the highlight run"
        " alone; pose work: time in the plugins' hooks, on a worker thread beside the frame loop;"
        " added: what pose + reps add to the run's wall time.\n"
    )


def print_pck(shared: Path, model: Path) -> None:
    result = pck(shared / "data" / "pose_images" / "coco", model)
    print("## Pose: PCK@0.2 on pose_images/coco (COCO's 17 keypoints, threshold 0.2 x longer box side)")
    print(
        f"people matched {result['matched']}/{result['people']}, keypoints {result['keypoints']}, PCK@0.2 {result['pck']:.3f}"
    )
    joints = result["per_joint"]
    print(
        table(
            [["keypoint", "PCK@0.2", "n"]]
            + [[name, f"{h / n:.2f}" if n else "-", str(int(n))] for name, (h, n) in zip(result["names"], joints)]
        )
    )


if __name__ == "__main__":
    main()
