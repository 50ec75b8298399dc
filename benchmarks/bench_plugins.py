"""Pose and reps plugins on real footage: rep counts, pose accuracy, and what they cost.

    python benchmarks/bench_plugins.py [--shared ../shared] [--model PATH]

1. Reps: `highlight run --plugin pose --plugin reps` (exercise auto, ONE setting for all
   clips) on every clip with reps in labels/dev.json: count vs truth, MAE, off-by-one
   accuracy (|count - truth| <= 1), for the default pose rate and half of it.
2. Pose: PCK@0.2 on pose_images/coco (test_coco.json): MediaPipe people matched to the
   annotated ones (greedy, by mean keypoint distance), the 17 COCO keypoints (all are
   among MediaPipe's 33), threshold 0.2 x the longer side of the person's box.
3. Cost: the same clips decoded alone with the run's frame schedule, against the run
   with pose and reps: the frames are decoded once and shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from highlight.pipeline import process_video  # noqa: E402
from highlight.settings import RunSettings  # noqa: E402
from highlight.source import VideoSource, probe  # noqa: E402
from plugins.pose import DEFAULT_FPS  # noqa: E402

# COCO keypoint k -> MediaPipe landmark
COCO_TO_MEDIAPIPE = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def run_reps(videos: Path, labels: dict, model: Path, pose_fps: float) -> list[dict]:
    rows = []
    for name, truth in labels["reps"].items():
        settings = RunSettings(plugins=("pose", "reps"), clips=False,
                               plugin_options=tuple(sorted({"pose_model": str(model), "pose_fps": pose_fps}.items())))
        with tempfile.TemporaryDirectory() as out:
            manifest = process_video(videos / name, Path(out), settings, force=True)
        reps = manifest["plugins"]["reps"]
        if "error" in reps:
            raise SystemExit(f"{name}: {reps['error']}")
        timing = manifest["timing"]
        decode_only = decode_only_seconds(videos / name, [settings.sample_fps, pose_fps])
        rows.append({
            "clip": name, "what": truth.get("what", "").split(",")[0][:24], "truth": truth["count"], "count": reps["count"],
            "signal": reps["signal"], "tempo": reps["seconds_per_rep"],
            "decode_only_s": decode_only, "frames": manifest["decode"]["frames_decoded"],
            "run_decode_s": timing["decode_s"], "plugins_s": timing["plugins_s"], "analysis_s": timing["analysis_s"],
            "duration": manifest["source"]["duration"],
        })
    return rows


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
    options = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                    running_mode=RunningMode.IMAGE, num_poses=5)
    correct = total = matched = people = 0
    per_joint = np.zeros((17, 2))
    with PoseLandmarker.create_from_options(options) as landmarker:
        for image in data["images"]:
            truth = [a for a in data["annotations"] if a["image_id"] == image["id"] and a["num_keypoints"] > 0]
            people += len(truth)
            found = landmarker.detect(mp.Image.create_from_file(str(images_dir / image["file_name"])))
            predicted = [np.array([(p.x * image["width"], p.y * image["height"]) for p in person])[COCO_TO_MEDIAPIPE]
                         for person in found.pose_landmarks]
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
    return {"pck": correct / max(total, 1), "keypoints": total, "matched": matched, "people": people,
            "per_joint": per_joint, "names": data["categories"][0]["keypoints"]}


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
    return "\n".join("  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("HIGHLIGHT_SHARED", REPO.parent / "shared")))
    parser.add_argument("--model", type=Path, help="pose .task bundle [default: SHARED/models/pose_landmarker_lite.task]")
    args = parser.parse_args()
    model = (args.model or args.shared / "models" / "pose_landmarker_lite.task").resolve()
    labels = json.loads((args.shared / "data" / "labels" / "dev.json").read_text())
    videos = args.shared / "data" / "videos"
    print(f"pose model: {model.name}; reps: --exercise auto, default counter settings for every clip\n")

    summaries = []
    for pose_fps in (DEFAULT_FPS, DEFAULT_FPS / 2):
        rows = run_reps(videos, labels, model, pose_fps)
        errors = np.array([abs(r["count"] - r["truth"]) for r in rows])
        summaries.append((pose_fps, rows, errors))
        print(f"## Reps, pose at {pose_fps:g} fps")
        print(table([["clip", "what", "truth", "count", "abs err", "signal (auto)", "s/rep"]] + [
            [r["clip"], r["what"], str(r["truth"]), str(r["count"]), str(abs(r["count"] - r["truth"])), r["signal"],
             f"{r['tempo']:.2f}" if r["tempo"] else "-"] for r in rows]))
        print(f"MAE {errors.mean():.2f}   off-by-one accuracy {np.mean(errors <= 1):.2f}   exact {np.mean(errors == 0):.2f}\n")

    print("## Cost: decoded once, shared (seconds; decode-only = the same frame schedule, nothing else)")
    cost_rows = [["clip", "pose fps", "frames decoded", "decode-only", "run: decode", "run: pose+reps", "run: total",
                  "decode ratio", "total / decode-only"]]
    for pose_fps, rows, _ in summaries:
        for r in rows:
            cost_rows.append([r["clip"], f"{pose_fps:g}", str(r["frames"]), f"{r['decode_only_s']:.2f}", f"{r['run_decode_s']:.2f}",
                              f"{r['plugins_s']:.2f}", f"{r['analysis_s']:.2f}",
                              f"{r['run_decode_s'] / r['decode_only_s']:.2f}", f"{r['analysis_s'] / r['decode_only_s']:.1f}"])
    print(table(cost_rows))
    for pose_fps, rows, _ in summaries:
        frames = sum(r["duration"] * pose_fps for r in rows)
        pose_s = sum(r["plugins_s"] for r in rows)
        print(f"pose {pose_fps:g} fps: {1000 * pose_s / frames:.0f} ms per analysed frame; "
              f"decode in the run / decode-only = {sum(r['run_decode_s'] for r in rows) / sum(r['decode_only_s'] for r in rows):.2f}")
    print()

    result = pck(args.shared / "data" / "pose_images" / "coco", model)
    print("## Pose: PCK@0.2 on pose_images/coco (COCO's 17 keypoints, threshold 0.2 x longer box side)")
    print(f"people matched {result['matched']}/{result['people']}, keypoints {result['keypoints']}, PCK@0.2 {result['pck']:.3f}")
    joints = result["per_joint"]
    print(table([["keypoint", "PCK@0.2", "n"]] + [[name, f"{h / n:.2f}" if n else "-", str(int(n))]
                                               for name, (h, n) in zip(result["names"], joints)]))


if __name__ == "__main__":
    main()
