"""Dry runs through the real `ingest_job` on a real PostgreSQL: nothing changes, the diff is
what the real load then does, and the load's warnings fire at their thresholds."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from briskk_pipeline.catalog.uploads import get_upload, list_uploads, mark_dry_run
from briskk_pipeline.reports.workbook import report_key
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


def base_rows() -> list[dict[str, Any]]:
    """5 products x 4 SKUs (20 active SKUs), every price 1000 and no offer price."""
    rows = template_rows(20)
    for row in rows:
        row.update(price=1000, offer_price=None)
    return rows


def dry_run(harness: Harness, path: Path, mode: str = "merge") -> dict[str, Any]:
    upload_id = harness.register(path, mode=mode)
    mark_dry_run(harness.engine, upload_id)
    assert harness.run(upload_id).success
    record = get_upload(harness.engine, upload_id)
    assert record is not None
    return record


def catalog_state(harness: Harness) -> dict[str, list[dict[str, Any]]]:
    names = ("products", "skus", "product_images", "images")
    return {name: harness.table(name) for name in names}


def update_rows() -> list[dict[str, Any]]:
    """P000000 changed (name, one price, one SKU left out), P000001 bad (rejected), P000002
    unchanged, P000009 new; P000003/P000004 not in the file."""
    rows = [dict(r) for r in base_rows() if r["product_id"] in ("P000000", "P000001", "P000002")]
    for row in rows:
        if row["product_id"] == "P000000":
            row["product_name"] = "Renamed tee"
    rows[0]["price"] = 1200
    rows = [r for r in rows if r["sku_id"] != "P000000-3"]
    rows[4]["stock"] = -1  # P000001's first SKU: the whole product is rejected
    new = dict(template_rows(4, product_prefix="Q")[0], product_id="P000009", sku_id="P000009-0")
    return [*rows, new]


def test_dry_run_changes_nothing_and_real_ingest_does_exactly_what_it_said(harness, tmp_path):
    harness.ingest(write_xlsx(tmp_path / "base.xlsx", base_rows()))
    before = catalog_state(harness)
    path = write_xlsx(tmp_path / "update.xlsx", update_rows())

    preview = dry_run(harness, path, mode="replace")  # P000000-3 left out: disabled

    assert catalog_state(harness) == before  # every row, audit columns included
    assert preview["status"] == "previewed"
    assert (preview["products_loaded"], preview["skus_loaded"]) == (3, 8)
    assert preview["products_rejected"] == 1
    by_product = {c["product_id"]: c for c in preview["changes"]}
    assert {p: c["action"] for p, c in by_product.items()} == {
        "P000000": "changed",
        "P000001": "rejected",
        "P000002": "unchanged",
        "P000009": "new",
    }
    changed = by_product["P000000"]
    assert changed["fields"] == {
        "product_name": ["Men TopWear style 0 in breathable cotton", "Renamed tee"]
    }
    assert changed["skus"] == [
        {"sku_id": "P000000-0", "action": "changed", "fields": {"price": [1000, 1200]}},
        {"sku_id": "P000000-3", "action": "disabled", "fields": {"is_disabled": [False, True]}},
    ]
    assert by_product["P000009"]["skus"] == [{"sku_id": "P000009-0", "action": "new", "fields": {}}]
    assert by_product["P000002"] == {
        "product_id": "P000002", "action": "unchanged", "fields": {}, "skus": []
    }  # fmt: skip
    assert preview["report_uri"] is not None  # a dry run always gets its workbook

    real = harness.ingest(path, mode="replace")
    assert real["status"] == "succeeded" and real["changes"] is None
    after = {t: {_key(t, r): r for r in rows} for t, rows in catalog_state(harness).items()}
    old = {t: {_key(t, r): r for r in rows} for t, rows in before.items()}
    # every field the dry run named moved from its old to its new value, nothing else moved
    expected = {k: dict(v) for k, v in old["products"].items()}
    expected[("BrandA", "P000000")]["product_name"] = "Renamed tee"
    skus_expected = {k: dict(v) for k, v in old["skus"].items()}
    skus_expected[("BrandA", "P000000-0")]["price"] = 1200
    skus_expected[("BrandA", "P000000-3")]["is_disabled"] = True
    data = _template_fields
    assert {k: data(v) for k, v in after["products"].items() if k[1] != "P000009"} == {
        k: data(v) for k, v in expected.items()
    }
    assert {k: data(v) for k, v in after["skus"].items() if k[1] != "P000009-0"} == {
        k: data(v) for k, v in skus_expected.items()
    }
    assert ("BrandA", "P000009") in after["products"]
    changed_rows = {k for k, v in after["skus"].items() if v != old["skus"].get(k)}
    assert changed_rows == {("BrandA", s) for s in ("P000000-0", "P000000-3", "P000009-0")}
    assert [u["status"] for u in list_uploads(harness.engine)].count("previewed") == 1


def _key(table: str, row: dict[str, Any]) -> tuple[Any, ...]:
    if table == "images":
        return (row["sha256"],)
    if table == "skus":
        return (row["tenant"], row["sku_id"])
    if table == "product_images":
        return (row["tenant"], row["product_id"], row["position"])
    return (row["tenant"], row["product_id"])


def _template_fields(row: dict[str, Any]) -> dict[str, Any]:
    audit = ("first_upload_id", "last_upload_id", "created_at", "updated_at")
    return {k: v for k, v in row.items() if k not in audit}


@pytest.mark.parametrize(
    ("new_price", "warned"),
    [(1500, False), (1501, True), (500, False), (499, True), (1000, False)],
)
def test_price_move_warning_fires_above_half(harness, tmp_path, new_price, warned):
    harness.ingest(write_xlsx(tmp_path / "base.xlsx", base_rows()))
    rows = [r for r in base_rows() if r["product_id"] == "P000000"]
    rows[0]["price"] = new_price
    record = dry_run(harness, write_xlsx(tmp_path / "update.xlsx", rows))
    moves = [w for w in record["warnings"] if "moves from" in w]
    if warned:
        assert moves == [
            f"SKU P000000-0: price moves from 1000 to {new_price} "
            f"({(new_price - 1000) / 1000:+.0%}), more than half: check it is not a typo"
        ]
    else:
        assert moves == []
    real = harness.ingest(tmp_path / "update.xlsx")
    # 1000 -> 499 is more than a factor of 2: held for review (the dry run said it would be)
    assert real["status"] == ("needs_review" if new_price == 499 else "succeeded")

    def notes(warnings: list[str]) -> list[str]:
        return [w for w in warnings if "held for review" not in w]

    assert notes(record["warnings"]) == notes(real["warnings"])


@pytest.mark.parametrize(
    ("listed", "disabled", "warned"),
    [
        ({"P000000": 1, "P000001": 3}, 4, False),  # 4 of 20 active: exactly a fifth
        ({"P000000": 1, "P000001": 2}, 5, True),  # 5 of 20: more than a fifth
    ],
)
def test_mass_disable_warning_fires_above_a_fifth(harness, tmp_path, listed, disabled, warned):
    harness.ingest(write_xlsx(tmp_path / "base.xlsx", base_rows()))
    rows = [
        r
        for r in base_rows()
        if r["product_id"] in listed and int(r["sku_id"][-1]) < listed[r["product_id"]]
    ]
    record = dry_run(harness, write_xlsx(tmp_path / "update.xlsx", rows), mode="replace")
    skus = [s for c in record["changes"] for s in c["skus"]]
    assert sum(1 for s in skus if s["action"] == "disabled") == disabled
    mass = [w for w in record["warnings"] if "active SKUs" in w]
    assert len(mass) == (1 if warned else 0)
    if warned:
        assert mass[0].startswith(f"this upload disables {disabled} of the tenant's 20 active SKUs")
    real = harness.ingest(tmp_path / "update.xlsx", mode="replace")
    assert [w for w in real["warnings"] if "active SKUs" in w] == mass


def test_blank_cell_over_a_stored_value_is_a_warning(harness, tmp_path):
    harness.ingest(write_xlsx(tmp_path / "base.xlsx", base_rows()))
    rows = [dict(r, material=None) for r in base_rows() if r["product_id"] == "P000002"]
    rows[1]["barcode"] = None
    record = dry_run(harness, write_xlsx(tmp_path / "update.xlsx", rows))
    assert record["warnings"] == [
        "1 product: a blank 'material' replaces the value stored in the catalog "
        "(e.g. product P000002); fill it in to keep the stored value",
        "1 SKU: a blank 'barcode' replaces the value stored in the catalog "
        "(e.g. SKU P000002-1); fill it in to keep the stored value",
    ]
    change = record["changes"][0]
    assert change["fields"] == {"material": ["Cotton", None]}


def _report_sheets(harness: Harness, record: dict[str, Any]) -> list[str]:
    assert record["report_uri"] is not None
    data = harness.store.get(report_key(record["upload_id"]))
    return openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames


def test_report_copies_the_brands_sheet_only_when_a_cell_is_marked(
    database_url, local_store, tmp_path, http_server
):
    # every image is served: no image finding on a row (with fetching off each would be one)
    harness = make_harness(database_url, local_store, tmp_path)
    base = http_server.url("/img")
    for p in range(5):
        for name in ("main", "1", "2"):
            http_server.serve_image(f"/img/p{p}/{name}.jpg", color=(p * 40, int(name == "1"), 9))
    rows = [dict(r, price=1000, offer_price=None) for r in template_rows(20, image_base=base)]
    ignored = {"unknown_column": ["x"] * len(rows)}  # an upload-level warning only
    record = dry_run(harness, write_xlsx(tmp_path / "note.xlsx", rows, extra_columns=ignored))
    assert any("unknown_column" in w for w in record["warnings"])
    # the Readiness sheet (readiness/sheet.py): every channel's verdict of each product
    assert _report_sheets(harness, record) == ["Problems", "Readiness", "Changes"]

    rows[1]["stock"] = -1  # and a cell to mark: the brand's sheet comes back with it
    record = dry_run(harness, write_xlsx(tmp_path / "cell.xlsx", rows, extra_columns=ignored))
    sheets = _report_sheets(harness, record)
    assert sheets[:2] == ["Problems", "BrandA_Briskk_SKU_Template"] and sheets[-1] == "Changes"
