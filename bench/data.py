"""The benchmark's input files: realistic template workbooks and CSVs of N rows, made once.

Rows come from `briskk_pipeline_tests.workbooks.template_rows(n, realistic=True)` (4 SKUs per
product, all 45 columns, varied text, sizes, colours and image URLs), so the benchmark, the
tests and the demo share one generator. Files are cached under `bench/out/data` by their
parameters: a second `make bench` reuses them.

Two kinds of workbook: `shared` (what Excel writes: every text cell points into the shared
strings table) and `inline` (xlsxwriter's `constant_memory` mode writes each text cell inline,
which parses slower; PITFALLS "Reading spreadsheets").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

Kind = Literal["shared", "inline", "csv"]
SHEET = "BrandA_Briskk_SKU_Template"
SEED = 7
GENERATOR_VERSION = 1  # bump when the rows change, so cached files are rewritten


def workbook_path(root: Path, n_rows: int, kind: Kind) -> Path:
    suffix = "csv" if kind == "csv" else "xlsx"
    # The file name carries the tenant claim (the sheet name does too for workbooks).
    return root / f"v{GENERATOR_VERSION}-{kind}-{n_rows}" / f"{SHEET}.{suffix}"


def ensure_file(root: Path, n_rows: int, kind: Kind) -> tuple[Path, float]:
    """The cached file for (n_rows, kind), written first if missing; seconds spent writing."""
    path = workbook_path(root, n_rows, kind)
    if path.is_file():
        return path, 0.0
    started = time.perf_counter()
    rows = template_rows(n_rows, seed=SEED, realistic=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".partial-{path.name}")
    if kind == "csv":
        partial.write_bytes(csv_bytes(rows))
    else:
        write_xlsx(partial, rows, sheet_name=SHEET, constant_memory=kind == "inline")
    partial.replace(path)
    return path, time.perf_counter() - started
