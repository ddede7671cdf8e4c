"""An unusable image URL is a warning for its cell, never a rejection (SPEC §2)."""

from __future__ import annotations

import pytest

from briskk_pipeline.images.urls import NOT_A_WEB_ADDRESS, ONE_ADDRESS_PER_CELL
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.validation.test_validate import one_row, raw_frame
from briskk_pipeline_tests.workbooks import template_rows

TWO = "https://x.test/a.jpg, https://x.test/b.jpg"


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("main_image", "ftp://x.test/a.jpg", f"{NOT_A_WEB_ADDRESS}, not ftp:"),
        ("main_image", TWO, ONE_ADDRESS_PER_CELL),
        ("image_1", "https://x.test/a.jpg https://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
        ("image_3", "www.x.test/a.jpg", NOT_A_WEB_ADDRESS),
        ("image_5", "https://", "has no host name"),
        ("image_8", "file:///etc/passwd", NOT_A_WEB_ADDRESS),
    ],
)
def test_unusable_image_url_warns_and_the_product_loads(column, cell, message):
    result = validate_rows(one_row(**{column: cell}))
    assert result.problems == []
    assert len(result.products) == 1 and len(result.skus) == 1
    assert result.products.at[0, column] == cell  # kept as the brand wrote it
    assert [(w.row, w.column, w.value) for w in result.cell_warnings] == [(2, column, cell)]
    assert result.cell_warnings[0].message.startswith(message)
    assert result.status == "succeeded"


@pytest.mark.parametrize(
    "cell",
    [
        "https://x.test/summer collection/a.jpg",
        "https://x.test/ürün.jpg",
        "https://bücher.test/a.jpg",
        "https://x.test/a%20b.jpg?w=400",
        "https://x.test/upload/w_400,h_400/a.jpg",
    ],
)
def test_a_usable_image_url_gives_no_warning(cell):
    result = validate_rows(one_row(image_2=cell))
    assert result.problems == [] and result.cell_warnings == []


def test_missing_main_image_is_still_a_required_field_problem():
    result = validate_rows(one_row(main_image=None))
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "main_image", "is required but empty")
    ]
    assert result.products.empty and result.cell_warnings == []


def test_one_warning_per_product_cell_at_its_first_row_and_first_rows_are_kept():
    rows = template_rows(8)  # P000000 on rows 2-5, P000001 on rows 6-9
    for row in rows[4:]:
        row["image_1"] = TWO
    result = validate_rows(raw_frame(rows))
    assert [(w.row, w.column) for w in result.cell_warnings] == [(6, "image_1")]
    assert str(result.cell_warnings[0]) == (
        f"row 6, column image_1: {ONE_ADDRESS_PER_CELL} (value {TWO!r})"
    )
    assert result.product_rows == {"P000000": 2, "P000001": 6}
    assert len(result.products) == 2 and result.problems == []
