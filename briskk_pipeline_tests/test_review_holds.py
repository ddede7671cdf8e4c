"""Held for review (issue 19 item 5), through `briskk ingest --json` and `briskk review`.

Each limit holds an upload (status `needs_review`, the catalog untouched, the reasons and the
diff kept); an operator approves (loaded as shown) or declines (nothing loaded); an approval
after a conflicting upload is refused until forced; a dry run says it would be held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e
PRICE_COLUMNS = ["sku_id", "price", "offer_price", "stock"]


def catalog_skus(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {s["sku_id"]: s for p in briskk_json(env, "products") for s in p["skus"]}


def base(env: dict[str, str], tmp_path: Path) -> list[dict[str, Any]]:
    rows = template_rows(8)
    assert briskk_json(env, "ingest", str(write_xlsx(tmp_path / "base.xlsx", rows)))["status"] == (
        "succeeded"
    )
    return rows


def held(env: dict[str, str], path: Path, *extra: str) -> dict[str, Any]:
    result = briskk_json(env, "ingest", str(path), *extra, code=1)
    assert result["status"] == "needs_review"
    assert (result["products_loaded"], result["skus_loaded"]) == (0, 0)
    return result


def price_typo(tmp_path: Path, rows: list[dict[str, Any]], name: str = "typo") -> Path:
    """P000000-0's price and offer price typed ten times too small."""
    row = rows[0]
    update = [{"sku_id": "P000000-0", "price": row["price"] / 10, "offer_price": 1}]
    return write_xlsx(tmp_path / f"{name}.xlsx", update, columns=["sku_id", "price", "offer_price"])


def test_a_price_ten_times_too_small_is_held_then_approved(env, tmp_path):
    rows = rows_base = base(env, tmp_path)
    before = catalog_skus(env)
    path = write_xlsx(
        tmp_path / "typo.xlsx",
        [{"sku_id": "P000000-0", "price": 99.9, "offer_price": 89.9, "stock": None}],
        columns=PRICE_COLUMNS,
    )
    preview = briskk_json(env, "ingest", str(path), "--dry-run")
    assert preview["status"] == "previewed"
    assert preview["review_reasons"] == held_reason(rows)
    assert preview["warnings"][0].startswith("this upload would be held for review: 2 prices")

    result = held(env, path)
    assert result["review_reasons"] == held_reason(rows)
    assert result["warnings"][0].startswith("held for review: 2 prices move")
    assert [(c["column"], c["new"]) for c in result["changes"]["updated"]] == [
        ("price", 99.9),
        ("offer_price", 89.9),
    ]
    assert catalog_skus(env) == before  # the catalog untouched
    listed = briskk_json(env, "review")
    assert [(u["upload_id"], u["review_reasons"]) for u in listed] == [
        (result["upload_id"], held_reason(rows))
    ]
    uploads = briskk_json(env, "uploads")
    assert uploads[0]["status"] == "needs_review"
    assert uploads[0]["review_reasons"] == held_reason(rows)

    approved = briskk_json(env, "review", result["upload_id"], "--approve")
    assert approved == {
        "upload_id": result["upload_id"],
        "decision": "approved",
        "status": "succeeded",
        "refused": None,
    }
    sku = catalog_skus(env)["P000000-0"]
    assert (sku["price"], sku["offer_price"]) == (99.9, 89.9)
    record = briskk_json(env, "uploads")[0]
    assert record["status"] == "succeeded" and record["review_decision"] == "approved"
    assert briskk_json(env, "review") == []
    del rows_base


def held_reason(rows: list[dict[str, Any]]) -> list[str]:
    old, offer = rows[0]["price"], rows[0]["offer_price"]
    return [
        "2 prices move by more than a factor of 2 (P000000-0 offer_price "
        f"{_plain(offer)} → 89.9; P000000-0 price {_plain(old)} → 99.9): check none is a typo"
    ]


