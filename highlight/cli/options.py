"""What the commands share: option declarations, parsers of the units people type, and one way to fail.

Times are given the way people say them: ``--pad-before 1.5s``, ``--min-duration 2``,
``--merge-gap 500ms``. Every option has a default that works on a tripod recording.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from highlight import HighlightError
from highlight.units import parse_seconds


def fail(message: str | Exception, code: int = 2) -> NoReturn:
    """One line on stderr, no traceback, and the exit status a script can test."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def seconds(text: str) -> float:
    """A time as people type it (``1.5s``, ``500ms``, ``2m``, ``1:02.5``), or a usage error."""
    try:
        return parse_seconds(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def timeline_formats(text: str) -> list[str]:
    """``--export``/``--format`` value -> format names, or a usage error listing the choices."""
    from highlight.export.timelines import parse_formats
    from highlight.extras import MissingExtra, require

    try:
        formats = parse_formats(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    try:
        require("editors", "writing editor timelines")
    except MissingExtra as error:
        fail(error)
    return formats


def above_zero(value: float | None) -> float | None:
    """A rate or speed, which must be above 0 (typer's ranges include their minimum)."""
    if value is not None and not value > 0:
        raise typer.BadParameter(f"{value:g} is out of range; allowed: above 0")
    return value


def slow_speed(value: float | None) -> float | None:
    """A slow-motion speed: above 0, at most 1 (1 is the recording's own speed)."""
    if value is not None and not 0 < value <= 1:
        raise typer.BadParameter(f"{value:g} is out of range; allowed: above 0, at most 1")
    return value


Seconds = dict(parser=seconds, metavar="SECONDS")

# The panels `--help` groups options into, in the order a user decides: what to look
# at, what counts, what to write, then plugins, then how the work runs. The detector's
# own tuning options are listed only by --help-all (see highlight.cli.help).
ANALYSE = "What to analyse"
HIGHLIGHT = "What counts as a highlight"
OUTPUTS = "Clips and exports"
PLUGINS_PANEL = "Plugins"
RUNNING = "Running"
TUNING = "Detector tuning (--help-all)"


def _default(name: str, unit: str = "s", otherwise: str = "") -> str:
    """'[default: 1.5s]' from IntervalSettings, the one place interval defaults are declared."""
    from dataclasses import fields

    from highlight.intervals import IntervalSettings

    value = next(f.default for f in fields(IntervalSettings) if f.name == name)
    return f"[default: {value:g}{unit}{otherwise}]"


# Options shared by `run` and `watch` (and `cut`, for the interval and output ones).
Detector = Annotated[
    str,
    typer.Option(
        "--detector",
        "-d",
        metavar="NAME",
        rich_help_panel=ANALYSE,
        help="What finds the action: motion needs no training; `highlight plugins` lists the others.",
    ),
]
Model = Annotated[
    Optional[Path],
    typer.Option(
        "--model", metavar="FOLDER", rich_help_panel=ANALYSE, help="A trained classifier (`highlight train`)."
    ),
]
SampleFps = Annotated[
    Optional[float],
    typer.Option(
        "--sample-fps",
        metavar="FPS",
        callback=above_zero,
        rich_help_panel=ANALYSE,
        help="Frames per second analysed; edges are refined at full rate. [default: 2, or the preset's]",
    ),
]
FullScan = Annotated[
    bool,
    typer.Option(
        "--full-scan",
        rich_help_panel=ANALYSE,
        help="Analyse quiet stretches at --sample-fps too, not only their keyframes (slower).",
    ),
]
Threshold = Annotated[
    Optional[float],
    typer.Option(
        "--threshold",
        "-t",
        metavar="SCORE",
        min=0,
        max=1,
        rich_help_panel=HIGHLIGHT,
        help="Score that starts a highlight. " + _default("threshold", "", otherwise=", or the model's"),
    ),
]
ExitThreshold = Annotated[
    Optional[float],
    typer.Option(
        "--exit-threshold",
        metavar="SCORE",
        min=0,
        max=1,
        rich_help_panel=HIGHLIGHT,
        help="Score below which a highlight ends. [default: 0.6 x --threshold]",
    ),
]
Smooth = Annotated[
    Optional[float],
    typer.Option(
        "--smooth", rich_help_panel=HIGHLIGHT, help=f"Median smoothing window. {_default('smooth')}", **Seconds
    ),
]
MinDuration = Annotated[
    Optional[float],
    typer.Option(
        "--min-duration",
        rich_help_panel=HIGHLIGHT,
        help=f"Drop highlights shorter than this. {_default('min_duration')}",
        **Seconds,
    ),
]
MergeGap = Annotated[
    Optional[float],
    typer.Option(
        "--merge-gap",
        rich_help_panel=HIGHLIGHT,
        help=f"Join highlights closer than this, padding included. {_default('merge_gap')}",
        **Seconds,
    ),
]
PadBefore = Annotated[
    Optional[float],
    typer.Option(
        "--pad-before",
        rich_help_panel=HIGHLIGHT,
        help=f"Lead-in before each highlight. {_default('pad_before')}",
        **Seconds,
    ),
]
PadAfter = Annotated[
    Optional[float],
    typer.Option(
        "--pad-after", rich_help_panel=HIGHLIGHT, help=f"Tail after each highlight. {_default('pad_after')}", **Seconds
    ),
]
Margin = Annotated[
    Optional[float],
    typer.Option("--margin", rich_help_panel=HIGHLIGHT, help="Sets both --pad-before and --pad-after.", **Seconds),
]
Slowmo = Annotated[
    Optional[float],
    typer.Option(
        "--slowmo",
        metavar="SPEED",
        callback=slow_speed,
        rich_help_panel=OUTPUTS,
        help="Also write slow-motion clips at this speed, e.g. 0.5.",
    ),
]
Reel = Annotated[
    Optional[bool],
    typer.Option(
        "--reel/--no-reel", metavar="", rich_help_panel=OUTPUTS, help="Also write one video of all highlights."
    ),
]


def clip_method_name(value: str | None) -> str | None:
    """A known clip method's name, or a usage error listing them."""
    from highlight.export.clip_methods import CLIP_METHODS

    if value is not None and value not in CLIP_METHODS:
        raise typer.BadParameter(f"unknown clip method {value!r}; choose from: {', '.join(CLIP_METHODS)}")
    return value


def _clips_help() -> str:
    from highlight.export.clip_methods import clip_method_help

    return clip_method_help()


Clips = Annotated[
    Optional[str],
    typer.Option("--clips", metavar="METHOD", callback=clip_method_name, rich_help_panel=OUTPUTS, help=_clips_help()),
]
NoClips = Annotated[
    bool,
    typer.Option(
        "--no-clips", rich_help_panel=OUTPUTS, help="Write no clip files: only highlights.json and scores.csv."
    ),
]
Plugins = Annotated[
    Optional[list[str]],
    typer.Option(
        "--plugin",
        "-p",
        metavar="NAME",
        rich_help_panel=PLUGINS_PANEL,
        help="Enable a plugin (repeatable); its options are --PLUGIN-OPTION (see `highlight plugins`).",
    ),
]
Overlay = Annotated[
    Optional[list[str]],
    typer.Option(
        "--overlay",
        metavar="NAME",
        rich_help_panel=PLUGINS_PANEL,
        help="Draw a plugin's result on the clips, e.g. --overlay pose (enables it).",
    ),
]


def _formats_help() -> str:
    from highlight.export.timelines import FORMATS

    return f"Also write editor timelines, comma-separated: {', '.join(FORMATS)} or all."


Export = Annotated[
    Optional[str],
    typer.Option(
        "--export",
        metavar="FORMATS",
        rich_help_panel=OUTPUTS,
        help=_formats_help(),
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=RUNNING, help="Print only the summary.")]


def executor_name(value: str) -> str:
    """A declared executor's name, or a usage error listing them."""
    from highlight.executors import EXECUTORS
    from highlight.extras import MissingExtra, require

    if value not in EXECUTORS:
        raise typer.BadParameter(f"unknown executor {value!r}; choose from: {', '.join(EXECUTORS)}")
    if EXECUTORS[value].extra:
        try:
            require(EXECUTORS[value].extra, f"--executor {value}")
        except MissingExtra as error:
            fail(error)
    return value


def _executor_help() -> str:
    from highlight.executors import EXECUTORS

    return "Where recordings are processed: " + "; ".join(f"{k.name}: {k.description}" for k in EXECUTORS.values())


def _executor_names() -> str:
    from highlight.executors import EXECUTORS

    return "|".join(EXECUTORS)


ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        metavar=_executor_names(),
        callback=executor_name,
        rich_help_panel=RUNNING,
        help=_executor_help(),
    ),
]
RayAddress = Annotated[
    Optional[str],
    typer.Option(
        "--ray-address",
        metavar="ADDRESS",
        rich_help_panel=RUNNING,
        help="With --executor ray: auto (the cluster `ray start` joined here), ray://HOST:10001, or none: a Ray started for this command.",
    ),
]


