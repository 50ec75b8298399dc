"""The add-on's operators, one a file (as in Power Sequencer); ``CLASSES`` is what ``register`` registers."""

from __future__ import annotations

from . import cancel, find, import_highlights

CLASSES = (
    find.SEQUENCER_OT_highlight_find,
    cancel.SEQUENCER_OT_highlight_cancel,
    import_highlights.SEQUENCER_OT_highlight_import,
)
