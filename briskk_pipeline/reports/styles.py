"""Cell styles a report writes many times: computed once per distinct style, then copied.

openpyxl finds a style object (Font, PatternFill, Alignment, a named style) in the workbook's
style lists each time one is assigned to a cell (`StyleDescriptor.__set__` →
`IndexedList.add`, which hashes the object field by field): tens of microseconds per
assignment, most of the time a 4,000-row Problems sheet took. A cell's style is a small array
of those list indices (`Cell._style`, a `StyleArray`); giving a cell a copy of the array of a
cell styled the same way is how openpyxl's own `WorksheetCopy` copies styles, and costs about
a microsecond. The result is the same workbook, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from copy import copy
from typing import Any

from openpyxl.styles.cell_style import StyleArray


class StyleCache:
    """Styles made on one workbook, by (the cell's style before, what was applied).

    Indices are the workbook's own: use one cache per workbook being written.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[tuple[int, ...], Hashable], Any] = {}

    def restyle(self, cell: Any, key: Hashable, apply: Callable[[Any], None]) -> None:
        """Give `cell` the style `apply(cell)` would give it.

        `key` names what `apply` does (the same key, the same change, on every call); the
        first cell with a given style before the change runs `apply`, every later one gets a
        copy of that cell's resulting style array.
        """
        if not cell._style:  # a cell openpyxl read without a style of its own
            cell._style = StyleArray()
        made_key = (tuple(cell._style), key)
        made = self._made.get(made_key)
        if made is None:
            apply(cell)
            self._made[made_key] = copy(cell._style)
        else:
            cell._style = copy(made)
