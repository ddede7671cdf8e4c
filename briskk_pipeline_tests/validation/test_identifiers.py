"""Identifiers as the brand meant them: invisible characters, Unicode digits, collisions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from briskk_pipeline import characters
from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.queries import barcode_owners, sku_ids_by_lower_case, sku_owners
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.template import PRODUCT_COLUMNS, match_headers, normalize_header
from briskk_pipeline.validation.cleaning import clean
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.catalog.builders import (
    product,
    products_frame,
    register,
    sku,
    skus_frame,
)
from briskk_pipeline_tests.validation.test_validate import one_row, raw_frame
from briskk_pipeline_tests.workbooks import REAL_HEADER, template_rows

REMOVED = "contained invisible characters ({}) which were removed; was read as '{}'"
FOLDED = (
    "was read as '{}': full-width or non-Latin digits and letters are read as the plain "
    "characters they stand for"
)

# ------------------------------------------------------------------ invisible characters

IDENTIFIERS_CLEANED = [
    # column, as sent, as stored, value shown in the warning, message
    ("sku_id", "SKU\u200b1", "SKU1", "SKU\\u200b1", REMOVED.format("zero width space", "SKU1")),
    ("sku_id", "\ufeffSKU1", "SKU1", "\\ufeffSKU1",
     REMOVED.format("zero width no-break space", "SKU1")),
    ("sku_id", "SKU\u00ad1", "SKU1", "SKU\\u00ad1", REMOVED.format("soft hyphen", "SKU1")),
    ("sku_id", "SKU\u00a01", "SKU1", "SKU\\u00a01", REMOVED.format("no-break space", "SKU1")),
    ("sku_id", "S\u200cK\u200dU\u20601", "SKU1", "S\\u200cK\\u200dU\\u20601",
     REMOVED.format("zero width non-joiner, zero width joiner, word joiner", "SKU1")),
    ("sku_id", "SKU-1\u200b\u200b", "SKU-1", "SKU-1\\u200b\\u200b",
     REMOVED.format("zero width space", "SKU-1")),
    ("product_id", "P\u200e1", "P1", "P\\u200e1", REMOVED.format("left-to-right mark", "P1")),
    ("barcode", "8901234567890\u200b", "8901234567890", "8901234567890\\u200b",
     REMOVED.format("zero width space", "8901234567890")),
    ("facility_id", "\u2060fac001", "fac001", "\\u2060fac001",
     REMOVED.format("word joiner", "fac001")),
    # Unicode digits and full-width letters: read as what they stand for
    ("barcode", "８９０１２３４５６７８９０", "8901234567890", "８９０１２３４５６７８９０",
     FOLDED.format("8901234567890")),
    ("barcode", "٨٩٠١٢٣٤٥٦٧٨٩٠", "8901234567890", "٨٩٠١٢٣٤٥٦٧٨٩٠", FOLDED.format("8901234567890")),
    ("barcode", "८९०१२३४५६७८९०", "8901234567890", "८९०१२३४५६७८९०", FOLDED.format("8901234567890")),
    ("sku_id", "ＳＫＵ－１", "SKU-1", "ＳＫＵ－１", FOLDED.format("SKU-1")),
    ("sku_id", "SKU-١٢", "SKU-12", "SKU-١٢", FOLDED.format("SKU-12")),
    ("hsn_code", "６１０９１０００", "61091000", "６１０９１０００", FOLDED.format("61091000")),
    ("size", "３２", "32", "３２", FOLDED.format("32")),
    ("barcode", "８９０１２３４５６７８９０.0", "8901234567890", "８９０１２３４５６７８９０.0",
     FOLDED.format("8901234567890.0")),
]  # fmt: skip


@pytest.mark.parametrize(("column", "given", "stored", "shown", "message"), IDENTIFIERS_CLEANED)
def test_identifiers_lose_invisible_characters_and_read_unicode_digits_with_a_warning(
    column, given, stored, shown, message
):
    result = validate_rows(one_row(**{column: given}))
    assert result.problems == []
    frame = result.products if column in PRODUCT_COLUMNS else result.skus
    assert frame.at[0, column] == stored
    assert [(w.row, w.column, w.value, w.message) for w in result.cell_warnings] == [
        (2, column, shown, message)
    ]
    assert not any(characters.invisible_in(str(v)) for v in frame[column])


@pytest.mark.parametrize(
    ("column", "given"),
    [("sku_id", "SKU-1"), ("product_id", "Café-1"), ("size", "XL"), ("sku_id", "Cafe\u0301-1")],
)
def test_identifiers_without_hidden_changes_get_no_warning(column, given):
    result = validate_rows(one_row(**{column: given}))
    assert result.problems == [] and result.cell_warnings == []
    frame = result.products if column == "product_id" else result.skus
    assert frame.at[0, column] == given.replace("e\u0301", "é")  # composed, looks the same


def test_an_identifier_of_only_invisible_characters_is_empty():
    result = validate_rows(one_row(sku_id="\u200b\u00ad"))
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "sku_id", "is required but empty")
    ]
    assert [w.message for w in result.cell_warnings] == [
        "contained invisible characters (zero width space, soft hyphen) which were "
        "removed; left nothing, so the cell counts as empty"
    ]


def test_a_zero_width_space_no_longer_makes_a_second_look_alike_sku():
    rows = template_rows(4)
    rows[1]["sku_id"] = rows[0]["sku_id"] + "\u200b"
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (2, "sku_id", "P000000-0"),
        (3, "sku_id", "P000000-0"),
    ]
    assert "rows 2, 3" in result.problems[0].message


def test_cleaning_warns_once_per_changed_cell_and_never_elsewhere():
    rows = template_rows(8)
    rows[2]["sku_id"] = "P000000-2\u200b"
    rows[5]["barcode"] = "８９０００００００００５"
    rows[6]["product_name"] = "Tee\u200b"  # not an identifier: not touched here
    cleaned = clean(raw_frame(rows))
    assert [(w.row, w.column) for w in cleaned.warnings] == [(4, "sku_id"), (7, "barcode")]
    assert cleaned.typed.at[4, "sku_id"] == "P000000-2"
    assert cleaned.typed.at[7, "barcode"] == "890000000005"


# ------------------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("sku_id\u200b*", "sku_id"),
        ("\ufeffproduct_id*", "product_id"),
        ("price\u00a0*", "price"),
        ("st\u00adock*", "stock"),
        ("ｓｋｕ＿ｉｄ＊", "sku_id"),
        (" Product_ID* ", "product_id"),
        ("\u2060is_disabled ", "is_disabled"),
    ],
)
def test_header_cells_match_without_their_invisible_characters(header, name):
    assert normalize_header(header) == name


def test_a_header_row_with_hidden_characters_is_the_template():
    headers = [REAL_HEADER[c] for c in REAL_HEADER]
    headers[headers.index("sku_id*")] = "sku_id\u200b*"
    headers[0] = "\ufeff" + headers[0]
    match = match_headers(headers)
    assert match.is_template and match.missing_required == () and match.unknown == ()
    assert match.positions["sku_id"] == list(REAL_HEADER).index("sku_id")


# ----------------------------------------------------------------- collisions in a file


def test_one_barcode_on_two_skus_is_a_problem_naming_both():
    rows = template_rows(8)
    rows[5]["barcode"] = rows[1]["barcode"]  # rows 3 and 7, products P000000 and P000001
    result = validate_rows(raw_frame(rows))
    barcode = str(rows[1]["barcode"])
    assert [(p.row, p.column, p.value, p.message) for p in result.problems] == [
        (3, "barcode", barcode, "barcode is also on row 7 (SKU 'P000001-1'); "
         "each barcode must belong to one SKU"),
        (7, "barcode", barcode, "barcode is also on row 3 (SKU 'P000000-1'); "
         "each barcode must belong to one SKU"),
    ]  # fmt: skip
    assert result.products_rejected == 2 and result.skus.empty


def test_a_barcode_written_two_ways_is_still_one_barcode():
    rows = template_rows(4)
    rows[2]["barcode"] = "８９００００１０００１１"  # row 3's barcode, full-width
    result = validate_rows(raw_frame(rows))
    assert [(p.row, p.column) for p in result.problems] == [(3, "barcode"), (4, "barcode")]
    assert "row 4 (SKU 'P000000-2')" in result.problems[0].message


def test_distinct_barcodes_and_blank_barcodes_pass():
    rows = template_rows(8)
    rows[0]["barcode"] = rows[1]["barcode"] = None
    result = validate_rows(raw_frame(rows))
    assert result.problems == [] and len(result.skus) == 8


def test_sku_ids_differing_only_in_case_are_warned_about_and_load():
    rows = template_rows(8)
    rows[1]["sku_id"] = "p000000-0"  # row 3 vs row 2's P000000-0
    rows[6]["sku_id"] = rows[5]["sku_id"]  # row 8 repeats row 7's id exactly: a problem
    result = validate_rows(raw_frame(rows))
    assert [(w.row, w.column, w.value, w.message) for w in result.cell_warnings] == [
        (2, "sku_id", "P000000-0", "differs only in letter case from 'p000000-0' (row 3); "
         "they are loaded as different SKUs"),
        (3, "sku_id", "p000000-0", "differs only in letter case from 'P000000-0' (row 2); "
         "they are loaded as different SKUs"),
    ]  # fmt: skip
    assert [(p.row, p.column) for p in result.problems] == [(7, "sku_id"), (8, "sku_id")]
    assert result.skus["sku_id"].tolist()[:2] == ["P000000-0", "p000000-0"]


# ----------------------------------------------------------- collisions with the catalog


@pytest.fixture
def catalog(engine: sa.Engine) -> sa.Engine:
    """BrandA owns SKU 'OLD-1' (barcode 8900000000999) and 'Case-Sku'; BrandB the same barcode."""
    for tenant in ("BrandA", "BrandB"):
        register(engine, f"{tenant}-u1", tenant)
        load_upload(
            engine,
            upload_id=f"{tenant}-u1",
            tenant=tenant,
            products=products_frame([product("OLD")]),
            skus=skus_frame(
                [
                    sku("OLD-1", "OLD", barcode="8900000000999"),
                    sku("Case-Sku", "OLD", barcode="8900000000998"),
                ]
            ),
            outcome=UploadOutcome(status="succeeded"),
        )
    return engine


def _validate(engine: sa.Engine, rows: list[dict], tenant: str = "BrandA"):
    return validate_rows(
        raw_frame(rows),
        sku_owners=lambda ids: sku_owners(engine, tenant, ids),
        barcode_owners=lambda codes: barcode_owners(engine, tenant, codes),
        sku_lookalikes=lambda ids: sku_ids_by_lower_case(engine, tenant, ids),
    )


def test_catalog_queries_answer_per_tenant(catalog):
    assert barcode_owners(catalog, "BrandA", ["8900000000999", "1234"]) == {
        "8900000000999": "OLD-1"
    }
    assert barcode_owners(catalog, "BrandC", ["8900000000999"]) == {}
    assert barcode_owners(catalog, "BrandA", []) == {}
    assert sku_ids_by_lower_case(catalog, "BrandA", ["case-sku", "old-1", "x"]) == [
        "Case-Sku",
        "OLD-1",
    ]
    assert sku_ids_by_lower_case(catalog, "BrandC", ["case-sku"]) == []


def test_a_barcode_already_on_another_sku_of_the_tenant_is_a_problem(catalog):
    rows = template_rows(8)
    rows[3]["barcode"] = "8900000000999"  # row 5, product P000000
    result = _validate(catalog, rows)
    assert [(p.row, p.column, p.value, p.message) for p in result.problems] == [
        (5, "barcode", "8900000000999", "barcode already belongs to SKU 'OLD-1' in your "
         "catalog; each barcode must belong to one SKU"),
    ]  # fmt: skip
    assert result.products["product_id"].tolist() == ["P000001"]
    # another tenant's barcode is no clash: tenants' catalogs are apart
    assert _validate(catalog, rows, tenant="BrandC").problems == []


def test_a_barcode_moving_between_skus_of_one_upload_is_no_clash(catalog):
    rows = template_rows(4)
    rows[0]["sku_id"], rows[0]["product_id"] = "OLD-1", "OLD"
    rows[0]["barcode"] = "8900000000111"  # OLD-1 takes a new barcode ...
    rows[1]["barcode"] = "8900000000999"  # ... and its old one goes to another SKU
    for r in rows:
        r["product_id"] = "OLD"
    result = _validate(catalog, rows)
    assert result.problems == []


def test_a_sku_id_differing_only_in_case_from_the_catalog_is_warned_about(catalog):
    rows = template_rows(4)
    rows[2]["sku_id"] = "case-sku"  # row 4
    rows[3]["sku_id"] = "OLD-1"  # exactly the catalog's id: no warning (but another product)
    result = _validate(catalog, rows)
    assert [(w.row, w.value, w.message) for w in result.cell_warnings] == [
        (4, "case-sku", "differs only in letter case from 'Case-Sku' (in your catalog); "
         "they are loaded as different SKUs"),
    ]  # fmt: skip
    assert [(p.row, p.column) for p in result.problems] == [(5, "sku_id")]


@pytest.mark.parametrize(
    ("old_product_rejected", "problems", "loaded"),
    [
        # OLD loads with OLD-1's new barcode: its old one is free for P000001
        (False, [], ["OLD", "P000001"]),
        # OLD is rejected, so OLD-1 keeps its barcode: P000001 would share it, and waits too
        (True, [(3, "stock"), (4, "barcode")], []),
    ],
    ids=["owner loads", "owner's product rejected"],
)
def test_a_barcode_moving_away_from_a_rejected_product_stays_taken(
    catalog, old_product_rejected, problems, loaded
):
    rows = template_rows(4)
    for r in rows[:2]:
        r["product_id"] = "OLD"
    rows[0]["sku_id"], rows[0]["barcode"] = "OLD-1", "8900000000111"  # OLD-1: a new barcode
    rows[1]["stock"] = -1 if old_product_rejected else 5  # row 3
    rows[2]["product_id"] = rows[3]["product_id"] = "P000001"
    rows[2]["barcode"] = "8900000000999"  # row 4 takes OLD-1's stored barcode
    result = _validate(catalog, rows)
    assert [(p.row, p.column) for p in result.problems] == problems
    assert sorted(result.products["product_id"]) == loaded
    if old_product_rejected:
        assert result.problems[-1].message.startswith(
            "barcode still belongs to SKU 'OLD-1' in your catalog: that SKU's product is rejected"
        )
