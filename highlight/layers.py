"""A run's settings from its layers, resolved once per recording.

Lowest first, each filling in what the ones above it leave unset:

1. the built-in defaults (``RunSettings``, ``IntervalSettings``);
2. a trained model's thresholds (``--model``), or those the detector declares;
3. a preset (``--preset shots``), named by whichever layer below sets the highest ``preset``;
4. the camera file: the nearest ``highlight.toml`` from the recording's folder up to the
   input root (the folder given on the command line or watched; for a file given
   itself, its own folder), so one file describes one camera's set-up for every
   recording under it. A file above the input root is not read: a run over one
   folder never depends on folders it was not given;
5. the user's config file (``[run]`` in ``~/.config/highlight/config.toml``);
6. the command line.

A ``[run]`` table (in either file) holds the run options by their command-line names:
``region``, ``exclude``, ``preset``, ``threshold``, ``pad-before``... (``RUN_KEYS``).
Every value is checked where it is read, with a one-line error naming the file and the
key. ``SettingsLayers.resolve`` merges the layers for one recording and records, in the
settings' ``origins``, where each value that differs from the default came from (the
run's ``highlights.json`` keeps it); with many recordings in one batch, each one gets its
own resolved settings, and "already done" compares those.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.intervals import IntervalSettings
from highlight.options import KINDS, Option
from highlight.settings import RunSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, from PyPI
    import tomli as tomllib

CAMERA_FILE = "highlight.toml"
COMMAND_LINE = "command line"
NAMING = ("preset", "model")  # [run] values that bring a layer of their own rather than set one value


# -- what a [run] table may hold --------------------------------------------------------

# A [run] value and the folder of the file it is in (a relative path starts there) -> settings.
Parser = Callable[[Any, Path], dict[str, Any]]


def _regions(value: Any) -> tuple[str, ...]:
    from highlight.regions import parse_region

    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise ValueError('expected a region text or a list of them, e.g. "0.58,0.10,0.22,0.35"')
    return tuple(str(parse_region(text)) for text in texts)


def _preset(value: Any) -> str:
    from highlight.presets import PRESETS

    if not isinstance(value, str) or value not in PRESETS:  # a list is not a name (and cannot be looked up)
        raise ValueError(f"unknown preset {value!r} (known: {', '.join(sorted(PRESETS))})")
    return value


def _clips(value: Any, folder: Path) -> dict[str, Any]:
    """``clips = false`` writes none; ``clips = "copy"`` names a method (as ``--no-clips`` and ``--clips``)."""
    from highlight.export.clip_methods import CLIP_METHODS

    if value is False:
        return {"clips": False}
    if value not in CLIP_METHODS:
        raise ValueError(f"expected false or a clip method ({', '.join(CLIP_METHODS)})")
    return {"clips": True, "clip_method": value}


def _checked(setting: str, kind: str, **bounds: Any) -> Parser:
    """A value of ``kind`` within ``bounds`` (as an ``Option`` declares them), as the setting it fills."""
    option = Option(setting, kind, None, "", **bounds)
    return lambda value, folder: {setting: option.parse(value, base=folder)}


def _model(value: Any, folder: Path) -> dict[str, Any]:
    """A trained model's folder (relative to the file's folder), checked now: a typo is not found mid-batch."""
    from highlight.scorers.classifier import read_model_json

    path = _checked("model", "path")(value, folder)["model"]
    try:
        read_model_json(Path(path))
    except HighlightError as error:
        raise ValueError(str(error)) from None
    return {"model": path}


def _full_scan(value: Any, folder: Path) -> dict[str, Any]:
    return {"skip_quiet": not KINDS["flag"].parse(value)}


def _setting(name: str, parse: Callable[[Any], Any]) -> Parser:
    return lambda value, folder: {name: parse(value)}


# [run] key (the command line's option name, with underscores) -> its values as settings.
RUN_KEYS: Mapping[str, Parser] = {
    "model": _model,
    "region": _setting("regions", _regions),
    "exclude": _setting("excludes", _regions),
    "preset": _setting("preset", _preset),
    "sample_fps": _checked("sample_fps", "number", minimum=0, above_minimum=True),
    "full_scan": _full_scan,
    "threshold": _checked("threshold", "number", minimum=0, maximum=1),
    "exit_threshold": _checked("exit_threshold", "number", minimum=0, maximum=1),
    "smooth": _checked("smooth", "seconds", minimum=0),
    "min_duration": _checked("min_duration", "seconds", minimum=0),
    "merge_gap": _checked("merge_gap", "seconds", minimum=0),
    "pad_before": _checked("pad_before", "seconds", minimum=0),
    "pad_after": _checked("pad_after", "seconds", minimum=0),
    "margin": _checked("margin", "seconds", minimum=0),  # spelled out as both paddings
    "slowmo": _checked("slowmo", "number", minimum=0, maximum=1, above_minimum=True),
    "reel": _checked("reel", "flag"),
    "clips": _clips,
}


def spelled_out(changes: Mapping[str, Any]) -> dict[str, Any]:
    """One layer's values with ``margin`` and a lone ``threshold`` spelled out.

    A margin fills whichever padding the layer does not set. A threshold without an
    exit threshold keeps the default ratio between the two (exit = 0.6 x threshold), so
    a threshold from a higher layer never meets a lower layer's exit threshold above it.
    """
    values = {k: v for k, v in changes.items() if v is not None}
    margin = values.pop("margin", None)
    if margin is not None:
        values.setdefault("pad_before", margin)
        values.setdefault("pad_after", margin)
    if "threshold" in values and "exit_threshold" not in values:
        default = IntervalSettings()
        values["exit_threshold"] = values["threshold"] * default.exit_threshold / default.threshold
    return values


def run_table(path: Path, table: Any) -> dict[str, Any]:
    """A file's ``[run]`` table as settings, every key checked; a one-line error naming the file and key."""
    if not isinstance(table, dict):
        raise HighlightError(f"{path}: [run] must be a table of options")
    values: dict[str, Any] = {}
    for key, value in table.items():
        parse = RUN_KEYS.get(key.replace("-", "_"))
        if parse is None:
            known = ", ".join(name.replace("_", "-") for name in RUN_KEYS)
            raise HighlightError(f"{path}: unknown key {key!r} in [run] (known: {known})")
        try:
            values.update(parse(value, path.parent))
        except ValueError as error:
            raise HighlightError(f"{path}: [run] {key}: {error}") from None
    values = spelled_out(values)
    try:  # what only the keys together can get wrong: an exit threshold above the threshold
        RunSettings().with_changes({k: v for k, v in values.items() if k not in NAMING})
    except ValueError as error:
        raise HighlightError(f"{path}: [run]: {error}") from None
    return values


