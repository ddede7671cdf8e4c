"""Reading an Excel workbook (xlsx/xlsm/xls) into template rows, through fastexcel (calamine).

Every cell is read as a string: a barcode typed as text keeps its leading zeros, and numeric
cells arrive in their shortest exact form ("123456789012", "17.5"), never through a float
column that a type-inferring reader would pick (PITFALLS: inference silently drops values).
Formula cells give their cached value.
"""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import fastexcel
import pyarrow as pa

from briskk_pipeline import template
from briskk_pipeline.headers.report import find_partial_header
from briskk_pipeline.ingest.excel_cells import (
    fill_merged,
    hidden_rows_warning,
    merged_across_warnings,
    report_cells,
)
from briskk_pipeline.ingest.excel_numbers import read_number_cells
from briskk_pipeline.ingest.sheet import HEADER_SEARCH_ROWS, RawSheet, find_header, to_raw_sheet
from briskk_pipeline.ingest.structure import Sheet, SheetStructure, open_sheet
from briskk_pipeline.profiles import proposals
from briskk_pipeline.validation.report import FileRejected, file_problem


def read_excel(data: bytes, rules: template.HeaderRules | None = None) -> RawSheet:
    """The template sheet of an xlsx/xlsm/xls/ods workbook, every cell as the brand sees it.

    The sheet is the one named `<Tenant>_Briskk_SKU_Template`, else the first sheet with a
    template header row (SPEC §2 "Sheet"). Number cells of identifier and number columns are
    what their number format shows (`excel_numbers.py`), merged ranges are filled, and error
    cells, formulas without a saved value and date cells are `RawSheet.problems`
    (`excel_cells.py`). Headers are matched with the tenant's `rules` (its brand profile:
    aliases, ignored headers). Raises `FileRejected` for a file that is not a readable
    workbook or has no template sheet (`HeaderRejected` for one whose header row cannot be
    loaded).
    """
    try:
        reader = fastexcel.read_excel(data)
    except Exception as error:  # fastexcel raises its own hierarchy for every kind of damage
        raise FileRejected(
            [file_problem(f"the file could not be opened as an Excel workbook ({error})")]
        ) from error
    names = list(reader.sheet_names)
    named = [n for n in names if template.tenant_claim(n) is not None]
    if len(named) > 1:
        shown = ", ".join(f"'{n}'" for n in named)
        raise FileRejected(
            [
                file_problem(
                    f"the workbook has {len(named)} sheets named like the template ({shown}): "
                    "it is not clear which one to load; keep the data in one of them and "
                    "rename or delete the others"
                )
            ]
        )
    candidates = named or names
    best: tuple[str, _Loaded, int, template.HeaderMatch] | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The likely sheet's structure is scanned while calamine parses it (zlib and the
        # parse release the GIL: a 100k-row sheet's 1 s scan hides behind its 3 s parse).
        first_scan = pool.submit(_scan, data, candidates[0]) if candidates else None
        heads: list[tuple[str, pa.Table, int]] = []
        for name in candidates:
            # Load the whole sheet once: calamine parses every row of a sheet even when asked
            # for a few (measured: 10 rows of a 100k-row sheet cost as much as all of them).
            loaded = _load(reader, name)
            found = find_header(loaded.table.slice(0, HEADER_SEARCH_ROWS), rules)
            if found is not None:
                best = (name, loaded, *found)
                break
            heads.append((name, loaded.table.slice(0, HEADER_SEARCH_ROWS), loaded.offset))
        if best is None:
            raise _partial_header(heads, rules) or _not_a_template(named, names)
        name, loaded, header_index, match = best
        scanned = first_scan.result() if first_scan and name == candidates[0] else _scan(data, name)
    return _as_seen(name, loaded, header_index, match, scanned)


