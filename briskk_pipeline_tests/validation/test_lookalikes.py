"""Look-alikes (`validation/lookalikes.py`): values that differ only by invisible characters
or by leading zeros lost on one row, in the file and against the tenant's catalog."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.lookalikes import digits_without_leading_zeros
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.catalog.builders import (
    product,
    products_frame,
    register,
    sku,
    skus_frame,
)
from briskk_pipeline_tests.validation.test_validate import raw_frame
from briskk_pipeline_tests.workbooks import template_rows


def warnings(result) -> list[tuple[int | None, str | None, str | None, str]]:
    """The look-alike warnings (a barcode that lost its zeros may also be no GTIN: readiness
    warns about that on its own)."""
    return [
        (w.row, w.column, w.value, w.message)
        for w in result.cell_warnings
        if "is not a GTIN" not in w.message and "check digit" not in w.message
    ]


# --------------------------------------------------------- invisible characters, product text


@pytest.mark.parametrize(
    ("column", "sent", "shown", "named"),
    [
        ("product_name", "Linen\u00a0Kurta", "Linen\\u00a0Kurta", "no-break space at character 6"),
        ("product_name", "Linen Kurta\u200b", "Linen Kurta\\u200b",
         "zero width space at character 12"),
        ("brand", "\ufeffBrandA", "\\ufeffBrandA", "zero width no-break space at character 1"),
        ("category", "Wo\u00admen", "Wo\\u00admen", "soft hyphen at character 3"),
        ("product_description", "Soft\u200b \u200blinen", "Soft\\u200b \\u200blinen",
         "zero width space at characters 5, 7"),
    ],
)  # fmt: skip
def test_product_text_differing_only_by_an_invisible_character_agrees_with_a_warning(
    column, sent, shown, named
):
    rows = template_rows(4)
    for row in rows:
        row[column] = sent.replace("\u00a0", " ").replace("\u200b", "").replace("\u00ad", "")
        row[column] = row[column].replace("\ufeff", "")
    first = rows[0][column]
    rows[2][column] = sent  # row 4
    result = validate_rows(raw_frame(rows))
    assert result.problems == []  # the old rule rejected the product: "differs from row 2"
    assert len(result.products) == 1
    assert warnings(result) == [
        (
            4,
            column,
            shown,
            f"looks the same as row 2 of product 'P000000' ('{first}') but differs by an "
            f"invisible character ({named}, in this cell): read as the same value; retype the "
            "text to remove it",
        )
    ]


def test_the_invisible_character_on_the_first_row_is_named_there():
    rows = template_rows(2)
    rows[0]["product_name"] = "Linen\u00a0Kurta"
    rows[1]["product_name"] = "Linen Kurta"
    result = validate_rows(raw_frame(rows))
    assert result.problems == []
    assert warnings(result)[0][3] == (
        "looks the same as row 2 of product 'P000000' ('Linen\\u00a0Kurta') but differs by an "
        "invisible character (no-break space at character 6, in that cell): read as the same "
        "value; retype the text to remove it"
    )


def test_product_text_that_really_differs_still_rejects():
    rows = template_rows(2)
    rows[0]["product_name"] = "Linen\u00a0Kurta"
    rows[1]["product_name"] = "Linen Shirt"
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column) for p in result.problems] == [(3, "product_name")]
    assert result.cell_warnings == []


# ------------------------------------------------------------------- leading zeros, in file


@pytest.mark.parametrize("column", ["barcode", "sku_id"])
def test_identifiers_equal_but_for_leading_zeros_are_named_to_each_other(column):
    rows = template_rows(8)
    rows[1][column] = "0012345678905"  # row 3: typed as text, zeros kept
    rows[5][column] = "12345678905"  # row 7: typed as a number, zeros dropped by Excel
    result = validate_rows(raw_frame(rows))
    tail = (
        "Excel drops the zeros of a number typed in a General column; if they are the same, "
        f"format the {column} column as Text and type the zeros again (they are loaded as "
        "different values)"
    )
    assert warnings(result) == [
        (3, column, "0012345678905", f"differs only by leading zeros from '12345678905' "
         f"(row 7): {tail}"),
        (7, column, "12345678905", f"differs only by leading zeros from '0012345678905' "
         f"(row 3): {tail}"),
    ]  # fmt: skip
    assert result.problems == []


def test_product_ids_losing_their_zeros_are_named():
    rows = template_rows(8)
    for row in rows[:4]:
        row["product_id"] = "000451"
    for row in rows[4:]:
        row["product_id"] = "451"
    result = validate_rows(raw_frame(rows))
    found = [(w.row, w.value) for w in result.cell_warnings if w.column == "product_id"]
    assert found == [(r, "000451") for r in (2, 3, 4, 5)] + [(r, "451") for r in (6, 7, 8, 9)]


@pytest.mark.parametrize(
    "pair", [("12345", "12345"), ("A012", "A12"), ("0", "00"), ("123", "1230")]
)
def test_no_look_alike_without_dropped_zeros(pair):
    rows = template_rows(8)
    rows[0]["custom_code"] = pair[0]
    rows[0]["sku_id"], rows[4]["sku_id"] = f"X{pair[0]}", f"X{pair[1]}"
    rows[1]["barcode"], rows[5]["barcode"] = None, None
    result = validate_rows(raw_frame(rows))
    assert not [w for w in result.cell_warnings if "leading zeros" in w.message]


# -------------------------------------------------------------- leading zeros, in the catalog


@pytest.fixture
def catalog(engine: sa.Engine) -> sa.Engine:
    """BrandA's catalog: product 000777 with SKU 0042 (barcode 0890000000123)."""
    register(engine, "BrandA-u1", "BrandA")
    load_upload(
        engine,
        upload_id="BrandA-u1",
        tenant="BrandA",
        products=products_frame([product("000777")]),
        skus=skus_frame([sku("0042", "000777", barcode="0890000000123")]),
        outcome=UploadOutcome(status="succeeded"),
    )
    return engine


def test_catalog_values_without_leading_zeros_are_found(catalog):
    forms = {"product_id": ["777"], "sku_id": ["42", "9"], "barcode": ["890000000123"]}
    assert digits_without_leading_zeros(catalog, "BrandA", forms) == {
        "product_id": ["000777"],
        "sku_id": ["0042"],
        "barcode": ["0890000000123"],
    }
    assert digits_without_leading_zeros(catalog, "BrandB", forms) == {
        "product_id": [],
        "sku_id": [],
        "barcode": [],
    }


def test_an_identifier_that_lost_its_zeros_against_the_catalog_is_named(catalog):
    rows = template_rows(4)
    rows[2]["barcode"] = "890000000123"  # row 4: the catalog's 0890000000123 without its zero
    rows[3]["sku_id"] = "0042"  # row 5: exactly the catalog's id: no warning
    result = validate_rows(
        raw_frame(rows),
        zero_lookalikes=lambda forms: digits_without_leading_zeros(catalog, "BrandA", forms),
    )
    assert [(row, column, value, message.split(":")[0])
            for row, column, value, message in warnings(result)] == [
        (4, "barcode", "890000000123",
         "differs only by leading zeros from '0890000000123' (in your catalog)"),
    ]  # fmt: skip
