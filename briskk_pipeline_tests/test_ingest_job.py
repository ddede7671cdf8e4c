"""`ingest_job` end to end in-process: real PostgreSQL, real object stores, real HTTP images."""

from __future__ import annotations

import hashlib

import pytest
from dagster import DefaultScheduleStatus, DefaultSensorStatus

from briskk_pipeline.definitions import defs
from briskk_pipeline_tests.fixtures.http import make_image
from briskk_pipeline_tests.fixtures.s3 import list_objects, read_object
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.real_template import brand_copy
from briskk_pipeline_tests.workbooks import Text, template_rows, write_xlsx


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


def by_sku(products: list[dict]) -> dict[str, dict]:
    return {s["sku_id"]: s for p in products for s in p["skus"]}


def test_real_template(harness, tmp_path):
    record = harness.ingest(brand_copy(tmp_path))  # its example ids renamed: a brand's rows
    assert record["status"] == "succeeded"
    assert record["tenant"] == "default"
    assert (record["products_loaded"], record["skus_loaded"]) == (4, 4)
    assert (record["products_rejected"], record["rows_rejected"], record["errors"]) == (0, 0, [])
    products = harness.products()
    assert [p["product_id"] for p in products] == ["kurta001", "kurta002", "kurta003", "kurta004"]
    assert {p["tenant"] for p in products} == {"default"}
    skus = by_sku(products)
    assert skus["ksku001"]["barcode"] == "123456789012"
    assert skus["ksku002"]["size"] == "32"
    assert skus["ksku001"]["facility_name"] == "Store 1"
    assert all(s["is_disabled"] is False for s in skus.values())
    assert skus["ksku001"]["price"] == 500 and skus["ksku001"]["offer_price"] == 450
    assert skus["ksku001"]["across_shoulder_in"] == 17.5
    assert products[0]["hsn_code"] == "61091000"
    # images were not fetched (fetching is off): recorded as failed, never rejecting
    assert [i["status"] for i in products[0]["images"]] == ["failed", "failed", "failed"]


def test_messy_workbook_loads_exactly(harness, tmp_path):
    rows = template_rows(8)
    for r in rows[:4]:
        r["barcode"] = Text("0" + str(r["barcode"])[1:])  # leading zero, as text
        r["price"] = Text("1,299.00")
        r["offer_price"] = Text("999.50")
    first_barcode = rows[0]["barcode"].value
    rows[4]["facility_name"] = "Warehouse 2 "
    path = write_xlsx(tmp_path / "messy.xlsx", rows, blank_formatted_rows=500)
    record = harness.ingest(path)
    assert (record["status"], record["products_loaded"], record["skus_loaded"]) == (
        "succeeded",
        2,
        8,
    )
    assert record["tenant"] == "BrandA"  # from the sheet name
    skus = by_sku(harness.products("BrandA"))
    assert skus["P000000-0"]["barcode"] == first_barcode == "090000100004"
    assert skus["P000000-0"]["price"] == 1299 and skus["P000000-0"]["offer_price"] == 999.5
    assert skus["P000001-0"]["facility_name"] == "Warehouse 2"


def test_bad_rows_reject_their_product_only_with_row_numbered_errors(harness, tmp_path):
    rows = template_rows(16)  # P000000..P000003, rows 2..17
    rows[1]["offer_price"] = 5000  # row 3, above price
    rows[6]["stock"] = -2  # row 8
    rows[9]["barcode"] = "123"  # row 11
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    record = harness.ingest(path)
    assert record["status"] == "succeeded"
    assert [(e["row"], e["column"], e["value"]) for e in record["errors"]] == [
        (3, "offer_price", "5000"),
        (8, "stock", "-2"),
        (11, "barcode", "123"),
    ]
    assert [e["message"] for e in record["errors"]] == [
        "must not be more than price",
        "must be 0 or more",
        "must be 8 to 14 digits",
    ]
    assert (record["products_loaded"], record["skus_loaded"]) == (1, 4)
    assert (record["products_rejected"], record["rows_rejected"]) == (3, 12)
    assert [p["product_id"] for p in harness.products()] == ["P000003"]