# -- the camera file --------------------------------------------------------------------


def find_camera_file(video: Path, root: Path | None = None) -> Path | None:
    """The nearest ``highlight.toml`` from the recording's folder up to ``root`` (its own folder when None)."""
    folder = Path(video).absolute().parent
    root = Path(root).absolute() if root is not None else folder
    if not folder.is_relative_to(root):
        root = folder
    while True:
        candidate = folder / CAMERA_FILE
        if candidate.is_file():
            return candidate
        if folder == root or folder.parent == folder:
            return None
        folder = folder.parent


def read_camera_file(path: Path) -> dict[str, Any]:
    """A camera file's ``[run]`` table, checked (other tables are left for other tools and later versions)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise HighlightError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise HighlightError(f"{path}: cannot read it ({error.strerror or error})") from None
    return run_table(path, data.get("run", {}))


def save_camera_file(folder: Path, values: Mapping[str, Any]) -> Path:
    """Set ``values`` (``[run]`` keys, e.g. ``region``) in ``folder``'s highlight.toml; returns its path.

    The file's other keys and its comments stay (tomlkit edits the document in place). A
    file that does not parse, or would not read back as a valid camera file, is left as
    it is (HighlightError): rewriting it would lose what it says. Written atomically.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from highlight.atomic import write_text

    path = Path(folder) / CAMERA_FILE
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        tomllib.loads(text)  # the reader runs use must accept it too
        document = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError, UnicodeDecodeError) as error:
        raise HighlightError(f"{path}: not valid TOML, left unchanged ({error}); fix or remove it") from None
    except OSError as error:
        raise HighlightError(f"{path}: cannot read it ({error.strerror or error})") from None
    run = document.setdefault("run", tomlkit.table())
    if not isinstance(run, dict):
        raise HighlightError(f"{path}: run is not a table, left unchanged; fix or remove it")
    for key, value in values.items():
        run[key] = value
    text = tomlkit.dumps(document)
    run_table(path, tomllib.loads(text).get("run", {}))  # what is written must read back as a camera file
    write_text(path, text)
    return path


# -- resolving --------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One layer's values (settings names, spelled out) and where they came from."""

    origin: str  # "command line", a file's path, "preset shots", "model /models/court"
    values: Mapping[str, Any] = field(default_factory=dict)


NO_LAYER = Layer("")


