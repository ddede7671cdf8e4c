"""Starting an upload: register it, add its partition, run `ingest_job` for it.

One sequence for every door that runs uploads itself: `briskk ingest` and the HTTP API
(`briskk serve`) both call `start_upload` then `run_upload`, so an upload from either is the
same kind of upload (SPEC §4, §5). The inbox sensor registers with the same `register` and
requests its run through its `SensorResult` instead (the daemon launches it).

`run_upload` runs the job in the calling process (`execute_in_process`, the in-process executor
of `Definitions`) on the given instance, so the run and its partition appear in the Dagster UI
with the tags `briskk/tenant` and `briskk/source`.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult

from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.heartbeat import Worker, keep_alive
from briskk_pipeline.ingest.partitions import STATUS_TAG
from briskk_pipeline.ingest.register import Registration, register
from briskk_pipeline.resources import IngestSettings, ObjectStore

TENANT_TAG: Final = "briskk/tenant"
SOURCE_TAG: Final = "briskk/source"
DRY_RUN_TAG: Final = "briskk/dry_run"
PARTITIONS: Final = "uploads"  # `uploads_partitions` (SPEC §5)
# The job's own console logs stay quiet: the caller reports the outcome from the catalog.
_QUIET: Final[dict[str, Any]] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_tags(tenant: str, source: str, *, dry_run: bool = False) -> dict[str, str]:
    """The tags every ingest run carries: the run queue limits one run per `briskk/tenant`;
    a preview says `briskk/dry_run=true`."""
    return {TENANT_TAG: tenant, SOURCE_TAG: source, **({DRY_RUN_TAG: "true"} if dry_run else {})}


def start_upload(
    data: bytes,
    file_name: str,
    *,
    explicit_tenant: str | None,
    source: str,
    store: ObjectStore,
    engine: sa.Engine,
    instance: DagsterInstance,
    worker: Worker | None = None,
    dry_run: bool = False,
    settings: IngestSettings | None = None,
) -> Registration:
    """Register `data` (archived, sha256 verified, recorded `running`) and add its partition.

    With `worker`, the upload is claimed by that process from registration on and kept alive
    by a heartbeat until it leaves `running` (`heartbeat.keep_alive`; a dead claim is failed by
    `recovery`). `dry_run` records the upload as a preview (`uploads.mark_dry_run`): its runs
    never change the catalog. `settings` gives the size cap and the reading sandbox's limits.
    Raises `RegistrationError` for an invalid explicit tenant, `UploadTooLarge` for a file over
    the cap (nothing is recorded then).
    """
    registration = register(
        data,
        file_name,
        explicit_tenant=explicit_tenant,
        source=source,
        store=store,
        engine=engine,
        worker=worker,
        settings=settings,
    )
    if dry_run:
        uploads.mark_dry_run(engine, registration.upload_id)
    if worker is not None:
        keep_alive(engine, registration.upload_id, worker)
    instance.add_dynamic_partitions(PARTITIONS, [registration.upload_id])
    return registration


def new_run_id() -> str:
    return str(uuid.uuid4())


def run_upload(
    instance: DagsterInstance,
    engine: sa.Engine,
    *,
    upload_id: str,
    tenant: str,
    source: str,
    run_id: str | None = None,
) -> ExecuteInProcessResult:
    """Run `ingest_job` for the registered upload `upload_id`, in this process; returns the
    result. The upload gets `run_id` first; a run that fails marks it `failed` with the
    first step failure's message (the brand's data never fails a run: it is `rejected`)."""
    from briskk_pipeline import defs

    run_id = run_id or new_run_id()
    uploads.set_run_id(engine, upload_id, run_id)
    record = uploads.get_upload(engine, upload_id)
    dry_run = bool(record and record.get("dry_run"))
    result = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance,
        partition_key=upload_id,
        run_id=run_id,
        raise_on_error=False,
        tags=run_tags(tenant, source, dry_run=dry_run),
        run_config=_QUIET,
    )
    if not result.success:
        uploads.mark_upload_failed(engine, upload_id, failure_message(result))
        # as ingest_failure_sensor does for runs it watches: filterable in the UI
        instance.add_run_tags(run_id, {STATUS_TAG: "failed"})
    return result


def failure_message(result: ExecuteInProcessResult) -> str:
    """`<step>: <error>` of the run's first step failure, or a generic line."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            if error is not None:
                return f"{event.step_key}: {error.message.strip()}"
    return "the run failed"
