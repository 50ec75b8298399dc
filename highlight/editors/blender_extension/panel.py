"""The "Highlights" tab of the sequencer's sidebar."""

from __future__ import annotations

import bpy

from .operators import find


class SEQUENCER_PT_highlights(bpy.types.Panel):
    """Find highlights in the selected strips, or import a highlights.json."""

    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Highlights"
    bl_label = "Highlights"

    def draw(self, context) -> None:
        settings = context.scene.highlight
        layout = self.layout
        column = layout.column()
        for name in ("preset", "region", "threshold", "plugins"):
            column.prop(settings, name)
        layout.prop(settings, "layout")
        layout.prop(settings, "cut_original")
        layout.prop(settings, "out_dir")
        if find.running_job() is not None:
            layout.progress(factor=settings.progress, type="BAR", text=f"Finding highlights {settings.progress:.0%}")
            layout.operator("sequencer.highlight_cancel", icon="CANCEL")
        else:
            layout.operator("sequencer.highlight_find", icon="VIEWZOOM")
        layout.operator("sequencer.highlight_import", icon="IMPORT")
        if settings.error:
            layout.label(text=settings.error, icon="ERROR")
        elif settings.status:
            layout.label(text=settings.status, icon="INFO")
