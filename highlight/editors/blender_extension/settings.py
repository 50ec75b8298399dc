"""The add-on's preferences (where the ``highlight`` command is) and the panel's options, kept per scene."""

from __future__ import annotations

import bpy

from .timeline import LAYOUTS

ADDON = __package__


class HighlightPreferences(bpy.types.AddonPreferences):
    """Where the highlight command is, when it is not on PATH."""

    bl_idname = ADDON

    highlight_path: bpy.props.StringProperty(
        name="highlight command",
        description="Path of the highlight executable (empty: the one on PATH)",
        subtype="FILE_PATH",
    )

    def draw(self, context) -> None:
        self.layout.prop(self, "highlight_path")


class HighlightSettings(bpy.types.PropertyGroup):
    """The analysis options the panel offers, where the results go, and how a run is going."""

    preset: bpy.props.StringProperty(name="Preset", description="A preset of highlight run, e.g. shots (empty: none)")
    region: bpy.props.StringProperty(
        name="Region",
        description="Look only here: left,top,width,height as fractions of the frame; several separated by |",
    )
    threshold: bpy.props.FloatProperty(
        name="Threshold", description="Score (0-1) that starts a highlight; 0: the tool's default", min=0.0, max=1.0
    )
    plugins: bpy.props.StringProperty(name="Plugins", description="Plugins to run, comma-separated (e.g. pose,reps)")
    layout: bpy.props.EnumProperty(name="Place", items=LAYOUTS, default="END_TO_END")
    cut_original: bpy.props.BoolProperty(
        name="Cut the original strip",
        description="Cut the original strip (and its sound) down to its highlights in place",
    )
    out_dir: bpy.props.StringProperty(
        name="Results",
        description="Folder for highlights.json (empty: highlights/ beside the .blend file)",
        subtype="DIR_PATH",
    )
    progress: bpy.props.FloatProperty(min=0.0, max=1.0, options={"SKIP_SAVE"})
    status: bpy.props.StringProperty(options={"SKIP_SAVE"})
    error: bpy.props.StringProperty(options={"SKIP_SAVE"})


def preferences(context):
    """This add-on's preferences."""
    return context.preferences.addons[ADDON].preferences
