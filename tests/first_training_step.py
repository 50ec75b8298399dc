"""One training step of ``highlight train``'s pipeline, with fingerprints of what it computed.

``python -m tests.first_training_step LABELS --report JSON [--replicas N | --worker-hosts H:P,H:P --worker-index I]``

Run once on one machine with two CPU replicas and once as two worker processes, it
shows whether the two set-ups are the same computation: the batches each replica gets
in the first two epochs, the initial weights, the loss of the first step and the
weights after it. Where whole trainings part (tests/test_train_model.py compares two),
this says at which of these they part. The pipeline is ``highlight train``'s own
(strategy, frames, split, tf.data, model, optimizer), built by the same functions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from highlight.train import dataset as ds
from highlight.train.distribute import make_strategy, resolve_cluster
from highlight.train.labels import label_set, read_labels
from highlight.train.model import build_model, plan_phases
from highlight.train.train import TrainConfig, make_tf_dataset

# Small, fast, and the suite's recipe otherwise (from scratch, per-replica batch 8, 6 fps).
CONFIG = dict(weights="none", image_size=32, sample_fps=6.0, batch_size=8, seed=0)
SPLIT = ds.SplitSettings(block=4.0, gap=0.5)


def fingerprint(arrays) -> str:
    """A short hash of the exact bytes: equal fingerprints are bit-equal arrays."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def replica_batches(strategy, train_data, epochs: int = 2, steps: int = 2) -> list[list[str]]:
    """Fingerprints of the first ``steps`` batches of each local replica in each of ``epochs`` epochs.

    As in ``model.fit``, one distributed dataset is iterated once per epoch, and the
    training data is read whole in between, as BatchNormalization recalibration does:
    the reshuffled order and augmentation of later epochs must match too.
    """
    distributed = strategy.experimental_distribute_dataset(train_data)
    found = []
    for _ in range(epochs):
        for _, batch in zip(range(steps), distributed):
            per_replica = zip(*(strategy.experimental_local_results(part) for part in batch))
            found.append([fingerprint(replica_part) for replica_part in per_replica])
        for _ in train_data:
            pass
    return found


def first_step(labels_file: Path, replicas: int | None, worker_hosts: str | None, worker_index: int | None) -> dict:
    """Fingerprints of the first two batches per local replica, the weights before and after one step, its loss."""
    config = TrainConfig(labels=labels_file, out=Path("unused"), **CONFIG)
    cluster = resolve_cluster(worker_hosts, worker_index)
    strategy = make_strategy(replicas, "auto", cluster)
    import keras

    keras.utils.set_random_seed(config.seed)
    ranges = read_labels(labels_file)
    labels = label_set(ranges, None)
    size = (config.image_size, config.image_size)
    split = ds.split_frames(ds.load_frames(ranges, labels, size, config.sample_fps, None), SPLIT)
    weights = ds.class_weights(split.train.labels, len(labels.labels))
    replicas = strategy.num_replicas_in_sync
    global_batch = config.batch_size * replicas
    train_data = make_tf_dataset(
        split.train, labels, weights, global_batch, training=True, seed=config.seed, replicas=replicas
    )
    batches = replica_batches(strategy, train_data)
    phase = plan_phases(config.weights, 1)[0]
    with strategy.scope():
        model, _ = build_model(1, size, config.weights)
        model.compile(
            optimizer=keras.optimizers.Adam(phase.learning_rate),
            loss="binary_crossentropy",
            weighted_metrics=["accuracy"],
            jit_compile=False,
        )
    initial = fingerprint(model.get_weights())
    fit = model.fit(train_data, epochs=1, steps_per_epoch=1, shuffle=False, verbose=0)
    return {
        "replicas": replicas,
        "batches": batches,  # [epoch and step][local replica]
        "initial_weights": initial,
        "first_loss": float(fit.history["loss"][0]),
        "trained_weights": fingerprint([np.asarray(v) for v in model.trainable_weights]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--replicas", type=int)
    parser.add_argument("--worker-hosts")
    parser.add_argument("--worker-index", type=int)
    args = parser.parse_args()
    report = first_step(args.labels, args.replicas, args.worker_hosts, args.worker_index)
    args.report.write_text(json.dumps(report))


if __name__ == "__main__":
    main()
