"""The upload record: registration, life cycle, and the `briskk uploads --json` shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.uploads import UploadError, UploadOutcome
from briskk_pipeline_tests.catalog.builders import (
    RECEIVED_AT,
    product,
    products_frame,
    register,
    sku,
    skus_frame,
)

SPEC_KEYS = {
    "upload_id",
    "tenant",
    "file_name",
    "sha256",
    "received_at",
    "status",
    "products_loaded",
    "skus_loaded",
    "products_rejected",
    "rows_rejected",
    "errors",
    "archive_uri",
    "run_id",
}


def test_registered_upload_reads_back_in_the_spec_shape(engine: sa.Engine) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    uploads.register_upload(
        engine,
        upload_id="20250301-branda-1",
        tenant="BrandA",
        explicit_tenant=None,
        file_name="BrandA_Briskk_SKU_Template.xlsx",
        sha256="f" * 64,
        size_bytes=48213,
        received_at=datetime(2025, 3, 1, 15, 30, tzinfo=ist),
        source="inbox",
        archive_uri="s3://bucket/archive/BrandA/20250301-branda-1/BrandA.xlsx",
        archive_key="archive/BrandA/20250301-branda-1/BrandA.xlsx",
    )
    record = uploads.get_upload(engine, "20250301-branda-1")
    assert record is not None
    assert set(record) >= SPEC_KEYS
    assert record == {
        "upload_id": "20250301-branda-1",
        "tenant": "BrandA",
        "file_name": "BrandA_Briskk_SKU_Template.xlsx",
        "sha256": "f" * 64,
        "received_at": "2025-03-01T10:00:00+00:00",  # normalized to UTC
        "status": "running",
        "products_loaded": 0,
        "skus_loaded": 0,
        "products_rejected": 0,
        "rows_rejected": 0,
        "errors": [],
        "archive_uri": "s3://bucket/archive/BrandA/20250301-branda-1/BrandA.xlsx",
        "run_id": None,
        "warnings": [],
        "images": {"stored": 0, "reused": 0, "failed": 0, "blocked": 0, "not_fetched": 0},
        "image_failures": [],
        "failure_reason": None,
        "report_error": None,  # issue 20: no step after the load failed
        "finished_at": None,
        "seconds": None,
        "source": "inbox",
        "explicit_tenant": None,
        "size_bytes": 48213,
        "archive_key": "archive/BrandA/20250301-branda-1/BrandA.xlsx",
        "report_uri": None,
        "dry_run": False,
        "changes": None,
        "pruned_at": None,  # not pruned by retention
        "rolled_back_at": None,
        "rolled_back_by": None,
        "mode": "merge",  # issue 19: nothing changes by omission
        "change_summary": None,  # what the load changed: none yet
        "review_reasons": [],
        "review_decision": None,
        "reviewed_at": None,
        "reviewed_by": None,
        "profile_version": None,  # issue 22: no run has read it yet
    }
    assert json.loads(json.dumps(record)) == record  # JSON-ready as is
    assert uploads.upload_id_exists(engine, "20250301-branda-1") is True
    assert uploads.upload_id_exists(engine, "other") is False
    assert uploads.get_upload(engine, "other") is None


def test_register_refuses_naive_times_and_duplicate_ids(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        register(engine, "u1", received_at=datetime(2025, 3, 1, 10, 0))
    register(engine, "u1")
    with pytest.raises(sa.exc.IntegrityError):
        register(engine, "u1")


def test_life_cycle_run_id_started_failed(engine: sa.Engine) -> None:
    register(engine, "u1")
    uploads.set_run_id(engine, "u1", "run-1")
    assert uploads.get_upload(engine, "u1")["run_id"] == "run-1"  # type: ignore[index]

    uploads.mark_upload_failed(engine, "u1", "object store unreachable")
    failed = uploads.get_upload(engine, "u1")
    assert failed is not None
    assert (failed["status"], failed["failure_reason"]) == ("failed", "object store unreachable")
    finished = datetime.fromisoformat(failed["finished_at"])
    assert finished.tzinfo is not None
    assert abs(datetime.now(UTC) - finished) < timedelta(minutes=5)

    uploads.mark_upload_started(engine, "u1", "run-2")
    again = uploads.get_upload(engine, "u1")
    assert again is not None
    assert (again["status"], again["run_id"], again["failure_reason"], again["finished_at"]) == (
        "running",
        "run-2",
        None,
        None,
    )
    for update in (
        lambda: uploads.set_run_id(engine, "missing", "r"),
        lambda: uploads.mark_upload_started(engine, "missing", "r"),
        lambda: uploads.mark_upload_failed(engine, "missing", "why"),
    ):
        with pytest.raises(LookupError, match="missing"):
            update()


def test_list_uploads_newest_first_per_tenant_and_find_by_sha256(engine: sa.Engine) -> None:
    register(engine, "a-old", "BrandA", sha256="1" * 64, received_at=RECEIVED_AT)
    register(
        engine, "b-mid", "BrandB", sha256="1" * 64, received_at=RECEIVED_AT + timedelta(hours=1)
    )
    register(
        engine, "a-new", "BrandA", sha256="2" * 64, received_at=RECEIVED_AT + timedelta(hours=2)
    )
    register(
        engine, "a-new2", "BrandA", sha256="1" * 64, received_at=RECEIVED_AT + timedelta(hours=2)
    )  # same time: upload_id desc

    assert [u["upload_id"] for u in uploads.list_uploads(engine, None)] == [
        "a-new2",
        "a-new",
        "b-mid",
        "a-old",
    ]
    assert [u["upload_id"] for u in uploads.list_uploads(engine, "BrandA")] == [
        "a-new2",
        "a-new",
        "a-old",
    ]
    assert uploads.list_uploads(engine, "Nobody") == []
    same = uploads.find_upload_by_sha256(engine, "BrandA", "1" * 64)
    assert [u["upload_id"] for u in same] == ["a-new2", "a-old"]
    assert uploads.find_upload_by_sha256(engine, "BrandB", "2" * 64) == []


def test_finished_upload_in_list_uploads_has_typed_counts_and_ordered_errors(
    engine: sa.Engine,
) -> None:
    register(engine, "u1")
    uploads.set_run_id(engine, "u1", "d1e2f3")
    errors = [
        UploadError(row=r, column="stock", value=str(-r), message="stock must be >= 0")
        for r in (12, 3, 40)
    ]
    load_upload(
        engine,
        upload_id="u1",
        tenant="BrandA",
        products=products_frame([product("P1")]),
        skus=skus_frame([sku("S1", "P1"), sku("S2", "P1")]),
        outcome=UploadOutcome(
            status="succeeded",
            products_rejected=3,
            rows_rejected=3,
            errors=errors,
            warnings=["w1", "w2"],
            images={"stored": 1, "failed": 1},
            seconds=2.5,
        ),
    )
    (record,) = uploads.list_uploads(engine, "BrandA")
    assert record["status"] == "succeeded"
    for key in ("products_loaded", "skus_loaded", "products_rejected", "rows_rejected"):
        assert type(record[key]) is int, key
    assert (record["products_loaded"], record["skus_loaded"]) == (1, 2)
    assert record["errors"] == [e.to_dict() for e in errors]  # in the order given (seq)
    assert record["warnings"] == ["w1", "w2"]
    assert record["images"] == {
        "stored": 1,
        "reused": 0,
        "failed": 1,
        "blocked": 0,
        "not_fetched": 0,
    }
    assert (record["run_id"], record["seconds"]) == ("d1e2f3", 2.5)
    assert datetime.fromisoformat(record["received_at"]) == RECEIVED_AT
    assert isinstance(record["finished_at"], str)


def test_outcome_rejects_what_the_record_cannot_hold() -> None:
    with pytest.raises(ValueError, match="'failed'"):
        UploadOutcome(status="failed")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown image counts"):
        UploadOutcome(status="succeeded", images={"stored": 1, "lost": 2})
    with pytest.raises(ValueError, match="timezone-aware"):
        UploadOutcome(status="succeeded", finished_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="needs a message"):
        UploadError.of({"row": 1, "column": "x", "value": "y"})
    assert UploadError.of({"row": "4", "column": "stock", "value": 5, "message": "m"}) == (
        UploadError(row=4, column="stock", value="5", message="m")
    )
