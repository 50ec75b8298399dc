"""Highlights for Blender's Video Sequencer: find the action in the selected movie strips, lay it out.

Packed as the extension's ``__init__.py`` by ``highlight editor blender``. A "Highlights"
tab in the sequencer's sidebar runs ``bpy.ops.sequencer.highlight_find()`` (the
``highlight`` command in a background process, with progress, cancel and its one-line
error) and ``bpy.ops.sequencer.highlight_import(filepath=...)`` (any ``highlights.json``
laid out as movie and sound strips, a marker at each peak).
"""

from __future__ import annotations

import bpy

from . import operators, panel, settings

# In the order Blender needs them: the property group before the operators and panel that use it.
CLASSES = (
    settings.HighlightPreferences,
    settings.HighlightSettings,
    *operators.CLASSES,
    panel.SEQUENCER_PT_highlights,
)


def register() -> None:
    """Blender calls this when the extension is enabled."""
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.highlight = bpy.props.PointerProperty(type=settings.HighlightSettings)


def unregister() -> None:
    """Blender calls this when the extension is disabled: a running analysis is stopped first."""
    operators.find.stop_running_job()
    del bpy.types.Scene.highlight
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
