"""The structure of an .xlsb (Excel Binary Workbook) sheet: merged ranges, hidden rows and
columns, number formats of number cells — what `structure.py` reads from an xlsx's XML.

calamine (fastexcel) reads an .xlsb's values; nothing on PyPI reads the rest (checked:
`pyxlsb` and `pyxlsb2` parse cells and styles but skip the row and column flags and the merged
cells; `pyxlsbwriter` only writes values). An .xlsb is the xlsx package with binary parts, each
a sequence of records ([MS-XLSB] §2.1.4: a record type and a size as 7-bit varints, then the
payload), so the few records that matter are read here:

- `xl/workbook.bin`: `BrtBundleSh` (156) — sheet name and relationship id (§2.4.304);
  `xl/_rels/workbook.bin.rels` is XML as in an xlsx.
- `xl/styles.bin`: `BrtFmt` (44) — number format id and code (§2.4.648); the `BrtXF` (47)
  records between `BrtBeginCellXFs` (617) and `BrtEndCellXFs` (618) — cell style i's number
  format id at offset 2 (§2.4.812).
- the sheet part: `BrtRowHdr` (0) — row, and `fDyZero` (hidden) in bit 12 of the flags at
  offset 10 (§2.4.726); `BrtColInfo` (60) — first and last column, `fHidden` in bit 0 of the
  flags at offset 16 (§2.4.323); `BrtMergeCell` (176) — first/last row, first/last column
  (§2.4.657); number cells `BrtCellRk` (2), `BrtCellReal` (5) and `BrtFmlaNum` (9) — column and
  style index (24 bits) at offsets 0 and 4 (§2.5.9 `Cell`); text cells (`BrtCellSt` 6,
  `BrtCellIsst` 7, `BrtFmlaString` 8) are left to calamine.

What an .xlsb cannot carry that an xlsx can: a formula without a cached value (every binary
formula record holds its last value, so "never calculated" does not arise), and the date type
`t="d"`. Walking the records costs Python time per cell (measured in the tests' file and README
"Benchmarks"); .xlsb uploads are rare and capped like every upload.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from briskk_pipeline.ingest import number_formats, opc
from briskk_pipeline.ingest.excel_dates import short_date_code

if TYPE_CHECKING:
    from briskk_pipeline.ingest.structure import SheetStructure

_ROW_HDR: Final = 0
_CELL_RK: Final = 2
_CELL_REAL: Final = 5
_FMLA_NUM: Final = 9
_FMT: Final = 44
_XF: Final = 47
_COL_INFO: Final = 60
_BUNDLE_SH: Final = 156
_MERGE_CELL: Final = 176
_BEGIN_CELL_XFS: Final = 617
_END_CELL_XFS: Final = 618
_NUMBERS: Final = frozenset({_CELL_RK, _CELL_REAL, _FMLA_NUM})


def records(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(record type, payload start, payload end) for each record of a binary part."""
    at, end = 0, len(data)
    while at < end:
        kind = data[at]
        at += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | ((data[at] & 0x7F) << 7)
            at += 1
        size, shift = 0, 0
        for _ in range(4):
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        yield kind, at, at + size
        at += size


def _wide_string(data: bytes, at: int) -> tuple[str, int]:
    """An XLWideString at `at` (a 4-byte character count, UTF-16 LE) and the offset after it."""
    (count,) = struct.unpack_from("<I", data, at)
    start = at + 4
    return data[start : start + 2 * count].decode("utf-16-le"), start + 2 * count


def is_xlsb(names: Iterable[str]) -> bool:
    """Whether a package's part names are an .xlsb's (its workbook part is binary)."""
    return "xl/workbook.bin" in set(names)


def sheet_part(package: zipfile.ZipFile, sheet_name: str) -> str:
    """The binary part holding `sheet_name` (raises KeyError when there is none)."""
    workbook = package.read("xl/workbook.bin")
    targets = opc.relationship_targets(package, "xl/_rels/workbook.bin.rels")
    for kind, start, _ in records(workbook):
        if kind == _BUNDLE_SH:
            rel_id, after = _wide_string(workbook, start + 8)  # after hsState, iTabID
            name, _ = _wide_string(workbook, after)
            if name == sheet_name:
                return opc.workbook_part(targets.get(rel_id, ""))
    raise KeyError(f"sheet {sheet_name!r} not found in the workbook")