def _partial_header(
    heads: list[tuple[str, pa.Table, int]], rules: template.HeaderRules | None
) -> FileRejected | None:
    """The header problems of the first sheet whose header row lacks some of the template's
    marker columns but has enough of its columns to be a header (`headers.report`)."""
    for _name, head, offset in heads:
        found = find_partial_header(head, rules)
        if found is not None:
            index, match = found
            cells = list(head.slice(index, 1).to_pylist()[0].values())
            return proposals.rejection(cells, match, offset=offset)
    return None


def _not_a_template(named: list[str], names: list[str]) -> FileRejected:
    if named:
        return FileRejected(
            [
                file_problem(
                    f"sheet '{named[0]}' has no header row with the template's columns "
                    f"(looked for {', '.join(template.HEADER_MARKERS)} in its first "
                    f"{HEADER_SEARCH_ROWS} rows)"
                )
            ]
        )
    return FileRejected(
        [
            file_problem(
                "no sheet looks like the Briskk SKU template: expected a sheet named "
                "'<Tenant>_Briskk_SKU_Template' or a header row with "
                f"{', '.join(template.HEADER_MARKERS)} (sheets found: {', '.join(names)})"
            )
        ]
    )


def _scan(data: bytes, name: str) -> tuple[Sheet, SheetStructure]:
    """The sheet's structure reader and what it found (see `structure.py`)."""
    try:
        sheet = open_sheet(data, name)
        return sheet, sheet.structure()
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, ParseError) as error:
        raise FileRejected(
            [file_problem(f"the workbook's structure could not be read ({error})")]
        ) from error


@dataclass(frozen=True)
class _Loaded:
    """A sheet as fastexcel reads it: text cells, the error cells, the first used column."""

    table: pa.Table  # row i = Excel row i + 1; column j = sheet column `offset` + j
    errors: list[tuple[int, int, str]]  # (row, column, detail) in table positions
    offset: int


def _load(reader: fastexcel.ExcelReader, sheet: str) -> _Loaded:
    # header_row=None + skip_rows=0: row i of the table is Excel row i + 1, blanks included;
    # columns start at the first used one (its absolute index is the offset).
    loaded = reader.load_sheet(
        sheet,
        header_row=None,
        skip_rows=0,
        dtypes="string",
        schema_sample_rows=None,
    )
    batch, cell_errors = loaded.to_arrow_with_errors()
    columns = loaded.available_columns()
    errors = [
        (e.position[0], e.position[1], e.detail)
        for e in (cell_errors.errors if cell_errors is not None else [])
    ]
    offset = columns[0].absolute_index if columns else 0
    return _Loaded(pa.Table.from_batches([batch]), errors, offset)


def _as_seen(
    name: str,
    loaded: _Loaded,
    header_index: int,
    match: template.HeaderMatch,
    scanned: tuple[Sheet, SheetStructure],
) -> RawSheet:
    """The chosen sheet's rows with merged ranges filled and every odd cell reported."""
    sheet, structure = scanned
    table, number_problems = read_number_cells(
        sheet=sheet,
        structure=structure,
        table=loaded.table,
        positions=match.positions,
        header_index=header_index,
        offset=loaded.offset,
    )
    table = fill_merged(table, structure.merged, loaded.offset)
    cells = report_cells(
        sheet=sheet,
        structure=structure,
        table=table,
        errors=loaded.errors,
        positions=match.positions,
        header_index=header_index,
        offset=loaded.offset,
    )
    raw = to_raw_sheet(table, header_index, match, sheet_name=name, offset=loaded.offset)
    raw.problems.extend(
        sorted([*cells.problems, *number_problems], key=lambda p: (p.row or 0, _order(p.column)))
    )
    raw.warnings.extend(
        merged_across_warnings(structure.merged, match.positions, header_index, loaded.offset)
    )
    hidden = hidden_rows_warning(structure, raw.frame.index)
    raw.warnings.extend([*cells.warnings, *([hidden] if hidden else [])])
    return raw


def _order(column: str | None) -> int:
    return template.COLUMN_NAMES.index(column) if column in template.COLUMN_NAMES else -1
