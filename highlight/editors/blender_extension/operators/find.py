"""``bpy.ops.sequencer.highlight_find()``: run ``highlight`` on the selected movie strips in the background.

The process is started here and left running; ``poll_job``, registered with
``bpy.app.timers``, follows it a few times a second (progress into the panel) and,
when it ends, lays out what it found with the panel's options, or shows its one-line
error. One analysis at a time: the running one is module state, as Blender itself
keeps one modal job per kind.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import bpy

from ..job import Job, find_command, run_arguments
from ..settings import preferences
from ..timeline import ManifestError, lay_out, read_manifest

POLL_INTERVAL_S = 0.25
_running: Job | None = None


def running_job() -> Job | None:
    """The analysis running now, if any (the panel shows its progress and a Cancel button)."""
    return _running


def stop_running_job() -> None:
    """Cancel the analysis if one runs (the panel's Cancel, or the add-on being disabled)."""
    if _running is not None:
        _running.cancel()


def selected_recordings(scene) -> dict[str, float]:
    """{recording path: its length in seconds} of the selected movie strips."""
    editor = scene.sequence_editor
    if editor is None:
        return {}
    found = {}
    for strip in editor.strips_all:
        if strip.select and strip.type == "MOVIE":
            found[str(Path(bpy.path.abspath(strip.filepath)).resolve())] = strip.frame_duration / (strip.fps or 25.0)
    return found


def output_folder(settings) -> Path:
    """The panel's folder, else highlights/ beside the saved .blend, else one in the temporary folder."""
    if settings.out_dir:
        return Path(bpy.path.abspath(settings.out_dir))
    if bpy.data.filepath:
        return Path(bpy.path.abspath("//highlights"))
    return Path(tempfile.gettempdir()) / "blender_highlights"


class SEQUENCER_OT_highlight_find(bpy.types.Operator):
    """Find the highlights of the selected movie strips with the highlight command, then lay them out"""

    bl_idname = "sequencer.highlight_find"
    bl_label = "Find Highlights"

    @classmethod
    def poll(cls, context) -> bool:
        return _running is None and bool(selected_recordings(context.scene))

    def execute(self, context):
        global _running
        settings = context.scene.highlight
        try:
            command = find_command(preferences(context).highlight_path)
        except FileNotFoundError as error:
            settings.error = str(error)
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        recordings = selected_recordings(context.scene)
        out = output_folder(settings)
        arguments = run_arguments(
            list(recordings), str(out), settings.preset, settings.region, settings.threshold, settings.plugins
        )
        _running = Job([command, *arguments], out, time_limit_s=10 * sum(recordings.values()) + 600)
        try:
            _running.start()
        except OSError as error:
            _running = None
            settings.error = f"cannot start {command}: {error}"
            self.report({"ERROR"}, settings.error)
            return {"CANCELLED"}
        settings.error, settings.status, settings.progress = "", "Finding highlights", 0.0
        bpy.app.timers.register(
            functools.partial(poll_job, context.scene.name, list(recordings)), first_interval=POLL_INTERVAL_S
        )
        return {"FINISHED"}


def poll_job(scene_name: str, recordings: list[str]) -> float | None:
    """The timer: progress while the process runs; its results (or error) once it has ended."""
    global _running
    job, scene = _running, bpy.data.scenes.get(scene_name)
    if job is None or scene is None:
        stop_running_job()
        _running = None
        return None
    settings = scene.highlight
    if not job.finished():
        settings.progress = job.progress
        _redraw()
        return POLL_INTERVAL_S
    _running = None
    settings.progress = 1.0
    error = job.error()
    if not error:
        try:
            count = sum(
                len(lay_out(scene, manifest, settings.layout, settings.cut_original))
                for manifest in _manifests(job.out, recordings, job.command[0])
            )
            settings.status = f"{count} highlights found"
        except ManifestError as problem:
            error = str(problem)
    settings.error = error
    if error:
        settings.status = ""
    _redraw()
    return None


def _manifests(out: Path, recordings: list[str], command: str):
    """The manifests the run wrote for ``recordings``, in their order (reviewed ones as ``command`` applies the review)."""
    by_recording, unread = {}, []
    for path in sorted(out.rglob("highlights.json")):
        try:
            manifest = read_manifest(path, command)
        except ManifestError as error:
            unread.append(str(error))
            continue
        by_recording[str(manifest.recording.resolve())] = manifest
    missing = [r for r in recordings if r not in by_recording]
    if missing:
        why = f" ({unread[0]})" if unread else ""
        raise ManifestError(f"{out}: no highlights.json for {', '.join(missing)}{why}")
    return [by_recording[r] for r in recordings]


def _redraw() -> None:
    for window in getattr(bpy.context.window_manager, "windows", ()):
        for area in window.screen.areas:
            if area.type == "SEQUENCE_EDITOR":
                area.tag_redraw()