def styles(data: bytes) -> tuple[dict[int, str | None], dict[int, str]]:
    """Style index -> number format code: date styles, and the styles whose format is neither
    General, Text nor a date (as `structure._xlsx_styles` for an xlsx)."""
    codes: dict[int, str] = dict(BUILTIN_FORMATS)
    format_ids: list[int] = []
    inside = False
    for kind, start, _ in records(data):
        if kind == _FMT:
            (format_id,) = struct.unpack_from("<H", data, start)
            codes[format_id], _ = _wide_string(data, start + 2)
        elif kind == _BEGIN_CELL_XFS:
            inside = True
        elif kind == _END_CELL_XFS:
            inside = False
        elif kind == _XF and inside:
            format_ids.append(struct.unpack_from("<H", data, start + 2)[0])
    dates: dict[int, str | None] = {}
    numbers: dict[int, str] = {}
    for index, format_id in enumerate(format_ids):
        code = codes.get(format_id)
        if code and is_date_format(code):
            dates[index] = short_date_code(format_id, code)
        elif code and not number_formats.parse(code).general:
            numbers[index] = code
    return dates, numbers


def read_package(data: bytes, sheet_name: str) -> tuple[bytes, bytes | None]:
    """The sheet's binary part and `xl/styles.bin` (None when the package has none)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        part = package.read(sheet_part(package, sheet_name))
        names = set(package.namelist())
        style_part = package.read("xl/styles.bin") if "xl/styles.bin" in names else None
    return part, style_part


class XlsbSheet:
    """One worksheet of an .xlsb package: its binary part and the workbook's number styles."""

    def __init__(self, data: bytes, sheet_name: str) -> None:
        self.part, style_part = read_package(data, sheet_name)
        self.date_styles, self.number_styles = styles(style_part) if style_part else ({}, {})
        self._date_cells: dict[tuple[int, int], str | None] = {}

    def structure(self) -> SheetStructure:
        """Hidden rows and columns, merged ranges and formatted number cells, in one walk."""
        from briskk_pipeline.ingest.structure import SheetStructure

        part, result = self.part, SheetStructure()
        numbers, dates = self.number_styles, self.date_styles
        row = 0
        for kind, start, end in records(part):
            if kind in _NUMBERS:
                column, style = struct.unpack_from("<II", part, start)
                style &= 0xFFFFFF
                if style in numbers:
                    result.number_formats.setdefault((column, numbers[style]), []).append(row)
                elif style in dates:
                    self._date_cells[(row, column)] = dates[style]
            elif kind == _ROW_HDR:
                row = struct.unpack_from("<I", part, start)[0]
                if end - start >= 12 and struct.unpack_from("<H", part, start + 10)[0] & 0x1000:
                    result.hidden_rows.append((row, row))
            elif kind == _COL_INFO:
                first, last = struct.unpack_from("<II", part, start)
                if struct.unpack_from("<H", part, start + 16)[0] & 0x0001:
                    result.hidden_columns.update(range(first, min(last, 16383) + 1))
            elif kind == _MERGE_CELL:
                r1, r2, c1, c2 = struct.unpack_from("<IIII", part, start)
                result.merged.append((r1, c1, r2, c2))
        result.may_have_dates = bool(self._date_cells)
        return result

    def resolve_dates(self, cells: Iterable[tuple[int, int]], result: SheetStructure) -> None:
        """Which `cells` are number cells with a date style (found by `structure`)."""
        for cell in cells:
            if cell in self._date_cells:
                result.date_format[cell] = self._date_cells[cell]
            else:
                result.not_dates.add(cell)

    def numeric_formats(self, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Which `cells` hold numbers, and their format codes (General when plain): a second
        walk of the part, only for the few cells that need it."""
        wanted = set(cells)
        found: dict[tuple[int, int], str] = {}
        part, row = self.part, 0
        for kind, start, _ in records(part):
            if kind == _ROW_HDR:
                row = struct.unpack_from("<I", part, start)[0]
            elif kind in _NUMBERS:
                column, style = struct.unpack_from("<II", part, start)
                if (row, column) in wanted:
                    found[(row, column)] = self.number_styles.get(style & 0xFFFFFF, "General")
        return found
