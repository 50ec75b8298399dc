"""``highlight eval``: a trained model against held-out labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.cli.options import fail


def evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder (highlight train).")],
    labels: Annotated[Path, typer.Argument(help="Labels file of held-out recordings.")],
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Also write the results as JSON.")] = None,
    sample_fps: Annotated[
        Optional[float], typer.Option("--sample-fps", help="[default: the model's training rate]")
    ] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", "-t", help="[default: the model's]")] = None,
    backend: Annotated[
        str, typer.Option("--backend", help="auto (TFLite when it passed its check), tflite or keras.")
    ] = "auto",
) -> None:
    """Frame-level precision/recall/F1 and interval matches (temporal IoU >= 0.5).

    Example: highlight eval models/dunks held_out.csv --json eval.json
    """
    from highlight.atomic import write_json
    from highlight.train.evaluate import evaluate as run_eval
    from highlight.train.evaluate import format_report

    try:
        report = run_eval(model, labels, sample_fps, threshold, backend)
    except HighlightError as error:
        fail(error)
    typer.echo(format_report(report))
    if json_path:
        write_json(json_path, report)
