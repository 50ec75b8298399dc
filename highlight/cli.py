"""The ``highlight`` command line (typer).

Times are given the way people say them: ``--pad-before 1.5s``, ``--min-duration 2``,
``--merge-gap 500ms``. Every option has a default that works on a tripod recording.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError, __version__
from highlight.units import parse_seconds

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn long sports and workout recordings into highlight clips.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _seconds(text: str) -> float:
    try:
        return parse_seconds(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


Seconds = dict(parser=_seconds, metavar="TIME")

# Options shared by `run` and `watch` (and `cut`, for the interval and output ones).
Detector = Annotated[str, typer.Option("--detector", "-d", help="Scorer: motion (default, no training).")]
Model = Annotated[Optional[Path], typer.Option("--model", help="Folder of a trained classifier (`highlight train`).")]
SampleFps = Annotated[float, typer.Option("--sample-fps", help="Analysis rate, frames per second; edges are refined at full rate.")]
FullScan = Annotated[bool, typer.Option("--full-scan", help="Analyse at --sample-fps also while the scene is quiet (slower; default: keyframes only then).")]
Threshold = Annotated[Optional[float], typer.Option("--threshold", "-t", help="Score (0-1) that starts a highlight. [default: 0.5, or the model's]")]
ExitThreshold = Annotated[Optional[float], typer.Option("--exit-threshold", help="Score below which a highlight ends. [default: 0.3]")]
Smooth = Annotated[Optional[float], typer.Option("--smooth", help="Median smoothing window. [default: 1.5s]", **Seconds)]
MinDuration = Annotated[Optional[float], typer.Option("--min-duration", help="Drop highlights shorter than this. [default: 1s]", **Seconds)]
MergeGap = Annotated[Optional[float], typer.Option("--merge-gap", help="Join clips closer than this, padding included. [default: 2s]", **Seconds)]
PadBefore = Annotated[Optional[float], typer.Option("--pad-before", help="Lead-in before each highlight. [default: 1s]", **Seconds)]
PadAfter = Annotated[Optional[float], typer.Option("--pad-after", help="Tail after each highlight. [default: 1s]", **Seconds)]
Margin = Annotated[Optional[float], typer.Option("--margin", help="Sets both --pad-before and --pad-after.", **Seconds)]
Slowmo = Annotated[Optional[float], typer.Option("--slowmo", help="Also write slow-motion clips at this speed, e.g. 0.5.")]
Reel = Annotated[Optional[bool], typer.Option("--reel/--no-reel", help="Also write one video of all highlights. [default: no]")]
Clips = Annotated[Optional[bool], typer.Option("--clips/--no-clips", help="Write clip files (off: only highlights.json and scores.csv). [default: on]")]
Plugins = Annotated[Optional[list[str]], typer.Option("--plugin", "-p", help="Enable a plugin (repeatable); see `highlight plugins`.")]
PoseModel = Annotated[Optional[Path], typer.Option("--pose-model", help="PoseLandmarker .task file for the pose plugin. [default: $HIGHLIGHT_POSE_MODEL]")]
PoseFps = Annotated[Optional[float], typer.Option("--pose-fps", help="Frames per second the pose plugin analyses. [default: 10]")]
Overlay = Annotated[Optional[list[str]], typer.Option("--overlay", help="Draw a plugin's result on the clips, e.g. --overlay pose (enables it).")]
Exercise = Annotated[Optional[str], typer.Option("--exercise", help="What the reps plugin counts: auto, pushup, squat, lunge, situp, crunch, pullup, curl, press, jump, jumping_jack. [default: auto]")]
Person = Annotated[Optional[int], typer.Option("--person", min=1, help="Whose reps the headline counts when several people are in view (numbered from 1 in order of appearance, as the overlay labels them). [default: who moves most]")]
HighlightSets = Annotated[bool, typer.Option("--highlight-sets", help="Make each set of reps a highlight.")]
Export = Annotated[Optional[str], typer.Option("--export", help="Also write editor timelines: edl,fcpxml,fcp7,otio or all.")]
Rest = Annotated[Optional[float], typer.Option("--rest", help="A pause longer than this between reps starts a new set. [default: 5s]", **Seconds)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]


def build_settings(
    detector: str = "motion",
    model: Path | None = None,
    sample_fps: float = 2.0,
    plugins: list[str] | None = None,
    plugin_options: dict | None = None,
    **changes,
):
    """RunSettings from command-line values; None means 'keep the default'.

    With ``--model``, the thresholds the model was trained to use fill in for the ones
    the user did not give (a given ``--threshold`` also sets the exit threshold).
    """
    from highlight.scorers.classifier import model_thresholds
    from highlight.settings import RunSettings

    try:
        base = RunSettings(
            detector=detector,
            model=str(model.resolve()) if model else None,
            sample_fps=sample_fps,
            plugins=tuple(plugins or ()),
            plugin_options=tuple(sorted((plugin_options or {}).items())),
        )
        given = interval_changes(**changes)
        if model and "threshold" not in given:
            given = _with_model_thresholds(given, model_thresholds(model))
        return base.with_changes(given)
    except HighlightError as error:
        _fail(str(error))
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _with_model_thresholds(given: dict, trained: dict[str, float]) -> dict:
    """The model's thresholds where the user gave none; a given exit threshold stays below the model's threshold."""
    if not trained:
        return given
    merged = {**trained, **given}
    merged["exit_threshold"] = min(merged["exit_threshold"], merged["threshold"])
    return merged


def plugin_options(
    plugins: list[str] | None,
    pose_model: Path | None = None,
    pose_fps: float | None = None,
    overlay: list[str] | None = None,
    exercise: str | None = None,
    highlight_sets: bool = False,
    rest: float | None = None,
    person: int | None = None,
) -> tuple[list[str], dict]:
    """(plugins to enable, their options) from the plugin options of `run` (and `watch`).

    Only options given are stored, so a run without plugins keeps its settings key.
    ``--overlay NAME`` enables plugin NAME; reps options without --plugin reps enable it.
    A run with plugins takes what was not given from $HIGHLIGHT_POSE_MODEL and the
    config file (``highlight.config``), in that order.
    """
    from highlight.config import plugin_defaults
    from plugins.pose import MODEL_ENV

    given = {
        "pose_model": str(pose_model.expanduser().resolve()) if pose_model else None,
        "pose_fps": pose_fps,
        "overlay": tuple(overlay) if overlay else None,
        "exercise": exercise,
        "highlight_sets": highlight_sets or None,
        "rest_s": rest,
        "person": person,
    }
    enabled = list(plugins or [])
    for name in list(overlay or []) + (["reps"] if exercise or highlight_sets or rest is not None else []):
        if name not in enabled:
            enabled.append(name)
    options = {k: v for k, v in given.items() if v is not None}
    if not enabled:
        return enabled, options
    environment = {}
    if os.environ.get(MODEL_ENV):
        environment["pose_model"] = str(Path(os.environ[MODEL_ENV]).expanduser().resolve())
    return enabled, {**plugin_defaults(), **environment, **options}


def run_settings(
    detector: str, model: Path | None, sample_fps: float, plugins: list[str] | None,
    pose_model: Path | None, pose_fps: float | None, overlay: list[str] | None,
    exercise: str | None, highlight_sets: bool, rest: float | None, person: int | None = None, **changes,
):
    """RunSettings from the options `run` and `watch` share; bad plugin options end the command."""
    from highlight.plugin_api import check_plugins

    try:
        enabled, options = plugin_options(plugins, pose_model, pose_fps, overlay, exercise, highlight_sets, rest, person)
        check_plugins(enabled, options)
    except HighlightError as error:
        _fail(str(error))
    return build_settings(detector, model, sample_fps, enabled, options, **changes)


def interval_changes(margin: float | None = None, **given) -> dict:
    """The options the user gave, with ``--margin`` and a lone ``--threshold`` spelled out.

    ``--margin`` fills whichever padding was not given. A threshold given without an
    exit threshold keeps the default ratio between the two (exit = 0.6 x threshold).
    """
    from highlight.intervals import IntervalSettings

    changes = {k: v for k, v in given.items() if v is not None}
    if margin is not None:
        changes.setdefault("pad_before", margin)
        changes.setdefault("pad_after", margin)
    if "threshold" in changes and "exit_threshold" not in changes:
        default = IntervalSettings()
        changes["exit_threshold"] = changes["threshold"] * default.exit_threshold / default.threshold
    return changes


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Recordings or folders (searched recursively).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder. [default: highlights/ beside the input]")] = None,
    detector: Detector = "motion",
    model: Model = None,
    sample_fps: SampleFps = 2.0,
    full_scan: FullScan = False,
    threshold: Threshold = None,
    exit_threshold: ExitThreshold = None,
    smooth: Smooth = None,
    min_duration: MinDuration = None,
    merge_gap: MergeGap = None,
    pad_before: PadBefore = None,
    pad_after: PadAfter = None,
    margin: Margin = None,
    slowmo: Slowmo = None,
    reel: Reel = None,
    clips: Clips = None,
    plugin: Plugins = None,
    pose_model: PoseModel = None,
    pose_fps: PoseFps = None,
    overlay: Overlay = None,
    exercise: Exercise = None,
    highlight_sets: HighlightSets = False,
    rest: Rest = None,
    person: Person = None,
    force: Annotated[bool, typer.Option("--force", help="Redo videos that are already done.")] = False,
    export: Export = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html in the output folder. [default: on]")] = True,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Find the action in each recording and write it as clips.

    Example: highlight run ~/Videos/court --margin 0.5s --slowmo 0.5
    Example: highlight run ~/Videos/gym --plugin pose --plugin reps --exercise squat --overlay pose
    """
    from highlight.batch import format_summary, run_batch

    _setup_logging(verbose)
    settings = run_settings(
        detector, model, sample_fps, plugin, pose_model, pose_fps, overlay, exercise, highlight_sets, rest,
        person=person, threshold=threshold, exit_threshold=exit_threshold, smooth=smooth, min_duration=min_duration,
        merge_gap=merge_gap, pad_before=pad_before, pad_after=pad_after, margin=margin,
        slowmo=slowmo, reel=reel, clips=clips, skip_quiet=False if full_scan else None,
    )
    exports = _timeline_formats(export) if export else []
    try:
        batch = run_batch(paths, settings, out, force=force, quiet=quiet, exports=exports, write_report=report)
    except (HighlightError, FileNotFoundError) as error:
        _fail(str(error).strip("'\""))
    typer.echo(format_summary(batch))
    if batch.report_path:
        typer.echo(f"report: {batch.report_path}")
    if batch.failed:
        raise typer.Exit(1)


