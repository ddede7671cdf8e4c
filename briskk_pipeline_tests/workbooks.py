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
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from briskk_pipeline.readiness.gtin import check_digit
from briskk_pipeline.template import BY_NAME, COLUMN_NAMES, IMAGE_COLUMNS

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


def with_check_digit(body: int) -> int:
    """`body` with its GS1 check digit appended: a valid GTIN (readiness/gtin.py)."""
    return body * 10 + check_digit(str(body))


def template_rows(
    n_rows: int,
    *,
    skus_per_product: int = 4,
    seed: int = 7,
    image_base: str = "https://images.example.com",
    product_prefix: str = "P",
    realistic: bool = False,
) -> list[dict[str, Any]]:
    """`n_rows` valid SKU rows; numbers are numbers, as Excel users type them.

    `realistic=True` (benchmarks) fills every one of the 45 columns the way brand exports do:
    names, descriptions and bullet points of varied length, 1 to 9 image URLs per product with
    varied paths and extensions, size runs and colours per product, 13-digit barcodes (some
    typed as text with a leading zero), category-specific measurements, and the odd blank
    optional cell. Same `n_rows` and `seed`, same rows.
    """
    if realistic:
        return _realistic_rows(n_rows, skus_per_product, seed, image_base, product_prefix)
    rng = random.Random(seed)
    # Barcodes are unique per tenant: files with another product prefix get other barcodes.
    prefix_offset = 0 if product_prefix == "P" else zlib.crc32(product_prefix.encode()) % 900 + 1
    # 11 digits and a check digit (a valid GTIN-12, readiness/gtin.py), with at least 7
    # significant digits: 890000000000 is what Excel leaves of a long number shown as 8.9E+11,
    # a problem of its own (ingest/excel_numbers.py).
    barcode_base = 89_000_010_000 + prefix_offset * 1_000_000
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
            barcode=with_check_digit(barcode_base + i),  # a valid GTIN-12
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


# --------------------------------------------------------------------- realistic rows

_NAME_WORDS = (
    ("Classic", "Essential", "Relaxed", "Slim", "Oversized", "Premium", "Everyday", "Vintage"),
    ("Organic Cotton", "Linen Blend", "Stretch Denim", "Jersey", "Modal", "Twill", "Poplin"),
)
_PRODUCT_TYPES = (
    # (category, sub_category, next_sub_category, kind, hsn_code, size run)
    ("Men", "TopWear", "T-Shirt", "top", 61091000, ("S", "M", "L", "XL", "XXL", "3XL")),
    ("Men", "TopWear", "Shirt", "top", 62052000, (38, 39, 40, 42, 44, 46)),
    ("Men", "BottomWear", "Jeans", "bottom", 62034200, (28, 30, 32, 34, 36, 38)),
    ("Women", "TopWear", "Kurta", "top", 61046200, ("XS", "S", "M", "L", "XL", "XXL")),
    ("Women", "BottomWear", "Skirt", "bottom", 62045200, ("XS", "S", "M", "L", "XL")),
    ("Women", "Dresses", "", "top", 6204, ("XS", "S", "M", "L", "XL")),
    ("Kids", "Sets", "Co-ord Set", "set", 611120, ("2-3Y", "3-4Y", "4-5Y", "5-6Y", "6-7Y")),
)
_PALETTE = (
    "Black", "White", "Navy Blue", "Olive Green", "Maroon", "Mustard Yellow", "Teal",
    "Charcoal Grey", "Beige", "Dusty Pink", "Sky Blue", "Rust",
)  # fmt: skip
_SENTENCES = (
    "Crafted from breathable fabric that keeps you cool through long summer days.",
    "A wardrobe staple with a clean silhouette that pairs with almost anything.",
    "Pre-washed for a soft hand feel and minimal shrinkage after laundering.",
    "Reinforced seams and double-stitched hems for everyday durability.",
    "Designed in-house and made in small batches at audited partner factories.",
    "The tailored cut flatters without restricting movement.",
    "Colour-fast dyes keep the shade rich wash after wash.",
    "Finished with tonal buttons and a subtle woven brand label.",
    "Model is 6 ft and wears size M; choose your usual size for a regular fit.",
)
_BULLETS = (
    "Material: 100% cotton", "Care: machine wash cold, tumble dry low", "Fit: regular",
    "Closure: pull-on", "Pockets: 2 side, 1 back", "Country of origin: India",
    "Occasion: casual", "Wash care: do not bleach", "Package contents: 1 piece",
)  # fmt: skip
_FIT = ("Regular", "Slim", "Relaxed", "Oversized", "Straight")
_SLEEVE = ("Short Sleeve", "Long Sleeve", "Three-Quarter Sleeve", "Sleeveless")
_PATTERN = ("Solid", "Striped", "Checked", "Printed", "Colourblocked")
_MATERIAL = ("Cotton", "Linen", "Cotton Blend", "Polyester", "Viscose Rayon", "Denim")
_NECK = ("Round Neck", "V-Neck", "Polo Collar", "Mandarin Collar", "Boat Neck")
_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
_FACILITIES = (
    ("WH-BLR-01", "Bengaluru Warehouse"), ("WH-DEL-02", "Delhi NCR Fulfilment Centre"),
    ("ST-MUM-07", "Store 7 Bandra "), ("fac001", "Store 1 "),
)  # fmt: skip
_MEASURES = {
    "top": ("chest_bust_in", "front_length_in", "across_shoulder_in", "to_fit_bust_in"),
    "bottom": ("waist_in", "hips_in", "inseam_length_in", "to_fit_waist_in"),
    "set": (
        "chest_bust_in", "waist_in", "hips_in", "front_length_in", "across_shoulder_in",
        "to_fit_bust_in", "to_fit_waist_in", "inseam_length_in",
    ),
}  # fmt: skip


