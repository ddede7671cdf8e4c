"""What a sheet's values alone do not tell: merged ranges, hidden rows and columns, formulas
that were never calculated, and the number formats of date and number cells.

fastexcel (calamine) gives every cell's value fast but not these, and a brand sees them: a
product field merged down its SKU rows is one value for every row; a row hidden in Excel is
still in the file; a formula written by a script has no saved value; a barcode formatted
`0000000000000` shows zeros its value does not have. Per format:

- **xlsx/xlsm**, Transitional or Strict Open XML (the same parts under the
  `http://purl.oclc.org/ooxml/...` namespaces): the worksheet's XML part is scanned for the few
  elements that matter (`<row hidden>`, `<col hidden>`, `<mergeCell>`, `<f>` without a cached
  value, number cells whose style has a number format) with byte searches and one regex, never
  a per-cell parse in Python: the workbook's values are already read by calamine, and a full
  XML parse of a 100k-row sheet in Python costs seconds (openpyxl: ~40 s). The small parts
  (`workbook.xml`, its relationships, `styles.xml`) are parsed with defusedxml (no DTDs or
  entity expansion). ECMA-376 Part 1 §18.3 (sheets), §18.8 (styles).
- **xlsb**: the binary parts' records (`xlsb.py`).
- **xls** (BIFF): xlrd with `formatting_info=True` (merged cells, row/column info, formats;
  `xls_sheet.py`).
- **ods**: `content.xml` parsed with defusedxml's iterparse (OpenDocument 1.3 §9.1:
  `table:number-rows-spanned`, `table:visibility`, repeated rows and cells; a number cell's
  shown text is in the cell; `ods_sheet.py`).

Positions are 0-based `(row, column)` of the sheet: A1 is (0, 0).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from defusedxml import ElementTree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from briskk_pipeline.ingest import number_formats, opc
from briskk_pipeline.ingest.excel_dates import short_date_code
from briskk_pipeline.ingest.ods_sheet import OdsSheet
from briskk_pipeline.ingest.xls_sheet import XlsSheet
from briskk_pipeline.ingest.xlsb import XlsbSheet, is_xlsb

Range = tuple[int, int, int, int]  # first row, first column, last row, last column (inclusive)
Cell = tuple[int, int]  # (row, column), 0-based

_NS_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Strict Open XML (ISO/IEC 29500 Strict): the same parts under other namespaces.
_NS_REL_STRICT: Final = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_REL_ID_ATTRIBUTES: Final = (f"{{{_NS_REL}}}id", f"{{{_NS_REL_STRICT}}}id")
_CELL_REF_RE: Final = re.compile(rb"([A-Z]{1,3})(\d{1,7})")
_ATTR_RE: Final = re.compile(rb'([\w:]+)="([^"]*)"')


@dataclass
class SheetStructure:
    """Merged ranges, hidden rows/columns, uncalculated formulas and date formats of a sheet."""

    merged: list[Range] = field(default_factory=list)
    hidden_rows: list[tuple[int, int]] = field(default_factory=list)  # inclusive row ranges
    hidden_columns: set[int] = field(default_factory=set)
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> "=formula"
    # cell -> what the cell shows (ods) or its Excel number format code (xlsx, xls)
    date_display: dict[tuple[int, int], str] = field(default_factory=dict)
    date_format: dict[tuple[int, int], str | None] = field(default_factory=dict)
    not_dates: set[tuple[int, int]] = field(default_factory=set)  # text cells, not dates
    # cell -> the error value it shows (ods: fastexcel reads an error cell as empty)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    # False when no cell can be a date (an xlsx without date styles): skips the date search
    may_have_dates: bool = True
    # number cells whose number format is not General, Text or a date: (column, format
    # code) -> their rows, ascending (xlsx, xls; `number_formats.py` renders them); ods:
    # number cells whose text differs from their value -> (what they show, value type)
    number_formats: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    number_display: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)

    def hidden_among(self, rows: Iterable[int]) -> list[int]:
        """The given 0-based rows that are hidden in the sheet, in order."""
        return [r for r in rows if any(a <= r <= b for a, b in self.hidden_rows)]


def column_index(letters: str) -> int:
    """`'A'` -> 0, `'AA'` -> 26 (Excel column letters, 0-based)."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def column_letters(index: int) -> str:
    """0 -> `'A'`, 26 -> `'AA'`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _ref(ref: bytes | str) -> tuple[int, int] | None:
    match = _CELL_REF_RE.fullmatch(ref.encode() if isinstance(ref, str) else ref)
    if match is None:
        return None
    return int(match.group(2)) - 1, column_index(match.group(1).decode())


# ----------------------------------------------------------------------------------- xlsx


class XlsxSheet:
    """One worksheet of an xlsx/xlsm package: its XML and the workbook's date styles."""

    def __init__(self, data: bytes, sheet_name: str) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            path = _xlsx_sheet_path(package, sheet_name)
            self.xml = package.read(path)
            styles = package.read("xl/styles.xml") if "xl/styles.xml" in names else None
        self.date_styles, self.number_styles = _xlsx_styles(styles) if styles else ({}, {})

    def structure(self) -> SheetStructure:
        """Scan the sheet for hidden rows/columns, merged ranges and uncalculated formulas.

        Only literal byte searches run over the whole part (a pattern starting with `<` would
        be tried at every tag: ~1 s for a 100k-row sheet): `hidden="`, then `<f` for formulas;
        `<mergeCells>` is looked for after `</sheetData>` only.
        """
        xml = self.xml
        result = SheetStructure()
        root = re.search(rb"<(\w+:)?worksheet\b", xml[:4096])
        prefix = (root.group(1) or b"") if root else b""
        for match in re.finditer(rb'hidden="(?:1|true)"', xml):
            tag_start = xml.rfind(b"<", 0, match.start())
            tag = xml[tag_start : xml.find(b">", match.end()) + 1]
            name = re.match(rb"<(?:\w+:)?(row|col)\b", tag)
            attributes: dict[bytes, bytes] = dict(_ATTR_RE.findall(tag))
            if name is None:
                continue
            if name.group(1) == b"row" and b"r" in attributes:
                row = int(attributes[b"r"]) - 1
                result.hidden_rows.append((row, row))
            elif name.group(1) == b"col" and b"min" in attributes:
                first = int(attributes[b"min"]) - 1
                last = int(attributes.get(b"max", attributes[b"min"])) - 1
                result.hidden_columns.update(range(first, min(last, 16383) + 1))
        tail = max(xml.rfind(b"sheetData>"), 0)
        for match in _MERGE_RE.finditer(xml, tail):
            start, end = _ref(match.group(1)), _ref(match.group(2))
            if start is not None and end is not None:
                result.merged.append((*start, *end))
        result.uncalculated = _xlsx_uncalculated(xml, prefix)
        result.may_have_dates = bool(self.date_styles) or b't="d"' in xml
        if self.number_styles:
            result.number_formats = _xlsx_number_cells(xml, self.number_styles, prefix)
        return result

    def numeric_formats(self, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Which `cells` hold numbers, and their number format codes (General when plain)."""
        found: dict[tuple[int, int], str] = {}
        for cell, attributes in self._cell_attributes(cells):
            if attributes.get(b"t", b"n") == b"n":
                style = int(attributes.get(b"s", b"0"))
                found[cell] = self.number_styles.get(style, "General")
        return found

    def _cell_attributes(
        self, cells: Iterable[tuple[int, int]]
    ) -> Iterable[tuple[tuple[int, int], dict[bytes, bytes]]]:
        """Each of `cells` found in the sheet with its tag's attributes (`t`, `s`, ...)."""
        # Cells appear in row-major order in the XML: search each from the previous hit.
        position = 0
        for row, column in sorted(cells):
            needle = f' r="{column_letters(column)}{row + 1}"'.encode()
            found = self.xml.find(needle, position)
            if found < 0:
                found = self.xml.find(needle)
            if found < 0:
                continue
            position = found
            end = self.xml.find(b">", found)
            yield (row, column), dict(_ATTR_RE.findall(self.xml[found:end]))

    def resolve_dates(self, cells: Iterable[tuple[int, int]], result: SheetStructure) -> None:
        """Which `cells` (whose value calamine read as a date) are dates, and their formats."""
        for (row, column), attributes in self._cell_attributes(cells):
            kind = attributes.get(b"t", b"n")
            if kind in (b"s", b"str", b"inlineStr"):
                result.not_dates.add((row, column))
                continue
            style = int(attributes.get(b"s", b"0"))
            result.date_format[(row, column)] = self.date_styles.get(style)


def _namespace(tag: str) -> str:
    """`'{http://...}workbook'` -> `'http://...'`: Transitional or Strict, as the part says."""
    return tag[1 : tag.index("}")] if tag.startswith("{") else _NS_MAIN


def _xlsx_sheet_path(package: zipfile.ZipFile, sheet_name: str) -> str:
    """The part holding `sheet_name`, through `workbook.xml` and its relationships; the
    main and relationship namespaces are Transitional's or Strict's (ECMA-376 Part 1 §A.1
    vs the Strict schemas), whichever the workbook uses."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    targets = opc.relationship_targets(package, "xl/_rels/workbook.xml.rels")
    for sheet in workbook.iter(f"{{{_namespace(workbook.tag)}}}sheet"):
        if sheet.get("name") == sheet_name:
            rel_id = next((v for k, v in sheet.attrib.items() if k in _REL_ID_ATTRIBUTES), "")
            return opc.workbook_part(targets.get(rel_id, ""))
    raise KeyError(f"sheet {sheet_name!r} not found in the workbook")


def _xlsx_styles(styles_xml: bytes) -> tuple[dict[int, str | None], dict[int, str]]:
    """Cell style index -> the number format code it applies: date styles, and the styles
    whose format is neither General, Text (`@`) nor a date (`number_formats.py` renders those).
    """
    styles = ElementTree.fromstring(styles_xml)
    namespace = _namespace(styles.tag)
    codes: dict[int, str] = dict(BUILTIN_FORMATS)
    for fmt in styles.iter(f"{{{namespace}}}numFmt"):
        codes[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
    cell_xfs = styles.find(f"{{{namespace}}}cellXfs")
    dates: dict[int, str | None] = {}
    numbers: dict[int, str] = {}
    if cell_xfs is None:
        return dates, numbers
    for index, xf in enumerate(cell_xfs.iter(f"{{{namespace}}}xf")):
        format_id = int(xf.get("numFmtId", "0"))
        code = codes.get(format_id)
        if code and is_date_format(code):
            dates[index] = short_date_code(format_id, code)
        elif code and not number_formats.parse(code).general:
            numbers[index] = code
    return dates, numbers


def _xlsx_number_cells(
    xml: bytes, styles: dict[int, str], prefix: bytes
) -> dict[tuple[int, str], list[int]]:
    """Number cells with a value whose style is in `styles`: (column, code) -> rows.

    One regex pass: `<c r="B7" s="5">` with the style's index among `styles` (a `t` before or
    after `s`; ECMA-376's schema order is `r s t`, which Excel, LibreOffice, openpyxl and
    xlsxwriter write). The regex engine skips every other cell in C (0.4 s for a 100k-row,
    45-column sheet; a Python look at each `s="…"` hit took three times that). Only cells
    without `t` or with `t="n"` and not self-closing (no value) are kept.
    """
    numbers = b"|".join(str(i).encode() for i in sorted(styles))
    pattern = re.compile(
        b"<"
        + re.escape(prefix)
        + rb'c r="([A-Z]{1,3})([0-9]{1,7})"(?: t="(\w+)")? s="('
        + numbers
        + rb')"(?: t="(\w+)")?[^>]*?(/?)>'
    )
    found: dict[tuple[int, str], list[int]] = {}
    columns: dict[bytes, int] = {}
    for letters, row, kind_before, style, kind_after, empty in pattern.findall(xml):
        kind = kind_before or kind_after
        if empty or (kind and kind != b"n"):
            continue
        column = columns.get(letters)
        if column is None:
            column = columns[letters] = column_index(letters.decode())
        found.setdefault((column, styles[int(style)]), []).append(int(row) - 1)
    return found


_FORMULA_CELL_RE: Final = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>(.*?)</(?:\w+:)?c>|<(?:\w+:)?c\b[^>]*/>", re.DOTALL
)
_FORMULA_RE: Final = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_VALUE_RE: Final = re.compile(rb"<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>")
_EMPTY_VALUE_RE: Final = re.compile(rb"<(?:\w+:)?v\s*(?:/>|></(?:\w+:)?v>)")
_MERGE_RE: Final = re.compile(rb'mergeCell\s+ref="([A-Z]+\d+):([A-Z]+\d+)"')


def _has_cached_value(body: bytes, kind: bytes) -> bool:
    """Whether a formula cell's body holds the value its formula last gave.

    A non-empty `<v>` always does. An empty one (`<v></v>`, `<v/>`) does for a text result
    (`t="str"`): that is how Excel and LibreOffice save a formula that shows nothing, such as
    `=IFERROR(VLOOKUP(…),"")`. A number cell with an empty `<v>` (what openpyxl writes for a
    formula it cannot calculate) or a cell with no `<v>` at all was never calculated.
    """
    if _VALUE_RE.search(body):
        return True
    return kind in (b"str", b"s", b"inlineStr") and _EMPTY_VALUE_RE.search(body) is not None


def _xlsx_uncalculated(xml: bytes, prefix: bytes) -> dict[tuple[int, int], str]:
    """Formula cells with no saved value (`_has_cached_value`) -> `=formula`.

    Jumps from one `<f` to the next (linear in the part's size), looking only at the cells
    that hold a formula. `prefix` is the worksheet's namespace prefix (`x:`), usually empty.
    """
    found: dict[tuple[int, int], str] = {}
    formula_tag, cell_tag = b"<" + prefix + b"f", b"<" + prefix + b"c "
    at = xml.find(formula_tag)
    while at >= 0:
        following = xml[at + len(formula_tag) : at + len(formula_tag) + 1]
        cell_start = xml.rfind(cell_tag, 0, at)
        match = (
            _FORMULA_CELL_RE.match(xml, cell_start)
            if following in (b">", b" ", b"/") and cell_start >= 0
            else None
        )
        if match is None:
            at = xml.find(formula_tag, at + 1)
            continue
        body = match.group(2) or b""
        attributes = dict(_ATTR_RE.findall(match.group(1) or b""))
        if not _has_cached_value(body, attributes.get(b"t", b"n")):
            cell = _ref(attributes.get(b"r", b""))
            formula = _FORMULA_RE.search(body)
            text = formula.group(1) if formula is not None and formula.group(1) else b""
            if cell is not None:
                found[cell] = "=" + html.unescape(text.decode()) if text else "(a formula)"
        at = xml.find(formula_tag, match.end())
    return found


Sheet = XlsxSheet | XlsSheet | OdsSheet | XlsbSheet


def open_sheet(data: bytes, sheet_name: str) -> Sheet:
    """The structure reader for the workbook's format (by content, not by file name)."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            is_ods = "content.xml" in names and b"opendocument.spreadsheet" in (
                package.read("mimetype") if "mimetype" in names else b""
            )
        if is_ods:
            return OdsSheet(data, sheet_name)
        return XlsbSheet(data, sheet_name) if is_xlsb(names) else XlsxSheet(data, sheet_name)
    return XlsSheet(data, sheet_name)
