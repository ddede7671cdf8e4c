"""Retrying failed images against the real catalog (embedded PostgreSQL), real servers on
loopback and both object stores: failed slots are fetched again, blocked ones never, and a slot
gives up after `max_attempts`. Uploads go through the real `load_upload`, with the frames that
`build_frames` makes, so the hand-over between the image step and the load is tested too."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.images import (
    FailedSlot,
    failed_image_slots,
    record_retry_results,
    stored_images_for_urls,
)
from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.images.frames import build_frames, count_outcomes, image_slots
from briskk_pipeline.images.model import ImageOutcome, ImageStatus
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.images.retry import retry_failed_images
from briskk_pipeline.resources import IngestSettings, ObjectStore
from briskk_pipeline_tests.catalog.builders import (
    product,
    products_frame,
    register,
    rows,
    sku,
    skus_frame,
)
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer, make_image
from briskk_pipeline_tests.fixtures.s3 import list_objects, read_object
from briskk_pipeline_tests.images.conftest import QUICK

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def upload(
    engine: sa.Engine,
    store: ObjectStore,
    settings: IngestSettings,
    images_by_product: dict[str, dict[str, str]],
    *,
    upload_id: str = "u1",
    tenant: str = "BrandA",
    now: datetime = T0,
) -> dict[str, ImageOutcome]:
    """Run the image step and the load for products whose image cells are given."""
    products = products_frame(
        [product(pid, **{"main_image": None, **cells}) for pid, cells in images_by_product.items()]
    )
    skus = skus_frame([sku(f"S-{pid}", pid) for pid in images_by_product])
    slots = image_slots(products)
    urls = list(dict.fromkeys(slots["source_url"]))
    known = stored_images_for_urls(engine, urls)
    outcomes = process_images(urls, store=store, settings=settings, known=known, policy=QUICK)
    images, product_images = build_frames(slots, outcomes, now)
    register(engine, upload_id, tenant)
    load_upload(
        engine,
        upload_id=upload_id,
        tenant=tenant,
        products=products,
        skus=skus,
        outcome=UploadOutcome(status="succeeded", images=count_outcomes(outcomes)),
        images=images,
        product_images=product_images,
    )
    return outcomes


def slot(engine: sa.Engine, product_id: str, position: int = 0) -> dict[str, Any]:
    (row,) = rows(engine, tables.product_images, product_id=product_id, position=position)
    return row


def test_a_failed_image_is_stored_by_the_retry(
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    data = make_image("JPEG", size=(64, 48))
    url = http_server.flaky("/late.jpg", failures=1, body=data, fail_status=404)
    first = upload(engine, object_store, image_settings, {"P1": {"main_image": url}})
    assert first[url].status is ImageStatus.FAILED
    assert slot(engine, "P1")["status"] == "failed"
    assert slot(engine, "P1")["reason"] == "HTTP 404 Not Found"

    later = T0 + timedelta(hours=1)
    counts = retry_failed_images(engine, object_store, image_settings, 5, later, policy=QUICK)

    assert counts == {
        "slots": 1,
        "stored": 1,
        "reused": 0,
        "failed": 0,
        "blocked": 0,
        "not_fetched": 0,
        "gave_up": 0,
    }
    sha = hashlib.sha256(data).hexdigest()
    after = slot(engine, "P1")
    assert after["status"] == "stored" and after["reason"] is None
    assert after["sha256"] == sha
    assert after["attempts"] == 2 and after["last_attempt_at"] == later
    assert after["gave_up"] is False
    (image_row,) = rows(engine, tables.images, sha256=sha)
    assert image_row["uri"] == object_store.uri(f"images/{sha}.jpg")
    assert (image_row["width"], image_row["height"], image_row["format"]) == (64, 48, "JPEG")
    assert hashlib.sha256(read_object(object_store, f"images/{sha}.jpg")).hexdigest() == sha
    assert failed_image_slots(engine, 5) == []


def test_a_blocked_image_is_never_retried(
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
    forbidden_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    forbidden_server.serve_image("/secret.png")
    blocked = forbidden_server.url("/secret.png")
    redirected = http_server.redirect("/moved.png", blocked)
    upload(
        engine, local_store, image_settings, {"P1": {"main_image": blocked, "image_1": redirected}}
    )
    before = [slot(engine, "P1", 0), slot(engine, "P1", 1)]
    assert [s["status"] for s in before] == ["blocked", "blocked"]

    counts = retry_failed_images(engine, local_store, image_settings, 5, T0 + timedelta(hours=1))

    assert counts["slots"] == 0
    assert [slot(engine, "P1", 0), slot(engine, "P1", 1)] == before
    assert forbidden_server.requests == []
    assert http_server.hits("/moved.png") == 1  # only the upload's own attempt


def test_a_slot_gives_up_after_max_attempts(
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    url = http_server.url("/gone.png")  # always 404
    upload(engine, local_store, image_settings, {"P1": {"main_image": url}})
    assert slot(engine, "P1")["attempts"] == 1

    second = retry_failed_images(engine, local_store, image_settings, 3, T0 + timedelta(hours=1))
    assert (second["failed"], second["gave_up"]) == (1, 0)
    assert (slot(engine, "P1")["attempts"], slot(engine, "P1")["gave_up"]) == (2, False)

    third = retry_failed_images(engine, local_store, image_settings, 3, T0 + timedelta(hours=2))
    assert (third["failed"], third["gave_up"]) == (1, 1)
    assert (slot(engine, "P1")["attempts"], slot(engine, "P1")["gave_up"]) == (3, True)
    assert slot(engine, "P1")["status"] == "failed"

    fourth = retry_failed_images(engine, local_store, image_settings, 3, T0 + timedelta(hours=3))
    assert fourth["slots"] == 0
    assert http_server.hits("/gone.png") == 3


def test_a_url_stored_for_one_tenant_is_reused_for_another(
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    url, _ = http_server.serve_image("/shared.png")
    first = upload(engine, object_store, image_settings, {"P1": {"main_image": url}})
    assert first[url].status is ImageStatus.STORED
    known = stored_images_for_urls(engine, [url, "https://img.example/never-seen.png"])
    assert known == {url: first[url].image}

    second = upload(
        engine,
        object_store,
        image_settings,
        {"Q1": {"main_image": url}},
        upload_id="u2",
        tenant="BrandB",
    )

    assert second[url].status is ImageStatus.REUSED
    assert http_server.hits() == 1
    assert list_objects(object_store) == [first[url].object_key]
    (row,) = rows(engine, tables.product_images, tenant="BrandB")
    assert (row["status"], row["sha256"]) == ("stored", first[url].sha256)


def test_a_retry_result_does_not_overwrite_a_slot_an_upload_changed(
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    old = http_server.url("/old.png")
    upload(engine, local_store, image_settings, {"P1": {"main_image": old}})
    (stale,) = failed_image_slots(engine, 5)
    assert stale == FailedSlot("BrandA", "P1", 0, old, 1)
    new = http_server.url("/new.png")
    upload(engine, local_store, image_settings, {"P1": {"main_image": new}}, upload_id="u2")

    result = record_retry_results(
        engine, [(stale, ImageOutcome(ImageStatus.FAILED, "HTTP 404 Not Found"))], T0, 5
    )

    assert result == {"updated": 0, "gave_up": 0}
    assert slot(engine, "P1")["source_url"] == new
    assert slot(engine, "P1")["attempts"] == 1


@pytest.mark.parametrize("max_attempts", [1, 2])
def test_failed_slots_at_the_cap_are_not_listed(
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
    max_attempts: int,
) -> None:
    upload(engine, local_store, image_settings, {"P1": {"main_image": http_server.url("/x.png")}})
    listed = failed_image_slots(engine, max_attempts)
    assert len(listed) == (0 if max_attempts == 1 else 1)
