"""`briskk` as a subprocess, as people and scripts use it: exit codes and JSON field by field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briskk_pipeline.images.pipeline import FETCH_OFF_REASON
from briskk_pipeline.images.urls import ONE_ADDRESS_PER_CELL
from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer, make_image
from briskk_pipeline_tests.real_template import REAL_TEMPLATE, brand_copy
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

INGEST_KEYS = {
    "upload_id",
    "status",
    "tenant",
    "products_loaded",
    "skus_loaded",
    "products_rejected",
    "rows_rejected",
    "errors",
    "warnings",
    "images",
    "image_failures",
    "seconds",
    "mode",  # issue 19: merge | replace | update
    "changes",  # issue 19: what the upload changed (catalog/summary.py)
    "readiness",  # per product and channel: "ready" or the failing rules (readiness/)
    "profile_version",  # issue 22: the brand profile version it was read with
}

pytestmark = pytest.mark.e2e


def test_real_template_through_every_command(env, tmp_path):
    # The real template with its example ids renamed: a brand's products in Excel's bytes
    # (the examples themselves are rejected: test_real_template_examples_are_never_loaded).
    result = briskk_json(env, "ingest", str(brand_copy(tmp_path)))
    assert set(result) == INGEST_KEYS
    assert result["status"] == "succeeded"
    assert result["tenant"] == "default"
    assert result["upload_id"].startswith("default-")
    assert (result["products_loaded"], result["skus_loaded"]) == (4, 4)
    assert (result["products_rejected"], result["rows_rejected"]) == (0, 0)
    assert result["errors"] == []
    assert result["warnings"] == [
        "no tenant given and the sheet is not named '<Tenant>_Briskk_SKU_Template': "
        "filed under tenant 'default'",
        # the real template's third sample barcode has a wrong GS1 check digit
        "row 4, column barcode: is not a valid GTIN-12: its check digit is 6 but the digits "
        "before it give 2 (GS1 check digit); a mistyped or rounded number (value '112233445566')",
    ]
    readiness = result["readiness"]
    assert readiness["channels"] == ["ajio", "amazon_in", "briskk", "flipkart", "myntra", "nykaa"]
    # fetching is off: no image is stored, so no product is ready anywhere
    assert readiness["ready"] == dict.fromkeys(readiness["channels"], 0)
    assert [p["product_id"] for p in readiness["products"]] == [
        "kurta001",
        "kurta002",
        "kurta003",
        "kurta004",
    ]
    # fetching is off in these tests: not fetched is not counted as a failure
    assert result["images"] == {
        "stored": 0,
        "reused": 0,
        "failed": 0,
        "blocked": 0,
        "not_fetched": 3,
    }
    # one entry per slot (4 products x 3 cells), in sheet order
    assert [(f["row"], f["column"]) for f in result["image_failures"]] == [
        (row, column) for row in (2, 3, 4, 5) for column in ("main_image", "image_1", "image_2")
    ]
    assert result["image_failures"][1] == {
        "row": 2,
        "column": "image_1",
        "url": "http://example.com/img1.jpg",
        "status": "not_fetched",
        "reason": FETCH_OFF_REASON,
    }
    assert {(f["status"], f["reason"]) for f in result["image_failures"]} == {
        ("not_fetched", FETCH_OFF_REASON)
    }
    assert isinstance(result["seconds"], float) and result["seconds"] > 0

    products = briskk_json(env, "products")
    assert [p["product_id"] for p in products] == ["kurta001", "kurta002", "kurta003", "kurta004"]
    first = products[0]
    assert first["tenant"] == "default"
    assert first["hsn_code"] == "61091000" and isinstance(first["hsn_code"], str)
    assert first["images"][0] == {
        "position": 0,
        "source_url": "https://file-examples.com/storage/fef44df12666d835ba71c24/2017/10/"
        "file_example_JPG_500kB.jpg",
        "status": "failed",
        "reason": FETCH_OFF_REASON,
        "uri": None,
        "sha256": None,
        "width": None,
        "height": None,
    }
    sku = first["skus"][0]
    assert sku["sku_id"] == "ksku001" and sku["barcode"] == "123456789012"
    assert sku["price"] == 500 and sku["offer_price"] == 450
    assert isinstance(sku["stock"], int) and sku["stock"] == 100
    assert sku["is_disabled"] is False
    assert sku["facility_name"] == "Store 1"
    assert sku["across_shoulder_in"] == 17.5 and sku["waist_in"] is None
    assert products[1]["skus"][0]["size"] == "32"

    uploads = briskk_json(env, "uploads")
    assert len(uploads) == 1
    upload = uploads[0]
    assert upload["upload_id"] == result["upload_id"]
    assert upload["file_name"] == "briskk-sku-template.xlsx"
    assert len(upload["sha256"]) == 64 and upload["status"] == "succeeded"
    assert upload["archive_uri"].startswith("file://") and upload["run_id"]
    assert upload["received_at"].endswith("+00:00")
    assert os.path.exists(upload["archive_uri"].removeprefix("file://"))

    human = briskk(env, "products")
    assert human.returncode == 0 and "kurta004" in human.stdout and "4 products" in human.stdout


def test_real_template_examples_are_never_loaded(env):
    result = briskk_json(env, "ingest", str(REAL_TEMPLATE), code=1)
    assert (result["status"], result["products_loaded"], result["products_rejected"]) == (
        "rejected",
        0,
        4,
    )
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (2, "product_id", "prod001"),
        (3, "product_id", "prod002"),
        (4, "product_id", "prod003"),
        (5, "product_id", "prod004"),
    ]
    assert result["errors"][0]["message"] == (
        "this row is the template's own example product 'Men's Cotton T-Shirt' (prod001 / "
        "sku001 in the template's sample data), not one of your products: delete the "
        "template's example rows and upload again"
    )
    assert briskk_json(env, "products") == []


def test_messy_file_reports_row_numbered_errors_and_exits_zero(env, tmp_path):
    rows = template_rows(8)
    rows[5]["price"] = "12,3x"
    path = write_xlsx(tmp_path / "BrandA.xlsx", rows, extra_columns={"Internal notes": ["x"] * 8})
    result = briskk_json(env, "ingest", str(path))
    assert result["status"] == "succeeded" and result["tenant"] == "BrandA"
    assert result["errors"] == [
        {"row": 7, "column": "price", "value": "12,3x", "message": "must be a number, like 1299.00"}
    ]
    assert result["warnings"] == [
        "column 'Internal notes' is not part of the template and was ignored"
    ]
    assert (result["products_loaded"], result["products_rejected"], result["rows_rejected"]) == (
        1,
        1,
        4,
    )
    human = briskk(env, "ingest", str(path))
    assert human.returncode == 0
    assert "1 problem to fix" in human.stdout and "must be a number" in human.stdout


def test_rejected_file_exits_one_and_is_listed(env, tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx", template_rows(4), sheet_name="BrandA_Briskk_SKU_Template"
    )
    result = briskk_json(env, "ingest", str(path), "--tenant", "BrandB", code=1)
    assert result["status"] == "rejected" and result["tenant"] == "BrandB"
    assert result["errors"][0]["row"] is None
    assert "tenant 'BrandA'" in result["errors"][0]["message"]
    assert briskk_json(env, "products") == []
    uploads = briskk_json(env, "uploads", "--tenant", "BrandB")
    assert [u["status"] for u in uploads] == ["rejected"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/no/such/file.xlsx"], "no such file"),
        (["ingest", "{real}", "--tenant", "bad/tenant"], "tenant 'bad/tenant' is not valid"),
        # an unknown upload id is exit 2 for every command that takes one
        (["report", "nosuch"], "no upload 'nosuch'"),
        (["rerun", "nosuch"], "no upload 'nosuch'"),
        (["rollback", "nosuch"], "no upload or rollback with id 'nosuch'"),
        (["history", "--upload", "nosuch"], "no upload or rollback with id 'nosuch'"),
        (["history", "--upload", "nosuch", "--json"], "no upload or rollback with id 'nosuch'"),
    ],
)
def test_expected_errors_are_one_line_without_traceback(env, args, message):
    done = briskk(env, *[a.replace("{real}", str(REAL_TEMPLATE)) for a in args])
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_db_upgrade(env):
    done = briskk(env, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "catalog schema is current" in done.stdout


def test_tenant_options_ignore_letter_case(env, tmp_path):
    """`--tenant brandA` and `--tenant BRANDA` find tenant BrandA (SPEC §2)."""
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(4), sheet_name="Sheet1")
    result = briskk_json(env, "ingest", str(path), "--tenant", "BrandA")
    assert result["tenant"] == "BrandA" and result["warnings"] == []
    again = briskk_json(env, "ingest", str(path), "--tenant", "branda")
    assert again["tenant"] == "BrandA" and again["upload_id"].startswith("BrandA-")
    products = briskk_json(env, "products", "--tenant", "brandA")
    assert [(p["tenant"], p["product_id"]) for p in products] == [("BrandA", "P000000")]
    uploads = briskk_json(env, "uploads", "--tenant", "BRANDA")
    assert [u["upload_id"] for u in uploads] == [again["upload_id"], result["upload_id"]]
    # a tenant that never uploaded is a usage error naming the tenants there are
    for command in ("uploads", "products", "history"):
        extra = ("--product", "P000000") if command == "history" else ()
        for json_flag in ((), ("--json",)):
            done = briskk(env, command, "--tenant", "BrandB", *extra, *json_flag)
            assert done.returncode == 2, done.stderr
            assert done.stderr.splitlines()[-1] == (
                "briskk: no tenant 'BrandB': the tenants are BrandA"
            )
            assert "Traceback" not in done.stderr
            assert done.stdout == ""


def test_dry_run_json_then_report_then_real_ingest(env, tmp_path):
    rows = template_rows(8)
    briskk_json(env, "ingest", str(write_xlsx(tmp_path / "base.xlsx", rows)))
    before = briskk(env, "products", "--json").stdout
    update = [dict(r) for r in rows if r["sku_id"] != "P000001-3"]
    update[0]["price"] = 10 * update[0]["price"]  # ten times too high
    path = write_xlsx(tmp_path / "update.xlsx", update)

    preview = briskk_json(env, "ingest", str(path), "--dry-run", "--replace")
    assert set(preview) == {*INGEST_KEYS, "preview", "review_reasons"}  # would be held
    assert preview["status"] == "previewed"
    assert briskk(env, "products", "--json").stdout == before  # byte for byte
    assert preview["changes"]["skus"]["disabled"] == 1  # replace: P000001-3 left out
    assert [(c["product_id"], c["action"]) for c in preview["preview"]] == [
        ("P000000", "changed"),
        ("P000001", "changed"),
    ]
    assert [s["action"] for s in preview["preview"][1]["skus"]] == ["disabled"]
    assert any("P000000-0: price moves from" in w for w in preview["warnings"])
    uploads = briskk_json(env, "uploads")
    assert uploads[0]["status"] == "previewed" and uploads[0]["report_uri"]

    saved = tmp_path / "preview.xlsx"
    done = briskk(env, "report", preview["upload_id"], "-o", str(saved))
    assert done.returncode == 0, done.stderr
    import openpyxl

    assert openpyxl.load_workbook(saved).sheetnames[0] == "Problems"

    # ten times the price is more than a factor of 2: the preview says it would be held
    assert preview["warnings"][0].startswith("this upload would be held for review: 1 price")
    real = briskk_json(env, "ingest", str(path), "--replace", code=1)
    assert real["status"] == "needs_review"
    assert real["review_reasons"] == preview["review_reasons"]
    assert real["warnings"][1:] == preview["warnings"][1:]
    assert briskk(env, "products", "--json").stdout == before  # held: nothing loaded
    approved = briskk_json(env, "review", real["upload_id"], "--approve")
    assert approved["status"] == "succeeded"
    products = {p["product_id"]: p for p in briskk_json(env, "products")}
    sku = next(s for s in products["P000000"]["skus"] if s["sku_id"] == "P000000-0")
    old, new = preview["preview"][0]["skus"][0]["fields"]["price"]
    assert sku["price"] == new == 10 * old
    assert next(s for s in products["P000001"]["skus"] if s["sku_id"] == "P000001-3")["is_disabled"]


def test_image_failures_field_by_field_and_grouped_by_reason(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    env = {**env, "BRISKK_FETCH_IMAGES": "1", "BRISKK_ALLOWED_IMAGE_HOSTS": "127.0.0.1"}
    http_server.serve_bytes("/front%20view.png", make_image("PNG", (9, 9)), "image/png")
    spaced = http_server.url("/front view.png")  # a space, as the brand typed it
    two = "https://x.test/a.jpg, https://x.test/b.jpg"
    rows = template_rows(16)  # P000000..P000003 on rows 2, 6, 10, 14
    missing = [http_server.serve_status(f"/missing{p}.png", 404) for p in range(4)]
    for i, row in enumerate(rows):
        p = i // 4
        row.update(main_image=spaced, image_1=missing[p], image_2=two if p == 0 else None)
    path = write_xlsx(tmp_path / "BrandA.xlsx", rows)

    result = briskk_json(env, "ingest", str(path))
    assert result["status"] == "succeeded" and result["products_loaded"] == 4
    assert result["images"] == {
        "stored": 1,
        "reused": 0,
        "failed": 4,
        "blocked": 1,
        "not_fetched": 0,
    }
    failures = result["image_failures"]
    assert failures[0] == {
        "row": 2,
        "column": "image_1",
        "url": missing[0],
        "status": "failed",
        "reason": "HTTP 404 Not Found",
    }
    assert failures[1] == {
        "row": 2,
        "column": "image_2",
        "url": two,
        "status": "blocked",
        "reason": ONE_ADDRESS_PER_CELL,
    }
    assert [(f["row"], f["column"], f["url"]) for f in failures[2:]] == [
        (6, "image_1", missing[1]),
        (10, "image_1", missing[2]),
        (14, "image_1", missing[3]),
    ]
    assert result["warnings"] == [f"row 2, column image_2: {ONE_ADDRESS_PER_CELL} (value {two!r})"]

    images = briskk_json(env, "products")[0]["images"]
    assert [(i["position"], i["status"], i["reason"]) for i in images] == [
        (0, "stored", None),
        (1, "failed", "HTTP 404 Not Found"),
        (2, "blocked", ONE_ADDRESS_PER_CELL),
    ]
    assert images[0]["source_url"] == spaced
    assert briskk_json(env, "uploads")[0]["image_failures"] == failures

    human = briskk(env, "ingest", str(path))
    assert human.returncode == 0, human.stderr
    out = human.stdout
    assert "0 stored, 1 reused, 4 failed, 1 blocked, 0 not fetched" in out  # stored by the 1st
    block = out[out.index("5 images not stored:") :].splitlines()
    assert block[:7] == [
        "5 images not stored:",
        "  4 × HTTP 404 Not Found",
        f"      row 2, image_1: {missing[0]}",
        f"      row 6, image_1: {missing[1]}",
        f"      row 10, image_1: {missing[2]}",
        "      … and 1 more",
        f"  1 × {ONE_ADDRESS_PER_CELL}",
    ]
    assert block[7] == f"      row 2, image_2: {two}"


def test_fetching_off_says_not_fetched_instead_of_failed(env: dict[str, str], tmp_path: Path):
    path = write_xlsx(tmp_path / "BrandA.xlsx", template_rows(4))
    done = briskk(env, "ingest", str(path))
    assert done.returncode == 0, done.stderr
    assert "0 failed, 0 blocked, 3 not fetched" in done.stdout
    assert "3 images not stored:" in done.stdout
    assert f"  3 × {FETCH_OFF_REASON}" in done.stdout
    assert "row 2, main_image: https://images.example.com/p0/main.jpg" in done.stdout
