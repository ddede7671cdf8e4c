"""An upload's image time budget through the real `ingest_job` and through `briskk ingest`
(PostgreSQL, object store, a server on 127.0.0.1 sending its headers one byte at a time): the
upload finishes at the budget, its products load, the late image is `failed` with the budget's
reason, and `retry_failed_images` stores it later."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from briskk_pipeline.images.limits import TimeBudget
from briskk_pipeline.images.retry import retry_failed_images
from briskk_pipeline.resources import ObjectStore
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer, make_image
from briskk_pipeline_tests.harness import make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

BUDGET = 2
REASON = (
    "not fetched in time: the upload's image time budget (2 s) ran out; "
    "retried later by retry_failed_images_job"
)


def two_products(tmp_path: Path, server: LoopbackHTTPServer) -> tuple[Path, str, str]:
    """P000000 (rows 2-5) has a quick image, P000001 (rows 6-9) one that trickles."""
    quick, _ = server.serve_image("/quick.png", size=(12, 10))
    slow, _ = server.trickle("/slow.png", make_image("PNG", (30, 20)), 0.1)
    rows = template_rows(8)
    for i, row in enumerate(rows):
        row.update(main_image=quick if i < 4 else slow, image_1=None, image_2=None)
    return write_xlsx(tmp_path / "BrandA.xlsx", rows), quick, slow


def test_the_budget_ends_the_images_and_the_products_still_load(
    database_url: str, local_store: ObjectStore, tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    assert TimeBudget(BUDGET, 0).reason == REASON
    harness = make_harness(database_url, local_store, tmp_path, image_budget_seconds=BUDGET)
    path, _, slow = two_products(tmp_path, http_server)

    started = time.monotonic()
    record = harness.ingest(path)
    elapsed = time.monotonic() - started

    assert record["status"] == "succeeded" and record["products_loaded"] == 2
    assert record["images"] == {
        "stored": 1,
        "reused": 0,
        "failed": 1,
        "blocked": 0,
        "not_fetched": 0,
    }
    assert record["image_failures"] == [
        {"row": 6, "column": "main_image", "url": slow, "status": "failed", "reason": REASON}
    ]
    assert elapsed < 15, f"the upload took {elapsed:.1f} s"  # the trickle alone takes 20+ s
    slots = {s["product_id"]: s for s in harness.table("product_images")}
    assert (slots["P000001"]["status"], slots["P000001"]["attempts"]) == ("failed", 1)

    # Later the server answers properly: the retry stores the image.
    data = make_image("PNG", (30, 20))
    http_server.serve_bytes("/slow.png", data, "image/png")
    counts = retry_failed_images(harness.engine, local_store, harness.settings)
    assert (counts["slots"], counts["stored"], counts["failed"]) == (1, 1, 0)
    images = {p["product_id"]: p["images"] for p in harness.products()}
    assert [(i["status"], i["reason"], i["width"]) for i in images["P000001"]] == [
        ("stored", None, 30)
    ]


@pytest.mark.e2e
def test_briskk_ingest_reports_images_out_of_time_from_the_environment(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    env = {
        **env,
        "BRISKK_FETCH_IMAGES": "1",
        "BRISKK_ALLOWED_IMAGE_HOSTS": "127.0.0.1",
        "BRISKK_IMAGE_BUDGET_SECONDS": str(BUDGET),
    }
    path, _, slow = two_products(tmp_path, http_server)

    result = briskk_json(env, "ingest", str(path))

    assert result["status"] == "succeeded" and result["products_loaded"] == 2
    assert (result["images"]["stored"], result["images"]["failed"]) == (1, 1)
    assert result["image_failures"] == [
        {"row": 6, "column": "main_image", "url": slow, "status": "failed", "reason": REASON}
    ]
    assert result["seconds"] < 15


@pytest.mark.parametrize(
    ("environment", "budget", "pixels"),
    [
        ({}, 120, 100_000_000),
        ({"BRISKK_IMAGE_BUDGET_SECONDS": "30", "BRISKK_IMAGE_PIXEL_BUDGET": "60000000"}, 30, 6e7),
        ({"BRISKK_IMAGE_BUDGET_SECONDS": "soon"}, "must be a whole number, got 'soon'", None),
        ({"BRISKK_IMAGE_PIXEL_BUDGET": "0"}, "must be greater than 0, got '0'", None),
    ],
)
def test_the_budgets_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    environment: dict[str, str],
    budget: int | str,
    pixels: float | None,
) -> None:
    """What `briskk ingest`, the inbox sensor's runs and the API all read (resources_from_env)."""
    from briskk_pipeline.resources import resources_from_env

    unset = (
        "DATABASE_URL",
        "S3_BUCKET",
        "BRISKK_IMAGE_BUDGET_SECONDS",
        "BRISKK_IMAGE_PIXEL_BUDGET",
    )
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRISKK_HOME", str(tmp_path / "home"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if isinstance(budget, str):
        with pytest.raises(ValueError, match=budget):
            resources_from_env()
        return
    settings = resources_from_env()["settings"]
    assert (settings.image_budget_seconds, settings.image_pixel_budget) == (budget, pixels)