def region_texts(values: list[str] | None) -> list[str] | None:
    """Each --region/--exclude value checked now: a bad one ends the command naming the option."""
    from highlight.regions import parse_region

    for value in values or []:
        try:
            parse_region(value)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return values


def preset_name(value: str | None) -> str | None:
    """A known preset's name, or a usage error listing them."""
    from highlight.presets import PRESETS

    if value is not None and value not in PRESETS:
        raise typer.BadParameter(f"unknown preset {value!r}; choose from: {', '.join(sorted(PRESETS))}")
    return value


Regions = Annotated[
    Optional[list[str]],
    typer.Option(
        "--region",
        metavar="L,T,W,H",
        callback=region_texts,
        rich_help_panel=ANALYSE,
        help="Look only here (repeatable): left,top,width,height or x,y;x,y;x,y polygon, fractions of the frame (or px), e.g. 0.58,0.10,0.22,0.35; `highlight region VIDEO` helps pick one.",
    ),
]
Excludes = Annotated[
    Optional[list[str]],
    typer.Option(
        "--exclude",
        metavar="L,T,W,H",
        callback=region_texts,
        rich_help_panel=ANALYSE,
        help="Ignore this area (repeatable), same syntax as --region.",
    ),
]
PresetOption = Annotated[
    Optional[str],
    typer.Option(
        "--preset",
        metavar="NAME",
        callback=preset_name,
        rich_help_panel=ANALYSE,
        help="Settings for a kind of recording; options you give win. shots: one clip per shot (with --region around the hoop).",
    ),
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", rich_help_panel=RUNNING, help="Debug logging, and the libraries' own logs.")
]


