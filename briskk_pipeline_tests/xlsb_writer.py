"""A small .xlsb (Excel Binary Workbook) writer for tests: values, number formats, merged
ranges, hidden rows and columns.

No installable writer produces these: LibreOffice 7.4 has no .xlsb export filter ("no export
filter" for `--convert-to xlsb`), `pyxlsbwriter` writes values only, xlsxwriter and openpyxl
write xlsx. The records follow [MS-XLSB] (record type and size as 7-bit varints, §2.1.4):
`BrtBundleSh` for the sheet list, `BrtFmt`/`BrtXF` for styles, `BrtRowHdr` (fDyZero = hidden),
`BrtColInfo` (fHidden), `BrtCellSt`/`BrtCellReal`/`BrtCellBool` for cells, `BrtMergeCell`.
calamine reads what this writes (the tests check the values through fastexcel).
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from typing import Any


def _varint(value: int, limit: int) -> bytes:
    out = bytearray()
    for _ in range(limit):
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            break
    return bytes(out)


def _record(kind: int, payload: bytes = b"") -> bytes:
    return _varint(kind, 2) + _varint(len(payload), 4) + payload


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def write_xlsb(
    rows: Sequence[Sequence[Any]],
    *,
    sheet_name: str,
    formats: dict[tuple[int, int], str] | None = None,
    merged: Sequence[tuple[int, int, int, int]] = (),
    hidden_rows: Sequence[int] = (),
    hidden_columns: Sequence[int] = (),
) -> bytes:
    """An .xlsb with `rows` (0-based; None = no cell) in one sheet. `formats` gives a cell
    (row, column) a number format code; `merged` ranges are (r1, c1, r2, c2) inclusive."""
    formats = formats or {}
    codes = sorted(set(formats.values()))
    format_ids = {code: 164 + i for i, code in enumerate(codes)}
    styles = {code: 1 + i for i, code in enumerate(codes)}  # style 0 is General

    style_part = bytearray(_record(278))  # BrtBeginStyleSheet
    style_part += _record(615, struct.pack("<I", len(codes)))  # BrtBeginFmts
    for code in codes:
        style_part += _record(44, struct.pack("<H", format_ids[code]) + _wide(code))
    style_part += _record(616)  # BrtEndFmts
    style_part += _record(617, struct.pack("<I", len(codes) + 1))  # BrtBeginCellXFs
    for format_id in [0, *(format_ids[c] for c in codes)]:
        style_part += _record(47, struct.pack("<HHHHHBBHBB", 0, format_id, 0, 0, 0, 0, 0, 0, 0, 0))
    style_part += _record(618) + _record(279)  # BrtEndCellXFs, BrtEndStyleSheet

    width = max((len(r) for r in rows), default=1)
    sheet = bytearray(_record(129))  # BrtBeginSheet
    sheet += _record(148, struct.pack("<IIII", 0, max(len(rows) - 1, 0), 0, width - 1))
    if hidden_columns:
        sheet += _record(390)  # BrtBeginColInfos
        for column in hidden_columns:
            sheet += _record(60, struct.pack("<IIiIH", column, column, 2560, 0, 0x0001))
        sheet += _record(391)
    sheet += _record(145)  # BrtBeginSheetData
    hidden = set(hidden_rows)
    for r, row in enumerate(rows):
        flags = 0x1000 if r in hidden else 0
        sheet += _record(0, struct.pack("<IIHHBI", r, 0, 300, flags, 0, 0))  # BrtRowHdr
        for c, value in enumerate(row):
            if value is None:
                continue
            style = styles.get(formats.get((r, c), ""), 0)
            cell = struct.pack("<II", c, style)
            if isinstance(value, bool):
                sheet += _record(4, cell + struct.pack("<B", int(value)))  # BrtCellBool
            elif isinstance(value, int | float):
                sheet += _record(5, cell + struct.pack("<d", float(value)))  # BrtCellReal
            else:
                sheet += _record(6, cell + _wide(str(value)))  # BrtCellSt
    sheet += _record(146)  # BrtEndSheetData
    if merged:
        sheet += _record(177, struct.pack("<I", len(merged)))  # BrtBeginMergeCells
        for r1, c1, r2, c2 in merged:
            sheet += _record(176, struct.pack("<IIII", r1, r2, c1, c2))
        sheet += _record(178)
    sheet += _record(130)  # BrtEndSheet

    workbook = _record(131) + _record(143)  # BrtBeginBook, BrtBeginBundleShs
    workbook += _record(156, struct.pack("<II", 0, 1) + _wide("rId1") + _wide(sheet_name))
    workbook += _record(144) + _record(132)

    main = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.bin" ContentType="{main}"/>'
        '<Override PartName="/xl/worksheets/sheet1.bin" '
        'ContentType="application/vnd.ms-excel.worksheet"/>'
        '<Override PartName="/xl/styles.bin" ContentType="application/vnd.ms-excel.styles"/>'
        "</Types>"
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.bin"/>'
        "</Relationships>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.bin"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.bin"/>'
        "</Relationships>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", types)
        package.writestr("_rels/.rels", package_rels)
        package.writestr("xl/workbook.bin", workbook)
        package.writestr("xl/_rels/workbook.bin.rels", workbook_rels)
        package.writestr("xl/worksheets/sheet1.bin", bytes(sheet))
        package.writestr("xl/styles.bin", bytes(style_part))
    return out.getvalue()
