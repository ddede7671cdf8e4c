"""What an upload may change (issue 19), through `briskk ingest --json` on PostgreSQL.

Nothing changes by omission: a one-SKU price update keeps the product's other SKUs on sale, a
product split over two files ends with every SKU active, renamed or deleted optional columns
keep their stored values; `--replace` keeps the old per-product behaviour and lists every SKU
it disables; every change is announced in `changes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.workbooks import REAL_HEADER, template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def catalog_skus(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {s["sku_id"]: s for p in briskk_json(env, "products") for s in p["skus"]}


def base(env: dict[str, str], tmp_path: Path) -> list[dict[str, Any]]:
    """Two products of four SKUs each (P000000-0..3, P000001-0..3), loaded."""
    rows = template_rows(8)
    result = briskk_json(env, "ingest", str(write_xlsx(tmp_path / "base.xlsx", rows)))
    assert result["status"] == "succeeded" and result["skus_loaded"] == 8
    assert result["changes"]["skus"]["inserted"] == 8
    return rows


def test_a_one_sku_price_update_keeps_the_other_skus_on_sale(env, tmp_path):
    rows = base(env, tmp_path)
    update = [dict(rows[1], price=849, offer_price=None)]  # P000000-1 only, row 2
    result = briskk_json(env, "ingest", str(write_xlsx(tmp_path / "one.xlsx", update)))
    assert result["status"] == "succeeded" and result["mode"] == "merge"
    skus = catalog_skus(env)
    assert [s for s, v in skus.items() if v["is_disabled"]] == []
    assert skus["P000000-1"]["price"] == 849
    assert skus["P000000-1"]["offer_price"] is None  # a blank in a present column clears…
    changes = result["changes"]
    assert changes["skus"] == {"inserted": 0, "updated": 1, "unchanged": 0, "disabled": 0}
    assert changes["products"] == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert changes["updated"] == [
        {
            "row": 2,
            "product_id": "P000000",
            "sku_id": "P000000-1",
            "column": "price",
            "old": rows[1]["price"],
            "new": 849,
        }
    ]
    # …and is announced
    assert changes["values_cleared"] == 1
    assert [(c["row"], c["sku_id"], c["column"], c["new"]) for c in changes["cleared"]] == [
        (2, "P000000-1", "offer_price", None)
    ]
    assert changes["not_listed"] == {
        "skus": 3,
        "products": [{"product_id": "P000000", "sku_ids": ["P000000-0", "P000000-2", "P000000-3"]}],
    }
    assert (
        "product P000000: catalog SKUs P000000-0, P000000-2, P000000-3 not in this file, kept "
        "as they are; to take one off sale send it with is_disabled TRUE"
    ) in result["warnings"]
    # GET-style record: `briskk uploads --json` carries the same object
    assert briskk_json(env, "uploads")[0]["changes"] == changes
    # the brand's annotated workbook announces the same change on its cell (issue 21 item 1)
    saved = tmp_path / "report.xlsx"
    done = briskk(env, "report", result["upload_id"], "-o", str(saved))
    assert done.returncode == 0, done.stderr
    problems = openpyxl.load_workbook(saved)["Problems"]
    texts = [" | ".join(str(c) for c in row if c is not None) for row in problems.values]
    assert any("updated" in t and "P000000-1" in t and "849" in t for t in texts), texts
    assert any("cleared" in t and "offer_price" in t for t in texts), texts


def test_a_product_split_over_two_files_at_the_row_limit_ends_with_every_sku_active(env, tmp_path):
    env = {**env, "BRISKK_MAX_ROWS": "4"}
    rows = template_rows(8, skus_per_product=8)  # one product, eight SKUs: two files of four
    first = briskk_json(env, "ingest", str(write_xlsx(tmp_path / "a.xlsx", rows[:4])))
    second = briskk_json(env, "ingest", str(write_xlsx(tmp_path / "b.xlsx", rows[4:])))
    assert (first["skus_loaded"], second["skus_loaded"]) == (4, 4)
    skus = catalog_skus(env)
    assert sorted(skus) == [f"P000000-{i}" for i in range(8)]
    assert not any(s["is_disabled"] for s in skus.values())
    assert second["changes"]["skus"]["disabled"] == 0
    assert second["changes"]["not_listed"]["skus"] == 4


@pytest.mark.parametrize("how", ["renamed", "deleted"])
def test_optional_columns_renamed_or_deleted_keep_their_stored_values(env, tmp_path, how):
    rows = base(env, tmp_path)
    before = catalog_skus(env)
    changed = [dict(r, stock=7) for r in rows]
    path = tmp_path / f"{how}.xlsx"
    if how == "renamed":
        header = {**REAL_HEADER, "barcode": "EAN", "offer_price": "Selling Price"}
        write_xlsx(path, changed, header=header)
    else:
        kept = [c for c in COLUMN_NAMES if c not in ("barcode", "offer_price")]
        write_xlsx(path, changed, columns=kept)
    result = briskk_json(env, "ingest", str(path))
    assert result["status"] == "succeeded"
    after = catalog_skus(env)
    for sku_id, sku in after.items():
        assert sku["barcode"] == before[sku_id]["barcode"] is not None
        assert sku["offer_price"] == before[sku_id]["offer_price"] is not None
        assert sku["stock"] == 7
    changes = result["changes"]
    assert changes["values_cleared"] == 0 and changes["cleared"] == []
    assert {c["column"] for c in changes["updated"]} == {"stock"}
    assert not any("blank" in w for w in result["warnings"])


def test_replace_disables_the_skus_a_file_leaves_out_and_lists_every_one(env, tmp_path):
    env = {**env, "BRISKK_REVIEW_DISABLED_SHARE": "1"}  # not held (test_review_holds.py is)
    rows = base(env, tmp_path)
    update = [rows[0], rows[4]]  # one SKU of each product
    path = write_xlsx(tmp_path / "replace.xlsx", update)
    result = briskk_json(env, "ingest", str(path), "--replace")
    assert result["status"] == "succeeded" and result["mode"] == "replace"
    gone = [f"P000000-{i}" for i in (1, 2, 3)] + [f"P000001-{i}" for i in (1, 2, 3)]
    skus = catalog_skus(env)
    assert sorted(s for s, v in skus.items() if v["is_disabled"]) == gone
    changes = result["changes"]
    assert changes["skus"]["disabled"] == 6
    assert changes["disabled_absent"] == [
        {"product_id": s.split("-")[0], "sku_id": s} for s in gone
    ]
    assert [(d["sku_id"], d["row"], d["reason"]) for d in changes["disabled"]] == [
        (s, None, "absent") for s in gone
    ]
    assert (
        "product P000000: SKUs P000000-1, P000000-2, P000000-3 disabled (replace: not in "
        "this file)" in result["warnings"]
    )


def test_an_update_file_changes_only_its_columns_of_known_skus(env, tmp_path):
    env = {**env, "BRISKK_REVIEW_PRICE_FACTOR": "10"}  # 999 -> 1999 is not held here
    rows = base(env, tmp_path)
    before = catalog_skus(env)
    products_before = briskk_json(env, "products")
    update = [
        # row 2: a new price and stock; offer_price blank: kept
        {"sku_id": "P000000-0", "price": 1999, "offer_price": None, "stock": 3},
        # row 3: not in the catalog
        {"sku_id": "NOPE-1", "price": 100, "offer_price": None, "stock": 1},
        # row 4: offer_price above the stored price (the file has no price for it)
        {"sku_id": "P000001-0", "price": None, "offer_price": 99999, "stock": None},
        # row 5: stock only
        {"sku_id": "P000000-2", "price": None, "offer_price": None, "stock": 0},
    ]
    path = write_xlsx(
        tmp_path / "prices.xlsx", update, columns=["sku_id", "price", "offer_price", "stock"]
    )
    result = briskk_json(env, "ingest", str(path))
    assert result["status"] == "succeeded" and result["mode"] == "update"
    assert result["warnings"][0].startswith("read as an update file")
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (3, "sku_id", "NOPE-1"),
        (4, "offer_price", "99999"),
    ]
    assert "not in your catalog" in result["errors"][0]["message"]
    assert result["errors"][1]["message"] == "must not be more than price"
    after = catalog_skus(env)
    assert "NOPE-1" not in after
    assert (after["P000000-0"]["price"], after["P000000-0"]["stock"]) == (1999, 3)
    assert after["P000000-0"]["offer_price"] == before["P000000-0"]["offer_price"]  # blank
    assert after["P000000-2"]["stock"] == 0
    assert after["P000000-2"]["price"] == before["P000000-2"]["price"]
    assert after["P000001-0"] == before["P000001-0"]  # its row was rejected
    for sku_id in ("P000000-1", "P000000-3", "P000001-1"):
        assert after[sku_id] == before[sku_id]
    assert not any(s["is_disabled"] for s in after.values())
    products_after = briskk_json(env, "products")
    strip = ("skus", "images", "updated_at", "last_upload_id")
    assert [{k: v for k, v in p.items() if k not in strip} for p in products_after] == [
        {k: v for k, v in p.items() if k not in strip} for p in products_before
    ]
    changes = result["changes"]
    assert changes["mode"] == "update"
    assert changes["skus"] == {"inserted": 0, "updated": 2, "unchanged": 0, "disabled": 0}
    assert changes["values_cleared"] == 0 and changes["not_listed"]["skus"] == 0
    assert [(c["row"], c["sku_id"], c["column"]) for c in changes["updated"]] == [
        (2, "P000000-0", "price"),
        (2, "P000000-0", "stock"),
        (5, "P000000-2", "stock"),
    ]
    del rows


def test_rerun_of_an_older_upload_is_refused_then_forced(env, tmp_path):
    env = {**env, "BRISKK_REVIEW_PRICE_FACTOR": "10"}  # the price moves are not held here
    rows = base(env, tmp_path)
    first = briskk_json(env, "uploads")[0]["upload_id"]
    old_price = rows[0]["price"]
    update = [{"sku_id": "P000000-0", "price": 4321, "stock": 5}]
    path = write_xlsx(tmp_path / "later.xlsx", update, columns=["sku_id", "price", "stock"])
    later = briskk_json(env, "ingest", str(path))["upload_id"]

    refused = briskk(env, "rerun", first, "--json")
    assert refused.returncode == 2, refused.stderr
    assert f"refused: later uploads ({later}) changed SKUs P000000-0 since upload {first}" in (
        refused.stderr
    )
    assert catalog_skus(env)["P000000-0"]["price"] == 4321  # the newer value stays
    record = next(u for u in briskk_json(env, "uploads") if u["upload_id"] == first)
    assert record["status"] == "succeeded"  # the refusal changed nothing, not even the record

    forced = briskk_json(env, "rerun", first, "--force")
    assert forced["status"] == "succeeded"
    assert forced["changes"]["updated"][0]["sku_id"] == "P000000-0"
    skus = catalog_skus(env)
    assert (skus["P000000-0"]["price"], skus["P000000-0"]["stock"]) == (old_price, rows[0]["stock"])
    history = briskk_json(env, "history", "--sku", "P000000-0", "--tenant", "BrandA")
    assert [(h["change_set_id"], h["action"]) for h in history] == [
        (first, "inserted"),
        (later, "updated"),
        (first, "updated"),  # the forced re-run, recorded like any upload
    ]


def test_rerun_of_an_upload_that_never_loaded_is_refused_by_the_load_and_left_as_it_was(
    env, tmp_path
):
    """An upload rejected for its header (nothing loaded, so no history to check before the
    run) re-run after a later upload changed its SKUs: the load refuses, exit 2, and the
    record stays `rejected` instead of becoming `failed`."""
    env = {**env, "BRISKK_REVIEW_PRICE_FACTOR": "10"}
    base(env, tmp_path)
    renamed = template_rows(8)
    columns = [("MRP" if c == "price" else c) for c in COLUMN_NAMES]
    book = write_xlsx(
        tmp_path / "renamed.xlsx",
        [{("MRP" if k == "price" else k): v for k, v in r.items()} for r in renamed],
        columns=columns,
    )
    rejected = briskk(env, "ingest", str(book), "--json")
    assert rejected.returncode == 1, rejected.stderr
    old = briskk_json(env, "uploads")[0]
    assert old["status"] == "rejected"
    update = [{"sku_id": "P000000-0", "price": 4321, "stock": 5}]
    later = briskk_json(
        env,
        "ingest",
        str(write_xlsx(tmp_path / "later.xlsx", update, columns=["sku_id", "price", "stock"])),
    )["upload_id"]
    mapped = briskk(env, "profile", "map", "BrandA", "MRP=price")
    assert mapped.returncode == 0, mapped.stderr
    refused = briskk(env, "rerun", old["upload_id"], "--json")
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    assert f"refused: later uploads ({later}) changed SKUs P000000-0" in refused.stderr
    assert "dagster" not in refused.stderr
    assert catalog_skus(env)["P000000-0"]["price"] == 4321
    record = next(u for u in briskk_json(env, "uploads") if u["upload_id"] == old["upload_id"])
    assert (record["status"], record.get("failure_reason")) == (
        "rejected",
        old.get("failure_reason"),
    )


def test_a_rollback_is_newer_data_an_old_upload_may_not_overwrite(env, tmp_path):
    """After a rollback restored values, re-running an upload received before it is refused,
    naming the rollback (it is a later decision, not an absence of newer data)."""
    env = {**env, "BRISKK_REVIEW_PRICE_FACTOR": "10"}
    base(env, tmp_path)
    first = briskk_json(env, "uploads")[0]["upload_id"]
    columns = ["sku_id", "price", "stock"]
    one = [{"sku_id": "P000000-0", "price": 1111, "stock": 1}]
    second = briskk_json(env, "ingest", str(write_xlsx(tmp_path / "a.xlsx", one, columns=columns)))
    two = [{"sku_id": "P000000-0", "price": 2222, "stock": 2}]
    third = briskk_json(env, "ingest", str(write_xlsx(tmp_path / "b.xlsx", two, columns=columns)))
    undone = briskk(env, "rollback", third["upload_id"])
    assert undone.returncode == 0, undone.stderr
    assert catalog_skus(env)["P000000-0"]["stock"] == 1  # the rollback restored `second`'s

    refused = briskk(env, "rerun", first, "--json")
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    assert "refused: later rollbacks (rollback-" in refused.stderr
    assert catalog_skus(env)["P000000-0"]["stock"] == 1
    assert second["upload_id"] != first