def test_every_product_rejected_means_upload_rejected(harness, tmp_path):
    rows = template_rows(4)
    rows[0]["price"] = "free"
    record = harness.ingest(write_xlsx(tmp_path / "bad.xlsx", rows))
    assert record["status"] == "rejected"
    assert [(e["row"], e["column"], e["value"]) for e in record["errors"]] == [(2, "price", "free")]
    assert harness.products() == []


def test_rematerializing_a_partition_changes_nothing(harness, tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(8))
    upload_id = harness.register(path)
    assert harness.run(upload_id).success
    tables = ("products", "skus", "upload_errors", "images", "product_images")
    before = {t: harness.table(t) for t in tables}
    assert harness.run(upload_id).success
    after = {t: harness.table(t) for t in tables}
    assert after == before
    assert len(after["skus"]) == 8
    # fetching is off here: nothing was tried, so no attempt is counted or rewritten
    slots = after["product_images"]
    assert len(slots) == 5 and {s["status"] for s in slots} == {"failed"}
    assert {(s["attempts"], s["last_attempt_at"]) for s in slots} == {(0, None)}


def test_same_file_twice_gives_the_same_catalog(harness, tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(8))
    harness.ingest(path)
    products = harness.table("products")
    skus = harness.table("skus")
    second = harness.ingest(path)
    assert second["status"] == "succeeded"
    assert harness.table("products") == products  # updated_at included: nothing rewritten
    assert harness.table("skus") == skus


def test_replace_upload_changes_prices_disables_dropped_sku_deletes_nothing(
    harness, tmp_path, monkeypatch
):
    monkeypatch.setenv("BRISKK_REVIEW_PRICE_FACTOR", "10")  # not held for review here
    rows = template_rows(8)
    harness.ingest(write_xlsx(tmp_path / "v1.xlsx", rows))
    changed = [dict(r) for r in rows[:3]]  # P000000 without its 4th SKU; P000001 absent
    changed[0]["price"] = 1999
    changed[0]["offer_price"] = None
    harness.ingest(write_xlsx(tmp_path / "v2.xlsx", changed), mode="replace")
    skus = by_sku(harness.products("BrandA"))
    assert len(skus) == 8  # nothing deleted
    assert skus["P000000-0"]["price"] == 1999 and skus["P000000-0"]["offer_price"] is None
    assert skus["P000000-3"]["is_disabled"] is True  # dropped from its product's upload
    assert all(not skus[f"P000001-{i}"]["is_disabled"] for i in range(4))  # untouched product


def test_two_tenants_with_the_same_ids_stay_apart(harness, tmp_path):
    rows = template_rows(4)
    path = write_xlsx(tmp_path / "t.xlsx", rows, sheet_name="Sheet1")
    harness.ingest(path, tenant="brand-a")
    other = [dict(r, price=111, offer_price=None) for r in rows]
    harness.ingest(write_xlsx(tmp_path / "u.xlsx", other, sheet_name="Sheet1"), tenant="brand-b")
    a, b = by_sku(harness.products("brand-a")), by_sku(harness.products("brand-b"))
    assert set(a) == set(b) == {f"P000000-{i}" for i in range(4)}
    assert a["P000000-0"]["price"] != 111 and b["P000000-0"]["price"] == 111


def test_a_sku_cannot_move_to_another_product(harness, tmp_path):
    harness.ingest(write_xlsx(tmp_path / "v1.xlsx", template_rows(4)))
    moved = template_rows(4, product_prefix="Q")
    moved[0]["sku_id"] = "P000000-0"  # owned by P000000 already
    record = harness.ingest(write_xlsx(tmp_path / "v2.xlsx", moved))
    assert [(e["row"], e["column"]) for e in record["errors"]] == [(2, "sku_id")]
    assert "already belongs to product 'P000000'" in record["errors"][0]["message"]
    assert record["products_rejected"] == 1


@pytest.mark.parametrize(
    ("tenant", "sheet", "rows", "message"),
    [
        ("brand-b", "BrandA_Briskk_SKU_Template", 4, "upload is from tenant 'brand-b'"),
        (None, "BrandA_Briskk_SKU_Template", 801, "the file has 801 rows"),
    ],
    ids=["tenant-mismatch", "too-many-rows"],
)
def test_file_rejected_whole_is_recorded_and_archived(
    harness, tmp_path, tenant, sheet, rows, message
):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(rows), sheet_name=sheet)
    record = harness.ingest(path, tenant=tenant)
    assert record["status"] == "rejected"
    assert len(record["errors"]) == 1 and record["errors"][0]["row"] is None
    assert message in record["errors"][0]["message"]
    assert harness.products() == []
    archived = harness.store.get(record["archive_key"])
    assert hashlib.sha256(archived).hexdigest() == record["sha256"]


