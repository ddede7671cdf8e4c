"""What an upload may change (issue 19) through `POST /ingest` on a real `briskk serve`.

A partial price update keeps the other SKUs on sale and announces its changes (in the answer
and in `GET /uploads/{id}`); `?mode=replace` disables and lists; an update file through the
API; a held upload approved with an admin token (a brand token may not).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.api.test_api import post_file
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def skus_of(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {s["sku_id"]: s for p in client.get("/products").json() for s in p["skus"]}


def ingest(client: httpx.Client, path: Path, query: str = "?wait=60") -> dict[str, Any]:
    response = post_file(client, path, query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_partial_update_keeps_the_other_skus_and_replace_lists_its_disables(
    api: ApiServer, tmp_path: Path
) -> None:
    client = api.client(api.token("SemA"))
    rows = template_rows(8)
    ingest(client, write_xlsx(tmp_path / "base.xlsx", rows, sheet_name="Sheet1"))

    update = [dict(rows[1], price=849)]
    body = ingest(client, write_xlsx(tmp_path / "one.xlsx", update, sheet_name="Sheet1"))
    assert body["status"] == "succeeded" and body["mode"] == "merge"
    assert not any(s["is_disabled"] for s in skus_of(client).values())
    assert body["changes"]["skus"] == {"inserted": 0, "updated": 1, "unchanged": 0, "disabled": 0}
    assert body["changes"]["not_listed"]["skus"] == 3
    record = client.get(f"/uploads/{body['upload_id']}").json()
    assert record["changes"] == body["changes"] and record["mode"] == "merge"

    replace = [rows[0], rows[4]]
    path = write_xlsx(tmp_path / "replace.xlsx", replace, sheet_name="Sheet1")
    body = ingest(client, path, "?wait=60&mode=replace")
    # 6 of 8 disabled is more than a fifth: held for review, nothing disabled yet
    assert body["status"] == "needs_review" and body["mode"] == "replace"
    assert body["review_reasons"] == [
        "it takes 6 of your 8 SKUs on sale off sale, more than 20% (the review limit)"
    ]
    assert [d["sku_id"] for d in body["changes"]["disabled_absent"]] == [
        f"P00000{p}-{i}" for p in (0, 1) for i in (1, 2, 3)
    ]
    assert not any(s["is_disabled"] for s in skus_of(client).values())

    refused = client.post(f"/uploads/{body['upload_id']}/review?decision=approve")
    assert refused.status_code == 403  # a brand token does not decide
    admin = api.client(api.token("Ops", admin=True))
    approved = admin.post(f"/uploads/{body['upload_id']}/review?decision=approve")
    assert approved.status_code == 200, approved.text
    assert approved.json() == {
        "upload_id": body["upload_id"],
        "decision": "approved",
        "status": "succeeded",
        "refused": None,
    }
    disabled = sorted(s for s, v in skus_of(client).items() if v["is_disabled"])
    assert disabled == [f"P00000{p}-{i}" for p in (0, 1) for i in (1, 2, 3)]
    again = admin.post(f"/uploads/{body['upload_id']}/review?decision=decline")
    assert again.status_code == 409  # no longer held


def test_an_update_file_through_the_api(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("SemB"))
    rows = template_rows(8)
    ingest(client, write_xlsx(tmp_path / "base.xlsx", rows, sheet_name="Sheet1"))
    before = skus_of(client)
    update = [
        {"sku_id": "P000001-2", "price": None, "offer_price": None, "stock": 42},
        {"sku_id": "ZZZ-9", "price": 10, "offer_price": None, "stock": 1},
    ]
    path = write_xlsx(
        tmp_path / "stock.xlsx",
        update,
        sheet_name="Sheet1",
        columns=["sku_id", "price", "offer_price", "stock"],
    )
    body = ingest(client, path)
    assert body["status"] == "succeeded" and body["mode"] == "update"
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [(3, "sku_id", "ZZZ-9")]
    after = skus_of(client)
    assert after["P000001-2"]["stock"] == 42
    assert {k: v for k, v in after["P000001-2"].items() if k != "stock"} == {
        k: v for k, v in before["P000001-2"].items() if k != "stock"
    }
    assert "ZZZ-9" not in after


def test_renamed_columns_and_a_split_product_through_the_api(
    api: ApiServer, tmp_path: Path
) -> None:
    from briskk_pipeline_tests.workbooks import REAL_HEADER

    client = api.client(api.token("SemC"))
    rows = template_rows(8, skus_per_product=8)  # one product, eight SKUs, sent in two halves
    ingest(client, write_xlsx(tmp_path / "a.xlsx", rows[:4], sheet_name="Sheet1"))
    second = ingest(client, write_xlsx(tmp_path / "b.xlsx", rows[4:], sheet_name="Sheet1"))
    assert second["changes"]["skus"]["inserted"] == 4
    skus = skus_of(client)
    assert sorted(skus) == [f"P000000-{i}" for i in range(8)]
    assert not any(s["is_disabled"] for s in skus.values())

    header = {**REAL_HEADER, "barcode": "EAN", "offer_price": "Selling Price"}
    renamed = [dict(r, stock=3) for r in rows]
    path = write_xlsx(tmp_path / "renamed.xlsx", renamed, sheet_name="Sheet1", header=header)
    body = ingest(client, path)
    assert body["changes"]["values_cleared"] == 0
    after = skus_of(client)
    for sku_id, sku in after.items():
        assert (sku["barcode"], sku["offer_price"], sku["stock"]) == (
            skus[sku_id]["barcode"],
            skus[sku_id]["offer_price"],
            3,
        )
