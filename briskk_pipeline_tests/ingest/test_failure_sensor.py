"""A run that breaks marks its upload `failed`; re-running the partition later succeeds.

Real parts throughout: the asset graph of `ingest_job` runs in process against the embedded
PostgreSQL, a local object store and images served on loopback. The run breaks for a real
reason (its archived original is missing from the store), `ingest_failure_sensor` is invoked
with that run's own failure event, and the re-run reads the restored archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from dagster import (
    DagsterInstance,
    Definitions,
    JobDefinition,
    build_run_status_sensor_context,
    in_process_executor,
    instance_for_test,
)

from briskk_pipeline.catalog import uploads
from briskk_pipeline.definitions import defs
from briskk_pipeline.ingest.jobs import ingest_failure_sensor, ingest_job
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, LocalObjectStore
from briskk_pipeline.template import IMAGE_COLUMNS
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as instance:
        yield instance


def serve_row_images(server: LoopbackHTTPServer, rows: list[dict]) -> None:
    for row in rows:
        for column in IMAGE_COLUMNS:
            if row.get(column):
                server.serve_image(urlparse(row[column]).path)


def _job(resources: dict[str, object]) -> JobDefinition:
    return Definitions(
        assets=defs.assets,
        jobs=[ingest_job],
        resources=resources,
        executor=in_process_executor,
    ).resolve_job_def(ingest_job.name)


def test_a_broken_run_marks_the_upload_failed_and_a_rerun_succeeds(
    tmp_path: Path,
    database_url: str,
    engine: sa.Engine,
    local_store: LocalObjectStore,
    http_server: LoopbackHTTPServer,
    instance: DagsterInstance,
) -> None:
    rows = template_rows(8, image_base=http_server.url("/img"))
    serve_row_images(http_server, rows)
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", rows)
    catalog = CatalogDatabase(url=database_url, home=str(tmp_path))
    resources = {
        "catalog": catalog,
        "object_store": local_store,
        "settings": IngestSettings(
            home=str(tmp_path), inbox=str(tmp_path / "inbox"), allowed_image_hosts="127.0.0.1"
        ),
    }
    registration = register(
        path.read_bytes(),
        path.name,
        explicit_tenant="BrandA",
        source="inbox",
        store=local_store,
        engine=engine,
    )
    upload_id = registration.upload_id
    instance.add_dynamic_partitions("uploads", [upload_id])

    # The archived original is missing (an object store outage, say): raw_sheet raises.
    archived = Path(local_store.root) / registration.archive_key
    original = archived.read_bytes()
    archived.unlink()
    broken = _job(resources).execute_in_process(
        instance=instance, partition_key=upload_id, raise_on_error=False
    )
    assert not broken.success

    context = build_run_status_sensor_context(
        sensor_name=ingest_failure_sensor.name,
        dagster_event=broken.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=broken.dagster_run,
        resources={"catalog": catalog},
    ).for_run_failure()
    ingest_failure_sensor(context)

    failed = uploads.get_upload(engine, upload_id)
    assert failed is not None
    assert failed["status"] == "failed"
    assert failed["failure_reason"].startswith(f"run {broken.run_id} failed:")
    assert failed["finished_at"] is not None
    assert failed["products_loaded"] == 0

    # The store is back; the same partition runs again from the archive and succeeds.
    archived.write_bytes(original)
    rerun = _job(resources).execute_in_process(
        instance=instance, partition_key=upload_id, raise_on_error=False
    )
    assert rerun.success
    done = uploads.get_upload(engine, upload_id)
    assert done is not None
    assert done["status"] == "succeeded"
    assert done["failure_reason"] is None
    assert done["run_id"] == rerun.run_id
    assert (done["products_loaded"], done["skus_loaded"]) == (2, 8)
    assert done["images"]["stored"] == 5


def test_the_failure_sensor_is_on_by_default() -> None:
    from dagster import DefaultSensorStatus

    assert ingest_failure_sensor.default_status == DefaultSensorStatus.RUNNING
    assert ingest_failure_sensor.minimum_interval_seconds <= 30
