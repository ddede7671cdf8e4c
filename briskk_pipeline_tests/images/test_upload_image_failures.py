"""Image cells through the real `ingest_job` (PostgreSQL, object store, HTTP on 127.0.0.1): an
unusable URL never rejects its product, every image not stored is named by row and column with
its reason, and a URL with a space is fetched and stored."""

from __future__ import annotations

import pandas as pd
from dagster import AssetKey

from briskk_pipeline.images.failures import ImageFailure, image_failures
from briskk_pipeline.images.model import ImageOutcome, ImageStatus
from briskk_pipeline.images.urls import ONE_ADDRESS_PER_CELL
from briskk_pipeline_tests.fixtures.http import make_image
from briskk_pipeline_tests.harness import make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

TWO = "https://x.test/a.jpg, https://x.test/b.jpg"
FTP = "ftp://images.example.com/a.jpg"
FTP_REASON = "must be a web address starting with http:// or https://, not ftp:"


def test_image_failures_name_row_and_column_in_sheet_order() -> None:
    slots = pd.DataFrame(
        {
            "product_id": ["P2", "P1", "P1", "P1", "P3"],
            "position": [0, 3, 0, 1, 0],
            "source_url": ["u/off", "u/404", "u/ok", "u/two", "u/gone"],
        }
    )
    outcomes = {
        "u/off": ImageOutcome(ImageStatus.NOT_FETCHED, reason="not fetched: off", attempted=False),
        "u/404": ImageOutcome(ImageStatus.FAILED, reason="HTTP 404 Not Found"),
        "u/ok": ImageOutcome(ImageStatus.REUSED),
        "u/two": ImageOutcome(ImageStatus.BLOCKED, reason=ONE_ADDRESS_PER_CELL, attempted=False),
        "u/gone": ImageOutcome(ImageStatus.FAILED, reason="HTTP 410 Gone"),
    }
    failures, total = image_failures(slots, outcomes, {"P1": 2, "P2": 6})
    assert total == len(failures)
    assert failures == [
        ImageFailure(2, "image_1", "u/two", "blocked", ONE_ADDRESS_PER_CELL),
        ImageFailure(2, "image_3", "u/404", "failed", "HTTP 404 Not Found"),
        ImageFailure(6, "main_image", "u/off", "not_fetched", "not fetched: off"),
        ImageFailure(None, "main_image", "u/gone", "failed", "HTTP 410 Gone"),  # row unknown
    ]
    assert failures[0].to_dict() == {
        "row": 2,
        "column": "image_1",
        "url": "u/two",
        "status": "blocked",
        "reason": ONE_ADDRESS_PER_CELL,
    }


def test_unusable_urls_load_their_product_and_every_image_not_stored_says_why(
    database_url, local_store, tmp_path, http_server, forbidden_server
):
    harness = make_harness(database_url, local_store, tmp_path)
    data = make_image("PNG", (21, 13), (5, 6, 7))
    http_server.serve_bytes("/front%20view.png", data, "image/png")
    spaced = http_server.url("/front view.png")  # as the brand typed it
    missing = http_server.serve_status("/missing.png", 404)
    private = forbidden_server.url("/private.png")
    rows = template_rows(8)  # P000000 on rows 2-5, P000001 on rows 6-9
    for row in rows[:4]:
        row.update(main_image=spaced, image_1=missing, image_2=TWO)
    for row in rows[4:]:
        row.update(main_image=FTP, image_1=private, image_2=None)

    record = harness.ingest(write_xlsx(tmp_path / "images.xlsx", rows))

    assert record["status"] == "succeeded" and record["errors"] == []
    assert (record["products_loaded"], record["skus_loaded"], record["products_rejected"]) == (
        2,
        8,
        0,
    )
    assert record["warnings"] == [
        f"row 2, column image_2: {ONE_ADDRESS_PER_CELL} (value {TWO!r})",
        f"row 6, column main_image: {FTP_REASON} (value {FTP!r})",
    ]
    assert record["images"] == {
        "stored": 1,
        "reused": 0,
        "failed": 1,
        "blocked": 3,
        "not_fetched": 0,
    }
    blocked_private = record["image_failures"][3]["reason"]
    assert blocked_private.startswith("blocked: 127.0.0.2 (loopback address)")
    assert record["image_failures"] == [
        {
            "row": 2,
            "column": "image_1",
            "url": missing,
            "status": "failed",
            "reason": "HTTP 404 Not Found",
        },
        {
            "row": 2,
            "column": "image_2",
            "url": TWO,
            "status": "blocked",
            "reason": ONE_ADDRESS_PER_CELL,
        },
        {"row": 6, "column": "main_image", "url": FTP, "status": "blocked", "reason": FTP_REASON},
        {
            "row": 6,
            "column": "image_1",
            "url": private,
            "status": "blocked",
            "reason": blocked_private,
        },
    ]
    assert forbidden_server.hits() == 0

    first, second = harness.products()
    assert first["main_image"] == spaced and second["main_image"] == FTP  # kept as written
    assert [(i["position"], i["status"], i["reason"]) for i in first["images"]] == [
        (0, "stored", None),
        (1, "failed", "HTTP 404 Not Found"),
        (2, "blocked", ONE_ADDRESS_PER_CELL),
    ]
    assert first["images"][0]["source_url"] == spaced
    assert (first["images"][0]["width"], first["images"][0]["height"]) == (21, 13)
    assert [(i["position"], i["status"], i["reason"]) for i in second["images"]] == [
        (0, "blocked", FTP_REASON),
        (1, "blocked", blocked_private),
    ]
    slots = {(s["product_id"], s["position"]): s for s in harness.table("product_images")}
    assert slots[("P000001", 0)]["attempts"] == 0  # nothing was tried for an unusable cell
    assert slots[("P000000", 0)]["attempts"] == 1

    # the UI: product_images' metadata lists the same failures by row and column
    found = harness.instance.fetch_materializations(AssetKey("product_images"), limit=1)
    materialization = found.records[0].asset_materialization
    assert materialization is not None
    metadata = materialization.metadata
    assert (metadata["images_blocked"].value, metadata["images_not_fetched"].value) == (3, 0)
    table = metadata["failures"].value.splitlines()
    assert [c.strip() for c in table[0].strip("|").split("|")] == [
        "row",
        "column",
        "url",
        "status",
        "reason",
    ]
    assert len(table) == 2 + 4 and ONE_ADDRESS_PER_CELL in table[3]


def test_a_bulk_list_of_image_failures_stops_at_the_limit_with_a_warning():
    import pandas as pd

    from briskk_pipeline.images.failures import omitted_warning
    from briskk_pipeline.images.model import ImageOutcome, ImageStatus

    slots = pd.DataFrame(
        {
            "product_id": [f"P{i}" for i in range(5)],
            "position": [0] * 5,
            "source_url": [f"http://x/{i}.jpg" for i in range(5)],
        }
    )
    outcomes = {
        url: ImageOutcome(status=ImageStatus.NOT_FETCHED, reason="off")
        for url in slots["source_url"]
    }
    rows = {f"P{i}": 2 + i for i in range(5)}
    listed, total = image_failures(slots, outcomes, rows, limit=3)
    assert [(f.row, f.url) for f in listed] == [
        (2, "http://x/0.jpg"),
        (3, "http://x/1.jpg"),
        (4, "http://x/2.jpg"),
    ]
    assert total == 5
    assert omitted_warning(len(listed), total) == (
        "5 images were not stored; image_failures lists the first 3 (by row): "
        "`briskk products --json` gives every image's reason"
    )
    assert omitted_warning(5, 5) is None
