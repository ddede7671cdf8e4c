"""`check_vocabularies` and its place in `validate_rows`: warnings once per distinct value,
problems (the product rejected) for strict columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline.vocab.check import check_vocabularies
from briskk_pipeline_tests.validation.test_validate import raw_frame
from briskk_pipeline_tests.workbooks import template_rows


def rows(n: int = 8, **changes: Any) -> list[dict[str, Any]]:
    """`n` valid rows (2 products of 4 SKUs: P000000 rows 2-5, P000001 rows 6-9) with
    `fit`/`sleeve`/... set; `changes` maps an Excel row to its changed cells."""
    out = template_rows(n)
    for i, row in enumerate(out):
        row.update(
            fit="Regular",
            sleeve="Short Sleeve",
            pattern_type="Solid",
            material="Cotton",
            neck_type="Round Neck",
            color="Blue",
            size="M",
        )
        row.update(changes.get(f"r{i + 2}", {}))
    return out


def test_values_in_vocabulary_in_any_case_and_spacing_pass() -> None:
    first = {"fit": " regular fit", "sleeve": "SHORT SLEEVE", "neck_type": "v-neck"}
    second = {"material": "100% cotton", "pattern_type": "floral print"}
    changes = {f"r{r}": dict(first) for r in range(2, 6)}
    changes |= {f"r{r}": dict(second) for r in range(6, 10)}
    changes["r2"].update(color="navy blue", size="2xl")
    changes["r6"].update(color="Light Sky Blue", size="UK 8")
    frame = raw_frame(rows(**changes))
    found = check_vocabularies(frame, strict_columns=frozenset())
    assert (found.problems, found.warnings) == ([], [])
    result = validate_rows(frame)
    assert (result.problems, result.cell_warnings) == ([], [])
    assert len(result.skus) == 8


def test_out_of_vocabulary_value_is_one_warning_naming_its_rows_and_nearest() -> None:
    changes: dict[str, dict[str, Any]] = {f"r{r}": {"fit": "Reguler"} for r in range(6, 10)}
    for r in ("r3", "r4", "r7"):
        changes.setdefault(r, {})["color"] = "Blu"
    changes["r8"]["size"] = "Free Size"
    frame = raw_frame(rows(**changes))
    result = validate_rows(frame)
    assert result.problems == []
    assert len(result.skus) == 8  # warnings never hold a row back
    by_column = {w.column: w for w in result.cell_warnings}
    assert sorted(by_column) == ["color", "fit", "size"]  # one per distinct value
    color = by_column["color"]
    assert (color.row, color.value) == (3, "Blu")
    assert "(rows 3, 4, 7)" in color.message
    assert "'Blue'" in color.message.split("closest allowed values:")[1]
    fit = by_column["fit"]
    assert fit.message.startswith("is not in the fit vocabulary (rows 6, 7, 8, 9)")
    assert "closest allowed values: 'Regular'" in fit.message
    assert (by_column["size"].row, by_column["size"].value) == (8, "Free Size")
    # the brand's words are kept: nothing is rewritten
    assert sorted(result.skus["color"].unique()) == ["Blu", "Blue"]
    assert str(color) in result.warnings or result.warnings == []  # set by the asset


def test_product_level_value_on_every_row_of_a_product_is_one_warning() -> None:
    frame = raw_frame(rows(**{f"r{r}": {"sleeve": "Half Sleeve"} for r in range(2, 10)}))
    warnings = check_vocabularies(frame, strict_columns=frozenset()).warnings
    assert len(warnings) == 1
    assert warnings[0].message.startswith(
        "is not in the sleeve vocabulary (rows 2, 3, 4, 5, 6, 7, 8, 9)"
    )


def test_many_rows_are_named_up_to_ten() -> None:
    frame = raw_frame(rows(40, **{f"r{r}": {"color": "Mustard"} for r in range(2, 42)}))
    (warning,) = check_vocabularies(frame, strict_columns=frozenset()).warnings
    assert "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 30 more)" in warning.message


def test_strict_column_rejects_the_product_with_a_problem() -> None:
    reguler = {f"r{r}": {"fit": "Reguler"} for r in range(6, 10)}
    frame = raw_frame(rows(r3={"color": "Blu"}, r4={"color": "Blu"}, **reguler))
    result = validate_rows(frame, strict_columns=frozenset({"color"}))
    # P000000 (rows 2-5) is rejected whole; P000001 (rows 6-9) loads
    assert sorted(result.products["product_id"]) == ["P000001"]
    assert result.rejected_products == ["P000000"]
    (problem,) = result.problems  # one per value and product, at its first row
    assert (problem.row, problem.column, problem.value) == (3, "color", "Blu")
    assert "closest: 'Blue'" in problem.message
    assert "brand profile requires color" in problem.message
    # fit is not strict: still a warning
    assert [(w.row, w.column) for w in result.cell_warnings] == [(6, "fit")]


def test_strict_value_in_two_products_rejects_both() -> None:
    frame = raw_frame(rows(r2={"size": "Free Size"}, r9={"size": "Free Size"}))
    found = check_vocabularies(frame, strict_columns=frozenset({"size"}))
    assert [(p.row, p.column) for p in found.problems] == [(2, "size"), (9, "size")]
    assert found.warnings == []
    result = validate_rows(frame, strict_columns=frozenset({"size"}))
    assert result.products.empty and result.status == "rejected"


def test_blank_and_absent_columns_are_not_checked() -> None:
    frame = raw_frame(rows(r2={"fit": None, "neck_type": ""}))
    assert check_vocabularies(frame, strict_columns=frozenset({"fit"})).problems == []
    only = pd.DataFrame({"sku_id": ["S1"], "color": ["Blu"]}, index=[2])
    (warning,) = check_vocabularies(only, strict_columns=frozenset()).warnings
    assert warning.column == "color"


def test_spellings_of_one_unknown_value_are_one_warning() -> None:
    frame = raw_frame(rows(r3={"color": "Blu"}, r5={"color": "BLU"}, r8={"color": "b-l-u"}))
    (warning,) = check_vocabularies(frame, strict_columns=frozenset()).warnings
    assert (warning.row, warning.value) == (3, "Blu")
    assert "(rows 3, 5, 8)" in warning.message


def test_past_twenty_distinct_values_the_rest_are_one_warning() -> None:
    frame = raw_frame(rows(40, **{f"r{r}": {"color": f"Shade {r}"} for r in range(2, 42)}))
    warnings = check_vocabularies(frame, strict_columns=frozenset()).warnings
    assert len(warnings) == 21
    assert [w.value for w in warnings[:20]] == [f"Shade {r}" for r in range(2, 22)]
    last = warnings[20]
    assert (last.row, last.value) == (22, None)
    assert last.message.startswith(
        "20 more values of color are outside its vocabulary (rows 22, 23, 24, 25, 26, 27, 28, "
        "29, 30, 31 and 10 more)"
    )
    # strict: every product with such a value is still rejected
    strict = check_vocabularies(frame, strict_columns=frozenset({"color"}))
    assert strict.warnings == [] and len(strict.problems) == 40


def test_only_the_columns_the_file_has_are_checked() -> None:
    # an update file (sku_id, price): its colours come from the catalog, not from the brand
    frame = raw_frame(rows(r3={"color": "Mustard"}))
    assert validate_rows(frame, file_columns=["sku_id", "price"]).cell_warnings == []
    (warning,) = validate_rows(frame, file_columns=["sku_id", "price", "color"]).cell_warnings
    assert (warning.row, warning.value) == (3, "Mustard")


def test_fixture_workbooks_stay_quiet() -> None:
    """Measured: the 8-row test workbook has no vocabulary warning, the 40-row one one
    (Mustard), the realistic 800-row one nine (one per distinct value), in 0.05 s."""
    assert (
        check_vocabularies(raw_frame(template_rows(8)), strict_columns=frozenset()).warnings == []
    )
    (mustard,) = check_vocabularies(
        raw_frame(template_rows(40)), strict_columns=frozenset()
    ).warnings
    assert (mustard.column, mustard.value) == ("color", "Mustard")
    realistic = check_vocabularies(
        raw_frame(template_rows(800, realistic=True)), strict_columns=frozenset()
    ).warnings
    assert sorted((w.column, w.value) for w in realistic) == [
        ("color", "Rust"),
        ("fit", "Straight"),
        ("material", "Cotton Blend"),
        ("material", "Viscose Rayon"),
        ("neck_type", "Polo Collar"),
        ("pattern_type", "Checked"),
        ("pattern_type", "Colourblocked"),
        ("pattern_type", "Printed"),
        ("sleeve", "Three-Quarter Sleeve"),
    ]
