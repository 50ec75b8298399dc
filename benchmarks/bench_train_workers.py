"""One machine against two workers: does MultiWorkerMirroredStrategy train as well?

Trains the test suite's small recipe (ResNet50 from scratch, 64 px, 4 epochs, global
batch 16) on the first 60% of pedestrians_cdnet.mp4 (dev.json's "presence" is the
highlight) twice per seed: on one machine with two CPU replicas (``--replicas 2``), and
on two worker processes on localhost, one replica each (the same global batch), where
only the chief may write the model folder. Both are judged by ``highlight eval`` on the last 40%. Several seeds show how much the
recipe itself moves from run to run, which is the scale to read the gap against.

Both set-ups run the same steps (the test suite checks each replica's batches, the
initial weights, the first loss and the weights after it: tests/first_training_step.py)
and, with Grappler's dependency optimizer off (highlight.train.distribute), round alike:
the two models come out bit-identical, so the gap is zero whatever the seed. The
"largest weight difference" column checks that on the saved models.

Measured on the idle 2-core machine (``--seeds 0 1 2 3``):

    seed  one machine F1  two workers F1  gap     largest weight difference  one machine  two workers
    0     0.968           0.968           +0.000  0                          115 s        133 s
    1     0.942           0.942           +0.000  0                          105 s        122 s
    2     0.926           0.926           +0.000  0                          97 s         120 s
    3     0.923           0.923           +0.000  0                          103 s        118 s

With the dependency optimizer on, one machine's step rounded its gradients differently
in the last bits (127 of 163 weight tensors apart after one step, by up to 5e-4: Adam
turns a gradient that is zero up to rounding into a step as large as the learning
rate), and the trainings parted: 0.959/0.968, 0.923/0.942, 0.822/0.926 at seeds 0-2
(busy machine), gaps as large as the recipe's own seed-to-seed spread. Seed 3 also
found a crash: its 49 validation frames left the last batch's second replica empty
(train.batch_plan now hands replicas whole batches only).

    python benchmarks/bench_train_workers.py --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from highlight.source import probe  # noqa: E402
from highlight.table import format_table  # noqa: E402
from highlight.train.distribute import local_worker_hosts, run_local_workers  # noqa: E402
from highlight.train.labels import covering_ranges, write_labels  # noqa: E402

SHARED = REPO.parent / "shared"
VIDEO = SHARED / "data" / "videos" / "pedestrians_cdnet.mp4"
TRAIN_SHARE = 0.6
HIGHLIGHT = [sys.executable, "-m", "highlight"]
RECIPE = ["--weights", "none", "--image-size", "64", "--sample-fps", "6", "--epochs", "4", "--batch-size", "8"]
RECIPE += ["--block", "4s", "--gap", "0.5s"]
TIMEOUT_S = 1800


def split_labels(folder: Path) -> tuple[Path, Path]:
    """train.csv and test.csv: the first 60% and the rest, every frame labelled."""
    presence = json.loads((SHARED / "data" / "labels" / "dev.json").read_text())["presence"][VIDEO.name]
    duration = probe(VIDEO).duration
    cut = round(TRAIN_SHARE * duration, 2)
    train, test = folder / "train.csv", folder / "test.csv"
    write_labels(train, covering_ranges(VIDEO, presence["intervals_s"], 0.0, cut))
    write_labels(test, covering_ranges(VIDEO, presence["intervals_s"], cut, duration))
    return train, test


def train_one_machine(labels: Path, out: Path, seed: int) -> float:
    started = time.perf_counter()
    command = HIGHLIGHT + ["train", str(labels), "--out", str(out), "--replicas", "2", "--seed", str(seed), *RECIPE]
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_S, cwd=REPO)
    return time.perf_counter() - started


def train_two_workers(labels: Path, folder: Path, seed: int) -> tuple[Path, float]:
    """Both workers started together, each with its own --out as on two machines; the chief's model."""
    hosts = local_worker_hosts(2)
    commands = [
        HIGHLIGHT
        + ["train", str(labels), "--out", str(folder / f"worker{index}"), "--seed", str(seed)]
        + [*RECIPE, "--worker-hosts", hosts, "--worker-index", str(index)]
        for index in (0, 1)
    ]
    logs = [folder / f"worker{index}.log" for index in (0, 1)]
    started = time.perf_counter()
    results = run_local_workers(commands, [dict(os.environ)] * 2, logs, TIMEOUT_S)
    if any(code != 0 for code, _ in results):
        raise SystemExit(f"a worker failed: see {folder}/worker*.log")
    seconds = time.perf_counter() - started
    check_written_once(folder)
    return folder / "worker0", seconds


def check_written_once(folder: Path) -> None:
    """The chief's folder is complete; worker 1 wrote nothing where a model would go."""
    chief = sorted(path.name for path in (folder / "worker0").iterdir())
    if chief != ["cache", "model.json", "model.keras", "model.tflite"] or (folder / "worker1").exists():
        raise SystemExit(f"{folder}: the model folder is not the chief's alone, complete ({chief})")


def frame_f1(model: Path, labels: Path) -> float:
    report = model.parent / f"{model.name}-eval.json"
    command = HIGHLIGHT + ["eval", str(model), str(labels), "--json", str(report)]
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_S, cwd=REPO)
    return float(json.loads(report.read_text())["frame"]["f1"])


def largest_weight_difference(first: Path, second: Path) -> float:
    """The largest |difference| between two model folders' weights: 0 when they are the same model."""
    import keras
    import numpy as np

    weights = [
        keras.saving.load_model(folder / "model.keras", compile=False).get_weights() for folder in (first, second)
    ]
    return max(float(np.max(np.abs(a - b))) for a, b in zip(*weights))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    rows = [
        ("seed", "one machine F1", "two workers F1", "gap", "largest weight difference", "one machine", "two workers")
    ]
    with tempfile.TemporaryDirectory(prefix="bench-train-workers-") as scratch:
        train, test = split_labels(Path(scratch))
        for seed in args.seeds:
            folder = Path(scratch) / f"seed{seed}"
            folder.mkdir()
            single_seconds = train_one_machine(train, folder / "single", seed)
            chief, pair_seconds = train_two_workers(train, folder, seed)
            single, pair = frame_f1(folder / "single", test), frame_f1(chief, test)
            rows.append(
                (
                    str(seed),
                    f"{single:.3f}",
                    f"{pair:.3f}",
                    f"{pair - single:+.3f}",
                    f"{largest_weight_difference(folder / 'single', chief):.3g}",
                    f"{single_seconds:.0f} s",
                    f"{pair_seconds:.0f} s",
                )
            )
            print(f"seed {seed}: one machine {single:.3f}, two workers {pair:.3f}", flush=True)
    print("\n".join(format_table(rows)))


if __name__ == "__main__":
    main()
