"""Speed of the trained-classifier path on this machine.

    python benchmarks/bench_classifier.py [--seconds 180] [--frames 96] [--keep DIR]

1. Classifier frames/s at 224x224 for the Keras model and its dynamic-range TFLite
   export (the same ResNet50 + head that ``highlight train`` writes; untrained weights,
   which cost exactly as much as trained ones).
2. ``highlight run --model`` real-time factor (video seconds per wall second) on a
   generated 1080p30 recording of several minutes (a 10 s scene with one visit, looped
   by stream copy so generating it takes seconds, not minutes), analysis only
   (``--no-clips``: clip writing is the same for every detector), with the timing
   split the manifest records.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from highlight.checkout import load_script  # noqa: E402
from highlight.export import manifest as manifests  # noqa: E402

SIZE = 224


def make_model_folder(folder: Path) -> None:
    """A model folder as ``highlight train`` writes it, without the training."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from highlight.atomic import write_json
    from highlight.scorers.classifier import MODEL_KIND
    from highlight.train.model import build_model
    from highlight.train.train import export_tflite, save_keras

    keras.utils.set_random_seed(0)
    model, _ = build_model(1, (SIZE, SIZE), weights="none")
    folder.mkdir(parents=True, exist_ok=True)
    save_keras(model, folder / "model.keras")
    images = np.random.default_rng(0).integers(0, 256, (16, SIZE, SIZE, 3), dtype=np.uint8)
    tflite = export_tflite(folder, images, 0.5, print)
    write_json(
        folder / "model.json",
        {
            "kind": MODEL_KIND,
            "labels": ["background", "highlight"],
            "positive": "highlight",
            "output": "sigmoid",
            "input": {"width": SIZE, "height": SIZE},
            "threshold": 0.5,
            "sample_fps": 2.0,
            "tflite": tflite,
        },
    )


def frames_per_second(folder: Path, backend: str, frames: int) -> float:
    from highlight.scorers.classifier import ClassifierScorer

    scorer = ClassifierScorer(folder, backend=backend)
    images = list(np.random.default_rng(1).integers(0, 256, (frames, SIZE, SIZE, 3), dtype=np.uint8))
    scorer.score(images[: scorer.batch_size])  # warm-up: graph tracing, allocation
    started = time.perf_counter()
    scorer.score(images)
    return frames / (time.perf_counter() - started)


def make_video(path: Path, seconds: float) -> float:
    """A 1080p30 recording of about ``seconds``: a 10 s rendered scene, looped by stream copy."""
    import imageio_ffmpeg

    samples = load_script(REPO / "samples" / "make_samples.py")
    segment = path.with_name("segment.mp4")
    samples.render(segment, 1920, 1080, Fraction(30), 10.0, visits=[(3.0, 7.0)], seed=5)
    loops = max(1, round(seconds / 10.0))
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-stream_loop",
            str(loops - 1),
            "-i",
            str(segment),
            "-c",
            "copy",
            str(path),
        ],
        check=True,
    )
    segment.unlink()
    from highlight.source import probe

    return probe(path).duration


def run_rtf(video: Path, model: Path, out: Path) -> tuple[float, float, dict]:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "highlight",
            "run",
            str(video),
            "--model",
            str(model),
            "--out",
            str(out),
            "--no-clips",
            "-q",
            "--force",
        ],
        check=True,
        cwd=REPO,
    )
    wall = time.perf_counter() - started
    manifest = manifests.load(out / video.stem)
    return wall, manifest.source.duration, manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the generated 1080p video")
    parser.add_argument("--frames", type=int, default=96, help="frames scored per backend")
    parser.add_argument("--keep", type=Path, help="keep the model and video in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_classifier_"))
    work.mkdir(parents=True, exist_ok=True)
    model = work / "model"
    if not (model / "model.json").is_file():
        make_model_folder(model)
    rows = [(backend, frames_per_second(model, backend, args.frames)) for backend in ("keras", "tflite")]
    video = work / "court_1080p.mp4"
    duration = make_video(video, args.seconds) if not video.is_file() else None
    wall, duration, manifest = run_rtf(video, model, work / "out")
    timing = manifest.timing

    print(f"\nclassifier on {os.cpu_count()} CPU cores, ResNet50 + head at {SIZE}x{SIZE}, batch 16")
    print("| backend | frames/s | ms/frame |\n|---|---|---|")
    for backend, fps in rows:
        print(f"| {backend} | {fps:.1f} | {1000 / fps:.0f} |")
    print(
        f"\n`highlight run --model` ({manifest.detector['backend']}) on {duration:.0f} s of 1080p30, "
        f"--sample-fps 2, --no-clips"
    )
    print("| wall s | real-time factor | decode s | score s | analysed frames |\n|---|---|---|---|---|")
    print(
        f"| {wall:.1f} | {duration / wall:.1f}x | {timing.get('decode_s', 0):.1f} | {timing.get('score_s', 0):.1f} | "
        f"{manifest.get('decode', {}).get('frames_used', '?')} |"
    )
    print(
        f"(TFLite file {model / 'model.tflite'}: {(model / 'model.tflite').stat().st_size / 1e6:.1f} MB, "
        f"Keras {(model / 'model.keras').stat().st_size / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
