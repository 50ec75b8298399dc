"""Drive the Blender add-on headless (run by tests/test_blender_addon.py with the bpy venv's Python).

    python blender_scenario.py EXTENSION_ZIP HIGHLIGHT_COMMAND RECORDING WORK_DIR

Installs and enables the extension, then in fresh scenes: finds highlights on a movie
strip of RECORDING (the real command in the background, followed by calling the
timer's function, as Blender's event loop would), cancels a second run, provokes the
command's errors, imports the resulting highlights.json at source times and cut into
the original strip, imports a reviewed recording's (WORK_DIR/reviewed), and renders a few frames. Everything seen is written to
WORK_DIR/scenario.json for the test to check; nothing is judged here.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import bpy

EXTENSION, COMMAND, RECORDING, WORK = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
PACKAGE = "bl_ext.user_default.highlight"


def new_scene(name: str, at: int = 1, sound: bool = True):
    """A scene holding the recording as Blender's "add movie" leaves it: a movie strip and its sound, selected."""
    scene = bpy.data.scenes.new(name)
    editor = scene.sequence_editor_create()
    movie = editor.strips.new_movie("original", str(RECORDING), 1, at)
    if sound:
        editor.strips.new_sound("original sound", str(RECORDING), 2, at)
    movie.select = True
    return scene


def strips(scene) -> list[dict]:
    return [
        {
            "name": s.name,
            "type": s.type,
            "channel": s.channel,
            "start": s.frame_final_start,
            "end": s.frame_final_end,
            "content_start": s.frame_start,
        }
        for s in sorted(scene.sequence_editor.strips_all, key=lambda s: (s.channel, s.frame_final_start))
    ]


def markers(scene) -> list[dict]:
    return [{"name": m.name, "frame": m.frame} for m in sorted(scene.timeline_markers, key=lambda m: m.frame)]


def run_find(scene, cancel_after_s: float | None = None) -> dict:
    """bpy.ops.sequencer.highlight_find(), then the timer's function until it stops asking to be called."""
    find = sys.modules[f"{PACKAGE}.operators.find"]
    with bpy.context.temp_override(scene=scene):
        result = bpy.ops.sequencer.highlight_find()
    recordings = list(find.selected_recordings(scene))
    progress, started = [], time.monotonic()
    running = find.running_job() is not None
    while find.running_job() is not None:
        if cancel_after_s is not None and time.monotonic() - started > cancel_after_s:
            with bpy.context.temp_override(scene=scene):
                bpy.ops.sequencer.highlight_cancel()
        if find.poll_job(scene.name, recordings) is None:
            break
        progress.append(round(scene.highlight.progress, 3))
        time.sleep(0.1)
    return {
        "result": sorted(result),
        "ran": running,
        "seconds": round(time.monotonic() - started, 1),
        "progress": progress,
        "status": scene.highlight.status,
        "error": scene.highlight.error,
    }


def render(scene, frames: list[int], stem: str) -> list[str]:
    """The sequencer's output at ``frames`` as PNGs (Standard view: the pixels of the movie, untouched)."""
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    written = []
    for frame in frames:
        scene.frame_set(frame)
        path = WORK / f"{stem}_{frame}.png"
        scene.render.filepath = str(path)
        with bpy.context.temp_override(scene=scene):
            bpy.ops.render.render(write_still=True, scene=scene.name)
        written.append(str(path))
    return written


