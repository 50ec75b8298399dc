"""The plain-text tables a terminal shows: the run summary and ``highlight watch --status``."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as aligned lines: every column padded to its widest cell but the last.

    The last column holds free text (notes, an error) of any length: padding it, or
    padding the others to fit it, would push every row as wide as the longest message,
    so it follows two spaces after the others, and only where it has something to say.
    Trailing spaces are dropped, so that a copied table or a test compares by content.
    """
    if not rows:
        return []
    aligned = len(rows[0]) - 1
    widths = [max(len(row[k]) for row in rows) for k in range(aligned)]
    lines = []
    for row in rows:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row[:aligned], widths))
        if row[aligned]:
            line += "  " + row[aligned]
        lines.append(line.rstrip())
    return lines
