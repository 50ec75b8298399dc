"""Named bundles of settings for a kind of recording (``--preset NAME``).

Each preset is declared once here, with the one-line description the command line
and the README show; options given explicitly on the command line win over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

# A preset's changes may hold, under this name, option values for a detector: {detector: {option: value}}.
# They fill in what nobody gave (``RunSettings.with_changes``).
DETECTOR_DEFAULTS = "detector_defaults"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    # RunSettings / IntervalSettings names -> values; DETECTOR_DEFAULTS -> {detector: {option: value}}
    changes: Mapping[str, Any]


PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        preset.name: preset
        for preset in (
            Preset(
                "shots",
                "one clip per shot: use with --region around the hoop; 2 s lead-in to see the release, "
                "2 s tail for the result, shots close together kept apart (padding stops halfway "
                "between them) while a ball back at the hoop within 0.8 s (a bounce on the rim) stays "
                "with its shot, short events kept, someone walking past in front of the hoop left out; "
                "analyses 10 frames a second throughout",
                MappingProxyType(
                    {
                        # the detector sees the ball at the hoop: the release is about a second before
                        "pad_before": 2.0,
                        # the result (in, rim, rebound) is over within two seconds of the ball leaving the hoop area
                        "pad_after": 2.0,
                        # a ball back in the region within 0.8 s bounced on the rim or the board: rising
                        # 0.8 m beyond the region and falling back takes that long (2 sqrt(2h / g)). It is
                        # the same attempt, its result; a new one needs a catch and a release, over a second
                        "merge_gap": 0.8,
                        "separate": True,
                        # a ball crossing a hoop region is in it for a fraction of a second: what
                        # outlasts the 0.3 s median below is a ball, however short
                        "min_duration": 0.1,
                        "smooth": 0.3,
                        # a ball crosses the hoop region in a few tenths of a second: look often, also
                        # while the region is quiet (no keyframe-only skipping), or it passes unseen
                        "sample_fps": 10.0,
                        "skip_quiet": False,
                        # a shot is the ball at the hoop: a body passing in front of it is not
                        # (highlight.scorers.bodies)
                        DETECTOR_DEFAULTS: MappingProxyType({"motion": MappingProxyType({"ball_only": True})}),
                    }
                ),
            ),
        )
    }
)


def with_preset(name: str | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The preset's changes under the options the user gave (theirs win); ValueError for an unknown name."""
    if name is None:
        return dict(given)
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from: {', '.join(sorted(PRESETS))}")
    return {**PRESETS[name].changes, **{k: v for k, v in given.items() if v is not None}}
