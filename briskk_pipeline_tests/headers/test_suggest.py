"""`headers.suggest`: which unrecognised header a missing template column probably is."""

from __future__ import annotations

import pytest

from briskk_pipeline import template
from briskk_pipeline.headers import normalized, suggest, synonyms


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("MRP", "price"),
        ("M.R.P.", "price"),
        ("Selling Price", "offer_price"),
        ("SP", "offer_price"),
        ("EAN", "barcode"),
        ("GTIN", "barcode"),
        ("UPC", "barcode"),
        ("Qty", "stock"),
        ("Inventory", "stock"),
        ("Quantity", "stock"),
        ("Style Code", "product_id"),
        ("SKU Code", "sku_id"),
        ("HSN", "hsn_code"),
        ("Colour", "color"),
        ("Product ID", "product_id"),  # the name written with a space
        ("prodcut_id*", "product_id"),  # a typo
        ("Selling Prce", "offer_price"),  # a typo of a synonym
    ],
)
def test_a_header_is_suggested_for_the_column_it_names(header, column):
    missing = [c for c in template.COLUMN_NAMES if c != "is_disabled"]
    assert [(s.column, s.header) for s in suggest([header], missing)] == [(column, header)]


def test_each_header_is_suggested_once_best_first():
    found = suggest(["Notes", "Selling Price", "MRP", "Qty"], ["price", "offer_price", "stock"])
    assert [(s.column, s.header, s.score) for s in found] == [
        ("price", "MRP", 95.0),
        ("offer_price", "Selling Price", 95.0),
        ("stock", "Qty", 95.0),
    ]
    assert found[0].reason == "a common name for price"


@pytest.mark.parametrize("header", ["Notes", "Internal notes", "Season", "Remarks", ""])
def test_an_unrelated_header_is_suggested_for_nothing(header):
    assert suggest([header], list(template.COLUMN_NAMES)) == []


def test_normalized_ignores_case_punctuation_and_stars():
    assert normalized(" Selling_Price* ") == "selling price"
    assert normalized("M.R.P.") == "m r p"


def test_synonym_table_names_only_template_columns():
    assert set(synonyms()) <= set(template.COLUMN_NAMES)
    assert "MRP" in synonyms()["price"]
