"""``bpy.ops.sequencer.highlight_cancel()``: stop the running analysis."""

from __future__ import annotations

import bpy

from . import find


class SEQUENCER_OT_highlight_cancel(bpy.types.Operator):
    """Stop finding highlights (nothing is added to the timeline)"""

    bl_idname = "sequencer.highlight_cancel"
    bl_label = "Cancel"

    @classmethod
    def poll(cls, context) -> bool:
        return find.running_job() is not None

    def execute(self, context):
        find.stop_running_job()
        return {"FINISHED"}