@app.command()
def cut(
    folders: Annotated[list[Path], typer.Argument(help="Output folders of earlier runs (OUT/<video>).")],
    threshold: Threshold = None,
    exit_threshold: ExitThreshold = None,
    smooth: Smooth = None,
    min_duration: MinDuration = None,
    merge_gap: MergeGap = None,
    pad_before: PadBefore = None,
    pad_after: PadAfter = None,
    margin: Margin = None,
    slowmo: Slowmo = None,
    reel: Reel = None,
    clips: Clips = None,
    quiet: Quiet = False,
) -> None:
    """Re-cut clips from a run's scores.csv with new thresholds or padding (no re-analysis).

    Example: highlight cut highlights/IMG_0042 --threshold 0.7 --pad-after 2s
    """
    from highlight.pipeline import recut

    changes = interval_changes(
        threshold=threshold, exit_threshold=exit_threshold, smooth=smooth, min_duration=min_duration,
        merge_gap=merge_gap, pad_before=pad_before, pad_after=pad_after, margin=margin,
        slowmo=slowmo, reel=reel, clips=clips,
    )
    failed = False
    for folder in folders:
        try:
            manifest = recut(folder, changes)
        except (HighlightError, ValueError) as error:
            typer.echo(f"error: {error}", err=True)
            failed = True
            continue
        if not quiet:
            typer.echo(f"{folder}: {len(manifest['intervals'])} highlights")
    if failed:
        raise typer.Exit(1)