def interval_changes(margin: float | None = None, **given) -> dict:
    """The options the user gave, with ``--margin`` and a lone ``--threshold`` spelled out (see ``spelled_out``)."""
    from highlight.layers import spelled_out

    return spelled_out({**given, "margin": margin})


# The options the commands share, declared once: (parameter name, typer annotation,
# default), in the order --help lists them. ``with_shared_options`` adds them to a
# command, which receives them as one dict (``shared``); ``analysis_settings`` and
# ``cut_changes`` turn that dict into settings, so the mapping from command line to
# settings is written once too.
CUT_OPTIONS = (
    ("threshold", Threshold, None),
    ("exit_threshold", ExitThreshold, None),
    ("smooth", Smooth, None),
    ("min_duration", MinDuration, None),
    ("merge_gap", MergeGap, None),
    ("pad_before", PadBefore, None),
    ("pad_after", PadAfter, None),
    ("margin", Margin, None),
    ("slowmo", Slowmo, None),
    ("reel", Reel, None),
    ("clips", Clips, None),
    ("no_clips", NoClips, False),
    ("region", Regions, None),
    ("exclude", Excludes, None),
    ("preset", PresetOption, None),
)
ANALYSIS_OPTIONS = (
    ("detector", Detector, "motion"),
    ("model", Model, None),
    ("sample_fps", SampleFps, None),
    ("full_scan", FullScan, False),
    ("plugin", Plugins, None),
    ("overlay", Overlay, None),
    *CUT_OPTIONS,
)
# What `cut` can change without analysing again, as interval settings.
CUT_PARAMETERS = (
    "threshold", "exit_threshold", "smooth", "min_duration", "merge_gap", "pad_before", "pad_after", "margin",
    "slowmo", "reel",
)  # fmt: skip


def with_shared_options(options: tuple, **replaced: Any) -> Callable[[Callable], Callable]:
    """Give a command ``options`` where its ``shared`` parameter stands; it receives their values as ``shared``.

    ``replaced`` swaps one option's annotation for a command that takes it differently
    (``highlight live`` takes only ``--clips copy``).
    """
    names = [name for name, _, _ in options]

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)  # typer reads real annotations, not strings
        parameters = []
        for name, parameter in signature.parameters.items():
            if name != "shared":
                parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
                continue
            for option, annotation, default in options:
                parameters.append(
                    inspect.Parameter(
                        option,
                        inspect.Parameter.KEYWORD_ONLY,
                        default=default,
                        annotation=replaced.get(option, annotation),
                    )
                )

        @functools.wraps(command)
        def wrapper(**values: Any) -> Any:
            shared = {name: values.pop(name) for name in names if name in values}
            return command(shared=shared, **values)

        wrapper.__signature__ = signature.replace(parameters=parameters)
        return wrapper

    return decorate