def main() -> None:
    report: dict = {}
    bpy.ops.extensions.package_install_files(filepath=EXTENSION, repo="user_default", enable_on_install=True)
    preferences = bpy.context.preferences.addons[PACKAGE].preferences
    preferences.highlight_path = COMMAND
    panel = getattr(bpy.types, "SEQUENCER_PT_highlights", None)
    report["panel"] = {"registered": panel is not None, "space": panel and panel.bl_space_type}
    report["panel"]["category"] = panel and panel.bl_category
    unselected = new_scene("nothing selected")
    unselected.sequence_editor.strips_all[0].select = False
    with bpy.context.temp_override(scene=unselected):
        report["panel"]["find_without_selection"] = bpy.ops.sequencer.highlight_find.poll()

    # Find, end to end (the panel's default), on new channels above the original.
    scene = new_scene("find")
    scene.highlight.out_dir = str(WORK / "found")
    report["find"] = run_find(scene)
    report["find"].update(
        strips=strips(scene),
        markers=markers(scene),
        rate=[scene.render.fps, scene.render.fps_base],
        frame_range=[scene.frame_start, scene.frame_end],
    )
    made = [s for s in strips(scene) if s["type"] == "MOVIE" and s["channel"] > 2]
    report["find"]["renders"] = {
        str(frame): path
        for frame, path in zip(
            [s["start"] + 2 for s in made[:2]], render(scene, [s["start"] + 2 for s in made[:2]], "find")
        )
    }

    # Cancel: a second run (into a new folder, so it has work to do) stopped after a moment.
    scene = new_scene("cancel")
    scene.highlight.out_dir = str(WORK / "cancelled")
    report["cancel"] = run_find(scene, cancel_after_s=0.5)
    report["cancel"]["strips"] = len(strips(scene))

    # Errors: an option the command refuses; a recording it cannot read; no command at all.
    scene = new_scene("refused")
    scene.highlight.out_dir = str(WORK / "refused")
    scene.highlight.preset = "nosuch"
    report["refused"] = run_find(scene)
    damaged = WORK / "damaged.mp4"
    damaged.write_bytes(RECORDING.read_bytes()[:3000])
    scene = new_scene("damaged", sound=False)
    scene.highlight.out_dir = str(WORK / "damaged")
    scene.sequence_editor.strips_all[0].filepath = str(damaged)
    report["damaged"] = run_find(scene)
    preferences.highlight_path = str(WORK / "no-such-highlight")
    scene = new_scene("missing")
    try:
        report["missing"] = run_find(scene)
    except RuntimeError as error:  # an operator that reports an error raises here, headless
        report["missing"] = {"raised": str(error), "error": scene.highlight.error}
    preferences.highlight_path = COMMAND

    # Import the highlights.json found above: at source times beside the original (which starts at 101) ...
    manifest = next((WORK / "found").rglob("highlights.json"))
    report["manifest"] = str(manifest)
    scene = new_scene("source_times", at=101)
    with bpy.context.temp_override(scene=scene):
        report["source_times"] = {
            "result": sorted(bpy.ops.sequencer.highlight_import(filepath=str(manifest), layout="SOURCE_TIMES"))
        }
    report["source_times"].update(strips=strips(scene), markers=markers(scene))
    # ... and cut into the original strip in place.
    scene = new_scene("cut", at=101)
    with bpy.context.temp_override(scene=scene):
        report["cut"] = {
            "result": sorted(bpy.ops.sequencer.highlight_import(filepath=str(manifest), cut_original=True))
        }
    report["cut"].update(strips=strips(scene), markers=markers(scene))
    cut_movies = [s for s in report["cut"]["strips"] if s["type"] == "MOVIE"]
    report["cut"]["renders"] = {
        str(s["start"] + 1): path
        for s, path in zip(cut_movies[:1], render(scene, [s["start"] + 1 for s in cut_movies[:1]], "cut"))
    }
    # A recording reviewed in highlight review (WORK_DIR/reviewed, made by the test): only what was kept ...
    reviewed = next((WORK / "reviewed").rglob("highlights.json"))
    scene = new_scene("reviewed", at=101)
    with bpy.context.temp_override(scene=scene):
        report["reviewed"] = {
            "result": sorted(bpy.ops.sequencer.highlight_import(filepath=str(reviewed), layout="SOURCE_TIMES"))
        }
    report["reviewed"].update(strips=strips(scene), markers=markers(scene))
    # ... and without the command that applies the review: one line, nothing added (not the detected highlights).
    preferences.highlight_path = str(WORK / "no-such-highlight")
    scene = new_scene("reviewed_without_command")
    try:
        with bpy.context.temp_override(scene=scene):
            bpy.ops.sequencer.highlight_import(filepath=str(reviewed))
        report["reviewed_without_command"] = {"raised": ""}
    except RuntimeError as error:
        report["reviewed_without_command"] = {"raised": str(error), "strips": len(strips(scene))}
    preferences.highlight_path = COMMAND
    # A manifest that is not there: one line, nothing added.
    scene = new_scene("bad_manifest")
    try:
        with bpy.context.temp_override(scene=scene):
            bpy.ops.sequencer.highlight_import(filepath=str(WORK / "nowhere" / "highlights.json"))
        report["bad_manifest"] = {"raised": ""}
    except RuntimeError as error:
        report["bad_manifest"] = {"raised": str(error), "error": scene.highlight.error, "strips": len(strips(scene))}

    import addon_utils

    addon_utils.disable(PACKAGE)  # unregister(): the operators and the panel go
    report["disabled"] = {"find_operator_left": hasattr(bpy.types, "SEQUENCER_OT_highlight_find")}
    (WORK / "scenario.json").write_text(json.dumps(report, indent=1))
    shutil.rmtree(WORK / "cancelled", ignore_errors=True)


if __name__ == "__main__":
    main()
