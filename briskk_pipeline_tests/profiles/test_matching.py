"""Header matching with a brand profile, the proposal of a rejected header, value maps, and
the profile as a YAML document (pure: no database)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest

from briskk_pipeline.headers.suggest import suggest, synonyms
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.profiles import document, proposals
from briskk_pipeline.profiles.model import Profile, ProfileError
from briskk_pipeline.profiles.values import apply_value_maps
from briskk_pipeline.template import COLUMN_NAMES, match_headers
from briskk_pipeline.validation.report import FileRejected
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

# A brand's own headers: renamed (English), translated (Hindi), and extra columns of its own.
BRAND_HEADER = {
    "product_id": "Style Code",
    "sku_id": "SKU Code",
    "price": "MRP",
    "offer_price": "Selling Price",
    "stock": "मात्रा",  # Hindi: quantity
    "color": "Rang",  # Hindi (Latin): colour
}
PROFILE = Profile(
    version=2,
    header_aliases={
        "Style Code": "product_id",
        "SKU Code": "sku_id",
        "MRP": "price",
        "Selling Price": "offer_price",
        "मात्रा": "stock",
        "Rang": "color",
    },
    ignore_columns=frozenset({"Internal Notes"}),
)
NAME = "BrandA_Briskk_SKU_Template.csv"


def _reordered(columns: tuple[str, ...]) -> list[str]:
    return list(reversed(columns))


def test_renamed_translated_reordered_and_extra_headers_are_rejected_without_a_profile():
    data = csv_bytes(template_rows(4), header=BRAND_HEADER, columns=_reordered(COLUMN_NAMES))
    with pytest.raises(proposals.HeaderRejected) as rejected:
        read_upload(data, NAME, max_rows=800)
    suggested = {h["header"]: h["column"] for h in rejected.value.proposal["headers"]}
    assert suggested == {
        "Style Code": "product_id",
        "SKU Code": "sku_id",
        "MRP": "price",
        "Selling Price": "offer_price",
        "मात्रा": "stock",
        "Rang": "color",
    }
    assert set(rejected.value.proposal["missing"]) == {
        "product_id",
        "sku_id",
        "price",
        "stock",
        "color",
    }
    command = proposals.accept_command("BrandA", rejected.value.proposal)
    assert command is not None and command.startswith("briskk profile map BrandA ")
    assert "'Selling Price=offer_price'" in command and "MRP=price" in command


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_same_file_loads_with_the_profile_and_its_values_are_the_brands(kind, tmp_path):
    rows = template_rows(8)
    columns = _reordered(COLUMN_NAMES)
    extras = {"Internal Notes": ["x"] * 8, "Season": ["SS26"] * 8}
    if kind == "csv":
        data = csv_bytes(rows, header=BRAND_HEADER, columns=columns)
    else:
        path = write_xlsx(
            tmp_path / "b.xlsx",
            rows,
            header=BRAND_HEADER,
            columns=columns,
            extra_columns=extras,
        )
        data = path.read_bytes()
    sheet = read_upload(data, NAME if kind == "csv" else "b.xlsx", max_rows=800, rules=PROFILE)
    assert sheet.frame["price"].tolist() == [str(r["price"]) for r in rows]
    assert sheet.frame["offer_price"].tolist() == [str(r["offer_price"]) for r in rows]
    assert sheet.frame["stock"].tolist() == [str(r["stock"]) for r in rows]
    assert sheet.frame["product_id"].tolist() == [r["product_id"] for r in rows]
    assert set(sheet.columns) == set(COLUMN_NAMES)
    rules = {r["header"]: (r["column"], r["rule"]) for r in sheet.header_rules}
    assert rules["MRP"] == ("price", "alias")
    assert rules["मात्रा"] == ("stock", "alias")
    assert rules["brand"] == ("brand", "template")
    if kind == "xlsx":
        assert rules["Internal Notes"] == (None, "ignored")
        assert rules["Season"] == (None, "unknown")
        # an ignored column is no warning; an unknown one still is
        assert not any("Internal Notes" in w for w in sheet.warnings)
        assert any("'Season'" in w for w in sheet.warnings)


def test_template_names_come_first_and_an_alias_to_a_present_column_is_a_duplicate():
    profile = Profile(header_aliases={"MRP": "price"})
    match = match_headers(["MRP", "product_id", "price"], profile)
    assert match.positions["price"] == 2  # the template's own name, wherever it sits
    assert match.duplicated == ("price",)


def test_a_header_problem_that_is_no_unknown_header_has_no_proposal():
    data = csv_bytes(template_rows(2), columns=[c for c in COLUMN_NAMES if c != "color"])
    with pytest.raises(FileRejected) as rejected:
        read_upload(data, NAME, max_rows=800)
    assert not isinstance(rejected.value, proposals.HeaderRejected)


@pytest.mark.parametrize(
    ("header", "column"),
    [(name, column) for column, names in synonyms().items() for name in names],
)
def test_each_common_synonym_is_suggested_for_its_column(header, column):
    found = suggest([header], list(COLUMN_NAMES))
    assert [(s.column, s.header) for s in found] == [(column, header)]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("MRP", "price"),
        ("Selling Price", "offer_price"),
        ("EAN", "barcode"),
        ("GTIN", "barcode"),
        ("UPC", "barcode"),
        ("Qty", "stock"),
        ("Inventory", "stock"),
        ("Style Code", "product_id"),
        ("Keemat", "price"),
        ("कीमत", "price"),
        ("Vikray Mulya", "offer_price"),
        ("Matra", "stock"),
    ],
)
def test_the_issues_synonyms_are_in_the_table(header, column):
    assert header in synonyms()[column]


def test_profile_travels_to_the_reading_sandbox_and_back():
    assert pickle.loads(pickle.dumps(PROFILE)) == PROFILE


def test_value_maps_apply_once_per_distinct_value_naming_rows_and_version():
    frame = pd.DataFrame(
        {
            "color": pd.array(["Navy Blue", "Red", "navy  blue", "Navy Blue", None], "str"),
            "fit": pd.array(["Regular Fit"] * 5, "str"),
        },
        index=pd.Index([2, 3, 4, 5, 6], name="row"),
    )
    profile = Profile(
        version=3,
        value_maps={"color": {"Navy Blue": "Navy"}, "fit": {"Slim Fit": "Slim"}},
    )
    mapped, warnings = apply_value_maps(frame, profile)
    assert mapped["color"].tolist()[:4] == ["Navy", "Red", "Navy", "Navy"]
    assert pd.isna(mapped["color"].iloc[4])
    assert mapped["fit"].tolist() == ["Regular Fit"] * 5  # not mapped: left as sent
    assert frame["color"].iloc[0] == "Navy Blue"  # the input is not changed
    assert [(w.row, w.column, w.value, w.message) for w in warnings] == [
        (2, "color", "Navy Blue", "mapped 'Navy Blue' → 'Navy' by profile v3 (rows 2, 5)"),
        (4, "color", "navy  blue", "mapped 'navy  blue' → 'Navy' by profile v3 (row 4)"),
    ]


def test_yaml_round_trip_edit_and_diff():
    body = document.body_of(PROFILE, {"price_factor": 3})
    text = document.to_yaml("BrandA", 2, body)
    again, version = document.from_yaml(text)
    assert version == 2 and again == body
    edited = text.replace("Rang: color", "Rang: color\n  Notes: product_highlights")
    edited = edited.replace("price_factor: 3", "price_factor: 2.5")
    new, _ = document.from_yaml(edited)
    assert document.diff(body, new) == [
        "+ header alias 'Notes' -> 'product_highlights'",
        "~ review limit price_factor: 2.5 (was 3)",
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("header_aliases: {MRP: prise}\n", "not a template column"),
        ("header_aliases: {MRP: price}\nignore_columns: [MRP]\n", "both mapped and ignored"),
        ("value_maps: {colour: {a: b}}\n", "not a template column"),
        ("strict_columns: [fitt]\n", "not a template column"),
        ("value_maps: {fit: {Regular: yes}}\n", "quote"),
        ("nonsense: 1\n", "unknown keys"),
        ("header_aliases: [\n", "not valid YAML"),
    ],
)
def test_a_profile_file_that_cannot_be_applied_is_refused_with_the_reason(text, says):
    with pytest.raises(ProfileError, match=says):
        document.from_yaml(text)


def test_reading_a_file_records_nothing_when_the_profile_is_empty(tmp_path: Path):
    data = csv_bytes(template_rows(2))
    sheet = read_upload(data, NAME, max_rows=800, rules=Profile.empty())
    assert {r["rule"] for r in sheet.header_rules} == {"template"}
