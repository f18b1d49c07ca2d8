"""A rich Table that measures a long column from the few cells its width depends on (issue 11).

Before a rich Table prints its first line it measures every cell of every column, turning each
string into a Text (markup, emoji codes) only to learn its longest word and its longest line,
and does it again when the table must shrink to the terminal. For a 1,000-row `trackbot status`
table that is 10,000 measurements and most of the time to its first row.

A column's measurement is the largest of its cells' (longest word, longest line), each clamped to
the width available, so it is the same for the column reduced to: the plain string with the
longest word, the plain string with the longest line, and every cell that is not plain (markup,
an emoji code, a wide character, not a string) as it is. A plain string (ASCII, printable, no
markup, no room for a :code:) takes one column per character, so those two are found from the
strings themselves. rich then measures that short column with its own rules: the layout is the
one it would have chosen (tests/test_startup.py compares the two at many widths).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rich.table import Column, Table

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.measure import Measurement


class MeasuredTable(Table):
    """A Table whose columns rich measures from their representative cells only."""

    def _measure_column(self, console: Console, options: ConsoleOptions, column: Column) -> Measurement:
        # rich's own measurement (called for every column before the first line), on a shorter column
        return super()._measure_column(console, options, representatives(column))


def representatives(column: Column) -> Column:
    """`column` with only the cells its measurement depends on (see the module's docstring)."""
    kept: list[RenderableType] = []
    word_cell = line_cell = None
    word = line = -1
    for cell in column.cells:
        if not (isinstance(cell, str) and cell.isascii() and cell.isprintable() and "[" not in cell
                and cell.count(":") < 2):
            kept.append(cell)
            continue
        longest_word = max(map(len, cell.split()), default=len(cell))  # as rich's Text measures itself
        if longest_word > word:
            word, word_cell = longest_word, cell
        if len(cell) > line:
            line, line_cell = len(cell), cell
    kept += [cell for cell in (word_cell, line_cell) if cell is not None]
    return dataclasses.replace(column, _cells=kept)
