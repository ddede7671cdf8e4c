"""Cleaning and every SPEC §2 validation rule, each with a passing and a failing case."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline.validation.cleaning import clean
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.workbooks import template_rows


def raw_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as the reader hands them over: trimmed text or NA, indexed by Excel row."""
    text = [
        {c: (None if r.get(c) is None else str(r[c]).strip()) for c in COLUMN_NAMES} for r in rows
    ]
    frame = pd.DataFrame(text, columns=list(COLUMN_NAMES), dtype="str")
    frame.index = pd.Index(range(2, 2 + len(rows)), name="row")
    return frame


def one_row(**changes: Any) -> pd.DataFrame:
    row = template_rows(1)[0]
    row.update(changes)
    return raw_frame([row])


# --------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("column", "given", "expected"),
    [
        ("barcode", "123456789012.0", "123456789012"),
        ("barcode", "012345678905", "012345678905"),
        ("hsn_code", "61091000.00", "61091000"),
        ("size", "32.0", "32"),
        ("size", "32.5", "32.5"),
        ("sku_id", "SKU-1.0", "SKU-1.0"),
        ("facility_id", "7.0", "7"),
        ("custom_code", "00123", "00123"),
        ("tax_rule_id", "12.0", "12"),
    ],
)
def test_identifiers_stay_text_never_floats(column, given, expected):
    typed = clean(one_row(**{column: given})).typed
    assert typed.at[2, column] == expected


@pytest.mark.parametrize(
    ("given", "exact", "number"),
    [
        ("1,299.00", "1299.00", 1299.0),
        ("499.99", "499.99", 499.99),
        ("+5", "5", 5.0),
        (".5", "0.5", 0.5),
        ("12.", "12", 12.0),
        ("1 299", "1299", 1299.0),
        ("₹ 100", "100", 100.0),
    ],
)
def test_prices_are_exact_decimals(given, exact, number):
    cleaned = clean(one_row(price=given, offer_price=None))
    assert cleaned.exact.at[2, "price"] == exact
    assert cleaned.typed.at[2, "price"] == number
    assert cleaned.problems == []


@pytest.mark.parametrize("given", ["abc", "12,3x", "1e3x"])  # more in test_numbers.py
def test_non_numbers_are_reported(given):
    problems = clean(one_row(price=given)).problems
    assert [(p.row, p.column, p.value, p.message) for p in problems] == [
        (2, "price", given, "must be a number, like 1299.00")
    ]


@pytest.mark.parametrize(
    ("given", "stock", "ok"),
    [("25", 25, True), ("25.0", 25, True), ("1,000", 1000, True), ("2.5", None, False)],
)
def test_stock_is_an_integer(given, stock, ok):
    cleaned = clean(one_row(stock=given))
    if ok:
        assert cleaned.typed.at[2, "stock"] == stock
        assert cleaned.problems == []
    else:
        assert [p.message for p in cleaned.problems] == ["must be a whole number, like 25"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("TRUE", True),
        ("true", True),
        ("yes", True),
        ("1", True),
        ("FALSE", False),
        ("no", False),
        ("0", False),
        (None, False),
    ],
)
def test_is_disabled_accepts_the_usual_spellings(given, expected):
    cleaned = clean(one_row(is_disabled=given))
    assert bool(cleaned.typed.at[2, "is_disabled"]) is expected
    assert cleaned.problems == []


def test_is_disabled_rejects_other_words():
    problems = clean(one_row(is_disabled="maybe")).problems
    assert [(p.column, p.value) for p in problems] == [("is_disabled", "maybe")]


# ------------------------------------------------------------------------ single rows

RULES = [
    # column, good value, bad value, message
    ("product_name", "Tee", None, "is required but empty"),
    ("main_image", "https://x.test/a.jpg", None, "is required but empty"),
    ("sku_id", "S1", None, "is required but empty"),
    ("price", "10", "0", "must be greater than 0"),
    ("price", "0.01", "-5", "must be greater than 0"),
    ("offer_price", "10", "0", "must be greater than 0"),
    ("stock", "0", "-1", "must be 0 or more"),
    ("chest_bust_in", "0", "-2", "must be 0 or more"),
    ("inseam_length_in", "30.5", "-0.5", "must be 0 or more"),
    ("barcode", "12345678", "1234567", "must be 8 to 14 digits"),
    ("barcode", "12345678901234", "123456789012345", "must be 8 to 14 digits"),
    ("barcode", "012345678905", "0123-4567-8905", "must be 8 to 14 digits"),
    # SPEC §2: a heading, sub-heading or tariff item of the list (readiness/hsn.py); the
    # 2-digit chapter accepted before 0012_readiness is now a problem of its own
    ("hsn_code", "61091000", "6", "must be 4, 6 or 8 digits"),
    ("hsn_code", "61091000", "61", "is a chapter (61), not an HSN code"),
    ("hsn_code", "61091000", "610910001", "must be 4, 6 or 8 digits"),
    ("hsn_code", "61091000", "61091099", "is not a tariff item of the Customs Tariff"),
]  # unusable image URLs are warnings, not problems: test_image_urls.py