def clip_changes(parameters: dict) -> dict:
    """``--clips METHOD`` and ``--no-clips`` as settings, with the one note when some outputs must re-encode."""
    from highlight.export.clip_methods import re_encode_note

    if parameters["no_clips"]:
        return {"clips": False}
    if parameters["clips"] is None:
        return {}
    note = re_encode_note(
        parameters["clips"], bool(parameters["slowmo"]), bool(parameters.get("overlay")), bool(parameters["reel"])
    )
    if note:
        typer.echo(f"note: {note}", err=True)
    return {"clips": True, "clip_method": parameters["clips"]}


def cut_changes(parameters: dict) -> dict:
    """The interval, output and region changes a command's parameters give (what `cut` can apply)."""
    return interval_changes(
        **{name: parameters[name] for name in CUT_PARAMETERS},
        **clip_changes(parameters),
        regions=parameters["region"],
        excludes=parameters["exclude"],
    )


def analysis_layers(parameters: dict, components: dict | None):
    """SettingsLayers from ANALYSIS_OPTIONS' values and the plugin and detector options (see ``settings_layers``)."""
    return settings_layers(
        parameters["detector"],
        parameters["model"],
        parameters["sample_fps"],
        parameters["plugin"],
        parameters["overlay"],
        components or {},
        parameters["preset"],
        **{name: parameters[name] for name in CUT_PARAMETERS},
        **clip_changes(parameters),
        skip_quiet=False if parameters["full_scan"] else None,
        regions=parameters["region"],
        excludes=parameters["exclude"],
    )


def analysis_settings(parameters: dict, components: dict | None):
    """The settings of a command whose input has no folder, so no camera file (``highlight live``)."""
    return _resolved(analysis_layers(parameters, components))


def run_settings(*args, **kwargs):
    """RunSettings from the options `run` and `watch` share, without a camera file (``settings_layers``' arguments)."""
    return _resolved(settings_layers(*args, **kwargs))


def _resolved(layers):
    from highlight import HighlightError

    try:
        return layers.resolve()
    except HighlightError as error:
        fail(error)


def settings_layers(
    detector: str,
    model: Path | None,
    sample_fps: float | None,
    plugins: list[str] | None,
    overlay: list[str] | None,
    components: dict,
    preset: str | None = None,
    **changes,
):
    """The layers of a command's settings (``highlight.layers``); bad values end the command with one line.

    ``components`` holds the plugin and detector options given on the command line
    (see ``highlight.cli.components``); with ``--model``, or a detector that declares
    its own thresholds, those fill in for the thresholds no layer above gives. Each
    recording's camera file (highlight.toml) comes in when it is resolved, per recording.
    """
    from highlight.cli.components import resolve
    from highlight.config import config_file, run_defaults
    from highlight.layers import COMMAND_LINE, Layer, SettingsLayers, spelled_out
    from highlight.scorers import detector_class
    from highlight.scorers.classifier import model_thresholds
    from highlight.settings import RunSettings, plugin_options_tuple

    try:
        enabled, plugin_values, detector_values = resolve(detector, plugins or [], overlay or [], components)
        if model:
            trained = Layer(f"model {model.resolve()}", model_thresholds(model))
        else:
            trained = Layer(f"detector {detector}", _declared_thresholds(detector_class(detector)))
        layers = SettingsLayers(
            base=RunSettings(
                detector=detector,
                model=str(model.resolve()) if model else None,
                plugins=tuple(enabled),
                plugin_options=plugin_options_tuple(plugin_values),
                overlay=tuple(overlay or ()),
                detector_options=tuple(sorted(detector_values.items())),
            ),
            trained=trained,
            user=Layer(str(config_file()), run_defaults()),
            command_line=Layer(COMMAND_LINE, spelled_out({**changes, "sample_fps": sample_fps, "preset": preset})),
        )
        layers.resolve()  # the command line's own values checked now, before any recording is opened
        return layers
    except HighlightError as error:
        fail(error)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _declared_thresholds(cls) -> dict[str, float]:
    if cls.threshold is None:
        return {}
    return {
        "threshold": cls.threshold,
        "exit_threshold": cls.exit_threshold if cls.exit_threshold is not None else cls.threshold,
    }
