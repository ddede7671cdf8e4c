"""Reading an Excel workbook (xlsx/xlsm/xls) into template rows, through fastexcel (calamine).

Every cell is read as a string: a barcode typed as text keeps its leading zeros, and numeric
cells arrive in their shortest exact form ("123456789012", "17.5"), never through a float
column that a type-inferring reader would pick (PITFALLS: inference silently drops values).
Formula cells give their cached value.
"""

from __future__ import annotations

import fastexcel
import pyarrow as pa

from briskk_pipeline import template
from briskk_pipeline.ingest.sheet import HEADER_SEARCH_ROWS, RawSheet, find_header, to_raw_sheet
from briskk_pipeline.validation.report import FileRejected, file_problem


def read_excel(data: bytes) -> RawSheet:
    try:
        reader = fastexcel.read_excel(data)
    except Exception as error:  # fastexcel raises its own hierarchy for every kind of damage
        raise FileRejected(
            [file_problem(f"the file could not be opened as an Excel workbook ({error})")]
        ) from error
    names = list(reader.sheet_names)
    named = [n for n in names if template.tenant_claim(n) is not None]
    candidates = named or names
    best: tuple[str, pa.Table, int, template.HeaderMatch] | None = None
    for name in candidates:
        # Load the whole sheet once: calamine parses every row of a sheet even when asked
        # for a few (measured: 10 rows of a 100k-row sheet cost as much as all of them).
        table = _load(reader, name)
        found = find_header(table.slice(0, HEADER_SEARCH_ROWS))
        if found is not None:
            best = (name, table, *found)
            break
    if best is None:
        if named:
            raise FileRejected(
                [
                    file_problem(
                        f"sheet '{named[0]}' has no header row with the template's columns "
                        f"(looked for {', '.join(template.HEADER_MARKERS)} in its first "
                        f"{HEADER_SEARCH_ROWS} rows)"
                    )
                ]
            )
        raise FileRejected(
            [
                file_problem(
                    "no sheet looks like the Briskk SKU template: expected a sheet named "
                    "'<Tenant>_Briskk_SKU_Template' or a header row with "
                    f"{', '.join(template.HEADER_MARKERS)} (sheets found: {', '.join(names)})"
                )
            ]
        )
    name, table, header_index, match = best
    return to_raw_sheet(table, header_index, match, sheet_name=name)


def _load(reader: fastexcel.ExcelReader, sheet: str) -> pa.Table:
    # header_row=None + skip_rows=0: row i of the table is Excel row i + 1, blanks included.
    loaded = reader.load_sheet(
        sheet,
        header_row=None,
        skip_rows=0,
        dtypes="string",
        schema_sample_rows=None,
    )
    return pa.Table.from_batches([loaded.to_arrow()])
