"""``highlight train``: labels file in, model folder out. Read top to bottom.

1. Read the labels, sample frames from the labelled ranges (cached shards), split them
   by time blocks or whole videos, weigh the classes.
2. Build ResNet50 + head under a ``MirroredStrategy`` (one machine) or a
   ``MultiWorkerMirroredStrategy`` (``--worker-hosts``: several machines, see
   ``distribute``) and train it in phases (``model.plan_phases``), with a backup each
   epoch (resume after a crash or Ctrl-C: run the same command again), early stopping on
   validation loss, best weights kept.
3. Choose the decision threshold on the validation frames (``THRESHOLD_RULE``).
4. Write the folder: ``model.keras``, ``model.tflite`` (dynamic-range quantised, checked
   against the Keras model on the validation frames) and, last, ``model.json``: its
   presence means the folder is complete.

Several machines: only the chief (worker 0) writes to ``--out``, so the model folder is
written once, complete. The other workers keep their frame cache and backups in a
scratch folder of their own (``worker_scratch``) that they remove when training ends.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from highlight import HighlightError, __version__
from highlight.atomic import atomic_path, write_json
from highlight.scorers.classifier import KERAS_FILE, MODEL_JSON, MODEL_KIND, TFLITE_FILE, preprocess
from highlight.train import dataset as ds
from highlight.train.distribute import WorkerCluster, heartbeat_timeout_s, make_strategy, resolve_cluster
from highlight.train.labels import LabelSet, label_set, read_labels
from highlight.train.model import BatchNormRecalibration, Phase, build_model, plan_phases, set_trainable
from highlight.train.watchdog import StallWatch

THRESHOLD_RULE = (
    "the threshold in 0.05..0.95 (steps of 0.01) with the highest F1 of the positive label on the "
    "validation frames; where several tie, the middle of the tied ones. Exit threshold (where a "
    "highlight ends): halfway between the median validation score of frames that are not highlights "
    "and the threshold"
)
PARITY_MAX_DIFF = 0.05  # largest |TFLite - Keras| output on the validation frames for TFLite to be used
CHECKPOINTS = "checkpoints"
CACHE = "cache"

Echo = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    labels: Path
    out: Path
    weights: str = "imagenet"
    image_size: int = 224
    epochs: int = 12
    replicas: int | None = None
    sample_fps: float = 2.0
    positive: str | None = None
    batch_size: int = 16  # per replica; the global batch is this times the replicas
    learning_rate: float | None = None
    patience: int = 4
    split: ds.SplitSettings = field(default_factory=ds.SplitSettings)
    seed: int = 0
    all_reduce: str = "auto"
    tflite: bool = True
    force: bool = False
    worker_hosts: str | None = None  # host:port,host:port: train on several machines
    worker_index: int | None = None  # this machine's position in worker_hosts

    def recipe_key(self) -> str:
        """What decides the trained weights: a resumed run must match it."""
        data = asdict(self)
        for name in ("out", "force", "tflite", "replicas", "all_reduce", "worker_hosts", "worker_index"):
            data.pop(name)
        data["labels"] = hashlib.sha256(Path(self.labels).read_bytes()).hexdigest()
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def train(config: TrainConfig, echo: Echo = print) -> dict[str, Any]:
    """Train and write the model folder; returns the contents of ``model.json``.

    On a worker other than the chief (several machines) nothing is written to ``out``
    and the result is empty: the chief writes the folder. A training that stops making
    progress ends the process in one line (``highlight.train.watchdog``).
    """
    with StallWatch() as watch:
        return _train(config, watch.reporting(echo), watch)


def _train(config: TrainConfig, echo: Echo, watch: StallWatch) -> dict[str, Any]:
    """``train``; ``echo``'s lines and the batches are the progress ``watch`` sees."""
    started = time.perf_counter()
    out = Path(config.out)
    _check_image_size(config.image_size)
    cluster = resolve_cluster(config.worker_hosts, config.worker_index)
    ranges = read_labels(config.labels)
    labels = label_set(ranges, config.positive)
    is_chief = cluster is None or cluster.is_chief
    if not is_chief:
        echo = _worker_echo(echo, cluster)
    work = out if is_chief else worker_scratch(out, cluster, config)
    prepare_folder(work, config)

    strategy = make_strategy(config.replicas, config.all_reduce, cluster)  # before other TensorFlow work
    progress = watch.keras_callback()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)
    size = (config.image_size, config.image_size)
    frames = ds.load_frames(
        ranges, labels, size, config.sample_fps, work / CACHE, progress=echo, on_frame=watch.progressed
    )
    split = ds.split_frames(frames, config.split)
    weights = ds.class_weights(split.train.labels, len(labels.labels))
    replicas = strategy.num_replicas_in_sync  # across all workers
    workers = cluster.count if cluster else 1
    global_batch = config.batch_size * replicas
    echo(
        f"{len(frames)} frames from {len(frames.names)} video(s); split by {split.method}: "
        f"train {_counts(split.train, labels)}, validation {_counts(split.validation, labels)}; "
        f"{replicas} replica(s) on {workers} worker(s), batch {global_batch}"
    )
    if cluster:
        echo(f"a worker silent for {heartbeat_timeout_s():.0f} s stops the training on every worker")
    train_data = make_tf_dataset(
        split.train, labels, weights, global_batch, training=True, seed=config.seed, replicas=replicas
    )
    validation_data = make_tf_dataset(
        split.validation, labels, weights, global_batch, training=False, replicas=replicas
    )

    n_outputs = 1 if labels.binary else len(labels.labels)
    with strategy.scope():
        model, backbone = build_model(n_outputs, size, config.weights)
    phases = plan_phases(config.weights, config.epochs, config.learning_rate)
    history = _run_phases(
        model, backbone, phases, strategy, train_data, validation_data, labels, work, config, echo, progress
    )

    trained = plain_copy(model)  # every worker: reading distributed variables may need all of them
    if not is_chief:
        shutil.rmtree(work, ignore_errors=True)
        echo(f"trained; worker 0 ({cluster.hosts[0]}) writes the model folder; scratch folder {work} removed")
        return {}
    every_validation_frame = make_tf_dataset(split.validation, labels, weights, global_batch, training=False)
    probabilities = trained.predict(every_validation_frame, verbose=0, callbacks=[progress])
    validation = validation_metrics(probabilities, split.validation.labels, labels)
    threshold = validation.get("threshold")
    save_keras(trained, out / KERAS_FILE)
    tflite = export_tflite(out, split.validation.images, threshold, echo) if config.tflite else None

    info = {
        "kind": MODEL_KIND,
        "format": 1,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "architecture": "ResNet50 (include_top=False) + global average pool + dense 256 + dropout",
        "labels": list(labels.labels),
        "positive": labels.positive,
        "output": "sigmoid" if labels.binary else "softmax",
        "input": {
            "width": size[0],
            "height": size[1],
            "color": "rgb",
            "resize": "whole frame squeezed to width x height (as highlight run does)",
            "preprocess": "ResNet50 caffe: RGB->BGR, ImageNet mean subtracted",
        },
        "sample_fps": config.sample_fps,
        "threshold": threshold,
        "exit_threshold": validation.get("exit_threshold"),
        "threshold_rule": THRESHOLD_RULE if threshold is not None else None,
        "validation": validation,
        "training": {
            "labels_file": str(Path(config.labels).resolve()),
            "weights": config.weights,
            "phases": history,
            "epochs_requested": config.epochs,
            "replicas": replicas,
            "workers": workers,
            "devices": list(strategy.extended.worker_devices),
            "global_batch": global_batch,
            "seed": config.seed,
            "split": split.summary,
            "data": {
                "videos": frames.names,
                "sample_fps": config.sample_fps,
                "frames": _counts(frames, labels),
                "train_frames": _counts(split.train, labels),
                "validation_frames": _counts(split.validation, labels),
                "class_weights": {name: round(float(w), 4) for name, w in zip(labels.labels, weights)},
            },
            "seconds": round(time.perf_counter() - started, 1),
        },
        "tflite": tflite,
        "versions": {
            "highlight": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }
    write_json(out / MODEL_JSON, info)
    shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
    echo(summary_line(info, out))
    return info


def _check_image_size(size: int) -> None:
    if size < 32 or size % 2:
        raise HighlightError(
            f"--image-size {size}: ResNet50 needs an even size of at least 32 (224 is its native size)"
        )


def prepare_folder(out: Path, config: TrainConfig) -> None:
    """A finished folder is kept unless --force; an unfinished one is resumed if the recipe matches."""
    if (out / MODEL_JSON).is_file() and not config.force:
        raise HighlightError(f"{out}: already holds a trained model; use --force to train again")
    state_path = out / CHECKPOINTS / "state.json"
    if config.force:
        for name in (MODEL_JSON, KERAS_FILE, TFLITE_FILE):
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
    elif state_path.is_file():
        state = json.loads(state_path.read_text())
        if state.get("recipe") != config.recipe_key():
            raise HighlightError(
                f"{out}: holds an unfinished training with different labels or options; "
                "use the same command to resume, or --force to start again"
            )
    (out / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    if not state_path.is_file():
        write_json(state_path, {"recipe": config.recipe_key(), "done": []})


def worker_scratch(out: Path, cluster: WorkerCluster, config: TrainConfig) -> Path:
    """Where a worker other than the chief keeps its frame cache and backups.

    In the system's temporary folder, not in ``out`` (which may be the chief's, on a
    shared disk), under a name fixed by the model folder and the recipe, so that running
    the same command again after a crash finds its backups as the chief finds its own.
    """
    digest = hashlib.sha256(f"{Path(out).resolve()}|{config.recipe_key()}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"highlight-train-{digest}-worker{cluster.index}"


def _worker_echo(echo: Echo, cluster: WorkerCluster) -> Echo:
    prefix = f"[worker {cluster.index} of {cluster.count}] "
    return lambda line: echo(prefix + line)


def _counts(frames: ds.Frames, labels: LabelSet) -> dict[str, int]:
    return frames.counts(labels)


def make_tf_dataset(
    frames: ds.Frames,
    labels: LabelSet,
    class_weights: np.ndarray,
    batch: int,
    training: bool,
    seed: int = 0,
    replicas: int = 1,
):
    """(preprocessed image, label, sample weight) batches; shuffled and augmented for training.

    Augmentation is what a tripod recording varies by: a mirrored scene, a small shift
    of the camera, exposure and contrast. Every random choice comes from ``seed``.
    ``replicas``: how many the batches are split between (``batch_plan``); one for a
    model outside any strategy, which then sees every frame.
    """
    import tensorflow as tf

    targets = frames.labels.astype(np.float32)[:, None] if labels.binary else frames.labels.astype(np.int64)
    sample_weights = class_weights[frames.labels].astype(np.float32)
    data = tf.data.Dataset.from_tensor_slices((frames.images, targets, sample_weights))
    if training:
        data = data.shuffle(len(frames), seed=seed, reshuffle_each_iteration=True)
        randomness = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        data = tf.data.Dataset.zip(data, randomness).map(
            _augment, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
    size, drop_remainder = batch_plan(len(frames), batch, replicas, training)
    data = data.batch(size, drop_remainder=drop_remainder)
    data = data.map(lambda x, y, w: (preprocess(x), y, w))
    return data.prefetch(tf.data.AUTOTUNE).with_options(_shard_by_data(tf))


def batch_plan(frames: int, batch: int, replicas: int, training: bool) -> tuple[int, bool]:
    """(batch size, whether a last partial batch is left out) for ``frames`` frames split between ``replicas``.

    Training leaves a partial batch out: its few frames would weigh as much as a full
    batch in one step. With several replicas (or workers) nothing partial goes in at all:
    TensorFlow splits a batch between replicas in order, each getting its full share
    until the frames run out, so a short last batch leaves a replica empty, and
    TensorFlow's oneDNN convolution fails on an empty batch (it returns its input's
    shape; seen with 49 validation frames on two replicas). Then at most ``batch - 1``
    validation frames are left out of the validation loss; the threshold is still chosen
    on all of them, outside the strategy. Fewer frames than one batch make one smaller
    batch, a multiple of ``replicas``.
    """
    if frames >= batch:
        return batch, training or replicas > 1
    if replicas == 1:
        return batch, False
    whole = frames - frames % replicas
    if whole == 0:
        raise HighlightError(
            f"{frames} {'training' if training else 'validation'} frame(s) cannot be shared between {replicas} "
            "replicas: label more, or train on fewer replicas"
        )
    return whole, True


def _shard_by_data(tf):
    """Across machines, every worker builds this whole pipeline and keeps its replicas' share of each batch.

    The frames are arrays in memory, not files, so there is nothing to shard by FILE (the
    AUTO policy would try, fail and fall back with a warning). With DATA, each global
    batch is the one a single machine would train on (the same seeded shuffle and
    augmentation on every worker), split between the workers.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options


def _augment(example, seed):
    import tensorflow as tf

    image, target, weight = example
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4)
    height, width = image.shape[0], image.shape[1]
    shift = max(2, round(0.06 * min(height, width)))
    x = tf.cast(image, tf.float32)
    x = tf.image.stateless_random_flip_left_right(x, seeds[0])
    x = tf.pad(x, [[shift, shift], [shift, shift], [0, 0]], mode="REFLECT")
    x = tf.image.stateless_random_crop(x, (height, width, 3), seeds[1])
    x = tf.image.stateless_random_brightness(x, 20.0, seeds[2])
    x = tf.image.stateless_random_contrast(x, 0.8, 1.2, seeds[3])
    return tf.clip_by_value(x, 0.0, 255.0), target, weight


def _run_phases(
    model,
    backbone,
    phases: list[Phase],
    strategy,
    train_data,
    validation_data,
    labels: LabelSet,
    work: Path,
    config: TrainConfig,
    echo: Echo,
    progress,
) -> list[dict[str, Any]]:
    """Train phase after phase; a phase finished in an earlier (interrupted) run is not redone.

    A phase that trains BatchNormalization (from scratch: ``all``) recalibrates its
    statistics before each validation pass (``_RecalibrateBatchNorm``), so that early
    stopping compares, and keeps, weights as they will predict.
    """
    import keras

    checkpoints = work / CHECKPOINTS
    state_path = checkpoints / "state.json"
    state = json.loads(state_path.read_text())
    history: list[dict[str, Any]] = []
    for number, phase in enumerate(phases, start=1):
        after = checkpoints / f"after_{phase.name}.weights.h5"
        if phase.name in state["done"] and after.is_file():
            echo(f"phase {number}/{len(phases)} {phase.name}: done in an earlier run")
            history.append(state.get("history", {}).get(phase.name, {"name": phase.name}))
            continue
        if number > 1:
            previous = checkpoints / f"after_{phases[number - 2].name}.weights.h5"
            if previous.is_file():
                model.load_weights(previous)
        with strategy.scope():
            set_trainable(backbone, phase.trainable)
            model.compile(
                optimizer=keras.optimizers.Adam(phase.learning_rate),
                loss="binary_crossentropy" if labels.binary else "sparse_categorical_crossentropy",
                weighted_metrics=["accuracy"],
                jit_compile=False,  # XLA compiles ResNet50 for minutes on a CPU and gains little there
            )
        callbacks = [
            keras.callbacks.BackupAndRestore(str(checkpoints / phase.name)),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True),
            _EpochEcho(echo, f"phase {number}/{len(phases)} {phase.name}", phase.epochs),
            progress,
        ]
        if phase.trainable == "all":  # before EarlyStopping sees val_loss: evaluate() calls on_test_begin first
            callbacks.insert(0, _RecalibrateBatchNorm(backbone, train_data, config.batch_size))
        fit = model.fit(
            train_data,
            validation_data=validation_data,
            epochs=phase.epochs,
            callbacks=callbacks,
            shuffle=False,
            verbose=0,
        )  # shuffled (seeded) in the tf.data pipeline
        losses = fit.history.get("val_loss", [])
        record = {
            "name": phase.name,
            "trainable": phase.trainable,
            "learning_rate": phase.learning_rate,
            "epochs_run": len(fit.history.get("loss", [])),
            "best_val_loss": round(float(min(losses)), 4) if losses else None,
        }
        history.append(record)
        model.save_weights(after)
        state["done"].append(phase.name)
        state.setdefault("history", {})[phase.name] = record
        write_json(state_path, state)
    return history


class _RecalibrateBatchNorm:
    """A callback: BatchNormalization statistics recomputed before each validation pass (see model.py)."""

    def __new__(cls, network, train_data, replica_batch: int):
        import keras

        def replica_batches():
            for images, _, _ in train_data:
                for start in range(0, int(images.shape[0]), replica_batch):
                    yield images[start : start + replica_batch]

        recalibrate = BatchNormRecalibration(network)

        class RecalibrateBatchNorm(keras.callbacks.Callback):
            def on_test_begin(self, logs=None):
                recalibrate(replica_batches())

        return RecalibrateBatchNorm()


class _EpochEcho:
    """A line per epoch: losses, accuracy and time (Keras' own bar is too noisy for logs)."""

    def __new__(cls, echo: Echo, prefix: str, epochs: int):
        import keras

        class EpochEcho(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                parts = [
                    f"{name} {logs[name]:.3f}"
                    for name in ("loss", "accuracy", "val_loss", "val_accuracy")
                    if name in logs
                ]
                echo(
                    f"{prefix}  epoch {epoch + 1}/{epochs}  {'  '.join(parts)}  ({time.perf_counter() - self.started:.1f} s)"
                )

        return EpochEcho()


def choose_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """``THRESHOLD_RULE``: the middle of the thresholds with the best validation F1."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    f1s = np.array([f1_score(scores >= t, truth)[2] for t in grid])
    best = np.flatnonzero(np.isclose(f1s, f1s.max()))
    return float(grid[best[len(best) // 2]])


def choose_exit_threshold(scores: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    """Halfway from what frames without a highlight typically score up to ``threshold``.

    Hysteresis needs an exit below the entry threshold; a fixed 0.3 assumes empty frames
    score near 0, which a model trained briefly may not do (its floor can sit near its
    threshold). For a well-calibrated model this lands near the default 0.3 for 0.5.
    """
    background = scores[~truth]
    floor = float(np.median(background)) if background.size else 0.0
    return round(min(threshold, max(0.0, (floor + threshold) / 2)), 4)


def f1_score(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """(precision, recall, F1) of boolean predictions; 0 where undefined."""
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    tp = float(np.sum(predicted & truth))
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / truth.sum() if truth.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def validation_metrics(probabilities: np.ndarray, label_ids: np.ndarray, labels: LabelSet) -> dict[str, Any]:
    """Accuracy, and for a positive label the chosen threshold with its precision/recall/F1."""
    probabilities = np.asarray(probabilities)
    if labels.binary:
        predicted = (probabilities[:, 0] >= 0.5).astype(int)
    else:
        predicted = probabilities.argmax(axis=1)
    result: dict[str, Any] = {
        "frames": int(label_ids.size),
        "accuracy": round(float(np.mean(predicted == label_ids)), 4),
    }
    if labels.positive is not None:
        positive = labels.index(labels.positive)
        scores = probabilities[:, 0] if labels.binary else probabilities[:, positive]
        truth = label_ids == positive
        threshold = choose_threshold(scores, truth)
        precision, recall, f1 = f1_score(scores >= threshold, truth)
        result.update(
            threshold=threshold,
            exit_threshold=choose_exit_threshold(scores, truth, threshold),
            precision=round(precision, 4),
            recall=round(recall, 4),
            f1=round(f1, 4),
        )
    return result


def plain_copy(model):
    """The model with its trained weights, outside any distribution strategy and without optimizer state.

    It predicts on one machine over all the frames given (under several workers, the
    distributed model's ``predict`` splits them between the workers), and it saves
    without Adam's moments (which would triple the file).
    """
    import keras

    plain = keras.models.clone_model(model)
    plain.set_weights(model.get_weights())
    return plain


def save_keras(model, path: Path) -> None:
    """The model without its optimizer state, written atomically."""
    with atomic_path(path) as tmp:
        plain_copy(model).save(tmp)


def export_tflite(out: Path, images: np.ndarray, threshold: float | None, echo: Echo) -> dict[str, Any]:
    """``model.tflite`` (dynamic-range quantised) from the saved ``model.keras``, and its parity check.

    The check runs the validation frames through both and records the largest output
    difference and the share of frames decided the same way. The scorer uses the TFLite
    file only if the largest difference is at most ``PARITY_MAX_DIFF``: then only frames
    scored within that distance of the threshold can be decided differently.
    """
    import keras
    import tensorflow as tf

    from highlight.scorers.classifier import tflite_predictor

    model = keras.saving.load_model(out / KERAS_FILE, compile=False, safe_mode=True)
    with atomic_path(out / TFLITE_FILE) as tmp:
        model.export(str(tmp), format="litert", verbose=False, optimizations=[tf.lite.Optimize.DEFAULT])
    sample = images[: min(len(images), 128)]
    keras_out = np.concatenate(
        [np.asarray(model(preprocess(sample[k : k + 16]), training=False)) for k in range(0, len(sample), 16)]
    )
    lite_out = tflite_predictor(out / TFLITE_FILE)(preprocess(sample).astype(np.float32))
    cut = 0.5 if threshold is None else threshold
    if keras_out.shape[1] == 1:
        same = (keras_out[:, 0] >= cut) == (lite_out[:, 0] >= cut)
    else:
        same = keras_out.argmax(1) == lite_out.argmax(1)
    parity = {
        "frames": int(len(sample)),
        "max_abs_diff": round(float(np.max(np.abs(keras_out - lite_out))), 5),
        "decision_agreement": round(float(np.mean(same)), 4),
        "ok": bool(np.max(np.abs(keras_out - lite_out)) <= PARITY_MAX_DIFF),
        "rule": f"max_abs_diff <= {PARITY_MAX_DIFF}",
    }
    if not parity["ok"]:
        echo(
            f"warning: TFLite outputs differ from Keras by up to {parity['max_abs_diff']:.3f}; "
            "highlight run will use model.keras"
        )
    return {
        "file": TFLITE_FILE,
        "quantization": "dynamic-range (int8 weights)",
        "bytes": (out / TFLITE_FILE).stat().st_size,
        "parity": parity,
    }


def summary_line(info: dict[str, Any], out: Path) -> str:
    """One line on what training produced: where, how accurate, which threshold."""
    v = info["validation"]
    parts = [f"model written to {out}", f"validation accuracy {v['accuracy']:.3f}"]
    if info.get("threshold") is not None:
        parts.append(
            f"threshold {info['threshold']:.2f} (precision {v['precision']:.3f}, recall {v['recall']:.3f}, F1 {v['f1']:.3f})"
        )
    if info.get("tflite"):
        p = info["tflite"]["parity"]
        parts.append(f"TFLite agrees on {p['decision_agreement']:.1%} of frames (max diff {p['max_abs_diff']:.4f})")
    parts.append(f"{info['training']['seconds']:.0f} s")
    return "; ".join(parts)
