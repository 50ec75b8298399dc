"""``bpy.ops.sequencer.highlight_import(filepath=...)``: a highlights.json from any run, laid out in the sequencer."""

from __future__ import annotations

import bpy

from ..job import find_command
from ..settings import preferences
from ..timeline import LAYOUTS, ManifestError, lay_out, read_manifest


class SEQUENCER_OT_highlight_import(bpy.types.Operator):
    """Lay out a highlights.json: its highlights as movie and sound strips, a marker at each peak"""

    bl_idname = "sequencer.highlight_import"
    bl_label = "Import Highlights"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="highlights.json", subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})
    layout: bpy.props.EnumProperty(name="Place", items=LAYOUTS, default="END_TO_END")
    cut_original: bpy.props.BoolProperty(
        name="Cut the original strip",
        description="Cut the original strip (and its sound) down to its highlights in place",
    )

    def invoke(self, context, event):
        settings = context.scene.highlight
        self.layout, self.cut_original = settings.layout, settings.cut_original
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        settings = context.scene.highlight
        try:  # a reviewed recording needs it (read_manifest); another reads without
            command = find_command(preferences(context).highlight_path)
        except FileNotFoundError:
            command = None
        try:
            manifest = read_manifest(bpy.path.abspath(self.filepath), command)
        except ManifestError as error:
            settings.error = str(error)
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        made = lay_out(context.scene, manifest, self.layout, self.cut_original)
        settings.error, settings.status = "", f"{len(made)} highlights from {manifest.recording.name}"
        self.report({"INFO"}, settings.status)
        return {"FINISHED"}
