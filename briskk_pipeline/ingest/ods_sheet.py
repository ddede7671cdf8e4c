"""The structure of an OpenDocument spreadsheet table: merged cells, hidden rows and columns,
what each date, error and number cell shows — what `structure.py` reads from an xlsx's XML.
`content.xml` is parsed with defusedxml's iterparse (OpenDocument 1.3 §9.1:
`table:number-rows-spanned`, `table:visibility`, repeated rows and cells; a cell carries the
text it shows, LibreOffice marks error cells with `calcext:value-type="error"`)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from defusedxml import ElementTree

if TYPE_CHECKING:  # structure.py imports this module to open .ods sheets
    from briskk_pipeline.ingest.structure import SheetStructure

_NS_TABLE: Final = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_NS_OFFICE: Final = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_NS_TEXT: Final = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_NS_CALCEXT: Final = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"


class OdsSheet:
    """One table of an OpenDocument spreadsheet; date cells carry the text they display."""

    def __init__(self, data: bytes, sheet_name: str) -> None:
        self.data, self.sheet_name = data, sheet_name

    def structure(self) -> SheetStructure:
        """Merged cells, hidden rows/columns and what each date cell shows."""
        return _ods_structure(self.data, self.sheet_name)

    def resolve_dates(self, cells: Iterable[tuple[int, int]], result: SheetStructure) -> None:
        """Nothing to do: `structure` already holds every date cell's displayed text."""

    def numeric_formats(self, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Nothing to add: `structure.number_display` holds every number cell whose display
        differs from its value (an ods cell carries the text it shows)."""
        return {}


def _ods_structure(data: bytes, sheet_name: str) -> SheetStructure:
    from briskk_pipeline.ingest.structure import SheetStructure

    t = f"{{{_NS_TABLE}}}"
    with zipfile.ZipFile(io.BytesIO(data)) as package, package.open("content.xml") as content:
        result = SheetStructure()
        inside, row, column = False, 0, 0
        for event, element in ElementTree.iterparse(content, events=("start", "end")):
            tag = element.tag
            if tag == f"{t}table":
                if event == "start":
                    inside = element.get(f"{t}name") == sheet_name
                    row = 0
                elif inside:
                    return result
                continue
            if not inside:
                if event == "end":
                    element.clear()
                continue
            if tag == f"{t}table-column" and event == "start":
                repeat = int(element.get(f"{t}number-columns-repeated", "1"))
                if element.get(f"{t}visibility", "visible") != "visible":
                    result.hidden_columns.update(range(column, column + min(repeat, 16384)))
                column += repeat
            elif tag == f"{t}table-row":
                repeat = int(element.get(f"{t}number-rows-repeated", "1"))
                if event == "start":
                    column = 0
                    if element.get(f"{t}visibility", "visible") != "visible":
                        result.hidden_rows.append((row, row + repeat - 1))
                else:
                    row += repeat
                    element.clear()
            elif tag in (f"{t}table-cell", f"{t}covered-table-cell") and event == "end":
                repeat = int(element.get(f"{t}number-columns-repeated", "1"))
                rows_spanned = int(element.get(f"{t}number-rows-spanned", "1"))
                columns_spanned = int(element.get(f"{t}number-columns-spanned", "1"))
                if rows_spanned > 1 or columns_spanned > 1:
                    result.merged.append(
                        (row, column, row + rows_spanned - 1, column + columns_spanned - 1)
                    )
                kind = element.get(f"{{{_NS_OFFICE}}}value-type")
                if kind in ("date", "time"):
                    shown = "".join(p.text or "" for p in element.iter(f"{{{_NS_TEXT}}}p"))
                    result.date_display[(row, column)] = shown
                elif kind is not None:
                    result.not_dates.add((row, column))
                if element.get(f"{{{_NS_CALCEXT}}}value-type") == "error":  # LibreOffice
                    shown = "".join(p.text or "" for p in element.iter(f"{{{_NS_TEXT}}}p"))
                    result.errors[(row, column)] = shown.strip() or "#N/A"
                if kind in ("float", "percentage", "currency"):
                    shown = "".join(p.text or "" for p in element.iter(f"{{{_NS_TEXT}}}p"))
                    if shown != element.get(f"{{{_NS_OFFICE}}}value"):
                        result.number_display[(row, column)] = (shown, kind)
                column += repeat
        return result
