"""Inside an editor: the Blender Video Sequencer add-on and the command that packs it.

The editor side stays thin (see DESIGN.md, "Inside an editor"): the add-on runs the
``highlight`` command in a background process and reads the ``highlights.json`` it
writes; the analysis never runs in the editor's Python. ``blender_extension/`` is the
add-on's source, a folder Blender loads as a package (it is not one of this package's
modules: it imports ``bpy``); ``blender.py`` zips it into an installable extension.
"""