@dataclass(frozen=True)
class SettingsLayers:
    """What one command was given, before each recording's folder adds its camera file.

    ``base`` holds what a command sets for all its recordings (detector, model, plugins
    and their options); the layers hold the run options (regions, preset, thresholds...).
    """

    base: RunSettings = field(default_factory=RunSettings)
    trained: Layer = NO_LAYER  # the model's or detector's thresholds
    user: Layer = NO_LAYER  # the user's config file's [run] table
    command_line: Layer = NO_LAYER

    def resolve(self, video: Path | None = None, root: Path | None = None) -> RunSettings:
        """The settings for one recording (without ``video``: without a camera file); HighlightError if they clash."""
        camera_path = find_camera_file(video, root) if video is not None else None
        camera = Layer(str(camera_path), read_camera_file(camera_path)) if camera_path else NO_LAYER
        above = (camera, self.user, self.command_line)
        base, trained, model_from = self._model(above)
        values, origins = _merged((trained, *_with_preset(above)))
        origins.update(model_from)
        if (
            "exit_threshold" in values
            and "threshold" in values
            and origins.get("exit_threshold") != origins.get("threshold")
        ):  # a lower layer's exit stays below a higher threshold; one layer's own pair is checked as given
            values["exit_threshold"] = min(values["exit_threshold"], values["threshold"])
        try:
            settings = base.with_changes(values)
        except ValueError as error:
            where = ", ".join(sorted({origins[name] for name in values})) or COMMAND_LINE
            raise HighlightError(f"{video or 'settings'}: {error} (from {where})") from None
        return replace(
            settings,
            origins=tuple(sorted(recorded_origins(settings, origins).items())),
            camera_file=str(camera_path) if camera_path else None,
        )

    def _model(self, layers: tuple[Layer, ...]) -> tuple[RunSettings, Layer, dict[str, str]]:
        """The model a file names where the command line gave none: the base with it, its thresholds, its origin."""
        named = next((layer for layer in reversed(layers) if "model" in layer.values), None)
        if self.base.model or named is None:
            return self.base, self.trained, {}
        from highlight.scorers.classifier import model_thresholds

        folder = named.values["model"]
        trained = Layer(f"model {folder}", model_thresholds(Path(folder)))
        return replace(self.base, model=folder), trained, {"model": named.origin}


# What `highlight cut` takes from a camera file: what it can change without analysing again,
# and the regions, which it checks (other regions need a new analysis).
CUT_SETTINGS = (*IntervalSettings.__dataclass_fields__, "slowmo", "reel", "clips", "clip_method", "regions", "excludes")


def cut_layer(recording: Path, applied: str | None, run_origins: Mapping[str, str]) -> Layer:
    """The camera file's values for ``highlight cut``: those no layer above it gave the run.

    The file is the one the run applied, else the nearest in the recording's own folder
    (cut is given output folders, not the input root the run searched up to). A value
    the run took from the command line or the user's config file stays as the run had it.
    """
    from highlight.config import config_file

    path = Path(applied) if applied and Path(applied).is_file() else find_camera_file(recording)
    if path is None:
        return NO_LAYER
    values, _ = _merged(_with_preset((Layer(str(path), read_camera_file(path)),)))
    above = {COMMAND_LINE, str(config_file())}
    return Layer(str(path), {k: v for k, v in values.items() if k in CUT_SETTINGS and run_origins.get(k) not in above})


def recorded_origins(settings: RunSettings, origins: Mapping[str, str]) -> dict[str, str]:
    """Where each value of ``settings`` that differs from the built-in default came from."""
    return {name: origins[name] for name in _differing(settings) if name in origins}


def _with_preset(layers: tuple[Layer, ...]) -> tuple[Layer, ...]:
    """The layers with the preset the highest of them names placed below them all."""
    from highlight.presets import PRESETS

    name = next((layer.values["preset"] for layer in reversed(layers) if "preset" in layer.values), None)
    preset = Layer(f"preset {name}", PRESETS[name].changes) if name else NO_LAYER
    return (preset, *layers)


def _merged(layers: tuple[Layer, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values by name, each from the highest layer that sets it, and that layer's origin."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.values.items():
            if name not in NAMING:
                values[name], origins[name] = value, layer.origin
    return values, origins


def _differing(settings: RunSettings) -> list[str]:
    """The run and interval settings (by name) whose value is not the built-in default."""
    default = RunSettings()
    intervals = [n for n in IntervalSettings.__dataclass_fields__ if _differs(settings.intervals, default.intervals, n)]
    return intervals + [n for n in RunSettings.__dataclass_fields__ if _differs(settings, default, n)]


def _differs(value: Any, default: Any, name: str) -> bool:
    return getattr(value, name) != getattr(default, name)
