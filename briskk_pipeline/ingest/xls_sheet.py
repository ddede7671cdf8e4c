"""The structure of a BIFF (.xls) sheet: merged cells, hidden rows and columns, number and
date formats — what `structure.py` reads from an xlsx's XML — through xlrd with
`formatting_info=True` (its `merged_cells`, `rowinfo_map`, `colinfo_map`, XF records)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from briskk_pipeline.ingest import number_formats
from briskk_pipeline.ingest.excel_dates import short_date_code

if TYPE_CHECKING:  # structure.py imports this module to open .xls sheets
    from briskk_pipeline.ingest.structure import SheetStructure


class XlsSheet:
    """One sheet of a BIFF (.xls) workbook, read by xlrd with its formatting records."""

    def __init__(self, data: bytes, sheet_name: str) -> None:
        import xlrd  # only .xls uploads need it

        self._xlrd = xlrd
        self.book = xlrd.open_workbook(file_contents=data, formatting_info=True)
        self.sheet = self.book.sheet_by_name(sheet_name)

    def structure(self) -> SheetStructure:
        """Merged cells and hidden rows/columns (xlrd: `merged_cells`, `rowinfo_map`, ...)."""
        from briskk_pipeline.ingest.structure import SheetStructure

        sheet = self.sheet
        result = SheetStructure()
        result.merged = [(r1, c1, r2 - 1, c2 - 1) for r1, r2, c1, c2 in sheet.merged_cells]
        result.hidden_rows = [(r, r) for r, info in sheet.rowinfo_map.items() if info.hidden]
        result.hidden_columns = {c for c, info in sheet.colinfo_map.items() if info.hidden}
        codes = self._number_codes()
        if codes:
            number = self._xlrd.XL_CELL_NUMBER
            for row in range(sheet.nrows):
                kinds = sheet.row_types(row)
                for column, kind in enumerate(kinds):
                    if kind == number:
                        code = codes.get(sheet.cell_xf_index(row, column))
                        if code is not None:
                            result.number_formats.setdefault((column, code), []).append(row)
        return result

    def _number_codes(self) -> dict[int, str]:
        """XF index -> number format code, for formats neither General, Text nor a date."""
        codes: dict[int, str] = {}
        for index, xf in enumerate(self.book.xf_list):
            fmt = self.book.format_map.get(xf.format_key)
            if (
                fmt is not None
                and fmt.type != self._xlrd.formatting.FDT
                and not number_formats.parse(fmt.format_str).general
            ):
                codes[index] = fmt.format_str
        return codes

    def numeric_formats(self, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Which `cells` hold numbers, and their number format codes (General when plain)."""
        sheet, found = self.sheet, {}
        codes = self._number_codes()
        for row, column in cells:
            if (
                row < sheet.nrows
                and column < sheet.ncols
                and sheet.cell_type(row, column) == self._xlrd.XL_CELL_NUMBER
            ):
                found[(row, column)] = codes.get(sheet.cell_xf_index(row, column), "General")
        return found

    def resolve_dates(self, cells: Iterable[tuple[int, int]], result: SheetStructure) -> None:
        """Which `cells` are date cells (`XL_CELL_DATE`), and their number formats."""
        sheet, book = self.sheet, self.book
        for row, column in cells:
            if row >= sheet.nrows or column >= sheet.ncols:
                continue
            cell = sheet.cell(row, column)
            if cell.ctype != self._xlrd.XL_CELL_DATE:
                result.not_dates.add((row, column))
                continue
            xf = book.xf_list[cell.xf_index]
            fmt = book.format_map.get(xf.format_key)
            result.date_format[(row, column)] = (
                short_date_code(xf.format_key, fmt.format_str) if fmt is not None else None
            )
