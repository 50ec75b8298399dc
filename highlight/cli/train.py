"""``highlight train``: fine-tune ResNet50 on labelled ranges (TensorFlow imported only here, when run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.cli.options import Seconds, fail
from highlight.errors import write_report


def train(
    labels: Annotated[Path, typer.Argument(help="Labels file: video,start,end,label (see README).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write.")],
    weights: Annotated[
        str,
        typer.Option(
            "--weights", help="imagenet (downloaded once), none (from scratch) or PATH to ResNet50 no-top weights."
        ),
    ] = "imagenet",
    image_size: Annotated[int, typer.Option("--image-size", help="Model input, pixels square.")] = 224,
    epochs: Annotated[
        int, typer.Option("--epochs", help="Epochs in all (pretrained: a third head only, the rest fine-tuning conv5).")
    ] = 12,
    replicas: Annotated[
        Optional[int],
        typer.Option("--replicas", help="GPUs to use [default: all]; without GPUs, logical CPU devices [default: 1]."),
    ] = None,
    sample_fps: Annotated[
        float, typer.Option("--sample-fps", help="Frames per second taken from labelled ranges.")
    ] = 2.0,
    positive: Annotated[
        Optional[str], typer.Option("--positive", help="The highlight label. [default: highlight]")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Per replica; the global batch is this times the replicas.")
    ] = 16,
    learning_rate: Annotated[
        Optional[float], typer.Option("--learning-rate", help="[default: 1e-3; fine-tuning 1/100 of it]")
    ] = None,
    patience: Annotated[
        int, typer.Option("--patience", help="Stop after this many epochs without a better validation loss.")
    ] = 4,
    split: Annotated[
        str, typer.Option("--split", help="auto, blocks (time blocks) or videos (whole videos).")
    ] = "auto",
    block: Annotated[float, typer.Option("--block", help="Time-block length for the split.", **Seconds)] = 5.0,
    gap: Annotated[
        float, typer.Option("--gap", help="Training frames this close to validation ones are dropped.", **Seconds)
    ] = 1.0,
    validation: Annotated[
        float, typer.Option("--validation", help="Share of blocks (videos) per label for validation.")
    ] = 0.2,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for the split, shuffling, augmentation and initial weights.")
    ] = 0,
    all_reduce: Annotated[
        str, typer.Option("--all-reduce", help="Cross-device reduction: auto, nccl, hierarchical, one-device.")
    ] = "auto",
    tflite: Annotated[
        bool, typer.Option("--tflite/--no-tflite", help="Also export model.tflite (faster on CPU).")
    ] = True,
    force: Annotated[bool, typer.Option("--force", help="Train again over a finished model folder.")] = False,
    worker_hosts: Annotated[
        Optional[str],
        typer.Option(
            "--worker-hosts",
            help="Train on several machines: host:port of each, comma-separated, the same on every machine "
            "(or set TF_CONFIG). Worker 0 writes the model.",
        ),
    ] = None,
    worker_index: Annotated[
        Optional[int], typer.Option("--worker-index", help="This machine's position in --worker-hosts, from 0.")
    ] = None,
) -> None:
    """Fine-tune ResNet50 on labelled ranges; write model.keras, model.json, model.tflite.

    Example: highlight train labels.csv --out models/dunks --epochs 12

    On two machines (run on each, with its own --worker-index):
    highlight train labels.csv --out models/dunks --worker-hosts pc1:12345,pc2:12345 --worker-index 0
    """
    from highlight.extras import require

    try:
        require("train", "highlight train")
    except HighlightError as error:
        fail(error)
    from highlight.train.dataset import SplitSettings
    from highlight.train.train import TrainConfig
    from highlight.train.train import train as run_training

    config = TrainConfig(
        labels=labels,
        out=out,
        weights=weights,
        image_size=image_size,
        epochs=epochs,
        replicas=replicas,
        sample_fps=sample_fps,
        positive=positive,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        split=SplitSettings(method=split, block=block, gap=gap, validation=validation, seed=seed),
        seed=seed,
        all_reduce=all_reduce,
        tflite=tflite,
        force=force,
        worker_hosts=worker_hosts,
        worker_index=worker_index,
    )
    try:
        run_training(config, echo=typer.echo)
    except HighlightError as error:
        fail(error)
    except Exception as error:  # TensorFlow's own failures: one line here, the whole report in a file
        reason = f"{type(error).__name__}: {tensorflow_reason(error)}"
        fail(f"training stopped: {reason} (full report: {write_report(error, 'highlight-train-')})", code=1)


def tensorflow_reason(error: Exception) -> str:
    """The line that says what went wrong in a TensorFlow error (its message also lists the graph's call stack).

    That line comes just before the ``[[{{node ...}}]]`` line naming the failed operation.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for before, line in zip(lines, lines[1:]):
        if line.startswith("[[{{node"):
            return before
    return lines[0] if lines else "no message"
