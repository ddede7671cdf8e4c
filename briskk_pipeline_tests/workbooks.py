"""Template workbooks and CSVs written by code: the fixtures of tests, the demo and benchmarks.

`template_rows(n)` makes valid rows (4 SKUs per product); tests then spoil the cells they are
about. `write_xlsx` can write any cell as text, number, boolean or formula-with-cached-value,
add formatted empty trailing rows and extra sheets, so the messy files brands send can be
reproduced exactly. Run as a module to write a demo workbook:

    python -m briskk_pipeline_tests.workbooks demo .briskk/demo/BrandA_demo.xlsx
"""

from __future__ import annotations

import csv
import io
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from briskk_pipeline.template import BY_NAME, COLUMN_NAMES

# How the real template writes its header: `*` on required columns, `is_disabled ` with a space.
REAL_HEADER = {
    name: (f"{name}*" if BY_NAME[name].required and name != "main_image" else name)
    for name in COLUMN_NAMES
}
REAL_HEADER["is_disabled"] = "is_disabled "

SIZES = ("XS", "S", "M", "L", "XL", "XXL", 28, 30, 32, 34, 36)
COLORS = ("Black", "White", "Navy", "Olive", "Maroon", "Mustard", "Teal", "Grey", "Beige")
CATEGORIES = (("Men", "TopWear", "T-Shirt"), ("Women", "BottomWear", "Skirt"), ("Kids", "Sets", ""))


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value Excel cached for it (`=FALSE()` -> False)."""

    formula: str
    cached: Any


@dataclass(frozen=True)
class Text:
    """Force a cell to be written as text (e.g. a barcode typed as '012345678905')."""

    value: str


def template_rows(
    n_rows: int,
    *,
    skus_per_product: int = 4,
    seed: int = 7,
    image_base: str = "https://images.example.com",
    product_prefix: str = "P",
) -> list[dict[str, Any]]:
    """`n_rows` valid SKU rows; numbers are numbers, as Excel users type them."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n_rows):
        p = i // skus_per_product
        cat, sub, nxt = CATEGORIES[p % len(CATEGORIES)]
        price = rng.choice((499, 799, 999, 1299.5, 1599, 2499))
        row: dict[str, Any] = {c: None for c in COLUMN_NAMES}
        row.update(
            product_id=f"{product_prefix}{p:06d}",
            product_name=f"{cat} {sub} style {p} in breathable cotton",
            brand="BrandA",
            product_description="A comfortable everyday piece, cut for a relaxed fit and made "
            f"to last; style number {p}.",
            category=cat,
            sub_category=sub,
            next_sub_category=nxt or None,
            main_image=f"{image_base}/p{p}/main.jpg",
            image_1=f"{image_base}/p{p}/1.jpg",
            image_2=f"{image_base}/p{p}/2.jpg" if p % 2 == 0 else None,
            hsn_code=61091000,
            product_highlights="Regular fit, round neck, short sleeve",
            fit="Regular",
            sleeve="Short Sleeve",
            pattern_type="Solid",
            material="Cotton",
            tax_rule_id="tax001",
            bullet_points="Material: 100% cotton; Care: machine wash cold",
            neck_type="Round Neck",
            sku_id=f"{product_prefix}{p:06d}-{i % skus_per_product}",
            barcode=890000000000 + i,
            size=SIZES[(i + p) % len(SIZES)],
            color=COLORS[p % len(COLORS)],
            price=price,
            offer_price=round(price * 0.9, 2),
            stock=rng.randrange(0, 500),
            facility_id="fac001",
            facility_name="Store 1",
            chest_bust_in=38 + (i % 4),
            front_length_in=27.5,
            is_disabled=False,
        )
        rows.append(row)
    return rows


def write_xlsx(
    path: Path,
    rows: Sequence[dict[str, Any]],
    *,
    sheet_name: str = "BrandA_Briskk_SKU_Template",
    header: dict[str, str] | None = None,
    columns: Sequence[str] | None = None,
    extra_columns: dict[str, Sequence[Any]] | None = None,
    blank_formatted_rows: int = 0,
    extra_sheets: bool = True,
    leading_rows: int = 0,
    constant_memory: bool = False,
) -> Path:
    """Write a template workbook; `columns` picks (and orders) the template columns written."""
    header = header or REAL_HEADER
    names = list(columns or COLUMN_NAMES)
    extras = extra_columns or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": constant_memory, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True, "bg_color": "#FFF2CC"})
    top = leading_rows
    headers = [header.get(n, n) for n in names] + list(extras)
    for col, title in enumerate(headers):
        sheet.write_string(top, col, title, bold)
    for r, row in enumerate(rows, start=top + 1):
        for col, name in enumerate(names):
            _write_cell(sheet, r, col, row.get(name))
        for offset, values in enumerate(extras.values()):
            _write_cell(sheet, r, len(names) + offset, values[r - top - 1])
    filler = workbook.add_format({"bg_color": "#EEEEEE", "border": 1})
    for r in range(top + 1 + len(rows), top + 1 + len(rows) + blank_formatted_rows):
        for col in range(len(headers)):
            sheet.write_blank(r, col, None, filler)
    if extra_sheets:
        notes = workbook.add_worksheet("Description of each column")
        notes.write_row(0, 0, ["Column Name", "Description", "Required"])
        for r, name in enumerate(COLUMN_NAMES, start=1):
            notes.write_row(r, 0, [header.get(name, name), BY_NAME[name].description, "Yes"])
        workbook.add_worksheet("Instructions").write(0, 0, "At most 800 rows per upload.")
    workbook.close()
    return path


def _write_cell(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        sheet.write_formula(row, col, value.formula, None, value.cached)
    elif isinstance(value, Text):
        sheet.write_string(row, col, value.value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def csv_bytes(
    rows: Sequence[dict[str, Any]],
    *,
    bom: bool = False,
    header: dict[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> bytes:
    header = header or REAL_HEADER
    names = list(columns or COLUMN_NAMES)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([header.get(n, n) for n in names])
    for row in rows:
        writer.writerow([_csv_cell(row.get(n)) for n in names])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return _csv_cell(value.cached)
    if isinstance(value, Text):
        return value.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 3 or argv[1] != "demo":
        print("usage: python -m briskk_pipeline_tests.workbooks demo PATH.xlsx", file=sys.stderr)
        return 2
    path = write_xlsx(Path(argv[2]), template_rows(40), blank_formatted_rows=50)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