@app.command("plugins")
def list_plugins() -> None:
    """List installed plugins (entry-point group highlight.plugins)."""
    from highlight.plugin_api import available_plugins

    found = available_plugins()
    if not found:
        typer.echo("no plugins installed")
    for name, entry in sorted(found.items()):
        try:
            description = entry.load().description
        except Exception as error:  # show broken plugins rather than crash the listing
            description = f"(fails to load: {error})"
        typer.echo(f"{name:12s} {entry.value:40s} {description}")
    _echo_config()


def _echo_config() -> None:
    """Which config file plugin options come from, and what it sets: a user's first question."""
    from highlight.config import config_file, plugin_defaults

    path = config_file()
    if not path.is_file():
        typer.echo(f"config: {path} (not found; see README, 'Plugins')")
        return
    try:
        values = plugin_defaults(path)
    except HighlightError as error:
        _fail(str(error))
    typer.echo(f"config: {path}: " + (", ".join(f"{k}={v}" for k, v in sorted(values.items())) or "no plugin options"))


@app.callback(invoke_without_command=True)
def _version(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.", is_eager=True)] = False,
) -> None:
    if version:
        typer.echo(f"highlight {__version__}")
        raise typer.Exit()


from highlight.export.commands import export_command, report_command, timeline_formats as _timeline_formats  # noqa: E402

app.command("export")(export_command)
app.command("report")(report_command)

from highlight.watch.command import watch  # noqa: E402  (needs the option aliases above)

app.command()(watch)

from highlight.train.cli import register as _register_train  # noqa: E402  (train, eval, label)

_register_train(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
