"""Excel's text files, headers, rows that are not data, file names and look-alikes through
`briskk ingest --json` on the real PostgreSQL, and one file through the inbox: the same
reading whichever door a file comes in by (the inbox and `POST /ingest` register and run the
same `ingest_job` as the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog.uploads import get_upload
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.excel_text import excel_csv_of_a_brand, excel_text
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.harness import make_harness
from briskk_pipeline_tests.ingest.test_sensor import Ticker, _resources, _uploads
from briskk_pipeline_tests.workbooks import template_rows

pytestmark = pytest.mark.e2e


def test_an_excel_csv_reads_as_excel_showed_it(env, tmp_path: Path):
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    path.write_bytes(excel_csv_of_a_brand())
    env = {**env, "BRISKK_MAX_ROWS": "800"}
    result = briskk_json(env, "ingest", str(path))
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (7, "offer_price", "#N/A"),
        (11, "size", "12-Oct"),
    ]
    assert (result["products_loaded"], result["products_rejected"]) == (1, 2)
    assert (
        "rows 14-1001 below the last product hold no product_id, sku_id or barcode, only "
        "values repeated from the rows above (in facility_id, facility_name, is_disabled): "
        "they are not products and were ignored"
    ) in result["warnings"]
    products = briskk_json(env, "products")
    assert [p["product_id"] for p in products] == ["P000000"]
    assert products[0]["product_name"] == "Kurta en coton brodé"
    assert products[0]["skus"][0]["barcode"] == "0012345678905"


def test_a_header_without_price_is_rejected_naming_the_header_that_looks_like_it(env, tmp_path):
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    path.write_bytes(excel_text(template_rows(4), header={"price": "MRP"}))
    result = briskk_json(env, "ingest", str(path), code=1)
    assert result["status"] == "rejected"
    assert result["errors"][0]["message"].startswith(
        "required column 'price' is missing from the header row; the header 'MRP' (column AF) "
        "looks like it (a common name for price)"
    )


def test_names_tools_give_and_look_alike_text_load_under_the_explicit_tenant(env, tmp_path):
    rows = template_rows(8)
    rows[2]["product_name"] = rows[2]["product_name"].replace(" ", "\u00a0", 1)  # row 4
    path = tmp_path / "Copy of Brand A_Briskk_SKU_Template (1).csv"
    path.write_bytes(excel_text(rows, save_as="csv-utf8"))
    result = briskk_json(env, "ingest", str(path), "--tenant", "BrandA")
    assert (result["status"], result["tenant"], result["errors"]) == ("succeeded", "BrandA", [])
    assert result["products_loaded"] == 2
    assert [w for w in result["warnings"] if "invisible character" in w] == [
        f"row 4, column product_name: looks the same as row 2 of product 'P000000' "
        f"('{rows[0]['product_name']}') but differs by an invisible character (no-break space "
        "at character 4, in this cell): read as the same value; retype the text to remove it "
        f"(value {rows[0]['product_name'].replace(' ', chr(92) + 'u00a0', 1)!r})"
    ]


def test_the_inbox_reads_an_excel_csv_the_same_way(
    tmp_path: Path, database_url: str, engine: sa.Engine, local_store: LocalObjectStore
):
    inbox = tmp_path / "inbox"
    (inbox / "BrandA").mkdir(parents=True)
    (inbox / "BrandA" / "Briskk SKU Template - BrandA.csv").write_bytes(excel_csv_of_a_brand())
    harness = make_harness(database_url, local_store, tmp_path, fetch_images=False)
    tick = Ticker(harness.instance, _resources(tmp_path, inbox, database_url, local_store))
    tick()  # first sight: sizes remembered
    tick()
    [record] = _uploads(engine)
    harness.instance.add_dynamic_partitions("uploads", [record["upload_id"]])
    harness.run(record["upload_id"], raise_on_error=False)
    done = get_upload(engine, record["upload_id"])
    assert done is not None and (done["status"], done["tenant"]) == ("succeeded", "BrandA")
    assert [(e["row"], e["column"], e["value"]) for e in done["errors"]] == [
        (7, "offer_price", "#N/A"),
        (11, "size", "12-Oct"),
    ]
    assert [p["product_id"] for p in harness.products("BrandA")] == ["P000000"]
