"""`POST /ingest` reads an Excel CSV as `briskk ingest` and the inbox do (same job, same
reader): a copied file name under the token's tenant, error values and dragged defaults."""

from __future__ import annotations

from pathlib import Path

from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.api.test_api import post_file
from briskk_pipeline_tests.excel_text import excel_csv_of_a_brand


def test_post_ingest_reads_an_excel_csv_as_the_cli_does(api: ApiServer, tmp_path: Path) -> None:
    path = tmp_path / "Copy of BrandA_Briskk_SKU_Template (1).csv"
    path.write_bytes(excel_csv_of_a_brand())
    response = post_file(api.client(api.token("BrandA")), path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["tenant"]) == ("succeeded", "BrandA")
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [
        (7, "offer_price", "#N/A"),
        (11, "size", "12-Oct"),
    ]
    assert (body["products_loaded"], body["products_rejected"]) == (1, 2)
    assert any(w.startswith("rows 14-1001 below the last product") for w in body["warnings"])
