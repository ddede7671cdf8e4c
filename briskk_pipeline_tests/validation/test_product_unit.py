"""A product is one unit, also when its rows are incomplete (Fidelity issue, item 3)."""

from __future__ import annotations

import pytest

from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.validation.test_validate import raw_frame
from briskk_pipeline_tests.workbooks import template_rows

PRODUCT_FIELDS = ("product_name", "brand", "product_description", "category", "hsn_code")


def typed_once(rows, product_fields=PRODUCT_FIELDS, first=0, count=4):
    """Blank the product fields on every row of a product but its first."""
    for row in rows[first + 1 : first + count]:
        for name in product_fields:
            row[name] = None
    return rows


def test_blank_product_cells_on_later_rows_take_the_products_value():
    result = validate_rows(raw_frame(typed_once(template_rows(8))))
    assert result.problems == []
    assert result.products["product_id"].tolist() == ["P000000", "P000001"]
    assert result.products.iloc[0]["brand"] == "BrandA"
    assert len(result.skus) == 8


def test_a_product_value_typed_on_a_later_row_only_is_the_products_value():
    rows = template_rows(8)
    rows[0]["sub_category"] = None
    rows[1]["sub_category"] = None
    rows[2]["sub_category"] = "Polo"
    rows[3]["sub_category"] = None
    result = validate_rows(raw_frame(rows))
    assert result.problems == []
    assert result.products.iloc[0]["sub_category"] == "Polo"


def test_values_that_disagree_are_still_a_problem():
    rows = typed_once(template_rows(8))
    rows[2]["brand"] = "BrandZ"
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column, p.value) for p in result.problems] == [(4, "brand", "BrandZ")]
    assert result.products["product_id"].tolist() == ["P000001"]


@pytest.mark.parametrize(
    ("owners", "where"),
    [
        ({"P000000-1": "P000000"}, "in your catalog"),  # the catalog knows the SKU's product
        ({}, None),  # an unknown SKU on a row without product_id: that row alone
    ],
)
def test_a_row_without_product_id_rejects_the_product_its_sku_belongs_to(owners, where):
    rows = template_rows(8)
    rows[1]["product_id"] = None  # row 3, SKU P000000-1
    result = validate_rows(raw_frame(rows), sku_owners=lambda ids: owners)
    assert [(p.row, p.column) for p in result.problems] == [(3, "product_id")]
    if where is None:
        assert result.problems[0].message == "is required but empty"
        assert result.products["product_id"].tolist() == ["P000000", "P000001"]
        assert result.rows_rejected == 1
    else:
        assert result.problems[0].message == (
            "product_id is empty, but sku_id 'P000000-1' belongs to product 'P000000' "
            f"({where}): product 'P000000' is rejected until product_id is filled on every "
            "one of its rows"
        )
        assert result.products["product_id"].tolist() == ["P000001"]
        assert (result.products_rejected, result.rows_rejected) == (1, 4)
    assert "P000000-1" in result.file_sku_ids  # listed, so never disabled by the load


def test_a_row_without_product_id_whose_sku_is_listed_again_in_the_file():
    rows = template_rows(8)
    rows[5]["product_id"] = None  # row 7
    rows[5]["sku_id"] = "P000000-2"  # also on row 4, under P000000
    result = validate_rows(raw_frame(rows))
    messages = {(p.row, p.column): p.message for p in result.problems}
    assert "belongs to product 'P000000' (in this file)" in messages[(7, "product_id")]
    assert result.products["product_id"].tolist() == ["P000001"]


def test_no_false_cannot_move_message_for_rows_without_product_id():
    rows = template_rows(8)
    for row in rows[1:4]:
        row["product_id"] = None
    owners = {f"P000000-{i}": "P000000" for i in range(4)}
    result = validate_rows(raw_frame(rows), sku_owners=lambda ids: owners)
    assert not any("cannot move to another product" in p.message for p in result.problems)
    assert [(p.row, p.column) for p in result.problems] == [(r, "product_id") for r in (3, 4, 5)]
