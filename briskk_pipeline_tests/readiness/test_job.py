"""Readiness through the real ingest_job: verdicts stored with the upload, the Readiness sheet
of the annotated workbook, the Dagster asset check, blocking and strict tenants, images
measured late, `briskk readiness` and `GET /readiness`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog.tables import images as images_table
from briskk_pipeline.readiness.listing import not_ready_listing
from briskk_pipeline.readiness.settings import save_settings
from briskk_pipeline.readiness.store import upload_verdicts
from briskk_pipeline.reports.workbook import report_key
from briskk_pipeline.storage.io_manager import load_output, output_prefix
from briskk_pipeline_tests.api.server import running_server
from briskk_pipeline_tests.fixtures.cli import briskk
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.readiness.photos import GREY, WHITE, photo
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path)


def two_products(http_server) -> list[dict]:
    """P000000: five Myntra-ready photos; P000001: one small white square."""
    rows = template_rows(8)
    ready = [
        http_server.serve_bytes(
            f"/ready{s}.jpg", photo((1080, 1440), GREY, seed=s, quality=95, noise=80), "image/jpeg"
        )
        for s in range(1, 6)
    ]
    small = http_server.serve_bytes("/small.jpg", photo((600, 600), WHITE, seed=9), "image/jpeg")
    for i, row in enumerate(rows):
        urls = ready if i < 4 else [small]
        row.update({"main_image": None, **{f"image_{k}": None for k in range(1, 9)}})
        row["main_image"] = urls[0]
        for k, url in enumerate(urls[1:], start=1):
            row[f"image_{k}"] = url
    return rows


def by_product_channel(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["product_id"], r["channel"]): r for r in rows}


def test_verdicts_are_stored_with_the_upload_and_read_back_in_the_readiness_sheet(
    harness, http_server, tmp_path
):
    save_settings(harness.engine, "BrandA", channels=["myntra", "amazon_in"])
    upload_id = harness.register(write_xlsx(tmp_path / "r.xlsx", two_products(http_server)))
    result = harness.run(upload_id)
    record = harness.table("uploads")[0]
    assert (record["status"], record["products_loaded"]) == ("succeeded", 2)

    verdicts = by_product_channel(upload_verdicts(harness.engine, upload_id))
    assert sorted(verdicts) == [
        ("P000000", "amazon_in"),
        ("P000000", "myntra"),
        ("P000001", "amazon_in"),
        ("P000001", "myntra"),
    ]
    assert verdicts[("P000000", "myntra")]["ready"] is True
    small = verdicts[("P000001", "myntra")]
    assert small["ready"] is False and small["row"] == 6
    assert [(f["rule"], f["column"]) for f in small["failures"]] == [
        ("myntra_image_aspect", "main_image"),
        ("myntra_image_min_size", "main_image"),
        ("myntra_image_bytes", "main_image"),
        ("myntra_image_count", None),
        ("myntra_apparel_background", "main_image"),
    ]
    assert all(f["source"] for f in small["failures"])
    # grey 3:4 photos are not what Amazon wants as a main image; the white square is
    assert [f["rule"] for f in verdicts[("P000000", "amazon_in")]["failures"]] == [
        "amazon_main_white_background",
        "amazon_main_square",
    ]
    assert [f["rule"] for f in verdicts[("P000001", "amazon_in")]["failures"]] == [
        "amazon_image_long_side"
    ]

    # the asset check: not every product is ready (a warning: nothing was blocked)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["products_ready"].passed is False
    assert checks["products_ready"].severity.value == "WARN"

    # the Readiness sheet: product × channel, "ready" or the failing rules in words
    book = openpyxl.load_workbook(io.BytesIO(harness.store.get(report_key(upload_id))))
    assert "Readiness" in book.sheetnames
    sheet = book["Readiness"]
    assert sheet["A1"].value == (
        "Marketplace readiness: Amazon.in 0 of 2 products ready, Myntra 1 of 2 products ready"
    )
    assert [c.value for c in sheet[3]] == ["product_id", "row", "Amazon.in", "Myntra"]
    assert [sheet["A4"].value, sheet["B4"].value, sheet["D4"].value] == ["P000000", 2, "ready"]
    assert sheet["A5"].value == "P000001" and sheet["B5"].value == 6
    assert sheet["D5"].value.split("\n") == [
        "main_image is 600 × 600 (1:1); Myntra wants 3:4 portrait images",
        "main_image is 600 × 600 pixels; Myntra wants at least 1080 × 1440 pixels",
        f"main_image is {sheet['D5'].value.split(chr(10))[2].split(' is ')[1].split(';')[0]}; "
        "Myntra wants 500 KB to 1 MB per image",
        "1 image stored; Myntra wants 5 to 7 images",
        "main_image has a white background (100% of its border is near-white); Myntra wants no "
        "white background for apparel (light grey)",
    ]
    assert sheet["C5"].value == (
        "main_image is 600 × 600 pixels; Amazon.in wants at least 1000 pixels on the long side "
        "of the main image"
    )

    # the catalog's listing: what is not ready, for the tenant's channels
    listing = not_ready_listing(harness.engine, tenant="branda")
    assert [(r["product_id"], r["channel"]) for r in listing] == [
        ("P000000", "amazon_in"),
        ("P000001", "amazon_in"),
        ("P000001", "myntra"),
    ]
    assert not_ready_listing(harness.engine, tenant="BrandA", channel="myntra")[0]["failures"]


def test_a_blocking_channel_keeps_not_ready_products_out(harness, http_server, tmp_path):
    save_settings(harness.engine, "BrandA", channels=["myntra"], blocking=["myntra"])
    record = harness.ingest(write_xlsx(tmp_path / "b.xlsx", two_products(http_server)))
    assert (record["status"], record["products_loaded"], record["products_rejected"]) == (
        "succeeded",
        1,
        1,
    )
    assert [p["product_id"] for p in harness.products()] == ["P000000"]
    messages = [(e["row"], e["column"], e["message"]) for e in record["errors"]]
    assert messages[0] == (
        6,
        "main_image",
        "not ready for Myntra, which your account makes blocking: main_image is 600 × 600 "
        "(1:1); Myntra wants 3:4 portrait images",
    )
    assert len(messages) == 5  # one per failing rule


def test_the_stored_output_keeps_what_the_load_needs_and_the_catalog_keeps_every_verdict(
    harness, http_server, tmp_path
):
    save_settings(harness.engine, "BrandA", channels=["myntra", "amazon_in"], blocking=["myntra"])
    record = harness.ingest(write_xlsx(tmp_path / "b.xlsx", two_products(http_server)))
    upload_id = record["upload_id"]
    assert len(upload_verdicts(harness.engine, upload_id)) == 4  # 2 products x 2 channels
    stored = load_output(harness.store, output_prefix(["readiness", upload_id]), "readiness")
    assert (stored.channels, stored.blocking, stored.blocked) == (
        ["myntra", "amazon_in"],
        ["myntra"],
        ["P000001"],
    )
    # only the blocking channel's verdict that is not ready: what apply_blocking reads
    assert [(v.product_id, v.channel, v.ready) for v in stored.verdicts] == [
        ("P000001", "myntra", False)
    ]
    assert record["products_rejected"] == 1


def test_strict_barcodes_reject_and_bad_hsn_rejects_with_a_clear_message(harness, tmp_path):
    save_settings(harness.engine, "BrandA", strict_barcodes=True)
    rows = template_rows(12)
    rows[0]["barcode"] = "8901234567891"  # P000000: a wrong check digit
    for row in rows[4:8]:
        row["hsn_code"] = 61091099  # P000001: not a tariff item
    record = harness.ingest(write_xlsx(tmp_path / "s.xlsx", rows))
    assert (record["products_loaded"], record["products_rejected"]) == (1, 2)
    errors = {(e["row"], e["column"]): e["message"] for e in record["errors"]}
    assert errors[(2, "barcode")].startswith("is not a valid GTIN-13: its check digit is 1")
    assert errors[(6, "hsn_code")] == (
        "is not a tariff item of the Customs Tariff (GST HSN list); under 610910 the tariff "
        "items are 61091000"
    )


def test_images_stored_before_the_migration_are_measured_once_when_reused(
    harness, http_server, tmp_path
):
    path = write_xlsx(tmp_path / "m.xlsx", two_products(http_server))
    harness.ingest(path)
    with harness.engine.begin() as connection:  # as images stored before 0012_readiness
        connection.execute(sa.update(images_table).values(border_white=None, phash=None))
    second = harness.ingest(path)
    assert second["images"]["reused"] == 6
    rows = harness.table("images")
    assert all(r["phash"] and r["border_white"] is not None for r in rows)
    whites = sorted(r["border_white"] for r in rows)
    assert whites[:5] == [0.0] * 5 and whites[5] > 0.99  # the grey photos, the white one


def test_briskk_readiness_and_get_readiness_list_what_is_not_ready(
    harness, http_server, tmp_path, env, database_url
):
    save_settings(harness.engine, "BrandA", channels=["myntra"])
    record = harness.ingest(write_xlsx(tmp_path / "c.xlsx", two_products(http_server)))
    done = briskk(env, "readiness", "--tenant", "branda", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [(r["tenant"], r["product_id"], r["channel"]) for r in listed] == [
        ("BrandA", "P000001", "myntra")
    ]
    human = briskk(env, "readiness", "--tenant", "BrandA")
    assert "BrandA  P000001  myntra: 5 failing" in human.stdout
    assert "    - main_image is 600 × 600 (1:1); Myntra wants 3:4 portrait images" in human.stdout
    unknown = briskk(env, "readiness", "--channel", "etsy")
    assert unknown.returncode == 2 and "unknown channel etsy" in unknown.stderr
    changed = briskk(env, "readiness", "--tenant", "BrandA", "--set-channels", "ajio,nykaa")
    assert changed.stdout.strip() == (
        "BrandA: channels ajio, nykaa; blocking none; strict barcodes no"
    )

    with running_server(database_url, Path(tmp_path / "api")) as api:
        save_settings(harness.engine, "BrandA", channels=["myntra"])
        with api.client(api.token("BrandA")) as client:
            answer = client.get("/readiness")
            assert answer.status_code == 200
            assert [(r["product_id"], r["channel"]) for r in answer.json()] == [
                ("P000001", "myntra")
            ]
            assert client.get("/readiness", params={"tenant": "BrandB"}).status_code == 403
            assert client.get("/readiness", params={"channel": "etsy"}).status_code == 400
            # one upload's verdicts, as `briskk ingest --json` has them (the brand page's table)
            one = client.get(f"/uploads/{record['upload_id']}/readiness")
            assert one.status_code == 200
            body = one.json()
            assert (body["channels"], body["ready"], body["not_ready"]) == (
                ["myntra"],
                {"myntra": 1},
                {"myntra": 1},
            )
            verdicts = [(p["product_id"], p["channels"]["myntra"]) for p in body["products"]]
            assert [(product, verdict == "ready") for product, verdict in verdicts] == [
                ("P000000", True),
                ("P000001", False),
            ]
        with api.client(api.token("BrandB")) as other:  # another brand: as an unknown id
            hidden = other.get(f"/uploads/{record['upload_id']}/readiness")
            unknown = other.get("/uploads/nosuch/readiness")
            assert (hidden.status_code, unknown.status_code) == (404, 404)
            assert hidden.json()["detail"].replace(record["upload_id"], "X") == unknown.json()[
                "detail"
            ].replace("nosuch", "X")


def test_verdicts_are_copied_and_read_back_exactly(harness, tmp_path):
    """save_verdicts COPYs its rows: quotes, commas, newlines, rupees and an empty message
    come back as written, a row-less verdict keeps row NULL, and saving again replaces."""
    from datetime import UTC, datetime

    from briskk_pipeline.readiness.store import save_verdicts

    upload_id = harness.register(write_xlsx(tmp_path / "v.xlsx", template_rows(4)))
    failure = {
        "rule": "r1",
        "message": 'says "no", then, a newline\nand ₹2,999.00',
        "column": "image_2",
        "row": 2,
        "source": "",
    }
    verdicts = [
        {"product_id": "P1", "channel": "myntra", "row": 2, "ready": False, "failures": [failure]},
        {"product_id": "P,2", "channel": "ajio", "row": None, "ready": True, "failures": []},
    ]
    checked = datetime(2026, 12, 5, 22, 40, 1, 123456, tzinfo=UTC)
    save_verdicts(harness.engine, upload_id, "BrandA", verdicts, checked)
    save_verdicts(harness.engine, upload_id, "BrandA", verdicts, checked)  # replaces
    back = upload_verdicts(harness.engine, upload_id)
    assert [
        (v["product_id"], v["channel"], v["row"], v["ready"], v["failures"], v["checked_at"])
        for v in back
    ] == [
        ("P1", "myntra", 2, False, [failure], checked.isoformat()),
        ("P,2", "ajio", None, True, [], checked.isoformat()),
    ]


def test_the_upload_summary_counts_every_product_and_lists_the_first_by_row(harness, tmp_path):
    """`readiness` of `briskk ingest --json`: counts over all products, `products` cut at
    `listed` (10,000 by default: a 25,000-product file made a 131 MB summary)."""
    from datetime import UTC, datetime

    from briskk_pipeline.readiness.store import save_verdicts, upload_readiness_summary

    upload_id = harness.register(write_xlsx(tmp_path / "s.xlsx", template_rows(4)))
    bad = [{"rule": "r", "message": "m", "column": None, "row": None, "source": ""}]
    verdicts = [
        {
            "product_id": p,
            "channel": c,
            "row": row,
            "ready": ready,
            "failures": [] if ready else bad,
        }
        for p, row in (("P3", 10), ("P1", 2), ("P2", 6))
        for c, ready in (("ajio", p != "P2"), ("myntra", False))
    ]
    save_verdicts(harness.engine, upload_id, "BrandA", verdicts, datetime.now(UTC))
    summary = upload_readiness_summary(harness.engine, upload_id, listed=2)
    assert summary["channels"] == ["ajio", "myntra"]
    assert summary["ready"] == {"ajio": 2, "myntra": 0}
    assert summary["not_ready"] == {"ajio": 1, "myntra": 3}
    assert [p["product_id"] for p in summary["products"]] == ["P1", "P2"]
    assert summary["products"][1]["channels"] == {"ajio": bad, "myntra": bad}
    assert summary["products_total"] == 3
    assert len(upload_readiness_summary(harness.engine, upload_id)["products"]) == 3


@pytest.mark.parametrize("batch", [1, 2, 3, 7])
def test_verdicts_saved_and_streamed_in_batches_are_the_same_rows(harness, tmp_path, batch):
    """save_verdicts COPYs `batch` verdicts at a time and iter_upload_verdicts fetches `batch`
    rows at a time: whatever the batch (a boundary inside the list, on its end, past it), the
    stored rows, their order and their values are those of one COPY and one read."""
    from datetime import UTC, datetime

    from briskk_pipeline.readiness.store import (
        any_not_ready,
        iter_upload_verdicts,
        save_verdicts,
    )

    upload_id = harness.register(write_xlsx(tmp_path / "b.xlsx", template_rows(4)))
    bad = [{"rule": "r", "message": 'm, "q"\n', "column": "image_1", "row": 4, "source": "s"}]
    verdicts = [
        {"product_id": p, "channel": c, "row": row, "ready": ok, "failures": [] if ok else bad}
        for p, row in (("P3", 10), ("P1", 2), ("P2", None))
        for c, ok in (("ajio", p != "P2"), ("myntra", True))
    ]
    checked = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    save_verdicts(harness.engine, upload_id, "BrandA", verdicts, checked, batch=len(verdicts))
    whole = upload_verdicts(harness.engine, upload_id)
    assert [(v["product_id"], v["channel"]) for v in whole] == [
        ("P1", "ajio"),
        ("P1", "myntra"),
        ("P3", "ajio"),
        ("P3", "myntra"),
        ("P2", "ajio"),
        ("P2", "myntra"),
    ]
    save_verdicts(harness.engine, upload_id, "BrandA", verdicts, checked, batch=batch)
    assert upload_verdicts(harness.engine, upload_id) == whole
    assert list(iter_upload_verdicts(harness.engine, upload_id, batch=batch)) == whole
    assert any_not_ready(harness.engine, upload_id) is True
    save_verdicts(
        harness.engine, upload_id, "BrandA", [v for v in verdicts if v["ready"]], checked, batch=2
    )
    assert len(upload_verdicts(harness.engine, upload_id)) == 5
    assert any_not_ready(harness.engine, upload_id) is False
