"""`color_family` / `size_normalised` stored with each SKU and filterable through `briskk
products`; vocabulary warnings in `briskk ingest` and the real template free of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.real_template import brand_copy
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def coloured_workbook(tmp_path: Path, name: str = "BrandV_Briskk_SKU_Template") -> Path:
    """3 products of 4 SKUs: P000000 navy/blue, P000001 black/white and mustard, P000002 red."""
    rows = template_rows(12)
    colours = ["Navy Blue", "navy blue", "Sky Blue", "Blu"]
    colours += ["Black", "Black/White", "Mustard", "Mustard"]
    colours += ["Red", "Maroon", "Wine", "Crimson"]
    sizes = ["2XL", "XXL", "uk 8", "32", "M", "Free Size", "S/M", "2-3Y", "L", "XL", "6XL", "9.5"]
    for row, colour, size in zip(rows, colours, sizes, strict=True):
        row.update(color=colour, size=size, fit="Regular Fit")
    return write_xlsx(tmp_path / f"{name}.xlsx", rows, sheet_name=name)


def test_families_and_sizes_are_stored_shown_and_filtered(env, tmp_path):
    result = briskk_json(env, "ingest", str(coloured_workbook(tmp_path)))
    assert result["status"] == "succeeded" and result["skus_loaded"] == 12
    # one warning per distinct value outside its vocabulary, naming its rows
    vocabulary = [w for w in result["warnings"] if "vocabulary" in w or "size systems" in w]
    assert len(vocabulary) == 4, vocabulary
    assert any(w.startswith("row 5, column color: has no colour family") for w in vocabulary)
    assert any("(rows 8, 9)" in w and "'Mustard'" in w for w in vocabulary)
    assert any(w.startswith("row 12, column color") and "'Wine'" in w for w in vocabulary)
    assert any(w.startswith("row 7, column size") and "'Free Size'" in w for w in vocabulary)

    products = briskk_json(env, "products", "--tenant", "BrandV")
    skus = {s["sku_id"]: s for p in products for s in p["skus"]}
    read = [
        (s["color"], s["color_family"], s["size"], s["size_normalised"], s["size_system"])
        for s in sorted(skus.values(), key=lambda s: s["sku_id"])
    ]
    assert read == [
        ("Navy Blue", "Navy", "2XL", "XXL", "letter"),
        ("navy blue", "Navy", "XXL", "XXL", "letter"),
        ("Sky Blue", "Blue", "uk 8", "UK 8", "UK"),
        ("Blu", None, "32", "32", "numeric"),
        ("Black", "Black", "M", "M", "letter"),
        ("Black/White", "Multicolor", "Free Size", None, None),
        ("Mustard", None, "S/M", "S/M", "letter range"),
        ("Mustard", None, "2-3Y", "2-3 years", "age"),
        ("Red", "Red", "L", "L", "letter"),
        ("Maroon", "Brown", "XL", "XL", "letter"),
        ("Wine", None, "6XL", "6XL", "letter"),
        ("Crimson", "Red", "9.5", "9.5", "numeric"),
    ]

    def ids(*args: str) -> list[str]:
        return [p["product_id"] for p in briskk_json(env, "products", *args)]

    assert ids("--color-family", "Blue") == ["P000000"]
    assert ids("--color-family", "navy") == ["P000000"]  # any letter case
    assert ids("--color-family", "Red", "--tenant", "brandv") == ["P000002"]
    assert ids("--color-family", "Green") == []
    assert ids("--size", "XXL") == ["P000000"]
    assert ids("--size", "2xl") == ["P000000"]  # read like the brand's sizes
    assert ids("--color-family", "Multicolor", "--size", "free size") == []
    # a filtered product still lists all its SKUs
    (blue,) = briskk_json(env, "products", "--color-family", "Blue")
    assert len(blue["skus"]) == 4
    table = briskk(env, "products", "--color-family", "Green")
    assert table.returncode == 0 and "no product matches" in table.stdout

    # a re-upload changing a colour changes its family; the brand's words stay as written
    rows = template_rows(12)
    for row in rows:
        row.update(color="Olive", size="m")
    name = "BrandV_Briskk_SKU_Template"
    again = write_xlsx(tmp_path / "again.xlsx", rows, sheet_name=name)
    assert briskk_json(env, "ingest", str(again))["status"] == "succeeded"
    assert ids("--color-family", "Green") == ["P000000", "P000001", "P000002"]
    assert ids("--color-family", "Navy") == []
    stored = briskk_json(env, "products", "--tenant", "BrandV")[0]["skus"][0]
    assert (stored["color"], stored["size"], stored["size_normalised"]) == ("Olive", "m", "M")


def test_real_template_has_no_vocabulary_warning(env, tmp_path):
    # the template's own example rows are never loaded: a copy with their ids renamed
    result = briskk_json(env, "ingest", str(brand_copy(tmp_path)))
    assert result["status"] == "succeeded"
    assert [w for w in result["warnings"] if "vocabulary" in w or "size systems" in w] == []
    families = {
        s["sku_id"]: (s["color_family"], s["size_normalised"])
        for p in briskk_json(env, "products")
        for s in p["skus"]
    }
    assert families == {
        "ksku001": ("Blue", "M"),
        "ksku002": ("Black", "32"),
        "ksku003": ("Red", "L"),
        "ksku004": ("Pink", "M"),
    }