def _plain(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def test_a_held_upload_declined_loads_nothing(env, tmp_path):
    rows = base(env, tmp_path)
    before = catalog_skus(env)
    result = held(env, price_typo(tmp_path, rows))
    declined = briskk_json(env, "review", result["upload_id"], "--decline")
    assert (declined["decision"], declined["status"]) == ("declined", "rejected")
    assert catalog_skus(env) == before
    record = briskk_json(env, "uploads")[0]
    assert record["status"] == "rejected" and record["review_decision"] == "declined"
    again = briskk(env, "review", result["upload_id"], "--approve")
    assert again.returncode == 2 and "not held for review" in again.stderr


def test_approval_after_a_conflicting_upload_is_refused_until_forced(env, tmp_path):
    rows = base(env, tmp_path)
    result = held(env, price_typo(tmp_path, rows))
    # a later upload changes the held SKU's stock: the diff shown is no longer what would load
    later = write_xlsx(
        tmp_path / "stock.xlsx", [{"sku_id": "P000000-0", "stock": 1}], columns=["sku_id", "stock"]
    )
    assert briskk_json(env, "ingest", str(later))["status"] == "succeeded"
    refused = briskk(env, "review", result["upload_id"], "--approve", "--json")
    assert refused.returncode == 1, refused.stderr
    assert "refused:" in refused.stdout and "P000000-0" in refused.stdout
    # the way out it names is the review's own --force, not a re-run's
    assert f"briskk review {result['upload_id']} --approve --force" in refused.stdout
    assert "briskk rerun" not in refused.stdout
    sku = catalog_skus(env)["P000000-0"]
    assert (sku["price"], sku["stock"]) == (rows[0]["price"], 1)
    record = next(u for u in briskk_json(env, "uploads") if u["upload_id"] == result["upload_id"])
    assert record["status"] == "needs_review" and record["review_decision"] is None

    forced = briskk_json(env, "review", result["upload_id"], "--approve", "--force")
    assert forced["status"] == "succeeded"
    sku = catalog_skus(env)["P000000-0"]
    assert (sku["price"], sku["stock"]) == (rows[0]["price"] / 10, 1)


def test_disabling_more_than_a_fifth_is_held(env, tmp_path):
    rows = base(env, tmp_path)
    path = write_xlsx(tmp_path / "two.xlsx", [rows[0], rows[4]])  # 6 of 8 SKUs left out
    result = held(env, path, "--replace")
    assert result["review_reasons"] == [
        "it takes 6 of your 8 SKUs on sale off sale, more than 20% (the review limit)"
    ]
    assert not any(s["is_disabled"] for s in catalog_skus(env).values())
    assert [d["sku_id"] for d in result["changes"]["disabled_absent"]] == [
        f"P00000{p}-{i}" for p in (0, 1) for i in (1, 2, 3)
    ]


def test_clearing_more_stored_values_than_the_limit_is_held(env, tmp_path):
    env = {**env, "BRISKK_REVIEW_VALUES_CLEARED": "3"}  # the global limit, from the environment
    rows = base(env, tmp_path)
    blanked = [dict(r, barcode=None) for r in rows]  # 8 stored barcodes cleared
    result = held(env, write_xlsx(tmp_path / "blank.xlsx", blanked))
    assert result["review_reasons"] == [
        "blank cells erase 8 stored values, more than 3 (the review limit)"
    ]
    assert result["changes"]["values_cleared"] == 8
    assert all(s["barcode"] is not None for s in catalog_skus(env).values())
    # a tenant's own limit overrides the global one
    done = briskk(env, "review", "--tenant", "BrandA", "--set-limits", "-", "-", "100")
    assert done.returncode == 0, done.stderr
    loaded = briskk_json(env, "ingest", str(tmp_path / "blank.xlsx"))
    assert loaded["status"] == "succeeded"
    assert all(s["barcode"] is None for s in catalog_skus(env).values())