@pytest.mark.parametrize(("column", "good", "bad", "message"), RULES)
def test_rule_passes_good_and_reports_bad(column, good, bad, message):
    overrides = {"offer_price": None} if column == "price" else {}
    accepted = validate_rows(one_row(**{column: good}, **overrides))
    assert accepted.problems == []
    assert len(accepted.skus) == 1
    rejected = validate_rows(one_row(**{column: bad}, **overrides))
    assert [(p.row, p.column, p.value) for p in rejected.problems] == [(2, column, bad)]
    assert rejected.problems[0].message.startswith(message)
    assert rejected.skus.empty and rejected.products_rejected == 1


def test_offer_above_price_is_reported_once_on_offer_price():
    result = validate_rows(one_row(price="500", offer_price="600"))
    assert [(p.row, p.column, p.value, p.message) for p in result.problems] == [
        (2, "offer_price", "600", "must not be more than price")
    ]
    ok = validate_rows(one_row(price="500", offer_price="500"))
    assert ok.problems == []


def test_one_problem_per_cell():
    # "abc" fails conversion; the resulting null must not also be "is required but empty"
    result = validate_rows(one_row(price="abc"))
    assert [(p.column, p.message) for p in result.problems] == [
        ("price", "must be a number, like 1299.00")
    ]


# -------------------------------------------------------------------------- cross-row


def test_duplicate_sku_id_rejects_every_product_holding_it():
    rows = template_rows(8)  # products P000000 and P000001
    rows[5]["sku_id"] = rows[1]["sku_id"]
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column) for p in result.problems] == [(3, "sku_id"), (7, "sku_id")]
    assert "rows 3, 7" in result.problems[0].message
    assert result.products_rejected == 2 and result.rows_rejected == 8
    assert result.status == "rejected"


def test_unique_sku_ids_pass():
    result = validate_rows(raw_frame(template_rows(8)))
    assert result.problems == [] and len(result.skus) == 8 and len(result.products) == 2


def test_conflicting_product_fields_reject_the_product_only():
    rows = template_rows(8)
    rows[2]["brand"] = "BrandZ"  # row 4, product P000000
    rows[3]["category"] = "Kids"  # row 5
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (4, "brand", "BrandZ"),
        (5, "category", "Kids"),
    ]
    assert "row 2 of product 'P000000', which has 'BrandA'" in result.problems[0].message
    assert result.products["product_id"].tolist() == ["P000001"]
    assert result.skus["sku_id"].tolist() == [f"P000001-{i}" for i in range(4)]
    assert (result.products_rejected, result.rows_rejected, result.status) == (1, 4, "succeeded")


def test_identifier_spelled_as_number_does_not_conflict():
    rows = template_rows(2)
    rows[0]["hsn_code"] = "61091000"
    rows[1]["hsn_code"] = "61091000.0"
    assert validate_rows(raw_frame(rows)).problems == []


def test_sku_owned_by_another_product_of_the_tenant():
    rows = template_rows(4)
    owners = {"P000000-1": "OTHER", "P000000-2": "P000000"}
    result = validate_rows(raw_frame(rows), sku_owners=lambda ids: owners)
    assert [(p.row, p.column, p.value) for p in result.problems] == [(3, "sku_id", "P000000-1")]
    assert "already belongs to product 'OTHER'" in result.problems[0].message
    assert validate_rows(raw_frame(rows), sku_owners=lambda ids: {}).problems == []


def test_row_without_product_id_is_rejected_alone():
    rows = template_rows(8)
    rows[4]["product_id"] = None
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column) for p in result.problems] == [(6, "product_id")]
    # no product can be blamed for a row that names none: the others load
    assert result.products["product_id"].tolist() == ["P000000", "P000001"]
    assert (result.products_rejected, result.rows_rejected) == (0, 1)
    assert len(result.skus) == 7


def test_every_problem_of_a_file_is_reported_in_one_pass():
    rows = template_rows(8)
    rows[0]["price"] = "abc"
    rows[1]["stock"] = -4
    rows[6]["barcode"] = "12"
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "price"),
        (3, "stock"),
        (8, "barcode"),
    ]
    assert result.products_rejected == 2 and result.skus.empty
    assert result.status == "rejected"


def test_valid_output_types():
    rows = template_rows(4)
    rows[0]["price"] = "1,299.50"
    rows[0]["offer_price"] = None
    result = validate_rows(raw_frame(rows))
    skus = result.skus
    assert skus.at[0, "price"] == "1299.50"
    assert pd.isna(skus.at[0, "offer_price"])
    assert str(skus["stock"].dtype) == "Int64"
    assert skus["is_disabled"].dtype == bool
    assert skus.at[0, "size"] == str(rows[0]["size"])
    assert result.products.columns[0] == "product_id"
