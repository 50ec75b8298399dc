"""A trained highlight classifier (``highlight train``) as a scorer.

A model folder holds ``model.keras``, ``model.json`` (labels, input size, the decision
threshold chosen on validation) and usually ``model.tflite``. The TFLite file is used
when present and its recorded parity check passed: on a CPU it is the faster of the two
(dynamic-range int8 weights; see ``benchmarks/bench_classifier.py``). The Keras file is
loaded with ``safe_mode=True``: a model file cannot run arbitrary code.

TensorFlow is imported only when a model is loaded, never by importing this module.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from highlight import HighlightError
from highlight.intervals import IntervalSettings
from highlight.scorers.base import Scorer
from highlight.source import Frame

MODEL_JSON = "model.json"
KERAS_FILE = "model.keras"
TFLITE_FILE = "model.tflite"
MODEL_KIND = "highlight-classifier"

# ResNet50's ImageNet ("caffe") preprocessing: BGR channel order, mean subtracted, no scaling.
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


def frame_to_input(frame: Frame, size: tuple[int, int]) -> np.ndarray:
    """The whole frame squeezed to the model's input, RGB uint8: the same for training and scoring."""
    width, height = size
    return frame.image(width=width, height=height, fmt="rgb24")


def preprocess(images):
    """RGB uint8 (numpy or tf tensor, ``[..., H, W, 3]``) -> what ResNet50 expects (float32).

    Written with operations numpy and TensorFlow share, so training (tf.data) and
    scoring (numpy) run exactly the same arithmetic.
    """
    if isinstance(images, np.ndarray):
        images = images.astype(np.float32)
    else:
        import tensorflow as tf

        images = tf.cast(images, tf.float32)
    return images[..., ::-1] - np.asarray(IMAGENET_BGR_MEAN, dtype=np.float32)


def read_model_json(folder: Path) -> dict[str, Any]:
    """``model.json`` of a model folder, checked; a one-line HighlightError otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HighlightError(f"{folder}: model folder not found (train one with `highlight train`)")
    path = folder / MODEL_JSON
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HighlightError(
            f"{folder}: not a trained model folder (no {MODEL_JSON}; train one with `highlight train`)"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HighlightError(f"{path}: corrupt model description ({error})") from None
    missing = [k for k in ("kind", "labels", "input", "output") if k not in info] if isinstance(info, dict) else ["all"]
    if missing or info.get("kind") != MODEL_KIND:
        raise HighlightError(
            f"{path}: not a highlight classifier description (missing: {', '.join(missing) or 'kind'})"
        )
    wrong = _wrong_field(info)
    if wrong:
        raise HighlightError(f"{path}: {wrong} (the model file is damaged or hand-edited; train it again)")
    return info


def _wrong_field(info: dict[str, Any]) -> str | None:
    """What in a model description has the wrong shape, as one phrase; None when all is well.

    Checked once when the file is read, so that a hand-edited ``model.json`` is blamed,
    not every video the model was about to score.
    """
    labels, size = info["labels"], info["input"]
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        return f"labels {labels!r}: expected a list of label names"
    if info.get("positive") is not None and not isinstance(info["positive"], str):
        return f"positive {info['positive']!r}: expected a label name"
    sides = [size.get(side) for side in ("width", "height")] if isinstance(size, dict) else [None]
    if not all(isinstance(side, int) and not isinstance(side, bool) and side > 0 for side in sides):
        return f'input {size!r}: expected {{"width": pixels, "height": pixels}}'
    for key in ("threshold", "exit_threshold"):
        value = info.get(key)
        if value is not None and not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
            return f"{key} {value!r}: expected a number from 0 to 1"
    return None


def model_thresholds(folder: Path) -> dict[str, float]:
    """The decision thresholds ``highlight train`` chose for this model (none for an old model).

    Read from model.json alone (no TensorFlow), so the command line can fill them in for
    the thresholds the user did not give (and keep the exit threshold below the threshold).
    """
    info = read_model_json(folder)
    if info.get("threshold") is None:
        return {}
    leave = info.get("exit_threshold")
    leave = float(leave) if leave is not None else IntervalSettings().exit_threshold
    return {"threshold": float(info["threshold"]), "exit_threshold": leave}


class ClassifierScorer(Scorer):
    """Scores frames with the probability of the model's positive label, in batches."""

    name = "classifier"
    refine_every = 3

    def __init__(self, folder: Path, backend: str = "auto", batch_size: int = 16, threads: int | None = None):
        self.folder = Path(folder).resolve() if Path(folder).exists() else Path(folder)
        self.info = read_model_json(self.folder)
        self.labels: list[str] = list(self.info["labels"])
        self.positive: str | None = self.info.get("positive")
        if self.positive not in self.labels:
            raise HighlightError(
                f"{self.folder}: this model classifies {', '.join(self.labels)} and has no positive label "
                "to score highlights with; train it with --positive LABEL"
            )
        self.size = (int(self.info["input"]["width"]), int(self.info["input"]["height"]))
        self.batch_size = max(1, int(batch_size))
        self.threads = threads or os.cpu_count() or 1
        self.backend = self._choose_backend(backend)
        self._predict = self._load_tflite() if self.backend == "tflite" else self._load_keras()

    def _choose_backend(self, wanted: str) -> str:
        if wanted not in ("auto", "tflite", "keras"):
            raise HighlightError(f"unknown classifier backend {wanted!r} (auto, tflite or keras)")
        tflite = self.info.get("tflite") or {}
        usable = (self.folder / TFLITE_FILE).is_file() and tflite.get("parity", {}).get("ok", False)
        if wanted == "tflite" and not (self.folder / TFLITE_FILE).is_file():
            raise HighlightError(f"{self.folder}: no {TFLITE_FILE} in the model folder")
        if wanted == "auto":
            return "tflite" if usable else "keras"
        return wanted

    def _load_keras(self):
        path = self.folder / KERAS_FILE
        if not path.is_file():
            raise HighlightError(f"{self.folder}: no {KERAS_FILE} in the model folder (incomplete training?)")
        if not zipfile.is_zipfile(path):
            raise HighlightError(f"{path}: not a Keras model (a .keras file is a zip archive; this one is not)")
        keras = _import_keras()
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as error:  # Keras raises many types for a bad file; the user needs one line
            raise HighlightError(f"{path}: cannot load the model ({_one_line(error)})") from None
        expected = (None, self.size[1], self.size[0], 3)
        if tuple(model.input_shape) != expected:
            raise HighlightError(f"{path}: input shape {model.input_shape} does not match {MODEL_JSON} {expected}")

        def predict(batch: np.ndarray) -> np.ndarray:
            return np.asarray(model(batch, training=False))

        return predict

    def _load_tflite(self):
        return tflite_predictor(self.folder / TFLITE_FILE, self.threads)

    def image_for(self, frame: Frame) -> np.ndarray:
        return frame_to_input(frame, self.size)

    def probabilities(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Per image, the model's output: ``[N, 1]`` (sigmoid) or ``[N, labels]`` (softmax)."""
        outputs = []
        for k in range(0, len(images), self.batch_size):
            batch = preprocess(np.stack(images[k : k + self.batch_size]))
            outputs.append(self._predict(np.ascontiguousarray(batch, dtype=np.float32)))
        return np.concatenate(outputs) if outputs else np.zeros((0, 1), np.float32)

    def score(self, images: Sequence[np.ndarray], learn: bool = True) -> np.ndarray:
        if len(images) == 0:
            return np.zeros(0)
        outputs = self.probabilities(images)
        column = 0 if outputs.shape[1] == 1 else self.labels.index(self.positive)
        return np.clip(outputs[:, column].astype(float), 0.0, 1.0)

    @property
    def default_threshold(self) -> float | None:
        threshold = self.info.get("threshold")
        return float(threshold) if threshold is not None else None

    @property
    def default_exit_threshold(self) -> float | None:
        leave = self.info.get("exit_threshold")
        return float(leave) if leave is not None else None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": str(self.folder),
            "backend": self.backend,
            "labels": self.labels,
            "positive": self.positive,
            "threshold": self.default_threshold,
            "exit_threshold": self.default_exit_threshold,
            "input": list(self.size),
            "created": self.info.get("created"),
        }


