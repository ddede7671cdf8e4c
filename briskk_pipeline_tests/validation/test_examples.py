"""The template's own example rows are rejected, one problem each; a brand's real product
whose id happens to equal an example's is not (`validation/examples.py`)."""

from __future__ import annotations

import openpyxl
import pytest

from briskk_pipeline.template import normalize_header
from briskk_pipeline.validation.examples import examples
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.real_template import REAL_TEMPLATE
from briskk_pipeline_tests.validation.test_validate import raw_frame
from briskk_pipeline_tests.workbooks import template_rows


def example_row(index: int, **changes: object) -> dict[str, object]:
    """Template-valid row carrying example `index`'s ids and content."""
    row = template_rows(1)[0]
    row.update({k: v for k, v in examples()[index].items()})
    row.update(changes)
    return row


def test_the_data_file_is_the_real_templates_sample_rows():
    sheet = openpyxl.load_workbook(REAL_TEMPLATE, read_only=True)["Sample fields and data"]
    rows = list(sheet.iter_rows(min_row=1, max_row=5, values_only=True))
    names = [normalize_header(h) for h in rows[0]]
    shipped = [dict(zip(names, row, strict=True)) for row in rows[1:]]
    for example, row in zip(examples(), shipped, strict=True):
        for column, value in example.items():
            assert str(row[column]) == value, column


def test_examples_are_rejected_and_the_brands_products_load():
    rows = [example_row(0), example_row(1), *template_rows(4)]
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (2, "product_id", "prod001"),
        (3, "product_id", "prod002"),
    ]
    assert result.problems[1].message == (
        "this row is the template's own example product 'Men's Slim Fit Jeans' (prod002 / "
        "sku002 in the template's sample data), not one of your products: delete the "
        "template's example rows and upload again"
    )
    assert list(result.products["product_id"]) == ["P000000"]


@pytest.mark.parametrize(
    "changes",
    [
        {"price": 999, "stock": 3},  # the example with the brand's own price and stock
        {"product_id": "PROD001"},  # any letter case
        {"sku_id": "my-sku-1"},  # the product id alone
        {"product_id": "my-style", "barcode": None},  # the SKU id alone, two contents left
        {"product_name": "MEN'S  COTTON T-SHIRT", "barcode": None, "bullet_points": None},
    ],
)
def test_an_example_a_little_edited_is_still_an_example(changes):
    result = validate_rows(raw_frame([example_row(0, **changes)]))
    assert [p.message.split(" (")[0] for p in result.problems] == [
        "this row is the template's own example product 'Men's Cotton T-Shirt'"
    ]


@pytest.mark.parametrize(
    "changes",
    [
        # a brand whose own style is called prod001: its own name, text and barcode
        {
            "product_name": "Linen Kurta",
            "product_description": "Hand-woven linen",
            "barcode": "8901234567894",
            "product_highlights": "Relaxed fit",
            "bullet_points": "Linen",
        },
        # the example's content under the brand's own ids (typed over the examples)
        {"product_id": "kurta001", "sku_id": "ksku001"},
        # one content cell in common is a coincidence
        {
            "product_description": "Other",
            "barcode": "8901234567894",
            "product_highlights": "x",
            "bullet_points": "y",
        },
    ],
)
def test_a_brands_product_is_not_an_example(changes):
    result = validate_rows(raw_frame([example_row(0, **changes)]))
    assert result.problems == [] and len(result.products) == 1
