"""Years of uploads, fast: the records, partitions, runs and materializations of N uploads.

Nothing is ingested: `grow(world, n)` adds the uploads `world.count .. n-1` as they would be
after their runs ended, straight into the stores, in bulk:

- the catalog: one `tenants` row per brand (1,000 brands) and one `uploads` row per upload
  (90 % `succeeded`, 6 % `rejected` with two `upload_errors` each, 3 % `failed`, 1 %
  `previewed`; sources 60 % inbox, 25 % api, 15 % cli; `received_at` spread over the year
  before now, `finished_at` 5–120 s later, a run id each), inserted 5,000 rows a statement;
- Dagster (the PostgreSQL instance of `deploy/dagster.yaml`): the upload's key in the `uploads`
  dynamic partitions (`add_dynamic_partitions`, 1,000 keys a call), one `raw_sheet`
  materialization per finished upload that is not a failure (`store_event_batch`, 1,000 a
  call: Dagster's batch write, the events a run would write for that asset), and a real run
  (`add_run`) for 2 % of the uploads: `SUCCESS`, or `FAILURE` through `report_run_failed`
  (which writes the `RUN_FAILURE` event `ingest_failure_sensor` reads) for failed uploads.

Upload ids are the real shape (`<tenant>-<UTC yyyymmddTHHMMSS>-<sha256[:8]>`, register.py).
Deterministic: upload i is the same upload in every run.
"""

from __future__ import annotations

import hashlib
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dagster import AssetMaterialization, DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from briskk_pipeline.catalog.tables import tenants, upload_errors, uploads

TENANTS = 1_000
PARTITIONS = "uploads"
RUN_SHARE = 50  # one upload in 50 has a run in the instance
STATUSES = (("succeeded", 90), ("rejected", 6), ("failed", 3), ("previewed", 1))
SOURCES = (("inbox", 60), ("api", 25), ("cli", 15))
ROWS_PER_STATEMENT = 5_000
KEYS_PER_CALL = 1_000


def tenant_name(i: int) -> str:
    return f"Brand{i:04d}"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


@dataclass
class World:
    """Where the uploads go, and how many are there already."""

    engine: sa.Engine
    instance: DagsterInstance
    now: datetime
    count: int = 0
    runs: int = 0
    failed_runs: int = 0  # runs that ended FAILURE (`ingest_failure_sensor` needs two)


def upload_row(i: int, now: datetime) -> dict[str, Any]:
    """Upload number `i`: a record as its run would have left it."""
    rng = random.Random(i)
    tenant = tenant_name(rng.randrange(TENANTS))
    received = now - timedelta(seconds=rng.uniform(600, 365 * 86400))
    digest = hashlib.sha256(f"upload {i}".encode()).hexdigest()
    status = _pick(rng, STATUSES)
    upload_id = f"{tenant}-{received:%Y%m%dT%H%M%S}-{digest[:8]}"
    loaded = status in ("succeeded", "previewed")
    return {
        "upload_id": upload_id,
        "tenant": tenant,
        "explicit_tenant": tenant,
        "file_name": f"{tenant}_Briskk_SKU_Template.xlsx",
        "sha256": digest,
        "size_bytes": rng.randrange(20_000, 5_000_000),
        "received_at": received,
        "finished_at": received + timedelta(seconds=rng.uniform(5, 120)),
        "status": status,
        "source": _pick(rng, SOURCES),
        "archive_uri": f"s3://briskk/archive/{tenant}/{upload_id}/template.xlsx",
        "archive_key": f"archive/{tenant}/{upload_id}/template.xlsx",
        "run_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "products_loaded": rng.randrange(50, 2_000) if loaded else 0,
        "skus_loaded": rng.randrange(200, 8_000) if loaded else 0,
        "products_rejected": rng.randrange(0, 5) if status != "failed" else 0,
        "rows_rejected": rng.randrange(0, 20) if status != "failed" else 0,
        "failure_reason": "run … failed: the object store refused the write"
        if status == "failed"
        else None,
        "seconds": rng.uniform(2, 60),
    }


def ensure_tenants(engine: sa.Engine, now: datetime) -> None:
    rows = [
        {"tenant_key": tenant_name(i).lower(), "name": tenant_name(i), "created_at": now}
        for i in range(TENANTS)
    ]
    with engine.begin() as connection:
        connection.execute(
            sa.dialects.postgresql.insert(tenants).values(rows).on_conflict_do_nothing()
        )


def _materialization(row: dict[str, Any]) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="ingest_job",
        event_specific_data=StepMaterializationData(
            AssetMaterialization(asset_key="raw_sheet", partition=row["upload_id"])
        ),
        step_key="raw_sheet",
    )
    return EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message="",
        run_id=row["run_id"],
        timestamp=row["finished_at"].timestamp(),
        step_key="raw_sheet",
        job_name="ingest_job",
        dagster_event=event,
    )


def _add_run(instance: DagsterInstance, row: dict[str, Any]) -> None:
    failed = row["status"] == "failed"
    run = DagsterRun(
        job_name="ingest_job",
        run_id=row["run_id"],
        status=DagsterRunStatus.STARTED if failed else DagsterRunStatus.SUCCESS,
        tags={
            "dagster/partition": row["upload_id"],
            "briskk/tenant": row["tenant"],
            "briskk/source": row["source"],
            "briskk/status": row["status"],
        },
    )
    instance.add_run(run)
    if failed:
        instance.report_run_failed(run, message="the object store refused the write")


def grow(world: World, target: int) -> None:
    """Add uploads `world.count .. target-1` to the catalog and to Dagster."""
    for start in range(world.count, target, ROWS_PER_STATEMENT):
        rows = [
            upload_row(i, world.now) for i in range(start, min(start + ROWS_PER_STATEMENT, target))
        ]
        errors = [
            {
                "upload_id": r["upload_id"],
                "seq": seq,
                "row": 2 + seq,
                "column": "price",
                "value": "12,5O",
                "message": "price is not a number",
            }
            for r in rows
            if r["status"] == "rejected"
            for seq in (1, 2)
        ]
        with world.engine.begin() as connection:
            connection.execute(sa.insert(uploads), rows)
            if errors:
                connection.execute(sa.insert(upload_errors), errors)
        for k in range(0, len(rows), KEYS_PER_CALL):
            chunk = rows[k : k + KEYS_PER_CALL]
            world.instance.add_dynamic_partitions(PARTITIONS, [r["upload_id"] for r in chunk])
            events = [_materialization(r) for r in chunk if r["status"] != "failed"]
            if events:
                world.instance.event_log_storage.store_event_batch(events)
        for offset, row in enumerate(rows):
            failed = row["status"] == "failed"
            if (start + offset) % RUN_SHARE == 0 or (
                failed and ((start + offset) % 10 == 0 or world.failed_runs < 2)
            ):
                _add_run(world.instance, row)
                world.runs += 1
                world.failed_runs += failed
    world.count = max(world.count, target)
    with world.engine.begin() as connection:
        connection.execute(sa.text("ANALYZE uploads"))
        connection.execute(sa.text("ANALYZE upload_errors"))


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