def test_images_are_stored_once_and_reused(database_url, s3_store, tmp_path, http_server):
    harness = make_harness(database_url, s3_store, tmp_path)
    shared, _ = http_server.serve_image("/shared.png", "PNG", (20, 10))
    rows = template_rows(8)
    for i, r in enumerate(rows):
        p = i // 4
        r["main_image"] = shared  # both products share the main image
        r["image_1"], _ = http_server.serve_image(f"/p{p}.jpg", "JPEG", (30, 40), (10 * p, 90, 30))
        r["image_2"] = http_server.serve_status(f"/missing{p}.png", 404)
    path = write_xlsx(tmp_path / "img.xlsx", rows)
    record = harness.ingest(path)
    assert record["images"] == {
        "stored": 3,
        "reused": 0,
        "failed": 2,
        "blocked": 0,
        "not_fetched": 0,
    }
    products = harness.products()
    main = products[0]["images"][0]
    assert main["status"] == "stored" and (main["width"], main["height"]) == (20, 10)
    assert main["uri"] == f"s3://{s3_store.bucket}/images/{main['sha256']}.png"
    key = f"images/{main['sha256']}.png"
    assert hashlib.sha256(read_object(s3_store, key)).hexdigest() == main["sha256"]
    assert products[1]["images"][0]["sha256"] == main["sha256"]
    assert products[0]["images"][2]["status"] == "failed"
    objects = [k for k in list_objects(s3_store) if k.startswith("images/")]
    assert len(objects) == 3
    gets = http_server.hits()
    second = harness.ingest(path)
    assert second["images"] == {
        "stored": 0,
        "reused": 3,
        "failed": 2,
        "blocked": 0,
        "not_fetched": 0,
    }
    assert http_server.hits() - gets == 2  # only the two 404s were asked again
    assert [k for k in list_objects(s3_store) if k.startswith("images/")] == objects


def test_retry_failed_images_job_stores_an_image_that_now_serves(
    database_url, local_store, tmp_path, http_server, forbidden_server
):
    harness = make_harness(database_url, local_store, tmp_path)
    # answers 404 once (a 404 is not retried within a run), then serves the image
    late = http_server.flaky(
        "/late.png", failures=1, body=make_image("PNG", (12, 12), (1, 2, 3)), fail_status=404
    )
    blocked = forbidden_server.url("/private.png")
    rows = template_rows(4)
    for r in rows:
        r["main_image"], r["image_1"] = late, blocked
    harness.ingest(write_xlsx(tmp_path / "t.xlsx", rows))
    before = {i["position"]: i for i in harness.products()[0]["images"]}
    assert (before[0]["status"], before[1]["status"]) == ("failed", "blocked")

    job = harness.definitions.resolve_job_def("retry_failed_images_job")
    result = job.execute_in_process(instance=harness.instance)
    assert result.success
    assert result.output_for_node("retry_failed_images_op")["stored"] == 1
    after = {i["position"]: i for i in harness.products()[0]["images"]}
    assert after[0]["status"] == "stored" and after[0]["sha256"]
    assert after[1]["status"] == "blocked"  # never retried
    assert forbidden_server.hits() == 0
    slots = {s["position"]: s for s in harness.table("product_images")}
    assert slots[0]["attempts"] == 2 and slots[1]["attempts"] == 1


def test_the_scheduled_work_is_on_by_default():
    schedules = {s.name: s for s in defs.schedules or []}
    assert schedules["retry_failed_images_schedule"].job_name == "retry_failed_images_job"
    assert schedules["catalog_snapshot_schedule"].job_name == "catalog_snapshot_job"
    assert all(s.default_status == DefaultScheduleStatus.RUNNING for s in schedules.values())
    sensors = {s.name: s for s in defs.sensors or []}
    assert sensors["inbox_sensor"].default_status == DefaultSensorStatus.RUNNING
    assert sensors["inbox_sensor"].minimum_interval_seconds <= 10
