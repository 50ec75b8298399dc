"""Everything a run is configured by, in one frozen object.

Its ``key`` is a hash of what changes the outputs: a re-run with the same key over an
unchanged source is skipped; any change (threshold, padding, slow motion, plugins)
makes the video be processed again. Settings added later (regions, separate clips,
the clip method) are left out of it while at their default, so an older run keeps its
key and is not redone (an older run's clips were re-encoded: as exact as any method's).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from highlight.export.clip_methods import CLIP_METHODS, DEFAULT_CLIP_METHOD
from highlight.export.clips import ClipSettings
from highlight.intervals import IntervalSettings
from highlight.presets import DETECTOR_DEFAULTS
from highlight.regions import parse_regions


@dataclass(frozen=True)
class RunSettings:
    detector: str = "motion"
    model: str | None = None  # a trained classifier's folder; the CLI fills in its thresholds
    model_gate: bool = True  # --model classifies only what the motion detector sees move (see pipeline.motion_gate)
    sample_fps: float = 2.0  # analysis rate; edges are refined at full rate
    skip_quiet: bool = True  # a quiet keyframe lets the rest of its GOP go undecoded
    intervals: IntervalSettings = field(default_factory=IntervalSettings)
    clips: bool = True
    clip_method: str = DEFAULT_CLIP_METHOD  # how clips are made: see highlight.export.clip_methods
    slowmo: float | None = None  # e.g. 0.5: also write half-speed clips
    reel: bool = False
    clip: ClipSettings = field(default_factory=ClipSettings)
    plugins: tuple[str, ...] = ()
    # Option values somebody gave, per plugin: ((plugin, ((option, value), ...)), ...), sorted.
    # Defaults are not stored: they are filled in when a video starts.
    plugin_options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    overlay: tuple[str, ...] = ()  # plugins that draw on the exported clips
    detector_options: tuple[tuple[str, Any], ...] = ()  # the detector's given options, sorted
    regions: tuple[str, ...] = ()  # --region: where to look (canonical text, see highlight.regions)
    excludes: tuple[str, ...] = ()  # --exclude: where not to look
    # Where each value that differs from the default came from ((name, origin), ...) and the
    # highlight.toml that applied (see highlight.layers): recorded in highlights.json, but not
    # part of the key, since the same values give the same outputs wherever they came from.
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    camera_file: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Canonical text: "0.5,0.1,0.2,0.3" and " .5, .1, .2, .3" are one setting (and one key).
        object.__setattr__(self, "regions", tuple(str(r) for r in parse_regions(self.regions)))
        object.__setattr__(self, "excludes", tuple(str(r) for r in parse_regions(self.excludes)))
        if self.sample_fps <= 0:
            raise ValueError("sample-fps must be positive")
        if self.clip_method not in CLIP_METHODS:
            raise ValueError(f"unknown clip method {self.clip_method!r}; choose from: {', '.join(CLIP_METHODS)}")
        if self.slowmo is not None and not 0 < self.slowmo < 1:
            raise ValueError("slowmo is a speed factor between 0 and 1, e.g. 0.5 for half speed")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["plugin_options"] = self.given_plugin_options()
        data["detector_options"] = dict(self.detector_options)
        data["clip"].pop("threads")  # how fast, not what: not part of the result
        del data["origins"], data["camera_file"]  # where from, not what: in the manifest's settings_from
        for name in ("overlay", "detector_options", "regions", "excludes"):
            if not data[name]:
                del data[name]  # added later: unused, they leave an older run's key valid
        if data["clip_method"] == DEFAULT_CLIP_METHOD:
            del data["clip_method"]  # added later: at its default, an older run keeps its key
        if data["model_gate"]:
            del data["model_gate"]  # added later: at its default, an older run's key stays valid
        if not data["intervals"]["separate"]:
            data["intervals"].pop("separate")
        return data

    @property
    def key(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def provenance(self) -> dict[str, Any]:
        """``camera_file`` and ``settings_from`` (name -> origin), as highlights.json records them."""
        return {"camera_file": self.camera_file, "settings_from": dict(self.origins)}

    def with_provenance(self, provenance: dict[str, Any]) -> RunSettings:
        """These settings with ``provenance`` (as ``provenance`` gives it) recorded."""
        origins = tuple(sorted((provenance.get("settings_from") or {}).items()))
        return replace(self, origins=origins, camera_file=provenance.get("camera_file"))

    def given(self) -> dict[str, Any]:
        """The values somebody gave (on the command line, in a highlight.toml: ``origins``), by name.

        What a preset applied on the way (a hoop found in a no-options run) must leave as given.
        """
        values = {}
        for name, _ in self.origins:
            if name in IntervalSettings.__dataclass_fields__:
                values[name] = getattr(self.intervals, name)
            elif name in RunSettings.__dataclass_fields__:
                values[name] = getattr(self, name)
        return values

    def with_intervals(self, **changes: Any) -> RunSettings:
        return replace(self, intervals=replace(self.intervals, **changes))

    def given_plugin_options(self) -> dict[str, dict[str, Any]]:
        """{plugin: {option: value}} for the options somebody gave."""
        return {name: dict(values) for name, values in self.plugin_options}

    def with_changes(self, changes: dict[str, Any]) -> RunSettings:
        """Apply changes by name: interval settings (``threshold``, ``pad_before``...) or run settings.

        ``DETECTOR_DEFAULTS`` (a preset's ``{detector: {option: value}}``) fills in the
        options of this run's detector that nobody gave: given ones win, as over any preset.
        """
        interval_names = set(IntervalSettings.__dataclass_fields__)
        interval_changes = {k: v for k, v in changes.items() if k in interval_names and v is not None}
        run_changes = {
            k: v for k, v in changes.items() if k not in interval_names and k != DETECTOR_DEFAULTS and v is not None
        }
        changed = replace(self, intervals=replace(self.intervals, **interval_changes), **run_changes)
        defaults = (changes.get(DETECTOR_DEFAULTS) or {}).get(changed.detector, {})
        if not defaults:
            return changed
        options = {**defaults, **dict(changed.detector_options)}
        return replace(changed, detector_options=tuple(sorted(options.items())))


def settings_from_dict(data: dict[str, Any]) -> RunSettings:
    """The inverse of ``RunSettings.to_dict`` (for re-cutting a previous run)."""
    data = dict(data)
    intervals = IntervalSettings(**data.pop("intervals", {}))
    clip = ClipSettings(**data.pop("clip", {}))
    plugins = tuple(data.pop("plugins", ()))
    given = data.pop("plugin_options", {})
    overlay = tuple(data.pop("overlay", ()))
    if any(not isinstance(values, dict) for values in given.values()):
        # Before options were declared per plugin, they were one flat dict (overlay among
        # them); only the overlay matters once a run is analysed.
        overlay, given = tuple(given.get("overlay", ())), {}
    for name in ("regions", "excludes"):
        data[name] = tuple(data.get(name, ()))
    known = set(RunSettings.__dataclass_fields__)
    return RunSettings(
        intervals=intervals,
        clip=clip,
        plugins=plugins,
        plugin_options=plugin_options_tuple(given),
        overlay=overlay,
        detector_options=tuple(sorted(data.pop("detector_options", {}).items())),
        **{k: v for k, v in data.items() if k in known},
    )


def plugin_options_tuple(given: dict[str, dict[str, Any]]) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    """The frozen, sorted form ``RunSettings.plugin_options`` keeps (plugins with no value given left out)."""
    return tuple(sorted((name, tuple(sorted(values.items()))) for name, values in given.items() if values))