def tflite_predictor(path: Path, threads: int | None = None):
    """A function: preprocessed float32 batch -> model outputs, through the TFLite interpreter.

    The interpreter runs one image at a time, at the input shape it was allocated
    with, and is never resized. On a CPU a batch saves next to nothing (ResNet50,
    dynamic-range, 224 px: about 27 ms of CPU a frame in batches of 1 or of 8, more in
    batches of 16), while a resize is dear: about 25 ms each time the batch size
    changes, and up to 2 s the first time it grows (a larger arena, the weights
    packed again). Behind the motion gate the classifier gets batches of every size.
    """
    interpreter_class = _tflite_interpreter_class()
    try:
        with warnings.catch_warnings():  # tf.lite.Interpreter's deprecation notice, on every load
            warnings.simplefilter("ignore")
            interpreter = interpreter_class(model_path=str(path), num_threads=threads or os.cpu_count() or 1)
        input_details = interpreter.get_input_details()[0]
        interpreter.resize_tensor_input(input_details["index"], [1, *input_details["shape"][1:]])
        interpreter.allocate_tensors()
    except Exception as error:
        raise HighlightError(f"{path}: cannot load the model ({_one_line(error)})") from None
    input_index = input_details["index"]
    output_index = interpreter.get_output_details()[0]["index"]

    def predict(batch: np.ndarray) -> np.ndarray:
        outputs = []
        for image in batch:
            interpreter.set_tensor(input_index, image[np.newaxis])
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(output_index)[0].copy())
        return np.stack(outputs) if outputs else np.zeros((0, 1), np.float32)

    return predict


def _import_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError:
        raise HighlightError("trained models need TensorFlow: pip install 'highlight[train]'") from None
    return keras


def _tflite_interpreter_class():
    """LiteRT's interpreter when installed (TensorFlow's is deprecated), else TensorFlow's."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        import tensorflow as tf
    except ImportError:
        raise HighlightError(
            "trained models need TensorFlow (or ai-edge-litert): pip install 'highlight[train]'"
        ) from None
    return tf.lite.Interpreter


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return (text[:200] + "...") if len(text) > 200 else text or type(error).__name__
