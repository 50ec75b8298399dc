"""Everything a run is configured by, in one frozen object.

Its ``key`` is a hash of what changes the outputs: a re-run with the same key over an
unchanged source is skipped; any change (threshold, padding, slow motion, plugins)
makes the video be processed again. Settings added later (regions, separate clips)
are left out of it while at their default, so an older run keeps its key and is not
redone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from highlight.export.clips import ClipSettings
from highlight.intervals import IntervalSettings
from highlight.regions import parse_regions


@dataclass(frozen=True)
class RunSettings:
    detector: str = "motion"
    model: str | None = None  # a trained classifier's folder; the CLI fills in its thresholds
    sample_fps: float = 2.0  # analysis rate; edges are refined at full rate
    skip_quiet: bool = True  # a quiet keyframe lets the rest of its GOP go undecoded
    intervals: IntervalSettings = field(default_factory=IntervalSettings)
    clips: bool = True
    slowmo: float | None = None  # e.g. 0.5: also write half-speed clips
    reel: bool = False
    clip: ClipSettings = field(default_factory=ClipSettings)
    plugins: tuple[str, ...] = ()
    plugin_options: tuple[tuple[str, Any], ...] = ()  # sorted (name, value) pairs
    regions: tuple[str, ...] = ()  # --region: where to look (canonical text, see highlight.regions)
    excludes: tuple[str, ...] = ()  # --exclude: where not to look

    def __post_init__(self) -> None:
        # Canonical text: "0.5,0.1,0.2,0.3" and " .5, .1, .2, .3" are one setting (and one key).
        object.__setattr__(self, "regions", tuple(str(r) for r in parse_regions(self.regions)))
        object.__setattr__(self, "excludes", tuple(str(r) for r in parse_regions(self.excludes)))
        if self.sample_fps <= 0:
            raise ValueError("sample-fps must be positive")
        if self.slowmo is not None and not 0 < self.slowmo < 1:
            raise ValueError("slowmo is a speed factor between 0 and 1, e.g. 0.5 for half speed")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["plugin_options"] = dict(self.plugin_options)
        data["clip"].pop("threads")  # how fast, not what: not part of the result
        for name in ("regions", "excludes"):
            if not data[name]:
                data.pop(name)  # added later: at their default, an older run's key stays valid
        if not data["intervals"]["separate"]:
            data["intervals"].pop("separate")
        return data

    @property
    def key(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def with_intervals(self, **changes: Any) -> "RunSettings":
        return replace(self, intervals=replace(self.intervals, **changes))

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.plugin_options)

    def with_changes(self, changes: dict[str, Any]) -> "RunSettings":
        """Apply changes by name: interval settings (``threshold``, ``pad_before``...) or run settings."""
        interval_names = set(IntervalSettings.__dataclass_fields__)
        interval_changes = {k: v for k, v in changes.items() if k in interval_names and v is not None}
        run_changes = {k: v for k, v in changes.items() if k not in interval_names and v is not None}
        return replace(self, intervals=replace(self.intervals, **interval_changes), **run_changes)


def settings_from_dict(data: dict[str, Any]) -> RunSettings:
    """The inverse of ``RunSettings.to_dict`` (for re-cutting a previous run)."""
    data = dict(data)
    intervals = IntervalSettings(**data.pop("intervals", {}))
    clip = ClipSettings(**data.pop("clip", {}))
    plugins = tuple(data.pop("plugins", ()))
    options = tuple(sorted(data.pop("plugin_options", {}).items()))
    for name in ("regions", "excludes"):
        data[name] = tuple(data.get(name, ()))
    known = set(RunSettings.__dataclass_fields__)
    return RunSettings(
        intervals=intervals, clip=clip, plugins=plugins, plugin_options=options,
        **{k: v for k, v in data.items() if k in known},
    )
