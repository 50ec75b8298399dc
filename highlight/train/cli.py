"""Command line for training: ``highlight train``, ``highlight eval``, ``highlight label draft|sheet``.

Registered on the main app by ``register(app)``; TensorFlow is imported only inside the
commands that need it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.units import parse_seconds


def _seconds(text: str) -> float:
    try:
        return parse_seconds(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _fail(error: Exception) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(2)


def train(
    labels: Annotated[Path, typer.Argument(help="Labels file: video,start,end,label (see README).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write.")],
    weights: Annotated[str, typer.Option("--weights", help="imagenet (downloaded once), none (from scratch) or PATH to ResNet50 no-top weights.")] = "imagenet",
    image_size: Annotated[int, typer.Option("--image-size", help="Model input, pixels square.")] = 224,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs in all (pretrained: a third head only, the rest fine-tuning conv5).")] = 12,
    replicas: Annotated[Optional[int], typer.Option("--replicas", help="GPUs to use [default: all]; without GPUs, logical CPU devices [default: 1].")] = None,
    sample_fps: Annotated[float, typer.Option("--sample-fps", help="Frames per second taken from labelled ranges.")] = 2.0,
    positive: Annotated[Optional[str], typer.Option("--positive", help="The highlight label. [default: highlight]")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Per replica; the global batch is this times the replicas.")] = 16,
    learning_rate: Annotated[Optional[float], typer.Option("--learning-rate", help="[default: 1e-3; fine-tuning 1/100 of it]")] = None,
    patience: Annotated[int, typer.Option("--patience", help="Stop after this many epochs without a better validation loss.")] = 4,
    split: Annotated[str, typer.Option("--split", help="auto, blocks (time blocks) or videos (whole videos).")] = "auto",
    block: Annotated[float, typer.Option("--block", help="Time-block length for the split.", parser=_seconds, metavar="TIME")] = 5.0,
    gap: Annotated[float, typer.Option("--gap", help="Training frames this close to validation ones are dropped.", parser=_seconds, metavar="TIME")] = 1.0,
    validation: Annotated[float, typer.Option("--validation", help="Share of blocks (videos) per label for validation.")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the split, shuffling, augmentation and initial weights.")] = 0,
    all_reduce: Annotated[str, typer.Option("--all-reduce", help="Cross-device reduction: auto, nccl, hierarchical, one-device.")] = "auto",
    tflite: Annotated[bool, typer.Option("--tflite/--no-tflite", help="Also export model.tflite (faster on CPU).")] = True,
    force: Annotated[bool, typer.Option("--force", help="Train again over a finished model folder.")] = False,
) -> None:
    """Fine-tune ResNet50 on labelled ranges; write model.keras, model.json, model.tflite.

    Example: highlight train labels.csv --out models/dunks --epochs 12
    """
    from highlight.train.dataset import SplitSettings
    from highlight.train.train import TrainConfig, train as run_training

    config = TrainConfig(
        labels=labels, out=out, weights=weights, image_size=image_size, epochs=epochs, replicas=replicas,
        sample_fps=sample_fps, positive=positive, batch_size=batch_size, learning_rate=learning_rate,
        patience=patience, split=SplitSettings(method=split, block=block, gap=gap, validation=validation, seed=seed),
        seed=seed, all_reduce=all_reduce, tflite=tflite, force=force,
    )
    try:
        run_training(config, echo=typer.echo)
    except HighlightError as error:
        _fail(error)


def evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder (highlight train).")],
    labels: Annotated[Path, typer.Argument(help="Labels file of held-out recordings.")],
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Also write the results as JSON.")] = None,
    sample_fps: Annotated[Optional[float], typer.Option("--sample-fps", help="[default: the model's training rate]")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", "-t", help="[default: the model's]")] = None,
    backend: Annotated[str, typer.Option("--backend", help="auto (TFLite when it passed its check), tflite or keras.")] = "auto",
) -> None:
    """Frame-level precision/recall/F1 and interval matches (temporal IoU >= 0.5).

    Example: highlight eval models/dunks held_out.csv --json eval.json
    """
    from highlight.atomic import write_json
    from highlight.train.evaluate import evaluate as run_eval, format_report

    try:
        report = run_eval(model, labels, sample_fps, threshold, backend)
    except HighlightError as error:
        _fail(error)
    typer.echo(format_report(report))
    if json_path:
        write_json(json_path, report)


label_app = typer.Typer(no_args_is_help=True, help="Make labels: a draft from a run, a contact sheet of a video.")


@label_app.command("draft")
def label_draft(
    manifests: Annotated[list[Path], typer.Argument(help="highlights.json of earlier runs (or their folders).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Labels file to write.")] = Path("labels.csv"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing labels file.")] = False,
) -> None:
    """Write a labels file from detected highlights, for you to correct before training.

    Example: highlight label draft highlights/IMG_0042/highlights.json --out labels.csv
    """
    from highlight.train.labels import draft_from_manifests, write_labels

    if out.exists() and not force:
        _fail(HighlightError(f"{out}: exists (your corrections?); use --force to overwrite"))
    try:
        ranges = draft_from_manifests(manifests)
    except HighlightError as error:
        _fail(error)
    write_labels(out, ranges)
    typer.echo(f"{out}: {len(ranges)} ranges ({sum(r.label == 'highlight' for r in ranges)} highlight); correct them, then `highlight train {out}`")


@label_app.command("sheet")
def label_sheet(
    video: Annotated[Path, typer.Argument(help="A recording.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Image to write. [default: <video>_sheet.jpg here]")] = None,
    every: Annotated[Optional[float], typer.Option("--every", help="Time between thumbnails. [default: ~60 per video]", parser=_seconds, metavar="TIME")] = None,
    columns: Annotated[int, typer.Option("--columns", help="Thumbnails per row.")] = 6,
    width: Annotated[int, typer.Option("--width", help="Thumbnail width, pixels.")] = 240,
) -> None:
    """Write a contact sheet (thumbnails with timestamps) to pick label ranges from.

    Example: highlight label sheet ~/Videos/court/IMG_0042.mov --every 5s
    """
    from highlight.train.labels import contact_sheet

    try:
        written = contact_sheet(video, out or Path(f"{video.stem}_sheet.jpg"), every, columns, width)
    except HighlightError as error:
        _fail(error)
    for path in written:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(evaluate)
    app.add_typer(label_app, name="label")
