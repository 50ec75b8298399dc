"""Train from the review page: ``highlight train`` on the saved labels, then ``highlight eval``, supervised;
Use: ``highlight run --model`` with the new model on the reviewed recordings.

Both run as child processes of the review (``python -m highlight ...``), so TensorFlow
never loads into the server and a crash in training cannot take the page down. Their
output is read line by line: the per-epoch lines ``highlight train`` prints are the
progress the page shows, and the last lines are kept for the error a failure shows.
Each process has a time limit and the page's Stop ends it; the exit status decides
success. Only the options declared in ``OPTIONS`` reach the command line, each checked
against its type and range, and the weights only as ``imagenet`` or ``none``: the page
cannot make the command read or write any path but the labels file and the model
folder in the output folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from highlight.export.report import REVIEW_MODEL_DIR

EVAL_FILE = "eval.json"  # in the model folder
TRAIN_LIMIT_S = 12 * 3600.0  # past this, training is stopped as hung
EVAL_LIMIT_S = 3600.0
RECUT_DIR = "recut"  # in the model folder: the reviewed recordings cut again with the model (Use)
RECUT_LIMIT_S = 12 * 3600.0
_EPOCH_LINE = re.compile(r"epoch (\d+)/(\d+)\s+(.*?)\s+\(")
_METRIC = re.compile(r"([a-z_]+) (-?[\d.]+(?:e-?\d+)?)")


@dataclass(frozen=True)
class TrainOption:
    """One ``highlight train`` option the page's form offers: its flag, its kind and its allowed values."""

    flag: str
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        """The value as the command line takes it; ValueError with the reason."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{self.flag}: {value!r} is not true or false")
            return value
        if self.choices:
            if value not in self.choices:
                raise ValueError(f"{self.flag}: {value!r} is not one of {', '.join(self.choices)}")
            return value
        try:
            number = self.kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.flag}: {value!r} is not a number") from None
        if isinstance(value, bool) or not (self.low <= number <= self.high):
            raise ValueError(f"{self.flag}: {value!r} is outside {self.low:g}..{self.high:g}")
        return number


OPTIONS = {
    "weights": TrainOption("--weights", str, "imagenet", choices=("imagenet", "none")),
    "epochs": TrainOption("--epochs", int, 12, 1, 500),
    "image_size": TrainOption("--image-size", int, 224, 32, 1024),
    "sample_fps": TrainOption("--sample-fps", float, 2.0, 0.1, 60.0),
    "batch_size": TrainOption("--batch-size", int, 16, 1, 1024),
    "tflite": TrainOption("--tflite", bool, True),
}


def train_arguments(values: Mapping[str, Any]) -> list[str]:
    """The checked command-line options for ``values`` (unknown names refused; missing ones: the defaults)."""
    unknown = sorted(set(values) - set(OPTIONS))
    if unknown:
        raise ValueError(f"{unknown[0]!r}: not a training option ({', '.join(OPTIONS)})")
    arguments = []
    for name, option in OPTIONS.items():
        value = option.check(values.get(name, option.default))
        if option.kind is bool:  # a switch: --tflite / --no-tflite
            arguments.append(option.flag if value else option.flag.replace("--", "--no-", 1))
        else:
            arguments += [option.flag, str(value)]
    return arguments


def parse_epoch_line(line: str) -> dict[str, Any] | None:
    """``{"epoch", "epochs", metrics...}`` from a line ``highlight train`` prints after an epoch, else None."""
    match = _EPOCH_LINE.search(line)
    if not match:
        return None
    metrics = {name: float(value) for name, value in _METRIC.findall(match.group(3))}
    return {"epoch": int(match.group(1)), "epochs": int(match.group(2)), **metrics}


class TrainingJob:
    """One training of the review's model and its evaluation; ``status()`` is what the page polls."""

    def __init__(self, out: Path, labels: Path) -> None:
        self.out, self.labels = Path(out), Path(labels)
        self.model = self.out / REVIEW_MODEL_DIR
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._stopped = False
        self._state: dict[str, Any] = {"state": "idle"}
        self._tail: deque[str] = deque(maxlen=20)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {**self._state, "model": str(self.model), "log": list(self._tail)}

    def start(self, values: Mapping[str, Any]) -> None:
        """Start training in the background; ValueError for bad options, RuntimeError while one runs."""
        arguments = train_arguments(values)
        with self._lock:
            if self._state["state"] in ("training", "evaluating", "recutting"):
                raise RuntimeError("a training is already running")
            self._state, self._stopped = {"state": "training", "started": time.time()}, False
            self._tail.clear()
        threading.Thread(target=self._run, args=(arguments,), daemon=True).start()

    def use(self, videos: list[Path]) -> None:
        """Re-cut ``videos`` with the trained model into ``RECUT_DIR`` (RuntimeError unless a model is done)."""
        with self._lock:
            if self._state["state"] not in ("done", "recut"):
                raise RuntimeError(f"no trained model to use yet ({self._state['state']})")
            self._state = {**self._state, "state": "recutting", "error": None}
        threading.Thread(target=self._recut, args=(videos,), daemon=True).start()

    @property
    def recut_folder(self) -> Path:
        return self.model / RECUT_DIR

    def _recut(self, videos: list[Path]) -> None:
        arguments = ["run", *map(str, videos), "--model", str(self.model), "--out", str(self.recut_folder)]
        if self._supervised([*arguments, "--no-clips", "--no-report", "-q"], RECUT_LIMIT_S, "run --model"):
            self._set(state="recut")

    def stop(self) -> None:
        """End the running training or evaluation (the page's Stop, or the review ending)."""
        with self._lock:
            self._stopped = True
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()

    def _run(self, arguments: list[str]) -> None:
        train = ["train", str(self.labels), "--out", str(self.model), "--force", *arguments]
        if not self._supervised(train, TRAIN_LIMIT_S, "training"):
            return
        self._set(state="evaluating")
        report = self.model / EVAL_FILE
        if not self._supervised(
            ["eval", str(self.model), str(self.labels), "--json", str(report)], EVAL_LIMIT_S, "eval"
        ):
            return
        try:
            frame = json.loads(report.read_text(encoding="utf-8")).get("frame", {})
        except (OSError, ValueError) as error:
            self._set(state="failed", error=f"eval wrote no readable report ({error})")
            return
        self._set(state="done", eval={k: frame.get(k) for k in ("precision", "recall", "f1")})

    def _supervised(self, arguments: list[str], limit_s: float, what: str) -> bool:
        """Run ``highlight ARGUMENTS``, reading its output as it comes; True when it exits 0 in time."""
        command = [sys.executable, "-m", "highlight", *arguments]
        try:
            process = subprocess.Popen(
                command, cwd=self.out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
            )
        except OSError as error:
            self._set(state="failed", error=f"cannot start {what}: {error}")
            return False
        with self._lock:
            self._process = process
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(limit_s, expire)
        timer.start()
        try:
            for line in process.stdout:
                self._read(line.rstrip())
            code = process.wait()
        finally:
            timer.cancel()
        if code == 0:
            return True
        if self._stopped:
            self._set(state="stopped")
        elif expired.is_set():
            self._set(state="failed", error=f"{what} took longer than {limit_s / 3600:g} h and was stopped")
        else:
            last = self._tail[-1] if self._tail else "no output"
            self._set(state="failed", error=f"{what} failed (exit status {code}): {last}")
        return False

    def _read(self, line: str) -> None:
        progress = parse_epoch_line(line)
        with self._lock:
            if line:
                self._tail.append(line)
            if progress:
                self._state = {**self._state, "progress": progress}

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._state = {**self._state, **changes}