def _sentences(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.sample(_SENTENCES, rng.randint(low, high)))


def _realistic_product(
    rng: random.Random, p: int, image_base: str, product_prefix: str
) -> tuple[dict[str, Any], tuple[Any, ...], list[str], str]:
    cat, sub, nxt, kind, hsn, sizes = _PRODUCT_TYPES[rng.randrange(len(_PRODUCT_TYPES))]
    product_id = f"{product_prefix}{p:06d}"
    name = f"{rng.choice(_NAME_WORDS[0])} {rng.choice(_NAME_WORDS[1])} {nxt or sub}"
    if rng.random() < 0.5:
        name += f" with {rng.choice(_PATTERN).lower()} detailing"
    slug = name.lower().replace(" ", "-")
    folder = rng.choice(("catalog/2024/ss", "catalog/2025/aw", "uploads/lookbook", "media/pdp"))
    query = rng.choice(("", "", "?v=2", "?w=1200&q=80"))
    ext = rng.choice(_EXTENSIONS)
    n_images = rng.randint(1, 9)  # main_image plus 0..8 more
    images = [f"{image_base}/{folder}/{product_id}/{slug}-{k}{ext}{query}" for k in range(n_images)]
    facility = rng.choice(_FACILITIES)
    product: dict[str, Any] = {
        "product_id": product_id,
        "product_name": name,
        "brand": rng.choice(("BrandA", "BrandA Basics", "BrandA Studio")),
        "product_description": _sentences(rng, 2, 6),
        "category": cat,
        "sub_category": sub,
        "next_sub_category": nxt or None,
        **{col: (images[k] if k < n_images else None) for k, col in enumerate(IMAGE_COLUMNS)},
        "hsn_code": hsn,
        "product_highlights": _sentences(rng, 1, 2),
        "fit": rng.choice(_FIT),
        "sleeve": rng.choice(_SLEEVE) if kind != "bottom" else None,
        "pattern_type": rng.choice(_PATTERN),
        "material": rng.choice(_MATERIAL),
        "custom_code": f"SS{24 + p % 2}-{p:05d}" if rng.random() < 0.8 else 10000 + p,
        "tax_rule_id": rng.choice(("GST5", "GST12", "tax001")),
        "bullet_points": "; ".join(rng.sample(_BULLETS, rng.randint(3, 6))),
        "neck_type": rng.choice(_NECK) if kind != "bottom" else None,
        "sustainability_info": (
            "Made with organic cotton grown without synthetic pesticides; packed in recycled paper."
            if rng.random() < 0.4
            else None
        ),
        "facility_id": facility[0],
        "facility_name": facility[1],
    }
    colours = rng.sample(_PALETTE, rng.choice((1, 1, 2)))
    return product, sizes, colours, kind


def _realistic_rows(
    n_rows: int, skus_per_product: int, seed: int, image_base: str, product_prefix: str
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    combos: list[tuple[str, Any]] = []
    product: dict[str, Any] = {}
    kind = "top"
    for i in range(n_rows):
        p, j = divmod(i, skus_per_product)
        if j == 0:
            product, sizes, colours, kind = _realistic_product(rng, p, image_base, product_prefix)
            combos = [(c, s) for c in colours for s in sizes]
        colour, size = combos[j % len(combos)]
        price = rng.choice((299, 499, 799, 999, 1299.5, 1499, 1999, 2499, 3999.99, 4999))
        discount = rng.choice((None, 0.9, 0.8, 0.75, 0.6))
        base = 20 + (j % 6) * 2
        barcode: Any = with_check_digit(890_000_100_000 + i)  # 13-digit EAN, as a number
        if i % 10 == 3:  # 12-digit UPC with a leading zero
            barcode = Text(f"{with_check_digit(8_900_010_000 + i):012d}")
        row: dict[str, Any] = {c: None for c in COLUMN_NAMES}
        row.update(product)
        row.update(
            sku_id=f"{product['product_id']}-{colour[:3].upper()}-{size}-{j:02d}",
            barcode=barcode,
            size=size,
            color=colour,
            price=price,
            offer_price=round(price * discount, 2) if discount else None,
            stock=rng.randrange(0, 500),
            is_disabled=rng.random() < 0.02,
        )
        for measure in _MEASURES[kind]:
            row[measure] = base + rng.choice((0, 0.5, 1, 1.5)) + (10 if "length" in measure else 0)
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


def openpyxl_bytes(
    rows: Sequence[dict[str, Any]],
    spoil: Callable[[Any], None] | None = None,
    *,
    sheet_name: str = "BrandA_Briskk_SKU_Template",
) -> bytes:
    """An xlsx written by openpyxl, for what xlsxwriter cannot write: merged ranges, hidden
    rows, cached error cells, formulas without a cached value. `spoil(worksheet)` edits the
    cells (header on row 1, `rows` below) before saving."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append([REAL_HEADER[c] for c in COLUMN_NAMES])
    for row in rows:
        sheet.append([row[c] for c in COLUMN_NAMES])
    if spoil is not None:
        spoil(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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
