"""``highlights.json``: the single record of what a run found and wrote for one video.

Everything after analysis (re-cutting, editor timelines, reports, the watch daemon's
bookkeeping) reads this file rather than re-deriving anything.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from highlight import HighlightError, __version__
from highlight.atomic import write_json
from highlight.source import VideoInfo

MANIFEST_FILE = "highlights.json"
FORMAT_VERSION = 1


def new_manifest(info: VideoInfo, settings: dict[str, Any], settings_key: str, detector: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "tool": f"highlight {__version__}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "complete": False,
        "source": info.to_dict(),
        "settings": settings,
        "settings_key": settings_key,
        "applied_intervals": settings.get("intervals", {}),  # what made the intervals (`highlight cut` changes them)
        "detector": detector,
        "scores": "scores.csv",
        "intervals": [],
        "reel": None,
        "plugins": {},
        "errors": [],
        "timing": {},
    }


def save(folder: Path, manifest: dict[str, Any]) -> None:
    write_json(folder / MANIFEST_FILE, manifest)


def load(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE if folder.is_dir() or not folder.suffix else folder
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HighlightError(f"{path}: not found (run `highlight run` on the recording first)") from None
    except json.JSONDecodeError as error:
        raise HighlightError(f"{path}: not valid JSON ({error})") from None


def load_if_present(folder: Path) -> dict[str, Any] | None:
    try:
        return load(folder)
    except HighlightError:
        return None


def same_source(manifest: dict[str, Any], info: VideoInfo) -> bool:
    """Same file content as far as size and modification time tell (a re-export changes both)."""
    source = manifest.get("source", {})
    return source.get("size_bytes") == info.size_bytes and abs(source.get("mtime", -1) - info.mtime) < 1e-3


def is_done(manifest: dict[str, Any] | None, info: VideoInfo, settings_key: str, folder: Path) -> bool:
    """A finished run of this source with these settings whose every output is still there."""
    if not manifest or not manifest.get("complete") or manifest.get("settings_key") != settings_key:
        return False
    if not same_source(manifest, info):
        return False
    return all((folder / name).is_file() for name in output_files(manifest))


def output_files(manifest: dict[str, Any]) -> list[str]:
    names = [manifest.get("scores") or "scores.csv"]
    for interval in manifest.get("intervals", []):
        names += [interval[key] for key in ("clip", "slowmo_clip") if interval.get(key)]
    if manifest.get("reel"):
        names.append(manifest["reel"])
    return names
